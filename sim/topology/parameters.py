"""Topology parameters: `${name}` placeholders, with defaults from the file's `parameters:`
section and overrides from `ikesim run --param name=value` (and `ikesim sweep --set`).

A parameter is declared in one of two forms:

    parameters:
      label: lab                      # short: a default, any one value
      spokes: {default: 1000, type: integer, min: 1, max: 200000,
               help: "spokes coming up at once"}

The long form's `type` is integer, number, boolean, text or duration (`30s`, written as
topology durations are), and `min`/`max` bound an integer, number or duration; an override
of the wrong type or out of range is refused in one line before anything is built.

A value is one YAML scalar (an integer, a number, true/false or one line of text), and it is
substituted into the parsed document, never pasted into the YAML text: a scalar that is
exactly `${name}` takes the typed value, a longer string takes the value's text. So a value
can never add entries (`--param 'spokes=1, seed: 5'` is refused, not obeyed).

Placeholders are swapped for private-use markers before parsing (a marker is a plain scalar
wherever `${...}` may stand, flow mappings included) and the markers are replaced afterwards;
the document's lines do not move, so errors still name the template's line.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from pki.files import shown
from sim.topology.durations import format_duration, parse_duration
from sim.topology.reader import label
from sim.topology.yaml_lines import Located, YamlError, load

PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9_-]*)\}")
_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters: never in a real topology
_MARKER = re.compile(f"{_OPEN}([A-Za-z][A-Za-z0-9_-]*){_CLOSE}")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
HELP_MAX = 200  # characters of a parameter's help: one line of a listing

Scalar = int | float | bool | str


class ParameterType(Enum):
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    TEXT = "text"
    DURATION = "duration"


_RANGED = (ParameterType.INTEGER, ParameterType.NUMBER, ParameterType.DURATION)
_LONG_FORM_KEYS = ("default", "type", "min", "max", "help")


@dataclass(frozen=True, kw_only=True)
class Parameter:
    """One declared parameter. `kind` None is the short form: any one value. `low`/`high`
    are seconds for a duration."""

    name: str
    default: Scalar
    kind: ParameterType | None = None
    low: float | None = None
    high: float | None = None
    help: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ValueError(f"{shown(self.name)} is not a parameter name")
        if (self.low is not None or self.high is not None) and self.kind not in _RANGED:
            raise ValueError("min and max bound only an integer, number or duration")
        for bound in (self.low, self.high):
            if bound is not None and (isinstance(bound, bool) or not isinstance(
                    bound, int | float) or not math.isfinite(bound)):
                raise ValueError(f"{shown(bound)} is not a bound (a number)")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"min {self._bound(self.low)} is above max {self._bound(self.high)}")
        if not isinstance(self.help, str) or not self.help.isprintable() or \
                len(self.help) > HELP_MAX:
            raise ValueError(f"help: one line of at most {HELP_MAX} printable characters")
        self.check(self.default)  # the default obeys its own declaration

    @property
    def declared(self) -> str:
        """`integer, 1..200000`, as an error line reminds the user of the declaration."""
        if self.kind is None:
            return "one value"
        if self.low is None and self.high is None:
            return self.kind.value
        low = "" if self.low is None else self._bound(self.low)
        high = "" if self.high is None else self._bound(self.high)
        return f"{self.kind.value}, {low}..{high}"

    def check(self, value: object, raw: str | None = None) -> Scalar:
        """The value as the topology will see it, or ValueError saying why not. `raw`: the
        text the user typed (a text parameter keeps it as typed: `--param label=007`)."""
        if not _is_scalar(value):
            raise ValueError(f"{shown(value)} is not one value (expected a number, true/false "
                             "or text)")
        kind = self.kind
        if kind is None:
            return value
        if kind is ParameterType.TEXT:
            return raw.strip() if raw is not None else _text(value)
        if kind is ParameterType.BOOLEAN:
            if not isinstance(value, bool):
                raise ValueError(f"{shown(value)} is not true or false")
            return value
        if kind is ParameterType.DURATION:
            measure = parse_duration(value)  # ValueError: not a duration, and why
        elif isinstance(value, bool) or not isinstance(value, int | float) or (
                kind is ParameterType.INTEGER and not isinstance(value, int)):
            article = "an" if kind is ParameterType.INTEGER else "a"
            raise ValueError(f"{shown(value)} is not {article} {kind.value}")
        elif isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{shown(value)} is not a finite number")
        else:
            measure = value
        if (self.low is not None and measure < self.low) or (
                self.high is not None and measure > self.high):
            raise ValueError(f"{shown(value)} is out of range ({self.declared})")
        return value

    def _bound(self, bound: float) -> str:
        if self.kind is ParameterType.DURATION:
            return f"{bound * 1000:g}ms" if 0 < bound < 1 else format_duration(bound)
        return str(int(bound)) if float(bound).is_integer() else str(bound)


def load_with_parameters(text: str, overrides: dict[str, str] | None = None) -> object:
    """The parsed document with every `${name}` replaced by the parameter's typed value (an
    override, else the file's default)."""
    overrides = overrides or {}
    root = _parse(text)
    declared = _declarations(root)
    values: dict[str, Scalar] = {name: p.default for name, p in declared.items()}
    for name, raw in overrides.items():
        values[name] = override(declared, name, raw)
    for number, row in enumerate(text.splitlines(), 1):
        for name in PLACEHOLDER.findall(row):
            if name not in values:
                raise YamlError(number, f"${{{name}}}: no parameter named {name}")
    if isinstance(root, Located) and PLACEHOLDER.search(text):
        for key in root:
            if key != "parameters":
                root[key] = _substitute(root[key], values)
    return root


def declared_parameters(text: str) -> dict[str, Parameter]:
    """The topology's `parameters:` section, each checked; YamlError names the line."""
    return _declarations(_parse(text))


def override(declared: Mapping[str, Parameter], name: str, raw: str, *,
             option: str = "--param") -> Scalar:
    """`option name=raw` checked against the declaration: YamlError, one line, when the
    parameter is unknown or the value is not one of its type and range."""
    where = f"{option} {label(name)}"
    if not declared:
        raise YamlError(None, f"{where}: this topology has no parameters")
    if name not in declared:
        known = ", ".join(sorted(declared))
        raise YamlError(None, f"{where}: no such parameter (parameters: {known})")
    if not isinstance(raw, str) or not raw.isprintable():
        raise YamlError(None, f"{where}: the value must be one line of printable text")
    try:
        value = load(raw)
    except YamlError as exc:
        raise YamlError(None, f"{where}: {exc.problem}") from None
    if isinstance(value, dt.date):
        value = raw.strip()  # a date stays the text the user wrote
    if not _is_scalar(value):
        raise YamlError(None, f"{where}: {shown(raw)} is not one value (expected a number, "
                              "true/false or text)")
    try:
        return declared[name].check(value, raw)
    except ValueError as exc:
        raise YamlError(None, f"{where}: {exc}") from None


def _parse(text: str) -> object:
    if _OPEN in text or _CLOSE in text:
        line = next(n for n, row in enumerate(text.splitlines(), 1)
                    if _OPEN in row or _CLOSE in row)
        raise YamlError(line, "characters U+E000/U+E001 are not allowed in a topology")
    return load(PLACEHOLDER.sub(lambda m: f"{_OPEN}{m.group(1)}{_CLOSE}", text))


def _declarations(root: object) -> dict[str, Parameter]:
    section = root.get("parameters") if isinstance(root, Located) else None
    if section is None:
        return {}
    if not isinstance(section, Located):
        raise YamlError(getattr(root, "lines", {}).get("parameters"),
                        "parameters: expected a mapping of names to values")
    declared: dict[str, Parameter] = {}
    for name, value in section.items():
        line = section.lines.get(name, section.line)
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise YamlError(line, f"parameters.{shown(name)}: a parameter name is letters, "
                                  "digits, '_' and '-', starting with a letter")
        try:
            declared[name] = _declaration(name, value)
        except ValueError as exc:
            raise YamlError(line, f"parameters.{name}: {exc}") from None
    return declared


def _declaration(name: str, value: object) -> Parameter:
    if isinstance(value, Located):
        unknown = [key for key in value if key not in _LONG_FORM_KEYS]
        if unknown:
            raise ValueError(f"{label(unknown[0])}: not a key of a parameter (expected "
                             f"{', '.join(_LONG_FORM_KEYS)})")
        if "default" not in value:
            raise ValueError("default: missing")
        kinds = ", ".join(k.value for k in ParameterType)
        try:
            kind = ParameterType(value.get("type", ""))
        except (ValueError, TypeError):
            raise ValueError(f"type: {shown(value.get('type'))} is not one of {kinds}") \
                from None
        bounds = [_bound_value(kind, key, value.get(key)) for key in ("min", "max")]
        return Parameter(name=name, default=_default(value["default"]), kind=kind,
                         low=bounds[0], high=bounds[1], help=value.get("help", ""))
    return Parameter(name=name, default=_default(value))


def _default(value: object) -> Scalar:
    if isinstance(value, dt.date):
        value = value.isoformat()
    if not _is_scalar(value) or (isinstance(value, str) and _MARKER.search(value)):
        raise ValueError("a default is one value (a number, true/false or text)")
    return value


def _bound_value(kind: ParameterType, key: str, value: object) -> float | None:
    if value is None:
        return None
    if kind is ParameterType.DURATION:
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key}: {shown(value)} is not a number")
    return value


def _is_scalar(value: object) -> bool:
    if isinstance(value, str):
        return value.isprintable()
    return isinstance(value, int | float | bool)


def _text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _value(name: str, values: dict[str, Scalar]) -> Scalar:
    if name not in values:  # markers a YAML escape (\ue000) wrote, not a ${name}
        raise YamlError(None, "characters U+E000/U+E001 are not allowed in a topology")
    return values[name]


def _substitute(value: object, values: dict[str, Scalar]) -> object:
    if isinstance(value, str):
        whole = _MARKER.fullmatch(value)
        if whole:
            return _value(whole.group(1), values)
        return _MARKER.sub(lambda m: _text(_value(m.group(1), values)), value)
    if isinstance(value, Located):
        out = Located()
        out.line = value.line
        for key, item in value.items():
            new_key = _substitute(key, values) if isinstance(key, str) else key
            if new_key in out:
                raise YamlError(value.lines.get(key), f"key {shown(new_key)} appears twice")
            out[new_key] = _substitute(item, values)
            out.lines[new_key] = value.lines.get(key, value.line)
            out.value_lines[new_key] = value.value_lines.get(key, value.line)
        return out
    if isinstance(value, list):
        return [_substitute(item, values) for item in value]
    return value
