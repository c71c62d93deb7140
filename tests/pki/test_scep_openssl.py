"""OpenSSL reads what ikesim's SCEP writes: every pkiMessage parses with `openssl cms -cmsout
-print`, its signature verifies with `openssl cms -verify`, the envelopes decrypt with the
recipient's key, and GetCACert's PKCS#7 reads with `openssl pkcs7 -print_certs`."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pki import cms, cms_envelope
from pki.enrollment import CaCertificateEnrollment
from pki.scep_ca import ScepPolicy
from tests.openssl import needs_openssl

from .scep_pki import NOW, URL, device_key, device_request, enrollment, hierarchy, run, scep_ca

OPENSSL = shutil.which("openssl")
pytestmark = needs_openssl
PEM = serialization.Encoding.PEM


def _openssl(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([OPENSSL, *args], input=stdin, capture_output=True, check=False)


def _key_pem(key) -> bytes:
    return key.private_bytes(PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture(scope="module")
def exchange(tmp_path_factory):
    """One enrollment with a PENDING answer and a poll: every message type, written out."""
    folder = tmp_path_factory.mktemp("scep")
    h = hierarchy()
    ca = scep_ca(h, ScepPolicy(url=URL, challenge_password="pass-1234", pending_polls=1))
    key = device_key()
    job = enrollment(ca, key, device_request(key))
    step, _ = run(ca, job)
    files = []
    for number, (kind, body) in enumerate(job.messages, 1):
        path = folder / f"{number:04d}-host-a-{kind}.p7"
        path.write_bytes(body)
        files.append((kind, path))
    (folder / "ca.pem").write_bytes(h.certificate("Eng-CA").public_bytes(PEM))
    (folder / "ca.key").write_bytes(_key_pem(h.key("Eng-CA")))
    (folder / "device.key").write_bytes(_key_pem(key))
    return folder, files, step.certificate


def test_every_message_type_is_written(exchange):
    _, files, _ = exchange
    assert [kind for kind, _ in files] == ["PKCSReq", "CertRep", "CertPoll", "CertRep"]


def test_openssl_prints_every_message_with_scep_attributes(exchange):
    _, files, _ = exchange
    for _, path in files:
        printed = _openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", str(path))
        assert printed.returncode == 0, printed.stderr
        text = printed.stdout.decode()
        assert "contentType: pkcs7-signedData" in text
        assert "2.16.840.1.113733.1.9.7" in text  # transactionID


def test_openssl_verifies_every_signature(exchange):
    _, files, _ = exchange
    for _, path in files:
        verified = _openssl("cms", "-verify", "-inform", "DER", "-noverify", "-in", str(path),
                            "-out", "/dev/null")
        assert verified.returncode == 0, (path.name, verified.stderr)
        assert b"Verification successful" in verified.stderr


def test_openssl_refuses_a_message_with_a_broken_signature(exchange, tmp_path):
    _, files, _ = exchange
    data = bytearray(files[0][1].read_bytes())
    data[-5] ^= 0x01  # inside the signature value, the last field
    broken = tmp_path / "broken.p7"
    broken.write_bytes(bytes(data))
    verified = _openssl("cms", "-verify", "-inform", "DER", "-noverify", "-in", str(broken),
                        "-out", "/dev/null")
    assert verified.returncode != 0


def _envelope(path) -> bytes:
    verified = _openssl("cms", "-verify", "-inform", "DER", "-noverify", "-in", str(path),
                        "-out", "/dev/stdout")
    assert verified.returncode == 0, verified.stderr
    return verified.stdout


def test_the_ca_decrypts_the_request_with_openssl(exchange, tmp_path):
    folder, files, _ = exchange
    envelope = tmp_path / "request-envelope.der"
    envelope.write_bytes(_envelope(files[0][1]))
    decrypted = _openssl("cms", "-decrypt", "-inform", "DER", "-in", str(envelope),
                         "-recip", str(folder / "ca.pem"), "-inkey", str(folder / "ca.key"))
    assert decrypted.returncode == 0, decrypted.stderr
    request = x509.load_der_x509_csr(decrypted.stdout)
    assert request.subject.rfc4514_string().startswith("C=US,ST=CA,L=Sunnyvale")


def test_the_cas_answer_decrypts_to_the_certificate_with_openssl(exchange, tmp_path):
    folder, files, issued = exchange
    # The answer is enveloped to the transient certificate the request was signed with.
    transient = _openssl("cms", "-verify", "-inform", "DER", "-noverify", "-in",
                         str(files[0][1]), "-out", "/dev/null", "-signer", "/dev/stdout")
    (tmp_path / "transient.pem").write_bytes(transient.stdout)
    envelope = tmp_path / "reply-envelope.der"
    envelope.write_bytes(_envelope(files[-1][1]))
    decrypted = _openssl("cms", "-decrypt", "-inform", "DER", "-in", str(envelope),
                         "-recip", str(tmp_path / "transient.pem"),
                         "-inkey", str(folder / "device.key"))
    assert decrypted.returncode == 0, decrypted.stderr
    assert cms.read_certs_only(decrypted.stdout) == (issued,)
    printed = _openssl("pkcs7", "-inform", "DER", "-print_certs", stdin=decrypted.stdout)
    assert printed.stdout.decode().count("BEGIN CERTIFICATE") == 1


def test_openssl_reads_get_ca_cert_chain(tmp_path):
    h = hierarchy()
    ca = scep_ca(h)
    job = CaCertificateEnrollment(ca_profile="Eng-CA", url=URL, ca_identity="Eng-CA")
    body = ca.handle(job.request(), now=NOW).body
    printed = _openssl("pkcs7", "-inform", "DER", "-print_certs", stdin=body)
    assert printed.returncode == 0, printed.stderr
    subjects = [line for line in printed.stdout.decode().splitlines()
                if line.startswith("subject=")]
    assert subjects == ["subject=C = us, O = example, CN = Eng-CA",
                        "subject=C = us, O = example, CN = Root-CA"]


@pytest.mark.parametrize("cipher", [cms_envelope.AES_128_CBC, cms_envelope.DES_EDE3_CBC])
def test_openssl_decrypts_both_ciphers(tmp_path, cipher):
    h = hierarchy()
    recipient = h.certificate("Eng-CA")
    (tmp_path / "r.pem").write_bytes(recipient.public_bytes(PEM))
    (tmp_path / "r.key").write_bytes(_key_pem(h.key("Eng-CA")))
    sealed = cms_envelope.envelope(b"hello SCEP", recipient=recipient, cipher=cipher, seed=b"s")
    (tmp_path / "e.der").write_bytes(sealed)
    decrypted = _openssl("cms", "-decrypt", "-inform", "DER", "-in", str(tmp_path / "e.der"),
                         "-recip", str(tmp_path / "r.pem"), "-inkey", str(tmp_path / "r.key"))
    assert decrypted.returncode == 0, decrypted.stderr
    assert decrypted.stdout == b"hello SCEP"
