"""The run folder's SCEP CAs, so that `ikesim cli RUN DEVICE` answers SCEP as the run's CAs did:

    pki/cas/scep/scep.json       {"cas": {CA: {url, challenge_password?, pending_polls,
                                               validity_s?, digest?, chain, issued}},
                                  "crls": {CA: [CRL URLs]}}           (0600: passwords)
    pki/cas/scep/<CA>/key.pem    the CA's private key (0600)
    pki/cas/<CA>.pem, .crl       the CA's certificate and last CRL (sim.report.run_files)

Written at the end of a run (`write_scep_cas`), read back by `load_scep_cas` (one ScepCa per
enrollment URL, issuing with the CA key) and `load_crl_documents` (what each CRL URL serves),
and saved again after a cli session (`save_scep_cas`) so that serial numbers never repeat.

The folder may have been edited since: everything is read as hostile input. Each file is read
with a size limit, names are checked before they become paths, and every problem is one
ScepFilesError line naming the file.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pki.certs import DIGESTS
from pki.files import FileRefused, check_name, inside, read_regular, write_file
from pki.parse_errors import PARSE_ERRORS
from pki.scep_ca import MAX_PENDING_POLLS, KeyIssuer, ScepCa, ScepPolicy, ScepPolicyError
from sim.topology.cas import SCEP_INDEX
from sim.topology.limits import CA_FOLDER

if TYPE_CHECKING:
    from sim.report.finished import FinishedRun

__all__ = ["ScepFilesError", "load_crl_documents", "load_scep_cas", "save_scep_cas",
           "write_scep_cas"]

SCEP_FOLDER = "scep"
INDEX = SCEP_INDEX
MAX_INDEX = 1024 * 1024
MAX_PEM = 64 * 1024
MAX_CRL = 16 * 1024 * 1024  # a CA with a realistic extra-revoked list
MAX_CAS = 256
MAX_ISSUED = 2**31
_MAX_VALIDITY_S = 100 * 366 * 86400


class ScepFilesError(ValueError):
    """A run folder's SCEP files that cannot be used; str() is one line naming the file."""


def _folder(run_dir: Path, *parts: str) -> Path:
    return inside(run_dir, "pki", CA_FOLDER, *parts)


def _to_read(run_dir: Path, *parts: str) -> Path:
    """`_folder` for reading: a path that leaves the run folder is a ScepFilesError."""
    try:
        return _folder(run_dir, *parts)
    except FileRefused as exc:
        raise ScepFilesError(str(exc)) from None


# --- writing -------------------------------------------------------------------------------

def write_scep_cas(scenario: FinishedRun, root: Path) -> None:
    """The run's SCEP CAs and every CA's CRL URLs, beside the CA certificates and CRLs."""
    cas = {name: entry for name, entry in scenario.topology.cas.items()
           if entry.scep is not None}
    if not cas:
        return
    index: dict[str, dict] = {}
    for name, entry in cas.items():
        hierarchy = scenario.hierarchy
        chain = []
        issuer = hierarchy.issuer_of(name)
        while issuer is not None:
            chain.append(issuer)
            issuer = hierarchy.issuer_of(issuer)
        index[name] = _policy_json(entry.scep, chain=chain, issued=0,
                                   digest=hierarchy.graph.nodes[name]["spec"].digest)
        _write_key(root, name, hierarchy.key(name))
    crls = {name: list(entry.crl_urls) for name, entry in scenario.topology.cas.items()
            if entry.crl_urls}
    _write_index(root, index, crls)


def _policy_json(policy: ScepPolicy, *, chain: list[str], issued: int,
                 digest: str | None) -> dict:
    data: dict = {"url": policy.url, "pending_polls": policy.pending_polls, "chain": chain,
                  "issued": issued}
    if policy.challenge_password is not None:
        data["challenge_password"] = policy.challenge_password
    if policy.validity is not None:
        data["validity_s"] = int(policy.validity.total_seconds())
    if digest is not None:
        data["digest"] = digest
    return data


def _write_key(root: Path, name: str, key: rsa.RSAPrivateKey) -> None:
    check_name("CA", name)
    folder = _folder(root, SCEP_FOLDER, name)
    folder.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    write_file(inside(folder, "key.pem"), pem, mode=0o600)


def _write_index(root: Path, cas: dict[str, dict], crls: dict[str, list[str]]) -> None:
    folder = _folder(root, SCEP_FOLDER)
    folder.mkdir(parents=True, exist_ok=True)
    data = {"cas": cas, "crls": crls}
    _write_json(inside(folder, INDEX), data)


def save_scep_cas(run_dir: Path, cas: dict[str, ScepCa]) -> None:
    """After a cli session: how many certificates each CA has issued, so that the next session
    goes on from there."""
    if not cas:
        return
    path = _to_read(run_dir, SCEP_FOLDER, INDEX)
    data = _read_index(path)
    for ca in cas.values():
        if isinstance(ca.issue, KeyIssuer) and ca.name in data["cas"]:
            data["cas"][ca.name]["issued"] = ca.issue.count
    _write_json(path, data)


def _write_json(path: Path, data: dict) -> None:
    # 0600: it holds the CAs' challenge passwords.
    write_file(path, (json.dumps(data, indent=2) + "\n").encode(), mode=0o600)


# --- reading -------------------------------------------------------------------------------

def _read_index(path: Path) -> dict:
    try:
        data = json.loads(read_regular(path, limit=MAX_INDEX))
    except FileRefused as exc:
        raise ScepFilesError(str(exc)) from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ScepFilesError(f"{path}: not JSON") from None
    if not isinstance(data, dict) or set(data) != {"cas", "crls"} \
            or not isinstance(data["cas"], dict) or not isinstance(data["crls"], dict) \
            or len(data["cas"]) > MAX_CAS or len(data["crls"]) > MAX_CAS:
        raise ScepFilesError(f"{path}: expected {{\"cas\": {{...}}, \"crls\": {{...}}}} with "
                             f"at most {MAX_CAS} CAs each")
    return data


def _field(data: dict, key: str, kind: type, where: str, *, default: object = ...) -> object:
    value = data.get(key, default)
    if value is ... or not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise ScepFilesError(f"{where}: {key} missing or not a {kind.__name__}")
    return value


def _ca_certificate(run_dir: Path, name: str, where: str) -> x509.Certificate:
    try:
        check_name("CA", name)
        data = read_regular(_to_read(run_dir, f"{name}.pem"), limit=MAX_PEM)
        return x509.load_pem_x509_certificate(data)
    except FileRefused as exc:
        raise ScepFilesError(f"{where}: {exc}") from None
    except PARSE_ERRORS:
        raise ScepFilesError(f"{where}: {name}.pem is not a PEM certificate") from None


def _ca_key(run_dir: Path, name: str, certificate: x509.Certificate,
            where: str) -> rsa.RSAPrivateKey:
    path = _to_read(run_dir, SCEP_FOLDER, name, "key.pem")
    try:
        key = serialization.load_pem_private_key(read_regular(path, limit=MAX_PEM),
                                                 password=None)
    except FileRefused as exc:
        raise ScepFilesError(f"{where}: {exc}") from None
    except PARSE_ERRORS:
        raise ScepFilesError(f"{where}: {path} is not an unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.public_key().public_numbers() \
            != certificate.public_key().public_numbers():
        raise ScepFilesError(f"{where}: {path} is not the RSA key of {name}'s certificate")
    return key


def _strings(value: object, where: str, what: str) -> list[str]:
    if not isinstance(value, list) or len(value) > 16 \
            or not all(isinstance(item, str) and 0 < len(item) <= 1024 for item in value):
        raise ScepFilesError(f"{where}: {what} is not a list of at most 16 strings")
    return value


def _index_of(run_dir: Path) -> tuple[Path, dict]:
    """scep.json's path and content (empty when the run had no SCEP CA)."""
    path = _to_read(run_dir, SCEP_FOLDER, INDEX)
    if not path.exists() and not path.is_symlink():
        return path, {"cas": {}, "crls": {}}
    return path, _read_index(path)


def load_scep_cas(run_dir: Path) -> dict[str, ScepCa]:
    """The run folder's SCEP CAs by enrollment URL ({} when the run had none)."""
    run_dir = Path(run_dir)
    path, data = _index_of(run_dir)
    found: dict[str, ScepCa] = {}
    for name, entry in data["cas"].items():
        where = f"{path}: CA {name!r}"[:200]
        try:
            check_name("CA", name)
        except FileRefused as exc:
            raise ScepFilesError(f"{path}: {exc}") from None
        if not isinstance(entry, dict):
            raise ScepFilesError(f"{where}: expected a mapping")
        ca = _load_one(run_dir, name, entry, _crl_urls(data, name, path), where)
        if ca.policy.url in found:
            raise ScepFilesError(f"{where}: {ca.policy.url} is another CA's URL too")
        found[ca.policy.url] = ca
    return found


def _load_one(run_dir: Path, name: str, entry: dict, crl_urls: list[str],
              where: str) -> ScepCa:
    certificate = _ca_certificate(run_dir, name, where)
    key = _ca_key(run_dir, name, certificate, where)
    chain = tuple(_ca_certificate(run_dir, issuer, where)
                  for issuer in _strings(entry.get("chain", []), where, "chain"))
    validity_s = entry.get("validity_s")
    if validity_s is not None and (isinstance(validity_s, bool) or not isinstance(validity_s, int)
                                   or not 0 < validity_s <= _MAX_VALIDITY_S):
        raise ScepFilesError(f"{where}: validity_s is not a number of seconds")
    pending = _field(entry, "pending_polls", int, where)
    issued = _field(entry, "issued", int, where)
    if not 0 <= pending <= MAX_PENDING_POLLS or not 0 <= issued < MAX_ISSUED:
        raise ScepFilesError(f"{where}: pending_polls or issued out of range")
    digest = entry.get("digest")
    if digest is not None and digest not in DIGESTS:
        raise ScepFilesError(f"{where}: digest is not one of {', '.join(DIGESTS)}")
    try:
        policy = ScepPolicy(
            url=_field(entry, "url", str, where),
            challenge_password=_field(entry, "challenge_password", str, where, default=None)
            if entry.get("challenge_password") is not None else None,
            pending_polls=pending,
            validity=None if validity_s is None else dt.timedelta(seconds=validity_s))
    except ScepPolicyError as exc:
        raise ScepFilesError(f"{where}: {exc}") from None
    issuer = KeyIssuer(certificate=certificate, key=key, crl_urls=tuple(crl_urls),
                       validity=policy.validity, digest=digest,
                       serial_seed=f"scep/{name}/{certificate.serial_number:x}", count=issued)
    return ScepCa(name=name, certificate=certificate, key=key, chain=chain, policy=policy,
                  issue=issuer)


def _crl_urls(data: dict, name: str, path: Path) -> list[str]:
    urls = _strings(data["crls"].get(name, []), f"{path}: CA {name!r}"[:200], "crls")
    for url in urls:
        if not url.isascii() or not url.isprintable() or " " in url:
            raise ScepFilesError(f"{path}: CA {name!r}: a CRL URL is not printable ASCII")
    return urls


def load_crl_documents(run_dir: Path) -> dict[str, bytes]:
    """What each CRL URL serves: the last CRL its CA published in the run (DER), for the CAs
    scep.json lists ({} when the run had no SCEP CA)."""
    run_dir = Path(run_dir)
    path, data = _index_of(run_dir)
    documents: dict[str, bytes] = {}
    for name in data["crls"]:
        try:
            check_name("CA", name)
            crl_path = _to_read(run_dir, f"{name}.crl")
            if not crl_path.exists():
                continue  # the CA published nothing (no CRL written for it)
            crl = x509.load_pem_x509_crl(read_regular(crl_path, limit=MAX_CRL))
        except FileRefused as exc:
            raise ScepFilesError(f"{path}: {exc}") from None
        except PARSE_ERRORS:
            raise ScepFilesError(f"{path}: {name}.crl is not a PEM CRL") from None
        der = crl.public_bytes(serialization.Encoding.DER)
        for url in _crl_urls(data, name, path):
            documents[url] = der
    return documents
