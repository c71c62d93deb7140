"""The layers of pki/ and sim/ (shared/ARCHITECTURE.md, docs/CONTRIBUTING.md): every module's
imports, read with `ast` (at the top and inside functions), make a graph that has no cycle and
whose edges point down the layer table below.

Imports under `if TYPE_CHECKING:` are annotations only: they name a type a caller passes in
(kmd's helpers take the Kmd that owns them) and never run, so they make no import circle; they
point down like any other import (a handler that reads the run above it names a Protocol of
what it reads: sim.world.run.Run, sim.report.finished.FinishedRun).
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]

# The layers, lowest first; a module may import from its own layer and the layers below it
# (shared/ARCHITECTURE.md's arrows). sim/ike is sans-I/O IKEv1, sim/esp the ESP packets under
# the SAs it agrees, sim/junos the configuration model, logs and operational commands (with the
# DeviceState they render), sim/topology the topology file, the plans read from it and the
# specs of the world's parts, sim/world the device world (the only SimPy code), sim/report
# what a run leaves behind, sim/scenario a topology made into a world, run and reported,
# sim/cli the `ikesim` command.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("pki",),
    ("sim",),  # the package itself: its __version__
    ("sim.ike",),
    ("sim.esp",),
    ("sim.junos",),
    ("sim.topology",),
    ("sim.world",),
    ("sim.report",),
    ("sim.scenario",),
    # the second driver (a scenario's device on the real clock and a socket), and studies of
    # many runs on dask.distributed
    ("sim.live", "sim.sweep"),
    ("sim.cli", "sim.__main__"),
)
# Only the device world and the live driver (simpy.rt's real-time clock) touch SimPy.
SIMPY = ("sim.world", "sim.live")


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, package: str, modules: set[str]) -> dict[str, bool]:
    """Every module name the tree imports, at any depth: True when only for annotations."""
    found: dict[str, bool] = {}
    todo: list[tuple[ast.AST, bool]] = [(tree, False)]
    while todo:
        node, annotation = todo.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend((child, True) for child in node.body)
            todo.extend((child, annotation) for child in node.orelse)
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            # `from sim.report import plots` imports the module sim.report.plots; a package's
            # own __init__, which every import of its modules runs, is no edge of its own.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                     for alias in node.names]
        for name in names:
            found[name] = found.get(name, True) and annotation
        todo.extend((child, annotation) for child in ast.iter_child_nodes(node))
    return found


def module_graph(root: Path) -> nx.DiGraph:
    """Modules of pki/ and sim/ under `root`, an edge for each import of one by another
    (sim.library, the topology files, has no modules), marked `annotation` when the import is
    for annotations only."""
    paths = {}
    for top in ("pki", "sim"):
        for path in sorted((root / top).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            paths[".".join(parts)] = path
    graph = nx.DiGraph()
    graph.add_nodes_from(paths)
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imports = _imports(ast.parse(path.read_text(), str(path)), package, set(paths))
        for target, annotation in imports.items():
            if target in paths and target != name:
                graph.add_edge(name, target, annotation=annotation)
            elif target == "simpy" or target.startswith("simpy."):
                graph.nodes[name]["simpy"] = True
    return graph


def layer_of(module: str) -> tuple[int, str]:
    """(rank, package) of the longest layer name that is the module or a package above it."""
    best = None
    for rank, names in enumerate(LAYERS):
        for name in names:
            # "sim" is the package's own module only; its subpackages have layers of their own.
            inside = module.startswith(name + ".") and name != "sim"
            if (module == name or inside) and (
                    best is None or len(name) > len(best[1])):
                best = (rank, name)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best


def violations(graph: nx.DiGraph) -> list[str]:
    run_time = graph.edge_subgraph(
        [(s, t) for s, t, annotation in graph.edges(data="annotation") if not annotation])
    found = [f"import circle: {' -> '.join(cycle)}" for cycle in nx.simple_cycles(run_time)]
    for source, target in graph.edges:
        (low, here), (high, there) = layer_of(source), layer_of(target)
        if high > low:
            found.append(f"{source} imports {target}: {there} is not below {here}")
    for module, simpy in graph.nodes(data="simpy"):
        if simpy and layer_of(module)[1] not in SIMPY:
            found.append(f"{module} imports simpy: only {', '.join(SIMPY)} may")
    return sorted(found)


def test_imports_point_down_and_never_circle() -> None:
    assert violations(module_graph(ROOT)) == []


def test_every_module_has_a_layer() -> None:
    # sim/ holds its layers' packages, and the modules that tie them together; a new module
    # finds its layer (test_imports_point_down_and_never_circle names one that has none).
    loose = sorted(p.name for p in (ROOT / "sim").glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "scenario.py"]


@pytest.mark.parametrize(("module", "line", "expected"), [
    ("pki/names.py", "from sim.ike.ids import IkeId",
     "pki.names imports sim.ike.ids: sim.ike is not below pki"),
    ("sim/junos/logs.py", "import simpy", "sim.junos.logs imports simpy: only"),
    ("sim/scenario.py", "import simpy", "sim.scenario imports simpy: only"),
    ("sim/ike/ids.py", "from sim.world import kmd",
     "sim.ike.ids imports sim.world.kmd: sim.world is not below sim.ike"),
    ("sim/world/network.py", "def f():\n    from sim.report.pcap import write_pcap",
     "sim.world.network imports sim.report.pcap: sim.report is not below sim.world"),
    ("sim/world/kmd.py", "from sim.cli.errors import UsageError",
     "sim.world.kmd imports sim.cli.errors: sim.cli is not below sim.world"),
    ("sim/topology/durations.py", "from sim.world import network",
     "sim.topology.durations imports sim.world.network"),
    ("sim/ike/ids.py", "from sim.esp import sa",
     "sim.ike.ids imports sim.esp.sa: sim.esp is not below sim.ike"),
    ("sim/world/network.py", "from sim.world.device import Device",
     "import circle: "),
    ("sim/world/kmd.py", "if TYPE_CHECKING:\n    from sim.report.run_files import write_run_files",
     "sim.world.kmd imports sim.report.run_files"),
    ("sim/junos/ops.py", "if TYPE_CHECKING:\n    from sim.scenario import Scenario",
     "sim.junos.ops imports sim.scenario: sim.scenario is not below sim.junos"),
])
def test_a_planted_violation_is_found(tmp_path: Path, module: str, line: str,
                                      expected: str) -> None:
    for top in ("pki", "sim"):
        shutil.copytree(ROOT / top, tmp_path / top, ignore=shutil.ignore_patterns(
            "__pycache__"))
    planted = tmp_path / module
    planted.write_text(planted.read_text() + "\n\n" + line + "\n")
    found = violations(module_graph(tmp_path))
    assert any(expected in problem for problem in found), found


def test_an_annotation_makes_no_circle_but_still_points_down() -> None:
    graph = module_graph(ROOT)
    # sim.world.quick_mode names the Kmd that owns it only in annotations; kmd imports it.
    assert graph.edges["sim.world.quick_mode", "sim.world.kmd"]["annotation"]
    assert not graph.edges["sim.world.kmd", "sim.world.quick_mode"]["annotation"]
    assert violations(graph) == []
