"""The working public key of RFC 5280 6.1: a certificate's key, its DSA parameters inherited
from the issuer's key when the certificate omits them (6.1.4 (d)-(f); RFC 3279 2.3.2).

`cryptography` refuses to load a certificate whose DSA subjectPublicKeyInfo has no parameters
(NIST PKITS 4.1.5). `load_der_certificate` therefore decodes the subjectPublicKeyInfo itself and
hands `cryptography` a copy whose key carries placeholder parameters, DSS-Parms {0, 0, 0}
(absent) or {0, 0, 1} (NULL), which no real DSA key has. Everything else in the certificate is
read by `cryptography` as usual; `signed_tbs` and `original_der` give back the bytes the issuer
signed, and `working_public_key` builds the key from the issuer's p, q, g. Removing the
placeholder gives the original bytes exactly (DER is canonical; the loader checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from pki import der
from pki.keys import PublicKey

DSA_OID = "1.2.840.10040.4.1"
_DSA_OID_DER = der.encode(der.OBJECT_IDENTIFIER, bytes.fromhex("2a8648ce380401"))
_NULL = der.encode(der.NULL, b"")
# The placeholder parameters, and what they stand for in the original (None: absent).
_PLACEHOLDERS: dict[bytes, bytes | None] = {
    der.encode(der.SEQUENCE, der.encode_integer(0) * 2 + der.encode_integer(g)): original
    for g, original in ((0, None), (1, _NULL))
}


# The key types of `request security pki generate-key-pair` (pki.keys).
_JUNOS_KEYS = (rsa.RSAPublicKey, dsa.DSAPublicKey, ec.EllipticCurvePublicKey)


class UnusableKey(ValueError):
    """A certificate's public key that cannot be used; str() says why, in one line."""


@dataclass(frozen=True, kw_only=True)
class Spki:
    """A subjectPublicKeyInfo as DER says it, with no key parsing."""

    algorithm: bytes  # the DER of the algorithm OBJECT IDENTIFIER
    parameters: bytes | None  # the DER of the parameters, None when absent
    key: bytes  # the BIT STRING's bits
    encoding: bytes  # the whole SubjectPublicKeyInfo

    @property
    def is_dsa(self) -> bool:
        return self.algorithm == _DSA_OID_DER


def read_spki(encoding: bytes) -> Spki:
    """SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier,
    subjectPublicKey BIT STRING }; AlgorithmIdentifier ::= SEQUENCE { OID, parameters ANY
    OPTIONAL }."""
    spki = der.read_one(encoding)
    fields = spki.children() if spki.tag == der.SEQUENCE else []
    if len(fields) != 2 or fields[0].tag != der.SEQUENCE or fields[1].tag != der.BIT_STRING:
        raise der.DerError("not a SubjectPublicKeyInfo")
    algorithm = fields[0].children()
    if not 1 <= len(algorithm) <= 2 or algorithm[0].tag != der.OBJECT_IDENTIFIER:
        raise der.DerError("not an AlgorithmIdentifier")
    bits = fields[1].content
    if not bits or bits[0] != 0:
        raise der.DerError("a public key is a whole number of bytes")
    return Spki(algorithm=algorithm[0].encoding,
                parameters=algorithm[1].encoding if len(algorithm) == 2 else None,
                key=bits[1:], encoding=spki.encoding)


def _tbs_fields(tbs: bytes) -> tuple[list[der.Element], int]:
    """The fields of a TBSCertificate and the index of its subjectPublicKeyInfo (after the
    optional [0] version, serialNumber, signature, issuer, validity and subject)."""
    fields = der.read_one(tbs).children()
    index = 6 if fields and fields[0].tag == 0xA0 else 5
    if len(fields) <= index:
        raise der.DerError("not a TBSCertificate")
    return fields, index


def _with_parameters(tbs: bytes, parameters: bytes | None) -> bytes:
    """`tbs` with its key's AlgorithmIdentifier parameters replaced (None: removed)."""
    fields, index = _tbs_fields(tbs)
    spki = read_spki(fields[index].encoding)
    algorithm = der.encode(der.SEQUENCE, spki.algorithm + (parameters or b""))
    fields[index] = der.read_one(der.encode(
        der.SEQUENCE, algorithm + der.encode(der.BIT_STRING, b"\x00" + spki.key)))
    return der.encode(der.SEQUENCE, b"".join(field.encoding for field in fields))


def without_key_parameters(tbs: bytes, *, null: bool = False) -> bytes:
    """`tbs` (a TBSCertificate) with its key's parameters left out (or NULL): what a CA
    writes when the subject inherits its DSA parameters."""
    return _with_parameters(tbs, _NULL if null else None)


def _certificate_with_tbs(certificate: bytes, tbs: bytes) -> bytes:
    _, algorithm, signature = der.read_one(certificate).children()
    return der.encode(der.SEQUENCE, tbs + algorithm.encoding + signature.encoding)


def load_der_certificate(data: bytes) -> x509.Certificate:
    """x509.load_der_x509_certificate, which also takes a DSA key without parameters.

    Raises ValueError (from `cryptography`, or a der.DerError) for anything else it refuses.
    """
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError as refused:
        try:
            tbs = der.read_one(data).children()[0].encoding
            fields, index = _tbs_fields(tbs)
            spki = read_spki(fields[index].encoding)
        except (der.DerError, IndexError):
            raise refused from None
        if not spki.is_dsa or spki.parameters not in (None, _NULL):
            raise
        placeholder = next(p for p, original in _PLACEHOLDERS.items()
                           if original == spki.parameters)
        copy = _certificate_with_tbs(data, _with_parameters(tbs, placeholder))
        cert = x509.load_der_x509_certificate(copy)
        if original_der(cert) != data:
            raise refused from None  # not DER as written: the signed bytes cannot be rebuilt
        return cert


@lru_cache(maxsize=4096)
def spki_of(cert: x509.Certificate) -> Spki:
    """The certificate's subjectPublicKeyInfo as `cert` holds it (placeholder included)."""
    fields, index = _tbs_fields(cert.tbs_certificate_bytes)
    return read_spki(fields[index].encoding)


def inherits_parameters(cert: x509.Certificate) -> bool:
    """Whether `cert`'s DSA key has no parameters of its own (loaded with a placeholder)."""
    spki = spki_of(cert)
    return spki.is_dsa and spki.parameters in _PLACEHOLDERS


def signed_tbs(cert: x509.Certificate) -> bytes:
    """The to-be-signed bytes the issuer signed."""
    if not inherits_parameters(cert):
        return cert.tbs_certificate_bytes
    return _with_parameters(cert.tbs_certificate_bytes,
                            _PLACEHOLDERS[spki_of(cert).parameters])


def original_der(cert: x509.Certificate) -> bytes:
    """The certificate's DER as its issuer made it."""
    if not inherits_parameters(cert):
        return cert.public_bytes(Encoding.DER)
    return _certificate_with_tbs(cert.public_bytes(Encoding.DER), signed_tbs(cert))


def working_public_key(cert: x509.Certificate, issuer_key: PublicKey | None) -> PublicKey:
    """The key `cert` certifies, its DSA parameters taken from `issuer_key` when it has none
    (6.1.4 (f)). UnusableKey when the key cannot be used."""
    if inherits_parameters(cert):
        if not isinstance(issuer_key, dsa.DSAPublicKey):
            raise UnusableKey("its DSA key has no parameters and its issuer's key is not a "
                              "DSA key to inherit them from (RFC 5280 6.1.4 (f))")
        try:
            y = der.decode_integer(der.read_one(spki_of(cert).key))
            params = issuer_key.parameters().parameter_numbers()
            return dsa.DSAPublicNumbers(y=y, parameter_numbers=params).public_key()
        except ValueError as exc:
            raise UnusableKey(f"its DSA key cannot be used with its issuer's parameters "
                              f"({exc})") from None
    try:
        key = cert.public_key()
    except UnsupportedAlgorithm:
        key = None
    except (ValueError, TypeError) as exc:
        raise UnusableKey(f"its public key cannot be read ({exc})") from None
    if not isinstance(key, _JUNOS_KEYS):
        what = (type(key).__name__.removesuffix("PublicKey") if key is not None
                else _oid_of(cert))
        raise UnusableKey(f"its public key algorithm {what} is not one Junos uses "
                          f"(RSA, DSA, ECDSA)")
    return key


def _oid_of(cert: x509.Certificate) -> str:
    try:
        return cert.public_key_algorithm_oid.dotted_string
    except ValueError:
        return "(unreadable)"
