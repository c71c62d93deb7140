"""Topology parameters: `${name}` placeholders, with defaults from the file's `parameters:`
section and overrides from `ikesim run --param name=value`.

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
import re

from pki.files import shown
from sim.topology.reader import label
from sim.topology.yaml_lines import Located, YamlError, load

PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9_-]*)\}")
_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters: never in a real topology
_MARKER = re.compile(f"{_OPEN}([A-Za-z][A-Za-z0-9_-]*){_CLOSE}")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")

Scalar = int | float | bool | str


def load_with_parameters(text: str, overrides: dict[str, str] | None = None) -> object:
    """The parsed document with every `${name}` replaced by the parameter's typed value (an
    override, else the file's default)."""
    overrides = overrides or {}
    if _OPEN in text or _CLOSE in text:
        line = next(n for n, row in enumerate(text.splitlines(), 1)
                    if _OPEN in row or _CLOSE in row)
        raise YamlError(line, "characters U+E000/U+E001 are not allowed in a topology")
    root = load(PLACEHOLDER.sub(lambda m: f"{_OPEN}{m.group(1)}{_CLOSE}", text))
    section = root.get("parameters") if isinstance(root, Located) else None
    values = _defaults(root, section)
    if overrides and not values:
        raise YamlError(None, f"--param {label(next(iter(overrides)))}: this topology has no "
                              "parameters")
    for name, raw in overrides.items():
        if name not in values:
            known = ", ".join(sorted(values)) or "none"
            raise YamlError(None, f"--param {label(name)}: no such parameter (parameters: "
                                  f"{known})")
        values[name] = parameter_value(name, raw)
    for number, row in enumerate(text.splitlines(), 1):
        for name in PLACEHOLDER.findall(row):
            if name not in values:
                raise YamlError(number, f"${{{name}}}: no parameter named {name}")
    if isinstance(root, Located) and PLACEHOLDER.search(text):
        for key in root:
            if key != "parameters":
                root[key] = _substitute(root[key], values)
    return root


def parameter_value(name: str, raw: str) -> Scalar:
    """`--param name=raw`: one YAML scalar; anything else is refused."""
    where = f"--param {label(name)}"
    if not isinstance(raw, str) or not raw.isprintable():
        raise YamlError(None, f"{where}: the value must be one line of printable text")
    try:
        value = load(raw)
    except YamlError as exc:
        raise YamlError(None, f"{where}: {exc.problem}") from None
    if isinstance(value, dt.date):
        return raw.strip()  # a date stays the text the user wrote
    if not _is_scalar(value):
        raise YamlError(None, f"{where}: {shown(raw)} is not one value (expected a number, "
                              "true/false or text)")
    return value


def _defaults(root: object, section: object) -> dict[str, Scalar]:
    if section is None:
        return {}
    if not isinstance(section, Located):
        raise YamlError(getattr(root, "lines", {}).get("parameters"),
                        "parameters: expected a mapping of names to values")
    values: dict[str, Scalar] = {}
    for name, value in section.items():
        line = section.lines.get(name, section.line)
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise YamlError(line, f"parameters.{shown(name)}: a parameter name is letters, "
                                  "digits, '_' and '-', starting with a letter")
        if isinstance(value, dt.date):
            value = value.isoformat()
        if not _is_scalar(value) or (isinstance(value, str) and _MARKER.search(value)):
            raise YamlError(line, f"parameters.{name}: a default is one value (a number, "
                                  "true/false or text)")
        values[name] = value
    return values


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
