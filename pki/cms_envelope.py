"""EnvelopedData (RFC 5652 section 6) to one RSA recipient, as SCEP uses it: the content in
AES-128-CBC or DES-EDE3-CBC under a fresh key, that key encrypted to the recipient's
certificate (KeyTransRecipientInfo v0, issuerAndSerialNumber, rsaEncryption).

Determinism: the content-encryption key, the IV and the PKCS#1 v1.5 padding of the key
transport come from a caller's seed, so one run always writes the same bytes. `cryptography`
pads with fresh random bytes and offers no way to pass them, so the key transport is the RSA
primitive (m^e mod n) over a block padded here as RFC 8017 7.2.1 says; decryption and the
ciphers are `cryptography`'s. Reading is as strict as pki.cms's, every failure one CmsError.
"""

from __future__ import annotations

import hashlib
import os

from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from pki import der
from pki.cms import (
    _RSA_ENCRYPTION,
    _RSA_OID,
    ID_DATA,
    ID_ENVELOPED_DATA,
    CmsError,
    _children,
    _content,
    _content_info,
    _integer,
    _octets,
    _seq,
    issuer_and_serial,
)

__all__ = ["AES_128_CBC", "DES_EDE3_CBC", "envelope", "open_envelope"]

AES_128_CBC = "aes128-cbc"
DES_EDE3_CBC = "des-ede3-cbc"
_CIPHER_OIDS = {
    AES_128_CBC: der.encode_oid("2.16.840.1.101.3.4.1.2"),
    DES_EDE3_CBC: der.encode_oid("1.2.840.113549.3.7"),
}
_KEY_SIZES = {AES_128_CBC: 16, DES_EDE3_CBC: 24}
_BLOCK_SIZES = {AES_128_CBC: 16, DES_EDE3_CBC: 8}


def _pad_pkcs1(message: bytes, size: int, seed: bytes) -> int:
    """The RFC 8017 7.2.1 encryption block 00 02 PS 00 M, PS non-zero bytes from `seed`."""
    length = size - len(message) - 3
    if length < 8:
        raise CmsError("the recipient's RSA key is too small for the content key")
    filler = bytearray()
    counter = 0
    while len(filler) < length:
        filler.extend(b for b in hashlib.sha256(seed + counter.to_bytes(4, "big")).digest() if b)
        counter += 1
    return int.from_bytes(b"\x00\x02" + bytes(filler[:length]) + b"\x00" + message, "big")


def envelope(content: bytes, *, recipient: x509.Certificate, cipher: str,
             seed: bytes | None = None) -> bytes:
    """A ContentInfo holding EnvelopedData: `content` in `cipher` under a fresh key, that key
    encrypted to `recipient`'s RSA key. With `seed`, key, IV and padding derive from it."""
    if cipher not in _CIPHER_OIDS:
        raise CmsError(f"cipher {cipher!r}: one of {', '.join(_CIPHER_OIDS)}")
    public = recipient.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise CmsError("SCEP envelopes are encrypted to RSA keys only")
    material = os.urandom(64) if seed is None else hashlib.sha512(b"cms/" + seed).digest()
    cek, iv = material[:_KEY_SIZES[cipher]], material[40:40 + _BLOCK_SIZES[cipher]]
    numbers = public.public_numbers()
    size = (public.key_size + 7) // 8
    block = _pad_pkcs1(cek, size, material)
    encrypted_key = pow(block, numbers.e, numbers.n).to_bytes(size, "big")
    recipient_info = _seq(der.encode_integer(0), issuer_and_serial(recipient), _RSA_ENCRYPTION,
                          der.encode(der.OCTET_STRING, encrypted_key))
    algorithm = _seq(_CIPHER_OIDS[cipher], der.encode(der.OCTET_STRING, iv))
    encrypted_content = _seq(ID_DATA, algorithm,
                             der.encode(0x80, _crypt(cipher, cek, iv, content, encrypt=True)))
    enveloped = _seq(der.encode_integer(0), der.encode_set([recipient_info]), encrypted_content)
    return _content_info(ID_ENVELOPED_DATA, enveloped)


def _crypt(cipher: str, key: bytes, iv: bytes, data: bytes, *, encrypt: bool) -> bytes:
    block = _BLOCK_SIZES[cipher]
    engine = Cipher(algorithms.AES(key) if cipher == AES_128_CBC else TripleDES(key),
                    modes.CBC(iv))
    if encrypt:
        padder = padding.PKCS7(block * 8).padder()
        plain = padder.update(data) + padder.finalize()
        encryptor = engine.encryptor()
        return encryptor.update(plain) + encryptor.finalize()
    if not data or len(data) % block:
        raise CmsError("encrypted content is not a whole number of cipher blocks")
    decryptor = engine.decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(block * 8).unpadder()
    try:
        return unpadder.update(plain) + unpadder.finalize()
    except ValueError:
        raise CmsError("encrypted content does not decrypt (wrong key or damaged)") from None



def open_envelope(data: bytes, *, certificate: x509.Certificate,
                  key: rsa.RSAPrivateKey) -> bytes:
    """The content of an EnvelopedData addressed to `certificate`, decrypted with `key`."""
    what = "envelope"
    fields = _children(_content(data, ID_ENVELOPED_DATA, what), what, (3, 3))
    if _integer(fields[0], "envelope version") != 0:
        raise CmsError("envelope: EnvelopedData version is not 0")
    recipients = _children(fields[1], "envelope recipients", (1, 4), der.SET)
    mine = issuer_and_serial(certificate)
    for recipient in recipients:
        parts = _children(recipient, "envelope recipient", (4, 4))
        if parts[1].encoding == mine:
            break
    else:
        raise CmsError("envelope: not encrypted to this certificate")
    if _integer(parts[0], "envelope recipient version") != 0 \
            or _children(parts[2], "key encryption algorithm", (1, 2))[0].encoding \
            != _RSA_OID:
        raise CmsError("envelope: key transport is not RSA (KeyTransRecipientInfo v0)")
    try:
        cek = key.decrypt(_octets(parts[3], "envelope key"), rsa_padding.PKCS1v15())
    except ValueError:
        raise CmsError("envelope: the content key does not decrypt") from None
    content_type, algorithm, encrypted = _children(fields[2], "envelope content", (3, 3))
    if content_type.encoding != ID_DATA:
        raise CmsError("envelope: encrypted content is not id-data")
    oid, iv = _children(algorithm, "content encryption algorithm", (2, 2))
    cipher = next((name for name, known in _CIPHER_OIDS.items() if known == oid.encoding), None)
    if cipher is None:
        raise CmsError("envelope: content cipher is not AES-128-CBC or DES-EDE3-CBC")
    iv_bytes = _octets(iv, "envelope IV")
    if len(cek) != _KEY_SIZES[cipher] or len(iv_bytes) != _BLOCK_SIZES[cipher]:
        raise CmsError("envelope: content key or IV of the wrong size")
    if encrypted.tag != 0x80:
        raise CmsError("envelope: encrypted content missing")
    return _crypt(cipher, cek, iv_bytes, encrypted.content, encrypt=False)
