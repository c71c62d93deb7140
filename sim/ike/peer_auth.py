"""How a Phase-1 peer proves who it is, sans I/O: the certificates it sends (decoded here, with
every lazily parsed part read once, so that nothing later trips over them), the chain we send
back, and the proof itself: a signature over HASH_I/HASH_R (RFC 2409 5.1) or, with pre-shared
keys, the HASH itself (RFC 2409 5.4).

A peer's certificate is bytes it chose. One that does not decode, or holds a key IKE cannot
use, is an `UndecodableCertificate` (a ValueError): the negotiation fails as QuickSec's does
when the policy manager finds no usable public key ("No public key found", AUTHENTICATION-
FAILED, junos-messages.md section 5), never with an exception in kmd or pkid.
"""

from __future__ import annotations

import functools
import hmac

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

from pki.keys import PrivateKey, PublicKey
from pki.parse_errors import PARSE_ERRORS, strict_parsing
from pki.working_key import inherits_parameters, load_der_certificate
from sim.ike import crypto
from sim.ike.crypto import AuthMethod
from sim.ike.payloads import HashPayload, SigPayload

_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


# Certificates decoded, by DER: a hub hears its spokes' CA certificate, and each spoke the hub's
# chain, in every negotiation. A certificate object is immutable, so every SA and device may
# share one. The bound keeps a peer that sends new certificates (each up to a payload's 64 KB)
# from growing the cache past a few MB; the certificates in use stay, as the most recent.
_DECODED = 256


class UndecodableCertificate(ValueError):
    """A CERT payload that is not an X.509 certificate IKE can use."""


@functools.lru_cache(maxsize=_DECODED)
def decode_certificate(der: bytes) -> x509.Certificate:
    """The certificate in a CERT payload, with its version, names, validity, extensions,
    signature algorithm and public key read (`cryptography` parses them lazily). A DSA key
    without parameters is taken: it inherits its issuer's (RFC 5280 6.1.4 (f)), which pkid's
    path validation supplies with the working public key."""
    try:
        with strict_parsing():
            cert = load_der_certificate(der)
            cert.version  # noqa: B018 - reading it is the check
            for name in (cert.subject, cert.issuer):
                name.rfc4514_string()
                name.public_bytes()
            cert.serial_number, cert.not_valid_before_utc, cert.not_valid_after_utc  # noqa: B018
            for extension in cert.extensions:
                extension.value  # noqa: B018
            cert.signature_hash_algorithm  # noqa: B018
            if inherits_parameters(cert):
                return cert
            key = cert.public_key()
            if isinstance(key, dsa.DSAPublicKey):
                key.parameters()
            key.public_bytes(*_SPKI)
    except PARSE_ERRORS as exc:
        raise UndecodableCertificate(f"certificate does not decode: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey | ec.EllipticCurvePublicKey):
        raise UndecodableCertificate(f"unsupported public-key algorithm "
                                     f"{type(key).__name__.removesuffix('PublicKey')}")
    return cert


def peer_certificates(ders: tuple[bytes, ...]
                      ) -> tuple[tuple[bytes, x509.Certificate], ...]:
    """(DER, certificate) of the peer's certificates, leaf first. The leaf must decode
    (UndecodableCertificate); a CA certificate that does not is left out, as a certificate
    manager ignores what it cannot add."""
    if not ders:
        return ()
    kept = [(ders[0], decode_certificate(ders[0]))]
    for der in ders[1:]:
        try:
            kept.append((der, decode_certificate(der)))
        except UndecodableCertificate:
            continue
    return tuple(kept)


def certificate_with_key(certificates: tuple[x509.Certificate, ...], public_key: PublicKey
                         ) -> x509.Certificate | None:
    """The certificate among the peer's that holds `public_key` (one whose DSA key inherits
    its parameters holds none by itself: its verdict names it)."""
    wanted = public_key.public_bytes(*_SPKI)
    return next((c for c in certificates if not inherits_parameters(c)
                 and c.public_key().public_bytes(*_SPKI) == wanted),
                None)


def chain_for_peer(chain: tuple[bytes, ...], peer_requests: tuple[bytes, ...]
                   ) -> tuple[bytes, ...]:
    """The local certificate, then the CA certificates the peer does not have (Chapter 7).

    A CR payload names a CA the peer trusts, so it holds that CA's certificate: the chain
    stops below the first CA the peer named. No CR payloads: the whole chain. (Our own chain
    was checked when it was loaded.)
    """
    if len(chain) < 2 or not peer_requests:
        return chain
    trusted = set(peer_requests)
    kept = [chain[0]]
    for der in chain[1:]:
        if _subject_of(der) in trusted:
            break
        kept.append(der)
    return tuple(kept)


@functools.lru_cache(maxsize=_DECODED)
def _subject_of(der: bytes) -> bytes:
    """The DER subject of one of our own CA certificates (read once, not per message)."""
    return x509.load_der_x509_certificate(der).subject.public_bytes()


def proof(method: AuthMethod, private_key: PrivateKey | None, auth_hash: bytes
          ) -> SigPayload | HashPayload:
    """Our HASH_I/HASH_R as the method sends it: signed in a SIG payload, or the HASH itself
    (pre-shared keys, where SKEYID already holds the key)."""
    if method is AuthMethod.PRE_SHARED_KEY:
        return HashPayload(data=auth_hash)
    if private_key is None:
        raise ValueError(f"{method.name} needs a private key")
    return SigPayload(data=crypto.sign_hash(method, private_key, auth_hash))


def hash_matches(expected: bytes, received: bytes) -> bool:
    """A pre-shared-key peer's HASH against ours, in constant time."""
    return hmac.compare_digest(expected, received)
