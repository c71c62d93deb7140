"""A device's certificate store: what `show security pki ...` lists and `request ... load` fills.

It holds key pairs and local certificates by certificate-id, pending certificate requests,
one CA certificate per CA profile and one CRL per CA profile. Every change is all-or-nothing:
a load that fails leaves the store as it was. On disk the store is a directory of PEM files
(private keys mode 0600):

    keys/<certificate-id>.key     local/<certificate-id>.pem   requests/<certificate-id>.csr
    ca/<ca-profile>.pem           crl/<ca-profile>.crl
"""

from __future__ import annotations

import base64
import os
import shutil
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pki.escape import escape
from pki.files import FileRefused, check_name, inside, replace_folder, write_file
from pki.keys import PrivateKey
from pki.loaders import (
    CRL_FILE_MAX_BYTES,
    FILE_MAX_BYTES,
    LoadError,
    check_key_matches,
    load_certificate,
    load_crl,
    load_csr,
    load_private_key,
    read_bytes,
)
from pki.working_key import original_der

PEM = serialization.Encoding.PEM


class StoreError(ValueError):
    """A store operation the device would refuse; str() is the reason in one line."""


def _check_name(kind: str, name: object) -> None:
    # Names become file names: a Junos identifier, never a path (pki.files.check_name).
    try:
        check_name(kind, name)
    except FileRefused as refused:
        raise StoreError(str(refused)) from None


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
        cert = load_certificate(read_bytes(path, limit=FILE_MAX_BYTES), source=str(path))
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
        cert = load_certificate(read_bytes(path, limit=FILE_MAX_BYTES), source=str(path))
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
        return self.add_crl(ca_profile, load_crl(read_bytes(path, limit=CRL_FILE_MAX_BYTES),
                                                 source=str(path)))

    def clear_crl(self, ca_profile: str) -> CertificateStore:
        if ca_profile not in self.crls:
            raise StoreError(f"CRL for CA profile {ca_profile} does not exist")
        return replace(self, crls=_frozen({k: v for k, v in self.crls.items()
                                           if k != ca_profile}))

    # -- disk -------------------------------------------------------------------------------

    def save(self, directory: str | Path, *, within: str | Path | None = None) -> None:
        """Make `directory` hold exactly this store, as PEM; private keys are created mode 0600,
        never wider. The files are written beside it first and swapped in, so a cleared object
        is gone from disk too and a failure leaves the old directory as it was.

        `directory` is replaced whole, so it is checked first (StoreError): its name must be
        a name, never `.` or `..`; it must not be a symlink; and what it holds now must be a
        certificate store (only its own folders), so no other folder is ever removed. With
        `within` (the run folder), it must also stay inside that folder."""
        root = Path(directory)
        _check_name("certificate store", root.name)
        if within is not None:
            try:
                inside(within, os.path.relpath(root, within))
            except (FileRefused, ValueError):
                raise StoreError(f"{escape(str(root))}: leaves the folder "
                                 f"{escape(str(within))}") from None
        _check_replaceable(root)
        root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
        try:
            self._write(staging)
            replace_folder(staging, root)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _write(self, root: Path) -> None:
        for sub in _FOLDERS:
            (root / sub).mkdir(mode=0o700)
        for cid, key in self.key_pairs.items():
            write_file(root / "keys" / f"{_name('certificate-id', cid)}.key", key.private_bytes(
                PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
                mode=0o600)
        for cid, cert in self.local_certificates.items():
            write_file(root / "local" / f"{_name('certificate-id', cid)}.pem", _pem(cert))
        for cid, csr in self.requests.items():
            write_file(root / "requests" / f"{_name('certificate-id', cid)}.csr",
                       csr.public_bytes(PEM))
        for profile, cert in self.ca_certificates.items():
            write_file(root / "ca" / f"{_name('ca-profile', profile)}.pem", _pem(cert))
        for profile, crl in self.crls.items():
            write_file(root / "crl" / f"{_name('ca-profile', profile)}.crl",
                       crl.public_bytes(PEM))

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
        """Read a saved store; any bad file raises LoadError naming it, and nothing is kept.
        Symbolic links are refused, not followed; each file is read with its loader's limit."""
        root = Path(directory)
        if not _is_real_directory(root):
            problem = ("is a symbolic link; ikesim does not follow it" if root.is_symlink()
                       else "not a certificate store directory")
            raise LoadError(str(root), problem)
        store = cls()
        try:
            for cid, data in _files(root, "keys", ".key", FILE_MAX_BYTES):
                store = store.add_key_pair(cid, load_private_key(data, source=_at(root, "keys",
                                                                                  cid, ".key")))
            for cid, data in _files(root, "local", ".pem", FILE_MAX_BYTES):
                source = _at(root, "local", cid, ".pem")
                store = store.add_local_certificate(cid, load_certificate(data, source=source),
                                                    source=source)
            for cid, data in _files(root, "requests", ".csr", FILE_MAX_BYTES):
                store = store.add_request(cid, load_csr(data, source=_at(root, "requests", cid,
                                                                         ".csr")))
            for profile, data in _files(root, "ca", ".pem", FILE_MAX_BYTES):
                store = store.add_ca_certificate(profile, load_certificate(
                    data, source=_at(root, "ca", profile, ".pem")))
            for profile, data in _files(root, "crl", ".crl", CRL_FILE_MAX_BYTES):
                store = store.add_crl(profile, load_crl(data, source=_at(root, "crl", profile,
                                                                         ".crl")))
        except StoreError as exc:
            raise LoadError(str(root), str(exc)) from None
        return store


# The store's own folders: nothing else may be in a directory that save() replaces.
_FOLDERS = ("keys", "local", "requests", "ca", "crl")


def _name(kind: str, name: str) -> str:
    _check_name(kind, name)
    return name


def _pem(cert: x509.Certificate) -> bytes:
    # The bytes the issuer signed, even for a key whose DSA parameters are inherited.
    return ("-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(original_der(cert)).decode()
            + "-----END CERTIFICATE-----\n").encode()


def _is_real_directory(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _check_replaceable(root: Path) -> None:
    """save() removes what is at `root`: only a directory that is a certificate store."""
    if not os.path.lexists(root):
        return
    if root.is_symlink():
        raise StoreError(f"{escape(str(root))}: is a symbolic link; ikesim does not "
                         f"follow it")
    if not _is_real_directory(root):
        raise StoreError(f"{escape(str(root))}: is not a directory; not replacing it")
    for entry in sorted(os.listdir(root)):
        if entry not in _FOLDERS or not _is_real_directory(root / entry):
            raise StoreError(f"{escape(str(root))}: holds {escape(entry)!r}, which is not "
                             f"part of a certificate store; not replacing it")


def _at(root: Path, sub: str, name: str, suffix: str) -> str:
    return str(root / sub / f"{name}{suffix}")


def _files(root: Path, sub: str, suffix: str, limit: int) -> list[tuple[str, bytes]]:
    """(name, bytes) of each `*suffix` file in root/sub, sorted; LoadError for a symlink."""
    folder = root / sub
    if not os.path.lexists(folder):
        return []
    if not _is_real_directory(folder):
        raise LoadError(str(folder), "is a symbolic link; ikesim does not follow it"
                        if folder.is_symlink() else "is not a directory")
    found = []
    for entry in sorted(os.listdir(folder)):
        if entry.startswith(".") or not entry.endswith(suffix):
            continue  # a temporary of an interrupted write, or not the store's
        found.append((entry.removesuffix(suffix),
                      read_bytes(folder / entry, limit=limit, follow=False)))
    return found
