"""What running an operational command gives back: the text the terminal shows, the device's
state after it, the files it writes, and -- for a command that asks "[yes,no] (no)" -- the
question, when no answer was supplied yet.

Commands never read or write files themselves: a `read` callable is passed in (the CLI reads
the host's files) and writes are returned as FileWrites for the caller to make. Nor do they
open a connection: HTTP (SCEP enrollment, CRL downloads) goes through the Context's
`transport`, which `ikesim cli` builds from the run folder's CA servers; without one, no
server answers. The SCEP messages exchanged come back in `messages`, for the run folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pki.enrollment import HttpRequest, HttpResponse
from pki.loaders import LoadError
from sim.junos.device_state import DeviceState
from sim.junos.logs import syslog_escape, syslog_time

__all__ = ["Context", "FileWrite", "NoAnswer", "Outcome", "Transport", "confirm", "failure",
           "logged", "no_files", "success"]

Reader = Callable[[str], bytes]
Transport = Callable[[HttpRequest], HttpResponse]


class NoAnswer(ValueError):
    """No server answered an HTTP request (none at that address, or it timed out); str() is
    why, in a few words."""


def no_files(path: str) -> bytes:
    """The reader used when none is given: there is no file system to read."""
    raise LoadError(path, "no such file")


def no_network(request: HttpRequest) -> HttpResponse:
    """The transport used when none is given: no server answers."""
    raise NoAnswer("no route to host")


@dataclass(frozen=True, kw_only=True)
class Context:
    """What a command may use besides the state: a file reader, the answer to its question
    (None: not answered yet), and a seed for keys and serial numbers (None: derived from the
    state, so the same command on the same state gives the same result)."""

    read: Reader = no_files
    answer: str | None = None
    seed: str | None = None
    transport: Transport | None = None  # None: no network (CRL downloads stay pending)

    def send(self, request: HttpRequest) -> HttpResponse:
        """The answer to `request`; NoAnswer when none comes (a transport's own failures
        included, so that a command never sees anything else)."""
        transport = self.transport or no_network
        try:
            return transport(request)
        except NoAnswer:
            raise
        except (OSError, ValueError) as exc:
            raise NoAnswer(str(exc) or type(exc).__name__) from None

    def load(self, path: str) -> bytes:
        """The bytes of the file a command names; every way reading it fails is a LoadError
        (one line naming the file): a special file, a loop of links, a path through a file."""
        try:
            return self.read(path)
        except LoadError:
            raise
        except OSError as exc:
            raise LoadError(path, (exc.strerror or type(exc).__name__).lower()) from None
        except ValueError as exc:  # a reader's own refusal (pki.files.FileRefused)
            raise LoadError(path, getattr(exc, "problem", str(exc))) from None

    def seed_for(self, state: DeviceState, purpose: str) -> str:
        base = self.seed if self.seed is not None else \
            f"{state.name}/{state.serial}/{state.now.isoformat()}"
        return f"{base}/{purpose}"


@dataclass(frozen=True, kw_only=True)
class FileWrite:
    path: str
    data: bytes


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """`output` is the whole transcript (with a question and its answer when answered);
    `after` the part that follows the answer line, for a terminal that already showed the
    question. `error` marks an answer that refused the command (an `error:` line)."""

    output: str
    state: DeviceState
    writes: tuple[FileWrite, ...] = ()
    question: str | None = None
    after: str | None = None
    error: bool = False
    # SCEP messages exchanged, in order: (type, DER), e.g. ("PKCSReq", b"0\x82...").
    messages: tuple[tuple[str, bytes], ...] = ()

    @property
    def reply(self) -> str:
        return self.output if self.after is None else self.after


def success(state: DeviceState, *lines: str, writes: tuple[FileWrite, ...] = ()) -> Outcome:
    return Outcome(output="\n".join(lines), state=state, writes=writes)


def logged(state: DeviceState, log: tuple[str, ...], texts: list[str] | tuple[str, ...]
           ) -> tuple[str, ...]:
    """`log` with `texts` appended as a daemon writes them, at the device's clock."""
    stamp = syslog_time(state.now)
    return (*log, *(f"{stamp} {syslog_escape(text)}" for text in texts))


def failure(state: DeviceState, text: str) -> Outcome:
    """A refusal: one line, `error: ...`; the state is unchanged."""
    line = text if text.startswith("error:") else f"error: {text}"
    return Outcome(output=line, state=state, error=True)


YES = frozenset({"yes", "y"})


def confirm(state: DeviceState, before: list[str], question: str, ctx: Context,
            then: Callable[[], Outcome]) -> Outcome:
    """Ask `question` after `before`; on "yes" run `then`, on anything else (the default is
    no) do nothing. Junos prints a blank line after the answer (Chapter 16, ca-certificate
    load), when it has more to say (ca-certificate enroll's sample ends at the answer)."""
    if ctx.answer is None:
        return Outcome(output="\n".join(before), state=state, question=question)
    asked = [*before, f"{question}{ctx.answer}"]
    if ctx.answer.strip().lower() not in YES:
        return Outcome(output="\n".join(asked), state=state, after="")
    result = then()
    if not result.output:
        return Outcome(output="\n".join(asked), state=result.state, writes=result.writes,
                       after="", error=result.error)
    return Outcome(output="\n".join([*asked, "", result.output]), state=result.state,
                   writes=result.writes, after="\n" + result.output, error=result.error)
