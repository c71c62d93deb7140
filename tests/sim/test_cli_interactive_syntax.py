"""`ikesim cli` marks a syntax error as Junos does, fed from a pipe: a `^` under the word at
fault (counted from the prompt the line was typed after), then the error."""

from __future__ import annotations

import io
import sys

import pytest

from sim.cli import syntax
from sim.cli.main import main
from sim.cli.syntax import marked
from sim.junos.ops_grammar import choices


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A real run of the library's single-level scenario: SRX-A has an IKE SA up."""
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["run", "--quiet", "--out", str(out), "single-level"]) == 0
    return out


def session(run_dir, monkeypatch, capsys, *lines: str) -> str:
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    capsys.readouterr()
    assert main(["cli", str(run_dir), "SRX-A"]) == 0
    return capsys.readouterr().out


def test_a_misspelt_word_is_marked_with_a_caret(run_dir, monkeypatch, capsys):
    out = session(run_dir, monkeypatch, capsys, "show securty pki crl")
    assert out == ("user@SRX-A> show securty pki crl\n"
                   "                 ^\n"
                   "syntax error, expecting <command>.\n"
                   "user@SRX-A> \n")


def test_a_first_word_that_is_no_command_is_an_unknown_command(run_dir, monkeypatch, capsys):
    out = session(run_dir, monkeypatch, capsys, "shwo log kmd", "   bogus")
    assert out == ("user@SRX-A> shwo log kmd\n"
                   "            ^\n"
                   "unknown command.\n"
                   "user@SRX-A>    bogus\n"
                   "               ^\n"
                   "unknown command.\n"
                   "user@SRX-A> \n")


@pytest.mark.parametrize("line,word,message", [
    # A command cut short: the caret just past its last word, where the missing one goes.
    ("show security", None, "syntax error, expecting <command>."),
    ("show security pki local-certificate certificate-id", None,
     "syntax error, expecting <certificate-id-name>."),
    # A word after a complete command, and a pipe's unknown verb.
    ("show log kmd extra", "extra", "syntax error, expecting <command>."),
    ("show log kmd | grep x", "grep", "syntax error, expecting <command>."),
    # A value outside its choices.
    ("request security pki generate-key-pair certificate-id k type foo", "foo",
     "syntax error, expecting rsa | dsa | ecdsa."),
])
def test_the_caret_is_under_the_word_at_fault(run_dir, monkeypatch, capsys, line, word,
                                                message):
    out = session(run_dir, monkeypatch, capsys, line)
    caret = len("user@SRX-A> ") + (line.index(word) if word else len(line) + 1)
    assert out == f"user@SRX-A> {line}\n{' ' * caret}^\n{message}\nuser@SRX-A> \n"


def test_an_ambiguous_word_is_marked_and_what_it_may_mean_listed(run_dir, monkeypatch, capsys):
    out = session(run_dir, monkeypatch, capsys, "show security pki c")
    assert out == ("user@SRX-A> show security pki c\n"
                   "                              ^\n"
                   "'c' is ambiguous.\n"
                   "Possible completions:\n"
                   "  ca-certificate       Show certificate authority certificate information\n"
                   "  certificate-request  Show certificate request information\n"
                   "  crl                  Show certificate revocation list information\n"
                   "user@SRX-A> \n")


def test_an_error_that_is_not_about_syntax_has_no_caret(run_dir, monkeypatch, capsys):
    out = session(run_dir, monkeypatch, capsys,
                  "request security pki local-certificate load certificate-id x")
    assert out.splitlines()[1] == "error: missing mandatory argument: filename"


def test_the_caret_counts_the_columns_an_escaped_echo_took():
    # A control character in a file name is echoed as syslogd escapes it: ESC as `^[`.
    line = "request security pki crl load ca-profile p filename a\x1bb bogus"
    shown = line.replace("\x1b", "^[")
    assert marked(line, "syntax error, expecting <command>.", indent=2) == \
        f"{' ' * (2 + shown.index('bogus'))}^\nsyntax error, expecting <command>."


def test_a_long_line_is_marked_after_a_few_parses(monkeypatch):
    """A line of 20,000 words (the limit is in characters) is marked at its first bad word
    in a few parses, not one per word."""
    parses = []

    def counted(text, names=None):
        parses.append(len(text))
        return choices(text, names)

    monkeypatch.setattr(syntax, "choices", counted)
    line = "show log kmd " + "x " * 20_000
    assert marked(line, "syntax error, expecting <command>.", indent=0) == \
        f"{' ' * 13}^\nsyntax error, expecting <command>."
    assert len(parses) <= 20
