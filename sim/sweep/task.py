"""One task of a study: the topology built with the task's settings and seed, run in a
temporary folder, and summarised as a row (and a table of its negotiations) from the
scenario's results in memory. A pure function of its arguments, so the same settings and
seed give the same row on any worker of any machine (wall time aside, in its own column)."""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

from sim.scenario import Scenario
from sim.sweep.grid import Task
from sim.topology import parse_topology

# Percentiles of the row, as column suffixes: p50 is the median.
PERCENTILES = (("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("max", 1.0))
NEGOTIATION_COLUMNS = ("initiator", "responder", "gateway", "reason", "started_s",
                       "duration_s", "phase1", "phase2", "error")
WALL_COLUMNS = ("wall_s",)  # the only columns that differ between two runs of one task


class TaskFailed(Exception):
    """A task's run failed: its one-line reason (a plain message, so that it crosses
    between processes and machines whatever the original exception was)."""


def run_task(text: str, source: str, task: Task) -> dict:
    """{"row": {...}, "negotiations": {column: [...]}} of one run; TaskFailed if the
    topology refuses these settings or the run fails."""
    wall = time.perf_counter()
    try:
        # The seed is the run's and the topology's: it also staggers `spread` events.
        topology = parse_topology(text, source=source, parameters=task.parameters(),
                                  seed=task.seed)
        with tempfile.TemporaryDirectory(prefix="ikesim-sweep-") as folder:
            scenario = Scenario.build(topology, out=Path(folder), seed=task.seed)
            scenario.run()
            outcome = summarise(scenario, task)
    except Exception as exc:  # whatever it was, the study reports it in the task's row
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TaskFailed(reason) from None
    outcome["row"]["wall_s"] = round(time.perf_counter() - wall, 3)
    return outcome


def summarise(scenario: Scenario, task: Task) -> dict:
    negotiations = scenario.results.in_order()
    done = [n for n in negotiations if n.phase1 == "done" and n.finished is not None]
    durations = sorted(n.finished - n.started for n in done)
    first = min((n.started for n in negotiations), default=0.0)
    # Up: the time from the first initiation until that share of all negotiations is done.
    ups = sorted(n.finished - first for n in done)
    downloads = [r for d in scenario.devices.values() for r in d.pkid.download_records]
    row: dict = {**dict(task.settings), "seed": task.seed,
                 "negotiations": len(negotiations), "done": len(done),
                 "failed": sum(n.phase1 == "failed" for n in negotiations),
                 "failure_rate": _ratio(len(negotiations) - len(done), len(negotiations))}
    for suffix, q in PERCENTILES:
        row[f"time_{suffix}_s"] = _percentile(durations, q, len(durations))
    for suffix, q in PERCENTILES[:3]:
        row[f"up_{suffix}_s"] = _percentile(ups, q, len(negotiations))
    row.update(crl_downloads=len(downloads),
               crl_downloads_failed=sum(not r.ok for r in downloads), error=None)
    table: dict[str, list] = {name: [value] * len(negotiations)
                              for name, value in (*task.settings, ("seed", task.seed))}
    table.update({name: [] for name in NEGOTIATION_COLUMNS})
    for n in negotiations:
        table["initiator"].append(n.initiator)
        table["responder"].append(n.responder)
        table["gateway"].append(n.gateway)
        table["reason"].append(n.reason)
        table["started_s"].append(round(n.started, 6))
        table["duration_s"].append(None if n.finished is None
                                   else round(n.finished - n.started, 6))
        table["phase1"].append(n.phase1)
        table["phase2"].append(n.phase2)
        table["error"].append(n.error)
    return {"row": row, "negotiations": table}


def _percentile(ordered: list[float], q: float, population: int) -> float | None:
    """Nearest rank of `population` (None when fewer than that rank are in `ordered`: the
    share was never reached)."""
    if population == 0:
        return None
    rank = max(1, math.ceil(q * population))
    return round(ordered[rank - 1], 6) if rank <= len(ordered) else None


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 6)
