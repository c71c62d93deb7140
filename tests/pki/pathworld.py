"""Real certificate hierarchies and defective certificates for the path-validation tests.

Every scenario is a `Scenario`: a leaf, anchors, a pool, CRLs and the moment, all real X.509
made with pki.hierarchy (cryptography builders only for defects a hierarchy cannot express).
Time is frozen: AT is thirty days after the guide's Figure 4 start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from pki import der
from pki.certs import CertificateTemplate, issue
from pki.crl import build_crl
from pki.hierarchy import FIGURE4_START, CAHierarchy, CASpec, figure4_specs
from pki.keys import KeySpec, KeyType, generate_key_pair
from pki.loaders import load_certificate
from pki.signing import sign_tbs
from pki.working_key import load_der_certificate, without_key_parameters

EC = KeySpec(type=KeyType.ECDSA, size=256)
AT = FIGURE4_START + dt.timedelta(days=30)
CRL_TIME = AT - dt.timedelta(days=1)
DER = Encoding.DER
HOST_A_SUBJECT = "DC=example,CN=Host-A,OU=DEV,O=PKI,L=Sunnyvale,ST=CA,C=US"
HOST_B_SUBJECT = "DC=example,CN=Host-B,OU=SALES,O=PKI,L=Sunnyvale,ST=CA,C=US"
PROFILE_URL = "http://10.157.88.230:8080/profile/Sales.crl"


@dataclass(frozen=True, kw_only=True)
class Scenario:
    leaf: x509.Certificate
    anchors: tuple[x509.Certificate, ...]
    pool: tuple[x509.Certificate, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    at: dt.datetime = AT
    options: dict = field(default_factory=dict)

    def validate(self, **overrides):
        import pki

        kwargs = dict(trust_anchors=self.anchors, intermediates=self.pool, crls=self.crls,
                      at=self.at, **self.options)
        kwargs.update(overrides)
        return pki.validate_path(self.leaf, **kwargs)


def name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "us"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "example"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@cache
def figure4() -> CAHierarchy:
    """The guide's Figure 4 with Host-A (Dev-CA), Host-B (Sales-CA) and a revoked Host-C."""
    h = CAHierarchy(figure4_specs(key=EC), start=FIGURE4_START, seed="figure4")
    h.issue_end_entity("Dev-CA", "Host-A", subject=HOST_A_SUBJECT, key=EC)
    h.issue_end_entity("Sales-CA", "Host-B", subject=HOST_B_SUBJECT, key=EC)
    h.issue_end_entity("Sales-CA", "Host-C", subject="CN=Host-C,O=PKI,C=US", key=EC)
    h.issue_end_entity("Dev-CA", "Host-late", subject="CN=Host-late,O=PKI,C=US", key=EC,
                       not_before=AT + dt.timedelta(days=1))
    h.issue_end_entity("Dev-CA", "Host-short", subject="CN=Host-short,O=PKI,C=US", key=EC,
                       validity=dt.timedelta(days=10))
    h.revoke("Host-C", at=AT - dt.timedelta(days=3), reason=x509.ReasonFlags.key_compromise)
    return h


@cache
def figure4_crls() -> dict[str, x509.CertificateRevocationList]:
    h = figure4()
    return {ca: h.crl(ca, at=CRL_TIME) for ca in h.cas()}


def figure4_scenario(leaf: str, *, anchors=("Root-CA",), crls_from=None, **options) -> Scenario:
    h = figure4()
    crls = figure4_crls()
    chosen = crls.values() if crls_from is None else [crls[c] for c in crls_from]
    return Scenario(leaf=h.certificate(leaf), anchors=tuple(h.certificate(a) for a in anchors),
                    pool=tuple(h.certificate(c) for c in h.cas()), crls=tuple(chosen),
                    options=options)


@cache
def linear(length: int, *, path_length_at: tuple[int, int] | None = None) -> CAHierarchy:
    """A chain of `length` CAs under one root, CA-1 .. CA-length, and an EE under the last.

    `path_length_at=(k, v)` gives CA-k a pathLenConstraint of v (CA-0 is the root).
    """
    specs = [CASpec(name="CA-0", subject="C=us, O=example, CN=CA-0", key=EC)]
    for k in range(1, length + 1):
        plen = path_length_at[1] if path_length_at and path_length_at[0] == k else None
        specs.append(CASpec(name=f"CA-{k}", subject=f"C=us, O=example, CN=CA-{k}",
                            issuer=f"CA-{k - 1}", key=EC, path_length=plen))
    if path_length_at and path_length_at[0] == 0:
        specs[0] = CASpec(name="CA-0", subject="C=us, O=example, CN=CA-0", key=EC,
                          path_length=path_length_at[1])
    h = CAHierarchy(specs, start=FIGURE4_START, seed=f"linear/{length}/{path_length_at}")
    h.issue_end_entity(f"CA-{length}", "EE", subject="CN=EE,O=PKI,C=US", key=EC)
    return h


def linear_scenario(length: int, **kwargs) -> Scenario:
    h = linear(length, **kwargs)
    return Scenario(leaf=h.certificate("EE"), anchors=(h.certificate("CA-0"),),
                    pool=tuple(h.certificate(c) for c in h.cas()),
                    crls=tuple(h.crl(c, at=CRL_TIME) for c in h.cas()))


# -- defects made with the builders directly ------------------------------------------------


def _template(subject: x509.Name, key, *, ca: bool, serial: int, **extra) -> CertificateTemplate:
    return CertificateTemplate(subject=subject, public_key=key.public_key(), serial=serial,
                               not_before=FIGURE4_START,
                               not_after=FIGURE4_START + dt.timedelta(days=365), ca=ca, **extra)


@cache
def root():
    key = generate_key_pair(EC, seed="defects/root")
    cert = issue(_template(name("Defect-Root"), key, ca=True, serial=1), issuer_key=key)
    return cert, key


def under_root(cn: str, *, ca: bool, serial: int, **extra):
    """A certificate issued by the defects' root, with its key."""
    root_cert, root_key = root()
    key = generate_key_pair(EC, seed=f"defects/{cn}")
    cert = issue(_template(name(cn), key, ca=ca, serial=serial, **extra), issuer_key=root_key,
                 issuer=root_cert)
    return cert, key


def ee_under(issuer_cert, issuer_key, cn: str, *, serial: int, **extra) -> x509.Certificate:
    key = generate_key_pair(EC, seed=f"defects/ee/{cn}")
    return issue(_template(name(cn), key, ca=False, serial=serial, **extra),
                 issuer_key=issuer_key, issuer=issuer_cert)


def crl_of(issuer_cert, issuer_key, *, this_update=CRL_TIME, revoked=(), number=1):
    return build_crl(issuer=issuer_cert, issuer_key=issuer_key, revoked=revoked,
                     this_update=this_update, next_update=this_update + dt.timedelta(days=7),
                     number=number)


def defect_scenario(leaf, *chain, crls=(), check_revocation=False, **options) -> Scenario:
    if check_revocation is False:
        options["check_revocation"] = False
    return Scenario(leaf=leaf, anchors=(root()[0],), pool=tuple(chain), crls=tuple(crls),
                    options=options)


CA_NO_CERT_SIGN = x509.KeyUsage(
    digital_signature=True, content_commitment=False, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=True,
    encipher_only=False, decipher_only=False)
CA_NO_CRL_SIGN = x509.KeyUsage(
    digital_signature=True, content_commitment=False, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=False,
    encipher_only=False, decipher_only=False)
UNKNOWN_CRITICAL = x509.Extension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), True,
                                  x509.UnrecognizedExtension(
                                      x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"))


# -- DSA parameter inheritance (RFC 5280 6.1.4 (f), PKITS 4.1.5) --------------------------------


def resigned(cert: x509.Certificate, issuer_key, change: Callable[[bytes], bytes]) -> bytes:
    """The DER of `cert` with `change` applied to its to-be-signed part, signed again by
    `issuer_key`: a certificate the builders cannot make, with a signature that verifies."""
    tbs, algorithm, _ = der.read_one(cert.public_bytes(DER)).children()
    return sign_tbs(change(tbs.encoding), issuer_key, cert.signature_hash_algorithm,
                    algorithm.encoding)


_ID_EC_PUBLIC_KEY = bytes.fromhex("06072a8648ce3d0201")
_UNKNOWN_KEY_OID = bytes.fromhex("06072a8648ce3d0263")  # 1.2.840.10045.2.99


def with_unknown_key_algorithm(cert: x509.Certificate, issuer_key) -> x509.Certificate:
    """`cert` (an ECDSA key's) with its key's algorithm OID replaced by one nobody knows,
    signed again: it parses, and `cryptography` says `Unknown key type` for its key."""
    def change(tbs: bytes) -> bytes:
        assert tbs.count(_ID_EC_PUBLIC_KEY) == 1
        return tbs.replace(_ID_EC_PUBLIC_KEY, _UNKNOWN_KEY_OID)
    return load_certificate(resigned(cert, issuer_key, change), source="unknown.der")


def without_key_parameters_signed(cert: x509.Certificate, issuer_key, *, null: bool = False
                                  ) -> bytes:
    """`cert` as a CA writes it for a subject that inherits its DSA parameters: the key's
    parameters left out (or NULL)."""
    return resigned(cert, issuer_key, lambda tbs: without_key_parameters(tbs, null=null))


@dataclass(frozen=True, kw_only=True)
class DsaWorld:
    """A DSA root, then an intermediate and an end entity whose certificates carry no DSA
    parameters (both inherit the root's), the intermediate's and the root's CRLs, the DER of
    each certificate as its issuer signed it, and the private keys."""

    root: x509.Certificate
    intermediate: x509.Certificate
    ee: x509.Certificate
    forged_ee: x509.Certificate  # the EE signed by a key with the same parameters, not the CA's
    crl: x509.CertificateRevocationList
    root_crl: x509.CertificateRevocationList
    der: dict[str, bytes]
    keys: dict[str, dsa.DSAPrivateKey]


@cache
def dsa_world(*, null: bool = False) -> DsaWorld:
    # One set of parameters for all three keys: the subjects inherit the root's p, q, g. SHA-1,
    # as PKITS and the guide's dsa-signatures use.
    params = dsa.generate_parameters(key_size=1024)
    keys = {n: params.generate_private_key() for n in ("root", "intermediate", "ee")}
    root_cert = issue(_template(name("DSA-Root"), keys["root"], ca=True, serial=1, digest="sha1"),
                      issuer_key=keys["root"])
    full = issue(_template(name("DSA-Inherited-CA"), keys["intermediate"], ca=True, serial=2,
                           digest="sha1"), issuer_key=keys["root"], issuer=root_cert)
    encoded = {"root": root_cert.public_bytes(DER),
               "intermediate": without_key_parameters_signed(full, keys["root"], null=null)}
    intermediate = load_der_certificate(encoded["intermediate"])
    full_ee = issue(_template(name("DSA-Inherited-EE"), keys["ee"], ca=False, serial=3,
                              digest="sha1"), issuer_key=keys["intermediate"], issuer=intermediate)
    encoded["ee"] = without_key_parameters_signed(full_ee, keys["intermediate"], null=null)
    forged = without_key_parameters_signed(full_ee, keys["ee"], null=null)
    return DsaWorld(root=root_cert, intermediate=intermediate,
                    ee=load_der_certificate(encoded["ee"]),
                    forged_ee=load_der_certificate(forged),
                    crl=crl_of(intermediate, keys["intermediate"]),
                    root_crl=crl_of(root_cert, keys["root"]), der=encoded, keys=keys)


def orphan_dsa_chain() -> tuple[x509.Certificate, x509.Certificate]:
    """(EE, CA): a CA under the (ECDSA) defects' root whose DSA key has no parameters, so
    there are none to inherit, and an EE it signed."""
    root_cert, root_key = root()
    ca_key = dsa.generate_private_key(key_size=1024)
    full = issue(_template(name("Orphan-DSA-CA"), ca_key, ca=True, serial=40), issuer_key=root_key,
                 issuer=root_cert)
    ca = load_der_certificate(without_key_parameters_signed(full, root_key))
    return ee_under(ca, ca_key, "Orphan-EE", serial=41), ca
