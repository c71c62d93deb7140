"""A study's outcomes as two tables: runs (a row per task: settings, seed, counts,
percentiles, CRL downloads, error, wall time) and negotiations (a row per negotiation of every
run, with its run's settings and seed), and their Parquet bytes."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from sim.sweep.engine import Outcome
from sim.sweep.task import NEGOTIATION_COLUMNS, PERCENTILES, WALL_COLUMNS

_COUNT, _SECONDS, _TEXT = pa.int64(), pa.float64(), pa.string()
RUN_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("seed", pa.uint64()), ("negotiations", _COUNT), ("done", _COUNT), ("failed", _COUNT),
    ("failure_rate", pa.float64()),
    *((f"time_{suffix}_s", _SECONDS) for suffix, _ in PERCENTILES),
    *((f"up_{suffix}_s", _SECONDS) for suffix, _ in PERCENTILES[:3]),
    ("crl_downloads", _COUNT), ("crl_downloads_failed", _COUNT), ("error", _TEXT),
    ("attempts", _COUNT),
    *((name, _SECONDS) for name in WALL_COLUMNS))
_NEGOTIATION_TYPES = {"started_s": _SECONDS, "duration_s": _SECONDS}


def runs_table(outcomes: Sequence[Outcome]) -> pa.Table:
    names = _setting_names(outcomes)
    rows = [outcome.row if outcome.row is not None else
            {**dict(outcome.task.settings), "seed": outcome.task.seed, "error": outcome.error,
             "attempts": outcome.attempts}
            for outcome in outcomes]
    columns = {name: pa.array([row[name] for row in rows]) for name in names}
    for name, kind in RUN_COLUMNS:
        columns[name] = pa.array([row.get(name) for row in rows], type=kind)
    return pa.table(columns)


def negotiations_table(outcomes: Sequence[Outcome]) -> pa.Table:
    names = [*_setting_names(outcomes), "seed"]
    done = [o.negotiations for o in outcomes if o.negotiations is not None]
    columns = {}
    for name in names:
        kind = pa.uint64() if name == "seed" else None
        columns[name] = pa.array([v for table in done for v in table[name]], type=kind)
    for name in NEGOTIATION_COLUMNS:
        kind = _NEGOTIATION_TYPES.get(name, _TEXT)
        columns[name] = pa.array([v for table in done for v in table[name]], type=kind)
    return pa.table(columns)


def parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def _setting_names(outcomes: Sequence[Outcome]) -> list[str]:
    return [name for name, _ in outcomes[0].task.settings] if outcomes else []
