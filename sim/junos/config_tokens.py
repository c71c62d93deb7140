"""Junos configuration text -> statements (lists of words with their lines), in `set` form or
curly-brace form, with the limits that keep hostile text cheap: words are printable and at
most MAX_WORD characters, blocks nest at most MAX_DEPTH deep, a statement has at most
MAX_WORDS words and all statements together (flattened) at most MAX_TOTAL words. Every
refusal is one ConfigSyntaxError line naming the line and the word. The work is linear in the
text. sim.junos.setcmd walks the statements through the grammar.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["ConfigSyntaxError", "MAX_DEPTH", "MAX_TOTAL", "MAX_WORD", "MAX_WORDS",
           "EDIT_COMMANDS",
           "Token", "hierarchical_statements", "set_statements", "shown", "tokenize"]

# Generous beside what an SRX configuration holds (its names are at most 63 characters, its
# hierarchy a dozen levels deep), small enough that no text can make the parse expensive.
MAX_WORD = 1024
MAX_DEPTH = 32
MAX_WORDS = 4096
MAX_TOTAL = 1_000_000

EDIT_COMMANDS = ("delete", "deactivate", "activate", "insert", "rename", "annotate",
                 "copy", "replace", "edit", "top", "up", "exit", "commit", "protect")


def shown(word: str, limit: int = 64) -> str:
    """`word` for an error line: non-printable characters escaped, cut at `limit`."""
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in word[:limit])
    return text if len(word) <= limit else text + "..."


class ConfigSyntaxError(ValueError):
    """A word the grammar does not allow at its place; `line` is 1-based."""

    def __init__(self, source: str, line: int, word: str, detail: str) -> None:
        self.source = source
        self.line = line
        self.word = word
        self.detail = detail
        super().__init__(f"{source} config line {line}: '{shown(word)}': {detail}")


PUNCT = "{};[]"
NEWLINE = "\n"


@dataclass(frozen=True)
class Token:
    text: str
    line: int
    quoted: bool = False

    @property
    def punct(self) -> bool:
        return not self.quoted and (self.text in PUNCT or self.text == NEWLINE)


_SPACE = " \t\r\f\v"
_WORD = re.compile(r'[^ \t\r\f\v\n{};\[\]"]+')
_QUOTED = re.compile(r'"((?:[^"\\\n]|\\[^\n])*)"')
_ESCAPE = re.compile(r"\\(.)")


def _check_word(word: str, line: int, source: str) -> None:
    if len(word) > MAX_WORD:
        raise ConfigSyntaxError(source, line, word, f"syntax error, a word of {len(word)} "
                                f"characters (at most {MAX_WORD})")
    if not word.replace(" ", "").isprintable():  # a space only inside quotes
        bad = next(c for c in word if not c.isprintable() and c != " ")
        raise ConfigSyntaxError(source, line, word, f"syntax error, character U+{ord(bad):04X} "
                                "is not allowed in a configuration")


def tokenize(text: str, source: str) -> list[Token]:
    """The words of `text`, each with its line. The members of a device group are configured
    from one template, so most of their lines are the same text at the same place: those are
    tokenized once (_line_tokens) and only the lines that differ per member are read again.
    Text whose tokens can span lines (a /* comment */) is read whole, and so is any text with
    an error, so that the error line is exactly the one reading it whole gives."""
    if "/*" in text:
        return _tokenize(text, source)
    tokens: list[Token] = []
    try:
        for number, line in enumerate(text.split(NEWLINE), 1):
            if number > 1:
                tokens.append(Token(NEWLINE, number - 1))
            tokens.extend(_line_tokens(line, number) if len(line) <= _CACHED_LINE
                          else _tokenize(line, source, line=number))
    except ConfigSyntaxError:
        return _tokenize(text, source)
    return tokens


_CACHED_LINE = 512  # a configuration line is short; a longer one is not worth keeping


@functools.lru_cache(maxsize=4096)
def _line_tokens(line: str, number: int) -> tuple[Token, ...]:
    """The tokens of one line without a newline, as line `number` (Tokens are frozen, so
    configurations may share them)."""
    return tuple(_tokenize(line, "", line=number))


def _tokenize(text: str, source: str, *, line: int = 1) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == NEWLINE:
            tokens.append(Token(NEWLINE, line))
            line, i = line + 1, i + 1
        elif c in _SPACE:
            i += 1
        elif c == "#":
            end = text.find(NEWLINE, i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise ConfigSyntaxError(source, line, "/*", "syntax error, comment never closed")
            line += text.count(NEWLINE, i, end)
            i = end + 2
        elif c == '"':
            match = _QUOTED.match(text, i)
            if match is None:
                end = text.find(NEWLINE, i)
                detail = ("quoted string not closed" if end < 0
                          else "quoted string not closed on its line")
                raise ConfigSyntaxError(source, line, text[i:end if end >= 0 else n],
                                        f"syntax error, {detail}")
            word = _ESCAPE.sub(r"\1", match[1])
            _check_word(word, line, source)
            tokens.append(Token(word, line, quoted=True))
            i = match.end()
        elif c in PUNCT:
            tokens.append(Token(c, line))
            i += 1
        else:
            word = _WORD.match(text, i)[0]
            _check_word(word, line, source)
            tokens.append(Token(word, line))
            i += len(word)
    return tokens


def _check_length(words: list[Token], source: str) -> None:
    if len(words) > MAX_WORDS:
        raise ConfigSyntaxError(source, words[0].line, words[0].text, "syntax error, a "
                                f"statement of {len(words)} words (at most {MAX_WORDS})")


class _Budget:
    """The words of all statements together: a block's words count once per statement in
    it, so a long prefix over many statements is refused before it costs anything."""

    def __init__(self, source: str) -> None:
        self.source, self.left = source, MAX_TOTAL

    def take(self, words: list[Token]) -> None:
        self.left -= len(words)
        if self.left < 0:
            raise ConfigSyntaxError(self.source, words[-1].line, words[-1].text, "syntax "
                                    f"error, a configuration of more than {MAX_TOTAL} words")


def set_statements(tokens: list[Token], source: str) -> list[list[Token]]:
    statements: list[list[Token]] = []
    line_tokens: list[Token] = []
    budget = _Budget(source)
    for tok in [*tokens, Token(NEWLINE, 0)]:
        if tok.text != NEWLINE or tok.quoted:
            line_tokens.append(tok)
            continue
        if line_tokens:
            verb = line_tokens[0]
            if verb.text != "set" or verb.quoted:
                detail = ("not supported, expecting set" if verb.text in EDIT_COMMANDS
                          else "syntax error, expecting set")
                raise ConfigSyntaxError(source, verb.line, verb.text, detail)
            for tok2 in line_tokens[1:]:
                if tok2.punct and tok2.text not in "[]":
                    raise ConfigSyntaxError(source, tok2.line, tok2.text, "syntax error, "
                                            "braces and ';' belong to the curly-brace form")
            _check_length(line_tokens, source)
            budget.take(line_tokens)
            statements.append(line_tokens)
            line_tokens = []
    return statements


def hierarchical_statements(tokens: list[Token], source: str) -> list[list[Token]]:
    """`a b { c d; e; }` -> [a b c d], [a b e]; an empty block `a { }` is the statement a."""
    statements: list[list[Token]] = []
    prefixes: list[list[Token]] = []
    flat: list[Token] = []  # the prefixes' words, kept joined as blocks open and close
    has_child: list[bool] = []
    current: list[Token] = []
    last: Token | None = None
    budget = _Budget(source)
    for tok in tokens:
        if tok.text == NEWLINE and not tok.quoted:
            continue
        last = tok
        if tok.quoted or tok.text not in "{};":
            current.append(tok)
        elif tok.text == "{":
            if not current:
                raise ConfigSyntaxError(source, tok.line, "{", "syntax error, "
                                        "expecting a statement before '{'")
            if len(prefixes) == MAX_DEPTH:
                raise ConfigSyntaxError(source, tok.line, "{", "syntax error, blocks nested "
                                        f"deeper than {MAX_DEPTH} levels")
            prefixes.append(current)
            flat.extend(current)
            _check_length(flat, source)
            has_child.append(False)
            current = []
        elif tok.text == ";":
            if not current:
                raise ConfigSyntaxError(source, tok.line, ";", "syntax error, "
                                        "expecting a statement before ';'")
            statement = flat + current
            _check_length(statement, source)
            budget.take(statement)
            statements.append(statement)
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
            del flat[len(flat) - len(prefix):]
            if not has_child.pop():  # an empty block still creates its container
                budget.take(flat + prefix)
                statements.append(flat + prefix)
            if has_child:
                has_child[-1] = True
    if current:
        raise ConfigSyntaxError(source, current[-1].line, current[-1].text,
                                "syntax error, expecting ';' or '{'")
    if prefixes:
        tok = last or prefixes[-1][0]
        raise ConfigSyntaxError(source, tok.line, tok.text, "syntax error, missing '}'")
    return statements
