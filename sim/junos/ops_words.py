r"""Reading an operational command line into words, as the Junos CLI does: runs of plain
characters, "double-quoted" text (where a backslash escapes `"` and `\`), 'single-quoted'
text and backslash-escaped characters, joined, as a POSIX shell reads `a"b c"d`, in time
linear in the line's length; and the one-line error a line the CLI refuses gets.
"""

from __future__ import annotations

import re

__all__ = ["MAX_LINE", "ParseError", "tokenize", "word_spans"]


class ParseError(ValueError):
    """A line the CLI refuses before running anything; str() is the one-line answer."""


# A generous bound on one command line: far more than any command needs, small enough that
# reading a line costs nothing.
MAX_LINE = 65536

# A word: runs of plain characters, "double-quoted" text (where a backslash escapes `"` and
# `\`), 'single-quoted' text and backslash-escaped characters, joined, as shlex.split (a
# POSIX shell) reads `a"b c"d`; shlex itself takes time quadratic in a word's length.
_PIECE = re.compile(r"""[^\s"'\\]+|"([^"\\]*(?:\\.[^"\\]*)*)"|'([^']*)'|\\(.)|(\s+)""", re.S)
_ESCAPE = re.compile(r'\\(["\\])')  # inside double quotes, as a POSIX shell


def tokenize(line: str) -> list[str]:
    """The words of `line`, in time linear in its length."""
    return [word for word, _ in word_spans(line)]


def word_spans(line: str) -> list[tuple[str, int]]:
    """The words of `line`, each with the column it starts at (where a caret marks it)."""
    if len(line) > MAX_LINE:
        raise ParseError(f"error: line of {len(line)} characters (at most {MAX_LINE}).")
    words: list[tuple[str, int]] = []
    pieces: list[str] | None = None  # the word being read, if any
    start = at = 0
    while at < len(line):
        match = _PIECE.match(line, at)
        if match is None:  # an opening quote without its closing one, or a final backslash
            raise ParseError("syntax error, unbalanced quotes.")
        if match[4] is not None:  # whitespace ends a word
            if pieces is not None:
                words.append(("".join(pieces), start))
                pieces = None
            at = match.end()
            continue
        if pieces is None:
            pieces, start = [], at
        at = match.end()
        if match[1] is not None:
            pieces.append(_ESCAPE.sub(r"\1", match[1]))
        elif match[2] is not None:
            pieces.append(match[2])
        elif match[3] is not None:
            pieces.append(match[3])
        else:
            pieces.append(match[0])
    if pieces is not None:
        words.append(("".join(pieces), start))
    return words
