"""`ikesim show` and `ikesim cli` on a running `ikesim peer`: its run folder is still being
written, and the peer answers on its control socket (sim.live.control_client) from the state
it holds now: the SAs with their remaining lifetimes, pkid's store, the logs so far.

The commands go to the peer as they are typed; the peer decides what each does on a live
device (sim.live.answers: show commands answered, `clear security ike|ipsec
security-associations` acted on, the rest refused in one `error:` line). A terminal session
reads plain lines (no Tab editing: completions need the peer's state, which stays there), and
`?` is answered by the peer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from sim.cli import ops
from sim.cli.errors import UsageError
from sim.cli.ops import Session, terminal
from sim.cli.syntax import marked
from sim.junos.ops import ParseError, command_key, is_show
from sim.live.control import ControlAnswer, ControlRequest
from sim.live.control_client import LiveControlError, LivePeerClient, find_live

__all__ = ["LiveSession", "live_peer", "register", "show_live"]


def register(commands: argparse._SubParsersAction) -> None:
    """`show` and `cli` (sim.cli.ops), first asking whether a live peer writes the run."""
    ops.register(commands)
    commands.choices["show"].set_defaults(handler=run_show)
    commands.choices["cli"].set_defaults(handler=run_cli)


def run_show(args: argparse.Namespace) -> int:
    peer = live_peer(args.run_dir)
    if peer is None:
        return ops.run_show(args)
    text, code = show_live(peer, args.device, " ".join(args.words))
    if text:
        print(terminal(text))
    return code


def run_cli(args: argparse.Namespace) -> int:
    peer = live_peer(args.run_dir)
    if peer is None:
        return ops.run_cli(args)
    return LiveSession(peer, args.device, stdin=sys.stdin, stdout=sys.stdout).run()


def live_peer(run_dir: Path) -> LivePeerClient | None:
    """The live peer writing `run_dir`, None when `run_dir` is to be read as a finished run."""
    try:
        return find_live(run_dir)
    except LiveControlError as exc:
        raise UsageError(str(exc)) from None


def _ask(peer: LivePeerClient, device: str, op: str, line: str) -> ControlAnswer:
    """The peer's answer; a refused request (another device, busy) is bad input."""
    try:
        answer = peer.ask(ControlRequest(device=device, op=op, line=line))
    except LiveControlError as exc:
        raise UsageError(str(exc)) from None
    if answer.refused is not None:
        raise UsageError(f"{peer.target}: {answer.refused}")
    return answer


def show_live(peer: LivePeerClient, device: str, line: str) -> tuple[str, int]:
    """One show command answered by the live peer: (its output, the exit status)."""
    if not is_show(line):
        try:
            command_key(line)
        except ParseError as exc:
            raise UsageError(f"{line}: {exc}") from None
        raise UsageError(f"'{line}' is not a show command; use `ikesim cli` to run it")
    answer = _ask(peer, device, "run", line)
    if answer.syntax is not None:
        raise UsageError(f"{line}: {answer.syntax}")
    return answer.output, 1 if answer.error else 0


class LiveSession(Session):
    """An `ikesim cli` session whose commands the live peer answers."""

    def __init__(self, peer: LivePeerClient, device: str, *, stdin: TextIO, stdout: TextIO
                 ) -> None:
        _ask(peer, device, "complete", "")  # the device is the peer's, or one line and exit 2
        self.peer = peer
        self.device = device
        self.stdin = stdin
        self.stdout = stdout
        self.echo = not stdin.isatty()
        self.prompt = f"user@{device}> "
        self.editor = None

    def _answer(self, op: str, line: str) -> ControlAnswer | None:
        """The peer's answer; when there is none, the reason is said and the session goes on
        (the peer may be back, or its run saved, by the next command)."""
        try:
            return _ask(self.peer, self.device, op, line)
        except UsageError as exc:
            self._say(f"error: {exc}")
            return None

    def completions(self, command: str) -> str:
        answer = self._answer("complete", command)
        return answer.output if answer is not None else ""

    def one(self, command: str, *, indent: int = 0) -> None:
        answer = self._answer("run", command)
        if answer is None:
            return
        if answer.syntax is not None:
            self._say(marked(command, answer.syntax, indent=indent))
        else:
            self._say(answer.output)
