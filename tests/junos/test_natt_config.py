"""nat-keepalive and no-nat-traversal: modelled gateway statements."""

from __future__ import annotations

import pytest

from pki.profiles import ConfigError
from sim.junos.config import parse_config
from tests.junos.test_junos_unmodelled import BASE


def test_nat_keepalive_is_modelled_with_junos_default_of_5_seconds():
    default = parse_config(BASE, source="h").ike.gateways["gw1"]
    assert (default.nat_keepalive, default.no_nat_traversal) == (5, False)
    config = parse_config(BASE + "set security ike gateway gw1 nat-keepalive 20\n"
                                 "set security ike gateway gw1 no-nat-traversal\n", source="h")
    gateway = config.ike.gateways["gw1"]
    assert (gateway.nat_keepalive, gateway.no_nat_traversal) == (20, True)
    assert config.unmodelled == ()


@pytest.mark.parametrize(("value", "message"), [
    ("301", "value must be 1..300"), ("0", "value must be 1..300"),
    ("٣", "value must be 1..300")])
def test_a_bad_nat_keepalive_is_refused(value, message):
    with pytest.raises(ConfigError) as exc:
        parse_config(f"{BASE}set security ike gateway gw1 nat-keepalive {value}\n", source="h")
    assert str(exc.value) == f"h config line 9: security ike gateway gw1 nat-keepalive " \
                             f"{value}: {message}"
