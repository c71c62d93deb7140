"""Pre-shared-key authentication end to end, troubleshooting style: a tunnel comes up with
`authentication-method pre-shared-keys`, a mismatched key fails as QuickSec's kmd fails it, and
a certificate tunnel and a pre-shared-key tunnel share one device."""

from __future__ import annotations

import textwrap

import pytest

from sim.junos.config import parse_config
from sim.junos.ops import execute
from sim.scenario import Scenario
from sim.topology.gateway import GatewayError, check
from tests.sim.scenarios import HOST_A, HOST_B, pair, topology
from tests.sim.test_phase1_cases import kmd, run

A_ID = f"ipv4(udp:500,[0..3]={HOST_A})"
B_ID = f"ipv4(udp:500,[0..3]={HOST_B})"


def psk_config(*, me: str, peer: str, key: str = 'ascii-text "juniper123"',
               mode: str = "main", extra: str = "") -> str:
    return "\n".join([
        f"set interfaces ge-0/0/0 unit 0 family inet address {me}/24",
        "set security ike traceoptions flag ike",
        "set security ike proposal psk-prop authentication-method pre-shared-keys",
        "set security ike proposal psk-prop dh-group group14",
        "set security ike proposal psk-prop authentication-algorithm sha-256",
        "set security ike proposal psk-prop encryption-algorithm aes-128-cbc",
        f"set security ike policy psk-pol mode {mode}",
        "set security ike policy psk-pol proposals psk-prop",
        *([f"set security ike policy psk-pol pre-shared-key {key}"] if key else []),
        "set security ike gateway psk-gw ike-policy psk-pol",
        f"set security ike gateway psk-gw address {peer}",
        "set security ike gateway psk-gw external-interface ge-0/0/0.0",
        f"set security ike gateway psk-gw local-identity inet {me}",
        *extra.splitlines(),
    ]) + "\n"


def psk_topology(a_config: str, b_config: str) -> str:
    """The suite's two-device topology (its certificates unused) with these configurations."""
    return topology(a_config=a_config, b_config=b_config,
                    events="  - {at: 1s, initiate: {device: Host-A, gateway: psk-gw}}")


def messages(scenario: Scenario, device: str) -> list[str]:
    """kmd's messages, without the traces."""
    return [line for line in kmd(scenario, device)
            if line.startswith(("Phase-", "Unable", "KMD_"))
            or ("; Error = " in line)]


@pytest.mark.parametrize("mode", ["main", "aggressive"])
def test_a_pre_shared_key_tunnel_comes_up(tmp_path, mode):
    s = run(psk_topology(psk_config(me=HOST_A, peer=HOST_B, mode=mode),
                         psk_config(me=HOST_B, peer=HOST_A, mode=mode)), tmp_path)
    (negotiation,) = s.results.in_order()
    assert (negotiation.phase1, negotiation.error) == ("done", None)
    assert messages(s, "Host-A") == [f"Phase-1 [initiator] done for local={A_ID} remote={B_ID}"]
    assert messages(s, "Host-B") == [f"Phase-1 [responder] done for local={B_ID} remote={A_ID}"]
    done = next(line for line in kmd(s, "Host-B") if line.startswith("ike_st_o_all_done"))
    assert "auth_method = Pre shared keys, Responder" in done
    assert not any("verification" in line for line in s.devices["Host-A"].pkid_log.lines)
    assert negotiation.steps == []
    outcome = execute(s.devices["Host-A"].snapshot(),
                      "show security ike security-associations detail")
    exchange = "Main" if mode == "main" else "Aggressive"
    assert f"  Exchange type: {exchange}, Authentication method: Pre-shared-keys" in \
        outcome.output.splitlines()
    # No CERT or CR payload went out: Main Mode's six messages, or Aggressive Mode's three.
    assert len([m for m in negotiation.messages if m.exchange != "INFORMATIONAL"]) == (
        6 if mode == "main" else 3)


def test_an_ascii_key_and_the_same_key_in_hexadecimal_agree(tmp_path):
    s = run(psk_topology(psk_config(me=HOST_A, peer=HOST_B, key='ascii-text "abc"'),
                         psk_config(me=HOST_B, peer=HOST_A, key="hexadecimal 616263")),
            tmp_path)
    assert s.results.in_order()[0].phase1 == "done"


def test_a_mismatched_key_in_main_mode_fails_as_quicksec_reports_it(tmp_path):
    """The responder cannot decrypt message 5 with the wrong key. The first copy is dropped
    (it might be a damaged packet); the retransmission, the very same bytes, fails the same
    way: the keys differ. QuickSec's decoder names it "Incorrect pre-shared key" with its
    error, here INVALID-PAYLOAD-TYPE (1); the initiator, whose notification it cannot decrypt
    either, times out."""
    s = run(psk_topology(psk_config(me=HOST_A, peer=HOST_B, key='ascii-text "juniper123"'),
                         psk_config(me=HOST_B, peer=HOST_A, key='ascii-text "juniper999"')),
            tmp_path)
    (negotiation,) = s.results.in_order()
    assert (negotiation.phase1, negotiation.error, negotiation.failed_on) == (
        "failed", "Invalid payload type", "Host-B")
    assert negotiation.error_detail == ("Incorrect pre-shared key (payload type 24 after "
                                        "payload type 5)")
    responder = messages(s, "Host-B")
    assert responder[0] == ("Phase-1 [responder] failed with error(Invalid payload type) for "
                            f"local=unknown(any:0,[0..0]=) remote=ipv4(any:0,[0..3]={HOST_A})")
    assert responder[1].startswith(f"{HOST_B}:500 (Responder) <-> {HOST_A}:500 {{ ")
    assert responder[1].endswith("IP; Error = Invalid payload type (1)")
    dropped = [line for line in kmd(s, "Host-B") if "Packet dropped" in line]
    assert dropped[0].endswith("IP; Packet dropped: payload type 24 after payload type 5 "
                               "(Invalid payload type (1))")
    # The initiator's further retransmissions reach a negotiation that has ended.
    assert all(line.endswith("Packet dropped: this IKE SA has failed; it takes no more "
                             "datagrams") for line in dropped[1:])
    assert messages(s, "Host-A")[0] == (
        "Phase-1 [initiator] failed with error(Timeout) for "
        f"local={A_ID} remote=ipv4(any:0,[0..3]={HOST_B})")


def test_a_mismatched_key_in_aggressive_mode_is_a_hash_mismatch(tmp_path):
    """Aggressive Mode's message 2 is in the clear: the initiator computes HASH_R with its key
    and finds the responder's different (QuickSec's ike_st_i_hash: "Hash value mismatch")."""
    s = run(psk_topology(psk_config(me=HOST_A, peer=HOST_B, mode="aggressive"),
                         psk_config(me=HOST_B, peer=HOST_A, mode="aggressive",
                                    key='ascii-text "other"')), tmp_path)
    (negotiation,) = s.results.in_order()
    assert (negotiation.error, negotiation.error_detail) == ("Authentication failed",
                                                             "Hash value mismatch")
    assert messages(s, "Host-A")[0] == ("Phase-1 [initiator] failed with error(Authentication "
                                        f"failed) for local={A_ID} remote={B_ID}")


def test_a_pre_shared_keys_proposal_without_a_key_is_a_commit_error():
    config = parse_config(psk_config(me=HOST_A, peer=HOST_B, key=""), source="Host-A")
    with pytest.raises(GatewayError, match="policy psk-pol: pre-shared-key is not configured "
                                           r"\(proposal psk-prop uses authentication-method "
                                           r"pre-shared-keys\)"):
        check(config, device_address=HOST_A)
    check(parse_config(psk_config(me=HOST_A, peer=HOST_B), source="Host-A"),
          device_address=HOST_A)


def test_a_hexadecimal_key_that_is_not_hexadecimal_is_a_commit_error():
    config = parse_config(psk_config(me=HOST_A, peer=HOST_B, key="hexadecimal 0x61626"),
                          source="Host-A")
    with pytest.raises(GatewayError, match="pre-shared-key hexadecimal 0x61626: not an even "
                                           "number of hexadecimal digits"):
        check(config, device_address=HOST_A)


def test_a_certificate_tunnel_and_a_pre_shared_key_tunnel_on_one_device(tmp_path):
    """Host-A reaches Host-B with certificates (gateway gw, the guide's Figure 4 in miniature)
    and Host-C with a pre-shared key (gateway psk-gw)."""
    host_c = "10.0.0.3"
    psk_lines = [line for line in psk_config(me=HOST_A, peer=host_c).splitlines()
                 if not line.startswith("set interfaces")]
    text = pair(a={"extra": "\n".join(psk_lines)},
                events="  - {at: 1s, initiate: {device: Host-A, gateway: gw}}\n"
                       "  - {at: 1s, initiate: {device: Host-A, gateway: psk-gw}}")
    host_c_entry = textwrap.indent(f"Host-C:\n  address: {host_c}\n  config: |\n" + textwrap.indent(
        psk_config(me=host_c, peer=HOST_A), " " * 4), " " * 2)
    text = text.replace("\nlinks:\n", "\n" + host_c_entry + "links:\n"
                        "  - {between: [Host-A, Host-C], latency: 5ms}\n")
    s = run(text, tmp_path)
    outcomes = {(n.gateway, n.phase1, n.error) for n in s.results.in_order()}
    assert outcomes == {("gw", "done", None), ("psk-gw", "done", None)}
    methods = [line for line in execute(s.devices["Host-A"].snapshot(),
                                        "show security ike security-associations detail"
                                        ).output.splitlines() if "Authentication method" in line]
    assert sorted(methods) == ["  Exchange type: Main, Authentication method: Pre-shared-keys",
                               "  Exchange type: Main, Authentication method: RSA-signatures"]


def test_a_hostname_identity_that_is_not_ascii_is_a_commit_error():
    """It used to raise UnicodeEncodeError out of kmd when the gateway was used."""
    config = parse_config(psk_config(me=HOST_A, peer=HOST_B).replace(
        f"address {HOST_B}", "dynamic hostname h\u00e9llo.example"), source="Host-A")
    with pytest.raises(GatewayError, match="hostname h\u00e9llo.example: an IKE identity is "
                                           r"ASCII \(RFC 2407 4.6.2\)"):
        check(config, device_address=HOST_A)


def test_ikesim_run_refuses_a_pre_shared_keys_proposal_without_a_key(tmp_path, monkeypatch,
                                                                      capsys):
    """The commit check runs when the topology loads: one line naming the gateway's line."""
    from sim.cli.main import main

    text = psk_topology(psk_config(me=HOST_A, peer=HOST_B, key=""),
                        psk_config(me=HOST_B, peer=HOST_A))
    (tmp_path / "psk.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "psk.yaml"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    gateway_line = next(number for number, row in enumerate(text.splitlines(), 1)
                        if "set security ike gateway psk-gw" in row)
    assert line == (f"ikesim: psk.yaml line {gateway_line}: devices.Host-A.config: gateway "
                    "psk-gw: policy psk-pol: pre-shared-key is not configured (proposal "
                    "psk-prop uses authentication-method pre-shared-keys)")
    assert not (tmp_path / "runs").exists()


def test_the_saved_configuration_holding_the_key_is_not_world_readable(tmp_path, monkeypatch):
    import stat

    from sim.cli.main import main

    (tmp_path / "psk.yaml").write_text(psk_topology(psk_config(me=HOST_A, peer=HOST_B),
                                                    psk_config(me=HOST_B, peer=HOST_A)))
    monkeypatch.chdir(tmp_path)
    assert main(["run", "psk.yaml", "--out", "out", "--quiet"]) == 0
    config = tmp_path / "out" / "devices" / "Host-A" / "config"
    assert 'pre-shared-key ascii-text "juniper123"' in config.read_text()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
