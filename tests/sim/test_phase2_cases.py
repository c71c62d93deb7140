"""Phase 2 (Quick Mode) in whole simulations: route-based and policy-based VPNs, and the
guide's two "Analyzing the Phase 2 Failure Message" cases."""

from __future__ import annotations

from tests.sim.scenarios import HOST_A, HOST_B, pair, policy_vpn
from tests.sim.test_phase1_cases import kmd, run

A_ID = f"ipv4(udp:500,[0..3]={HOST_A})"
B_ID = f"ipv4(udp:500,[0..3]={HOST_B})"


def test_policy_based_vpn_comes_up_with_the_address_book_proxy_ids(tmp_path):
    text = pair(a={"extra": policy_vpn("192.168.168.0/24", "10.10.10.0/24")},
                b={"extra": policy_vpn("10.10.10.0/24", "192.168.168.0/24")})
    s = run(text, tmp_path)
    (negotiation,) = s.results.in_order()
    assert (negotiation.phase1, negotiation.phase2) == ("done", "done")
    assert kmd(s, "Host-B")[1] == (
        f"Phase-2 [responder] done for p1_local={B_ID} p1_remote={A_ID} "
        "p2_local=ipv4_subnet(any:0,[0..7]=10.10.10.0/24) "
        "p2_remote=ipv4_subnet(any:0,[0..7]=192.168.168.0/24)")
    (sa,) = s.devices["Host-B"].snapshot().ipsec_sas
    assert (sa.vpn, sa.policy, sa.encryption_algorithm) == ("ike-vpn", "tunnel-policy-out",
                                                            "3des-cbc")
    (peer,) = s.devices["Host-A"].snapshot().ipsec_sas
    assert (peer.inbound_spi, peer.outbound_spi) == (sa.outbound_spi, sa.inbound_spi)


def test_proxy_id_mismatch_gives_the_guides_lines(tmp_path):
    # The peer proposes 10.10.20.0/24 for our side, where we have 10.10.10.0/24.
    text = pair(a={"extra": policy_vpn("192.168.168.0/24", "10.10.20.0/24")},
                b={"extra": policy_vpn("10.10.10.0/24", "192.168.168.0/24")})
    s = run(text, tmp_path)
    (negotiation,) = s.results.in_order()
    assert (negotiation.phase1, negotiation.phase2) == ("done", "failed")
    assert negotiation.error == "No proposal chosen"
    lines = kmd(s, "Host-B")
    assert lines[0] == f"Phase-1 [responder] done for local={B_ID} remote={A_ID}"
    assert lines[1] == ("Failed to match the peer proxy ids "
                        "p2_remote=ipv4_subnet(any:0,[0..7]=192.168.168.0/24) "
                        "p2_local=ipv4_subnet(any:0,[0..7]=10.10.20.0/24) "
                        f"for the remote peer:{A_ID}")
    assert lines[2] == ("KMD_PM_P2_POLICY_LOOKUP_FAILURE: Policy lookup for Phase-2 "
                        f"[responder] failed for p1_local={B_ID} p1_remote={A_ID} "
                        "p2_local=ipv4_subnet(any:0,[0..7]=10.10.20.0/24) "
                        "p2_remote=ipv4_subnet(any:0,[0..7]=192.168.168.0/24)")
    assert lines[3].startswith(f"{HOST_B}:500 (Responder) <-> {HOST_A}:500 {{ ")
    assert " [0] / 0x" in lines[3]
    assert lines[3].endswith(" } QM; Error = No proposal chosen (14)")


def test_phase2_proposal_mismatch(tmp_path):
    text = pair(a={"extra": policy_vpn("192.168.168.0/24", "10.10.10.0/24",
                                       proposal="proposals esp-aes")},
                b={"extra": policy_vpn("10.10.10.0/24", "192.168.168.0/24")})
    s = run(text, tmp_path)
    (negotiation,) = s.results.in_order()
    assert (negotiation.phase1, negotiation.phase2) == ("done", "failed")
    lines = kmd(s, "Host-B")
    assert lines[0].startswith("Phase-1 [responder] done")
    assert len(lines) == 2 and lines[1].endswith(" } QM; Error = No proposal chosen (14)")
    assert kmd(s, "Host-A")[-1].endswith(" } QM; Error = No proposal chosen (14)")


def _route_based(local: str, remote: str) -> str:
    return "\n".join([
        "set security ipsec proposal esp-aes protocol esp",
        "set security ipsec proposal esp-aes authentication-algorithm hmac-sha1-96",
        "set security ipsec proposal esp-aes encryption-algorithm aes-256-cbc",
        "set security ipsec policy vpn-policy1 proposals esp-aes",
        "set security ipsec vpn ike-vpn bind-interface st0.0",
        "set security ipsec vpn ike-vpn ike gateway gw",
        "set security ipsec vpn ike-vpn ike ipsec-policy vpn-policy1",
        f"set security ipsec vpn ike-vpn ike proxy-identity local {local}",
        f"set security ipsec vpn ike-vpn ike proxy-identity remote {remote}",
    ])


def test_ipv6_proxy_identities_come_up_and_show_as_junos_renders_them(tmp_path):
    """An IPv6-in-IPv4 route-based VPN: Quick Mode carries ID type 6 (ipv6_subnet) proxy IDs,
    which used to raise ValueError in the responder's kmd."""
    text = pair(a={"extra": _route_based("2001:db8:a::/64", "2001:db8:b::/64")},
                b={"extra": _route_based("2001:db8:b::/64", "2001:db8:a::/64")})
    s = run(text, tmp_path)
    (negotiation,) = s.results.in_order()
    assert (negotiation.phase1, negotiation.phase2) == ("done", "done")
    assert kmd(s, "Host-B")[1] == (
        f"Phase-2 [responder] done for p1_local=ipv4(udp:500,[0..3]={HOST_B}) "
        f"p1_remote=ipv4(udp:500,[0..3]={HOST_A}) "
        "p2_local=ipv6_subnet(any:0,[0..31]=2001:db8:b::/64) "
        "p2_remote=ipv6_subnet(any:0,[0..31]=2001:db8:a::/64)")


def test_ipv6_proxy_identities_that_differ_are_the_guides_mismatch(tmp_path):
    text = pair(a={"extra": _route_based("2001:db8:a::/64", "2001:db8:b::/64")},
                b={"extra": _route_based("2001:db8:b::/64", "2001:db8:c::/64")})
    s = run(text, tmp_path)
    assert s.results.in_order()[0].phase2 == "failed"
    assert kmd(s, "Host-B")[1] == (
        "Failed to match the peer proxy ids "
        "p2_remote=ipv6_subnet(any:0,[0..31]=2001:db8:a::/64) "
        "p2_local=ipv6_subnet(any:0,[0..31]=2001:db8:b::/64) "
        f"for the remote peer:ipv4(udp:500,[0..3]={HOST_A})")
