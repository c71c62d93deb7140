"""The guide's Chapter 14 procedure ("Enroll Certificates", steps 1-7) replayed in one `ikesim
cli` session on a fresh Host-A (topologies/chapter14-fresh.yaml): the CA certificates enrolled
over SCEP with the fingerprint dialogue, shown and verified (which downloads their CRLs), a key
pair generated, the local certificate enrolled, shown and verified, the CRLs shown. Each answer
is the guide's text with only the simulated values (dates, fingerprints) put in, and what the
session did is in the run folder afterwards."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from pki.csr import colon_hex
from pki.loaders import load_certificate, load_crl
from pki.names import parse_subject, render_subject_string
from sim.cli.main import main
from sim.cli.ops import Session
from sim.junos.device_state import DeviceState
from sim.junos.ops_format import junos_date
from tests.openssl import needs_openssl

ROOT = Path(__file__).resolve().parents[2]
TOPOLOGY = ROOT / "topologies" / "chapter14-fresh.yaml"
SUBJECT = "DC=example,CN=Host-A,OU=DEV,O=PKI,L=Sunnyvale,ST=CA,C=US"
PROFILES = ("Root-CA", "Eng-CA", "Dev-CA")
QUESTION = "Do you want to load the above CA certificate ? [yes,no] (no) "
STEPS = [
    # 1. Enroll the CA certificates. Type yes at the prompts to load the CA certificate.
    "request security pki ca-certificate enroll ca-profile Root-CA", "yes",
    "request security pki ca-certificate enroll ca-profile Eng-CA", "yes",
    "request security pki ca-certificate enroll ca-profile Dev-CA", "yes",
    # 2. Verify that the CA certificates are enrolled in the device.
    *(f"show security pki ca-certificate ca-profile {p}" for p in PROFILES),
    # 3. Verify the validity of the enrolled CA certificates.
    *(f"request security pki ca-certificate verify ca-profile {p}" for p in PROFILES),
    # (Requirements: a key pair; Chapter 16's default size, 1024 bits as the guide shows.)
    "request security pki generate-key-pair certificate-id Host-A",
    # 4. Enroll the local certificate.
    "request security pki local-certificate enroll certificate-id Host-A ca-profile Dev-CA "
    "challenge-password example domain-name host-a.example.net email host-a@example.net "
    f"subject {SUBJECT}",
    # 5.-7.
    "show security pki local-certificate certificate-id Host-A",
    "request security pki local-certificate verify certificate-id Host-A",
    "show security pki crl",
]


@pytest.fixture(scope="module")
def replay(tmp_path_factory) -> tuple[Path, str]:
    """The run folder of chapter14-fresh after the session, and the session's transcript."""
    run_dir = tmp_path_factory.mktemp("ch14") / "run"
    assert main(["run", str(TOPOLOGY), "--out", str(run_dir)]) == 0
    out = io.StringIO()
    state = DeviceState.load(run_dir, "Host-A")
    code = Session(run_dir, state, stdin=io.StringIO("\n".join(STEPS) + "\n"),
                   stdout=out).run()
    assert code == 0
    return run_dir, out.getvalue()


def ca(run_dir: Path, name: str) -> x509.Certificate:
    return load_certificate((run_dir / "pki" / "cas" / f"{name}.pem").read_bytes(), source=name)


def sha1(cert: x509.Certificate) -> str:
    return colon_hex(cert.fingerprint(hashes.SHA1()))


def md5(cert: x509.Certificate) -> str:
    return colon_hex(cert.fingerprint(hashes.MD5()))


def answers(transcript: str) -> dict[str, str]:
    """Each command's answer, by the command (the prompt and echoed line taken off)."""
    found: dict[str, str] = {}
    for block in transcript.split("user@Host-A> ")[1:]:
        command, _, answer = block.partition("\n")
        found[command] = answer.rstrip("\n")
    return found


def expected(run_dir: Path) -> dict[str, str]:
    """Chapter 14's answers (Chapter 11's single-certificate dialogue for Root-CA, Chapter
    16's for the chains), with this run's certificates' dates and fingerprints."""
    root, eng, dev = (ca(run_dir, name) for name in PROFILES)
    local = DeviceState.load(run_dir, "Host-A").store.local_certificates["Host-A"]
    crls = {name: load_crl((run_dir / "pki" / "cas" / f"{name}.crl").read_bytes(), source=name)
            for name in PROFILES}

    def received(*chain: x509.Certificate) -> str:
        lines = ["Received following certificates:"]
        for cert in chain:
            lines += [f"Certificate: {render_subject_string(cert.subject)}",
                      f"Fingerprint: {sha1(cert)}"]
        return "\n".join(lines)

    def shown(name: str, cert: x509.Certificate, issuer: str) -> str:
        return "\n".join([
            f"Certificate identifier: {name}",
            f"  Issued to: {name}, Issued by: C = us, O = example, CN = {issuer}",
            "  Validity:",
            f"    Not before: {junos_date(cert.not_valid_before_utc)}",
            f"    Not after: {junos_date(cert.not_valid_after_utc)}",
            "  Public key algorithm: rsaEncryption(2048 bits)"])

    def crl(name: str) -> str:
        return "\n".join([
            f"CA profile: {name}",
            "  CRL version: V00000001",
            f"  CRL issuer: C = us, O = example, CN = {name}",
            f"  Effective date: {junos_date(crls[name].last_update_utc)}",
            f"  Next update: {junos_date(crls[name].next_update_utc)}"])

    return {
        STEPS[0]: "\n".join(["Fingerprint:", f"  {sha1(root)} (sha1)", f"  {md5(root)} (md5)",
                             f"{QUESTION}yes"]),
        STEPS[2]: received(eng, root) + f"\n{QUESTION}yes",
        STEPS[4]: received(dev, eng, root) + f"\n{QUESTION}yes",
        STEPS[6]: shown("Root-CA", root, "Root-CA"),
        STEPS[7]: shown("Eng-CA", eng, "Root-CA"),
        STEPS[8]: shown("Dev-CA", dev, "Eng-CA"),
        STEPS[9]: "CA certificate Root-CA verified successfully",
        STEPS[10]: "CA certificate Eng-CA verified successfully",
        STEPS[11]: "CA certificate Dev-CA verified successfully",
        STEPS[12]: "Generated key pair Host-A, key size 1024 bits",
        STEPS[13]: "Certificate enrollment has started. To view the status of your enrollment, "
                   "check the public key infrastructure log (pkid) log file at /var/log/pkid. "
                   "Please save the challenge-password for revoking this certificate in "
                   "future. Note that this password is not stored on the router.",
        STEPS[14]: "\n".join([
            "Certificate identifier: Host-A",
            "  Issued to: Host-A, Issued by: C = us, O = example, CN = Dev-CA",
            "  Validity:",
            f"    Not before: {junos_date(local.not_valid_before_utc)}",
            f"    Not after: {junos_date(local.not_valid_after_utc)}",
            "  Public key algorithm: rsaEncryption(1024 bits)"]),
        STEPS[15]: "Local certificate Host-A verification success",
        STEPS[16]: "\n\n".join(crl(name) for name in PROFILES),
    }


def test_each_step_answers_as_the_guide(replay):
    run_dir, transcript = replay
    got = answers(transcript)
    for command, answer in expected(run_dir).items():
        assert got[command] == answer, command


def test_the_subjects_read_as_the_guide_prints_them(replay):
    # Chapter 16 prints "Certificate: C=us, O=example, CN=First Officer": the subject string.
    got = answers(replay[1])[STEPS[4]].split("\n")
    assert got[1::2][:3] == ["Certificate: C=us, O=example, CN=Dev-CA",
                             "Certificate: C=us, O=example, CN=Eng-CA",
                             "Certificate: C=us, O=example, CN=Root-CA"]


def test_the_session_is_saved_in_the_run_folder(replay):
    run_dir, _ = replay
    state = DeviceState.load(run_dir, "Host-A")
    store = state.store
    assert {p: store.ca_certificates[p] for p in PROFILES} == \
        {p: ca(run_dir, p) for p in PROFILES}
    local = store.local_certificates["Host-A"]
    assert local.issuer == ca(run_dir, "Dev-CA").subject
    assert local.subject == parse_subject(SUBJECT)
    assert local.public_key().public_numbers() == \
        store.key_pairs["Host-A"].public_key().public_numbers()
    assert set(store.crls) == set(PROFILES)
    assert state.crl_sources["Dev-CA"].url == "http://10.157.88.230:8080/crl/Dev.crl"
    pkid = (run_dir / "logs" / "Host-A" / "pkid").read_text()
    assert "Received local certificate Host-A from CA profile Dev-CA" in pkid
    assert "Start downloading CRL for CA profile Root-CA from " \
           "http://10.157.88.230:8080/crl/Root.crl" in pkid
    kept = sorted(p.name for p in (run_dir / "scep").iterdir())
    assert kept == ["0001-Host-A-GetCACert.p7", "0002-Host-A-GetCACert.p7",
                    "0003-Host-A-PKCSReq.p7", "0004-Host-A-CertRep.p7"]


def test_a_later_session_enrolls_on_with_new_serials(replay, monkeypatch, capsys, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(replay[0], run_dir, symlinks=True)
    first = DeviceState.load(run_dir, "Host-A").store.local_certificates["Host-A"]
    steps = ["request security pki generate-key-pair certificate-id Host-A2",
             STEPS[13].replace("certificate-id Host-A ", "certificate-id Host-A2 "),
             "show security pki local-certificate certificate-id Host-A2"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(steps) + "\n"))
    assert main(["cli", str(run_dir), "Host-A"]) == 0
    assert "Issued to: Host-A, Issued by: C = us, O = example, CN = Dev-CA" in \
        capsys.readouterr().out
    second = DeviceState.load(run_dir, "Host-A").store.local_certificates["Host-A2"]
    assert second.serial_number != first.serial_number
    assert sorted(p.name for p in (run_dir / "scep").iterdir())[-2:] == [
        "0005-Host-A-PKCSReq.p7", "0006-Host-A-CertRep.p7"]


def test_scep_messages_are_der_pkcs7(replay):
    run_dir, _ = replay
    for path in (run_dir / "scep").iterdir():
        data = path.read_bytes()
        # ContentInfo { contentType signedData (1.2.840.113549.1.7.2) ... }
        assert data[0] == 0x30 and b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" in data[:24]


@needs_openssl
def test_openssl_reads_the_kept_messages_and_verifies_their_signatures(replay):
    run_dir, _ = replay
    for path in sorted((run_dir / "scep").iterdir()):
        printed = subprocess.run(["openssl", "cms", "-cmsout", "-print", "-inform", "DER",
                                  "-in", str(path)], capture_output=True, text=True, timeout=30)
        assert printed.returncode == 0, (path.name, printed.stderr)
        if path.name.endswith(("PKCSReq.p7", "CertRep.p7")):  # signed pkiMessages
            checked = subprocess.run(["openssl", "cms", "-verify", "-noverify", "-inform", "DER",
                                      "-in", str(path), "-out", "/dev/null"],
                                     capture_output=True, text=True, timeout=30)
            assert "Verification successful" in checked.stderr, (path.name, checked.stderr)
