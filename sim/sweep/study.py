"""A study end to end, as `ikesim sweep` and a notebook use it:

    result = sweep("topologies/hub-and-spoke.yaml", sets=["spokes=5,10"], seeds="1-2",
                   workers=2)
    result.runs            # pyarrow Table: a row per run
    result.negotiations    # pyarrow Table: a row per negotiation of every run
    write_study(result, Path("sweeps/hub"))  # runs.parquet, negotiations.parquet, plots/
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pki.files import FileRefused, inside, read_regular, replace_folder, write_file
from sim.sweep.engine import Outcome, Progress, run_study
from sim.sweep.grid import Grid, GridError
from sim.sweep.plots import write_study_plots
from sim.sweep.tables import negotiations_table, parquet_bytes, runs_table
from sim.topology import Topology, parse_topology
from sim.topology.limits import TOPOLOGY_MAX_BYTES

MARKER = ".ikesim-sweep"  # the last file a study folder gets: it is complete


class StudyError(ValueError):
    """A study that cannot start (its topology, options or output folder): one line."""


@dataclass(frozen=True, kw_only=True)
class StudyResult:
    topology: Topology  # as loaded with the first run's settings
    grid: Grid
    outcomes: tuple[Outcome, ...]
    runs: pa.Table
    negotiations: pa.Table

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.error is not None)


@dataclass(frozen=True, kw_only=True)
class Plan:
    """A study checked and ready to run: the topology's text, its grid, and the topology
    loaded with the first run's settings (for its name and warnings)."""

    source: str
    text: str
    grid: Grid
    topology: Topology


def plan(path: str | Path, *, sets: Sequence[str], seeds: str) -> Plan:
    """The study the options describe, every --set and --seeds value checked against the
    topology's declared parameters, before any task starts."""
    source = str(path)
    try:
        data = read_regular(Path(path), limit=TOPOLOGY_MAX_BYTES)
        text = data.decode("utf-8")
    except FileRefused as exc:
        raise StudyError(f"{source}: {exc.problem}") from None
    except UnicodeDecodeError:
        raise StudyError(f"{source}: not UTF-8 text") from None
    try:
        grid = Grid.read(text, sets=sets, seeds=seeds)
    except GridError as exc:
        raise StudyError(f"{source}: {exc}") from None
    # Loaded once here with the first run's settings (not the defaults, which may be the
    # largest deployment): a topology that cannot load at all fails before any task starts.
    first = grid.tasks()[0]
    topology = parse_topology(text, source=source, parameters=first.parameters(),
                              seed=first.seed)  # TopologyError: one line, its own
    return Plan(source=source, text=text, grid=grid, topology=topology)


def run_plan(planned: Plan, *, workers: int | None = None, scheduler: str | None = None,
             progress: Progress | None = None) -> StudyResult:
    outcomes = tuple(run_study(planned.text, planned.source, planned.grid.tasks(),
                               workers=workers, scheduler=scheduler, progress=progress))
    return StudyResult(topology=planned.topology, grid=planned.grid, outcomes=outcomes,
                       runs=runs_table(outcomes), negotiations=negotiations_table(outcomes))


def sweep(path: str | Path, *, sets: Sequence[str], seeds: str, workers: int | None = None,
          scheduler: str | None = None, progress: Progress | None = None) -> StudyResult:
    return run_plan(plan(path, sets=sets, seeds=seeds), workers=workers, scheduler=scheduler,
                    progress=progress)


def check_out(out: Path) -> None:
    """A study folder may replace an earlier study, never a folder that holds anything else."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise StudyError(f"--out {out}: is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise StudyError(f"--out {out}: holds files that are not an ikesim study; choose "
                         "another folder")


def write_study(result: StudyResult, out: Path) -> list[Path]:
    """runs.parquet, negotiations.parquet and plots/<setting>.png in `out`, all or nothing:
    written beside it first and moved into place complete (an earlier study there is replaced
    whole)."""
    check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        write_file(inside(staging, "runs.parquet"), parquet_bytes(result.runs))
        write_file(inside(staging, "negotiations.parquet"), parquet_bytes(result.negotiations))
        plots = inside(staging, "plots")
        plots.mkdir()
        names = [p.name for p in write_study_plots(result.runs, plots)]
        write_file(inside(staging, MARKER), b"")
        replace_folder(staging, out)  # check_out said an earlier study there may go
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out / "runs.parquet", out / "negotiations.parquet",
            *(out / "plots" / name for name in names)]


def summary(result: StudyResult) -> str:
    """One line per combination of the settings: runs, Phase-1 done and failed over its
    seeds, the median of the runs' median and 99th-percentile times."""
    names = [name for name, _ in result.grid.settings]
    groups: dict[tuple, list[dict]] = {}
    for row in result.runs.to_pylist():
        groups.setdefault(tuple(row[n] for n in names), []).append(row)
    header = (*names, "runs", "failed runs", "done", "failed", "median p50", "median p99")
    table = [header]
    for key, rows in groups.items():
        ok = [r for r in rows if r["error"] is None]
        table.append((*(str(k) for k in key), str(len(rows)), str(len(rows) - len(ok)),
                      str(sum(r["done"] for r in ok)), str(sum(r["failed"] for r in ok)),
                      _median(r["time_p50_s"] for r in ok), _median(r["time_p99_s"] for r in ok)))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in table]
    head = (f"Study {result.topology.name}: {len(result.outcomes)} run"
            f"{'s' if len(result.outcomes) != 1 else ''}, {len(result.failed)} failed")
    return "\n".join([head, "", *lines])


def _median(values) -> str:
    present = sorted(v for v in values if v is not None)
    if not present:
        return "-"
    return f"{present[(len(present) - 1) // 2]:.3f} s"


__all__ = ["StudyError", "StudyResult", "check_out", "plan", "run_plan",
           "summary", "sweep", "write_study"]
