"""Valid Junos statements ikesim does not model: accepted, their syntax and values checked,
recorded in DeviceConfig.unmodelled (one record per statement instance, one per ignored
hierarchy), never reported as syntax errors."""

import glob

import pytest

from pki.profiles import ConfigError
from sim.junos.config import StaticRoute, UnmodelledStatement, parse_config
from sim.junos.setcmd import ConfigSyntaxError
from sim.topology import load_topology

BASE = """\
set security ike proposal p authentication-method rsa-signatures
set security ike policy pol proposals p
set security ike gateway gw1 ike-policy pol
set security ike gateway gw1 address 1.1.1.1
set security ike gateway gw1 external-interface ge-0/0/0.0
set security ipsec policy ip proposal-set standard
set security ipsec vpn v ike gateway gw1
set security ipsec vpn v ike ipsec-policy ip
"""

# A route-based certificate VPN as an SRX administrator of the 12.1X4x era pastes it.
PASTED = BASE + """\
set system host-name srx
set system services ssh
set interfaces st0 unit 1 family inet
set interfaces st0 unit 1 multipoint
set security ike respond-bad-spi 5
set security ike gateway gw1 dead-peer-detection interval 10
set security ike gateway gw1 dead-peer-detection threshold 3
set security ike gateway gw1 nat-keepalive 10
set security ike gateway gw1 general-ikeid
set security ipsec vpn v bind-interface st0.1
set security ipsec vpn v vpn-monitor optimized
set security ipsec vpn v vpn-monitor source-interface st0.1
set security ipsec vpn v vpn-monitor destination-ip 10.0.0.1
set security ipsec vpn v establish-tunnels immediately
set security ipsec vpn-monitor-options interval 10 threshold 10
set security flow tcp-mss ipsec-vpn mss 1350
set security flow tcp-session no-syn-check
set routing-options static route 10.0.0.0/8 next-hop st0.1
set routing-options static route 192.168.0.0/16 next-hop st0.1
"""

PASTED_CURLY = """\
security {
    ike {
        proposal p { authentication-method rsa-signatures; }
        policy pol { proposals p; }
        gateway gw1 {
            ike-policy pol;
            address 1.1.1.1;
            external-interface ge-0/0/0.0;
            xauth {
                access-profile remote-users;
            }
        }
    }
}
routing-options {
    static {
        route 10.0.0.0/8 next-hop st0.1;
    }
}
"""


def test_a_pasted_route_based_configuration_is_accepted():
    config = parse_config(PASTED, source="srx")
    assert [(u.line, u.statement) for u in config.unmodelled] == [
        (9, "system host-name srx"),
        (12, "interfaces st0 unit 1 multipoint"),
        (13, "security ike respond-bad-spi 5"),
        (17, "security ike gateway gw1 general-ikeid"),
        (19, "security ipsec vpn v vpn-monitor optimized"),
        (23, "security ipsec vpn-monitor-options interval 10 threshold 10"),
        (24, "security flow tcp-mss ipsec-vpn mss 1350"),
        (26, "routing-options static route 10.0.0.0/8 next-hop st0.1"),
        (27, "routing-options static route 192.168.0.0/16 next-hop st0.1"),
    ]
    # What ikesim does model is still read.
    assert config.ipsec.vpns["v"].bind_interface == "st0.1"
    assert config.static_routes[0] == StaticRoute(
        destination=config.static_routes[0].destination, next_hops=("st0.1",))


def test_the_curly_form_records_the_first_statement_of_each_block():
    config = parse_config(PASTED_CURLY, source="srx")
    assert [(u.line, u.statement) for u in config.unmodelled] == [
        (10, "security ike gateway gw1 xauth access-profile remote-users"),
        (17, "routing-options static route 10.0.0.0/8 next-hop st0.1"),
    ]


def test_establish_tunnels_immediately_is_modelled():
    config = parse_config(BASE + "set security ipsec vpn v establish-tunnels immediately\n",
                          source="srx")
    assert config.unmodelled == ()


def test_each_gateway_gets_its_own_record():
    gw2 = BASE.replace("gw1", "gw2").replace("vpn v ", "vpn w ")
    xauth = "".join(f"set security ike gateway {gw} xauth access-profile {profile}\n"
                    for gw in ("gw1", "gw2") for profile in ("p1", "p2"))
    config = parse_config(BASE + gw2 + xauth, source="h")
    assert [u.statement for u in config.unmodelled] == [
        "security ike gateway gw1 xauth access-profile p1",
        "security ike gateway gw2 xauth access-profile p1"]


@pytest.mark.parametrize("statement", [
    "security ike gateway gw1 general-ikeid",
    "security ike gateway gw1 xauth access-profile remote-users",
    "security ike gateway gw1 local-identity inet6 2001:db8::1",
    "security ike respond-bad-spi",
    "security ike respond-bad-spi 30",
    "security ipsec vpn v vpn-monitor destination-ip 10.0.0.1",
    "security ipsec vpn v vpn-monitor source-interface st0.1",
    "security ipsec vpn v vpn-monitor optimized",
    "security ipsec vpn v traffic-selector ts1 local-ip 10.0.0.0/24 remote-ip 10.1.0.0/24",
    "security ipsec vpn v ike idle-time 300",
    "security ipsec vpn-monitor-options interval 2 threshold 65536",
    "security ipsec traceoptions flag security-associations",
    "security policies default-policy deny-all",
    "security zones security-zone vpn host-inbound-traffic protocols ospf",
    "security zones security-zone vpn screen untrust-screen",
    "interfaces st0 unit 0 family inet6 address 2001:db8::1/64",
    "interfaces ge-0/0/0 disable",
    "routing-options static route 10.0.0.0/8 next-hop st0.1",
    "routing-options static route 0.0.0.0/0 next-hop 1.1.1.1",
    "routing-options router-id 10.0.0.1",
], ids=lambda s: " ".join(s.split()[1:4]))
def test_unmodelled_statement_is_accepted_and_recorded(statement):
    config = parse_config(f"{BASE}set {statement}\n", source="h")
    assert config.unmodelled == (UnmodelledStatement(line=9, statement=statement),)


@pytest.mark.parametrize("statement, message", [
    ("security ike gateway gw1 nat-keepalive 0",
     "security ike gateway gw1 nat-keepalive 0: value must be 1..300"),
    ("security ike respond-bad-spi 31", "security ike respond-bad-spi 31: value must be 1..30"),
    ("security ipsec vpn v vpn-monitor destination-ip 10.0.0.300",
     "security ipsec vpn v vpn-monitor destination-ip 10.0.0.300: not an IP address"),
    ("security ipsec vpn v vpn-monitor source-interface tunnel",
     "security ipsec vpn v vpn-monitor source-interface tunnel: not an interface name "
     "(e.g. ge-0/0/3.0, st0.1)"),
    ("security ipsec vpn v traffic-selector ts1 local-ip 10.0.0/33",
     "security ipsec vpn v traffic-selector ts1 local-ip 10.0.0/33: not an IP prefix"),
    ("security ipsec vpn-monitor-options interval 1",
     "security ipsec vpn-monitor-options interval 1: value must be 2..3600"),
    ("routing-options static route 10.0.0.0/8 next-hop st0.x",
     "routing-options static route 10.0.0.0/8 next-hop st0.x: not an IP address or "
     "interface name"),
    ("security ike gateway gw1 local-identity inet6 10.0.0.1",
     "security ike gateway gw1 local-identity inet6 10.0.0.1: not an IPv6 address"),
], ids=["nat-keepalive", "bad-spi", "monitor-ip",
        "monitor-interface", "selector", "monitor-options", "next-hop", "inet6"])
def test_bad_values_in_unmodelled_statements_are_refused(statement, message):
    with pytest.raises(ConfigError) as exc:
        parse_config(f"{BASE}set {statement}\n", source="h")
    assert str(exc.value) == f"h config line 9: {message}"


@pytest.mark.parametrize("statement, message", [
    ("security ike gateway gw1 dead-peer-detecton interval 10",
     "'dead-peer-detecton': syntax error, expecting one of: address, dead-peer-detection, "
     "dynamic, external-interface, general-ikeid, ike-policy, local-address, local-identity, "
     "nat-keepalive, no-nat-traversal, remote-identity, version, xauth"),
    ("security ike gateway gw1 dead-peer-detection intervall 10",
     "'intervall': syntax error, expecting one of: always-send, interval, optimized, "
     "probe-idle-tunnel, threshold"),
    ("security ipsec vpn v vpn-monitor destination 10.0.0.1",
     "'destination': syntax error, expecting one of: destination-ip, optimized, "
     "source-interface"),
], ids=["misspelt-dpd", "misspelt-interval", "misspelt-destination-ip"])
def test_misspelt_statements_stay_syntax_errors(statement, message):
    with pytest.raises(ConfigSyntaxError) as exc:
        parse_config(f"{BASE}set {statement}\n", source="h")
    assert str(exc.value) == f"h config line 9: {message}"


def test_an_ignored_hierarchy_is_recorded_once_per_device():
    text = ("set system host-name srx\nset system name-server 4.2.2.1\n"
            "set security nat source rule-set rs1 from zone trust\n"
            "set security nat source rule-set rs1 to zone untrust\n"
            "set system ntp server 10.0.0.1\n")
    config = parse_config(text, source="h")
    assert [(u.line, u.statement) for u in config.unmodelled] == [
        (1, "system host-name srx"),
        (3, "security nat source rule-set rs1 from zone trust")]
    assert len(config.ignored) == 5  # every statement is still kept as a record


def test_unmodelled_statement_checks_itself():
    with pytest.raises(ValueError):
        UnmodelledStatement(line=0, statement="system")
    with pytest.raises(ValueError):
        UnmodelledStatement(line=1, statement="")


def test_library_topologies_hold_only_true_unmodelled_statements():
    """A library scenario that warns confuses: the only warnings are statements that truly
    have no effect (the guide's Chapter 11 route and tcp-mss)."""
    found = []
    for path in sorted(glob.glob("topologies/*.yaml") + glob.glob("topologies/cases/*.yaml")):
        topology = load_topology(path)
        for device in topology.devices.values():
            found += [(path, device.name, u.statement) for u in device.config.unmodelled]
    assert found == [
        ("topologies/chapter11-srx-ssg5.yaml", "SRX",
         "routing-options static route 0.0.0.0/0 next-hop 1.1.1.1"),
        ("topologies/chapter11-srx-ssg5.yaml", "SRX", "security flow tcp-mss ipsec-vpn mss 1350"),
    ]
