"""The operational-mode commands ikesim answers, as a tree of keywords, and how a typed line is
read against it: keywords may be shortened to any unique prefix (`sh sec pki crl`), options
after the command's keywords come in any order (`generate-key-pair type rsa size 1024
certificate-id test`, as Chapter 16 types it), values with spaces go in double quotes, and
`?` lists what may come next ("Possible completions:").

Errors are one line, in the CLI's words: "syntax error, expecting <command>." for a word that
does not fit, "syntax error, expecting <certificate-id-name>." for a missing value,
"error: missing mandatory argument: subject" for a missing required option.

The tree itself is sim.junos.ops_tree and the reading of words sim.junos.ops_words; their
names are re-exported here.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from pki.files import FileRefused, check_name
from sim.junos.config_tokens import shown
from sim.junos.ops_tree import CERT_ID, ROOT, Command, Leaf, Node, Opt, commands, help_text
from sim.junos.ops_words import MAX_LINE, ParseError, tokenize, word_spans

__all__ = ["EXPECTING", "MAX_LINE", "NUMBER", "ROOT", "Command", "Leaf", "Node", "Opt",
           "ParseError", "choices", "commands", "complete", "help_text", "parse",
           "peer_address", "sa_index", "tokenize", "word_spans"]


EXPECTING = "syntax error, expecting <command>."
_FILE_NAMES = {CERT_ID: "certificate-id", "ca-profile-name": "ca-profile",
               "filename": "log file", "ca-group-name": "ca-profile-group"}


def _match(word: str, names: list[str]) -> str:
    if word in names:
        return word
    hits = [name for name in names if name.startswith(word)]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise ParseError(f"'{word}' is ambiguous.")
    raise ParseError(EXPECTING)


def _walk(tokens: list[str]) -> tuple[Node | Leaf, int]:
    """The node or leaf the keywords lead to, and how many tokens they took."""
    node: Node | Leaf = ROOT
    pos = 0
    while isinstance(node, Node) and pos < len(tokens):
        try:
            node = node.children[_match(tokens[pos], list(node.children))]
        except ParseError:
            if node.other is None:
                raise
            return node.other, pos  # the word is the leaf's positional value
        pos += 1
    return node, pos


def _options(leaf: Leaf, tokens: list[str], *, partial: bool = False) -> dict[str, str | bool]:
    args: dict[str, str | bool] = {}
    by_name = {opt.name: opt for opt in leaf.opts}
    pos = 0
    while pos < len(tokens):
        try:
            name = _match(tokens[pos], [n for n in by_name if n not in args])
        except ParseError:
            if leaf.positional is None or leaf.positional in args:
                raise
            args[leaf.positional] = _checked(by_name[leaf.positional], tokens[pos])
            pos += 1
            continue
        opt = by_name[name]
        pos += 1
        if opt.value is None:
            args[name] = True
            continue
        if pos == len(tokens):
            if partial:
                args[name] = ""
                break
            raise ParseError(f"syntax error, expecting <{opt.value}>.")
        args[name] = _checked(opt, tokens[pos])
        pos += 1
    return args


def _checked(opt: Opt, value: str) -> str:
    if opt.choices and value not in opt.choices:
        raise ParseError(f"syntax error, expecting {' | '.join(opt.choices)}.")
    if opt.value in _FILE_NAMES:
        try:  # a certificate-id, ca-profile or log file names a file: never a path
            check_name(_FILE_NAMES[opt.value], value)
        except FileRefused as exc:
            raise ParseError(f"error: {exc}") from None
    return value


def parse(line: str) -> Command:
    """The command a line asks for; raises ParseError with the CLI's one-line answer."""
    tokens = tokenize(line)
    if not tokens:
        raise ParseError(EXPECTING)
    node, pos = _walk(tokens)
    if isinstance(node, Node):
        if node.key is None:
            raise ParseError(EXPECTING)
        return Command(node.key, {})
    args = _options(node, tokens[pos:])
    for name in node.required:
        if name not in args:
            raise ParseError(f"error: missing mandatory argument: {name}")
    chosen = [name for name in node.one_of if name in args]
    if node.one_of and not chosen:
        raise ParseError(EXPECTING)
    for group in (*node.exclusive, node.one_of):
        given = [name for name in group if name in args]
        if len(given) > 1:
            raise ParseError(f"error: {given[0]} and {given[1]} cannot be used together")
    return Command(node.key, args)


NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII digits: '²'.isdigit() holds, int('²') fails


def sa_index(cmd: Command) -> int | None:
    """The command's `index N`, checked: ParseError with the CLI's line for anything else."""
    value = cmd.get("index")
    if value is None:
        return None
    if not NUMBER.fullmatch(value):
        raise ParseError(f"error: invalid index '{shown(value)}': expecting a number")
    return int(value)


def peer_address(cmd: Command) -> str | None:
    """The command's peer address, checked and in its usual spelling."""
    value = cmd.get("peer-address")
    if value is None:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ParseError(f"error: invalid peer address '{shown(value)}'") from None


Names = Callable[[str], list[str]]


def complete(line: str, names: Names | None = None) -> str:
    """What `?` at the end of `line` answers: "Possible completions:" and a two-column list,
    or the one-line error the words typed so far already cause. `names(kind)` supplies
    existing names ("local", "request", "key", "profile", "ike-sa", "ipsec-sa") to offer for
    a value."""
    try:
        items = choices(line[:-1] if line.endswith("?") else line, names)
    except ParseError as error:
        return str(error)
    if not items:
        return "No valid completions"
    return "\n".join(["Possible completions:",
                      *(f"  {name:<20} {help_text}" for name, help_text in items)])


def _other_items(node: Node, leaf: Leaf, names: Names | None) -> list[tuple[str, str]]:
    """What a word that is no keyword may be: `<filename>` and the names that exist."""
    opt = next(o for o in leaf.opts if o.name == leaf.positional)
    known = names(opt.names) if names and opt.names else []
    return [(f"<{opt.value}>", opt.help),
            *((name, leaf.help) for name in known if name not in node.children)]


def choices(text: str, names: Names | None = None) -> list[tuple[str, str]]:
    """What may come at the end of `text` (its last word, when not followed by a space, is
    the start of one): (choice, one-line help) pairs, placeholders such as
    `<certificate-id-name>` and `<[Enter]>` included; ParseError for words that do not fit."""
    words = tokenize(text)
    partial = "" if not text or text[-1].isspace() else words.pop()
    node, pos = _walk(words)
    if isinstance(node, Node):
        items = [(name, child.help) for name, child in node.children.items()]
        if node.other is not None:  # Junos lists `<filename>` first, then the files
            placeholder, *known = _other_items(node, node.other, names)
            items = [placeholder, *items, *known]
        if node.key is not None:
            items = [("<[Enter]>", "Execute this command"), *items,
                     ("|", "Pipe through a command")]
    else:
        items = _leaf_items(node, words[pos:], names)
    return [(name, help_text) for name, help_text in items
            if name.startswith(partial) or (name.startswith("<") and name != "<[Enter]>")]


def _leaf_items(leaf: Leaf, tokens: list[str], names: Names | None) -> list[tuple[str, str]]:
    args = _options(leaf, tokens, partial=True)
    waiting = [name for name, value in args.items() if value == ""]
    if waiting:
        opt = next(o for o in leaf.opts if o.name == waiting[0])
        if opt.choices:
            return [(choice, opt.help) for choice in opt.choices]
        known = names(opt.names) if names and opt.names else []
        return [(f"<{opt.value}>", opt.help), *((n, opt.help) for n in known)]
    taken = set(args)
    for group in (*leaf.exclusive, leaf.one_of):
        if taken & set(group):
            taken |= set(group)
    items = []
    complete_now = all(name in args for name in leaf.required) and (
        not leaf.one_of or any(name in args for name in leaf.one_of))
    if complete_now:
        items.append(("<[Enter]>", "Execute this command"))
    if leaf.positional is not None and leaf.positional not in taken:
        opt = next(o for o in leaf.opts if o.name == leaf.positional)
        items.append((f"<{opt.value}>", opt.help))
    items += [(opt.name, opt.help) for opt in leaf.opts
              if opt.name not in taken and opt.name != leaf.positional]
    items.append(("|", "Pipe through a command"))
    return items
