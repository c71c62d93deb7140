"""Line editing for `ikesim cli` at a terminal, as the Junos CLI edits a line: Tab completes
the word (keywords, and the device's own certificate-ids, CA profiles, gateways, peers and SA
indexes for values), `?` lists what may come next at once, without Enter, each with its
one-line help, Ctrl-L clears the screen, the up arrow recalls earlier commands and Ctrl-D on
an empty line leaves.

prompt_toolkit rather than readline: `?` must act on the key press and print Junos's own list,
which needs a key bound to Python code; Python's readline binds keys only to readline's own
functions. Only a terminal loads this module; a pipe is read as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prompt_toolkit import PromptSession
from prompt_toolkit import prompt as ask_once
from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.shortcuts import CompleteStyle

from sim.junos.device_state import DeviceState
from sim.junos.logs import syslog_escape
from sim.junos.ops_grammar import ParseError, choices, complete, word_spans
from sim.junos.ops_sa import remaining_seconds

__all__ = ["LineEditor", "state_names"]


def state_names(state: DeviceState) -> Callable[[str], list[str]]:
    """Existing names of each kind on `state`, offered to complete a value."""

    def names(kind: str) -> list[str]:
        store = state.store
        alive_ike = [sa for sa in state.ike_sas
                     if remaining_seconds(sa.established, sa.lifetime_seconds, state.now) > 0]
        found: dict[str, list[str]] = {
            "local": sorted(store.local_certificates),
            "request": sorted(store.requests),
            "key": sorted(store.key_pairs),
            "profile": [*state.config.pki.ca_profiles, *sorted(state.dynamic_profiles)],
            "gateway": sorted(state.config.ike.gateways),
            "peer": sorted({sa.remote_address for sa in alive_ike}),
            "ike-sa": [str(sa.index) for sa in alive_ike],
            "ipsec-sa": [str(sa.index) for sa in state.ipsec_sas
                         if remaining_seconds(sa.established, sa.lifetime_seconds,
                                              state.now) > 0],
        }
        return found.get(kind, [])

    return names


def _typed(name: str) -> str:
    """`name` as it must be typed to read back as one word."""
    if name and not any(c.isspace() or c in "\"'\\|" for c in name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Words(Completer):
    """Tab: the keywords and names that may end the text before the cursor."""

    def __init__(self, state: Callable[[], DeviceState]) -> None:
        self.state = state

    def get_completions(self, document: Document, complete_event: CompleteEvent
                        ) -> Iterator[Completion]:
        text = document.text_before_cursor
        try:
            items = choices(text, state_names(self.state()))
            typed = word_spans(text)
        except ParseError:
            return
        partial = "" if not text or text[-1].isspace() or not typed else typed[-1][0]
        for name, help_text in items:
            if name.startswith("<") or name == "|":  # placeholders are not typed
                continue
            yield Completion(_typed(name) + " ", start_position=-len(partial),
                             display=syslog_escape(name), display_meta=syslog_escape(help_text))


class LineEditor:
    """Reads command lines from the terminal, with completion, `?` and history."""

    def __init__(self, state: Callable[[], DeviceState]) -> None:
        self.state = state
        self.prompt = ""
        keys = KeyBindings()
        keys.add("?")(self._question)
        self.session: PromptSession[str] = PromptSession(
            completer=_Words(state), complete_style=CompleteStyle.READLINE_LIKE,
            history=InMemoryHistory(), key_bindings=keys, complete_while_typing=False)

    def _question(self, event: KeyPressEvent) -> None:
        buffer = event.app.current_buffer
        text = buffer.document.text_before_cursor
        try:
            word_spans(text)
        except ParseError:  # inside quotes, `?` is a character of the value
            buffer.insert_text("?")
            return
        answer = complete(text, state_names(self.state()))
        shown = "\n".join(syslog_escape(line) for line in answer.split("\n"))
        # As Junos does: the line as typed with its `?` stays on screen, the list under it,
        # then the prompt again with the line to go on typing.
        line = self.prompt + syslog_escape(buffer.text) + "?"
        run_in_terminal(lambda: print(f"{line}\n{shown}"))

    def read(self, prompt: str, *, command: bool = True) -> str | None:
        """One line; None for Ctrl-D. `command` False: an answer to a question (no
        completion, no history)."""
        try:
            if not command:
                return ask_once(prompt)
            self.prompt = prompt
            return self.session.prompt(prompt)
        except EOFError:
            return None
        except KeyboardInterrupt:  # Ctrl-C drops the line, as Junos does
            return ""
