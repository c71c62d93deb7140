"""`show configuration [security [ike | ipsec | pki]]` and its `| display set` form, from the
device's configuration text (set or curly-brace form alike).

Junos prints the candidate configuration in curly-brace form, four spaces a level, `key value;`
for a leaf, `key [ a b ];` for a list, `name;` for a flag or an empty container; below a
level (`show configuration security ike`) it prints that level's contents unwrapped, and
`| display set` prints one `set` line a leaf, with a level's full path. Statements come in the
order the configuration gave them (Junos sorts by its schema; ikesim keeps the text's order,
which is the order the guide's samples give them in). Hierarchies ikesim reads but does not
model (`system`, `interfaces ... gigether-options`) are shown too, read word by word: their
last two words as one leaf.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.junos.config_tokens import Token
from sim.junos.device_state import DeviceState
from sim.junos.grammar import JUNOS, Container, Named, Unmodelled
from sim.junos.grammar_nodes import Alias, Flag, LeafList
from sim.junos.ops_grammar import tokenize
from sim.junos.setcmd import Node, Value, parse_tree, statement_text

__all__ = ["render_configuration"]

INDENT = "    "


@dataclass
class _Level:
    """One `{ ... }` block: statements by their leading words, each with its own block (None
    for a `...;` statement), and the line each first appeared on, for the order."""

    children: dict[tuple[str, ...], _Level | None] = field(default_factory=dict)
    # (where its list begins, its own line): a list's entries stay together, as in Junos.
    lines: dict[tuple[str, ...], tuple[int, int]] = field(default_factory=dict)

    def add(self, head: tuple[str, ...], line: int, *, block: bool,
            group: int | None = None) -> _Level | None:
        if head not in self.children or (block and self.children[head] is None):
            self.children[head] = _Level() if block else None
            self.lines.setdefault(head, (line if group is None else group, line))
        return self.children[head]

    def put(self, head: tuple[str, ...], sub: _Level | None, line: int, *,
            group: int | None = None) -> None:
        self.children[head] = sub
        self.lines.setdefault(head, (line if group is None else group, line))

    def ordered(self) -> list[tuple[tuple[str, ...], _Level | None]]:
        return sorted(self.children.items(), key=lambda item: self.lines[item[0]])


def _spec_of(spec: object, key: str) -> object:
    child = spec.children.get(key) if isinstance(spec, Container) else None
    return child.spec if isinstance(child, Unmodelled) else child


# Junos prints these lists of names as a level of their own (`interfaces { ge-0/0/1 { ... } }`),
# and these containers joined to the one statement they hold (`family inet {`,
# `local-identity inet 30.1.1.31;`), as its configuration samples show them.
_LEVEL_LISTS = frozenset({"interfaces"})
_JOINED = frozenset({"family", "local-identity", "remote-identity", "dynamic"})
# Entries joined to the one statement they hold: `from-zone trust to-zone untrust {`,
# `route 0.0.0.0/0 next-hop 1.1.1.1;`.
_JOINED_ENTRIES = frozenset({"from-zone", "route"})
# A container printed on one line, its statements after its name: `file kmd size 1m;`.
_ONE_LINE = frozenset({"file"})
# Lists whose members Junos prints one statement each (`flag ike;` `flag certificates;`), or
# as a block of names (`system-services { all; }`), never in brackets.
_ONE_EACH = frozenset({"flag"})
_BLOCK_LISTS = frozenset({"system-services", "protocols"})


def _join(level: _Level, key: str, sub: _Level, line: int, *, group: int | None = None
          ) -> None:
    """`sub`'s statements placed in `level` under `key` if it holds exactly one, else as a
    block."""
    if len(sub.children) != 1:
        level.put((key,), sub, line, group=group)
        return
    (head, inner), = sub.children.items()
    level.put((key, *head), inner, line, group=group)


def _fill(level: _Level, node: Node, spec: object) -> None:
    for key, item in node.items.items():
        child = _spec_of(spec, key)
        if isinstance(item, Node):
            sub = _Level()
            _fill(sub, item, child)
            if key in _JOINED:
                _join(level, key, sub, item.line)
            elif key in _ONE_LINE and sub.children and all(
                    inner is None for inner in sub.children.values()):
                words = [word for head, _ in sub.ordered() for word in head]
                level.put((key, *words), None, item.line)
            else:
                level.put((key,), sub, item.line)
        elif isinstance(item, dict):
            entry = child.entry if isinstance(child, Named) else None
            names = level.add((key,), node.line, block=True) if key in _LEVEL_LISTS else None
            group = min(sub_node.line for sub_node in item.values()) if item else 0
            for name, sub_node in item.items():
                sub = _Level()
                _fill(sub, sub_node, entry)
                if names is not None:
                    names.put((name,), sub, sub_node.line)
                elif key in _JOINED_ENTRIES or entry is not None and entry.positional and \
                        set(sub_node.items) == {entry.positional}:
                    _join(level, key, _named(name, sub), sub_node.line, group=group)
                else:
                    level.put((key, name), sub, sub_node.line, group=group)
        elif isinstance(item, Value):
            if isinstance(spec, Container) and key == spec.positional \
                    and key not in spec.children:  # `file NAME`, `address NAME PREFIX`
                head: tuple[str, ...] = (item.text,)
            elif child is None or isinstance(child, (Alias, Flag)):
                head = (key,)
            else:
                head = (key, item.text)
            level.add(head, item.line, block=False)
        elif isinstance(item, list) and key in _ONE_EACH:
            for value in item:
                level.add((key, value.text), value.line, block=False)
        elif isinstance(item, list) and key in _BLOCK_LISTS and item:
            names = level.add((key,), item[0].line, block=True)
            for value in item:
                names.add((value.text,), value.line, block=False)
        elif isinstance(item, list) and item:
            texts = tuple(v.text for v in item)
            head = (key, *texts) if len(texts) == 1 or not isinstance(child, LeafList) \
                else (key, "[", *texts, "]")
            level.add(head, item[0].line, block=False)


def _named(name: str, sub: _Level) -> _Level:
    """`sub`'s one statement under the entry's name, to be joined: `address A 10.0.0.0/24;`."""
    (head, inner), = sub.children.items()
    joined = _Level()
    joined.put((name, *head), inner, sub.lines[head][1])
    return joined


def _tree(state: DeviceState) -> _Level:
    tree = parse_tree(state.config_text, source=state.name)
    root = _Level()
    _fill(root, tree.root, JUNOS)
    for statement in tree.ignored:
        words = tokenize(statement.text)  # statement_text quotes as the CLI reads
        level: _Level | None = root
        for word in words[:-2]:
            level = level.add((word,), statement.line, block=True) if level else None
        if level is not None:
            level.add(tuple(words[-2:]), statement.line, block=False)
    return root


# Leaves whose value Junos always prints in quotes: the guide's samples quote every URL
# (`url "www.example.net/scep/Root/";`) but no interface name (ge-0/0/3.0) or prefix.
_QUOTED = frozenset({"url"})


def _quote(head: tuple[str, ...]) -> str:
    # `[` and `]` of a list are punctuation, not words to quote.
    words = [word if word in ("[", "]") else statement_text([Token(word, 1)])
             for word in head]
    if len(head) == 2 and head[0] in _QUOTED and not words[1].startswith('"'):
        words[1] = f'"{words[1]}"'
    return " ".join(words)


def _curly(level: _Level, depth: int) -> list[str]:
    lines = []
    for head, sub in level.ordered():
        pad = INDENT * depth
        if sub is None or not sub.children:
            lines.append(f"{pad}{_quote(head)};")
        else:
            lines += [f"{pad}{_quote(head)} {{", *_curly(sub, depth + 1), f"{pad}}}"]
    return lines


def _set(level: _Level, path: str) -> list[str]:
    lines = []
    for head, sub in level.ordered():
        if head[1:2] == ("[",):  # one set line a list member
            lines += [f"{path} {_quote((head[0], member))}" for member in head[2:-1]]
        elif sub is None or not sub.children:
            lines.append(f"{path} {_quote(head)}")
        else:
            lines += _set(sub, f"{path} {_quote(head)}")
    return lines


def render_configuration(state: DeviceState, level: tuple[str, ...] = (), *,
                         display_set: bool = False) -> str:
    """The configuration below `level` (keywords, e.g. ("security", "ike")); nothing when the
    device has nothing configured there."""
    at: _Level | None = _tree(state)
    for word in level:
        at = at.children.get((word,)) if at is not None else None
    if at is None:
        return ""
    if display_set:
        return "\n".join(_set(at, " ".join(("set", *level))))
    return "\n".join(_curly(at, 0))
