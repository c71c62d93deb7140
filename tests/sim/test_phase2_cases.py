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
