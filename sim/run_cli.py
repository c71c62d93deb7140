"""`ikesim run TOPOLOGY [--seed N] [--out DIR] [--pcap FILE] [--until TIME]`.

Loads and checks the topology (a bad one fails before anything runs, in one line naming the
file and line), runs it, then prints a summary table and where everything was written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.durations import parse_duration
from sim.pcap import write_pcap
from sim.plots import write_plots
from sim.scenario import Scenario
from sim.topology import TopologyError, load_topology


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="run a topology scenario")
    run.add_argument("topology", metavar="TOPOLOGY", help="a topology file (YAML)")
    run.add_argument("--seed", type=int, help="random seed (default: the topology's)")
    run.add_argument("--out", metavar="DIR", help="output directory "
                                                  "(default: runs/<name>-<seed>/)")
    run.add_argument("--pcap", metavar="FILE",
                     help="write every ISAKMP packet to FILE and the IKE keys to FILE.keys")
    run.add_argument("--until", metavar="TIME", help="stop at this simulated time (e.g. 90s)")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="override a topology parameter (e.g. spokes=200); repeatable")
    run.add_argument("--quiet", action="store_true", help="print only where results went")
    run.set_defaults(handler=run_topology)


def run_topology(args: argparse.Namespace) -> int:
    from sim.cli import UsageError

    parameters = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--param {item}: expected NAME=VALUE")
        parameters[name.strip()] = value.strip()
    try:
        topology = load_topology(args.topology, parameters=parameters or None)
        until = parse_duration(args.until) if args.until else None
    except TopologyError as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:
        raise UsageError(f"--until: {exc}") from None
    seed = topology.seed if args.seed is None else args.seed
    out = Path(args.out) if args.out else Path("runs") / f"{topology.name}-{seed}"
    wall = time.perf_counter()
    scenario = Scenario.build(topology, out=out, seed=seed)
    _run_with_progress(scenario, until if until is not None else topology.duration)
    scenario.write()
    write_plots(scenario.results_json(), out / "plots")
    if args.pcap:
        _write_capture(scenario, Path(args.pcap))
    elapsed = time.perf_counter() - wall
    if not args.quiet:
        print(summary(scenario, elapsed))
    print(where(scenario, args.pcap))
    return 0


def _run_with_progress(scenario: Scenario, until: float) -> None:
    """Run in slices, drawing a progress bar on a terminal once a run takes a while."""
    show = sys.stderr.isatty()
    started = time.perf_counter()
    slices = 50
    for step in range(1, slices + 1):
        scenario.run(until=until * step / slices)
        if show and time.perf_counter() - started > 2.0:
            done = int(30 * step / slices)
            sys.stderr.write(f"\r[{'#' * done}{'.' * (30 - done)}] {step * 100 // slices:3d}%")
            sys.stderr.flush()
    if show and time.perf_counter() - started > 2.0:
        sys.stderr.write("\n")


def _write_capture(scenario: Scenario, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_pcap(path, scenario.world.network.capture, start=scenario.topology.start)
    lines = [f"{icookie.hex()},{key.hex()}" for icookie, key in scenario.key_table()]
    Path(f"{path}.keys").write_text("".join(f"{line}\n" for line in lines))


MANY = 20  # past this many negotiations the summary counts outcomes instead of listing them


def summary(scenario: Scenario, elapsed: float) -> str:
    negotiations = scenario.results.in_order()
    count = len(negotiations)
    head = (f"Scenario {scenario.topology.name} (seed {scenario.world.seed}): "
            f"{count} negotiation{'s' if count != 1 else ''}, "
            f"{_span(scenario.world.env.now)} simulated in {elapsed:.1f} s")
    rows = _by_outcome(negotiations) if count > MANY else _each(scenario, negotiations)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    table = "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                      .rstrip() for row in rows)
    tail = "\n(one record per negotiation in results.json)\n" if count > MANY else "\n"
    return f"{head}\n\n{table}\n{tail}"


def _each(scenario: Scenario, negotiations) -> list[tuple[str, ...]]:
    rows = [("#", "Started", "Initiator", "Responder", "Gateway", "Phase 1", "Phase 2",
             "Error", "Time")]
    for number, n in enumerate(negotiations, 1):
        started = scenario.world.at(n.started).strftime("%Y-%m-%d %H:%M:%S")
        duration = "-" if n.finished is None else f"{n.finished - n.started:.3f} s"
        rows.append((str(number), started, n.initiator, n.responder or "-", n.gateway,
                     n.phase1, n.phase2, n.error or "-", duration))
    return rows


def _by_outcome(negotiations) -> list[tuple[str, ...]]:
    """Counts and Phase-1 time percentiles per (Phase 1, Phase 2, error)."""
    groups: dict[tuple[str, str, str], list] = {}
    for n in negotiations:
        groups.setdefault((n.phase1, n.phase2, n.error or "-"), []).append(n)
    rows = [("Phase 1", "Phase 2", "Error", "Count", "Median", "95th pct", "Max")]
    for key, members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        times = sorted(n.finished - n.started for n in members if n.finished is not None)
        rows.append((*key, str(len(members)), _percentile(times, 0.5),
                     _percentile(times, 0.95), _percentile(times, 1.0)))
    return rows


def _percentile(times: list[float], q: float) -> str:
    if not times:
        return "-"
    return f"{times[min(len(times) - 1, int(q * len(times)))]:.3f} s"


def _span(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def where(scenario: Scenario, pcap: str | None) -> str:
    out = scenario.out
    lines = [f"Results:  {out / 'results.json'}",
             f"Logs:     {out / 'logs'}/<device>/kmd, pkid, messages",
             f"PKI:      {out / 'pki'}/<device>/, {out / 'pki' / 'cas'}/"]
    plots = sorted(p.name for p in (out / "plots").glob("*.png")) \
        if (out / "plots").is_dir() else []
    if plots:
        lines.append(f"Plots:    {out / 'plots'}/ ({', '.join(plots)})")
    if pcap:
        lines.append(f"Capture:  {pcap} (keys: {pcap}.keys)")
    first = next(iter(scenario.devices), None)
    if first is not None:
        lines.append(f'Inspect:  ikesim show {out} {first} "show security pki crl"   '
                     f"(or: ikesim cli {out} {first})")
    return "\n".join(lines)
