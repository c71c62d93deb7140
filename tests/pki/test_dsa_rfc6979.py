"""Deterministic DSA (RFC 6979): the RFC's own test vectors, and the same bytes for the same
key and message where pki signs with DSA (certificates, CRLs), so that runs repeat byte for
byte."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, utils
from cryptography.hazmat.primitives.serialization import Encoding

from pki.dsa_rfc6979 import sign_digest
from pki.keys import KeySpec, KeyType, generate_key_pair
from pki.signing import sign

# RFC 6979 A.2.1, DSA with a 1024-bit p and a 160-bit q.
P = int("86F5CA03DCFEB225063FF830A0C769B9DD9D6153AD91D7CE27F787C43278B447E6533B86B18BED6E8A"
        "48B784A14C252C5BE0DBF60B86D6385BD2F12FB763ED8873ABFD3F5BA2E0A8C0A59082EAC056935E52"
        "9DAF7C610467899C77ADEDFC846C881870B7B19B2B58F9BE0521A17002E3BDD6B86685EE90B3D9A1B0"
        "2B782B1779", 16)
Q = int("996F967F6C8E388D9E28D01E205FBA957A5698B1", 16)
G = int("07B0F92546150B62514BB771E2A0C0CE387F03BDA6C56B505209FF25FD3C133D89BBCD97E904E091"
        "14D9A7DEFDEADFC9078EA544D2E401AEECC40BB9FBBF78FD87995A10A1C27CB7789B594BA7EFB5C432"
        "6A9FE59A070E136DB77175464ADCA417BE5DCE2F40D10A46A3A3943F26AB7FD9C0398FF8C76EE0A568"
        "26A8A88F1DBD", 16)
X = int("411602CB19A6CCC34494D79D98EF1E7ED5AF25F7", 16)
RFC_KEY = dsa.DSAPrivateNumbers(X, dsa.DSAPublicNumbers(
    pow(G, X, P), dsa.DSAParameterNumbers(P, Q, G))).private_key()


@pytest.mark.parametrize(("message", "hash_name", "r", "s"), [
    (b"sample", "sha1", "2E1A0C2562B2912CAAF89186FB0F42001585DA55",
     "29EFB6B0AFF2D7A68EB70CA313022253B9A88DF5"),
    (b"sample", "sha256", "81F2F5850BE5BC123C43F71A3033E9384611C545",
     "4CDD914B65EB6C66A8AAAD27299BEE6B035F5E89"),
    (b"test", "sha1", "42AB2052FD43E123F0607F115052A67DCD9C5C77",
     "183916B0230D45B9931491D4C6B0BD2FB4AAF088"),
    (b"test", "sha512", "8EA47E475BA8AC6F2D821DA3BD212D11A3DEB9A0",
     "7C670C7AD72B6C050C109E1790008097125433E8"),
])
def test_the_rfc_6979_vectors(message, hash_name, r, s):
    signature = sign_digest(RFC_KEY, hashlib.new(hash_name, message).digest(), hash_name)
    assert utils.decode_dss_signature(signature) == (int(r, 16), int(s, 16))
    RFC_KEY.public_key().verify(signature, message, getattr(hashes, hash_name.upper())())


def _certificate(key, digest) -> bytes:
    name = x509.Name.from_rfc4514_string("CN=DSA-CA")
    start = dt.datetime(2012, 9, 17, tzinfo=dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .public_key(key.public_key()).serial_number(1).not_valid_before(start)
               .not_valid_after(start + dt.timedelta(days=1)))
    return sign(builder, key, digest).public_bytes(Encoding.DER)


@pytest.mark.parametrize("digest", [hashes.SHA1(), hashes.SHA256()], ids=["sha1", "sha256"])
def test_a_dsa_certificate_is_signed_the_same_twice(digest):
    key = generate_key_pair(KeySpec(type=KeyType.DSA, size=1024), seed="rfc6979")
    first = _certificate(key, digest)
    assert _certificate(key, digest) == first
    cert = x509.load_der_x509_certificate(first)
    key.public_key().verify(cert.signature, cert.tbs_certificate_bytes, digest)
