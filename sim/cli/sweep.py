"""`ikesim sweep TOPOLOGY --set NAME=V1,V2 ... --seeds 1-20 [--workers N | --scheduler ADDR]
[--out DIR]`: a study, one run per combination of the settings and seed, on dask.distributed.

Every --set and --seeds value is checked against the topology's declared parameters before
any task starts (one line, exit 2). A task that fails twice is one line on stderr and a row
with its error in runs.parquet; the study then exits 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.cli.errors import UsageError
from sim.cli.run import topology_path, warn
from sim.junos.logs import syslog_escape
from sim.sweep.engine import MAX_WORKERS, EngineError, Outcome
from sim.sweep.study import StudyError, check_out, plan, run_plan, summary, write_study


def workers_value(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers "
                                         f"(1..{MAX_WORKERS})")
    return int(text)


def register(commands: argparse._SubParsersAction) -> None:
    sweep = commands.add_parser("sweep", help="run a study: every combination of settings "
                                              "and seeds, on dask.distributed")
    sweep.add_argument("topology", metavar="TOPOLOGY",
                       help="a topology file (YAML), or a topology's name from `ikesim list`")
    sweep.add_argument("--set", action="append", default=[], metavar="NAME=V1,V2",
                       dest="sets", help="a parameter's values (e.g. spokes=1000,10000); "
                                         "repeatable")
    sweep.add_argument("--seeds", default="1", metavar="SEEDS",
                       help="seeds such as 1-20 or 1,3,7 (default: 1)")
    where = sweep.add_mutually_exclusive_group()
    where.add_argument("--workers", type=workers_value, metavar="N",
                       help="worker processes of a LocalCluster (default: one per core)")
    where.add_argument("--scheduler", metavar="ADDR",
                       help="a dask scheduler (e.g. tcp://HOST:8786) whose workers have ikesim")
    sweep.add_argument("--out", metavar="DIR", help="output folder (default: sweeps/<name>/); "
                                                   "an earlier study there is replaced whole")
    sweep.set_defaults(handler=run_sweep)


def run_sweep(args: argparse.Namespace) -> int:
    try:
        planned = plan(topology_path(args.topology), sets=args.sets, seeds=args.seeds)
        out = Path(args.out) if args.out else Path("sweeps") / planned.topology.name
        check_out(out)
    except StudyError as exc:
        raise UsageError(str(exc)) from None
    warn(planned.topology)
    bar = _Bar(sys.stderr.isatty())
    wall = time.perf_counter()
    try:
        result = run_plan(planned, workers=args.workers, scheduler=args.scheduler,
                          progress=bar.update)
    except EngineError as exc:
        raise UsageError(str(exc)) from None
    finally:
        bar.close()
    elapsed = time.perf_counter() - wall
    written = write_study(result, out)
    for outcome in result.failed:
        # The error can quote the topology: escaped as any line ikesim did not write.
        print(syslog_escape(f"ikesim: sweep: {outcome.task.label}: failed "
                            f"{_times(outcome.attempts)}: {outcome.error}"), file=sys.stderr)
    print(summary(result))
    print(f"\n{len(result.outcomes)} runs in {elapsed:.1f} s")
    print(f"Runs:          {written[0]}")
    print(f"Negotiations:  {written[1]}")
    print(f"Plots:         {out / 'plots'}/ ({', '.join(p.name for p in written[2:])})")
    return 1 if result.failed else 0


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


class _Bar:
    """A progress bar on a terminal's stderr; nothing when stderr is not a terminal."""

    WIDTH = 30

    def __init__(self, show: bool) -> None:
        self.show, self.drawn = show, False

    def update(self, count: int, total: int, outcome: Outcome) -> None:
        if not self.show:
            return
        done = self.WIDTH * count // total
        sys.stderr.write(f"\r[{'#' * done}{'.' * (self.WIDTH - done)}] {count}/{total} runs")
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
