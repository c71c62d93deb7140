"""`security ike gateway NAME dead-peer-detection` as 12.1X46 takes it: modelled (no warning),
its values and defaults read, a bad value refused with the statement and its line."""

import pytest

from pki.profiles import ConfigError
from sim.ike.dpd import DpdMode
from sim.junos.config import parse_config
from sim.junos.config_dpd import DeadPeerDetection
from tests.junos.test_junos_unmodelled import BASE, PASTED_CURLY


def _dpd(*words: str) -> DeadPeerDetection | None:
    text = BASE + "".join(f"set security ike gateway gw1 dead-peer-detection {w}\n"
                          for w in words)
    config = parse_config(text, source="h")
    assert config.unmodelled == ()  # modelled now: no "not modelled" warning
    return config.ike.gateways["gw1"].dead_peer_detection


def test_without_the_statement_there_is_no_dpd():
    assert parse_config(BASE, source="h").ike.gateways["gw1"].dead_peer_detection is None


def test_the_bare_statement_takes_the_documented_defaults():
    """12.1X46-D10: optimized is the default mode; interval 10 s, threshold 5."""
    config = parse_config(BASE + "set security ike gateway gw1 dead-peer-detection\n",
                          source="h")
    assert config.ike.gateways["gw1"].dead_peer_detection == DeadPeerDetection(
        mode=DpdMode.OPTIMIZED, interval=10, threshold=5)


def test_values_are_read():
    assert _dpd("always-send", "interval 60", "threshold 1") == DeadPeerDetection(
        mode=DpdMode.ALWAYS_SEND, interval=60, threshold=1)


@pytest.mark.parametrize("words, mode", [
    (("always-send", "optimized"), DpdMode.OPTIMIZED),
    (("optimized", "always-send"), DpdMode.ALWAYS_SEND),
    (("always-send", "probe-idle-tunnel"), DpdMode.PROBE_IDLE_TUNNEL),
])
def test_the_mode_set_last_wins(words, mode):
    assert _dpd(*words).mode is mode


def test_the_curly_form_is_read():
    xauth = "xauth {\n                access-profile remote-users;\n            }"
    assert xauth in PASTED_CURLY
    text = PASTED_CURLY.replace(xauth, "dead-peer-detection { probe-idle-tunnel; interval 20; "
                                       "threshold 3; }")
    assert parse_config(text, source="h").ike.gateways["gw1"].dead_peer_detection == \
        DeadPeerDetection(mode=DpdMode.PROBE_IDLE_TUNNEL, interval=20, threshold=3)


@pytest.mark.parametrize("words, message", [
    ("interval 9", "security ike gateway gw1 dead-peer-detection interval 9: value must be "
                   "10..60"),
    ("interval 61", "security ike gateway gw1 dead-peer-detection interval 61: value must be "
                    "10..60"),
    ("threshold 0", "security ike gateway gw1 dead-peer-detection threshold 0: value must be "
                    "1..5"),
    ("threshold 6", "security ike gateway gw1 dead-peer-detection threshold 6: value must be "
                    "1..5"),
    ("interval ten", "security ike gateway gw1 dead-peer-detection interval ten: value must be "
                     "10..60"),
])
def test_a_bad_value_is_refused_with_its_statement_and_line(words, message):
    with pytest.raises(ConfigError) as exc:
        parse_config(f"{BASE}set security ike gateway gw1 dead-peer-detection {words}\n",
                     source="h")
    assert str(exc.value) == f"h config line 9: {message}"


@pytest.mark.parametrize("kwargs", [{"interval": 5}, {"threshold": 9}])
def test_the_value_checks_itself(kwargs):
    with pytest.raises(ConfigError):
        DeadPeerDetection(**kwargs)
