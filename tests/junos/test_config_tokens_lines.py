"""The tokenizer reads a line it has read before (at the same place) from what it kept: the
members of a device group share their template's lines. The words, their lines, and every
error line are exactly those of reading the whole text afresh."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.junos.config_tokens import ConfigSyntaxError, _line_tokens, _tokenize, tokenize
from tests.junos import junos_guide_configs as guide

PIECES = ["set", "security", "ike", "gateway", "gw", " ", " ", "\n", "\n", "\t", "{", "}", ";",
          "[", "]", '"', '"a b"', '"\\"', "#", "# note", "/*", "*/", "\\", "\x00", "\u202e",
          "é", "10.0.0.1", "x" * 600, "y" * 1100]


def _outcome(read, text: str, source: str) -> object:
    try:
        return read(text, source)
    except ConfigSyntaxError as exc:
        return str(exc)


@given(st.lists(st.sampled_from(PIECES), max_size=40), st.sampled_from(["Spoke-1", "Spoke-2"]))
def test_reading_lines_kept_gives_what_reading_the_whole_text_gives(pieces, source):
    text = "".join(pieces)
    for _ in range(2):  # the second time, from the lines kept
        assert _outcome(tokenize, text, source) == _outcome(_tokenize, text, source)


@pytest.mark.parametrize("text", [guide.CHAPTER11_SRX, guide.HOST_A_SET,
                                  guide.CHAPTER11_SRX_CURLY])
def test_a_guide_configuration_reads_the_same_from_kept_lines(text):
    _line_tokens.cache_clear()
    assert tokenize(text, "Host-A") == _tokenize(text, "Host-A")
    assert tokenize(text, "Host-B") == _tokenize(text, "Host-A")


def test_an_unclosed_quote_on_a_kept_line_names_its_own_device_and_line():
    good = 'set system host-name "a"\nset security ike gateway gw address 10.0.0.1\n'
    tokenize(good, "Spoke-1")
    bad = 'set system host-name "a\nset security ike gateway gw address 10.0.0.1\n'
    with pytest.raises(ConfigSyntaxError) as caught:
        tokenize(bad, "Spoke-2")
    assert str(caught.value) == ("Spoke-2 config line 1: '\"a': syntax error, quoted string "
                                 "not closed on its line")
