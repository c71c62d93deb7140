"""Deterministic DSA signatures (RFC 6979 section 3.2), so that the same topology and seed give
the same bytes: cryptography makes deterministic ECDSA signatures on request, but DSA ones only
with a random nonce.

The nonce k comes from an HMAC_DRBG keyed with the private key and the message's hash, as RFC
6979 says; the signature is then FIPS 186-4's (r, s). A deterministic signature verifies like
any other, and leaks nothing a random one would not.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

from cryptography.hazmat.primitives.asymmetric import dsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

# The HMAC hash by digest size, for a digest that came already hashed (IKE's HASH_I/HASH_R).
_BY_SIZE = {20: "sha1", 28: "sha224", 32: "sha256", 48: "sha384", 64: "sha512"}


def _bits2int(data: bytes, qlen: int) -> int:
    value = int.from_bytes(data, "big")
    excess = len(data) * 8 - qlen
    return value >> excess if excess > 0 else value


def _nonces(x: int, q: int, digest: bytes, hash_name: str) -> Iterator[int]:
    """RFC 6979 3.2: the candidate nonces k for private key x and message hash `digest`."""
    qlen, rolen = q.bit_length(), (q.bit_length() + 7) // 8
    size = hashlib.new(hash_name).digest_size

    def mac(key: bytes, data: bytes) -> bytes:
        return hmac.new(key, data, hash_name).digest()

    seed = x.to_bytes(rolen, "big") + (_bits2int(digest, qlen) % q).to_bytes(rolen, "big")
    v, k = b"\x01" * size, b"\x00" * size
    k = mac(k, v + b"\x00" + seed)
    v = mac(k, v)
    k = mac(k, v + b"\x01" + seed)
    v = mac(k, v)
    while True:
        t = b""
        while len(t) * 8 < qlen:
            v = mac(k, v)
            t += v
        candidate = _bits2int(t, qlen)
        if 1 <= candidate < q:
            yield candidate
        k = mac(k, v + b"\x00")
        v = mac(k, v)


def sign_digest(key: dsa.DSAPrivateKey, digest: bytes, hash_name: str | None = None) -> bytes:
    """The DER DSA signature (Dss-Sig-Value) of `digest`, the message's hash by `hash_name`
    (hashlib's name; by default the hash of that size)."""
    numbers = key.private_numbers()
    params = numbers.public_numbers.parameter_numbers
    p, q, g, x = params.p, params.q, params.g, numbers.x
    z = _bits2int(digest, q.bit_length())
    name = hash_name or _BY_SIZE.get(len(digest), "sha256")
    for k in _nonces(x, q, digest, name):
        r = pow(g, k, p) % q
        s = pow(k, -1, q) * (z + x * r) % q
        if r and s:
            return encode_dss_signature(r, s)
    raise AssertionError("unreachable: the nonces never end")
