"""`ikesim pki verify --at scenario[+OFFSET]`: a moment of a run, on the run's own clock.

A run's certificates are checked as its devices saw them: at the run's date (its CAs may have
expired years ago in real time), with each CA's CRL current at that moment, taken from the
CRL history the run kept (sim.report.crl_history). `scenario` is the end of the run; `scenario+9m`
is 9 minutes after its start, as the topology's event times are written.

The run folder is the nearest folder above the certificate that holds a complete run. Its
crls.json is read as hostile input: bounded in size, every field checked, and each CRL file
found from the CA's name (a checked name) and its number, never from a path in the file.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from pki.files import FileRefused, check_name, inside, read_regular, shown
from sim.cli.errors import UsageError
from sim.report.crl_history import HISTORY_FOLDER, INDEX_FILE, INDEX_FORMAT, crl_file_name, iso
from sim.report.run_folder import is_run_folder
from sim.topology.durations import LONGEST_DURATION, parse_duration
from sim.topology.limits import CA_FOLDER

KEYWORD = "scenario"
# crls.json holds one short record per publication (a topology publishes at most 100,000
# CRLs per CA in a week); larger than this is not a file ikesim wrote.
INDEX_MAX_BYTES = 32 * 1024 * 1024


def is_scenario_time(text: str) -> bool:
    return text == KEYWORD or text.startswith(KEYWORD + "+")


@dataclass(frozen=True, kw_only=True)
class RunCrl:
    """The CRL a CA had published last at the chosen moment."""
    ca: str
    path: Path
    published: dt.datetime
    published_s: float


@dataclass(frozen=True, kw_only=True)
class ScenarioMoment:
    run: Path
    at: dt.datetime
    offset_s: float
    crls: tuple[RunCrl, ...]

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("a scenario moment is timezone-aware")
        if not math.isfinite(self.offset_s) or self.offset_s < 0:
            raise ValueError(f"offset {self.offset_s!r} is not a time in the run")


def find_run(path: Path) -> Path | None:
    """The nearest folder above `path` that holds a complete ikesim run."""
    for folder in Path(path).resolve().parents:
        if is_run_folder(folder):
            return folder
    return None


def scenario_moment(text: str, cert: str) -> ScenarioMoment:
    """Resolve `--at scenario[+OFFSET]` for the certificate file `cert`."""
    run = find_run(Path(cert))
    if run is None:
        raise UsageError(f"--at {shown(text)}: {shown(cert)} is not inside an ikesim run folder "
                         f"(no .ikesim-run above it); give an ISO 8601 time instead")
    index = _read_index(run)
    try:
        start, end_s = _time(index, "start"), _seconds(index, "end_s", LONGEST_DURATION)
        start + dt.timedelta(seconds=end_s)
    except OverflowError:
        raise _bad(run, "end_s is past the year 9999") from None
    except _Malformed as exc:
        raise _bad(run, str(exc)) from None
    if text == KEYWORD:
        offset = end_s
    else:
        try:
            offset = parse_duration(text[len(KEYWORD) + 1:])
        except ValueError as exc:
            raise UsageError(f"--at {shown(text)}: {exc}") from None
        if offset > end_s:
            raise UsageError(f"--at {shown(text)}: the run {shown(os.path.relpath(run))} "
                             f"lasted only {offset_text(end_s)}")
    cas = index.get("cas")
    try:
        if not isinstance(cas, dict):
            raise _Malformed("'cas' is not a table")
        crls = tuple(crl for ca, record in sorted(cas.items())
                     if (crl := _current(run, ca, record, offset, end_s, start, text))
                     is not None)
    except _Malformed as exc:
        raise _bad(run, str(exc)) from None
    return ScenarioMoment(run=run, at=start + dt.timedelta(seconds=offset), offset_s=offset,
                          crls=crls)


def describe(moment: ScenarioMoment, *, chosen: bool = True) -> list[str]:
    """The lines that say which time and which CRLs the verdict used (`chosen`: from the run's
    history; else the user's --crl files were used as given)."""
    lines = [f"Time: {iso(moment.at)} (run {os.path.relpath(moment.run)}, start + "
             f"{offset_text(moment.offset_s)})"]
    for crl in moment.crls:
        lines.append(f"CRL: {crl.ca} {crl.path.relative_to(moment.run)}, published "
                     f"{iso(crl.published)} (start + {offset_text(crl.published_s)})")
    if not chosen:
        lines.append("CRL: the --crl files given")
    elif not moment.crls:
        lines.append("CRL: none (no CA had published one yet)")
    return lines


def offset_text(seconds: float) -> str:
    """Seconds into the run as `--at scenario+...` takes them: 30360 -> `8h26m`."""
    whole, fraction = divmod(seconds, 1)
    hours, rest = divmod(int(whole), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    if secs or fraction or not (hours or minutes):
        parts.append(f"{secs + fraction:g}s")
    return "".join(parts)


def _read_index(run: Path) -> dict:
    path = inside(run, "pki", CA_FOLDER, INDEX_FILE)
    try:
        index = json.loads(read_regular(path, limit=INDEX_MAX_BYTES, follow=False))
    except FileRefused as exc:
        raise UsageError(f"--at {KEYWORD}: {exc} (a run of an ikesim that kept no CRL "
                         f"history? run it again)") from None
    except (ValueError, RecursionError):  # RecursionError: nested past Python's stack
        raise _bad(run, "not JSON") from None
    if not isinstance(index, dict) or index.get("format") != INDEX_FORMAT:
        raise _bad(run, f"not format {INDEX_FORMAT}")
    return index


class _Malformed(ValueError):
    """crls.json says something ikesim never writes (the line names the file)."""


def _bad(run: Path, problem: str) -> UsageError:
    return UsageError(f"{shown(str(run / 'pki' / CA_FOLDER / INDEX_FILE), 200)}: {problem}")


def _seconds(record: dict, key: str, at_most: float) -> float:
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or not 0 <= value <= at_most:
        raise _Malformed(f"{key} {shown(value)} is not a number of seconds in the run")
    return float(value)


def _time(record: dict, key: str) -> dt.datetime:
    value = record.get(key)
    try:
        when = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ") if isinstance(value, str) \
            else None
    except ValueError:
        when = None
    if when is None:
        raise _Malformed(f"{key} {shown(value)} is not a UTC time")
    return when.replace(tzinfo=dt.UTC)


def _current(run: Path, ca: object, record: object, offset: float, end_s: float,
             start: dt.datetime, text: str) -> RunCrl | None:
    """The CA's last CRL published at or before `offset`, or None if it had not published."""
    try:
        check_name("CA", ca)
    except FileRefused as exc:
        raise _Malformed(str(exc)) from None
    if not isinstance(record, dict) or not isinstance(record.get("crls"), list):
        raise _Malformed(f"{ca}: no list of CRLs")
    chosen = None
    for entry in record["crls"]:
        if not isinstance(entry, dict):
            raise _Malformed(f"{ca}: a CRL entry is not a table")
        number, published_s = entry.get("n"), _seconds(entry, "published_s", end_s)
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number < 10**6:
            raise _Malformed(f"{ca}: CRL number {shown(number)} is not 1..999999")
        if published_s <= offset and (chosen is None or published_s >= chosen[1]):
            chosen = (number, published_s)
    gap = record.get("not_kept")
    if gap is not None:
        if not isinstance(gap, dict):
            raise _Malformed(f"{ca}: not_kept is not a table")
        since, until = _seconds(gap, "from_s", end_s), _seconds(gap, "until_s", end_s)
        if since <= offset < until:
            raise UsageError(f"--at {shown(text)}: the run did not keep {ca}'s CRLs published "
                             f"from start + {offset_text(since)} to {offset_text(until)} "
                             f"(too many to keep)")
    if chosen is None:
        return None
    number, published_s = chosen
    path = inside(run, "pki", CA_FOLDER, HISTORY_FOLDER, ca, crl_file_name(number))
    return RunCrl(ca=ca, path=path, published=start + dt.timedelta(seconds=published_s),
                  published_s=published_s)
