"""parse_config on random and mutated configuration text (starting from the guide's
configurations, and statements walked through the grammar with hostile values) raises only
ConfigSyntaxError or ConfigError, each one line naming the configuration and a line that
exists. `IKESIM_FUZZ=long make test` runs many more examples."""

import re

from hypothesis import given
from hypothesis import strategies as st

from pki.profiles import ConfigError
from sim.junos.config import parse_config
from sim.junos.grammar import JUNOS
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

# Values that each statement's checks must refuse in one line, and a few good ones; numbers
# that Python reads but Junos does not come first, as the likeliest to slip through.
NUMBERS = ["１２", "²", "٣", "9" * 5000, "99999999999999999999999999", "0", "10", "-1"]
VALUES = ["1", "65535", "1e5", "10k", "5m", "2g", "(", "[a-", "../../x", "/tmp/x", ".", "..", "",
          "\u00e9", "st0.1", "ge-0/0/0.x", "10.0.0.0/8", "1.1.1.1", "10.0.0.300", "::1",
          "x" * 70, "a@b", "CN=a", "use-all"]


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
        assert int(where[1]) in range(1, text.count("\n") + 2), message  # a line that exists


@st.composite
def mutated(draw) -> str:
    text = draw(st.sampled_from(CONFIGS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["revalue"] * 6 + ["insert", "delete", "replace",
                                                        "duplicate"]))
        if kind == "insert":
            word = draw(st.sampled_from(WORDS) | st.text(max_size=8))
            text = f"{text[:at]} {word} {text[at:]}"
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        elif kind == "revalue":  # a statement's value (its last word) becomes a hostile one
            lines = text.split("\n")
            numbers = [n for n, line in enumerate(lines) if re.search(r" [0-9]+[km]?;?$", line)]
            index = draw(st.sampled_from(numbers) if numbers else
                         st.integers(0, len(lines) - 1))
            line = lines[index].rstrip()
            end = ";" if line.endswith(";") else ""
            head = line.rstrip(";").rpartition(" ")[0]
            if head and not line.endswith(("{", "}")):
                value = draw(st.sampled_from(NUMBERS[:4]) | st.sampled_from(NUMBERS + VALUES))
                lines[index] = f"{head} {value}{end}"
            text = "\n".join(lines)
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


@st.composite
def grammar_statement(draw) -> str:
    """A `set` statement walked through the grammar, its names and values drawn from VALUES:
    it reaches every statement's own checks."""
    spec, words = JUNOS, ["set"]
    while True:
        kind = type(spec).__name__
        if kind == "Unmodelled":
            spec = spec.spec
            continue
        if kind == "Container":
            if not spec.children or (spec.positional and draw(st.booleans())):
                if spec.positional:
                    words.append(draw(st.sampled_from(NUMBERS + VALUES)))
                break
            # Ignored hierarchies end a statement at once: walk the others.
            names = sorted(k for k, v in spec.children.items()
                           if type(v).__name__ not in ("Ignored", "Alias"))
            name = draw(st.sampled_from(names))
            words.append(name)
            spec = spec.children[name]
        elif kind == "Named":
            words.append(draw(st.sampled_from(NUMBERS + ["p", "gw"]) | st.sampled_from(VALUES)))
            spec = spec.entry
        elif kind in ("Leaf", "LeafList"):
            words.append(draw(st.sampled_from(NUMBERS) | st.sampled_from(
                list(spec.choices or ()) + VALUES)))
            break
        else:  # a flag
            break
    return " ".join(f'"{w}"' if not w or " " in w else w for w in words)


@given(grammar_statement())
def test_statements_with_hostile_values_fail_only_with_one_line(statement):
    _check(statement + "\n")


@given(mutated())
def test_mutated_guide_configurations_fail_only_with_one_line(text):
    _check(text)

