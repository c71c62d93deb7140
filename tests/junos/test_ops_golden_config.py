"""Golden tests: `show configuration [security [ike | ipsec | pki]]`, its `| display set` form
and `show version`, against the guide's configuration samples (Chapters 5 and 14: Junos's four
spaces a level, as the guide's Figure 4 sample keeps them)."""

from __future__ import annotations

import pytest

from pki.store import CertificateStore
from sim.junos.ops import ParseError, complete, execute
from sim.junos.setcmd import parse_tree
from tests.junos import junos_guide_configs as guide
from tests.junos.ops_states import CH14_CONFIG, at, state

NOW = at("11-20-2012 12:00")

# Figure 4's Host-A, as its `set` commands (Chapter 5).
FIGURE4_HOST_A = """\
set security pki ca-profile Root-CA ca-identity Root-CA
set security pki ca-profile Root-CA enrollment url "www.example.net/scep/Root/"
set security pki ca-profile Root-CA revocation-check crl
"""

GATEWAY = """\
set interfaces ge-0/0/1 unit 0 family inet address 30.1.1.31/24
set system host-name "host a"
set security ike proposal p1 authentication-method rsa-signatures
set security ike proposal p1 dh-group group5
set security ike policy pol mode main
set security ike policy pol proposals [ p1 p2 ]
set security ike gateway gw ike-policy pol
set security ike gateway gw address 30.1.1.51
set security ike gateway gw external-interface ge-0/0/1.0
set security ike gateway gw local-identity 30.1.1.31
set security ike proposal p2 dh-group group2
set security zones security-zone trust interfaces ge-0/0/2.0
set security zones security-zone trust address-book address net1 10.1.0.0/24
"""


def device(config: str):
    return state("host-A", config=config, store=CertificateStore(), now=NOW)


def run(config: str, line: str) -> str:
    return execute(device(config), line).output


def test_show_configuration_security_is_the_guides_figure4_sample():
    # The guide: `admin@host-A# show security` (Chapter 5, "dynamic CA profiles").
    assert run(FIGURE4_HOST_A, "show configuration security") == \
        guide.HOST_A_ROOT_CA_DYNAMIC.rstrip()


def test_show_configuration_security_pki_lists_chapter14s_profiles_unwrapped():
    got = run(CH14_CONFIG, "show configuration security pki").splitlines()
    assert got[:9] == [
        "ca-profile Root-CA {",
        "    ca-identity Root-CA;",
        "    enrollment {",
        '        url "http://10.157.88.230:8080/scep/Root/";',
        "    }",
        "    revocation-check {",
        "        crl;",
        "    }",
        "}",
    ]
    assert [line for line in got if line.startswith("ca-profile")] == [
        "ca-profile Root-CA {", "ca-profile Eng-CA {", "ca-profile Dev-CA {"]


def test_show_configuration_prints_the_whole_device_as_junos_does():
    assert run(GATEWAY, "show configuration") == """\
interfaces {
    ge-0/0/1 {
        unit 0 {
            family inet {
                address 30.1.1.31/24;
            }
        }
    }
}
system {
    host-name "host a";
}
security {
    ike {
        proposal p1 {
            authentication-method rsa-signatures;
            dh-group group5;
        }
        proposal p2 {
            dh-group group2;
        }
        policy pol {
            mode main;
            proposals [ p1 p2 ];
        }
        gateway gw {
            ike-policy pol;
            address 30.1.1.51;
            external-interface ge-0/0/1.0;
            local-identity inet 30.1.1.31;
        }
    }
    zones {
        security-zone trust {
            interfaces {
                ge-0/0/2.0;
            }
            address-book {
                address net1 10.1.0.0/24;
            }
        }
    }
}"""


def test_display_set_gives_one_set_line_a_leaf_with_its_full_path():
    assert run(GATEWAY, "show configuration security ike | display set").splitlines() == [
        "set security ike proposal p1 authentication-method rsa-signatures",
        "set security ike proposal p1 dh-group group5",
        "set security ike proposal p2 dh-group group2",
        "set security ike policy pol mode main",
        "set security ike policy pol proposals p1",
        "set security ike policy pol proposals p2",
        "set security ike gateway gw ike-policy pol",
        "set security ike gateway gw address 30.1.1.51",
        "set security ike gateway gw external-interface ge-0/0/1.0",
        "set security ike gateway gw local-identity inet 30.1.1.31",
    ]


def test_display_set_of_a_set_configuration_gives_its_lines_back():
    assert run(FIGURE4_HOST_A, "show configuration | display set") == FIGURE4_HOST_A.rstrip()


def test_curly_brace_configuration_shows_as_its_set_form_does():
    curly = run(FIGURE4_HOST_A, "show configuration")
    assert run(curly, "show configuration") == curly
    assert run(curly, "show configuration | display set") == FIGURE4_HOST_A.rstrip()


def test_display_set_keeps_quotes_a_value_needs():
    assert run(GATEWAY, "show configuration | display set | match host-name") == \
        'set system host-name "host a"'


def test_a_level_with_nothing_configured_shows_nothing():
    assert run(FIGURE4_HOST_A, "show configuration security ipsec") == ""


def test_configuration_keywords_complete_and_shorten():
    assert run(FIGURE4_HOST_A, "sh conf sec p | display set") == FIGURE4_HOST_A.rstrip()
    assert complete("show configuration security ?").splitlines() == [
        "Possible completions:",
        "  <[Enter]>            Execute this command",
        "  ike                  Internet Key Exchange configuration",
        "  ipsec                IP Security configuration",
        "  pki                  Public-key infrastructure configuration",
        "  |                    Pipe through a command",
    ]


@pytest.mark.parametrize("line,message", [
    ("show configuration security ike | display xml", "syntax error, expecting set."),
    ("show version | display set", "error: '| display set' is for show configuration"),
    ("show configuration security bogus", "syntax error, expecting <command>."),
])
def test_display_and_levels_refuse_what_does_not_exist(line, message):
    with pytest.raises(ParseError) as caught:
        execute(device(FIGURE4_HOST_A), line)
    assert str(caught.value) == message


def test_show_version_names_the_device_its_model_and_the_guides_release():
    assert run(FIGURE4_HOST_A, "show version") == """\
Hostname: host-A
Model: srx240
JUNOS Software Release [12.1X46-D10.2]"""


def _statements(text: str) -> tuple[dict, list[str]]:
    tree = parse_tree(text, source="srx")
    return tree.root.to_plain(), [statement.text for statement in tree.ignored]


@pytest.mark.parametrize("config", [guide.CHAPTER11_SRX, guide.CHAPTER11_SRX_CURLY],
                         ids=["set", "curly"])
@pytest.mark.parametrize("form", ["show configuration", "show configuration | display set"])
def test_chapter11s_whole_configuration_reads_back_as_the_same_statements(config, form):
    # Every statement, modelled or not (system, routing-options, nat), survives the round trip.
    shown = run(config, form)
    assert _statements(shown) == _statements(config)
    assert "            flag ike;\n            flag policy-manager;\n" in run(config,
                                                                         "show configuration")


def test_chapter11s_junos_one_liners_stay_on_one_line():
    lines = run(guide.CHAPTER11_SRX, "show configuration").splitlines()
    for one_liner in ("        route 0.0.0.0/0 next-hop 1.1.1.1;",
                      "            file size 1m;",
                      "            dynamic hostname ssg5.example.net;",
                      "        from-zone trust to-zone untrust {",
                      "                system-services {"):
        assert one_liner in lines
