"""results.json, and for a large run its records in columnar form.

A run of up to PARQUET_THRESHOLD negotiations writes every record into results.json. Past it,
the negotiations go to `results.parquet` and the CRL downloads to `crl-downloads.parquet`
(one row per record, one column per field, in the order results.json would list them), and
results.json keeps everything else, a summary of the outcomes, and where the tables are:

    "tables": {"negotiations": "results.parquet", "crl_downloads": "crl-downloads.parquet"},
    "summary": {"negotiations": 100000, "outcomes": [{"phase1": "done", ..., "count": 99990}]}

`read_results(run_dir)` gives the results.json dict of either form, the tables read back
into the lists results.json would hold, so plots and notebooks read both alike. A field whose
values are all text, all whole numbers, all numbers or all booleans (or missing) is a column
of that type; any other (the messages, pkid's steps) is a column of its JSON text, marked as
such in the column's metadata. The bytes are a function of the records (and pyarrow's
version, which Parquet files name): the same topology and seed give the same files.
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

from pki.files import FileRefused, inside, read_regular, write_file
from sim.junos.state_file import write_json

PARQUET_THRESHOLD = 5_000  # negotiations; more go to results.parquet
TABLES = {"negotiations": "results.parquet", "crl_downloads": "crl-downloads.parquet"}
_JSON = {b"ikesim": b"json"}  # the metadata of a column that holds JSON text
# results.json is ours, yet a run folder may come from anyone: bounded reads.
RESULTS_LIMIT = 2 * 1024 ** 3
TABLE_LIMIT = 2 * 1024 ** 3


class ResultsError(ValueError):
    """A run folder's results that do not read back (one line naming the file)."""


def write_results(root: Path, record: dict) -> Path:
    """results.json (and the tables, past the threshold) under `root`; the path of
    results.json."""
    path = inside(root, "results.json")
    if len(record.get("negotiations", ())) <= PARQUET_THRESHOLD:
        write_json(path, record)
        return path
    head = {key: value for key, value in record.items() if key not in TABLES}
    head["tables"] = dict(TABLES)
    head["summary"] = summary(record["negotiations"])
    for key, name in TABLES.items():
        write_file(inside(root, name), table_bytes(record.get(key, [])))
    write_json(path, head)
    return path


def read_results(run_dir: Path) -> dict:
    """The results.json dict of the run at `run_dir`, its tables read back into lists."""
    try:
        record = json.loads(read_regular(inside(run_dir, "results.json"), limit=RESULTS_LIMIT))
    except ValueError as exc:  # FileRefused is one too
        raise ResultsError(f"{run_dir}/results.json: {exc}") from None
    tables = record.pop("tables", None) if isinstance(record, dict) else None
    if tables is None:
        return record
    if tables != TABLES:
        raise ResultsError(f"{run_dir}/results.json: tables: expected {TABLES}")
    record.pop("summary", None)
    for key, name in TABLES.items():
        try:
            record[key] = table_records(read_regular(inside(run_dir, name), limit=TABLE_LIMIT))
        except (FileRefused, ValueError) as exc:
            raise ResultsError(f"{run_dir}/{name}: {exc}") from None
    return record


def summary(negotiations: list[Mapping]) -> dict:
    """Counts and Phase-1 duration percentiles per (Phase 1, Phase 2, error), the most
    frequent first."""
    groups: dict[tuple, list[float]] = defaultdict(list)
    counts: dict[tuple, int] = defaultdict(int)
    for n in negotiations:
        key = (n["phase1"], n["phase2"], n["error"])
        counts[key] += 1
        if n["duration_s"] is not None:
            groups[key].append(n["duration_s"])
    outcomes = []
    for key in sorted(counts, key=lambda k: (-counts[k], tuple(map(str, k)))):
        times = sorted(groups[key])
        outcomes.append({"phase1": key[0], "phase2": key[1], "error": key[2],
                         "count": counts[key],
                         **{name: times[min(len(times) - 1, int(q * len(times)))] if times
                            else None for name, q in (("median_s", 0.5), ("p95_s", 0.95),
                                                       ("max_s", 1.0))}})
    return {"negotiations": len(negotiations), "outcomes": outcomes}


# -- records <-> Parquet ------------------------------------------------------------------

def table_bytes(records: list[Mapping]) -> bytes:
    """One Parquet file of `records` (dicts with the same keys, in the same order)."""
    import pyarrow as pa  # a second of import: only a large run pays it
    import pyarrow.parquet as pq

    names = list(records[0]) if records else []
    fields, columns = [], []
    for name in names:
        values = [r[name] for r in records]
        kind = _kind(values)
        if kind is None:
            fields.append(pa.field(name, pa.string(), metadata=_JSON))
            columns.append(pa.array([json.dumps(v, separators=(",", ":")) for v in values],
                                    pa.string()))
        else:
            fields.append(pa.field(name, kind))
            columns.append(pa.array(values, kind))
    table = pa.Table.from_arrays(columns, schema=pa.schema(fields))
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def table_records(data: bytes) -> list[dict]:
    """The records table_bytes wrote."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as exc:
        raise ResultsError(f"not a Parquet table ({exc})") from None
    encoded = [f.name for f in table.schema if (f.metadata or {}) == _JSON]
    rows = table.to_pylist()
    for row in rows:
        for name in encoded:
            row[name] = json.loads(row[name])
    return rows


def _kind(values: list) -> object | None:
    """The Arrow type every value fits (None: a JSON text column)."""
    import pyarrow as pa

    kinds = {type(v) for v in values if v is not None}
    for python, arrow in ((str, pa.string()), (bool, pa.bool_()), (int, pa.int64()),
                          (float, pa.float64())):
        if kinds <= {python}:
            return arrow
    return None
