"""A command line's syntax error marked as the Junos CLI marks it: a line of spaces up to the
word that does not fit, a `^` under it, then the error:

    user@host> show securty pki crl
                    ^
    syntax error, expecting <command>.

A first word that is no command at all is "unknown command."; a line that stops before the
command is complete gets the `^` just past its last word; a word that may be the start of
several is "'c' is ambiguous." and the list of what it may mean. Errors that are not about syntax
(`error: ...`) are answered as they are, without a mark.
"""

from __future__ import annotations

from sim.junos.logs import syslog_escape
from sim.junos.ops_grammar import EXPECTING, ParseError, choices, complete, word_spans

UNKNOWN = "unknown command."


def bad_word(line: str) -> int | None:
    """The column of the first word of `line` after which nothing can follow, or None when
    every word of the command (before any `|`) fits."""
    spans = word_spans(line)
    words = [word for word, _ in spans]
    head = words.index("|") if "|" in words else len(words)

    def fails(count: int) -> bool:
        # The first `count + 1` words, and a space: does anything fit after them?
        end = spans[count + 1][1] if count + 1 < len(spans) else len(line)
        try:
            choices(line[:end] + " ")
        except ParseError:
            return True
        return False

    # No command takes more than a few words: the scan stops at the first that does not
    # fit, however long the line.
    first = next((k for k in range(head) if fails(k)), head)
    if first < head:
        return spans[first][1]
    if head + 1 < len(spans):  # the command fits: the pipe's verb does not
        return spans[head + 1][1]
    return None


def marked(line: str, message: str, *, indent: int) -> str:
    """The answer to `line` refused with `message`, a `^` under the word at fault; `indent` is
    the width of the prompt the line was typed after."""
    ambiguous = message.endswith(" is ambiguous.")
    if not (message.startswith("syntax error") or ambiguous):
        return message
    try:
        column = bad_word(line)
    except ParseError:  # unbalanced quotes: the line itself does not split into words
        column = None
    if column is None:
        column = len(line.rstrip()) + 1
    elif column == word_spans(line)[0][1] and message == EXPECTING:
        message = UNKNOWN
    elif ambiguous:
        # As Junos does, the words the prefix could mean, with their help.
        word_end = column + len(line[column:].split(maxsplit=1)[0])
        message = f"{message}\n{complete(line[:word_end])}"
    # The line was echoed escaped: count the columns as they were shown.
    width = indent + len(syslog_escape((line + " ")[:column]))
    return f"{' ' * width}^\n{message}"
