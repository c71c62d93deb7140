"""The `ikesim` command itself: `python -m sim`, `python -m sim.cli.main`, --version, the exit
statuses, and a library topology run by its name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import sim
from sim.cli import library
from sim.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def python(*argv: str, cwd: Path, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=cwd,
                          env=environ, timeout=120, check=False)


def test_python_m_sim_cli_catches_the_usage_error_its_commands_raise(tmp_path):
    # sim/cli/main.py runs as __main__ beside the imported sim.cli.main: one error class.
    done = python("-m", "sim.cli.main", "troubleshoot", "nope", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("ikesim: no case 'nope'; known cases: chain-too-long, ")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_python_m_sim_is_the_command_and_version_has_one_source(tmp_path):
    done = python("-m", "sim", "--version", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"ikesim {sim.__version__}\n", "")
    assert metadata.version("ikesim") == sim.__version__  # pyproject.toml reads sim.__version__


def test_a_library_topology_runs_by_the_name_ikesim_list_shows(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["list"]) == 0
    assert "single-level " in capsys.readouterr().out
    assert main(["run", "single-level", "--out", "out", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("Results:  out/results.json\n")
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["scenario"] == "single-level"
    assert results["ikesim_version"] == sim.__version__
    # A file of that name wins over the library.
    (tmp_path / "single-level").write_text("name: [not, a, topology]\n")
    assert main(["run", "single-level", "--out", "other"]) == 2
    assert capsys.readouterr().err.startswith("ikesim: single-level")
    assert not (tmp_path / "other").exists()


def test_an_unexpected_exception_is_one_line_with_exit_70(tmp_path, capsys, monkeypatch):
    # A bug planted in `ikesim list`: the library's entries come back as None.
    monkeypatch.setattr(library, "entries", lambda root: None)
    assert main(["list"]) == 70
    assert capsys.readouterr().err == (
        "ikesim: internal error: TypeError: 'NoneType' object is not iterable "
        "(set IKESIM_DEBUG=1 for the traceback)\n")
    monkeypatch.setenv("IKESIM_DEBUG", "1")
    with pytest.raises(TypeError):
        main(["list"])


def test_argparse_errors_are_one_line(capsys):
    with pytest.raises(SystemExit, match="2"):
        main(["run"])
    assert capsys.readouterr().err == (
        "ikesim: the following arguments are required: TOPOLOGY "
        "(see `ikesim run --help`)\n")
    with pytest.raises(SystemExit, match="2"):
        main(["frobnicate"])
    err = capsys.readouterr().err
    assert err.startswith("ikesim: argument COMMAND: invalid choice: 'frobnicate'")
    assert err.count("\n") == 1
