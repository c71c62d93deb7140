"""Junos operational mode on a device's saved state: `show`, `request` and `clear` commands.

    execute(state, "show security pki crl ca-profile dynamic-001 detail") -> Outcome
    execute(state, "request security pki crl load ca-profile Root-CA filename r.crl",
            read=...) -> Outcome with the new state
    complete("show security pki ?", state) -> "Possible completions: ..."

Show commands are pure renderings (sim.junos.ops_pki, sim.junos.ops_sa); request and clear
commands return the new DeviceState and never touch the clock or the network
(sim.junos.ops_request, sim.junos.ops_clear). A line may end in pipes, `| match TEXT`,
`| except TEXT`, `| count`, `| last N`, `| no-more`, applied to the answer.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass

from sim.junos import (
    ops_clear,
    ops_clear_sa,
    ops_enroll,
    ops_group_load,
    ops_ipsec_statistics,
    ops_request,
)
from sim.junos.config_tokens import shown
from sim.junos.device_state import DeviceState
from sim.junos.grammar_nodes import compile_pattern
from sim.junos.ops_config import render_configuration
from sim.junos.ops_grammar import (
    NUMBER,
    Command,
    ParseError,
    parse,
    peer_address,
    sa_index,
    tokenize,
)
from sim.junos.ops_grammar import complete as _complete
from sim.junos.ops_ipsec_statistics import render_ipsec_statistics
from sim.junos.ops_outcome import (
    Context,
    FileWrite,
    Outcome,
    Reader,
    Transport,
    failure,
    no_files,
    success,
)
from sim.junos.ops_pki import (
    ShowError,
    render_ca_certificates,
    render_certificate_requests,
    render_crls,
    render_local_certificates,
)
from sim.junos.ops_sa import render_ike_sas, render_ipsec_sas, render_log
from sim.junos.ops_version import render_version

__all__ = [
    "Context",
    "FileWrite",
    "Outcome",
    "ParseError",
    "command_key",
    "complete",
    "execute",
    "is_show",
    "render_ca_certificates",
    "render_certificate_requests",
    "render_crls",
    "render_ike_sas",
    "render_ipsec_sas",
    "render_local_certificates",
    "render_log",
    "show",
]




_SHOWS: dict[str, Callable[[DeviceState, Command], str]] = {
    "show pki local-certificate": lambda s, c: render_local_certificates(
        s, certificate_id=c.get("certificate-id"), system_generated=c.flag("system-generated"),
        detail=c.flag("detail")),
    "show pki ca-certificate": lambda s, c: render_ca_certificates(
        s, ca_profile=c.get("ca-profile"), detail=c.flag("detail")),
    "show pki crl": lambda s, c: render_crls(
        s, ca_profile=c.get("ca-profile"), detail=c.flag("detail")),
    "show pki certificate-request": lambda s, c: render_certificate_requests(
        s, certificate_id=c.get("certificate-id"), detail=c.flag("detail")),
    "show ike sa": lambda s, c: render_ike_sas(s, index=sa_index(c), detail=c.flag("detail"),
                                               peer=peer_address(c)),
    "show ipsec sa": lambda s, c: render_ipsec_sas(s, index=sa_index(c), detail=c.flag("detail")),
    "show ipsec statistics": lambda s, c: render_ipsec_statistics(s, index=sa_index(c)),
    "show log kmd": lambda s, c: render_log(s, "kmd"),
    "show log messages": lambda s, c: render_log(s, "messages"),
    "show log pkid": lambda s, c: render_log(s, "pkid"),
    "show log file": lambda s, c: render_log(s, c.get("filename")),
    "show version": lambda s, c: render_version(s),
}

# `show configuration [security [ike | ipsec | pki]]`: the keywords after `show configuration`.
_CONFIGURATION = {" ".join(("show configuration", *level)).strip(): level
                  for level in ((), ("security",), ("security", "ike"), ("security", "ipsec"),
                                ("security", "pki"))}

_HANDLERS = {**ops_request.HANDLERS, **ops_clear.HANDLERS, **ops_clear_sa.HANDLERS,
             **ops_ipsec_statistics.HANDLERS, **ops_group_load.HANDLERS,
             **ops_enroll.HANDLERS}


@dataclass(frozen=True)
class _Filter:
    """One `| ...` after a command: which, and its pattern or line count."""

    verb: str  # "match", "except", "count", "last", "no-more", "display" (set)
    pattern: re.Pattern[str] | None = None
    count: int = 0  # for `last`: 0 keeps every line


_VERBS = ("match", "except", "count", "last", "no-more", "display")


def _filter(words: list[str]) -> _Filter:
    """A pipe's words read before the command runs, so a bad one changes nothing."""
    verb = next((v for v in _VERBS if v.startswith(words[0])), None)
    rest = " ".join(words[1:])
    if verb in ("match", "except") and rest:
        try:
            return _Filter(verb, pattern=compile_pattern(rest))
        except ValueError as exc:
            raise ParseError(f"error: invalid regular expression '{shown(rest)}': {exc}"
                             ) from None
    if verb == "last":
        if rest and not NUMBER.fullmatch(rest):
            raise ParseError(f"error: invalid number of lines '{shown(rest)}'")
        return _Filter(verb, count=int(rest) if rest else 0)
    if verb in ("count", "no-more"):
        return _Filter(verb)
    if verb == "display":
        if rest != "set":
            raise ParseError("syntax error, expecting set.")
        return _Filter(verb)
    raise ParseError("syntax error, expecting <command>.")


def _split_pipes(line: str) -> tuple[str, list[_Filter]]:
    tokens = tokenize(line)
    if "|" not in tokens:
        return line, []
    # Re-split on the raw text so the command keeps its own quoting.
    head, _, tail = line.partition("|")
    filters: list[_Filter] = []
    for part in tail.split("|"):
        words = tokenize(part)
        if not words:
            raise ParseError("syntax error, expecting <command>.")
        filters.append(_filter(words))
    return head, filters


def _pipe(text: str, filters: list[_Filter]) -> str:
    lines = text.split("\n") if text else []
    for f in filters:
        if f.verb == "match":
            lines = [line for line in lines if f.pattern.search(line)]
        elif f.verb == "except":
            lines = [line for line in lines if not f.pattern.search(line)]
        elif f.verb == "count":
            lines = [f"Count: {len(lines)} lines"]
        elif f.verb == "last" and f.count:
            lines = lines[-f.count:]
    return "\n".join(lines)


def command_key(line: str) -> str:
    """Which command `line` is, e.g. "clear ike sa" (ParseError for a line that is none)."""
    return parse(_split_pipes(line)[0]).key


def is_show(line: str) -> bool:
    """Whether `line` is a show command (which never changes the state)."""
    try:
        return command_key(line).startswith("show ")
    except ParseError:
        return False


def execute(state: DeviceState, line: str, *, read: Reader = no_files,
            answer: str | None = None, seed: str | None = None,
            transport: Transport | None = None) -> Outcome:
    """Run one operational command on `state`.

    Raises ParseError (str(): the CLI's one-line answer) for a line that is not a command.
    Anything the device itself refuses comes back as an Outcome with `error` set.
    `answer` answers the command's "[yes,no] (no)" question; without it, a command that asks
    one returns with `question` set and the state unchanged. `transport` carries the device's
    HTTP requests (SCEP, CRL downloads); without it no server answers.
    """
    if not isinstance(state, DeviceState):
        raise TypeError(f"state must be a DeviceState, not {type(state).__name__}")
    head, filters = _split_pipes(line)
    cmd = parse(head)
    display_set = any(f.verb == "display" for f in filters)
    if cmd.key in _CONFIGURATION:
        return success(state, _pipe(render_configuration(
            state, _CONFIGURATION[cmd.key], display_set=display_set), filters))
    if display_set:
        raise ParseError("error: '| display set' is for show configuration")
    render = _SHOWS.get(cmd.key)
    if render is not None:
        try:
            text = render(state, cmd)
        except ShowError as exc:
            return failure(state, str(exc))
        return success(state, _pipe(text, filters))
    outcome = _HANDLERS[cmd.key](state, cmd, Context(read=read, answer=answer, seed=seed,
                                                         transport=transport))
    if filters:
        outcome = dataclasses.replace(outcome, output=_pipe(outcome.output, filters))
    return outcome


def show(state: DeviceState, line: str) -> str:
    """The answer to a show command (ParseError for anything else)."""
    if not is_show(line):
        parse(_split_pipes(line)[0])  # the syntax error, if that is what it is
        raise ParseError("error: not a show command")
    return execute(state, line).output


def complete(line: str, state: DeviceState | None = None) -> str:
    """The answer to `?` typed at the end of `line`; with `state`, existing certificate-ids
    and CA profile names are offered for values."""

    def names(kind: str) -> list[str]:
        if state is None:
            return []
        store = state.store
        if kind == "local":
            return sorted(store.local_certificates)
        if kind == "request":
            return sorted(store.requests)
        if kind == "key":
            return sorted(store.key_pairs)
        if kind == "log":
            return list(state.log_files)
        if kind == "profile":
            return [*state.config.pki.ca_profiles, *sorted(state.dynamic_profiles)]
        return []

    try:
        return _complete(line, names)
    except ParseError as exc:
        return str(exc)
