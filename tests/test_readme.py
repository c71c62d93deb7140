"""The README's every `ikesim ...` command works as written.

Each command of the README's ```sh blocks runs in order, in-process (sim.cli.main.main, as the
console script does), in a fresh folder that holds what a clone has (topologies/); a command
exits 0 unless its comment says `exits N`. Commands that cannot run here are listed in SKIPPED
with the reason.
"""

from __future__ import annotations

import io
import re
import shlex
import shutil
from pathlib import Path

import pytest

from sim.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.M | re.S)
_EXITS = re.compile(r"#.*\bexits (\d+)\b")

# A command containing one of these is not run, for the reason given.
SKIPPED = {
    "--fetch": "downloads CRLs from the certificates' HTTP CDPs: needs the network",
}


def readme_commands(text: str) -> list[tuple[list[str], int]]:
    """(argv after `ikesim`, expected exit status) of each `ikesim` line of the sh blocks."""
    commands = []
    for block in _BLOCK.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if not words or words[0] != "ikesim":
                continue
            expected = _EXITS.search(line)
            commands.append((words[1:], int(expected.group(1)) if expected else 0))
    return commands


COMMANDS = readme_commands(README.read_text())


def _skip_reason(argv: list[str]) -> str | None:
    return next((why for word, why in SKIPPED.items() if word in argv), None)


class Clone:
    """A fresh folder with a clone's topologies/, where the README's commands run in order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done = 0
        shutil.copytree(ROOT / "topologies", path / "topologies")

    def run_through(self, index: int, monkeypatch, capsys) -> list[tuple[int, str]]:
        """Run every command up to `index` not yet run; the status and output of each."""
        monkeypatch.chdir(self.path)
        outcomes = []
        while self.done <= index:
            argv, _ = COMMANDS[self.done]
            self.done += 1
            if _skip_reason(argv) is not None:
                outcomes.append((None, ""))
                continue
            # `ikesim cli` reads commands from stdin, as scripts feed it: here, none.
            monkeypatch.setattr("sys.stdin", io.StringIO(""))
            try:
                status = main(argv)
            except SystemExit as exc:  # argparse's --version and --help
                status = exc.code or 0
            captured = capsys.readouterr()
            outcomes.append((status, captured.out + captured.err))
        return outcomes


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Clone:
    return Clone(tmp_path_factory.mktemp("clone"))


def test_the_readme_has_its_commands():
    """The extraction finds the commands (a test of nothing would pass on an empty list)."""
    firsts = [argv[0] for argv, _ in COMMANDS]
    assert {"list", "run", "troubleshoot", "show", "cli", "pki"} <= set(firsts)
    assert len(COMMANDS) >= 15


@pytest.mark.parametrize("index", range(len(COMMANDS)),
                         ids=[" ".join(argv)[:60] for argv, _ in COMMANDS])
def test_readme_command(index, clone, monkeypatch, capsys):
    argv, expected = COMMANDS[index]
    if (why := _skip_reason(argv)) is not None:
        pytest.skip(why)
    status, output = clone.run_through(index, monkeypatch, capsys)[-1]
    assert status == expected, f"ikesim {shlex.join(argv)} exited {status}:\n{output}"
    assert "Traceback" not in output and "internal error" not in output
