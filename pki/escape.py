"""Text from input ikesim did not write (a peer's identity, a certificate's subject, a server's
reason phrase, a file name), made safe for a log line or a terminal.

One rendering everywhere, FreeBSD syslogd's (Junos's syslogd is FreeBSD's;
parsemsg_remove_unsafe_characters): a newline becomes a space, a tab stays, other C0 controls
and DEL take caret notation (`^[`, `^M`, `^@`), and the C1 controls are shown in `M-` meta
notation (syslogd's mask_C1). syslogd passes other bytes through, so printable Unicode (a DN
in UTF-8) stays readable, as a UTF-8 terminal shows it; the remaining non-printable code
points (format characters such as U+202E RIGHT-TO-LEFT OVERRIDE, line separators, unassigned
ones), which could reorder or hide text on a terminal, take the meta notation of their UTF-8
bytes. Unlike syslogd, a NUL is shown (`^@`) rather than ending the message.

The result holds only printable characters, spaces and tabs, so escaping twice changes
nothing.
"""

from __future__ import annotations


def _caret(code: int) -> str:
    """`^[` for ESC, `^?` for DEL: the control character's caret notation."""
    return "^" + chr(code ^ 0x40)


def _meta(char: str) -> str:
    """`cat -v`/vis(1) meta notation of each UTF-8 byte of `char`: U+202E -> `M-bM-^@M-.`."""
    out = []
    for byte in char.encode("utf-8", "surrogatepass"):
        low = byte & 0x7F
        out.append("M-" + (_caret(low) if low < 0x20 or low == 0x7F else chr(low)))
    return "".join(out)


def escape(text: str) -> str:
    """`text` as syslogd writes a message: one line, nothing a terminal would act on."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        code = ord(char)
        if char == "\n":
            out.append(" ")
        elif char == "\t" or char.isprintable():
            out.append(char)
        elif code < 0x20 or code == 0x7F:
            out.append(_caret(code))
        else:
            out.append(_meta(char))
    return "".join(out)
