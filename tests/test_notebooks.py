"""The walk-throughs in notebooks/: each runs top to bottom in a fresh kernel of this very
interpreter, from notebooks/ or from the repository root, writes nothing into the repository,
and shows what its text promises. They are stored without outputs."""

from __future__ import annotations

import ast
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from sim.topology import load_topology

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CASES = ROOT / "topologies" / "cases"
KERNEL = "ikesim-this-python"
CELL_TIMEOUT = 120  # seconds; the slowest cell, the storm's capacity sweep, takes about 10
EXECUTED = ("multilevel-chain.ipynb", "troubleshooting.ipynb", "crl-storm.ipynb",
            "crl-sizing.ipynb")  # crl-sizing: tests/test_notebook_sizing.py
NOT_OURS = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache"}


# -- running notebooks ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kernels(tmp_path_factory) -> Path:
    """A kernelspec directory with one kernel: ipykernel on sys.executable. An installed
    `python3` kernelspec (user-wide, or another environment's) might start another Python."""
    folder = tmp_path_factory.mktemp("kernels")
    (folder / KERNEL).mkdir()
    (folder / KERNEL / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python ({sys.executable})", "language": "python"}))
    return folder


def execute(nb, *, cwd: Path, kernels: Path, allow_errors: bool = False):
    manager = AsyncKernelManager(
        kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
    client = NotebookClient(nb, km=manager, timeout=CELL_TIMEOUT, allow_errors=allow_errors,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def repository_files() -> set[Path]:
    found = set()
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in NOT_OURS and not d.endswith(".egg-info")]
        found.update(Path(folder, name).relative_to(ROOT) for name in files)
    return found


@dataclass
class Executed:
    nb: nbformat.NotebookNode
    created: set[Path]  # files that appeared in the repository while it ran
    changed: bool  # whether the stored notebook file changed
    seconds: float

    def cell(self, cell_id: str):
        (found,) = [c for c in self.nb.cells if c.get("id") == cell_id]
        return found


def run_notebook(name: str, *, cwd: Path, kernels: Path) -> Executed:
    path = NOTEBOOKS / name
    stored = path.read_bytes()
    before = repository_files()
    wall = time.perf_counter()
    nb = execute(nbformat.reads(stored.decode(), as_version=4), cwd=cwd, kernels=kernels)
    seconds = time.perf_counter() - wall
    return Executed(nb=nb, created=repository_files() - before,
                    changed=path.read_bytes() != stored, seconds=seconds)


def text(cell) -> str:
    """What the cell printed (and its result's plain text)."""
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream" and output.name == "stdout":
            parts.append(output.text)
        elif output.output_type == "execute_result":
            parts.append(output.data.get("text/plain", ""))
    return "".join(parts)


def images(cell) -> int:
    return sum("image/png" in output.get("data", {}) for output in cell.outputs)


def assigned(cell, name: str):
    """The literal a code cell assigns to `name` (a notebook's parameter)."""
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == [name]:
            return ast.literal_eval(node.value)
    raise AssertionError(f"cell {cell.id} does not set {name}")


@pytest.fixture(scope="module")
def multilevel(kernels) -> Executed:
    return run_notebook("multilevel-chain.ipynb", cwd=NOTEBOOKS, kernels=kernels)


@pytest.fixture(scope="module")
def troubleshooting(kernels) -> Executed:
    return run_notebook("troubleshooting.ipynb", cwd=ROOT, kernels=kernels)


@pytest.fixture(scope="module")
def storm(kernels) -> Executed:
    return run_notebook("crl-storm.ipynb", cwd=NOTEBOOKS, kernels=kernels)


# -- the kernel and the working directory -----------------------------------------------------


def setup_cells() -> list[str]:
    """The source of each notebook's first cell, the one that finds the checkout."""
    sources = []
    for name in EXECUTED:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        sources.append(next(c.source for c in nb.cells if c.get("id") == "setup"))
    return sources


@pytest.mark.parametrize("cwd", [ROOT, NOTEBOOKS], ids=["root", "notebooks"])
def test_kernel_is_this_interpreter_and_setup_finds_the_checkout(kernels, cwd):
    probe = "import sys\nprint(sys.executable)\nprint(sys.prefix)"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)
                                         for source in (probe, *setup_cells())])
    execute(nb, cwd=cwd, kernels=kernels)
    assert text(nb.cells[0]).splitlines() == [sys.executable, sys.prefix]
    for cell in nb.cells[1:]:
        assert text(cell) == f"ikesim checkout: {ROOT}\n"


def test_setup_outside_the_checkout_says_where_to_start(kernels, tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup_cells()[0])])
    execute(nb, cwd=tmp_path, kernels=kernels, allow_errors=True)
    (error,) = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert error.ename == "FileNotFoundError"
    assert f"no topologies/ directory in {tmp_path.resolve()} or above" in error.evalue


# -- stored without outputs -------------------------------------------------------------------


def test_every_notebook_is_executed_here():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXECUTED)


@pytest.mark.parametrize("name", EXECUTED)
def test_stored_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert all("execution" not in c.metadata for c in code)  # no timings either


@pytest.mark.parametrize("name", ["multilevel", "troubleshooting", "storm"])
def test_running_writes_nothing_into_the_repository(name, request):
    executed = request.getfixturevalue(name)
    assert executed.created == set()
    assert not executed.changed


# -- multilevel-chain -------------------------------------------------------------------------


def test_multilevel_first_negotiation_creates_dynamic_001_for_sales_ca(multilevel):
    printed = text(multilevel.cell("first-run"))
    assert "logs/Host-A/kmd:" in printed and "logs/Host-A/pkid:" in printed
    assert ("Dynamic CA profile dynamic-001 created for CA C = us, O = example, CN = Sales-CA, "
            "parent CA profile Root-CA") in printed
    assert "Phase-1 [initiator] done for local=ipv4(udp:500,[0..3]=30.1.1.31)" in printed


def test_multilevel_show_crl_lists_dynamic_001_with_sales_ca_as_issuer(multilevel):
    prompt, printed = text(multilevel.cell("show-crl")).split("\n", 1)
    assert prompt == "user@Host-A> show security pki crl"
    assert "CA profile: dynamic-001" in printed
    blocks = {block.splitlines()[0]: block for block in printed.split("\n\n")}
    assert list(blocks) == ["CA profile: Root-CA", "CA profile: Eng-CA", "CA profile: Dev-CA",
                            "CA profile: dynamic-001"]
    assert "CRL issuer: C = us, O = example, CN = Sales-CA" in blocks["CA profile: dynamic-001"]


def test_multilevel_revocation_fails_phase1_and_the_crl_lists_host_b(multilevel):
    assert ("Phase-1 [initiator] failed with error(Authentication failed)"
            in text(multilevel.cell("second-run")))
    printed = text(multilevel.cell("show-crl-detail"))
    assert printed.startswith("user@Host-A> show security pki crl ca-profile dynamic-001 detail\n"
                              "CA profile: dynamic-001\n")
    (serial,) = re.findall(r"Host-B's certificate: serial number ([0-9A-F]+)", printed)
    revoked = printed.split("Revocation List:\n")[1].split("\n\n")[0].splitlines()[1:]
    assert [row.split()[0] for row in revoked] == [serial]


def test_multilevel_draws_both_ladders_and_the_hierarchy(multilevel):
    for cell_id in ("ladder-first", "ladder-failed", "hierarchy"):
        assert images(multilevel.cell(cell_id)) == 1, cell_id


# -- troubleshooting --------------------------------------------------------------------------


def sections(printed: str) -> dict[str, str]:
    """The case-by-case output, by case name."""
    found = {}
    for part in printed.split("=" * 100 + "\n")[1:]:
        found[part.split(":", 1)[0]] = part
    return found


def test_troubleshooting_covers_every_case_in_the_directory(troubleshooting):
    names = sorted(p.stem for p in CASES.glob("*.yaml"))
    assert names, "topologies/cases/ holds the cases"
    listed = text(troubleshooting.cell("cases")).splitlines()
    assert listed[0] == f"{len(names)} cases in topologies/cases/:"
    assert [line.strip() for line in listed[1:]] == names
    assert sorted(sections(text(troubleshooting.cell("case-by-case")))) == names


def test_troubleshooting_shows_the_lines_then_the_resolution_of_each_case(troubleshooting):
    for name, section in sections(text(troubleshooting.cell("case-by-case"))).items():
        topology = load_topology(CASES / f"{name}.yaml")
        assert section.startswith(f"{name}: {topology.description}\n")
        look, resolution = section.split("\nLook for:\n")[1].split("\nResolution:\n")
        assert "(no line contains" not in look, name
        for entry in topology.troubleshoot.look_for:
            assert f"{entry.device} {entry.log}: " in look and entry.contains in look, name
        first = topology.troubleshoot.resolution.splitlines()[0]
        assert resolution.startswith(f"  {first}\n"), name


def test_troubleshooting_plots_the_outcomes_of_all_cases(troubleshooting):
    cell = troubleshooting.cell("outcomes")
    assert images(cell) == 1
    rows = text(cell).splitlines()
    assert [row.split()[0] for row in rows] == sorted(p.stem for p in CASES.glob("*.yaml"))
    assert all(re.search(r"  Phase-1 (done|failed)", row) for row in rows)


# -- crl-storm --------------------------------------------------------------------------------


def test_storm_run_accounts_for_every_spoke(storm):
    cell = storm.cell("one-run")
    spokes = assigned(cell, "SPOKES")
    (done, failed) = re.search(r"Phase-1: (\d+) done, (\d+) failed", text(cell)).groups()
    assert int(done) + int(failed) == spokes
    assert images(storm.cell("distribution")) == 1
    assert images(storm.cell("over-time")) == 1


def test_one_storm_with_its_own_defaults_is_a_storm(storm):
    """What the cell's text promises: spokes failing at the back of the CRL server's queue,
    and Phase-1 times of seconds (a negotiation without the queue takes a fraction of one)."""
    printed = text(storm.cell("one-run"))
    failed = int(re.search(r"Phase-1: \d+ done, (\d+) failed", printed).group(1))
    median_s = float(re.search(r"Phase-1 time median ([\d.]+) s", printed).group(1))
    assert failed > 0 and median_s > 2.0


def test_storm_sweep_has_a_point_per_capacity(storm):
    cell = storm.cell("sweep")
    capacities = assigned(cell, "CAPACITIES")
    spokes = assigned(cell, "SWEEP_SPOKES")
    rows = [line.split() for line in text(cell).splitlines()
            if re.fullmatch(r"\s*\d+\s+\d+\s+\d+\s+[\d.]+\s+[\d.]+", line)]
    assert [int(row[0]) for row in rows] == capacities
    assert all(int(done) + int(failed) == spokes for _, done, failed, _, _ in rows)
    medians = [float(row[3]) for row in rows]
    assert medians[0] > medians[-1]  # the queue at one download at a time shows
    assert images(cell) == 1
