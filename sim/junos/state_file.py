"""A device's saved state (state.json): written, and read back from a run folder as input
ikesim did not write.

A run folder can come from anyone (a colleague's archive, a folder edited by hand), so what
`ikesim show` and `ikesim cli` read is checked before it is used: state.json must have exactly
the keys DeviceState.save writes, each of the type it writes, with numbers in range, times that
parse and names that are names; files are read only when regular and within a size limit.
Every problem is a LoadError naming the file and the key, in one line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import types
import typing
from pathlib import Path

from pki.files import check_name, read_regular, write_file
from pki.loaders import LoadError
from sim.junos.logs import syslog_escape

STATE_LIMIT = 64 << 20  # a hub's state with thousands of SAs is a few MB
CONFIG_LIMIT = 4 << 20  # as large as a topology file may be
LOG_LIMIT = 256 << 20
TEXT_LIMIT = 4096  # one string in state.json (an IKE ID, a URL)
INT_MAX = 2**32 - 1
# Times the ops commands compute with (five-year self-signed certificates, lifetimes) must not
# overflow datetime: the device's clock stays within these years.
YEARS = (1950, 9000)
_DYNAMIC = re.compile(r"dynamic-[0-9]{3}")
_TIMES = frozenset({"now", "established", "loaded_at", "refresh_at"})
TOP_KEYS = ("name", "serial", "address", "now", "dynamic_profiles", "crl_sources", "ike_sas",
            "ipsec_sas")


class _Bad(Exception):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")


def _int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(where, f"expected a whole number, not {_kind(value)}")
    if not 0 <= value <= INT_MAX:
        raise _Bad(where, f"{value} is out of range (0..{INT_MAX})")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise _Bad(where, f"expected a string, not {_kind(value)}")
    if len(value) > TEXT_LIMIT:
        raise _Bad(where, f"longer than {TEXT_LIMIT} characters")
    # Control characters are allowed: a peer's IKE ID may hold them, and what show prints is
    # escaped on the way to the terminal (sim.cli.ops).
    if where.rsplit(".", 1)[-1] in _TIMES:
        _time(value, where)
    return value


def _time(value: str, where: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(where, f"{value!r} is not an ISO date and time") from None
    if when.tzinfo is None:
        raise _Bad(where, f"{value!r} has no time zone")
    if not YEARS[0] <= when.year <= YEARS[1]:
        raise _Bad(where, f"{value!r} is outside the years {YEARS[0]}..{YEARS[1]}")
    return when


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false",
            type(None): "null", int: "a number", float: "a number"}.get(type(value),
                                                                        type(value).__name__)


def _check(hint: object, value: object, where: str) -> object:
    if isinstance(hint, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        (hint,) = [option for option in options if option is not type(None)]
    if hint is int:
        return _int(value, where)
    if hint is str:
        return _text(value, where)
    if hint is bool:
        if not isinstance(value, bool):
            raise _Bad(where, f"expected true/false, not {_kind(value)}")
        return value
    raise TypeError(f"no check for {hint!r}")  # a new field type: add its check


def _object(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise _Bad(where, f"expected an object, not {_kind(value)}")
    return value


def _exact_keys(value: dict, where: str, keys: typing.Iterable[str],
                optional: typing.Iterable[str] = ()) -> None:
    allowed = set(keys) | set(optional)
    for key in value:
        if key not in allowed:
            shown = syslog_escape(key)
            raise _Bad(f"{where}.{shown}" if where else shown, "unknown key")
    for key in keys:
        if key not in value:
            raise _Bad(f"{where}.{key}" if where else key, "missing")


def _record(cls: type, value: object, where: str) -> object:
    """An instance of the dataclass `cls` from its asdict() form, every field checked."""
    value = _object(value, where)
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    required = [f.name for f in fields if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    _exact_keys(value, where, required, optional=[f.name for f in fields])
    return cls(**{key: _check(hints[key], item, f"{where}.{key}") for key, item in value.items()})


def _name(kind: str, value: str, where: str) -> str:
    try:
        return check_name(kind, value)
    except ValueError as exc:
        raise _Bad(where, str(exc)) from None


def parse_state(data: bytes, *, device: str, records: dict[str, type]) -> dict:
    """The fields of state.json for DeviceState, checked; `records` maps "ike_sas",
    "ipsec_sas" and "crl_sources" to their record classes. Raises _Bad."""
    try:
        state = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise _Bad("file", f"not JSON ({exc})") from None
    state = _object(state, "file")
    _exact_keys(state, "", TOP_KEYS)
    if _text(state["name"], "name") != device:
        raise _Bad("name", f"{state['name']!r} is not the device {device}")
    profiles = _object(state["dynamic_profiles"], "dynamic_profiles")
    for key, parent in profiles.items():
        if not _DYNAMIC.fullmatch(key):
            raise _Bad(f"dynamic_profiles.{syslog_escape(key)}", "not a dynamic CA profile name "
                       "(dynamic-001 ...)")
        _name("ca-profile", _text(parent, f"dynamic_profiles.{key}"), f"dynamic_profiles.{key}")
    sources = _object(state["crl_sources"], "crl_sources")
    for key in sources:
        _name("ca-profile", key, f"crl_sources.{syslog_escape(str(key))}")
    lists = {}
    for key in ("ike_sas", "ipsec_sas"):
        if not isinstance(state[key], list):
            raise _Bad(key, f"expected a list, not {_kind(state[key])}")
        lists[key] = tuple(_record(records[key], item, f"{key}[{index}]")
                           for index, item in enumerate(state[key]))
    return {
        "serial": _text(state["serial"], "serial"),
        "address": _text(state["address"], "address"),
        "now": _time(_text(state["now"], "now"), "now"),
        "dynamic_profiles": dict(profiles),
        "crl_sources": {key: _record(records["crl_sources"], item, f"crl_sources.{key}")
                        for key, item in sources.items()},
        **lists,
    }


def write_json(path: Path, data: object) -> None:
    """state.json (and the run's other JSON files), indented, atomically replaced."""
    write_file(path, (json.dumps(data, indent=2) + "\n").encode())


def read_state(path: Path, *, device: str, records: dict[str, type]) -> dict:
    """parse_state on the file at `path`; LoadError (`<path>: <key>: <problem>`)."""
    data = read_regular(path, limit=STATE_LIMIT)
    try:
        return parse_state(data, device=device, records=records)
    except _Bad as exc:
        raise LoadError(str(path), str(exc)) from None


def read_text(path: Path, *, limit: int) -> str:
    """A saved configuration: UTF-8 text, within `limit` bytes."""
    data = read_regular(path, limit=limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(str(path), f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                                   f"{exc.start})") from None


def read_log(path: Path) -> tuple[str, ...]:
    """A log's lines as `show log` prints them: escaped again, whoever wrote the file."""
    if not path.exists():
        return ()
    text = read_regular(path, limit=LOG_LIMIT).decode("utf-8", errors="replace")
    return tuple(syslog_escape(line) for line in text.splitlines())
