"""How pkid wraps long fields of `show security pki ...` at 80 columns (guide, Chapter 16's
samples of 12.1X46, the documented release).

Three rules, each the one that reproduces every sample of its field:

- lists of items (Subject string, Use for key): joined by ", " and broken after the comma where
  the next item would pass column 80; the comma may fall in column 81 (hello's Subject string
  ends "CN=cn1," in column 81);
- the Issuer/Subject field lists: attributes of one type stay together ("Organization: o1,
  Organization: o2"); a type's run that does not fit starts a new line, and a run longer than a
  line is broken between words (system-generated's "Common name:" / "self-signed");
- the OpenSSL oneline names (Issued by, CRL issuer): broken between words, "O" / "= Example"
  in ca2's CRL issuer, whose first line fills exactly 80 columns.

Continuation lines of a value on its own line (field lists, Subject string) keep its indent;
those of a `Label: value` line are indented two more than the label (hello's "Use for key").
"""

from __future__ import annotations

import re

__all__ = ["WIDTH", "continuation", "wrap_groups", "wrap_items", "wrap_words"]

WIDTH = 80
_BREAK = re.compile(r"(?<=\S) (?=\S)")


def continuation(line: str) -> str:
    """The indent of a `Label: value` line's continuations: two more than the label's."""
    return " " * (len(line) - len(line.lstrip(" ")) + 2)


def wrap_words(line: str, *, indent: str, width: int = WIDTH) -> list[str]:
    """`line` broken between words so that no line passes `width` (a word longer than a line
    stays whole); continuation lines start with `indent`."""
    lead = line[:len(line) - len(line.lstrip(" "))]
    lines: list[str] = []
    current = lead
    # Break only at a single space between two words: a run of spaces (inside a value) stays.
    for word in _BREAK.split(line[len(lead):]):
        if current.strip() and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = indent + word
        else:
            current = f"{current} {word}" if current.strip() else current + word
    lines.append(current)
    return lines


def wrap_items(prefix: str, items: list[str], *, indent: str, width: int = WIDTH,
               indents: list[str] | None = None) -> list[str]:
    """`prefix` then `items` joined by ", ", broken after a comma where the next item would
    pass `width`. A continuation line starts with `indent`, or with indents[i] when it starts
    at items[i]."""
    lines: list[str] = []
    current = prefix
    for number, item in enumerate(items):
        if current != prefix and len(current) + 2 + len(item) > width:
            lines.append(current + ",")
            current = (indents[number] if indents else indent) + item
        else:
            current = current + item if current == prefix else f"{current}, {item}"
    lines.append(current)
    return lines


def wrap_groups(indent: str, groups: list[list[str]], *, width: int = WIDTH) -> list[str]:
    """The field list `groups` (one list of items per attribute type) from `indent`: a group
    stays on one line when it can; one longer than a line is broken between words."""
    lines: list[str] = []
    current = ""
    for group in groups:
        text = ", ".join(group)
        if current and len(indent) + len(current) + 2 + len(text) <= width:
            current = f"{current}, {text}"
            continue
        if current:
            lines.append(f"{indent}{current},")
        if len(indent) + len(text) <= width:
            current = text
            continue
        *full, current = wrap_words(indent + text, indent=indent, width=width)
        lines += full
        current = current[len(indent):]
    if current:
        lines.append(indent + current)
    return lines
