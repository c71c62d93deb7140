"""Golden tests: `show security ike|ipsec security-associations` and `show log` against the
guide's samples (Chapters 11 and 14). The PDF text collapses the columns' spaces, so rows are
compared word by word; lifetimes count down from the SA's establishment to the device clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from pki.store import CertificateStore
from sim.junos.device_state import IkeSaRecord, IpsecSaRecord
from sim.junos.ops import execute
from tests.junos.ops_states import assert_like, at, state

NOW = at("11-20-2012 12:00")

CH11_CONFIG = """\
set security ike proposal rsa-prop1 authentication-method rsa-signatures
set security ike proposal rsa-prop1 dh-group group2
set security ike proposal rsa-prop1 authentication-algorithm sha1
set security ike proposal rsa-prop1 encryption-algorithm 3des-cbc
set security ike policy ike-policy1 mode main
set security ike policy ike-policy1 proposals rsa-prop1
set security ike gateway ike-gate ike-policy ike-policy1
set security ike gateway ike-gate address 2.2.2.2
set security ike gateway ike-gate external-interface ge-0/0/3.0
set security ipsec policy vpn-policy1 proposal-set standard
set security ipsec vpn ike-vpn ike gateway ike-gate
set security ipsec vpn ike-vpn ike ipsec-policy vpn-policy1
"""


def ike(index: int, *, left: int, lifetime: int = 28800, **changes) -> IkeSaRecord:
    fields = dict(
        index=index, gateway="ike-gate", role="Responder", state="UP",
        initiator_cookie="af4f78bc135e4365", responder_cookie="48a35f853ee95d21",
        mode="Main", local_address="1.1.1.2", remote_address="2.2.2.2",
        authentication_method="RSA-signatures", authentication_algorithm="sha1",
        encryption_algorithm="3des-cbc", prf="hmac-sha1", dh_group=2,
        lifetime_seconds=lifetime,
        established=(NOW - dt.timedelta(seconds=lifetime - left)).isoformat(),
        local_id="ipv4(udp:500,[0..3]=1.1.1.2)", remote_id="ipv4(udp:500,[0..3]=2.2.2.2)")
    return IkeSaRecord(**{**fields, **changes})


def ipsec(index: int, *, left: int, lifetime: int = 3600, **changes) -> IpsecSaRecord:
    fields = dict(
        index=index, vpn="ike-vpn", gateway="ike-gate", local_address="1.1.1.2",
        remote_address="2.2.2.2", inbound_spi="bce1c6e0", outbound_spi="1a24eab9",
        protocol="ESP", authentication_algorithm="hmac-sha1-96",
        encryption_algorithm="3des-cbc", lifetime_seconds=lifetime,
        established=(NOW - dt.timedelta(seconds=lifetime - left)).isoformat(),
        local_identity="ipv4_subnet(any:0,[0..7]=10.10.10.0/24)",
        remote_identity="ipv4_subnet(any:0,[0..7]=192.168.168.0/24)",
        policy="tunnel-policy-out")
    return IpsecSaRecord(**{**fields, **changes})


def device(ike_sas=(), ipsec_sas=(), **extra):
    return state("host", config=CH11_CONFIG, store=CertificateStore(), now=NOW,
                 ike_sas=tuple(ike_sas), ipsec_sas=tuple(ipsec_sas), **extra)


def words(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


def test_ch11_ike_sa_index_20_detail():
    sa = ike(20, left=23282, input_bytes=10249, output_bytes=4249, input_packets=10,
             output_packets=9, ipsec_sas_created=2, ipsec_sas_deleted=1)
    got = execute(device([sa], [ipsec(2, left=1667)]),
                  "show security ike security-associations index 20 detail").output
    assert_like(got, [
        # The guide's line ends "Index 20," where the gateway name was cut off.
        "IKE peer 2.2.2.2, Index 20, Gateway Name: ike-gate",
        "Role: Responder, State: UP",
        "Initiator cookie: af4f78bc135e4365, Responder cookie: 48a35f853ee95d21",
        "Exchange type: Main, Authentication method: RSA-signatures",
        "Local: 1.1.1.2:500, Remote: 2.2.2.2:500",
        "Lifetime: Expires in 23282 seconds",
        "Algorithms:",
        "Authentication : sha1",
        "Encryption : 3des-cbc",
        "Pseudo random function: hmac-sha1",
        "Traffic statistics:",
        "Input bytes : 10249",
        "Output bytes : 4249",
        "Input packets: 10",
        "Output packets: 9",
        "Flags: Caller notification sent",
        "IPsec security associations: 2 created, 1 deleted",
        "Phase 2 negotiations in progress: 0",
    ])
    # The counters right-aligned in one column, as kmd prints them.
    assert got.splitlines()[11:15] == [
        "   Input  bytes  :                10249",
        "   Output bytes  :                 4249",
        "   Input  packets:                   10",
        "   Output packets:                    9",
    ]


def test_ike_sa_detail_on_a_quiet_tunnel_counts_zero_and_the_live_pair():
    got = execute(device([ike(20, left=100, prf="hmac-sha-256")], [ipsec(2, left=100)]),
                  "show security ike security-associations detail").output.splitlines()
    assert "   Pseudo random function: hmac-sha256" in got
    assert "   Output packets:                    0" in got
    assert "  IPsec security associations: 2 created, 0 deleted" in got


def test_ike_sa_lifetime_counts_down_to_the_device_clock():
    later = dataclasses.replace(device([ike(20, left=23282)]),
                                now=NOW + dt.timedelta(seconds=82))
    got = execute(later, "show security ike security-associations detail").output
    assert "  Lifetime: Expires in 23200 seconds" in got.splitlines()


def test_expired_sas_are_gone():
    got = execute(device([ike(20, left=0)], [ipsec(2, left=0)]),
                  "show security ike security-associations").output
    assert got == ""


def test_ch14_ike_sa_summary():
    sa = ike(2090205, left=28000, initiator_cookie="285feacb50824495",
             responder_cookie="59fca3f72b64da10", remote_address="30.1.1.51")
    got = execute(device([sa]), "show security ike security-associations").output
    assert words(got) == [
        "Index State Initiator cookie Responder cookie Mode Remote Address".split(),
        "2090205 UP 285feacb50824495 59fca3f72b64da10 Main 30.1.1.51".split(),
    ]
    # Two spaces in, as the sample keeps them; each value under its column's title.
    header, row = got.splitlines()
    assert header.startswith("  Index   State") and row.startswith("  2090205 UP     ")
    for title, value in [("Initiator", "285feacb"), ("Responder", "59fca3f7"), ("Mode", "Main"),
                         ("Remote", "30.1.1.51")]:
        assert header.index(title) == row.index(value)


def test_ch14_ipsec_sa_summary():
    sa = ipsec(131073, left=207, lifetime=300, inbound_spi="a4756de9",
               outbound_spi="353bacd3", remote_address="30.1.1.51")
    got = execute(device(ipsec_sas=[sa]), "show security ipsec security-associations").output
    assert words(got) == [
        "Total active tunnels: 1".split(),
        "ID Algorithm SPI Life:sec/kb Mon vsys Port Gateway".split(),
        "<131073 ESP:3des/sha1 a4756de9 207/ unlim - root 500 30.1.1.51".split(),
        ">131073 ESP:3des/sha1 353bacd3 207/ unlim - root 500 30.1.1.51".split(),
    ]
    # The header as the sample keeps it; each value under its column's title.
    header, row = got.splitlines()[1:3]
    assert header == "  ID      Algorithm      SPI      Life:sec/kb Mon vsys Port Gateway"
    for title, value in [("ID", "<131073"), ("Algorithm", "ESP"), ("SPI", "a4756de9"),
                         ("Life", "207/"), ("Mon", "-"), ("vsys", "root"), ("Port", "500"),
                         ("Gateway", "30.1.1.51")]:
        assert header.index(title) == row.index(value), title


def test_ipsec_sa_summary_keeps_a_space_after_a_long_algorithm():
    """The sample's 3des/sha1 fits its column; aes-128/sha1 and aes-256/sha256 are wider and
    push the row's later columns right, one space apart, as Junos's fixed-width printf does."""
    rows = []
    for encryption, authentication in (("aes-128-cbc", "hmac-sha1-96"),
                                       ("aes-256-cbc", "hmac-sha-256-128")):
        sa = ipsec(131073, left=207, lifetime=300, inbound_spi="a4756de9",
                   outbound_spi="af00fd78", remote_address="30.1.1.51",
                   encryption_algorithm=encryption, authentication_algorithm=authentication)
        got = execute(device(ipsec_sas=[sa]), "show security ipsec security-associations")
        rows += got.output.splitlines()[2:]
    assert rows == [
        "  <131073 ESP:aes-128/sha1 a4756de9 207/ unlim  -   root 500  30.1.1.51",
        "  >131073 ESP:aes-128/sha1 af00fd78 207/ unlim  -   root 500  30.1.1.51",
        "  <131073 ESP:aes-256/sha256 a4756de9 207/ unlim  -   root 500  30.1.1.51",
        "  >131073 ESP:aes-256/sha256 af00fd78 207/ unlim  -   root 500  30.1.1.51",
    ]


def test_ike_sa_summary_keeps_a_space_after_a_wide_index():
    sa = ike(20901234, left=28000, initiator_cookie="285feacb50824495",
             responder_cookie="59fca3f72b64da10", remote_address="30.1.1.51")
    got = execute(device([sa]), "show security ike security-associations").output
    assert got.splitlines()[1] == ("  20901234 UP     285feacb50824495  59fca3f72b64da10  Main"
                                   "           30.1.1.51")


def test_ch11_ipsec_sa_summary_same_fields():
    # Chapter 11 shows an older layout ("total configured sa", Gateway and Port first, vsys 0);
    # ikesim prints Chapter 14's (12.1X46). The same values are in each row.
    got = execute(device(ipsec_sas=[ipsec(2, left=1676)]),
                  "show security ipsec security-associations").output
    rows = words(got)[2:]
    for row, guide in zip(rows, ["<2 2.2.2.2 500 ESP:3des/sha1 bce1c6e0 1676/ unlim -",
                                 ">2 2.2.2.2 500 ESP:3des/sha1 1a24eab9 1676/ unlim -"],
                          strict=True):
        assert sorted(guide.split()) == sorted(w for w in row if w != "root")


def test_ch11_ipsec_sa_index_2_detail():
    got = execute(device(ipsec_sas=[ipsec(2, left=1667)]),
                  "show security ipsec security-associations index 2 detail").output
    direction = [
        re.compile(r"Hard lifetime: Expires in 1667 seconds"),
        "Lifesize Remaining: Unlimited",
        re.compile(r"Soft lifetime: Expires in 10\d\d seconds"),  # guide: 1093 (kmd jitter)
        "Mode: tunnel, Type: dynamic, State: installed, VPN Monitoring: -",
        "Protocol: ESP, Authentication: hmac-sha1-96, Encryption: 3des-cbc",
        "Anti-replay service: enabled, Replay window size: 32",
    ]
    assert_like(got, [
        "Virtual-system: Root",
        "Local Gateway: 1.1.1.2, Remote Gateway: 2.2.2.2",
        "Local Identity: ipv4_subnet(any:0,[0..7]=10.10.10.0/24)",
        "Remote Identity: ipv4_subnet(any:0,[0..7]=192.168.168.0/24)",
        "DF-bit: clear",
        "Policy-name: tunnel-policy-out",
        "Direction: inbound, SPI: bce1c6e0, AUX-SPI: 0",
        *direction,
        "Direction: outbound, SPI: 1a24eab9, AUX-SPI: 0",
        *direction,
    ])


def test_no_ipsec_sas():
    got = execute(device(), "show security ipsec security-associations").output
    assert got.splitlines()[0] == "Total active tunnels: 0"


def test_show_log_and_pipes():
    dev = device(kmd_log=("Sep 19 17:20:10 Phase-1 [initiator] done for local=a remote=b",
                          "Sep 19 17:21:10 Phase-1 [initiator] failed with error(x)"),
                 pkid_log=("Sep 19 17:20:10 Start verification",))
    assert execute(dev, "show log pkid").output == "Sep 19 17:20:10 Start verification"
    assert execute(dev, "show log kmd | match failed").output.endswith("failed with error(x)")
    assert execute(dev, "show log kmd | count").output == "Count: 2 lines"
    assert execute(dev, "show log kmd | except failed | no-more").output.endswith("remote=b")
