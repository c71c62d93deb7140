"""Manual enrollment as topology events (Chapter 11): topologies/manual-enroll.yaml and
variations of it, run end to end on real files in the run folder."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pki.csr import fingerprint_lines, request_signature_holds
from sim.scenario import Scenario
from sim.topology import parse_topology
from tests.badinput.conftest import files_under

TOPOLOGY = (Path(__file__).parents[2] / "topologies" / "manual-enroll.yaml").read_text()
SUBJECT = "CN = Host-B, OU = VPN, O = example, C = US"


def _run(text: str, tmp_path: Path, until: float | None = None) -> Scenario:
    scenario = Scenario.build(parse_topology(text, source="t.yaml"), out=tmp_path / "run")
    scenario.run(until)
    return scenario


def _lines(scenario: Scenario, device: str, log: str) -> list[str]:
    return list(getattr(scenario.devices[device], f"{log}_log").lines)


def _ca_log(scenario: Scenario) -> list[str]:
    return (scenario.out / "logs" / "cas" / "Corp-CA").read_text().splitlines()


def _swap(old: str, new: str, text: str = TOPOLOGY) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _der(key) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def test_host_b_enrolled_by_hand_then_negotiates(tmp_path):
    scenario = _run(TOPOLOGY, tmp_path)
    files = scenario.out / "devices" / "Host-B" / "files"
    request = x509.load_pem_x509_csr((files / "Host-B.req").read_bytes())
    cert = x509.load_pem_x509_certificate((files / "Host-B.cert").read_bytes())
    key = scenario.devices["Host-B"].pki.store.key_pairs["Host-B"]
    ca = scenario.hierarchy.certificate("Corp-CA")

    # The request: the device's key, its subject and address, a signature that holds.
    assert request_signature_holds(request)
    assert _der(request.public_key()) == _der(key.public_key())
    sha1 = fingerprint_lines(request.public_bytes(Encoding.DER), md5=False)[1]
    assert _lines(scenario, "Host-B", "pkid")[:3] == [
        "Sep 19 08:01:00 Generated key pair Host-B, key size 1024 bits",
        f"Sep 19 08:01:00 Generated certificate request Host-B ({SUBJECT}), written to "
        f"Host-B.req; fingerprint {sha1}",
        f"Sep 20 08:30:00 Local certificate Host-B loaded successfully from Host-B.cert (serial "
        f"{cert.serial_number:X}, issued by C = us, O = example, CN = Corp-CA)"]

    # The CA's step: issued by Corp-CA, same DN, same key, a year from the day it issued.
    assert cert.issuer == ca.subject and cert.subject == request.subject
    cert.verify_directly_issued_by(ca)
    assert _der(cert.public_key()) == _der(key.public_key())
    assert _ca_log(scenario) == [
        f"Sep 20 08:00:00 Issued certificate serial {cert.serial_number:X} to {SUBJECT} for "
        "certificate request Host-B.req from Host-B, valid 09-20-2012 08:00 to 09-20-2013 08:00; "
        "written to Host-B.cert"]
    assert scenario.devices["Host-B"].pki.store.local_certificates["Host-B"] == cert

    # Before the load Host-B has nothing to sign with; after it the tunnel comes up.
    assert ("Sep 19 08:05:00 KMD_INTERNAL_ERROR: gateway ike_cert_gw_01: local certificate "
            "Host-B is not loaded") in _lines(scenario, "Host-B", "kmd")
    first, second = scenario.results.in_order()
    assert (first.phase1, first.error) == ("failed", "Timeout")
    assert (second.phase1, second.phase2, second.error) == ("done", "done", None)


def test_a_certificate_for_another_key_pair_is_not_loaded(tmp_path):
    """Host-B has two key pairs; the certificate of one is loaded under the other's id."""
    text = _swap("  - {at: 5m, initiate",
                 "  - {at: 2m, generate-request: {device: Host-B, certificate-id: spare, key: "
                 "ecdsa-256, subject: \"CN=spare\", ip-address: 30.1.1.51, filename: spare.req}}"
                 "\n  - {at: 5m, initiate")
    text = _swap("load-local: {device: Host-B, certificate-id: Host-B,",
                 "load-local: {device: Host-B, certificate-id: spare,", text)
    scenario = _run(text, tmp_path)
    assert ("Sep 20 08:30:00 Local certificate spare not loaded: Host-B.cert: certificate does "
            "not match the private key of certificate-id spare") in _lines(scenario, "Host-B",
                                                                           "pkid")
    store = scenario.devices["Host-B"].pki.store
    assert "spare" not in store.local_certificates and "Host-B" not in store.local_certificates
    assert [n.phase1 for n in scenario.results.in_order()] == ["failed", "failed"]


def test_the_ca_refuses_a_request_whose_signature_does_not_verify(tmp_path):
    """The request file altered on its way to the CA (one byte of its signature): the CA's
    check fails, no certificate is written, and Host-B's load finds none."""
    scenario = _run(TOPOLOGY, tmp_path, until=3600)
    path = scenario.out / "devices" / "Host-B" / "files" / "Host-B.req"
    der = bytearray(x509.load_pem_x509_csr(path.read_bytes()).public_bytes(Encoding.DER))
    der[-1] ^= 0x01
    path.write_bytes(bytes(der))
    scenario.run()
    assert _ca_log(scenario) == [
        "Sep 20 08:00:00 Certificate request Host-B.req from Host-B refused: certificate request "
        "for Host-B: its signature does not verify"]
    assert not (path.parent / "Host-B.cert").exists()
    assert ("Sep 20 08:30:00 Local certificate Host-B not loaded: Host-B.cert: no such file"
            ) in _lines(scenario, "Host-B", "pkid")
    assert [n.phase1 for n in scenario.results.in_order()] == ["failed", "failed"]


def test_a_device_with_a_key_pair_keeps_it(tmp_path):
    """Host-A already holds Host-A's key pair: a new request for it uses that key."""
    text = _swap("  - {at: 5m, initiate",
                 "  - {at: 2m, generate-request: {device: Host-A, certificate-id: Host-A, "
                 "subject: \"CN=Host-A\", ip-address: 30.1.1.31, filename: again.req}}\n"
                 "  - {at: 5m, initiate")
    scenario = _run(text, tmp_path, until=600)
    request = x509.load_pem_x509_csr(
        (scenario.out / "devices" / "Host-A" / "files" / "again.req").read_bytes())
    key = scenario.devices["Host-A"].pki.store.key_pairs["Host-A"]
    assert _der(request.public_key()) == _der(key.public_key())
    pkid = _lines(scenario, "Host-A", "pkid")
    assert not any("Generated key pair" in line for line in pkid)
    assert any(line.startswith("Sep 19 08:02:00 Generated certificate request Host-A (CN = "
                               "Host-A), written to again.req") for line in pkid)


def test_the_same_topology_and_seed_give_the_same_files(tmp_path):
    """The request, the certificate, the CA's log and the stores, byte for byte."""
    runs = []
    for name in ("a", "b"):
        scenario = Scenario.build(parse_topology(TOPOLOGY, source="t.yaml"), out=tmp_path / name)
        scenario.run()
        scenario.write()
        runs.append(files_under(tmp_path / name))
    a, b = runs
    assert "devices/Host-B/files/Host-B.cert" in a and "logs/cas/Corp-CA" in a
    assert sorted(a) == sorted(b) and [name for name in a if a[name] != b[name]] == []
