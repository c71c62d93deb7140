"""YAML that remembers where each mapping key stood, so errors can name the file and line.

The document is hostile until checked: nesting is bounded while it is composed (PyYAML's
composer and constructor recurse once per level), and the node graph's size with every alias
expanded is counted before anything is constructed, so a "billion laughs" document is refused
in microseconds instead of filling memory. Small anchors and aliases keep working.
"""

from __future__ import annotations

from collections.abc import Hashable

import yaml

from pki.files import shown
from sim.topology.limits import YAML_MAX_DEPTH, YAML_MAX_NODES


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


def _line(node_or_event) -> int:
    return node_or_event.start_mark.line + 1


class _Loader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        if self._depth >= YAML_MAX_DEPTH:
            raise YamlError(_line(self.peek_event()),
                            f"YAML nested more than {YAML_MAX_DEPTH} levels deep")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except YamlError:
            raise
        except (ValueError, OverflowError) as exc:
            # A scalar the safe constructors cannot convert: an integer of 5,000 digits, a
            # date such as 2012-02-30.
            raise YamlError(_line(node), f"YAML value {shown(node.value)} cannot be read: "
                                         f"{str(exc).split(';')[0]}") from None

    def construct_document(self, node):
        _check_expanded_size(node)
        return super().construct_document(node)


def _check_expanded_size(root: yaml.Node) -> None:
    """Refuse a node graph that, with its aliases expanded, holds more than YAML_MAX_NODES
    nodes, nests deeper than YAML_MAX_DEPTH (an alias inside an alias inside ...), or contains
    itself. An alias is the same node object as its anchor, and an anchor comes before its
    aliases, so each distinct node is measured once and this recursion is no deeper than the
    composed document."""
    measured: dict[int, tuple[int, int]] = {}  # id -> (nodes, depth)
    open_: set[int] = set()

    def measure(node: yaml.Node) -> tuple[int, int]:
        key = id(node)
        if key in measured:
            return measured[key]
        if key in open_:
            raise YamlError(_line(node), "a YAML alias refers to a node that contains it")
        open_.add(key)
        children = (node.value if isinstance(node, yaml.SequenceNode)
                    else [n for pair in node.value for n in pair]
                    if isinstance(node, yaml.MappingNode) else [])
        nodes, depth = 1, 0
        for child in children:
            child_nodes, child_depth = measure(child)
            nodes, depth = nodes + child_nodes, max(depth, child_depth)
        open_.discard(key)
        depth += 1
        if nodes > YAML_MAX_NODES:
            raise YamlError(_line(node), f"YAML aliases expand to more than {YAML_MAX_NODES:,} "
                                         "nodes")
        if depth > YAML_MAX_DEPTH:
            raise YamlError(_line(node), f"YAML aliases nest more than {YAML_MAX_DEPTH} levels "
                                         "deep")
        measured[key] = (nodes, depth)
        return nodes, depth

    measure(root)


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    loader.flatten_mapping(node)
    result = Located()
    result.line = _line(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise YamlError(_line(key_node), "a mapping key must be a name or a number, not a "
                                             f"{'list' if isinstance(key, list) else 'mapping'}")
        if key in result:
            raise YamlError(_line(key_node), f"key {key!r} appears twice")
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = _line(key_node)
        first = _line(value_node)
        if isinstance(value_node, yaml.ScalarNode) and value_node.style in ("|", ">"):
            first += 1
        result.value_lines[key] = first
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load(text: str) -> object:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.reader.ReaderError as exc:
        # A control character (an escape sequence, a bell): YAML allows none outside escapes.
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise YamlError(line, f"character U+{code:04X} is not allowed in YAML (write it as an "
                              "escape in a double-quoted string)") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlError(line, f"YAML syntax error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlError(None, f"YAML error: {' '.join(str(exc).split())}") from None
