"""parse_config on random and mutated configuration text (starting from the guide's
configurations) raises only ConfigSyntaxError or ConfigError, each one line naming the
configuration and a line that exists. `IKESIM_FUZZ=long make test` runs many more examples."""

import re

from hypothesis import given
from hypothesis import strategies as st

from pki.profiles import ConfigError
from sim.junos.config import parse_config
from sim.junos.setcmd import ConfigSyntaxError
from tests.junos import junos_guide_configs as guide

CONFIGS = [guide.CA_PROFILE_IPSEC, guide.MY_PROFILE, guide.CHAPTER11_SRX, guide.HOST_A_SET,
           guide.CHAPTER11_SRX_CURLY, guide.HOST_A_SHOW_SECURITY, guide.HOST_A_ROOT_CA_DYNAMIC]

# Words that reach deep into the grammar and its checks, and values that break them.
WORDS = [
    "set", "security", "ike", "ipsec", "pki", "gateway", "proposal", "policy", "vpn",
    "traceoptions", "file", "match", "size", "files", "flag", "all", "ca-profile",
    "certificate-id", "local-certificate", "dead-peer-detection", "interval", "threshold",
    "nat-keepalive", "respond-bad-spi", "vpn-monitor", "traffic-selector", "routing-options",
    "static", "route", "next-hop", "interfaces", "unit", "family", "inet", "address", "system",
    "lifetime-seconds", "retry", "url", "local-identity", "inet6", "{", "}", ";", "[", "]",
    '"', "/*", "*/", "#", "\n", "0", "-1", "99999999999999999999999999", "１２", "²", "٣",
    "(", "*", "[a-", "../../x", "/etc/passwd", ".", "..", "", "\x00", "\u00a0", "\u202e",
    "é", "st0.1", "10.0.0.0/8", "1.1.1.1", "::1", "x" * 70, "y" * 1100,
]

_SOURCE = "Host-A"
_WHERE = re.compile(r"Host-A config line (\d+): ")


def _check(text: str) -> None:
    try:
        parse_config(text, source=_SOURCE)
    except (ConfigSyntaxError, ConfigError) as exc:
        message = str(exc)
        assert "\n" not in message and "\r" not in message
        where = _WHERE.match(message)
        assert where is not None, message
        assert 1 <= int(where[1]) <= text.count("\n") + 1, message


@st.composite
def mutated(draw) -> str:
    text = draw(st.sampled_from(CONFIGS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        if kind == "insert":
            word = draw(st.sampled_from(WORDS) | st.text(max_size=8))
            text = f"{text[:at]} {word} {text[at:]}"
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        elif kind == "replace":
            words = text.split(" ")
            index = draw(st.integers(0, len(words) - 1))
            words[index] = draw(st.sampled_from(WORDS))
            text = " ".join(words)
        else:
            lines = text.splitlines(keepends=True)
            index = draw(st.integers(0, max(0, len(lines) - 1)))
            text = "".join(lines[:index + 1] + lines[index:])
    return text


@given(mutated())
def test_mutated_guide_configurations_fail_only_with_one_line(text):
    _check(text)


@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=40).map(" ".join))
def test_random_words_fail_only_with_one_line(text):
    _check(text)


@given(st.text(alphabet=st.sampled_from(list("set{};[]\"#/*\n \tab0.-") + ["\x00", "é"]),
               max_size=200))
def test_random_text_fails_only_with_one_line(text):
    _check(text)
