"""The Junos text parser: both forms, one tree; one-line syntax errors."""

import pytest

from sim.junos.setcmd import ConfigSyntaxError, Form, parse_tree
from tests.junos.junos_guide_configs import HOST_A_SET, HOST_A_SHOW_PKI


def _plain(text: str, **kwargs) -> dict:
    return parse_tree(text, source="t", **kwargs).root.to_plain()


def test_set_and_curly_forms_give_the_same_tree():
    set_form = """\
set security ike proposal p authentication-method rsa-signatures
set security ike policy pol proposals [ p q ]
set security ike gateway gw local-identity inet 30.1.1.31
set security pki ca-profile Root-CA revocation-check crl
set security pki ca-profile Root-CA enrollment url "http://10.157.88.230:8080/scep/Root/"
set security pki traceoptions file pkid-trace size 1m files 3 world-readable
"""
    curly = """\
security {
    ike {
        proposal p { authentication-method rsa-signatures; }
        policy pol {
            proposals [ p q ];
        }
        gateway gw { local-identity inet 30.1.1.31; }
    }
    pki {
        ca-profile Root-CA {
            revocation-check { crl; }
            enrollment { url "http://10.157.88.230:8080/scep/Root/"; }
        }
        traceoptions { file pkid-trace size 1m files 3 world-readable; }
    }
}
"""
    tree_set, tree_curly = parse_tree(set_form, source="a"), parse_tree(curly, source="b")
    assert (tree_set.form, tree_curly.form) == (Form.SET, Form.HIERARCHICAL)
    assert tree_set.root.to_plain() == tree_curly.root.to_plain()
    assert tree_set.root.to_plain()["security"]["ike"]["policy"]["pol"] == {
        "proposals": ["p", "q"]}


def test_one_set_line_may_set_several_siblings():
    """Chapter 10's step 1 sets ca-identity and revocation-check in one statement."""
    tree = _plain("set security pki ca-profile ca-profile-ipsec ca-identity microsoft-2008 "
                  "revocation-check crl refresh-interval 48 url http://www.my-ca.com/my-crl.crl")
    assert tree["security"]["pki"]["ca-profile"]["ca-profile-ipsec"] == {
        "ca-identity": "microsoft-2008",
        "revocation-check": {"crl": {"refresh-interval": "48",
                                     "url": "http://www.my-ca.com/my-crl.crl"}}}


def test_comments_blank_lines_and_quotes():
    text = """\
# a comment line

/* a block
   comment */ set security pki ca-profile "Root-CA" ca-identity "CA Root"  # trailing
set security pki ca-profile Root-CA enrollment url "a\\"b"
"""
    profile = _plain(text)["security"]["pki"]["ca-profile"]["Root-CA"]
    assert profile == {"ca-identity": "CA Root", "enrollment": {"url": 'a"b'}}


def test_line_numbers_follow_the_text():
    tree = parse_tree("\n# x\nset security pki ca-profile A ca-identity B\n", source="t")
    profile = tree.root.container("security").container("pki").entries("ca-profile")["A"]
    assert profile.value("ca-identity").line == 3


def test_leaf_lists_accumulate_without_repeats():
    text = ("set security ike traceoptions flag ike\nset security ike traceoptions flag timer\n"
            "set security ike traceoptions flag ike\n")
    assert _plain(text)["security"]["ike"]["traceoptions"]["flag"] == ["ike", "timer"]


def test_unmodelled_hierarchies_are_recorded_not_read():
    tree = parse_tree("set system name-server 4.2.2.1\nset security flow tcp-mss ipsec-vpn mss "
                      "1350\n", source="t")
    assert [(s.line, s.text) for s in tree.ignored] == [
        (1, "system name-server 4.2.2.1"), (2, "security flow tcp-mss ipsec-vpn mss 1350")]


def test_curly_form_ignores_whole_blocks():
    tree = parse_tree("system {\n  host-name x;\n  services { ssh; }\n}\n", source="t")
    assert tree.root.to_plain() == {}
    assert [s.text for s in tree.ignored] == ["system host-name x", "system services ssh"]


def test_guide_spellings_are_read_with_a_note():
    tree = parse_tree(
        "set security pki ca-profile ms-ca administrator email-address certadmin@labdomain.com\n"
        "set security pki ca-profile my_profile revocation-check url http://abc/abc-crl.crl\n"
        "set security ike gateway g local-identity 30.1.1.31\n", source="t")
    plain = tree.root.to_plain()["security"]
    assert plain["pki"]["ca-profile"]["ms-ca"]["administrator"] == {
        "e-mail-address": "certadmin@labdomain.com"}
    assert plain["pki"]["ca-profile"]["my_profile"]["revocation-check"] == {
        "crl": {"url": "http://abc/abc-crl.crl"}}
    assert plain["ike"]["gateway"]["g"]["local-identity"] == {"inet": "30.1.1.31"}
    assert [line for line, _ in tree.notes] == [1, 2, 3]


def test_relative_to_reads_show_output_at_its_level():
    relative = _plain(HOST_A_SHOW_PKI, relative_to="security pki")
    absolute = _plain(f"security {{ pki {{ {HOST_A_SHOW_PKI} }} }}")
    assert relative == absolute
    assert list(relative["security"]["pki"]["ca-profile"]) == ["Root-CA", "Eng-CA", "Dev-CA"]
    with pytest.raises(ValueError, match="relative_to 'security pkk'"):
        parse_tree("", source="t", relative_to="security pkk")


def test_guide_host_a_set_form_parses():
    tree = parse_tree(HOST_A_SET, source="Host-A").root.to_plain()
    assert tree["security"]["ipsec"]["vpn"]["ipsec_cert_vpn_01"]["ike"] == {
        "gateway": "ike_cert_gw_01", "ipsec-policy": "ipsec_pol_01"}


@pytest.mark.parametrize("text, message", [
    ("set security pki ca-profile ms-ca enrollment retry 20\n"
     "set security pki ca-profile ms-ca enrollment retry-intervl 1800",
     "Host-A config line 2: 'retry-intervl': syntax error, expecting one of: retry, "
     "retry-interval, url"),
    ("set security ike policy p mode mian",
     "Host-A config line 1: 'mian': syntax error, expecting one of: aggressive, main"),
    ("set security ike proposal p dh-group group3",
     "Host-A config line 1: 'group3': syntax error, expecting one of: group1, group14, "
     "group19, group2, group20, group24, group5"),
    ("set security pki ca-profile",
     "Host-A config line 1: 'ca-profile': syntax error, expecting <ca-profile-name>"),
    ("set security pki ca-profile x enrollment retry",
     "Host-A config line 1: 'retry': syntax error, expecting <number>"),
    ("set security pkii ca-profile x",
     "Host-A config line 1: 'pkii': syntax error, expecting one of: ike, ipsec, pki, "
     "policies, zones"),
    ("set securty pki",
     "Host-A config line 1: 'securty': syntax error, expecting one of: interfaces, "
     "routing-options, security"),
    ("set",
     "Host-A config line 1: 'set': syntax error, expecting one of: interfaces, "
     "routing-options, security"),
    ("set security pki traceoptions file a b",
     "Host-A config line 1: 'b': syntax error, expecting one of: files, match, "
     "no-world-readable, size, world-readable, <filename>"),
    ("set security ike traceoptions flag everything",
     "Host-A config line 1: 'everything': syntax error, expecting one of: all, certificates, "
     "database, general, ike, parse, policy-manager, routing-socket, timer"),
    ("set security ike policy p proposals [ a b",
     "Host-A config line 1: 'b': syntax error, missing ']'"),
    ("set security ike policy p proposals [ ]",
     "Host-A config line 1: ']': syntax error, expecting <proposal-name>"),
    ("set security pki ca-profile x\ndelete security pki ca-profile x",
     "Host-A config line 2: 'delete': not supported, expecting set"),
    ("set security pki ca-profile x\ndeactivate security pki",
     "Host-A config line 2: 'deactivate': not supported, expecting set"),
    ("set security pki\nshow security pki",
     "Host-A config line 2: 'show': syntax error, expecting set"),
    ("set security pki ca-profile x ca-identity y;",
     "Host-A config line 1: ';': syntax error, braces and ';' belong to the curly-brace form"),
    ('set security pki ca-profile x ca-identity "y\n',
     "Host-A config line 1: '\"y': syntax error, quoted string not closed on its line"),
    ("set security pki /* never closed",
     "Host-A config line 1: '/*': syntax error, comment never closed"),
], ids=["misspelt-keyword", "bad-choice", "bad-dh-group", "missing-name", "missing-value",
        "bad-security-child", "bad-top-level", "bare-set", "second-positional", "bad-flag",
        "unclosed-list", "empty-list", "delete", "deactivate", "not-set", "semicolon",
        "open-quote", "open-comment"])
def test_set_form_syntax_errors(text, message):
    with pytest.raises(ConfigSyntaxError) as exc:
        parse_tree(text, source="Host-A")
    assert str(exc.value) == message
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("text, message", [
    ("security {\n  pki {\n    ca-profile x {\n      ca-identity y\n    }\n  }\n}\n",
     "Host-B config line 4: 'y': syntax error, expecting ';' or '{'"),
    ("security {\n  pki {\n    ca-profile x { ca-identity y; }\n",
     "Host-B config line 3: '}': syntax error, missing '}'"),
    ("security { pki { } } }",
     "Host-B config line 1: '}': syntax error, '}' without '{'"),
    ("security {\n  { pki; }\n}",
     "Host-B config line 2: '{': syntax error, expecting a statement before '{'"),
    ("security {\n  ike {\n    proposal p {\n      dh-group group3;\n    }\n  }\n}",
     "Host-B config line 4: 'group3': syntax error, expecting one of: group1, group14, "
     "group19, group2, group20, group24, group5"),
    ("security {\n  pki {\n    ca-profile x {\n      enrollment { retry-intervl 5; }\n"
     "    }\n  }\n}",
     "Host-B config line 4: 'retry-intervl': syntax error, expecting one of: retry, "
     "retry-interval, url"),
    ("security { ; }",
     "Host-B config line 1: ';': syntax error, expecting a statement before ';'"),
], ids=["missing-semicolon", "missing-brace", "extra-brace", "brace-first", "bad-choice",
        "misspelt-keyword", "empty-statement"])
def test_curly_form_syntax_errors(text, message):
    with pytest.raises(ConfigSyntaxError) as exc:
        parse_tree(text, source="Host-B")
    assert str(exc.value) == message


def test_syntax_error_carries_its_parts():
    with pytest.raises(ConfigSyntaxError) as exc:
        parse_tree("\n\nset security ike policy p mode mian", source="Host-A")
    err = exc.value
    assert (err.source, err.line, err.word) == ("Host-A", 3, "mian")
    assert isinstance(err, ValueError)


def test_text_must_be_str():
    with pytest.raises(TypeError):
        parse_tree(b"set security", source="t")


# --- hostile text: one line, cheap ----------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ("set security ike proposal p\x00 description x",
     "Host-A config line 1: 'p\\x00': syntax error, character U+0000 is not allowed in a "
     "configuration"),
    ("set security ike proposal p\u00a0description x",
     "Host-A config line 1: 'p\\xa0description': syntax error, character U+00A0 is not "
     "allowed in a configuration"),
    ('set security ike proposal p description "a\tb"',
     "Host-A config line 1: 'a\\tb': syntax error, character U+0009 is not allowed in a "
     "configuration"),
    ("set security ike proposal p description \x1b[2J",
     "Host-A config line 1: '\\x1b': syntax error, character U+001B is not allowed in a "
     "configuration"),
    ("set security ike proposal p description a\u202eb",
     "Host-A config line 1: 'a\\u202eb': syntax error, character U+202E is not allowed in a "
     "configuration"),
    ("set security ike proposal " + "p" * 2000,
     "Host-A config line 1: '" + "p" * 64 + "...': syntax error, a word of 2000 characters "
     "(at most 1024)"),
    ("security {\n" * 40 + "}\n" * 40,
     "Host-A config line 33: '{': syntax error, blocks nested deeper than 32 levels"),
    ("set security ike policy p proposals [ " + "a " * 5000 + "]",
     "Host-A config line 1: 'set': syntax error, a statement of 5008 words (at most 4096)"),
], ids=["nul", "nbsp", "tab-in-quotes", "escape", "bidi", "long-word", "deep", "long-statement"])
def test_hostile_text_is_one_syntax_error(text, message):
    with pytest.raises(ConfigSyntaxError) as exc:
        parse_tree(text, source="Host-A")
    assert str(exc.value) == message


def test_a_long_prefix_over_many_statements_is_refused_before_it_costs():
    """Each statement of a block repeats the block's words: their total is bounded."""
    prefix = "security { " + "a " * 4000 + "{ "
    with pytest.raises(ConfigSyntaxError, match="a configuration of more than 1000000 words"):
        parse_tree(prefix + "b; " * 300 + "} }", source="Host-A")

