"""Reading a topology's YAML entries: each refusal a `TopologyError` naming the file, the line
and the entry, and converters that take nothing on trust (types, ranges, names, text).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import TypeVar
from urllib.parse import urlsplit

from pki.files import FileRefused, check_name, shown
from pki.keys import KeySpec, KeyType
from pki.names import SubjectError, parse_subject
from sim.topology.durations import parse_duration, signed_duration
from sim.topology.limits import LONGEST_DELAY, LONGEST_PERIOD, LONGEST_RUN
from sim.topology.values import TopologyError
from sim.topology.yaml_lines import Located

T = TypeVar("T")
# A key shown as it is in an entry's path (`devices.Host-A.address`); anything else repr'd.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


def label(key: object) -> str:
    """A mapping key as an error line shows it: plain names as they are, anything else
    repr'd and cut short (so a key holding a newline cannot break the line)."""
    return key if isinstance(key, str) and _PLAIN_KEY.fullmatch(key) else shown(key)


def join(path: str, key: object) -> str:
    return f"{path}.{label(key)}" if path else label(key)


class Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: Located | None, key: object, problem: str) -> TopologyError:
        line = None
        if isinstance(where, Located):
            line = where.lines.get(key, where.line) if key is not None else where.line
        return TopologyError(self.source, line, problem)

    def mapping(self, parent: Located, key: str, path: str, *, required: bool = False
                ) -> Located:
        value = parent.get(key)
        if value is None:
            if required:
                raise self.fail(parent, None, f"{join(path, key)}: missing")
            empty = Located()
            empty.line = parent.lines.get(key, parent.line)
            return empty
        if not isinstance(value, Located):
            raise self.fail(parent, key, f"{join(path, key)}: expected a mapping")
        return value

    def items(self, parent: Located, key: str, path: str) -> list:
        """A list entry (absent: empty)."""
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(parent, key, f"{join(path, key)}: expected a list")
        return value

    def entries(self, section: Located, kind: str, path: str, allowed: set[str]
                ) -> Iterator[tuple[str, Located, str]]:
        """(name, entry, entry's path) of each named entry of a section such as `cas:`: the name
        checked as a `kind` name, the entry a mapping of `allowed` keys."""
        for name, entry in section.items():
            self.name(kind, section, name, path)
            where = f"{path}.{name}"
            if not isinstance(entry, Located):
                raise self.fail(section, name, f"{where}: expected a mapping")
            self.only(entry, allowed, where)
            yield name, entry, where

    def only(self, entry: Located, allowed: set[str], path: str) -> None:
        for key in entry:
            if key not in allowed:
                raise self.fail(entry, key, f"{join(path, key)}: unknown entry (expected one "
                                            f"of {', '.join(sorted(allowed))})")

    def arguments(self, args: Mapping[str, object], where: Located | None, path: str,
                  allowed: Collection[str], required: Iterable[str]) -> None:
        """An event's arguments: each one known, the required ones given."""
        for key in args:
            if key not in allowed:
                raise self.fail(where, key, f"{join(path, key)}: unknown argument (expected one "
                                            f"of {', '.join(sorted(allowed))})")
        for key in required:
            if args.get(key) is None:
                raise self.fail(where, None, f"{path}: {key} is missing")

    def convert(self, entry: Located, key: str, path: str, fn: Callable[[object], T],
                default: T | None = None, *, required: bool = False) -> T | None:
        """fn(entry[key]), or `default` when it is absent (or null); a ValueError or TypeError
        from fn names the entry `path.key` and its line."""
        if key not in entry or entry[key] is None:
            if required:
                raise self.fail(entry, key, f"{join(path, key)}: missing")
            return default
        try:
            return fn(entry[key])
        except (ValueError, TypeError, SubjectError) as exc:
            raise self.fail(entry, key, f"{join(path, key)}: {exc}") from None

    def name(self, kind: str, section: Located, key: object, path: str) -> str:
        """A key of `section` that becomes a path (device, CA, certificate-id, ...)."""
        try:
            return check_name(kind, key)
        except FileRefused as exc:
            raise self.fail(section, key, f"{path}: {exc}") from None

    def named(self, kind: str, entry: Located, key: str, path: str) -> str:
        """entry[key], a name that becomes a path (a certificate-id)."""
        try:
            return check_name(kind, entry.get(key))
        except FileRefused as exc:
            raise self.fail(entry, key, f"{join(path, key)}: {exc}") from None

    def reference(self, entry: Located, key: str, path: str, known, what: str) -> str:
        """entry[key], which must name one of `known` (a device, a CA, ...)."""
        value = entry.get(key)
        if not isinstance(value, str) or value not in known:
            raise self.fail(entry, key, f"{join(path, key)}: no {what} named {shown(value)}")
        return value


# -- converters (each raises ValueError or TypeError with the problem) -----------------------


def delay(value: object) -> float:
    """One network or daemon delay: latency, jitter, processing, a timeout."""
    return parse_duration(value, at_most=LONGEST_DELAY)


def offset(value: object) -> float:
    """A signed offset from the true time or the start: a clock offset, a not-before."""
    return signed_duration(value, at_most=LONGEST_PERIOD)


def run_time(value: object) -> float:
    """A time within a run (an event's `at`)."""
    return parse_duration(value, at_most=LONGEST_RUN)


def ipv4(value: object) -> str:
    try:
        if not isinstance(value, str):
            raise ValueError
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise ValueError(f"{shown(value)} is not an IPv4 address") from None


def strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) and v.isprintable() for v in value):
        return tuple(value)
    raise ValueError("expected a string or a list of strings")


def url_list(value: object) -> tuple[str, ...]:
    """CRL distribution points: http, https or ldap URLs with a host, in ASCII (they go into
    certificates as IA5Strings)."""
    urls = strings(value)
    for url in urls:
        parts = urlsplit(url) if url.isascii() and " " not in url else None
        if parts is None or parts.scheme not in ("http", "https", "ldap") or not parts.hostname:
            raise ValueError(f"{shown(url)} is not an http, https or ldap URL with a host "
                             "(ASCII, no spaces)")
    return urls


def text(value: object) -> str:
    """Free text (a description, a resolution): printable, lines and tabs allowed."""
    if not isinstance(value, str) or not value.replace("\n", "").replace("\t", "").isprintable():
        raise ValueError("expected printable text")
    return value


def subject(value: object) -> str:
    if not isinstance(value, str) or not value.isprintable():
        raise ValueError(f"{shown(value)} is not a subject such as \"CN=Host-A, O=Example\"")
    parse_subject(value, device_serial="0")
    return value


def key_spec(value: object) -> KeySpec:
    """`rsa-1024`, `rsa-2048`, `dsa-1024`, `ecdsa-256`, ..."""
    kind, _, size = value.partition("-") if isinstance(value, str) else ("", "", "")
    if kind not in {t.value for t in KeyType} or not size.isdigit() or len(size) > 5:
        raise ValueError(f"key {shown(value)}: expected rsa-N, dsa-N or ecdsa-N")
    try:
        return KeySpec(type=KeyType(kind), size=int(size))
    except ValueError as exc:
        raise ValueError(f"key {shown(value)}: {exc}") from None


def flag(value: object) -> bool:
    """true or false (a YAML boolean, not 1 or "yes")."""
    if not isinstance(value, bool):
        raise ValueError(f"{shown(value)}: expected true or false")
    return value


def integer(low: int, high: int) -> Callable[[object], int]:
    """A whole number in low..high (a YAML integer, not true/false or 1.5)."""
    def convert(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{shown(value)} is not a whole number")
        if not low <= value <= high:
            raise ValueError(f"{_number(value)} is out of range ({low:,}..{high:,})")
        return value
    return convert


def number(low: float, high: float) -> Callable[[object], float]:
    """A finite number in low..high."""
    def convert(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{shown(value)} is not a number")
        if not (isinstance(value, int) or math.isfinite(value)):
            raise ValueError(f"{value!r} is not a finite number")
        if not low <= value <= high:
            raise ValueError(f"{_number(value)} is out of range ({low:g}..{high:g})")
        return float(value)
    return convert


def _number(value: int | float) -> str:
    if isinstance(value, int) and value.bit_length() > 128:
        return f"a number of {int(value.bit_length() * math.log10(2)) + 1} digits"
    return repr(value)
