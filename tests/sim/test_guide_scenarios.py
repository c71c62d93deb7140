"""The guide's samples that need a whole simulation to reproduce (kmd lines, the Chapter 11
scenario's certificates), held line for line on the shipped scenarios that re-create them."""

from __future__ import annotations

import re
from pathlib import Path

from sim.junos.ops import execute
from tests.sim.test_phase1_cases import kmd, run

TOPOLOGIES = Path(__file__).parents[2] / "topologies"
CASES = TOPOLOGIES / "cases"


def test_ch11_p2_policy_lookup_failure_names_the_peer_by_its_address(tmp_path):
    # The SSG5's Phase-1 identity is its FQDN; the lookup failure names it by address, as the
    # guide's sample does (Chapter 11, "Analyzing the Phase 2 Failure Message").
    text = (CASES / "proxy-id-mismatch.yaml").read_text()
    # The case turns ike traceoptions on: the guide's sample shows the kmd messages only.
    lines = [line for line in kmd(run(text, tmp_path), "SRX")
             if line.startswith(("Phase-", "Failed to match", "KMD_PM", "1.1.1.2:500"))]
    assert lines == [
        "Phase-1 [responder] done for local=ipv4(udp:500,[0..3]=1.1.1.2) "
        "remote=fqdn(udp:500,[0..15]=ssg5.example.net)",
        "Failed to match the peer proxy ids p2_remote=ipv4_subnet(any:0,[0..7]=192.168.168.0/24) "
        "p2_local=ipv4_subnet(any:0,[0..7]=10.10.20.0/24) for the remote "
        "peer:ipv4(udp:500,[0..3]=2.2.2.2)",
        "KMD_PM_P2_POLICY_LOOKUP_FAILURE: Policy lookup for Phase-2 [responder] failed for "
        "p1_local=ipv4(udp:500,[0..3]=1.1.1.2) p1_remote=ipv4(udp:500,[0..3]=2.2.2.2) "
        "p2_local=ipv4_subnet(any:0,[0..7]=10.10.20.0/24) "
        "p2_remote=ipv4_subnet(any:0,[0..7]=192.168.168.0/24)",
        lines[3],
    ]
    # Cookies and message ID are the run's own.
    assert re.fullmatch(r"1\.1\.1\.2:500 \(Responder\) <-> 2\.2\.2\.2:500 \{ [0-9a-f]{8} "
                        r"[0-9a-f]{8} - [0-9a-f]{8} [0-9a-f]{8} \[0\] / 0x[0-9a-f]{8} \} QM; "
                        r"Error = No proposal chosen \(14\)", lines[3])


def test_ch11_scenario_has_the_guides_ca_and_success_lines(tmp_path):
    scenario = run((TOPOLOGIES / "chapter11-srx-ssg5.yaml").read_text(), tmp_path)
    assert [line for line in kmd(scenario, "SRX") if "] done for " in line] == [
        "Phase-1 [responder] done for local=ipv4(udp:500,[0..3]=1.1.1.2) "
        "remote=fqdn(udp:500,[0..15]=ssg5.example.net)",
        "Phase-2 [responder] done for p1_local=ipv4(udp:500,[0..3]=1.1.1.2) "
        "p1_remote=fqdn(udp:500,[0..15]=ssg5.example.net) "
        "p2_local=ipv4_subnet(any:0,[0..7]=10.10.10.0/24) "
        "p2_remote=ipv4_subnet(any:0,[0..7]=192.168.168.0/24)",
    ]
    srx = scenario.devices["SRX"].snapshot()
    ca = execute(srx, "show security pki ca-certificate ca-profile ms-ca detail").output
    lines = ca.splitlines()
    # Chapter 11's ms-ca: 1024 bits, SHA-1, its LDAP and HTTP distribution points, and a name
    # whose e-mail address the field lists leave out.
    assert lines[3:9] == [
        "  Issuer:",
        "    Organization: Example, Organizational unit: Sales, Country: US, State: CA,",
        "    Locality: Sunnyvale, Common name: Sales",
        "  Subject:",
        "    Organization: Example, Organizational unit: Sales, Country: US, State: CA,",
        "    Locality: Sunnyvale, Common name: Sales",
    ]
    assert "  Public key algorithm: rsaEncryption(1024 bits)" in lines
    assert "  Signature algorithm: sha1WithRSAEncryption" in lines
    points = lines[lines.index("  Distribution CRL:") + 1:][:2]
    assert [p.split(":")[0] for p in points] == ["    ldap", "    http"]
    crl = execute(srx, "show security pki crl ca-profile ms-ca").output.splitlines()
    assert crl[2].startswith("  CRL issuer: emailAddress = certadmin@example.net, C = US, ")
    local = execute(srx, "show security pki local-certificate certificate-id ms-cert detail")
    assert "  Signature algorithm: sha1WithRSAEncryption" in local.output.splitlines()
    verified = execute(srx, "request security pki ca-certificate verify ca-profile ms-ca")
    assert verified.output == "CA certificate ms-ca verified successfully"
