"""`ikesim sweep` on dask.distributed: the efficiency of 2 workers against 1, and the peak
memory of one task.

    .venv/bin/python benchmarks/bench_sweep.py [--spokes 200] [--seeds 1-8] [--workers 2]

(1) The same study (hub-and-spoke, `spokes` spokes, each seed one run) on a LocalCluster of 1
worker process and of `--workers`, wall time from the first task submitted to the last row
gathered, and the cluster's start-up apart. Efficiency is T(1) / (N x T(N)): 1.0 is a perfect
speed-up, and on a machine whose cores are busy with other work it says so. The rows of both
are compared (wall times aside): they must be equal. (2) The peak resident memory of one task,
run alone in a fresh process, less the same process's peak before the task (the interpreter
and ikesim's imports). Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import time
from pathlib import Path

from sim.sweep.engine import run_study
from sim.sweep.grid import Grid
from sim.sweep.tables import runs_table
from sim.sweep.task import WALL_COLUMNS

HUB = Path(__file__).resolve().parents[1] / "topologies" / "hub-and-spoke.yaml"


def study(text: str, grid: Grid, workers: int) -> tuple[float, float, list[dict]]:
    """(wall seconds of the study including the cluster's start-up, of the tasks alone, the
    rows without wall times)."""
    began = time.perf_counter()
    first: list[float] = []

    def progress(count: int, total: int, outcome) -> None:
        first.append(time.perf_counter())

    outcomes = run_study(text, str(HUB), grid.tasks(), workers=workers, progress=progress)
    total = time.perf_counter() - began
    rows = runs_table(outcomes).drop_columns(list(WALL_COLUMNS)).to_pylist()
    # From the first row back by the mean task time: the tasks' span without start-up.
    mean_task = sum(o.row["wall_s"] for o in outcomes if o.row) / len(outcomes)
    tasks = first[-1] - first[0] + mean_task
    return total, tasks, rows


def _peak_kb(spokes: int, run: bool, queue) -> None:
    from sim.sweep.grid import Task
    from sim.sweep.task import run_task
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if run:
        run_task(HUB.read_text(), str(HUB), Task(settings=(("spokes", spokes),), seed=1))
    queue.put((before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def task_peak_mb(spokes: int) -> tuple[float, float]:
    """(peak MB of a process that ran one task, of that process before it ran)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_peak_kb, args=(spokes, True, queue))
    child.start()
    before, after = queue.get()
    child.join()
    return after / 1024, before / 1024  # ru_maxrss is in KB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spokes", type=int, default=200)
    parser.add_argument("--seeds", default="1-8")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    text = HUB.read_text()
    grid = Grid.read(text, sets=[f"spokes={args.spokes}"], seeds=args.seeds)
    print(f"hub-and-spoke, {args.spokes} spokes, {grid.size} runs; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    one_total, one, rows_one = study(text, grid, 1)
    many_total, many, rows_many = study(text, grid, args.workers)
    print(f"1 worker:   {one:7.2f} s of tasks ({one_total:.2f} s with the cluster's start-up)")
    print(f"{args.workers} workers:  {many:7.2f} s of tasks ({many_total:.2f} s with start-up)")
    print(f"speed-up {one / many:.2f}x, efficiency {one / (args.workers * many):.2f} "
          f"(with start-up {one_total / (args.workers * many_total):.2f})")
    print(f"rows equal with 1 and {args.workers} workers: {rows_one == rows_many}")
    after, before = task_peak_mb(args.spokes)
    print(f"one task's peak memory: {after - before:.0f} MB above the process's "
          f"{before:.0f} MB before it ({after:.0f} MB in all)")


if __name__ == "__main__":
    main()
