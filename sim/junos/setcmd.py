"""Junos configuration text -> a statement tree, in `set` form or curly-brace form.

Both forms reduce to the same thing: a list of statements, each a list of words with their
line numbers. The `set` form has one statement a line; the curly-brace form (what
`show security pki` prints) is flattened, `a b { c d; e; }` becoming `a b c d` and `a b e`.
Each statement is then walked through the grammar (`JUNOS`, in sim.junos.grammar), which
decides what every word is: a container, a named entry (`ca-profile NAME`), a leaf with one
value, a leaf-list (`proposals [ a b ]`), or a flag. As in the Junos CLI, after
a leaf's value the next word is a sibling of that leaf, so
`set security pki ca-profile P ca-identity X revocation-check crl` is one valid statement.

What the tree means (types, ranges, cross references) is sim.junos.config's job; here only
the words are checked. Errors are one line: `Host-A config line 7: 'retry-intervl': syntax
error, expecting one of: retry, retry-interval, url`.

Not supported: `delete`, `deactivate` and the other editing commands, `edit`/`top`
navigation, and `groups`/`apply-groups` inheritance (ignored with the rest of `groups`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from pki.profiles import ConfigError
from sim.junos.config_tokens import (
    EDIT_COMMANDS,
    NEWLINE,
    ConfigSyntaxError,
    Token,
    hierarchical_statements,
    set_statements,
    shown,
    tokenize,
)
from sim.junos.grammar import JUNOS, Alias, Container, Ignored, Leaf, LeafList, Named, Unmodelled

__all__ = ["ConfigSyntaxError", "ConfigTree", "Form", "IgnoredStatement", "Node", "Value",
           "parse_tree", "statement_text"]


# --- the tree --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    text: str
    line: int


class Node:
    """One container of the tree. `items` maps a keyword to a Node (container), a dict of
    entry Nodes (named list), a Value (leaf, flag, positional) or a list of Values."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.items: dict[str, object] = {}

    def container(self, key: str) -> Node | None:
        item = self.items.get(key)
        return item if isinstance(item, Node) else None

    def entries(self, key: str) -> dict[str, Node]:
        item = self.items.get(key)
        return item if isinstance(item, dict) else {}

    def value(self, key: str) -> Value | None:
        item = self.items.get(key)
        return item if isinstance(item, Value) else None

    def values(self, key: str) -> list[Value]:
        item = self.items.get(key)
        return item if isinstance(item, list) else []

    def flag(self, key: str) -> bool:
        return isinstance(self.items.get(key), Value)

    def to_plain(self) -> dict:
        """Nested dicts, lists and strings without line numbers (for comparing two texts)."""
        out: dict = {}
        for key, item in self.items.items():
            if isinstance(item, Node):
                out[key] = item.to_plain()
            elif isinstance(item, dict):
                out[key] = {name: entry.to_plain() for name, entry in item.items()}
            elif isinstance(item, Value):
                out[key] = item.text
            else:
                out[key] = [v.text for v in item]
        return out

    def line_of(self, words: list[str]) -> int:
        """The line of the deepest item `words` (a statement below this node) reaches."""
        node, line, i = self, self.line, 0
        while i < len(words):
            item = node.items.get(words[i])
            if isinstance(item, Node):
                node, line, i = item, item.line, i + 1
            elif isinstance(item, dict) and i + 1 < len(words) and words[i + 1] in item:
                node = item[words[i + 1]]
                line, i = node.line, i + 2
            elif isinstance(item, Value):
                return item.line
            elif isinstance(item, list) and item:
                wanted = words[i + 1] if i + 1 < len(words) else None
                return next((v.line for v in item if v.text == wanted), item[0].line)
            else:
                break
        return line


@dataclass(frozen=True)
class IgnoredStatement:
    line: int
    text: str


class Form(enum.Enum):
    SET = "set"
    HIERARCHICAL = "hierarchical"


@dataclass
class ConfigTree:
    """The statements' tree, with what was read but not modelled: `ignored` every statement
    of an Ignored hierarchy, `unmodelled` the first statement of each Ignored hierarchy and of
    each Unmodelled statement (per gateway, VPN, route, ...), so that a pasted configuration
    does not flood its reader."""

    root: Node
    form: Form
    ignored: list[IgnoredStatement] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    unmodelled: list[IgnoredStatement] = field(default_factory=list)
    unmodelled_seen: set[tuple[str, ...]] = field(default_factory=set, repr=False)

    def record_unmodelled(self, keys: list[tuple[str, ...]], words: list[Token]) -> None:
        fresh = [key for key in keys if key not in self.unmodelled_seen]
        if fresh:
            self.unmodelled_seen.update(fresh)
            self.unmodelled.append(IgnoredStatement(words[-1].line, statement_text(words)))


def statement_text(words: list[Token], *, limit: int | None = None) -> str:
    """The statement as Junos would show it: words that need quotes are quoted. With `limit`,
    each word is cut for an error line."""
    out = []
    for tok in words:
        text = shown(tok.text, limit) if limit else tok.text
        if not text or any(c in text for c in ' "{};[]#') or text.startswith("/*"):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        out.append(text)
    return " ".join(out)


# --- walking statements through the grammar --------------------------------------------------

NAME_MAX = 63  # Junos names (zones, policies, gateways, profiles...): at most 63 characters


def _expecting(spec: Container) -> str:
    names = sorted(k for k, v in spec.children.items() if not isinstance(v, Alias | Ignored))
    if not names:
        names = sorted(spec.children)
    if spec.positional:
        names.append(f"<{spec.positional}>")
    return "syntax error, expecting one of: " + ", ".join(names)


def _name_problem(name: str) -> str | None:
    if not 0 < len(name) <= NAME_MAX or not (name.isascii() and name.isprintable()):
        return f"a name must be 1..{NAME_MAX} printable ASCII characters"
    return None


class _Walker:
    def __init__(self, tree: ConfigTree, grammar: Container, source: str) -> None:
        self.tree, self.grammar, self.source = tree, grammar, source
        self._listed: dict[int, set[str]] = {}  # the texts of each leaf-list, by id

    def _error(self, tok: Token, detail: str) -> ConfigSyntaxError:
        return ConfigSyntaxError(self.source, tok.line, tok.text, detail)

    def _check(self, words: list[Token], problem: str | None) -> None:
        """A value Junos refuses at commit: the statement up to it (its last word) named."""
        if problem is not None:
            raise ConfigError(statement_text(words, limit=64), problem,
                              where=f"{self.source} config line {words[-1].line}")

    def _need(self, words: list[Token], i: int, placeholder: str) -> Token:
        if i + 1 >= len(words) or words[i + 1].punct:
            raise self._error(words[i], f"syntax error, expecting <{placeholder}>")
        return words[i + 1]

    def _check_choice(self, tok: Token, choices: tuple[str, ...] | None) -> None:
        if choices is not None and tok.text not in choices:
            raise self._error(tok, "syntax error, expecting one of: " + ", ".join(sorted(choices)))

    def apply(self, words: list[Token]) -> None:
        node, spec = self.tree.root, self.grammar
        path: list[str] = []  # the keywords and names leading to `node`
        unmodelled: list[tuple[str, ...]] = []
        positional_taken = False
        i = 0
        while i < len(words):
            tok = words[i]
            child = None if tok.quoted else spec.children.get(tok.text)
            if isinstance(child, Alias):
                self.tree.notes.append((tok.line, child.note))
                words = words[:i] + [Token(t, tok.line) for t in child.target] + words[i + 1:]
                continue
            if child is None:
                if spec.positional and not positional_taken and not tok.punct:
                    if spec.positional_check is not None:
                        self._check(words[:i + 1], spec.positional_check(tok.text))
                    node.items[spec.positional] = Value(tok.text, tok.line)
                    if spec.positional_note:
                        self.tree.notes.append((tok.line, spec.positional_note))
                    positional_taken, i = True, i + 1
                    continue
                raise self._error(tok, _expecting(spec))
            if isinstance(child, Ignored):
                self.tree.ignored.append(IgnoredStatement(words[-1].line, statement_text(words)))
                self.tree.record_unmodelled([(*path, tok.text)], words)
                return
            if isinstance(child, Unmodelled):
                child = child.spec
                key = (*path, tok.text)
                if isinstance(child, Named) and i + 1 < len(words):
                    key = (*key, words[i + 1].text)  # one record per route, selector, ...
                unmodelled.append(key)
            if isinstance(child, Container):
                sub = node.items.get(tok.text)
                if not isinstance(sub, Node):
                    sub = node.items[tok.text] = Node(tok.line)
                node, spec, positional_taken, i = sub, child, False, i + 1
                path.append(tok.text)
            elif isinstance(child, Named):
                key = self._need(words, i, child.placeholder)
                self._check(words[:i + 2], _name_problem(key.text) or (
                    child.key_check(key.text) if child.key_check else None))
                entries = node.items.setdefault(tok.text, {})
                if key.text not in entries:
                    entries[key.text] = Node(key.line)
                node, spec, positional_taken = entries[key.text], child.entry, False
                path += [tok.text, key.text]
                i += 2
            elif isinstance(child, Leaf):
                value = self._need(words, i, child.placeholder)
                self._check_choice(value, child.choices)
                if child.check is not None:
                    self._check(words[:i + 2], child.check(value.text))
                node.items[tok.text] = Value(value.text, value.line)
                i += 2
            elif isinstance(child, LeafList):
                i = self._leaf_list(node, tok, child, words, i)
            else:  # Flag
                node.items[tok.text] = Value(tok.text, tok.line)
                i += 1
        if unmodelled:
            self.tree.record_unmodelled(unmodelled, words)

    def _leaf_list(self, node: Node, tok: Token, spec: LeafList,
                   words: list[Token], i: int) -> int:
        first = self._need_list(words, i, spec.placeholder)
        if first.text == "[" and not first.quoted:
            j = i + 2
            items: list[Token] = []
            while j < len(words) and not (words[j].text == "]" and not words[j].quoted):
                items.append(words[j])
                j += 1
            if j >= len(words):
                raise self._error(words[-1], "syntax error, missing ']'")
            if not items:
                raise self._error(words[j], f"syntax error, expecting <{spec.placeholder}>")
            end = j + 1
        else:
            items, end = [first], i + 2
        values = node.items.setdefault(tok.text, [])
        listed = self._listed.setdefault(id(values), set())
        for item in items:
            if item.punct:
                raise self._error(item, f"syntax error, expecting <{spec.placeholder}>")
            self._check_choice(item, spec.choices)
            if spec.check is not None:
                self._check([*words[:i + 1], item], spec.check(item.text))
            if item.text not in listed:
                listed.add(item.text)
                values.append(Value(item.text, item.line))
        return end

    def _need_list(self, words: list[Token], i: int, placeholder: str) -> Token:
        if i + 1 >= len(words) or (words[i + 1].punct and words[i + 1].text != "["):
            raise self._error(words[i], f"syntax error, expecting <{placeholder}>")
        return words[i + 1]


def parse_tree(text: str, *, source: str, grammar: Container | None = None,
               relative_to: str = "") -> ConfigTree:
    """Parse Junos configuration text in either form into a statement tree.

    `relative_to` is the hierarchy level the text is written at, as for `load merge
    relative` (e.g. "security pki" for what `show security pki` prints). Raises
    ConfigSyntaxError for words the grammar does not allow, and ConfigError for a value that
    fails its statement's check (a range, an address, a name that becomes a file name).
    """
    if not isinstance(text, str):
        raise TypeError(f"configuration text must be a str, not {type(text).__name__}")
    grammar = grammar or JUNOS
    tokens = tokenize(text, source)
    first = next((t for t in tokens if t.text != NEWLINE or t.quoted), None)
    is_set = first is not None and not first.quoted and (
        first.text == "set" or first.text in EDIT_COMMANDS)
    form = Form.SET if is_set else Form.HIERARCHICAL
    statements = (set_statements(tokens, source) if is_set
                  else hierarchical_statements(tokens, source))
    prefix = [Token(word, 1) for word in relative_to.split()]
    if prefix:
        try:  # the level itself must be valid before anything is placed under it
            _Walker(ConfigTree(root=Node(1), form=form), grammar, source).apply(prefix)
        except ConfigSyntaxError as exc:
            raise ValueError(f"relative_to {relative_to!r}: {exc.detail}") from None
    tree = ConfigTree(root=Node(1), form=form)
    walker = _Walker(tree, grammar, source)
    for words in statements:
        if is_set:  # drop the verb; a bare `set` is missing its statement
            if len(words) == 1:
                raise ConfigSyntaxError(source, words[0].line, "set", _expecting(grammar))
            words = words[1:]
        walker.apply(prefix + words)
    return tree
