"""One ESP packet (RFC 4303 section 2), tunnel mode, CBC ciphers (RFC 2451, RFC 3602) and HMAC
ICVs truncated as the algorithm's name says (RFC 2403, 2404, 4868):

    SPI (4) | Sequence Number (4) | IV (one cipher block) | ciphertext | ICV
    ciphertext = CBC(inner packet | padding 1, 2, 3, ... | pad length (1) | next header (1))

The ICV covers everything before it. Opening is in three steps a receiver takes in order (the
header, the ICV, then decryption), so that the anti-replay check can sit between the first two
as RFC 4303 3.4.3 orders it, and each failure is its own exception: each is its own counter in
`show security ipsec statistics`.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from sim.ike.ipsec_proposals import EspAuthentication, EspEncryption

NEXT_HEADER_IPV4 = 4  # IP-in-IP: tunnel mode carries a whole IPv4 packet
NEXT_HEADER_IPV6 = 41
HEADER_SIZE = 8
MAX_PACKET = 65535 - 20  # what one IPv4 datagram can carry after its own header

_BLOCK = {EspEncryption.TRIPLE_DES_CBC: 8, EspEncryption.AES_128_CBC: 16,
          EspEncryption.AES_192_CBC: 16, EspEncryption.AES_256_CBC: 16}
# (hash, ICV bytes): hmac-md5-96 and hmac-sha1-96 keep 96 bits, hmac-sha-256-128 128 bits.
_ICV = {EspAuthentication.HMAC_MD5_96: (hashlib.md5, 12),
        EspAuthentication.HMAC_SHA1_96: (hashlib.sha1, 12),
        EspAuthentication.HMAC_SHA_256_128: (hashlib.sha256, 16)}


class EspError(ValueError):
    """A received ESP packet refused; the subclass says which counter it goes to."""


class BadHeader(EspError):
    """Too short for its header, IV, one block and ICV, or not whole cipher blocks."""


class IcvFailure(EspError):
    """The ICV does not match: damaged or forged on the way ("ESP authentication failures")."""


class DecryptionFailure(EspError):
    """Authenticated, but the decrypted trailer cannot be (its pad length overruns it)."""


class BadTrailer(EspError):
    """Authenticated and decrypted, but the padding or the next header is wrong."""


@dataclass(frozen=True, kw_only=True)
class EspSuite:
    """One direction's algorithms and keys, as Quick Mode's KEYMAT cut them."""

    encryption: EspEncryption
    authentication: EspAuthentication
    encryption_key: bytes
    authentication_key: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.encryption, EspEncryption) or not isinstance(
                self.authentication, EspAuthentication):
            raise TypeError("encryption must be an EspEncryption, authentication an "
                            "EspAuthentication")
        if len(self.encryption_key) != self.encryption.key_size:
            raise ValueError(f"{self.encryption.name}: a {self.encryption.key_size}-byte key, "
                             f"not {len(self.encryption_key)}")
        if len(self.authentication_key) != self.authentication.key_size:
            raise ValueError(f"{self.authentication.name}: a {self.authentication.key_size}-byte "
                             f"key, not {len(self.authentication_key)}")

    @property
    def block_size(self) -> int:
        return _BLOCK[self.encryption]

    @property
    def icv_size(self) -> int:
        return _ICV[self.authentication][1]

    def icv(self, data: bytes) -> bytes:
        digest, size = _ICV[self.authentication]
        return hmac.new(self.authentication_key, data, digest).digest()[:size]

    def cipher(self, iv: bytes) -> Cipher:
        if self.encryption is EspEncryption.TRIPLE_DES_CBC:
            return Cipher(TripleDES(self.encryption_key), modes.CBC(iv))
        return Cipher(algorithms.AES(self.encryption_key), modes.CBC(iv))

    def overhead(self, inner_size: int) -> int:
        """Bytes ESP adds to an inner packet of `inner_size` bytes (header, IV, padding,
        trailer, ICV): what a sender subtracts from the path MTU."""
        padded = -(-(inner_size + 2) // self.block_size) * self.block_size
        return HEADER_SIZE + self.block_size + padded - inner_size + self.icv_size


def seal(suite: EspSuite, *, spi: int, seq: int, iv: bytes, inner: bytes,
         next_header: int = NEXT_HEADER_IPV4) -> bytes:
    """The ESP packet carrying `inner` (a whole IP packet), with the padding RFC 4303 2.4
    defines by default (1, 2, 3, ...)."""
    if not 0 < spi <= 0xFFFFFFFF or not 0 < seq <= 0xFFFFFFFF:
        raise ValueError(f"SPI {spi} and sequence number {seq}: 1..2^32-1")
    if len(iv) != suite.block_size:
        raise ValueError(f"IV of {len(iv)} bytes: {suite.block_size} needed")
    if len(inner) + suite.overhead(len(inner)) > MAX_PACKET:
        raise ValueError(f"inner packet of {len(inner)} bytes: too large for one ESP packet")
    pad = (-(len(inner) + 2)) % suite.block_size
    plaintext = inner + bytes(range(1, pad + 1)) + bytes([pad, next_header])
    encryptor = suite.cipher(iv).encryptor()
    body = struct.pack("!II", spi, seq) + iv + encryptor.update(plaintext) + encryptor.finalize()
    return body + suite.icv(body)


def header(packet: bytes) -> tuple[int, int]:
    """(SPI, sequence number) of a received packet: all a receiver reads before the ICV."""
    if len(packet) < HEADER_SIZE:
        raise BadHeader(f"{len(packet)} bytes: shorter than the ESP header")
    spi, seq = struct.unpack_from("!II", packet)
    return spi, seq


def verify(suite: EspSuite, packet: bytes) -> None:
    """Check the packet's size and its ICV (in constant time)."""
    block, icv_size = suite.block_size, suite.icv_size
    body_size = len(packet) - HEADER_SIZE - block - icv_size
    if body_size < block or body_size % block:
        raise BadHeader(f"{len(packet)} bytes: not header, IV, whole {block}-byte blocks and "
                        f"a {icv_size}-byte ICV")
    body, icv = packet[:-icv_size], packet[-icv_size:]
    if not hmac.compare_digest(suite.icv(body), icv):
        raise IcvFailure("ICV mismatch")


def decrypt(suite: EspSuite, packet: bytes) -> tuple[int, bytes]:
    """(next header, inner packet) of a packet `verify` accepted."""
    block = suite.block_size
    iv = packet[HEADER_SIZE:HEADER_SIZE + block]
    ciphertext = packet[HEADER_SIZE + block:len(packet) - suite.icv_size]
    decryptor = suite.cipher(iv).decryptor()
    plaintext = decryptor.update(ciphertext) + decryptor.finalize()
    pad, next_header = plaintext[-2], plaintext[-1]
    if pad + 2 > len(plaintext):
        raise DecryptionFailure(f"pad length {pad} overruns {len(plaintext)} bytes")
    inner = plaintext[:len(plaintext) - 2 - pad]
    if plaintext[len(inner):-2] != bytes(range(1, pad + 1)):
        raise BadTrailer("padding is not 1, 2, 3, ...")
    if next_header not in (NEXT_HEADER_IPV4, NEXT_HEADER_IPV6):
        raise BadTrailer(f"next header {next_header}: tunnel mode carries IPv4 (4) or IPv6 "
                         "(41)")
    return next_header, inner
