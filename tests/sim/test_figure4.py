"""The guide's Figure 4 / Chapter 14 scenario, end to end, as `make run` runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.junos.device_state import DeviceState
from sim.junos.ops import show
from sim.report.pcap import write_pcap
from sim.scenario import Scenario
from sim.topology import load_topology
from tests.sim.tshark import dissect, needs_tshark

TOPOLOGY = Path(__file__).resolve().parents[2] / "topologies" / "figure4-multilevel.yaml"


@pytest.fixture(scope="module")
def figure4(tmp_path_factory) -> Scenario:
    scenario = Scenario.build(load_topology(TOPOLOGY), out=tmp_path_factory.mktemp("f4"))
    scenario.run()
    scenario.write()
    return scenario


def test_phase1_and_phase2_come_up_then_the_revoked_host_b_fails(figure4):
    first, second = figure4.results.in_order()
    assert (first.phase1, first.phase2, first.error) == ("done", "done", None)
    assert (second.phase1, second.error) == ("failed", "Authentication failed")
    kmd = [line[16:] for line in figure4.devices["Host-A"].kmd_log.lines
           if line[16:].startswith("Phase-")]
    assert kmd[0] == ("Phase-1 [initiator] done for local=ipv4(udp:500,[0..3]=30.1.1.31) "
                      "remote=ipv4(udp:500,[0..3]=30.1.1.51)")
    assert kmd[1].startswith("Phase-2 [initiator] done for p1_local=ipv4(udp:500,[0..3]="
                             "30.1.1.31)")
    assert kmd[2] == ("Phase-1 [initiator] failed with error(Authentication failed) for "
                      "local=ipv4(udp:500,[0..3]=30.1.1.31) remote=ipv4(udp:500,[0..3]=30.1.1.51)")


def test_each_host_sends_its_chain_without_the_root(figure4):
    """Chapter 7: the payload carries the EE certificate and the CA certificates the peer may
    lack; Root-CA, the common trusted CA, stays home."""
    sent = {}
    for name, device in figure4.devices.items():
        entry = next(iter(device.kmd.sas.values()))
        sent[name] = len(entry.sa.config.certificates)
    assert sent == {"Host-A": 3, "Host-B": 2}  # Host-A, Dev-CA, Eng-CA / Host-B, Sales-CA


def test_host_a_creates_dynamic_001_and_downloads_sales_ca_crl(figure4):
    pkid = [line[16:] for line in figure4.devices["Host-A"].pkid_log.lines]
    assert ("Dynamic CA profile dynamic-001 created for CA C = us, O = example, CN = Sales-CA, "
            "parent CA profile Root-CA") in pkid
    assert ("Start downloading CRL for CA profile dynamic-001 from "
            "http://10.157.88.230:8080/crl/Sales.crl") in pkid
    assert "Path [1] C = us, O = example, CN = Sales-CA (CA profile dynamic-001)" in pkid


def test_show_security_pki_crl_on_host_a(figure4):
    state = DeviceState.load(figure4.out, "Host-A")
    text = show(state, "show security pki crl")
    profiles = [line.split(": ")[1] for line in text.splitlines()
                if line.startswith("CA profile:")]
    assert profiles == ["Root-CA", "Eng-CA", "Dev-CA", "dynamic-001"]
    assert "  CRL issuer: C = us, O = example, CN = Sales-CA" in text
    detail = show(state, "show security pki crl ca-profile dynamic-001 detail").splitlines()
    serial = f"{figure4.hierarchy.certificate('Host-B').serial_number:X}"
    assert detail[:5] == ["CA profile: dynamic-001", "  CRL version: V00000001",
                          "  CRL issuer: C = us, O = example, CN = Sales-CA",
                          "  Effective date: 09-19-2012 17:29",
                          "  Next update: 09-20-2012 01:49"]
    assert detail[5:7] == ["  Revocation List:", "    Serial number      Revocation date"]
    assert detail[7].split() == [serial, "09-19-2012", "17:29", "UTC"]


def test_syslog_messages_of_later_releases(figure4):
    lines = [line.split(": ", 1)[1] for line in figure4.devices["Host-A"].messages_log.lines]
    assert lines[0] == ("IKE negotiation successfully completed. IKE Version: 1, VPN: "
                        "ipsec_cert_vpn_01 Gateway: ike_cert_gw_01, Local: 30.1.1.31/500, "
                        "Remote: 30.1.1.51/500, Local IKE-ID: 30.1.1.31, Remote IKE-ID: "
                        "30.1.1.51, VR-ID: 0, Role: Initiator")
    assert lines[1].startswith("KMD_VPN_UP_ALARM_USER: VPN ipsec_cert_vpn_01 from 30.1.1.51 "
                               "is up. Local-ip: 30.1.1.31, gateway name: ike_cert_gw_01, "
                               "vpn name: ipsec_cert_vpn_01, tunnel-id: 131073, local "
                               "tunnel-if: st0.1, ")
    # The tunnel, idle and `on-traffic`, is not rekeyed: its IPsec SA expires after 3600 s.
    assert lines[2].startswith("KMD_VPN_DOWN_ALARM_USER: VPN ipsec_cert_vpn_01 from 30.1.1.51 "
                               "is down. Local-ip: 30.1.1.31, gateway name: ike_cert_gw_01, ")
    assert lines[2].endswith("SA Type: Static, Reason: IPSec SA lifetime expired. "
                             "Corresponding IPSec SAs are deleted")
    assert lines[3].startswith("IKE negotiation failed with error: Authentication failed. "
                               "IKE Version: 1, VPN: ipsec_cert_vpn_01 Gateway: ike_cert_gw_01")
    assert figure4.devices["Host-A"].messages_log.lines[0][16:].startswith("Host-A kmd[")


@needs_tshark
def test_the_capture_dissects_and_messages_5_and_6_decrypt(figure4, tmp_path):
    pcap = tmp_path / "figure4.pcap"
    write_pcap(pcap, figure4.world.network.capture, start=figure4.topology.start)
    out = dissect(pcap, figure4.key_table(), tmp_path / "home")
    assert "Malformed" not in out
    # Both negotiations' messages 5 and 6 decrypt (an ID and a SIG payload in each), and so
    # do Quick Mode's first two messages (IDci and IDcr in each).
    assert out.count("Payload: Signature (9)") == 4
    assert out.count("Payload: Identification (5)") == 4 + 4
    # Host-A's chain (3 certificates) and Host-B's (2), twice.
    assert out.count("Certificate Encoding: X.509 Certificate - Signature (4)") == 10


def test_each_device_has_its_automatically_generated_certificate(figure4):
    """Chapter 6: at start-up a device makes CN=<serial>, CN=system generated, CN=self-signed,
    valid five years; it is listed apart from the enrolled certificates."""
    state = DeviceState.load(figure4.out, "Host-A")
    lines = show(state, "show security pki local-certificate system-generated").splitlines()
    serial = figure4.topology.devices["Host-A"].serial
    assert lines[0] == "Certificate identifier: system-generated"
    # The line passes 80 columns: it wraps before "CN = self-signed", as the guide's does.
    assert lines[1:3] == [f"  Issued to: {serial}, Issued by: CN = {serial}, "
                          "CN = system generated,", "    CN = self-signed"]
    assert lines[4:6] == ["    Not before: 08-20-2012 17:20", "    Not after: 08-19-2017 17:20"]
