"""YAML that remembers where each mapping key stood, so errors can name the file and line."""

from __future__ import annotations

import yaml


class Located(dict):
    """A mapping from a YAML file; `line` is where it starts, `lines[key]` where each key is,
    `value_lines[key]` where each value starts (for block scalars: the line after `|`)."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[object, int] = {}
        self.value_lines: dict[object, int] = {}


class YamlError(ValueError):
    def __init__(self, line: int | None, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    loader.flatten_mapping(node)
    result = Located()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise YamlError(key_node.start_mark.line + 1, f"key {key!r} appears twice")
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
        first = value_node.start_mark.line + 1
        if isinstance(value_node, yaml.ScalarNode) and value_node.style in ("|", ">"):
            first += 1
        result.value_lines[key] = first
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load(text: str) -> object:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlError(line, f"YAML syntax error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlError(None, f"YAML error: {exc}") from None
