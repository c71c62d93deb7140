"""Durations as topology files and the command line write them: `20ms`, `10s`, `8h20m`.

Every duration is finite and bounded: `.inf`, NaN, a number too large for date arithmetic or a
negative value is refused with one line saying why (and what the bound is).
"""

from __future__ import annotations

import math
import re

from pki.files import shown

_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$|^\d+(?:\.\d+)?$")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?")
_UNITS = {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_YEAR = 365 * 86400
# The default bound: a century. Callers pass a tighter one where a value means less.
LONGEST_DURATION = 100.0 * _YEAR


def parse_duration(value: object, *, at_most: float = LONGEST_DURATION,
                   positive: bool = False) -> float:
    """`20ms`, `10s`, `5m`, `2h`, `7d`, `1w`, combined as `8h20m`, or a number of seconds;
    at most `at_most` seconds, and more than zero when `positive`."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite duration")
        seconds = value
    else:
        text = value.replace(" ", "") if isinstance(value, str) else None
        if text is None or not _DURATION.match(text):
            raise ValueError(f"{shown(value)} is not a duration (e.g. 20ms, 10s, 5m, 2h, 8h20m, "
                             "7d)")
        seconds = sum(float(n) * _UNITS[unit or None] for n, unit in _PART.findall(text))
    # Compared before any conversion: an int too large for a float is still only too long.
    if seconds < 0:
        raise ValueError(f"{_text(value)} is negative")
    if seconds > at_most:
        raise ValueError(f"{_text(value)} is too long (at most {format_duration(at_most)})")
    if positive and seconds == 0:
        raise ValueError(f"{_text(value)}: must be more than 0")
    return float(seconds)


def signed_duration(value: object, *, at_most: float = LONGEST_DURATION) -> float:
    """A duration that may be negative, such as a clock offset of `-2d`."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        return -parse_duration(-value, at_most=at_most)
    text = value.strip() if isinstance(value, str) else None
    if text is not None and text.startswith("-"):
        return -parse_duration(text[1:], at_most=at_most)
    return parse_duration(value, at_most=at_most)


def format_duration(seconds: float) -> str:
    """`3600` -> `1h`; a whole number of years also says so: `1825d, 5 years`."""
    if seconds >= _YEAR and seconds % _YEAR == 0:
        return f"{int(seconds // 86400)}d, {int(seconds // _YEAR)} years"
    for unit in ("w", "d", "h", "m", "s"):
        size = _UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _text(value: object) -> str:
    # repr() of an int of thousands of digits raises; say how long it is instead.
    if isinstance(value, int) and value.bit_length() > 128:
        return f"a number of {int(value.bit_length() * math.log10(2)) + 1} digits"
    return shown(value)
