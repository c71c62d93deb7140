"""pki.cms: the SignedData and EnvelopedData SCEP needs, written and read back, and every way
a damaged one is refused in one CmsError line."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes

from pki import cms, cms_envelope, der
from pki.keys import KeySpec, KeyType, generate_key_pair

from .scep_pki import hierarchy

ATTRIBUTE = cms.attribute(der.encode_oid("2.16.840.1.113733.1.9.7"),
                          der.encode(der.PRINTABLE_STRING, b"ABC"))


@pytest.fixture(scope="module")
def pki():
    return hierarchy()


def _signed(pki, content=b"content", algorithm=None):
    return cms.sign(content=content, attributes=[ATTRIBUTE],
                    certificate=pki.certificate("Eng-CA"), key=pki.key("Eng-CA"),
                    algorithm=algorithm or hashes.SHA256())


@pytest.mark.parametrize("algorithm", [hashes.SHA256(), hashes.SHA1()])
def test_signed_data_round_trip(pki, algorithm):
    signed = cms.read_signed(_signed(pki, algorithm=algorithm), what="test")
    assert signed.content == b"content"
    assert signed.signer == pki.certificate("Eng-CA")
    oid = der.encode_oid("2.16.840.1.113733.1.9.7")
    assert signed.attributes[oid].content == b"ABC"


def test_signer_must_be_the_one_expected(pki):
    with pytest.raises(cms.CmsError, match="^test: signed by a certificate other than the "
                                           "CA's$"):
        cms.read_signed(_signed(pki), what="test", signer=pki.certificate("Root-CA"))


def test_changed_content_fails_the_message_digest(pki):
    data = _signed(pki, content=b"content")
    tampered = data.replace(b"content", b"CONTENT")
    with pytest.raises(cms.CmsError, match="^test: messageDigest does not match the content$"):
        cms.read_signed(tampered, what="test")


def test_changed_attributes_fail_the_signature(pki):
    tampered = _signed(pki).replace(b"\x13\x03ABC", b"\x13\x03XYZ")
    with pytest.raises(cms.CmsError, match="^test: signature does not verify$"):
        cms.read_signed(tampered, what="test")


def test_rsa_only(pki):
    ec = generate_key_pair(KeySpec(type=KeyType.ECDSA, size=256), seed="x")
    with pytest.raises(cms.CmsError, match="RSA keys only"):
        cms.sign(content=b"", attributes=[], certificate=pki.certificate("Eng-CA"), key=ec,
                 algorithm=hashes.SHA256())


def test_certs_only_keeps_the_order(pki):
    chain = (pki.certificate("Eng-CA"), pki.certificate("Root-CA"))
    assert cms.read_certs_only(cms.certs_only(chain)) == chain
    assert cms.read_certs_only(cms.certs_only(chain[::-1])) == chain[::-1]


def test_a_signed_message_is_not_certs_only(pki):
    with pytest.raises(cms.CmsError, match="has content or a signer"):
        cms.read_certs_only(_signed(pki))


@pytest.mark.parametrize("cipher", [cms_envelope.AES_128_CBC, cms_envelope.DES_EDE3_CBC])
def test_envelope_round_trip_and_determinism(pki, cipher):
    recipient = pki.certificate("Eng-CA")
    sealed = cms_envelope.envelope(b"secret" * 10, recipient=recipient, cipher=cipher, seed=b"s")
    assert sealed == cms_envelope.envelope(b"secret" * 10, recipient=recipient, cipher=cipher,
                                           seed=b"s")
    assert sealed != cms_envelope.envelope(b"secret" * 10, recipient=recipient, cipher=cipher,
                                           seed=b"t")
    assert cms_envelope.open_envelope(sealed, certificate=recipient, key=pki.key("Eng-CA")) \
        == b"secret" * 10


def test_envelope_for_someone_else(pki):
    sealed = cms_envelope.envelope(b"x", recipient=pki.certificate("Eng-CA"),
                                   cipher=cms_envelope.AES_128_CBC, seed=b"s")
    with pytest.raises(cms.CmsError, match="^envelope: not encrypted to this certificate$"):
        cms_envelope.open_envelope(sealed, certificate=pki.certificate("Root-CA"),
                          key=pki.key("Root-CA"))


def test_envelope_with_the_wrong_key(pki):
    sealed = cms_envelope.envelope(b"x", recipient=pki.certificate("Eng-CA"),
                                   cipher=cms_envelope.AES_128_CBC, seed=b"s")
    with pytest.raises(cms.CmsError, match="^envelope: "):
        cms_envelope.open_envelope(sealed, certificate=pki.certificate("Eng-CA"),
                          key=pki.key("Root-CA"))


def test_oversized_message_is_refused_unread():
    with pytest.raises(cms.CmsError, match=r"^test: 65537 bytes, more than the 65536 allowed$"):
        cms.read_signed(b"\x30" * (cms.MAX_MESSAGE + 1), what="test")
