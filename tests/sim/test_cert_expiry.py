"""A certificate that expires under a running tunnel: topologies/cert-expiry.yaml. The SAs
negotiated while it was valid live their lifetimes (Junos validates at Phase-1, and does not
tear an SA down when a certificate expires); the next Phase-1 fails on the peer."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario import Scenario
from sim.topology import load_topology

TOPOLOGY = Path(__file__).parents[2] / "topologies" / "cert-expiry.yaml"
SRX_B = "CN = SRX-B, OU = VPN, O = example, C = US"
ENDS = "local=ipv4(udp:500,[0..3]=30.1.1.31) remote=ipv4(udp:500,[0..3]=30.1.1.51)"


@pytest.fixture(scope="module")
def expiry(tmp_path_factory) -> tuple[Scenario, list, list]:
    """The run, with SRX-A's IKE and IPsec SAs as `show` lists them at 13:01 (after the
    certificate ended at 12:00) and at 17:01."""
    scenario = Scenario.build(load_topology(TOPOLOGY), out=tmp_path_factory.mktemp("expiry"))
    scenario.run(until=5 * 3600 + 60)
    at_13 = scenario.devices["SRX-A"].snapshot()
    scenario.run(until=9 * 3600 + 60)
    at_17 = scenario.devices["SRX-A"].snapshot()
    scenario.run()
    return scenario, [at_13.ike_sas, at_13.ipsec_sas], [at_17.ike_sas, at_17.ipsec_sas]


def _lines(scenario: Scenario, device: str, log: str) -> list[str]:
    return list(getattr(scenario.devices[device], f"{log}_log").lines)


def test_the_tunnel_outlives_the_certificate_until_its_sas_end(expiry):
    scenario, at_13, at_17 = expiry
    cert = scenario.devices["SRX-B"].pki.store.local_certificates["SRX-B"]
    assert f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M}" == "2013-06-03 12:00"
    ike, ipsec = at_13
    assert [sa.remote_address for sa in ike] == ["30.1.1.51"] and len(ipsec) == 1
    assert scenario.results_json()["traffic"]["pings"][0]["received"] == 5  # 13:00
    assert at_17 == [(), ()]
    assert scenario.results_json()["traffic"]["pings"][1]["received"] == 0  # 17:30


def test_the_phase1_rekey_fails_on_the_peer_with_the_expired_certificate(expiry):
    scenario, _, _ = expiry
    assert [(n.phase1, n.error) for n in scenario.results.in_order() if n.phase1 == "failed"] \
        == [("failed", "Authentication failed")] * 3
    pkid = _lines(scenario, "SRX-A", "pkid")
    at = pkid.index(f"Jun  3 14:43:12 Start verification of certificate {SRX_B} (serial "
                    f"{scenario.hierarchy.certificate('SRX-B').serial_number:X})")
    assert pkid[at + 3] == (f"Jun  3 14:43:12 Certificate {SRX_B} verification failed: "
                            "C=US,O=example,OU=VPN,CN=SRX-B expired at 2013-06-03 12:00 UTC")
    kmd_a = _lines(scenario, "SRX-A", "kmd")
    assert (f"Jun  3 14:43:12 Phase-1 [initiator] failed with error(Authentication failed) for "
            f"{ENDS}") in kmd_a
    kmd_b = _lines(scenario, "SRX-B", "kmd")
    assert "Jun  3 14:43:12 IKE SA with 30.1.1.31: peer sent notification Authentication " \
           "failed (24)" in kmd_b
    # The SA of 08:00 ends at its lifetime, not at 12:00 or at the failed rekey.
    assert any(line.startswith("Jun  3 16:00:00 IKE SA with 30.1.1.31 deleted (lifetime "
                               "expired)") for line in kmd_b)
    assert not any(line.startswith("Jun  3 12:00") for line in kmd_a + kmd_b)


def test_the_vpn_goes_down_when_the_ipsec_sas_cannot_be_rekeyed(expiry):
    scenario, _, _ = expiry
    assert (f"Jun  3 16:11:24 Phase-1 [initiator] failed with error(Authentication failed) for "
            f"{ENDS}") in _lines(scenario, "SRX-A", "kmd")
    for device, peer in (("SRX-A", "30.1.1.51"), ("SRX-B", "30.1.1.31")):
        down = [line for line in _lines(scenario, device, "messages")
                if "KMD_VPN_DOWN_ALARM_USER" in line]
        assert len(down) == 1
        assert down[0].startswith(f"Jun  3 16:18:36 {device} kmd[")
        assert f"VPN ipsec_cert_vpn_01 from {peer} is down." in down[0]
        assert down[0].endswith("Reason: IPSec SA lifetime expired. Corresponding IPSec SAs "
                                "are deleted")
