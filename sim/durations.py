"""Durations as topology files and the command line write them: `20ms`, `10s`, `8h20m`."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$|^\d+(?:\.\d+)?$")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?")
_UNITS = {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: object) -> float:
    """`20ms`, `10s`, `5m`, `2h`, `7d`, `1w`, combined as `8h20m`, or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{value} is negative")
        return float(value)
    text = str(value).replace(" ", "")
    if not _DURATION.match(text):
        raise ValueError(f"{value!r} is not a duration (e.g. 20ms, 10s, 5m, 2h, 8h20m, 7d)")
    return sum(float(n) * _UNITS[unit or None] for n, unit in _PART.findall(text))



def signed_duration(value: object) -> float:
    """A duration that may be negative, such as a clock offset of `-2d`."""
    text = str(value).strip()
    if text.startswith("-"):
        return -parse_duration(text[1:])
    return parse_duration(value)
