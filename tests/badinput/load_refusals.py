"""A topology refused when it loads: one line naming the file and its last line (the event
under test is written last), exit 2, no run folder, nothing written."""

from __future__ import annotations

from pathlib import Path

from tests.badinput.conftest import assert_refused, files_under


def refused_at_load(ikesim, tmp_path: Path, text: str, *fragments: str) -> str:
    (tmp_path / "t.yaml").write_text(text)
    line = len(text.splitlines())
    before = files_under(tmp_path)
    refusal = assert_refused(ikesim("run", "t.yaml"), f"t.yaml line {line}:", *fragments)
    assert not (tmp_path / "runs").exists()
    assert files_under(tmp_path) == before
    return refusal
