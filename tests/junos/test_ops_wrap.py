"""The 80-column wrapping of `show security pki` fields on any text a certificate may hold:
nothing lost or reordered, no line past 80 columns unless one word or item alone is, no empty
line. The guide's own wrapped lines are held by test_ops_golden_pki."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sim.junos.ops_wrap import WIDTH, continuation, wrap_groups, wrap_items, wrap_words

# Printable words (a certificate's text reaches here escaped: no control characters).
WORD = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=1, max_size=90)
ITEM = st.lists(WORD, min_size=1, max_size=4).map(" ".join)


@given(st.lists(WORD, min_size=1, max_size=30))
def test_words_are_kept_in_order_and_lines_fit(words):
    line = "  CRL issuer: " + " ".join(words)
    lines = wrap_words(line, indent=continuation(line))
    assert " ".join(" ".join(lines).split()) == " ".join(line.split())
    for got in lines:
        assert got.strip()
        assert len(got) <= WIDTH or " " not in got.strip()


@given(st.lists(ITEM, min_size=1, max_size=20))
def test_items_are_kept_in_order_and_break_after_a_comma(items):
    lines = wrap_items("  Use for key: ", items, indent="    ")
    assert " ".join(" ".join(lines).split()) == " ".join(("Use for key: " + ", ".join(items))
                                                       .split())
    for got in lines[:-1]:
        assert got.endswith(",")
    for got in lines:
        # The comma may fall in column 81; a line past that holds one item alone.
        assert len(got.rstrip(",")) <= WIDTH or ", " not in got.strip()


@given(st.lists(st.lists(ITEM, min_size=1, max_size=4), min_size=1, max_size=8))
def test_groups_are_kept_whole_when_they_fit(groups):
    lines = wrap_groups("    ", groups)
    text = ", ".join(", ".join(group) for group in groups)
    assert " ".join(" ".join(lines).split()) == " ".join(text.split())
    for got in lines:
        assert got.startswith("    ") and got.strip()
        assert len(got.rstrip(",")) <= WIDTH or " " not in got.strip()
    for group in groups:
        whole = ", ".join(group)
        if len(whole) + 4 <= WIDTH:
            assert any(whole in got for got in lines)


@given(st.text(st.sampled_from("ab ,="), max_size=200) | st.just("x" * 66 + "  y"))
def test_any_spacing_is_kept_and_no_line_is_empty(value):
    line = f"  CRL issuer: {value}"
    lines = wrap_words(line, indent="    ")
    assert all(got.strip() for got in lines[1:])
    assert " ".join(got[4:] if n else got for n, got in enumerate(lines)) == line


def test_a_line_of_exactly_80_columns_stays_whole():
    line = "  CRL issuer: emailAddress = user@example.net, C = US, ST = ca, L = sunnyvale, O"
    assert len(line) == WIDTH and wrap_words(line, indent="    ") == [line]
    assert wrap_words(line + " = Example", indent="    ") == [line, "    = Example"]
