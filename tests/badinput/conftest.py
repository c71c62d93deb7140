"""The bad-input corpus: every input here must be refused the way the README promises, with
one line on stderr naming the file, line or statement and what is wrong, exit status 2, no
traceback, and nothing written outside the run folder.

    def test_x(ikesim, tmp_path):
        outcome = ikesim("run", "bad.yaml")
        assert_refused(outcome, "bad.yaml line 3", "devices.x")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.cli.main import main


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def ikesim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    """Run `ikesim ARGS...` in-process with tmp_path as the current directory. An exception
    that escapes main() fails the test: a user would have seen a traceback."""
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> Outcome:
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code if isinstance(exc.code, int) else 2
        captured = capsys.readouterr()
        return Outcome(code=code, out=captured.out, err=captured.err)

    return run


def assert_refused(outcome: Outcome, *fragments: str) -> str:
    """Exit 2 and exactly one stderr line holding every fragment; returns that line."""
    lines = outcome.err.strip("\n").splitlines()
    assert outcome.code == 2, (outcome.code, outcome.err)
    assert len(lines) == 1, outcome.err
    assert "Traceback" not in outcome.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def files_under(root: Path) -> dict[str, bytes]:
    """Every regular file below `root` with its bytes: compare before and after to show that
    nothing was written, removed or changed."""
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}
