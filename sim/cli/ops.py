"""`ikesim show` and `ikesim cli`: Junos operational mode on the state a run left.

    ikesim show RUN_DIR DEVICE "show security pki crl"
    ikesim cli RUN_DIR DEVICE            (commands from stdin, a terminal or a pipe)

`show` answers one show command: exit 0, or 1 when the device answers with an `error:` line;
an unknown run directory, device or command is one line on stderr and exit 2, and so is a
folder that is not a complete run (`<dir>: not an ikesim run folder`) or whose saved state does
not read back. What the commands print is escaped as syslogd escapes a log line (a run folder
may come from anyone: its certificates' names must not drive the terminal). `cli` is a
`user@DEVICE> ` prompt: `?` at the end of a line lists completions, `help` the commands,
`exit` or `quit` leaves; a syntax error is marked with a `^` under the word at fault
(sim.cli.syntax). At a terminal the line is edited as in Junos (sim.cli.editing: Tab, `?` at
once, history, Ctrl-L, Ctrl-D); from a pipe, lines are read and echoed one by one. Request
and clear commands that change the device are saved to the run directory at once. File names
in commands (filename, key) are paths on this machine, relative to the current directory.
The device's HTTP requests (SCEP enrollment, CRL downloads for `verify`) are answered by the
run folder's CA server (sim.cli.ops_transport); the SCEP messages go to the run folder's `scep/`,
and what its CAs issued is saved back with them (sim.report.scep_files).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from pki.files import FileRefused, check_file_target, inside, open_append, write_file
from pki.loaders import LoadError, read_bytes
from sim.cli.errors import UsageError
from sim.cli.ops_transport import RunFolderServers, keep_messages
from sim.cli.syntax import marked
from sim.junos.device_state import DeviceState
from sim.junos.logs import syslog_escape
from sim.junos.ops import Outcome, ParseError, complete, execute, is_show
from sim.junos.ops_grammar import MAX_LINE, help_text
from sim.report.run_folder import require_run_folder, was_not_kept

HELP = help_text()  # from the grammar, so that it lists every command


def register(commands: argparse._SubParsersAction) -> None:
    show = commands.add_parser("show", help="answer one show command on a run's device state")
    show.add_argument("run_dir", metavar="RUN_DIR", type=Path)
    show.add_argument("device", metavar="DEVICE")
    show.add_argument("words", nargs="+", metavar="COMMAND",
                      help='e.g. "show security pki crl" (one argument or several words)')
    show.set_defaults(handler=run_show)

    cli = commands.add_parser("cli", help="operational-mode prompt on a run's device state")
    cli.add_argument("run_dir", metavar="RUN_DIR", type=Path)
    cli.add_argument("device", metavar="DEVICE")
    cli.set_defaults(handler=run_cli)


def terminal(text: str) -> str:
    """`text` safe to print: each line escaped as syslogd escapes a message."""
    return "\n".join(syslog_escape(line) for line in text.split("\n"))


def _load(run_dir: Path, device: str) -> DeviceState:
    require_run_folder(run_dir)
    if was_not_kept(run_dir, device):
        raise UsageError(f"{run_dir}: device {device} ran but was not kept (a member of a "
                         f"device group keeps no files); run again with --keep {device}")
    try:
        return DeviceState.load(run_dir, device)
    except (LoadError, FileRefused):
        raise
    except ValueError as exc:  # a saved configuration that no longer parses
        raise UsageError(f"{run_dir}: device {device}: {exc}") from None


def run_show(args: argparse.Namespace) -> int:
    state = _load(args.run_dir, args.device)
    line = " ".join(args.words)
    try:
        if not is_show(line):
            execute(state, line)  # raises the syntax error when it is one
            raise UsageError(f"'{line}' is not a show command; use `ikesim cli` to run it")
        outcome = execute(state, line)
    except ParseError as exc:
        raise UsageError(f"{line}: {exc}") from None
    if outcome.output:
        print(terminal(outcome.output))
    return 1 if outcome.error else 0


class _Overlong(Exception):
    """A command line longer than the CLI takes (its length, counted, not kept)."""

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length


class Session:
    """One `ikesim cli` session on one device of a run directory."""

    def __init__(self, run_dir: Path, state: DeviceState, *, stdin: TextIO, stdout: TextIO
                 ) -> None:
        self.run_dir = run_dir
        self.state = state
        self.stdin = stdin
        self.stdout = stdout
        # Piped input is not echoed by a terminal: echo it, so the output reads as a session.
        self.echo = not stdin.isatty()
        self.prompt = f"user@{state.name}> "
        # The run folder's CA server answers the device's SCEP requests and CRL downloads.
        self.servers = RunFolderServers(lambda: _run_servers(run_dir), now=state.now)
        # A person at a terminal gets line editing; a pipe is read line by line, as before.
        self.editor = None
        if stdin.isatty() and stdout.isatty():
            from sim.cli.editing import LineEditor  # only a terminal needs prompt_toolkit

            self.editor = LineEditor(lambda: self.state)

    def _ask(self, prompt: str, *, command: bool = True) -> str | None:
        """One line typed after `prompt`: None at end of input (Ctrl-D)."""
        if self.editor is not None:
            return self.editor.read(prompt, command=command)
        self.stdout.write(prompt)
        self.stdout.flush()
        return self._read()

    def _read(self) -> str | None:
        line = self.stdin.readline(MAX_LINE + 1)
        if not line:
            return None
        if len(line) > MAX_LINE and not line.endswith("\n"):
            # Never hold more than a line's worth of input: count the rest and drop it.
            length = len(line)
            while (more := self.stdin.readline(MAX_LINE + 1)) and not more.endswith("\n"):
                length += len(more)
            raise _Overlong(length + len(more.rstrip("\r\n")))
        line = line.rstrip("\r\n")
        if self.echo:
            self.stdout.write(terminal(line) + "\n")
        return line

    def _say(self, text: str) -> None:
        if text:
            self.stdout.write(terminal(text) + "\n")

    def run(self) -> int:
        while True:
            try:
                line = self._ask(self.prompt)
            except _Overlong as exc:
                self._say(f"\nerror: line of {exc.length} characters (at most {MAX_LINE}).")
                continue
            if line is None:
                if self.editor is None:  # the editor has ended the line already
                    self.stdout.write("\n")
                return 0
            command = line.strip()
            if not command:
                continue
            if command in ("exit", "quit"):
                return 0
            if command == "help":
                self._say(HELP)
            elif command.endswith("?"):
                self._say(self.completions(command))
            else:
                # Leading spaces were typed after the prompt: the caret counts them.
                self.one(command, indent=len(self.prompt) + len(line) - len(line.lstrip()))

    def completions(self, command: str) -> str:
        """The answer to `?` at the end of `command`."""
        return complete(command, self.state)

    def one(self, command: str, *, indent: int = 0) -> None:
        try:
            outcome = execute(self.state, command, read=read_bytes, transport=self.servers)
            text = outcome.output
            if outcome.question is not None:
                self._say(outcome.output)
                try:
                    answer = self._ask(terminal(outcome.question), command=False)
                except _Overlong:
                    answer = "no"  # not an answer Junos takes: the default
                if answer is None:
                    self.stdout.write("\n")
                outcome = execute(self.state, command, read=read_bytes, answer=answer or "no",
                                  transport=self.servers)
                text = outcome.reply
        except ParseError as exc:
            self._say(marked(command, str(exc), indent=indent))
            return
        problem = self._write_files(outcome) or self._keep_exchange(outcome)
        if problem is not None:
            self._say(problem)
            return
        self._say(text)
        if outcome.state is not self.state:
            try:  # the log lines first: a log file that refuses them leaves the state as it was
                _append_logs(self.run_dir, self.state, outcome.state)
            except FileRefused as exc:
                self._say(f"error: {exc}")
                return
            self.state = outcome.state
            # The store's folder is replaced whole, so cleared objects are gone from disk.
            self.state.save(self.run_dir)

    def _write_files(self, outcome: Outcome) -> str | None:
        """Make the command's file writes; a failure is the command's answer instead. Every
        target is checked before any is written (a request and its e-mail go together)."""
        for write in outcome.writes:
            # A regular file is replaced whole; a symlink, device or folder is refused.
            try:
                check_file_target(write.path)
            except FileRefused as exc:
                return f"error: {exc}"
        for write in outcome.writes:
            try:
                write_file(write.path, write.data)
            except FileRefused as exc:
                return f"error: {exc}"
            except OSError as exc:
                return f"error: {write.path}: {exc.strerror or exc}"
        return None


    def _keep_exchange(self, outcome: Outcome) -> str | None:
        """Keep the SCEP messages exchanged (scep/) and what the CAs issued, in the run
        folder; a failure is the command's answer instead."""
        try:
            keep_messages(self.run_dir, self.state.name, outcome.messages)
            if outcome.messages and self.servers.cas:
                from sim.report.scep_files import save_scep_cas

                save_scep_cas(self.run_dir, self.servers.cas)
        except FileRefused as exc:
            return f"error: {exc}"
        except OSError as exc:
            return f"error: {self.run_dir}: {exc.strerror or exc}"
        return None


def _run_servers(run_dir: Path) -> tuple[dict, dict]:
    """The run folder's SCEP CAs by enrollment URL, and its CRLs by URL (sim.report.scep_files)."""
    from sim.report.scep_files import load_crl_documents, load_scep_cas  # read when first asked

    return load_scep_cas(run_dir), load_crl_documents(run_dir)


def _append_logs(run_dir: Path, before: DeviceState, after: DeviceState) -> None:
    """Add the lines a command logged (`clear security ike security-associations`) to the
    device's log files, as kmd and syslogd append them. Every file is opened before any is
    written, so a refused one (a planted symlink) writes nothing."""
    lines = {name: getattr(after, field)[len(getattr(before, field)):]
             for name, field in (("kmd", "kmd_log"), ("pkid", "pkid_log"),
                                 ("messages", "messages_log"))}
    lines = {name: new for name, new in lines.items() if new}
    if not lines:
        return
    folder = inside(run_dir, "logs", after.name)
    folder.mkdir(parents=True, exist_ok=True)
    opened: list[tuple[int, tuple[str, ...]]] = []
    try:
        for name, new in lines.items():
            opened.append((open_append(inside(folder, name)), new))
        for fd, new in opened:
            view = memoryview("".join(line + "\n" for line in new).encode())
            while view:
                view = view[os.write(fd, view):]
    finally:
        for fd, _ in opened:
            os.close(fd)


def run_cli(args: argparse.Namespace) -> int:
    state = _load(args.run_dir, args.device)
    return Session(args.run_dir, state, stdin=sys.stdin, stdout=sys.stdout).run()
