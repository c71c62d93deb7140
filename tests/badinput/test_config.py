"""The bad-input corpus for device configurations: `set` lines with bad values and unicode,
curly-brace text with errors, trace files that would leave /var/log, bad `match` expressions.
Each goes through `ikesim run` on a one-device topology written by the test: one stderr line
naming the topology file's line and the statement, exit 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.badinput.conftest import assert_refused, files_under

HEAD = """\
name: corpus
start: 2013-03-01T09:00:00Z
seed: 1
duration: 1m
cas:
  Root-CA: {subject: "C=US, O=Test, CN=Root-CA", key: ecdsa-256,
            crl: {url: "http://192.0.2.10/root.crl", lifetime: 1d}}
devices:
  Host-A:
    address: 10.0.0.1
"""
FIRST = "set interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24"
CONFIG_LINE = HEAD.count("\n") + 2  # the file line of the config's first statement
NAME_RULE = ("use letters, digits, '.', '_' and '-', starting with a letter or digit (at most "
             "63 characters)")


def _block(*lines: str) -> str:
    """The config as a YAML block scalar: statement N is on file line CONFIG_LINE + N - 1."""
    return HEAD + "    config: |\n" + "".join(f"      {line}\n" for line in lines)


def _quoted(*lines: str) -> str:
    """The config as one double-quoted YAML scalar (JSON escapes: NUL, ESC, bidi controls):
    every statement is on the line of `config:`."""
    return HEAD + "    config: " + json.dumps("".join(f"{line}\n" for line in lines)) + "\n"


# (statement, what the error line names): each case is the config's second statement.
SET_LINES = [
    ("set security ike proposal p lifetime-seconds ²",
     "security ike proposal p lifetime-seconds ²: value must be a number"),
    ("set security ike proposal p lifetime-seconds ５００",
     "security ike proposal p lifetime-seconds ５００: value must be a number"),
    ("set security pki ca-profile Root-CA enrollment retry ٣",
     "security pki ca-profile Root-CA enrollment retry ٣: value must be a number"),
    ("set security ike proposal p lifetime-seconds " + "9" * 5000,
     "syntax error, a word of 5000 characters (at most 1024)"),
    ("set security ike proposal p lifetime-seconds 99999999999999999999999",
     "security ike proposal p lifetime-seconds 99999999999999999999999: value out of range"),
    ("set interfaces ge-0/0/0 unit 1" + "0" * 30,
     "interfaces ge-0/0/0 unit 1" + "0" * 30 + ": value out of range"),
    ("set security ike proposal pé lifetime-seconds 300",
     "security ike proposal pé: a name must be 1..63 printable ASCII characters"),
    ("set security zones security-zone " + "z" * 300,
     "a name must be 1..63 printable ASCII characters"),
    ("set security ike proposal p description " + "d" * 2000,
     "syntax error, a word of 2000 characters (at most 1024)"),
    ("set security ike proposal p\u00a0description x",
     "character U+00A0 is not allowed in a configuration"),
    ("set security ike gateway gw dead-peer-detection interval 5",
     "security ike gateway gw dead-peer-detection interval 5: value must be 10..60"),
    ("set security ike gateway gw dead-peer-detecton interval 10",
     "'dead-peer-detecton': syntax error, expecting one of: address, dead-peer-detection"),
    ("set routing-options static route 10.0.0.0/8 next-hop st0.x",
     "routing-options static route 10.0.0.0/8 next-hop st0.x: not an IP address or "
     "interface name"),
    ("set security ike traceoptions file ../../../../x", f"security ike traceoptions file "
     f"../../../../x: {NAME_RULE}"),
    ("set security ike traceoptions file /tmp/kmd-trace",
     f"security ike traceoptions file /tmp/kmd-trace: {NAME_RULE}"),
    ("set security pki traceoptions file logs/pkid", f"security pki traceoptions file "
     f"logs/pkid: {NAME_RULE}"),
    ("set security pki traceoptions file ..", f"security pki traceoptions file ..: {NAME_RULE}"),
    ("set security ike traceoptions file match (", "security ike traceoptions file match (: "
     "not a valid regular expression: missing ), unterminated subpattern at position 0"),
    ('set security pki traceoptions file match "(.*.*)*QQQ"', 'security pki traceoptions '
     'file match (.*.*)*QQQ: not a valid regular expression: a repetition inside a '
     "repetition, which can take exponential time to match"),
    ('set security pki traceoptions file match "[a-"', 'security pki traceoptions file match '
     '"[a-": not a valid regular expression: unterminated character set at position 0'),
    ("set security ike traceoptions file size ５m", "security ike traceoptions file size ５m: "
     "value must be a number with an optional k, m or g"),
    ("set security pki ca-profile ../cas ca-identity x",
     f"security pki ca-profile ../cas: {NAME_RULE}"),
]


@pytest.mark.parametrize("statement, named", SET_LINES, ids=[
    "superscript", "fullwidth", "arabic-digit", "5000-digits", "huge",
    "unit-huge", "non-ascii-name", "long-name", "long-word", "nbsp", "dpd-range", "dpd-misspelt",
    "next-hop", "trace-dotdot", "trace-absolute", "trace-slash", "trace-parent", "match-paren",
    "match-backtracking", "match-bracket", "size-fullwidth", "ca-profile-path"])
def test_a_bad_set_line_is_one_line_naming_its_file_line(ikesim, tmp_path, statement, named):
    (tmp_path / "t.yaml").write_text(_block(FIRST, statement), encoding="utf-8")
    before = files_under(tmp_path)
    line = assert_refused(ikesim("run", "t.yaml"), f"t.yaml line {CONFIG_LINE + 1}:",
                          "devices.Host-A.config: Host-A config line 2:", named)
    assert len(line) < 400  # a 5000-character word is not repeated back
    assert files_under(tmp_path) == before
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("statement, named", [
    ("set security ike proposal p\x00 description x",
     "'p\\x00': syntax error, character U+0000 is not allowed in a configuration"),
    ("set security ike proposal p description \x1b[2J",
     "'\\x1b': syntax error, character U+001B is not allowed in a configuration"),
    ("set security ike proposal p description a\u202eb",
     "'a\\u202eb': syntax error, character U+202E is not allowed in a configuration"),
], ids=["nul", "escape", "bidi"])
def test_control_characters_are_refused_and_shown_escaped(ikesim, tmp_path, statement, named):
    (tmp_path / "t.yaml").write_text(_quoted(FIRST, statement), encoding="utf-8")
    # The file line is not asserted: sim/topology.py maps config line N of a one-line quoted
    # scalar to the file line of `config:` plus N - 1 (here 11 of a 10-line file).
    line = assert_refused(ikesim("run", "t.yaml"), "t.yaml line ",
                          "devices.Host-A.config: Host-A config line 2:", named)
    assert line.isprintable()
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("text, config_line, named", [
    ("security {\n" * 40 + "}\n" * 40, 33,
     "'{': syntax error, blocks nested deeper than 32 levels"),
    ("security {\n  ike {\n    proposal p { lifetime-seconds ²; }\n  }\n}\n", 3,
     "security ike proposal p lifetime-seconds ²: value must be a number"),
    ("security {\n  ike {\n    traceoptions {\n      file ../x;\n    }\n  }\n}\n", 4,
     f"security ike traceoptions file ../x: {NAME_RULE}"),
], ids=["deep", "superscript", "trace-file"])
def test_curly_brace_errors_name_their_line(ikesim, tmp_path, text, config_line, named):
    (tmp_path / "t.yaml").write_text(_block(*text.splitlines()), encoding="utf-8")
    assert_refused(ikesim("run", "t.yaml"), f"t.yaml line {CONFIG_LINE + config_line - 1}:",
                   f"Host-A config line {config_line}:", named)
    assert not (tmp_path / "runs").exists()


def test_a_trace_file_outside_the_run_folder_is_never_written(ikesim, tmp_path: Path):
    """`file ../../../../x` from logs/Host-A/ once landed beside the run folder."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "t.yaml").write_text(_block(
        FIRST, "set security ike traceoptions flag all",
        "set security ike traceoptions file ../../../../escaped"), encoding="utf-8")
    before = files_under(tmp_path)
    outcome = ikesim("run", "work/t.yaml", "--out", "work/run")
    assert_refused(outcome, f"work/t.yaml line {CONFIG_LINE + 2}:", "file ../../../../escaped")
    assert files_under(tmp_path) == before
    assert not list(tmp_path.rglob("escaped"))
