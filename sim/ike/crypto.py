"""The cryptography of IKEv1 Phase 1 with signatures or pre-shared keys (RFC 2409), done for
real.

Diffie-Hellman over the MODP groups of RFC 2409/3526 and the ECP groups of RFC 5903, the prf,
SKEYID (from the nonces and g^xy, or from the pre-shared key and the nonces) and its
derivatives, HASH_I/HASH_R, CBC encryption of messages 5 and 6, and signatures over
HASH_I/HASH_R. Private DH values are drawn from a caller's `random.Random`, so a seeded run
produces the same bytes every time.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import random
import warnings
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES  # 3DES moved here in 43
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dh, dsa, ec, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.utils import CryptographyDeprecationWarning

from pki.dsa_rfc6979 import sign_digest
from pki.keys import PrivateKey, PublicKey


class HashAlgorithm(enum.IntEnum):
    """IKE "Hash Algorithm" attribute values (RFC 2409 appendix A, RFC 4868)."""

    MD5 = 1
    SHA1 = 2
    SHA256 = 4
    SHA384 = 5

    @property
    def hashlib_name(self) -> str:
        return {1: "md5", 2: "sha1", 4: "sha256", 5: "sha384"}[self.value]


class EncryptionAlgorithm(enum.Enum):
    """A Phase-1 cipher: (IKE "Encryption Algorithm" value, key bytes)."""

    TRIPLE_DES_CBC = (5, 24)
    AES_128_CBC = (7, 16)
    AES_192_CBC = (7, 24)
    AES_256_CBC = (7, 32)

    @property
    def ike_id(self) -> int:
        return self.value[0]

    @property
    def key_size(self) -> int:
        return self.value[1]

    @property
    def block_size(self) -> int:
        return 8 if self is EncryptionAlgorithm.TRIPLE_DES_CBC else 16

    @property
    def key_length_attribute(self) -> int | None:
        """Bits for the Key Length attribute; AES needs it, 3DES must not carry it."""
        return None if self is EncryptionAlgorithm.TRIPLE_DES_CBC else self.key_size * 8


class AuthMethod(enum.IntEnum):
    """IKE "Authentication Method" values (RFC 2409 appendix A, RFC 4754)."""

    PRE_SHARED_KEY = 1
    DSS_SIGNATURES = 2
    RSA_SIGNATURES = 3
    ECDSA_256 = 9
    ECDSA_384 = 10


class DHGroup(enum.IntEnum):
    MODP_768 = 1
    MODP_1024 = 2
    MODP_1536 = 5
    MODP_2048 = 14
    ECP_256 = 19
    ECP_384 = 20

    @property
    def is_ecp(self) -> bool:
        return self in (DHGroup.ECP_256, DHGroup.ECP_384)

    @property
    def ke_size(self) -> int:
        """Length of the KE payload data: the prime's length, or x|y for ECP."""
        return {1: 96, 2: 128, 5: 192, 14: 256, 19: 64, 20: 96}[self.value]


# RFC 2409 6.1/6.2 and RFC 3526 2/3: p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + k),
# generator 2. The tests recompute them from pi.
_MODP_PRIMES = {
    DHGroup.MODP_768: (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
        "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A3620"
        "FFFFFFFFFFFFFFFF"),
    DHGroup.MODP_1024: (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
        "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
        "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF"),
    DHGroup.MODP_1536: (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
        "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
        "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA4836"
        "1C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804"
        "F1746C08CA237327FFFFFFFFFFFFFFFF"),
    DHGroup.MODP_2048: (
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
        "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
        "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA4836"
        "1C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804"
        "F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6"
        "955817183995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF"),
}
MODP_PRIMES = {group: int(text, 16) for group, text in _MODP_PRIMES.items()}
_CURVES = {DHGroup.ECP_256: ec.SECP256R1, DHGroup.ECP_384: ec.SECP384R1}
_CURVE_ORDERS = {
    DHGroup.ECP_256: 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    DHGroup.ECP_384: int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
                         "581A0DB248B0A77AECEC196ACCC52973", 16),
}
# Private exponent length for MODP groups: 256 bits is at least twice the security strength of
# every group here (as OpenSSL does for the named safe-prime groups), and keeps a seeded run cheap.
MODP_EXPONENT_BITS = 256
# The MODP groups OpenSSL does not know by name (RFC 2409's), so it checks their parameters
# whenever a key is loaded.
_CHECKED_ON_LOAD = frozenset({DHGroup.MODP_768, DHGroup.MODP_1024})


class InvalidKeyExchange(ValueError):
    """The peer's KE data is not a valid public value for the group (INVALID-KEY-INFORMATION)."""


def _dh_parameters(group: DHGroup) -> dh.DHParameterNumbers:
    return dh.DHParameterNumbers(MODP_PRIMES[group], 2)


class DHPrivate:
    """One side's Diffie-Hellman value: `public` is the KE payload data."""

    def __init__(self, group: DHGroup, *, rng: random.Random | None = None,
                 private_value: int | None = None) -> None:
        if not isinstance(group, DHGroup):
            raise TypeError(f"group must be a DHGroup, not {type(group).__name__}")
        rng = rng if rng is not None else random.Random()
        self.group = group
        if group.is_ecp:
            order = _CURVE_ORDERS[group]
            x = private_value if private_value is not None else 1 + rng.randrange(order - 1)
            self._key = ec.derive_private_key(x, _CURVES[group]())
            numbers = self._key.public_key().public_numbers()
            half = group.ke_size // 2
            self.public = numbers.x.to_bytes(half, "big") + numbers.y.to_bytes(half, "big")
            return
        x = private_value if private_value is not None else (
            rng.getrandbits(MODP_EXPONENT_BITS) | 1 << (MODP_EXPONENT_BITS - 1))
        self._x: int | None = None
        if group in _CHECKED_ON_LOAD:
            # OpenSSL checks these parameters on every key it loads (about 50 ms for group 2;
            # it knows RFC 3526's groups and skips the check for them): Python's pow() is the
            # same arithmetic, 2 ms.
            self._x = x
            self.public = pow(2, x, MODP_PRIMES[group]).to_bytes(group.ke_size, "big")
            return
        # FFDH in cryptography is deprecated (CryptographyDeprecationWarning) but is the only
        # real MODP implementation at hand; the warning is not news to anyone reading a run.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            params = _dh_parameters(group)
            # Loading needs a public value; g stands in for it. The real g^x is then computed
            # by OpenSSL as the "shared secret" with g, 40x faster than Python's pow().
            self._key = dh.DHPrivateNumbers(x, dh.DHPublicNumbers(2, params)).private_key()
            generator = dh.DHPublicNumbers(2, params).public_key()
            self.public = self._key.exchange(generator).rjust(group.ke_size, b"\0")

    def shared_secret(self, peer_ke: bytes) -> bytes:
        """g^xy: the padded MODP value, or the x coordinate for ECP (RFC 5903 section 7)."""
        if len(peer_ke) != self.group.ke_size:
            raise InvalidKeyExchange(
                f"KE data is {len(peer_ke)} bytes, group {self.group.value} needs "
                f"{self.group.ke_size}")
        if self.group.is_ecp:
            half = self.group.ke_size // 2
            try:
                peer = ec.EllipticCurvePublicNumbers(
                    int.from_bytes(peer_ke[:half], "big"), int.from_bytes(peer_ke[half:], "big"),
                    _CURVES[self.group]()).public_key()
            except ValueError:
                raise InvalidKeyExchange("KE data is not a point on the curve") from None
            return self._key.exchange(ec.ECDH(), peer)
        y = int.from_bytes(peer_ke, "big")
        if not 1 < y < MODP_PRIMES[self.group] - 1:
            raise InvalidKeyExchange("KE value out of range")
        if self._x is not None:
            return pow(y, self._x, MODP_PRIMES[self.group]).to_bytes(self.group.ke_size, "big")
        with warnings.catch_warnings():  # FFDH deprecation, see __init__
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            peer_key = dh.DHPublicNumbers(y, _dh_parameters(self.group)).public_key()
            return self._key.exchange(peer_key).rjust(self.group.ke_size, b"\0")


# ---------------------------------------------------------------- prf, keys, HASH_I/R


def prf(alg: HashAlgorithm, key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, alg.hashlib_name).digest()


def plain_hash(alg: HashAlgorithm, data: bytes) -> bytes:
    return hashlib.new(alg.hashlib_name, data).digest()


@dataclass(frozen=True, kw_only=True)
class Phase1Keys:
    """SKEYID and its children; `enc_key` is the cipher key, `iv` the initial Phase-1 IV."""

    skeyid: bytes
    skeyid_d: bytes
    skeyid_a: bytes
    skeyid_e: bytes
    enc_key: bytes
    iv: bytes


def derive_keys(*, hash_alg: HashAlgorithm, cipher: EncryptionAlgorithm, ni_b: bytes,
                nr_b: bytes, gxy: bytes, gxi: bytes, gxr: bytes, cky_i: bytes,
                cky_r: bytes, pre_shared_key: bytes | None = None) -> Phase1Keys:
    """RFC 2409 section 5 and appendix B (key extension). SKEYID is prf(Ni_b | Nr_b, g^xy)
    for signatures, prf(pre-shared-key, Ni_b | Nr_b) for pre-shared keys."""
    if pre_shared_key is not None:
        skeyid = prf(hash_alg, pre_shared_key, ni_b + nr_b)
    else:
        skeyid = prf(hash_alg, ni_b + nr_b, gxy)
    tail = gxy + cky_i + cky_r
    skeyid_d = prf(hash_alg, skeyid, tail + b"\x00")
    skeyid_a = prf(hash_alg, skeyid, skeyid_d + tail + b"\x01")
    skeyid_e = prf(hash_alg, skeyid, skeyid_a + tail + b"\x02")
    key = skeyid_e
    if len(key) < cipher.key_size:
        block = prf(hash_alg, skeyid_e, b"\x00")
        key = block
        while len(key) < cipher.key_size:
            block = prf(hash_alg, skeyid_e, block)
            key += block
    iv = plain_hash(hash_alg, gxi + gxr)[:cipher.block_size]
    return Phase1Keys(skeyid=skeyid, skeyid_d=skeyid_d, skeyid_a=skeyid_a, skeyid_e=skeyid_e,
                      enc_key=key[:cipher.key_size], iv=iv)


# The hash each ECDSA method is defined with (RFC 4754 section 4: SHA-256 for ECDSA-256,
# SHA-384 for ECDSA-384). In IKEv1 it is also the prf of HASH_I/HASH_R, keyed with SKEYID,
# whatever hash the proposal negotiated: the signed HASH is then a digest of the curve's own
# size. strongSwan's IKEv1 does exactly this (keymat_v1.c's prf_auth); with the negotiated
# prf instead, an ECDSA-256 proposal with SHA-1 signs a 20-byte HASH no such peer verifies.
_ECDSA_PRF = {AuthMethod.ECDSA_256: HashAlgorithm.SHA256,
              AuthMethod.ECDSA_384: HashAlgorithm.SHA384}


def auth_prf(method: AuthMethod, negotiated: HashAlgorithm) -> HashAlgorithm:
    """The prf of HASH_I/HASH_R for `method`: the curve's hash for ECDSA, else the
    negotiated one."""
    return _ECDSA_PRF.get(method, negotiated)


def hash_i(hash_alg: HashAlgorithm, skeyid: bytes, *, gxi: bytes, gxr: bytes, cky_i: bytes,
           cky_r: bytes, sai_b: bytes, idii_b: bytes) -> bytes:
    return prf(hash_alg, skeyid, gxi + gxr + cky_i + cky_r + sai_b + idii_b)


def hash_r(hash_alg: HashAlgorithm, skeyid: bytes, *, gxi: bytes, gxr: bytes, cky_i: bytes,
           cky_r: bytes, sai_b: bytes, idir_b: bytes) -> bytes:
    return prf(hash_alg, skeyid, gxr + gxi + cky_r + cky_i + sai_b + idir_b)


# ---------------------------------------------------------------- CBC


def _cipher(alg: EncryptionAlgorithm, key: bytes, iv: bytes) -> Cipher:
    if alg is EncryptionAlgorithm.TRIPLE_DES_CBC:
        return Cipher(TripleDES(key), modes.CBC(iv))
    return Cipher(algorithms.AES(key), modes.CBC(iv))


def pad(alg: EncryptionAlgorithm, plaintext: bytes) -> bytes:
    """RFC 2409 appendix B: zero bytes, then one byte counting them; always at least one byte."""
    bs = alg.block_size
    zeros = (bs - (len(plaintext) + 1) % bs) % bs
    return plaintext + b"\0" * zeros + bytes([zeros])


def encrypt(alg: EncryptionAlgorithm, key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    enc = _cipher(alg, key, iv).encryptor()
    return enc.update(pad(alg, plaintext)) + enc.finalize()


def decrypt(alg: EncryptionAlgorithm, key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    """The padded plaintext; padding is left for the payload parser to skip (peers differ)."""
    if not ciphertext or len(ciphertext) % alg.block_size:
        raise ValueError(f"ciphertext of {len(ciphertext)} bytes is not whole "
                         f"{alg.block_size}-byte blocks")
    dec = _cipher(alg, key, iv).decryptor()
    return dec.update(ciphertext) + dec.finalize()


# ---------------------------------------------------------------- signatures over HASH_I/R

_PREHASH = {16: hashes.MD5, 20: hashes.SHA1, 32: hashes.SHA256, 48: hashes.SHA384}


def _prehashed(h: bytes) -> utils.Prehashed:
    try:
        return utils.Prehashed(_PREHASH[len(h)]())
    except KeyError:
        raise ValueError(f"no hash of {len(h)} bytes to sign") from None


def _scalar_size(key: PrivateKey | PublicKey) -> int:
    if isinstance(key, dsa.DSAPrivateKey | dsa.DSAPublicKey):
        return (key.parameters().parameter_numbers().q.bit_length() + 7) // 8
    return (key.curve.key_size + 7) // 8


def key_fits(method: AuthMethod, key: PrivateKey | PublicKey) -> bool:
    """Can this key sign/verify for this authentication method? (No key does for pre-shared
    keys.)"""
    if method is AuthMethod.PRE_SHARED_KEY:
        return False
    if method is AuthMethod.RSA_SIGNATURES:
        return isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey)
    if method is AuthMethod.DSS_SIGNATURES:
        return isinstance(key, dsa.DSAPrivateKey | dsa.DSAPublicKey)
    if not isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return False
    wanted = ec.SECP256R1 if method is AuthMethod.ECDSA_256 else ec.SECP384R1
    return isinstance(key.curve, wanted)


def sign_hash(method: AuthMethod, key: PrivateKey, h: bytes) -> bytes:
    """SIG payload data over HASH_I/HASH_R.

    RSA: PKCS#1 v1.5 block type 1 over the raw hash, no DigestInfo (RFC 2409 5.1).
    DSS: r|s, each as long as the subgroup order (20+20 for DSA-1024).
    ECDSA: r|s, each as long as the curve's field (RFC 4754 section 7); the hash bytes are the
    ECDSA digest, the way DSS signs a SHA-1 HASH.
    """
    if not key_fits(method, key):
        raise ValueError(f"a {type(key).__name__} cannot make {method.name} signatures")
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(h, padding.PKCS1v15(), utils.NoDigestInfo())
    # Deterministic nonces (RFC 6979), so that the same topology and seed give the same bytes.
    if isinstance(key, dsa.DSAPrivateKey):
        der = sign_digest(key, h)
    else:
        der = key.sign(h, ec.ECDSA(_prehashed(h), deterministic_signing=True))
    r, s = utils.decode_dss_signature(der)
    size = _scalar_size(key)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def verify_hash(method: AuthMethod, key: PublicKey, h: bytes, signature: bytes) -> bool:
    """True when `signature` is `method`'s signature of `h` by `key`'s private half."""
    if not key_fits(method, key):
        return False
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, h, padding.PKCS1v15(), utils.NoDigestInfo())
            return True
        size = _scalar_size(key)
        if len(signature) != 2 * size:
            return False
        der = utils.encode_dss_signature(int.from_bytes(signature[:size], "big"),
                                         int.from_bytes(signature[size:], "big"))
        if isinstance(key, dsa.DSAPublicKey):
            key.verify(der, h, _prehashed(h))
        else:
            key.verify(der, h, ec.ECDSA(_prehashed(h)))
        return True
    except (InvalidSignature, ValueError):
        return False
