"""Public-private key pairs, as `request security pki generate-key-pair` makes them.

Junos names a key pair by its certificate-id and defaults to RSA 1024 bits (guide, Chapter 2).
A simulation must be repeatable, so a key pair can also be derived from a seed: RSA and DSA
primes are then searched with a seeded generator, ECDSA scalars are drawn from it. Without a
seed, `cryptography` generates the key from the operating system's randomness.
"""

from __future__ import annotations

import enum
import hashlib
import random
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

PrivateKey = rsa.RSAPrivateKey | dsa.DSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | dsa.DSAPublicKey | ec.EllipticCurvePublicKey


class KeyType(enum.Enum):
    RSA = "rsa"
    DSA = "dsa"
    ECDSA = "ecdsa"


_SIZES: dict[KeyType, tuple[int, ...]] = {
    KeyType.RSA: (512, 1024, 2048, 4096),
    KeyType.DSA: (1024, 2048),
    KeyType.ECDSA: (256, 384),
}
_CURVES = {256: ec.SECP256R1, 384: ec.SECP384R1}
# Subgroup sizes FIPS 186-4 pairs with each DSA modulus size.
_DSA_Q_BITS = {1024: 160, 2048: 256}


@dataclass(frozen=True, kw_only=True)
class KeySpec:
    """`type` and `size` of `request security pki generate-key-pair`."""

    type: KeyType = KeyType.RSA
    size: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.type, KeyType):
            raise TypeError(f"type must be a KeyType, not {type(self.type).__name__}")
        if self.size is None:
            object.__setattr__(self, "size", 1024 if self.type is not KeyType.ECDSA else 256)
        if self.size not in _SIZES[self.type]:
            allowed = ", ".join(str(s) for s in _SIZES[self.type])
            raise ValueError(
                f"size {self.size}: a {self.type.value} key pair must be one of {allowed} bits"
            )


def key_spec_of(key: PrivateKey | PublicKey) -> KeySpec:
    """The KeySpec a key was made with."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return KeySpec(type=KeyType.RSA, size=key.key_size)
    if isinstance(key, dsa.DSAPrivateKey | dsa.DSAPublicKey):
        return KeySpec(type=KeyType.DSA, size=key.key_size)
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return KeySpec(type=KeyType.ECDSA, size=key.curve.key_size)
    raise TypeError(f"not a supported key: {type(key).__name__}")


def generate_key_pair(spec: KeySpec | None = None, *, seed: int | str | bytes | None = None
                      ) -> PrivateKey:
    """A new private key. With `seed`, the same seed always gives the same key."""
    spec = spec or KeySpec()
    if seed is None:
        if spec.type is KeyType.RSA:
            return rsa.generate_private_key(public_exponent=65537, key_size=spec.size)
        if spec.type is KeyType.DSA:
            return dsa.generate_private_key(key_size=spec.size)
        return ec.generate_private_key(_CURVES[spec.size]())
    rng = _seeded(seed, spec)
    if spec.type is KeyType.RSA:
        return _rsa_from(rng, spec.size)
    if spec.type is KeyType.DSA:
        return _dsa_from(rng, spec.size)
    curve = _CURVES[spec.size]()
    order = _EC_ORDERS[spec.size]
    return ec.derive_private_key(1 + rng.randrange(order - 1), curve)


_EC_ORDERS = {
    256: 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    384: int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
        "581A0DB248B0A77AECEC196ACCC52973",
        16,
    ),
}


def _seeded(seed: int | str | bytes, spec: KeySpec) -> random.Random:
    # Mix the spec into the seed so one seed gives unrelated keys of different kinds.
    material = f"{spec.type.value}/{spec.size}/".encode() + (
        seed if isinstance(seed, bytes) else str(seed).encode()
    )
    return random.Random(int.from_bytes(hashlib.sha256(material).digest(), "big"))


_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p**0.5) + 1))]


def is_probable_prime(n: int, rng: random.Random, rounds: int = 40) -> bool:
    """Miller-Rabin with bases from `rng`, after trial division by small primes."""
    if n < 2:
        return False
    for p in _SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):
        a = rng.randrange(2, n - 1)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _random_prime(rng: random.Random, bits: int, *, coprime_to: int | None = None) -> int:
    while True:
        # Top two bits set so that a product of two such primes has exactly 2*bits bits.
        candidate = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if coprime_to is not None and (candidate - 1) % coprime_to == 0:
            continue
        # FIPS 186-4 C.3: for random candidates of 512 bits and more, a handful of
        # Miller-Rabin rounds already leaves a negligible error; 8 is generous.
        if is_probable_prime(candidate, rng, rounds=8):
            return candidate


def _rsa_from(rng: random.Random, bits: int) -> rsa.RSAPrivateKey:
    e = 65537
    while True:
        p = _random_prime(rng, bits // 2, coprime_to=e)
        q = _random_prime(rng, bits - bits // 2, coprime_to=e)
        if p != q:
            break
    p, q = max(p, q), min(p, q)
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p=p, q=q, d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p), dmq1=rsa.rsa_crt_dmq1(d, q), iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(e=e, n=p * q),
    )
    return numbers.private_key()


def _dsa_from(rng: random.Random, bits: int) -> dsa.DSAPrivateKey:
    q = _random_prime(rng, _DSA_Q_BITS[bits])
    while True:
        # p = k*q + 1 with exactly `bits` bits.
        k = (rng.getrandbits(bits) | (1 << (bits - 1))) // q
        k -= k % 2
        p = k * q + 1
        if p.bit_length() == bits and is_probable_prime(p, rng, rounds=20):
            break
    h = 2
    while (g := pow(h, (p - 1) // q, p)) == 1:
        h += 1
    x = 1 + rng.randrange(q - 1)
    params = dsa.DSAParameterNumbers(p=p, q=q, g=g)
    return dsa.DSAPrivateNumbers(x=x, public_numbers=dsa.DSAPublicNumbers(y=pow(g, x, p),
                                                                          parameter_numbers=params)
                                 ).private_key()
