"""`ikesim run TOPOLOGY [--seed N] [--out DIR] [--pcap FILE] [--until TIME]`.

Loads and checks the topology (a bad one fails before anything runs, in one line naming the
file and line), runs it into a staging folder that replaces the run folder only once complete
(sim.report.run_folder), then prints a summary table and where everything was written. TOPOLOGY is a
file, or the name of a topology in the library (`ikesim list`).
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

from pki.files import FileRefused, check_file_target, inside, shown, write_file
from pki.loaders import LoadError
from pki.store import StoreError
from sim.cli.errors import UsageError
from sim.junos.logs import syslog_escape
from sim.report.pcap import pcap_bytes
from sim.report.plots import write_plots
from sim.report.results_table import PARQUET_THRESHOLD, TABLES
from sim.report.run_folder import RunFolder
from sim.report.traffic_events import esp_sa_table, traffic_summary
from sim.report.wireshark import ike_key_lines, tshark_instructions
from sim.scenario import Scenario
from sim.topology import Topology, load_topology
from sim.topology.durations import format_duration, parse_duration
from sim.topology.enroll_events import re_enrollment_problem
from sim.topology.library import LibraryNotFound, entries, topologies_dir
from sim.topology.limits import LONGEST_RUN, MAX_SEED
from sim.topology.workload import workload_problem

SEED_MAX = MAX_SEED  # as a topology's `seed`


def seed_value(text: str) -> int:
    try:
        if not (text.isascii() and text.strip().lstrip("+-").isdigit()):
            raise ValueError(text)  # int() would also take '３' and '1_000'
        seed = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{shown(text)} is not a whole number") from None
    if not 0 <= seed <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"{seed} is out of range (0..{SEED_MAX})")
    return seed


def until_value(text: str) -> float:
    """--until: as long as a topology's `duration` may be, and more than nothing."""
    try:
        return parse_duration(text, at_most=LONGEST_RUN, positive=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="run a topology scenario")
    run.add_argument("topology", metavar="TOPOLOGY",
                     help="a topology file (YAML), or a topology's name from `ikesim list`")
    run.add_argument("--seed", type=seed_value,
                     help=f"random seed, 0..{SEED_MAX} (default: the topology's)")
    run.add_argument("--out", metavar="DIR", help="output directory "
                                                  "(default: runs/<name>-<seed>/); an earlier "
                                                  "run there is replaced whole")
    run.add_argument("--pcap", metavar="FILE",
                     help="write every ISAKMP and ESP packet to FILE, the IKE keys to "
                          "FILE.keys and the ESP keys to FILE.esp_sa")
    run.add_argument("--until", metavar="TIME", type=until_value,
                     help="stop at this simulated time (e.g. 90s)")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="override a topology parameter (e.g. spokes=200); repeatable")
    run.add_argument("--keep", action="append", default=[], metavar="DEVICE",
                     help="also keep this group member's files (logs, store, state) for "
                          "`ikesim show`; a name or a wildcard such as 'Spoke-1*'; repeatable")
    run.add_argument("--quiet", action="store_true", help="print only where results went")
    run.set_defaults(handler=run_topology)


def run_topology(args: argparse.Namespace) -> int:
    parameters = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--param {item}: expected NAME=VALUE")
        parameters[name.strip()] = value.strip()
    topology = kept(load_topology(topology_path(args.topology), parameters=parameters or None),
                    args.keep)
    if args.until is not None and args.until > topology.duration:
        # The topology's limits were checked for its duration; a longer run, again.
        problem = workload_problem(topology.devices, topology.links, topology.events,
                                   args.until) or re_enrollment_problem(
            topology.devices, topology.cas, args.until)
        if problem is not None:
            raise UsageError(f"--until {format_duration(args.until)}: {problem}")
    warn(topology, args.until)
    seed = topology.seed if args.seed is None else args.seed
    out = Path(args.out) if args.out is not None else Path("runs") / f"{topology.name}-{seed}"
    capture = capture_path(args.pcap, out) if args.pcap else None
    wall = time.perf_counter()
    scenario = execute(topology, out=out, seed=seed, until=args.until, capture=capture,
                       progress=True)
    elapsed = time.perf_counter() - wall
    if not args.quiet:
        print(summary(scenario, elapsed))
    print(where(scenario, out, args.pcap))
    return 0


def kept(topology: Topology, patterns: list[str]) -> Topology:
    """The topology with the devices `--keep` names kept (sim.topology.expand: members of a
    group keep no files unless named); a pattern that names no device is refused."""
    devices = dict(topology.devices)
    for pattern in patterns:
        match = re.compile(fnmatch.translate(pattern)).match
        names = [name for name in devices if match(name)]
        if not names:
            raise UsageError(f"--keep {shown(pattern)}: names no device of {topology.name}")
        for name in names:
            devices[name] = replace(devices[name], keep=True)
    return replace(topology, devices=MappingProxyType(devices)) if patterns else topology


def topology_path(argument: str) -> Path:
    """The file `argument` names, else the library topology of that name."""
    path = Path(argument)
    if path.exists():
        return path
    try:
        found = [e.path for e in entries(topologies_dir()) if e.name == argument]
    except LibraryNotFound:
        found = []
    if not found:
        raise UsageError(f"{argument}: no such file, nor a topology of that name in the "
                         "library (see `ikesim list`)")
    return found[0]


def warn(topology: Topology, until: float | None = None) -> None:
    """The topology's warnings (statements accepted but not modelled), and events the run
    ends before (once per topology line: a wildcard makes many), one line each."""
    end = topology.duration if until is None else until
    late: dict[int, str] = {}
    for event in topology.events:
        if event.at >= end and event.line not in late:
            late[event.line] = (f"{topology.source} line {event.line}: events.{event.action}: "
                                f"at {format_duration(round(event.at, 3))} comes when the run "
                                f"has ended ({format_duration(end)}); it does not happen")
    for line in (*topology.warnings, *late.values()):
        print(f"ikesim: warning: {syslog_escape(line)}", file=sys.stderr)


def capture_path(argument: str, out: Path) -> Path:
    """--pcap FILE, checked before anything runs: its folder exists, it is not a folder, and
    it is not inside the run folder (which a run replaces whole)."""
    path = Path(argument)
    if path.name in ("", ".", ".."):
        raise UsageError(f"--pcap {argument}: name a file")
    if not path.parent.is_dir():
        problem = "is not a folder" if path.parent.exists() else "does not exist"
        raise UsageError(f"--pcap {argument}: the folder {path.parent} {problem} (ikesim does "
                         "not create it)")
    for target in (path, Path(f"{path}.keys"), Path(f"{path}.esp_sa")):
        try:
            check_file_target(target)
        except FileRefused as exc:
            detail = exc.problem if target == path else str(exc)  # the .keys file: named
            raise UsageError(f"--pcap {argument}: {detail}") from None
    resolved, run = path.parent.resolve() / path.name, out.resolve()
    if resolved.is_relative_to(run):
        raise UsageError(f"--pcap {argument}: is inside the run folder {out}, which each run "
                         "replaces whole; write the capture elsewhere")
    return path


def execute(topology: Topology, *, out: Path, seed: int | None = None,
            until: float | None = None, plots: bool = True, capture: Path | None = None,
            progress: bool = False) -> Scenario:
    """Build, run and write a scenario into `out`, all or nothing (sim.report.run_folder); a file
    system that refuses a write is one UsageError, and `out` is left as it was. The capture
    is written once the run is in place."""
    with RunFolder.open(out) as folder:

        def named(text: object) -> str:  # as the user knows the folder, not its staging name
            return str(text).replace(str(folder.path), str(out))

        try:
            scenario = Scenario.build(topology, out=folder.path, seed=seed)
            _run(scenario, until if until is not None else topology.duration, progress)
            record = scenario.write()
            if plots:
                write_plots(record, inside(folder.path, "plots"))
            folder.commit(scenario=topology.name, seed=scenario.world.seed)
        except FileRefused as exc:
            raise FileRefused(named(exc.source), named(exc.problem)) from None
        except (StoreError, LoadError) as exc:
            raise UsageError(named(exc)) from None
        except OSError as exc:
            where = f"{named(exc.filename)}: " if exc.filename else ""
            raise UsageError(f"{out}: the run could not be written ({where}"
                             f"{exc.strerror or exc}); {out} is as it was") from None
    if capture is not None:
        # After the run is in place: a capture that cannot be written leaves a complete run.
        try:
            _write_capture(scenario, capture)
        except (FileRefused, OSError) as exc:
            problem = exc.problem if isinstance(exc, FileRefused) else exc.strerror or exc
            raise UsageError(f"--pcap {capture}: could not be written ({problem}); the run in "
                             f"{out} is complete") from None
    return scenario


def _run(scenario: Scenario, until: float, progress: bool) -> None:
    """Run in slices, drawing a progress bar on a terminal once a run takes a while."""
    show = progress and sys.stderr.isatty()
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
    """The pcap and its key table, each replaced atomically; the keys are key material, so
    mode 0600 like the private keys."""
    keys, esp_keys = Path(f"{path}.keys"), Path(f"{path}.esp_sa")
    for target in (path, keys, esp_keys):  # again: the run took a while
        check_file_target(target)
    write_file(path, pcap_bytes(scenario.world.network.capture, start=scenario.topology.start))
    lines = ike_key_lines(scenario.key_table())
    write_file(keys, "".join(f"{line}\n" for line in lines).encode(), mode=0o600)
    # The ESP SAs' keys in Wireshark's esp_sa table format (sim.report.traffic_events).
    write_file(esp_keys, "".join(f"{line}\n" for line in esp_sa_table(scenario)).encode(),
               mode=0o600)


MANY = 20  # past this many negotiations the summary counts outcomes instead of listing them


def summary(scenario: Scenario, elapsed: float) -> str:
    negotiations = scenario.results.in_order()
    count = len(negotiations)
    head = (f"Scenario {scenario.topology.name} (seed {scenario.world.seed}): "
            f"{count} negotiation{'s' if count != 1 else ''}, "
            f"{_span(scenario.world.env.now)} simulated in {elapsed:.1f} s")
    rows = _by_outcome(negotiations) if count > MANY else _each(scenario, negotiations)
    # Names and error texts can come from a peer: escaped as a log line would be.
    rows = [tuple(syslog_escape(cell) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    table = "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                      .rstrip() for row in rows)
    records = "results.parquet" if count > PARQUET_THRESHOLD else "results.json"
    tail = f"\n(one record per negotiation in {records})\n" if count > MANY else "\n"
    traffic = traffic_summary(scenario)  # pings and flows (sim.report.traffic_events)
    return f"{head}\n\n{table}\n{tail}" + (f"{traffic}\n\n" if traffic else "")


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


def where(scenario: Scenario, out: Path, pcap: str | None) -> str:
    tables = [out / name for name in TABLES.values() if (out / name).is_file()]
    lines = [f"Results:  {out / 'results.json'}"
             + (f" (records: {', '.join(map(str, tables))})" if tables else ""),
             f"Logs:     {out / 'logs'}/<device>/kmd, pkid, messages",
             f"PKI:      {out / 'pki'}/<device>/, {out / 'pki' / 'cas'}/"]
    plots = sorted(p.name for p in (out / "plots").glob("*.png")) \
        if (out / "plots").is_dir() else []
    if plots:
        lines.append(f"Plots:    {out / 'plots'}/ ({', '.join(plots)})")
    for folder, label, reader in (
            ("scep", "SCEP:    ", "openssl cms -cmsout -print -inform DER -in FILE"),
            ("ocsp", "OCSP:    ", "openssl ocsp -respin FILE -resp_text -noverify")):
        kept = sorted((out / folder).glob("*.p7" if folder == "scep" else "*.ocsp")) \
            if (out / folder).is_dir() else []
        if kept:
            lines.append(f"{label} {out / folder}/ ({len(kept):,} messages, DER: {reader})")
    if pcap:
        # The name came from the command line: escaped, as anything else not ikesim's.
        lines.append(syslog_escape(f"Capture:  {pcap} (keys: {pcap}.keys, ESP keys: "
                                   f"{pcap}.esp_sa)"))
    first = next((name for name, d in scenario.devices.items() if d.keep), None)
    if first is not None:
        lines.append(f'Inspect:  ikesim show {out} {first} "show security pki crl"   '
                     f"(or: ikesim cli {out} {first})")
    if pcap:
        # The tshark command last, where a user copies it from.
        lines += tshark_instructions(pcap, ike_key_lines(scenario.key_table()),
                                     esp_sa_table(scenario))
    return "\n".join(lines)
