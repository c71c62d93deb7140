import pytest
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

from pki.keys import KeySpec, KeyType, generate_key_pair, key_spec_of


def test_default_is_rsa_1024_as_junos():
    assert KeySpec() == KeySpec(type=KeyType.RSA, size=1024)
    key = generate_key_pair(seed="default")
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 1024


@pytest.mark.parametrize(
    ("spec", "cls", "bits"),
    [
        (KeySpec(type=KeyType.RSA, size=512), rsa.RSAPrivateKey, 512),
        (KeySpec(type=KeyType.DSA, size=1024), dsa.DSAPrivateKey, 1024),
        (KeySpec(type=KeyType.ECDSA, size=256), ec.EllipticCurvePrivateKey, 256),
        (KeySpec(type=KeyType.ECDSA, size=384), ec.EllipticCurvePrivateKey, 384),
    ],
    ids=["rsa512", "dsa1024", "p256", "p384"],
)
def test_each_kind_generates_and_reports_its_spec(spec, cls, bits):
    key = generate_key_pair(spec, seed=7)
    assert isinstance(key, cls)
    assert key.key_size == bits if not isinstance(key, ec.EllipticCurvePrivateKey) \
        else key.curve.key_size == bits
    assert key_spec_of(key) == spec
    assert key_spec_of(key.public_key()) == spec


@pytest.mark.parametrize(
    ("kind", "size"),
    [(KeyType.RSA, 768), (KeyType.RSA, 3072), (KeyType.DSA, 512), (KeyType.ECDSA, 521)],
)
def test_sizes_junos_does_not_offer_are_refused(kind, size):
    with pytest.raises(ValueError, match=f"size {size}: a {kind.value} key pair must be one of"):
        KeySpec(type=kind, size=size)


def test_same_seed_same_key_other_seed_other_key():
    spec = KeySpec(type=KeyType.RSA, size=512)
    a, b, c = (generate_key_pair(spec, seed=s) for s in ("x", "x", "y"))
    assert a.private_numbers() == b.private_numbers()
    assert a.private_numbers() != c.private_numbers()


def test_seeded_rsa_key_signs_and_verifies():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = generate_key_pair(KeySpec(type=KeyType.RSA, size=1024), seed=3)
    sig = key.sign(b"phase-1", padding.PKCS1v15(), hashes.SHA256())
    key.public_key().verify(sig, b"phase-1", padding.PKCS1v15(), hashes.SHA256())
    assert key.public_key().public_numbers().n.bit_length() == 1024


def test_unseeded_keys_differ():
    spec = KeySpec(type=KeyType.ECDSA, size=256)
    assert generate_key_pair(spec).private_numbers() != generate_key_pair(spec).private_numbers()
