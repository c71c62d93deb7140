"""The kinds of statement node the Junos configuration grammar is built from (Container,
Named, Leaf, LeafList, Flag, Ignored, Unmodelled, Alias), and the value checks a leaf may
carry (`in_range`, `ip_address`, `ip_prefix`). sim.junos.grammar builds `JUNOS` from them;
sim.junos.setcmd walks statements through it. Nothing here reads text.
"""

from __future__ import annotations

import ipaddress
import re

# The parser behind re.compile (Python 3.11's name for sre_parse), to read a pattern's shape.
import re._constants as sre_constants
import re._parser as sre_parser
from collections.abc import Callable
from dataclasses import dataclass

from pki.files import FileRefused, check_name

# A value check returns what is wrong with a value, or None when it is good.
ValueCheck = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Container:
    """`name { ... }`. `positional`: slot for one non-keyword word (`file NAME size 1m`)."""

    children: dict[str, object]
    positional: str | None = None
    positional_note: str | None = None  # recorded when the positional form is used
    positional_check: ValueCheck | None = None


@dataclass(frozen=True)
class Named:
    """`name KEY { ... }`, a list of entries keyed by KEY (ca-profile, gateway, unit, ...).
    `key_check`: what the key must be beyond a Junos name (e.g. a name that becomes a file)."""

    entry: Container
    placeholder: str = "name"
    key_check: ValueCheck | None = None


@dataclass(frozen=True)
class Leaf:
    """`name VALUE;`. With `choices`, VALUE must be one of them; with `check`, it must pass."""

    placeholder: str = "value"
    choices: tuple[str, ...] | None = None
    check: ValueCheck | None = None


@dataclass(frozen=True)
class LeafList:
    """`name VALUE;` repeated, or `name [ V1 V2 ];`."""

    placeholder: str = "value"
    choices: tuple[str, ...] | None = None
    check: ValueCheck | None = None


@dataclass(frozen=True)
class Flag:
    """`name;`"""


@dataclass(frozen=True)
class Ignored:
    """A real Junos hierarchy ikesim does not model: its statements are recorded, not read."""


@dataclass(frozen=True)
class Unmodelled:
    """A real Junos statement whose syntax ikesim checks (through `spec`) but which has no
    effect on the simulation: the statement is accepted and recorded as not modelled."""

    spec: Container | Named | Leaf | LeafList | Flag


@dataclass(frozen=True)
class Alias:
    """A spelling the guide uses that Junos spells `target`; read as target, with a note."""

    target: tuple[str, ...]
    note: str


# --- value checks ----------------------------------------------------------------------------

_DIGITS = re.compile(r"[0-9]{1,20}")


def in_range(low: int, high: int) -> ValueCheck:
    """A decimal number (ASCII digits) within low..high."""

    def check(text: str) -> str | None:
        if not _DIGITS.fullmatch(text) or not low <= int(text) <= high:
            return f"value must be {low}..{high}"
        return None

    return check


def _parses(parse: Callable[[str], object], problem: str) -> ValueCheck:
    def check(text: str) -> str | None:
        try:
            parse(text)
        except ValueError:
            return problem
        return None

    return check


ip_address = _parses(ipaddress.ip_address, "not an IP address")
ipv6_address = _parses(ipaddress.IPv6Address, "not an IPv6 address")
# A prefix (`10.0.0.0/8`) may have host bits set: Junos masks them.
ip_prefix = _parses(lambda text: ipaddress.ip_network(text, strict=False), "not an IP prefix")


# `ge-0/0/3.0`, `st0.1`, `reth0`, `lo0.0`, `irb.10`: a media name with its numbers (slot/pic/
# port, or one number), an optional channel, an optional logical unit.
_INTERFACE = re.compile(r"([a-z]+(-[0-9]+(/[0-9]+)*|[0-9]+)(:[0-9]+)?|irb|vlan)(\.[0-9]{1,5})?")


def interface_name(text: str) -> str | None:
    if not _INTERFACE.fullmatch(text):
        return "not an interface name (e.g. ge-0/0/3.0, st0.1)"
    return None


def file_name(text: str) -> str | None:
    """A name that becomes a file name (a trace file under /var/log, a ca-profile or
    certificate-id in the store): never a path."""
    try:
        check_name("name", text)
    except FileRefused as exc:
        return exc.problem
    return None


PATTERN_MAX = 256  # characters of a `match` expression


def compile_pattern(text: str) -> re.Pattern[str]:
    """`text` compiled as the regular expression of a traceoptions `match` or a `| match`;
    ValueError (one line) when it is not one, or when matching it could take exponential
    time: Junos matches with POSIX regular expressions, which do not backtrack, while Python's
    do, so `(.*.*)*QQQ` would hang a run on one log line. Repetition inside repetition,
    alternatives inside a repetition and backreferences are refused."""
    if len(text) > PATTERN_MAX:
        raise ValueError(f"longer than {PATTERN_MAX} characters")
    try:
        compiled = re.compile(text)
        problem = _backtracking(sre_parser.parse(text), repeated=False)
    except (re.error, RecursionError, OverflowError) as exc:
        raise ValueError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    if problem:
        raise ValueError(f"{problem}, which can take exponential time to match")
    return compiled


_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT,
            getattr(sre_constants, "POSSESSIVE_REPEAT", sre_constants.MAX_REPEAT))


def _backtracking(items: object, *, repeated: bool) -> str | None:
    """What makes a parsed pattern backtrack badly, or None. `repeated`: inside a repetition
    that may run more than once."""
    for op, av in items:
        if op in _REPEATS:
            low, high, sub = av
            many = high is sre_constants.MAXREPEAT or high > 1
            if repeated and many:
                return "a repetition inside a repetition"
            found = _backtracking(sub, repeated=repeated or many)
        elif op is sre_constants.SUBPATTERN:
            found = _backtracking(av[-1], repeated=repeated)
        elif op is sre_constants.BRANCH:
            if repeated:
                return "alternatives inside a repetition"
            found = next((p for b in av[1] if (p := _backtracking(b, repeated=False))), None)
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            found = _backtracking(av[1], repeated=repeated)
        elif op in (sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS):
            return "a backreference"
        else:
            continue
        if found:
            return found
    return None


def regular_expression(text: str) -> str | None:
    try:
        compile_pattern(text)
    except ValueError as exc:
        return f"not a valid regular expression: {exc}"
    return None


def address_or_interface(text: str) -> str | None:
    """A static route's next-hop: an address, or an interface such as st0.1 (route-based
    VPNs route into the tunnel interface)."""
    if ip_address(text) is None or interface_name(text) is None:
        return None
    return "not an IP address or interface name"
