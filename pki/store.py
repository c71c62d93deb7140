"""A device's certificate store: what `show security pki ...` lists and `request ... load` fills.

It holds key pairs and local certificates by certificate-id, pending certificate requests,
one CA certificate per CA profile and one CRL per CA profile. Every change is all-or-nothing:
a load that fails leaves the store as it was. On disk the store is a directory of PEM files
(private keys mode 0600):

    keys/<certificate-id>.key     local/<certificate-id>.pem   requests/<certificate-id>.csr
    ca/<ca-profile>.pem           crl/<ca-profile>.crl
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pki.keys import PrivateKey
from pki.loaders import (
    LoadError,
    check_key_matches,
    load_certificate,
    load_crl,
    load_csr,
    load_private_key,
    read_bytes,
)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


class StoreError(ValueError):
    """A store operation the device would refuse; str() is the reason in one line."""


def _check_name(kind: str, name: str) -> None:
    # Names become file names: keep them to what a Junos identifier allows.
    if not _NAME.match(name):
        raise StoreError(f"{kind} {name!r}: use letters, digits, '.', '_' and '-' "
                         f"(at most 63 characters)")


def _frozen(d: dict) -> Mapping:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class CertificateStore:
    """Immutable: each operation returns a new store, so a failure cannot half-change one."""

    key_pairs: Mapping[str, PrivateKey] = field(default_factory=lambda: _frozen({}))
    local_certificates: Mapping[str, x509.Certificate] = field(
        default_factory=lambda: _frozen({}))
    requests: Mapping[str, x509.CertificateSigningRequest] = field(
        default_factory=lambda: _frozen({}))
    ca_certificates: Mapping[str, x509.Certificate] = field(default_factory=lambda: _frozen({}))
    crls: Mapping[str, x509.CertificateRevocationList] = field(
        default_factory=lambda: _frozen({}))

    # -- key pairs and local certificates ---------------------------------------------------

    def add_key_pair(self, certificate_id: str, key: PrivateKey) -> CertificateStore:
        _check_name("certificate-id", certificate_id)
        if certificate_id in self.key_pairs:
            raise StoreError(f"Key pair {certificate_id} already exists")
        return replace(self, key_pairs=_frozen({**self.key_pairs, certificate_id: key}))

    def add_request(self, certificate_id: str, csr: x509.CertificateSigningRequest
                    ) -> CertificateStore:
        self.key_pair(certificate_id)
        return replace(self, requests=_frozen({**self.requests, certificate_id: csr}))

    def add_local_certificate(self, certificate_id: str, cert: x509.Certificate, *,
                              source: str = "<certificate>") -> CertificateStore:
        """Loading a local certificate checks it against its certificate-id's key pair and
        replaces the pending request, which it answers (guide, Chapter 1)."""
        key = self.key_pair(certificate_id)
        check_key_matches(cert, key, source=source, certificate_id=certificate_id)
        requests = {k: v for k, v in self.requests.items() if k != certificate_id}
        return replace(
            self,
            local_certificates=_frozen({**self.local_certificates, certificate_id: cert}),
            requests=_frozen(requests),
        )

    def load_local_certificate(self, certificate_id: str, path: str | Path) -> CertificateStore:
        cert = load_certificate(read_bytes(path), source=str(path))
        return self.add_local_certificate(certificate_id, cert, source=str(path))

    def key_pair(self, certificate_id: str) -> PrivateKey:
        """The key pair of `certificate_id`; StoreError when there is none."""
        try:
            return self.key_pairs[certificate_id]
        except KeyError:
            raise StoreError(f"Key pair {certificate_id} does not exist") from None

    def clear_local_certificate(self, certificate_id: str) -> CertificateStore:
        """`clear security pki local-certificate certificate-id ID`: the certificate and its
        key pair go."""
        if certificate_id not in self.local_certificates and certificate_id not in self.key_pairs:
            raise StoreError(f"Local certificate {certificate_id} does not exist")
        return replace(
            self,
            local_certificates=_frozen({k: v for k, v in self.local_certificates.items()
                                        if k != certificate_id}),
            key_pairs=_frozen({k: v for k, v in self.key_pairs.items() if k != certificate_id}),
            requests=_frozen({k: v for k, v in self.requests.items() if k != certificate_id}),
        )

    # -- CA certificates and CRLs, one per CA profile -----------------------------------------

    def add_ca_certificate(self, ca_profile: str, cert: x509.Certificate) -> CertificateStore:
        _check_name("ca-profile", ca_profile)
        return replace(self, ca_certificates=_frozen({**self.ca_certificates, ca_profile: cert}))

    def load_ca_certificate(self, ca_profile: str, path: str | Path) -> CertificateStore:
        cert = load_certificate(read_bytes(path), source=str(path))
        return self.add_ca_certificate(ca_profile, cert)

    def clear_ca_certificate(self, ca_profile: str) -> CertificateStore:
        if ca_profile not in self.ca_certificates:
            raise StoreError(f"CA certificate for profile {ca_profile} does not exist")
        return replace(self, ca_certificates=_frozen(
            {k: v for k, v in self.ca_certificates.items() if k != ca_profile}))

    def add_crl(self, ca_profile: str, crl: x509.CertificateRevocationList) -> CertificateStore:
        """A CRL goes into a profile that has none: the guide has the old one cleared first."""
        _check_name("ca-profile", ca_profile)
        if ca_profile in self.crls:
            raise StoreError(f"CRL for CA profile {ca_profile} is already loaded; run "
                             f"'clear security pki crl ca-profile {ca_profile}' first")
        return replace(self, crls=_frozen({**self.crls, ca_profile: crl}))

    def load_crl(self, ca_profile: str, path: str | Path) -> CertificateStore:
        return self.add_crl(ca_profile, load_crl(read_bytes(path), source=str(path)))

    def clear_crl(self, ca_profile: str) -> CertificateStore:
        if ca_profile not in self.crls:
            raise StoreError(f"CRL for CA profile {ca_profile} does not exist")
        return replace(self, crls=_frozen({k: v for k, v in self.crls.items()
                                           if k != ca_profile}))

    # -- disk -------------------------------------------------------------------------------

    def save(self, directory: str | Path) -> None:
        """Make `directory` hold exactly this store, as PEM; private keys are created mode 0600,
        never wider. The files are written beside it first and swapped in, so a cleared object
        is gone from disk too and a failure leaves the old directory as it was."""
        root = Path(directory)
        root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
        try:
            self._write(staging)
            old = root.with_name(f".{root.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            if root.exists():
                root.rename(old)
            staging.rename(root)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _write(self, root: Path) -> None:
        pem = serialization.Encoding.PEM
        for sub in ("keys", "local", "requests", "ca", "crl"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        for cid, key in self.key_pairs.items():
            _write_private(root / "keys" / f"{cid}.key", key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        for cid, cert in self.local_certificates.items():
            (root / "local" / f"{cid}.pem").write_bytes(cert.public_bytes(pem))
        for cid, csr in self.requests.items():
            (root / "requests" / f"{cid}.csr").write_bytes(csr.public_bytes(pem))
        for profile, cert in self.ca_certificates.items():
            (root / "ca" / f"{profile}.pem").write_bytes(cert.public_bytes(pem))
        for profile, crl in self.crls.items():
            (root / "crl" / f"{profile}.crl").write_bytes(crl.public_bytes(pem))

    def clear_key_pair(self, certificate_id: str) -> CertificateStore:
        """`clear security pki key-pair certificate-id ID`; a local certificate's key pair
        goes with the certificate (clear_local_certificate), not on its own."""
        self.key_pair(certificate_id)
        if certificate_id in self.local_certificates:
            raise StoreError(f"Key pair {certificate_id} is used by local certificate "
                             f"{certificate_id}")
        # A pending request is made from the key pair: it goes with it.
        return replace(
            self,
            key_pairs=_frozen({k: v for k, v in self.key_pairs.items() if k != certificate_id}),
            requests=_frozen({k: v for k, v in self.requests.items() if k != certificate_id}))

    @classmethod
    def load(cls, directory: str | Path) -> CertificateStore:
        """Read a saved store; any bad file raises LoadError naming it, and nothing is kept."""
        root = Path(directory)
        if not root.is_dir():
            raise LoadError(str(root), "not a certificate store directory")

        def files(sub: str, suffix: str) -> list[tuple[str, Path]]:
            folder = root / sub
            if not folder.is_dir():
                return []
            return sorted((p.name.removesuffix(suffix), p) for p in folder.glob(f"*{suffix}"))

        store = cls()
        try:
            for cid, path in files("keys", ".key"):
                store = store.add_key_pair(cid, load_private_key(read_bytes(path),
                                                                 source=str(path)))
            for cid, path in files("local", ".pem"):
                store = store.load_local_certificate(cid, path)
            for cid, path in files("requests", ".csr"):
                store = store.add_request(cid, load_csr(read_bytes(path), source=str(path)))
            for profile, path in files("ca", ".pem"):
                store = store.load_ca_certificate(profile, path)
            for profile, path in files("crl", ".crl"):
                store = store.load_crl(profile, path)
        except StoreError as exc:
            raise LoadError(str(root), str(exc)) from None
        return store


def _write_private(path: Path, data: bytes) -> None:
    # Create with 0600 from the start: a chmod after writing would leave a window.
    if path.exists():
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
