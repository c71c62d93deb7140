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

from sim.junos.grammar import JUNOS, Alias, Container, Ignored, Leaf, LeafList, Named


class ConfigSyntaxError(ValueError):
    """A word the grammar does not allow at its place; `line` is 1-based."""

    def __init__(self, source: str, line: int, word: str, detail: str) -> None:
        self.source = source
        self.line = line
        self.word = word
        self.detail = detail
        super().__init__(f"{source} config line {line}: '{word}': {detail}")


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
    root: Node
    form: Form
    ignored: list[IgnoredStatement] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)


# --- tokens ----------------------------------------------------------------------------------

_PUNCT = "{};[]"
_NEWLINE = "\n"


@dataclass(frozen=True)
class _Token:
    text: str
    line: int
    quoted: bool = False

    @property
    def punct(self) -> bool:
        return not self.quoted and (self.text in _PUNCT or self.text == _NEWLINE)


def _tokenize(text: str, source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            tokens.append(_Token(_NEWLINE, line))
            line, i = line + 1, i + 1
        elif c.isspace():
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise ConfigSyntaxError(source, line, "/*", "syntax error, comment never closed")
            line += text.count("\n", i, end)
            i = end + 2
        elif c == '"':
            j, chars = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\n":
                    raise ConfigSyntaxError(source, line, text[i:j], "syntax error, "
                                            "quoted string not closed on its line")
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                chars.append(text[j])
                j += 1
            if j >= n:
                raise ConfigSyntaxError(source, line, text[i:j], "syntax error, "
                                        "quoted string not closed")
            tokens.append(_Token("".join(chars), line, quoted=True))
            i = j + 1
        elif c in _PUNCT:
            tokens.append(_Token(c, line))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _PUNCT + '"':
                j += 1
            tokens.append(_Token(text[i:j], line))
            i = j
    return tokens


# --- the two forms -> statements -------------------------------------------------------------

_EDIT_COMMANDS = ("delete", "deactivate", "activate", "insert", "rename", "annotate",
                  "copy", "replace", "edit", "top", "up", "exit", "commit", "protect")


def _set_statements(tokens: list[_Token], source: str) -> list[list[_Token]]:
    statements: list[list[_Token]] = []
    line_tokens: list[_Token] = []
    for tok in tokens + [_Token(_NEWLINE, 0)]:
        if tok.text != _NEWLINE or tok.quoted:
            line_tokens.append(tok)
            continue
        if line_tokens:
            verb = line_tokens[0]
            if verb.text != "set" or verb.quoted:
                detail = ("not supported, expecting set" if verb.text in _EDIT_COMMANDS
                          else "syntax error, expecting set")
                raise ConfigSyntaxError(source, verb.line, verb.text, detail)
            for tok2 in line_tokens[1:]:
                if tok2.punct and tok2.text not in "[]":
                    raise ConfigSyntaxError(source, tok2.line, tok2.text, "syntax error, "
                                            "braces and ';' belong to the curly-brace form")
            statements.append(line_tokens)
            line_tokens = []
    return statements


def _hierarchical_statements(tokens: list[_Token], source: str) -> list[list[_Token]]:
    statements: list[list[_Token]] = []
    prefixes: list[list[_Token]] = []
    has_child: list[bool] = []
    current: list[_Token] = []
    last: _Token | None = None
    for tok in tokens:
        if tok.text == _NEWLINE and not tok.quoted:
            continue
        last = tok
        if tok.quoted or tok.text not in "{};":
            current.append(tok)
        elif tok.text == "{":
            if not current:
                raise ConfigSyntaxError(source, tok.line, "{", "syntax error, "
                                        "expecting a statement before '{'")
            prefixes.append(current)
            has_child.append(False)
            current = []
        elif tok.text == ";":
            if not current:
                raise ConfigSyntaxError(source, tok.line, ";", "syntax error, "
                                        "expecting a statement before ';'")
            statements.append([t for p in prefixes for t in p] + current)
            current = []
            if has_child:
                has_child[-1] = True
        else:  # "}"
            if current:
                raise ConfigSyntaxError(source, current[-1].line, current[-1].text,
                                        "syntax error, expecting ';' or '{'")
            if not prefixes:
                raise ConfigSyntaxError(source, tok.line, "}", "syntax error, "
                                        "'}' without '{'")
            prefix = prefixes.pop()
            if not has_child.pop():  # an empty block still creates its container
                statements.append([t for p in prefixes for t in p] + prefix)
            if has_child:
                has_child[-1] = True
    if current:
        raise ConfigSyntaxError(source, current[-1].line, current[-1].text,
                                "syntax error, expecting ';' or '{'")
    if prefixes:
        tok = last or prefixes[-1][0]
        raise ConfigSyntaxError(source, tok.line, tok.text, "syntax error, missing '}'")
    return statements


# --- walking statements through the grammar --------------------------------------------------


def _expecting(spec: Container) -> str:
    names = sorted(k for k, v in spec.children.items() if not isinstance(v, Alias | Ignored))
    if not names:
        names = sorted(spec.children)
    if spec.positional:
        names.append(f"<{spec.positional}>")
    return "syntax error, expecting one of: " + ", ".join(names)


class _Walker:
    def __init__(self, tree: ConfigTree, grammar: Container, source: str) -> None:
        self.tree, self.grammar, self.source = tree, grammar, source

    def _error(self, tok: _Token, detail: str) -> ConfigSyntaxError:
        return ConfigSyntaxError(self.source, tok.line, tok.text, detail)

    def _need(self, words: list[_Token], i: int, placeholder: str) -> _Token:
        if i + 1 >= len(words) or words[i + 1].punct:
            raise self._error(words[i], f"syntax error, expecting <{placeholder}>")
        return words[i + 1]

    def _check_choice(self, tok: _Token, choices: tuple[str, ...] | None) -> None:
        if choices is not None and tok.text not in choices:
            raise self._error(tok, "syntax error, expecting one of: " + ", ".join(sorted(choices)))

    def apply(self, words: list[_Token]) -> None:
        node, spec = self.tree.root, self.grammar
        positional_taken = False
        i = 0
        while i < len(words):
            tok = words[i]
            child = None if tok.quoted else spec.children.get(tok.text)
            if isinstance(child, Alias):
                self.tree.notes.append((tok.line, child.note))
                words = words[:i] + [_Token(t, tok.line) for t in child.target] + words[i + 1:]
                continue
            if child is None:
                if spec.positional and not positional_taken and not tok.punct:
                    node.items[spec.positional] = Value(tok.text, tok.line)
                    if spec.positional_note:
                        self.tree.notes.append((tok.line, spec.positional_note))
                    positional_taken, i = True, i + 1
                    continue
                raise self._error(tok, _expecting(spec))
            if isinstance(child, Ignored):
                text = " ".join(t.text for t in words)
                self.tree.ignored.append(IgnoredStatement(words[-1].line, text))
                return
            if isinstance(child, Container):
                sub = node.items.get(tok.text)
                if not isinstance(sub, Node):
                    sub = node.items[tok.text] = Node(tok.line)
                node, spec, positional_taken, i = sub, child, False, i + 1
            elif isinstance(child, Named):
                key = self._need(words, i, child.placeholder)
                entries = node.items.setdefault(tok.text, {})
                if key.text not in entries:
                    entries[key.text] = Node(key.line)
                node, spec, positional_taken = entries[key.text], child.entry, False
                i += 2
            elif isinstance(child, Leaf):
                value = self._need(words, i, child.placeholder)
                self._check_choice(value, child.choices)
                node.items[tok.text] = Value(value.text, value.line)
                i += 2
            elif isinstance(child, LeafList):
                i = self._leaf_list(node, tok, child, words, i)
            else:  # Flag
                node.items[tok.text] = Value(tok.text, tok.line)
                i += 1

    def _leaf_list(self, node: Node, tok: _Token, spec: LeafList,
                   words: list[_Token], i: int) -> int:
        first = self._need_list(words, i, spec.placeholder)
        if first.text == "[" and not first.quoted:
            j = i + 2
            items: list[_Token] = []
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
        for item in items:
            if item.punct:
                raise self._error(item, f"syntax error, expecting <{spec.placeholder}>")
            self._check_choice(item, spec.choices)
            if all(v.text != item.text for v in values):
                values.append(Value(item.text, item.line))
        return end

    def _need_list(self, words: list[_Token], i: int, placeholder: str) -> _Token:
        if i + 1 >= len(words) or (words[i + 1].punct and words[i + 1].text != "["):
            raise self._error(words[i], f"syntax error, expecting <{placeholder}>")
        return words[i + 1]


def parse_tree(text: str, *, source: str, grammar: Container | None = None,
               relative_to: str = "") -> ConfigTree:
    """Parse Junos configuration text in either form into a statement tree.

    `relative_to` is the hierarchy level the text is written at, as for `load merge
    relative` (e.g. "security pki" for what `show security pki` prints).
    """
    if not isinstance(text, str):
        raise TypeError(f"configuration text must be a str, not {type(text).__name__}")
    grammar = grammar or JUNOS
    tokens = _tokenize(text, source)
    first = next((t for t in tokens if t.text != _NEWLINE or t.quoted), None)
    is_set = first is not None and not first.quoted and (
        first.text == "set" or first.text in _EDIT_COMMANDS)
    form = Form.SET if is_set else Form.HIERARCHICAL
    statements = (_set_statements(tokens, source) if is_set
                  else _hierarchical_statements(tokens, source))
    prefix = [_Token(word, 1) for word in relative_to.split()]
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
