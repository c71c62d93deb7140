"""Phase-1 outcomes of whole simulations, each caused the way it happens on a device, with the
kmd and pkid lines the guide prints for it (Chapter 11, "Troubleshooting IKE, PKI, and IPsec")."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sim.ike.payloads import CertPayload, decode_message, encode_message
from sim.junos.config import parse_config
from sim.scenario import Scenario
from sim.topology import parse_topology
from tests.sim.scenarios import HOST_A, HOST_B, aggressive, pair, policy_vpn, profiles


def run(text: str, tmp_path) -> Scenario:
    scenario = Scenario.build(parse_topology(text, source="case.yaml"), out=tmp_path / "run")
    scenario.run()
    return scenario


def kmd(scenario: Scenario, device: str) -> list[str]:
    """kmd log lines without their timestamps."""
    return [line[16:] for line in scenario.devices[device].kmd_log.lines]


def pkid(scenario: Scenario, device: str) -> list[str]:
    return [line[16:] for line in scenario.devices[device].pkid_log.lines]


def outcome(scenario: Scenario) -> tuple[str, str | None]:
    (negotiation,) = scenario.results.in_order()
    return negotiation.phase1, negotiation.error


A_ID = f"ipv4(udp:500,[0..3]={HOST_A})"
B_ID = f"ipv4(udp:500,[0..3]={HOST_B})"


def test_success_with_dynamic_ca_profiles(tmp_path):
    s = run(pair(), tmp_path)
    assert outcome(s) == ("done", None)
    assert kmd(s, "Host-A") == [f"Phase-1 [initiator] done for local={A_ID} remote={B_ID}"]
    assert kmd(s, "Host-B") == [f"Phase-1 [responder] done for local={B_ID} remote={A_ID}"]
    lines = pkid(s, "Host-A")
    assert ("Dynamic CA profile dynamic-001 created for CA C = US, O = Test, CN = CA-B, "
            "parent CA profile Root-CA") in lines
    assert "Start downloading CRL for CA profile dynamic-001 from http://192.0.2.10/b.crl" in lines
    assert lines[-1] == "Certificate CN = Host-B, O = Test, C = US verification success"


def test_proposal_mismatch_gives_the_guides_lines(tmp_path):
    # Host-B knows Host-A as a dynamic peer by hostname, as the guide's SRX knows the SSG5.
    text = pair(a={"local_identity": "hostname host-a.example.net"},
                b={"proposal": "aes-256-cbc",
                   "gateway_peer": "dynamic hostname host-a.example.net"})
    s = run(text, tmp_path)
    assert outcome(s) == ("failed", "No proposal chosen")
    responder = kmd(s, "Host-B")
    assert responder[0] == ("Phase-1 [responder] failed with error(No proposal chosen) for "
                            "local=unknown(any:0,[0..0]=) "
                            "remote=fqdn(udp:500,[0..17]=host-a.example.net)")
    assert responder[1].startswith(f"{HOST_B}:500 (Responder) <-> {HOST_A}:500 {{ ")
    assert responder[1].endswith(" [- 1] / 0x00000000 } IP; Error = No proposal chosen (14)")
    assert kmd(s, "Host-A")[0].startswith(
        "Phase-1 [initiator] failed with error(No proposal chosen)")


def test_wrong_ike_id_type_gives_authentication_failed(tmp_path):
    # Host-B expects the hostname; Host-A sends its address as its IKE ID.
    text = pair(b={"gateway_peer": "dynamic hostname host-a.example.net"})
    s = run(text, tmp_path)
    assert outcome(s) == ("failed", "Authentication failed")
    assert kmd(s, "Host-B")[:2] == [
        f"Unable to find phase-1 policy as remote peer:{HOST_A} is not recognized.",
        f"Phase-1 [responder] failed with error(Authentication failed) for local={B_ID} "
        f"remote=ipv4(any:0,[0..3]={HOST_A})",
    ]
    assert kmd(s, "Host-B")[2].endswith("IP; Error = Authentication failed (24)")


def test_revoked_peer_certificate_found_through_the_dynamic_profile(tmp_path):
    events = ("  - {at: 0s, revoke: {ca: CA-B, certificate: Host-B, reason: keyCompromise}}\n"
              "  - {at: 1s, initiate: {device: Host-A, gateway: gw}}")
    s = run(pair(events=events), tmp_path)
    assert outcome(s) == ("failed", "Authentication failed")
    assert kmd(s, "Host-A")[0] == (f"Phase-1 [initiator] failed with error(Authentication "
                                   f"failed) for local={A_ID} remote={B_ID}")
    verdict = pkid(s, "Host-A")[-1]
    assert verdict.startswith("Certificate CN = Host-B, O = Test, C = US verification failed: ")
    assert "was revoked on 2013-03-01 09:00 UTC (keyCompromise)" in verdict


DOWN = ("  - {at: 0s, server-down: {server: crl-server}}\n"
        "  - {at: 1s, initiate: {device: Host-A, gateway: gw}}")


def test_crl_server_down_fails_validation(tmp_path):
    s = run(pair(events=DOWN), tmp_path)
    assert outcome(s) == ("failed", "Authentication failed")
    # The responder checks first (message 5), fails, and tells the initiator.
    lines = pkid(s, "Host-B")
    assert ("CRL download for CA profile Root-CA from http://192.0.2.10/root.crl failed: "
            "connection timed out") in lines
    assert lines[-1].endswith("verification failed: CRL download failed for CA profile Root-CA")


def test_disable_on_download_failure_lets_phase1_complete(tmp_path):
    a = profiles("CA-A", root_check="crl disable on-download-failure",
                 own_check="crl disable on-download-failure")
    b = profiles("CA-B", root_check="crl disable on-download-failure",
                 own_check="crl disable on-download-failure")
    s = run(pair(a_profiles=a, b_profiles=b, events=DOWN), tmp_path)
    assert outcome(s) == ("done", None)
    assert ("CRL for CA profile dynamic-001 unavailable; revocation check skipped "
            "(disable on-download-failure)") in pkid(s, "Host-A")
    assert kmd(s, "Host-B") == [f"Phase-1 [responder] done for local={B_ID} remote={A_ID}"]


def test_revocation_check_disable_lets_phase1_complete(tmp_path):
    a = profiles("CA-A", root_check="disable", own_check="disable")
    b = profiles("CA-B", root_check="disable", own_check="disable")
    s = run(pair(a_profiles=a, b_profiles=b, events=DOWN), tmp_path)
    assert outcome(s) == ("done", None)
    assert not any("dynamic" in line for line in pkid(s, "Host-A"))
    assert not any("download" in line.lower() for line in pkid(s, "Host-A"))


def test_slow_pkid_times_the_responder_out(tmp_path):
    text = pair(b_extra="    pkid-processing: 400s")
    s = run(text, tmp_path)
    assert outcome(s) == ("failed", "Timeout")
    assert kmd(s, "Host-B")[0] == (
        "Phase-1 [responder] failed with error(Timeout) for "
        f"local=unknown(any:0,[0..0]=) remote=ipv4(any:0,[0..3]={HOST_A})")
    assert kmd(s, "Host-A")[0].startswith("Phase-1 [initiator] failed with error(Timeout)")


def test_lost_packets_time_the_initiator_out(tmp_path):
    text = pair().replace("latency: 5ms}", "latency: 5ms, loss: 1.0}")
    s = run(text, tmp_path)
    assert outcome(s) == ("failed", "Timeout")
    assert kmd(s, "Host-A")[0] == (
        "Phase-1 [initiator] failed with error(Timeout) for "
        f"local=unknown(any:0,[0..0]=) remote=ipv4(any:0,[0..3]={HOST_B})")
    assert kmd(s, "Host-B") == []


def test_device_clock_behind_sees_the_peer_certificate_not_yet_valid(tmp_path):
    s = run(pair(b_extra="    clock-offset: -2d"), tmp_path)
    assert outcome(s) == ("failed", "Authentication failed")
    assert pkid(s, "Host-B")[-1].endswith("C=US,O=Test,CN=Host-A is not valid before "
                                          "2013-02-28 09:00 UTC")


@pytest.mark.parametrize("seed", [3])
def test_same_topology_and_seed_same_logs_and_results(tmp_path, seed):
    text = pair().replace("seed: 7", f"seed: {seed}")
    first = run(text, tmp_path / "one")
    second = run(text, tmp_path / "two")
    for device in ("Host-A", "Host-B"):
        assert first.devices[device].kmd_log.lines == second.devices[device].kmd_log.lines
        assert first.devices[device].pkid_log.lines == second.devices[device].pkid_log.lines
    assert first.results_json() == second.results_json()
    assert [c.datagram.payload for c in first.world.network.capture][:4] == \
        [c.datagram.payload for c in second.world.network.capture][:4]


def test_ike_traceoptions_write_the_selected_flags_to_their_file(tmp_path):
    trace = ("set security ike traceoptions file ike-trace\n"
             "set security ike traceoptions flag ike\n"
             "set security ike traceoptions flag policy-manager")
    s = run(pair(b={"extra": trace}), tmp_path)
    assert outcome(s) == ("done", None)
    folder = tmp_path / "run" / "logs" / "Host-B"
    traced = [line[16:] for line in (folder / "ike-trace").read_text().splitlines()]
    assert traced[0] == f"Phase-1 policy lookup for peer {HOST_A}: gateway gw"
    # The peer's NAT-T vendor IDs, and its NAT-D payloads that find no NAT
    # (sim.world.nat_traversal).
    assert traced[1:7] == [
        "ike_st_i_vid: VID[0] = RFC 3947", "ike_st_i_vid: VID[1] = draft-ietf-ipsec-nat-t-ike-03",
        "ike_st_i_vid: VID[2] = draft-ietf-ipsec-nat-t-ike-02\\n",
        "ike_st_i_vid: VID[3] = draft-ietf-ipsec-nat-t-ike-02",
        "ike_st_i_vid: VID[4] = RFC 3706 DPD",
        f"ike_st_i_nat_d: NAT-T: no NAT detected (local {HOST_B}:500, remote {HOST_A}:500)"]
    del traced[1:7]
    assert traced[1].startswith("ike_st_o_all_done: MESSAGE: Phase 1 { 0x")
    assert traced[1].endswith(", version = 1.0, xchg = Identity protect, auth_method = RSA "
                              "signatures, Responder, cipher = aes-128-cbc, hash = sha-256, "
                              "prf = hmac-sha-256, life = 0 kB / 28800 sec, key len = 16, "
                              "group = 14")
    assert traced[2] == (f"IKE negotiation done for local:{HOST_B}, remote:{HOST_A} IKEv1 "
                         "with status: Error ok")
    assert not any("ike_st_i_cert" in line for line in traced)  # flag certificates is off
    # The kmd log keeps its messages only.
    assert (folder / "kmd").read_text().count("\n") == 1


def test_aggressive_mode_with_ecdsa_certificates(tmp_path):
    """mode aggressive and ecdsa-signatures-256 end to end: three messages, real ECDSA."""
    text = pair()
    text = text.replace("set security ike policy pol mode main",
                        "set security ike policy pol mode aggressive")
    text = text.replace("authentication-method rsa-signatures",
                        "authentication-method ecdsa-signatures-256")
    text = text.replace("dh-group group14", "dh-group group19")
    text = text.replace("key: rsa-1024", "key: ecdsa-256")
    s = run(text, tmp_path)
    (negotiation,) = s.results.in_order()
    assert (negotiation.phase1, negotiation.error) == ("done", None)
    phase1 = [m for m in negotiation.messages if m.exchange == "AGGRESSIVE"]
    assert [(m.sender, m.number) for m in phase1] == [("Host-A", 1), ("Host-B", 2),
                                                      ("Host-A", 3)]
    assert kmd(s, "Host-B") == [f"Phase-1 [responder] done for local={B_ID} remote={A_ID}"]
    (sa,) = s.devices["Host-A"].snapshot().ike_sas
    assert (sa.mode, sa.authentication_method, sa.dh_group) == (
        "Aggressive", "ECDSA-signatures-256", 19)


def test_mode_mismatch_fails_the_negotiation(tmp_path):
    """Host-A in aggressive mode, Host-B in main: the responder refuses the exchange."""
    text = pair().replace("set security ike policy pol mode main",
                          "set security ike policy pol mode aggressive", 1)
    s = run(text, tmp_path)
    assert outcome(s) == ("failed", "No proposal chosen")
    assert kmd(s, "Host-B")[0].startswith(
        "Phase-1 [responder] failed with error(No proposal chosen) for "
        "local=unknown(any:0,[0..0]=) ")


def test_parse_database_and_timer_flags(tmp_path):
    trace = "\n".join(f"set security ike traceoptions flag {flag}"
                      for flag in ("parse", "database", "timer"))
    text = pair(a={"extra": policy_vpn("192.168.168.0/24", "10.10.10.0/24")},
                b={"extra": policy_vpn("10.10.10.0/24", "192.168.168.0/24") + "\n" + trace})
    s = run(text, tmp_path)
    lines = kmd(s, "Host-B")
    assert lines[0] == "Config download: Processed 4 - 5 messages"
    assert lines[1] == "Config download time: 0 seconds"
    assert "Hardlife timer started for inbound ike-vpn with 3600 seconds/0 kilobytes" in lines
    assert "Successfully added ipsec SA PAIR" in lines


@pytest.mark.parametrize(("wildcard", "result"), [("O=Test", "done"), ("O=Other", "failed")])
def test_dynamic_distinguished_name_wildcard(tmp_path, wildcard, result):
    text = pair(a={"local_identity": "distinguished-name"},
                b={"gateway_peer": f"dynamic distinguished-name wildcard {wildcard}"})
    s = run(text, tmp_path)
    assert outcome(s)[0] == result
    if result == "done":
        # The DN ID as kmd shows it: LDAP order, last RDN of the DER first (the subject was
        # written CN first, so DER holds CN, O, C).
        assert kmd(s, "Host-B")[0].endswith(
            "remote=der_asn1_dn(udp:500,[0..46]=C=US, O=Test, CN=Host-A)")
    else:
        assert kmd(s, "Host-B")[0] == (
            f"Unable to find phase-1 policy as remote peer:{HOST_A} is not recognized.")


def test_the_chain_stops_at_a_ca_the_peer_names_in_its_certificate_requests(tmp_path):
    """Host-A trusts CA-B too (a CA profile with its certificate), so its CR payloads name
    CA-B and Host-B sends its EE certificate alone; Host-B lacks CA-A and gets Host-A's chain."""
    text = pair(a_profiles=profiles("CA-A") + "\nset security pki ca-profile CA-B ca-identity "
                "CA-B\nset security pki ca-profile CA-B revocation-check crl",
                a={"extra": "set security ike traceoptions flag certificates"},
                b={"extra": "set security ike traceoptions flag certificates"})
    text = text.replace("ca-certificates: {Root-CA: Root-CA, CA-A: CA-A}",
                        "ca-certificates: {Root-CA: Root-CA, CA-A: CA-A, CA-B: CA-B}")
    s = run(text, tmp_path)
    assert outcome(s) == ("done", None)
    assert f"Received 1 certificate(s) from {HOST_B}; asking pkid to verify" in kmd(s, "Host-A")
    assert f"Received 2 certificate(s) from {HOST_A}; asking pkid to verify" in kmd(s, "Host-B")
    assert not any("dynamic" in line for line in pkid(s, "Host-A"))


def test_a_damaged_certificate_sent_in_the_clear_fails_the_negotiation_not_the_device(tmp_path):
    """Aggressive Mode's message 3 carries Host-A's certificate in the clear: anyone on the
    path can damage it. The DER used to reach an unguarded x509 load in kmd and end the whole
    run; now Host-B finds no public key to check the signature with (Authentication failed),
    and a later negotiation between the same devices still comes up."""
    events = ("  - {at: 1s, initiate: {device: Host-A, gateway: gw}}\n"
              "  - {at: 20s, initiate: {device: Host-A, gateway: gw}}")
    scenario = Scenario.build(parse_topology(aggressive(pair(events=events)),
                                             source="case.yaml"), out=tmp_path / "run")
    kmd_a = scenario.devices["Host-A"].kmd
    send, damaged = kmd_a._send, []

    def damage_first_certificate(datagram):
        message = decode_message(datagram.payload)
        if message.first(CertPayload) is not None and not damaged:
            cert = message.first(CertPayload)
            bad = CertPayload(data=cert.data[:40] + bytes([cert.data[40] ^ 0xFF])
                              + cert.data[41:])
            payloads = [bad if p is cert else p for p in message.payloads]
            datagram = replace(datagram, payload=encode_message(message.header, payloads))
            damaged.append(datagram)
        send(datagram)

    kmd_a._send = damage_first_certificate
    scenario.run()
    first, second = scenario.results.in_order()
    assert damaged and (first.phase1, first.error) == ("failed", "Authentication failed")
    assert first.error_detail.startswith("No public key found: certificate does not decode")
    assert kmd(scenario, "Host-B")[0] == (
        f"Phase-1 [responder] failed with error(Authentication failed) for local={B_ID} "
        f"remote={A_ID}")
    assert (second.phase1, second.error) == ("done", None)


def test_a_proposal_the_local_key_cannot_sign_for_does_not_stop_the_device(tmp_path):
    """ecdsa-signatures-256 with an RSA certificate used to raise ValueError out of kmd and end
    the run. The topology refuses it at load (Junos refuses it at commit); kmd defends anyway:
    given such a configuration it refuses the gateway in one line."""
    text = pair()
    topology = parse_topology(text, source="case.yaml")
    host_a = topology.devices["Host-A"]
    bad = host_a.config_text.replace("authentication-method rsa-signatures",
                                     "authentication-method ecdsa-signatures-256")
    assert bad != host_a.config_text
    devices = {**topology.devices, "Host-A": replace(
        host_a, config=parse_config(bad, source="Host-A"), config_text=bad)}
    s = Scenario.build(replace(topology, devices=devices), out=tmp_path / "run")
    s.run()
    assert s.world.env.now == 600.0 and s.results.in_order() == []
    assert kmd(s, "Host-A") == [
        "KMD_INTERNAL_ERROR: cannot initiate gateway gw: ike proposal p1: authentication-method "
        "ecdsa-signatures-256 does not fit the local certificate's rsa-1024 key"]
