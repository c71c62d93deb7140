"""`ikesim list` and `ikesim troubleshoot CASE [--out DIR]`: the library of topologies that comes
with ikesim, the guide's examples and its troubleshooting cases.

    ikesim list                          every topology, with its one-line description
    ikesim troubleshoot proposal-mismatch
        runs topologies/cases/proposal-mismatch.yaml, prints the log lines that show the
        problem (device and log named), then "Resolution:" and what the guide says to do;
        exit status 1 when a look-for entry finds no line (the case did not reproduce);
        writes the run's plots too (the failed negotiation's ladder among them) and prints where.

Where the library is: sim.topology.library.
"""

from __future__ import annotations

import argparse
import textwrap
import time
from pathlib import Path

from sim.cli.errors import UsageError
from sim.cli.run import execute, summary, warn
from sim.scenario import Scenario
from sim.topology import LookFor, Topology, TopologyError, load_topology
from sim.topology.library import CASES, LibraryNotFound, case_names, entries, topologies_dir

# -- commands ---------------------------------------------------------------------------------


def register(commands: argparse._SubParsersAction) -> None:
    listing = commands.add_parser("list", help="list the topologies and troubleshooting cases "
                                               "that come with ikesim")
    listing.set_defaults(handler=list_library)
    trouble = commands.add_parser(
        "troubleshoot", help="run a troubleshooting case and show the log lines that give the "
                             "problem away, then the guide's resolution")
    trouble.add_argument("case", metavar="CASE", help="a case name from `ikesim list`")
    trouble.add_argument("--out", metavar="DIR",
                         help="output directory (default: runs/<case>-<seed>/)")
    trouble.set_defaults(handler=troubleshoot)


def _library() -> Path:
    try:
        return topologies_dir()
    except LibraryNotFound as exc:
        raise UsageError(str(exc)) from None


def list_library(args: argparse.Namespace) -> int:
    root = _library()
    rows = [("Name", "Kind", "Description")]
    broken = False
    for entry in entries(root):
        try:
            description = load_topology(entry.path).description or "-"
        except TopologyError as exc:
            description = f"cannot load: {exc}"
            broken = True
        rows.append((entry.name, entry.kind, description))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for name, kind, description in rows:
        print(f"{name.ljust(widths[0])}  {kind.ljust(widths[1])}  {description}".rstrip())
    print(f"\nFrom {root}. Run a topology: ikesim run NAME; a case: ikesim troubleshoot NAME")
    return 2 if broken else 0


def troubleshoot(args: argparse.Namespace) -> int:
    root = _library()
    known = case_names(root)
    if args.case not in known:
        raise UsageError(f"no case {args.case!r}; known cases: {', '.join(known)}")
    path = root / CASES / f"{args.case}.yaml"
    try:
        topology = load_topology(path)
    except TopologyError as exc:
        raise UsageError(str(exc)) from None
    if topology.troubleshoot is None:
        raise UsageError(f"{path}: has no troubleshoot section")
    warn(topology)
    out = Path(args.out) if args.out else Path("runs") / f"{args.case}-{topology.seed}"
    wall = time.perf_counter()
    scenario = execute(topology, out=out)
    print(summary(scenario, time.perf_counter() - wall))
    missing = report(topology, scenario)
    print(f"\nLogs:  {out / 'logs'}/<device>/kmd, pkid")
    plots = sorted(p.name for p in (out / "plots").glob("*.png"))
    print(f"Plots: {out / 'plots'}/ ({', '.join(plots)})")
    return 1 if missing else 0


def matches(scenario: Scenario, look: LookFor) -> list[str]:
    """The lines of `look.device`'s kmd or pkid log (as `show log` prints them) that contain
    the text."""
    device = scenario.devices[look.device]
    log = device.kmd_log if look.log == "kmd" else device.pkid_log
    return [line for line in log.lines if look.contains in line]


def report(topology: Topology, scenario: Scenario) -> int:
    """Print the lines each look-for entry finds (each line once), then the resolution;
    returns how many entries found nothing."""
    assert topology.troubleshoot is not None
    shown: set[tuple[str, str, str]] = set()
    missing = 0
    print("Look for:")
    for look in topology.troubleshoot.look_for:
        found = matches(scenario, look)
        label = f"{look.device} {look.log}:"
        if not found:
            missing += 1
            print(f"  {label} (no line contains {look.contains!r})")
        for line in found:
            if (look.device, look.log, line) not in shown:
                shown.add((look.device, look.log, line))
                print(f"  {label} {line}")
    causes = [f"{n.initiator} -> {n.peer_address}: {n.network_cause}"
              for n in scenario.results.in_order() if n.network_cause]
    if causes:
        # What the path did, which no device logs (results.json's network_cause).
        print("\nOn the path (results.json, network_cause):")
        for cause in causes:
            print(f"  {cause}")
    print("\nResolution:")
    print(textwrap.indent(topology.troubleshoot.resolution, "  "))
    return missing
