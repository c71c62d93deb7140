"""What `pip install .` gives: a wheel whose top-level packages are exactly pki and sim, with
the topology library inside sim (sim/library/), that lists, runs and troubleshoots from a
folder outside the checkout, with no IKESIM_TOPOLOGIES set."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What the build reads: the layout stays as it is in the repository.
SOURCES = ("pyproject.toml", "README.md", "pki", "sim", "topologies")


def _run(argv: list[str], **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, **kw)


@pytest.fixture(scope="module")
def wheel_and_target(tmp_path_factory) -> tuple[Path, Path]:
    """The wheel built from a copy of the sources (so the checkout gets no build/), and the
    folder it is installed into with `pip install --target`."""
    base = tmp_path_factory.mktemp("packaging")
    source = base / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source / name)
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                  "--quiet", str(source), "-w", str(base / "wheels")])
    assert built.returncode == 0, built.stderr
    (wheel,) = (base / "wheels").glob("ikesim-*.whl")
    target = base / "site"
    installed = _run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
                      "--target", str(target), str(wheel)])
    assert installed.returncode == 0, installed.stderr
    return wheel, target


def _python_files(folder: Path) -> set[str]:
    return {str(p.relative_to(ROOT)) for p in folder.rglob("*.py") if "__pycache__" not in p.parts}


def test_the_wheel_holds_pki_and_sim_and_the_library_inside_sim(wheel_and_target):
    wheel, _ = wheel_and_target
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (top_level,) = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        assert archive.read(top_level).decode().split() == ["pki", "sim"]
    info = top_level.split("/")[0]
    assert {n.split("/")[0] for n in names} == {"pki", "sim", info}
    # Every module of the repository, and nothing else of it (no tests, no benchmarks).
    assert {n for n in names if n.endswith(".py")} == \
        _python_files(ROOT / "pki") | _python_files(ROOT / "sim")
    library = {str(p.relative_to(ROOT / "topologies")) for p in (ROOT / "topologies").rglob("*")
               if p.is_file()}
    assert {n.removeprefix("sim/library/") for n in names
            if n.startswith("sim/library/")} == library
    assert "cases/proposal-mismatch.yaml" in library


def test_the_installed_copy_lists_runs_and_troubleshoots_from_elsewhere(wheel_and_target,
                                                                         tmp_path):
    _, target = wheel_and_target
    # PYTHONPATH comes before the test environment's editable finder (appended to
    # sys.meta_path), so the installed copy is the one imported: checked below.
    env = {key: value for key, value in os.environ.items() if key != "IKESIM_TOPOLOGIES"}
    env["PYTHONPATH"] = str(target)
    commands = {
        "list": ["-m", "sim", "list"],
        "run": ["-m", "sim", "run", "single-level", "--quiet", "--out", "single"],
        "troubleshoot": ["-m", "sim", "troubleshoot", "proposal-mismatch", "--out", "case"],
    }
    # Started together: each pays the imports' second or so.
    processes = {name: subprocess.Popen([sys.executable, *argv], cwd=tmp_path, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
                 for name, argv in commands.items()}
    done = {name: (p.wait(timeout=300), *p.communicate()) for name, p in processes.items()}
    for name, (code, _, err) in done.items():
        assert code == 0, (name, err)
    # The library is found beside the imported sim package: the installed one.
    assert f"From {target / 'sim' / 'library'}." in done["list"][1]
    assert "proposal-mismatch" in done["list"][1]
    assert done["run"][1].startswith("Results:  single/results.json\n")
    assert (tmp_path / "single" / "results.json").is_file()
    assert "Resolution:" in done["troubleshoot"][1]
