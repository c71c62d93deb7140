"""Quick test PKI for the IKE core: one ECDSA root CA and end-entity certificates for each key
kind. Stand-in until pki/ (being written in parallel) provides the CA tooling."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from pki.keys import KeySpec, KeyType, PrivateKey, generate_key_pair

NOW = datetime.datetime(2012, 9, 17, 22, 0, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class TestCA:
    key: PrivateKey
    cert: x509.Certificate

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def dn_der(self) -> bytes:
        return self.cert.subject.public_bytes()


@dataclass(frozen=True)
class TestPeer:
    key: PrivateKey
    cert: x509.Certificate
    ca: TestCA

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "example"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn: str = "Root-CA", seed: str = "root") -> TestCA:
    key = generate_key_pair(KeySpec(type=KeyType.ECDSA, size=256), seed=seed)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(NOW - datetime.timedelta(days=1))
            .not_valid_after(NOW + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return TestCA(key=key, cert=cert)


def make_peer(ca: TestCA, spec: KeySpec, *, cn: str, ip: str, dns: str, email: str,
              seed: str) -> TestPeer:
    key = generate_key_pair(spec, seed=seed)
    san = x509.SubjectAlternativeName([x509.DNSName(dns), x509.RFC822Name(email),
                                       x509.IPAddress(ipaddress.ip_address(ip))])
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca.cert.subject)
            .public_key(key.public_key())
            .serial_number(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))
            .not_valid_before(NOW - datetime.timedelta(days=1))
            .not_valid_after(NOW + datetime.timedelta(days=365))
            .add_extension(san, critical=False)
            .sign(ca.key, hashes.SHA256()))
    return TestPeer(key=key, cert=cert, ca=ca)


SPECS = {
    "rsa1024": KeySpec(type=KeyType.RSA, size=1024),
    "dsa1024": KeySpec(type=KeyType.DSA, size=1024),
    "ecdsa256": KeySpec(type=KeyType.ECDSA, size=256),
    "ecdsa384": KeySpec(type=KeyType.ECDSA, size=384),
}


@pytest.fixture(scope="session")
def ca() -> TestCA:
    return make_ca()


@pytest.fixture(scope="session")
def peers(ca: TestCA) -> dict[str, tuple[TestPeer, TestPeer]]:
    """(Host-A, Host-B) per key kind: Host-A 30.1.1.31 host-a.example.net, Host-B 30.1.1.51."""
    out = {}
    for kind, spec in SPECS.items():
        a = make_peer(ca, spec, cn="Host-A", ip="30.1.1.31", dns="host-a.example.net",
                      email="admin@host-a.example.net", seed=f"{kind}-a")
        b = make_peer(ca, spec, cn="Host-B", ip="30.1.1.51", dns="host-b.example.net",
                      email="admin@host-b.example.net", seed=f"{kind}-b")
        out[kind] = (a, b)
    return out
