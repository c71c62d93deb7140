"""Phase-1 cryptography against published values: RFC 2409/3526 primes, RFC 5903 ECP test
vectors, RFC 4754 ECDSA signatures, RFC 2202/4231 HMAC, PKCS#1 v1.5 without DigestInfo."""

import hashlib
import random

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from pki.keys import KeySpec, KeyType, generate_key_pair, is_probable_prime
from sim.ike import crypto
from sim.ike.crypto import AuthMethod, DHGroup, EncryptionAlgorithm, HashAlgorithm

# ---------------------------------------------------------------- MODP groups


def _pi_times_2_to(bits: int) -> int:
    """floor(pi * 2^bits) by Machin's formula, in integers."""
    one = 1 << (bits + 64)

    def arctan_inv(x: int) -> int:
        total = term = one // x
        n, sign = 1, -1
        while term:
            term //= x * x
            n += 2
            total += sign * (term // n)
            sign = -sign
        return total

    return (4 * (4 * arctan_inv(5) - arctan_inv(239))) >> 64


@pytest.mark.parametrize(("group", "bits", "k"), [
    (DHGroup.MODP_768, 768, 149686), (DHGroup.MODP_1024, 1024, 129093),
    (DHGroup.MODP_1536, 1536, 741804), (DHGroup.MODP_2048, 2048, 124476)])
def test_modp_prime_is_the_rfc_formula_and_a_safe_prime(group, bits, k):
    p = crypto.MODP_PRIMES[group]
    assert p == 2**bits - 2**(bits - 64) - 1 + 2**64 * (_pi_times_2_to(bits - 130) + k)
    rng = random.Random(0)  # seeded Miller-Rabin witnesses
    assert is_probable_prime(p, rng, rounds=4) and is_probable_prime((p - 1) // 2, rng, rounds=4)


@pytest.mark.parametrize("group", list(DHGroup), ids=lambda g: g.name)
def test_dh_both_sides_agree(group):
    a = crypto.DHPrivate(group, rng=random.Random(1))
    b = crypto.DHPrivate(group, rng=random.Random(2))
    assert len(a.public) == group.ke_size
    shared = a.shared_secret(b.public)
    assert shared == b.shared_secret(a.public)
    assert len(shared) == (group.ke_size // 2 if group.is_ecp else group.ke_size)


def test_modp_public_value_is_g_to_the_x():
    x = 0x1234567890ABCDEF << 200
    mine = crypto.DHPrivate(DHGroup.MODP_1024, private_value=x)
    assert int.from_bytes(mine.public, "big") == pow(2, x, crypto.MODP_PRIMES[DHGroup.MODP_1024])


def test_dh_values_follow_the_seed():
    one = crypto.DHPrivate(DHGroup.MODP_2048, rng=random.Random(7)).public
    assert crypto.DHPrivate(DHGroup.MODP_2048, rng=random.Random(7)).public == one
    assert crypto.DHPrivate(DHGroup.MODP_2048, rng=random.Random(8)).public != one


# RFC 5903 section 8.1 (256-bit) and 8.2 (384-bit): i, g^i = x|y, r, g^r = x|y, g^ir x.
RFC5903 = {
    DHGroup.ECP_256: (
        "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
        "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"
        "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3",
        "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53",
        "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
        "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB",
        "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE"),
    DHGroup.ECP_384: (
        "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655"
        "E35B538041E649EE3FAEF896783AB194",
        "667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6"
        "DE3AC808ACB4BDB4C88732AEE95F41AA9482ED1FC0EEB9CAFC4984625CCFC23F"
        "65032149E0E144ADA024181535A0F38EEB9FCFF3C2C947DAE69B4C634573A81C",
        "41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942"
        "E0308312916B8ED2960E4BD55A7448FC",
        "E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D"
        "0D1AC43A0336DEF96FDA41D0774A3571DCFBEC7AACF3196472169E838430367F"
        "66EEBE3C6E70C416DD5F0C68759DD1FFF83FA40142209DFF5EAAD96DB9E6386C",
        "11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4"
        "D603135569B9E9D09CF5D4A270F59746"),
}


@pytest.mark.parametrize("group", list(RFC5903), ids=lambda g: g.name)
def test_rfc5903_test_vectors(group):
    i, gi, r, gr, shared = RFC5903[group]
    initiator = crypto.DHPrivate(group, private_value=int(i, 16))
    responder = crypto.DHPrivate(group, private_value=int(r, 16))
    assert initiator.public.hex().upper() == gi
    assert responder.public.hex().upper() == gr
    assert initiator.shared_secret(bytes.fromhex(gr)).hex().upper() == shared
    assert responder.shared_secret(bytes.fromhex(gi)).hex().upper() == shared


@pytest.mark.parametrize(("group", "ke"), [
    (DHGroup.MODP_1024, b"\1" * 127),
    (DHGroup.MODP_1024, (1).to_bytes(128, "big")),
    (DHGroup.ECP_256, b"\1" * 64)])
def test_bad_peer_ke_is_refused(group, ke):
    with pytest.raises(crypto.InvalidKeyExchange):
        crypto.DHPrivate(group, rng=random.Random(1)).shared_secret(ke)


# ---------------------------------------------------------------- prf and keys


@pytest.mark.parametrize(("alg", "mac"), [
    (HashAlgorithm.MD5, "750c783e6ab0b503eaa86e310a5db738"),              # RFC 2202 case 2
    (HashAlgorithm.SHA1, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),     # RFC 2202 case 2
    (HashAlgorithm.SHA256,                                                 # RFC 4231 case 2
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")])
def test_prf_is_hmac(alg, mac):
    assert crypto.prf(alg, b"Jefe", b"what do ya want for nothing?").hex() == mac


def _keys(hash_alg, cipher):
    return crypto.derive_keys(hash_alg=hash_alg, cipher=cipher, ni_b=b"i" * 16, nr_b=b"r" * 16,
                              gxy=b"z" * 128, gxi=b"a" * 128, gxr=b"b" * 128, cky_i=b"I" * 8,
                              cky_r=b"R" * 8)


def test_skeyid_chain_follows_rfc2409():
    keys = _keys(HashAlgorithm.SHA1, EncryptionAlgorithm.TRIPLE_DES_CBC)
    prf = crypto.prf
    skeyid = prf(HashAlgorithm.SHA1, b"i" * 16 + b"r" * 16, b"z" * 128)
    tail = b"z" * 128 + b"I" * 8 + b"R" * 8
    d = prf(HashAlgorithm.SHA1, skeyid, tail + b"\0")
    a = prf(HashAlgorithm.SHA1, skeyid, d + tail + b"\1")
    assert (keys.skeyid, keys.skeyid_d, keys.skeyid_a) == (skeyid, d, a)
    assert keys.iv == crypto.plain_hash(HashAlgorithm.SHA1, b"a" * 128 + b"b" * 128)[:8]


def test_short_skeyid_e_is_extended():
    keys = _keys(HashAlgorithm.SHA1, EncryptionAlgorithm.AES_256_CBC)
    k1 = crypto.prf(HashAlgorithm.SHA1, keys.skeyid_e, b"\0")
    k2 = crypto.prf(HashAlgorithm.SHA1, keys.skeyid_e, k1)
    assert keys.enc_key == (k1 + k2)[:32]
    long_enough = _keys(HashAlgorithm.SHA256, EncryptionAlgorithm.TRIPLE_DES_CBC)
    assert long_enough.enc_key == long_enough.skeyid_e[:24]


# ---------------------------------------------------------------- CBC


@pytest.mark.parametrize("cipher", list(EncryptionAlgorithm), ids=lambda c: c.name)
@pytest.mark.parametrize("size", [0, 7, 15, 16, 33])
def test_cbc_round_trip_with_rfc2409_padding(cipher, size):
    key, iv = bytes(range(cipher.key_size)), b"\x42" * cipher.block_size
    plaintext = bytes(range(size))
    ciphertext = crypto.encrypt(cipher, key, iv, plaintext)
    assert len(ciphertext) % cipher.block_size == 0 and len(ciphertext) > size
    padded = crypto.decrypt(cipher, key, iv, ciphertext)
    assert padded[:size] == plaintext
    assert padded[-1] == len(padded) - size - 1 and set(padded[size:-1]) <= {0}


def test_decrypt_refuses_partial_blocks():
    with pytest.raises(ValueError, match="whole"):
        crypto.decrypt(EncryptionAlgorithm.AES_128_CBC, b"k" * 16, b"i" * 16, b"x" * 20)


# ---------------------------------------------------------------- signatures


# RFC 4754 section 8: private w, signature r|s over SHA-2("abc").
RFC4754 = {
    AuthMethod.ECDSA_256: (
        ec.SECP256R1, "DC51D3866A15BACDE33D96F992FCA99DA7E6EF0934E7097559C27F1614C88A7F",
        "CB28E0999B9C7715FD0A80D8E47A77079716CBBF917DD72E97566EA1C066957C"
        "86FA3BB4E26CAD5BF90B7F81899256CE7594BB1EA0C89212748BFF3B3D5B0315", "sha256"),
    AuthMethod.ECDSA_384: (
        ec.SECP384R1, "0BEB646634BA87735D77AE4809A0EBEA865535DE4C1E1DCB692E84708E81A5AF"
        "62E528C38B2A81B35309668D73524D9F",
        "FB017B914E29149432D8BAC29A514640B46F53DDAB2C69948084E2930F1C8F7E"
        "08E07C9C63F2D21A07DCB56A6AF56EB3B263A1305E057F984D38726A1B468741"
        "09F417BCA112674C528262A40A629AF1CBB9F516CE0FA7D2FF630863A00E8B9F", "sha384"),
}


@pytest.mark.parametrize("method", list(RFC4754), ids=lambda m: m.name)
def test_rfc4754_signatures_verify(method):
    import hashlib

    curve, w, sig, hash_name = RFC4754[method]
    public = ec.derive_private_key(int(w, 16), curve()).public_key()
    h = hashlib.new(hash_name, b"abc").digest()
    assert crypto.verify_hash(method, public, h, bytes.fromhex(sig))
    tampered = bytearray.fromhex(sig)
    tampered[-1] ^= 1
    assert not crypto.verify_hash(method, public, h, bytes(tampered))


@pytest.fixture(scope="module")
def keys():
    return {
        AuthMethod.RSA_SIGNATURES: generate_key_pair(KeySpec(type=KeyType.RSA), seed="sig"),
        AuthMethod.DSS_SIGNATURES: generate_key_pair(KeySpec(type=KeyType.DSA), seed="sig"),
        AuthMethod.ECDSA_256: generate_key_pair(KeySpec(type=KeyType.ECDSA, size=256), seed=1),
        AuthMethod.ECDSA_384: generate_key_pair(KeySpec(type=KeyType.ECDSA, size=384), seed=1),
    }


@pytest.mark.parametrize(("method", "sig_len"), [
    (AuthMethod.RSA_SIGNATURES, 128), (AuthMethod.DSS_SIGNATURES, 40),
    (AuthMethod.ECDSA_256, 64), (AuthMethod.ECDSA_384, 96)], ids=lambda v: str(v))
@pytest.mark.parametrize("hash_alg", [HashAlgorithm.SHA1, HashAlgorithm.SHA256])
def test_sign_and_verify_hash(keys, method, sig_len, hash_alg):
    h = crypto.prf(hash_alg, b"skeyid", b"material")
    sig = crypto.sign_hash(method, keys[method], h)
    assert len(sig) == sig_len
    assert crypto.verify_hash(method, keys[method].public_key(), h, sig)
    assert not crypto.verify_hash(method, keys[method].public_key(), h[::-1], sig)


def test_rsa_signature_has_no_digest_info(keys):
    key = keys[AuthMethod.RSA_SIGNATURES]
    h = bytes(range(20))
    sig = crypto.sign_hash(AuthMethod.RSA_SIGNATURES, key, h)
    n = key.public_key().public_numbers()
    block = pow(int.from_bytes(sig, "big"), n.e, n.n).to_bytes(128, "big")
    assert block == b"\0\1" + b"\xff" * (128 - 3 - 20) + b"\0" + h


def test_key_must_fit_the_method(keys):
    with pytest.raises(ValueError, match="cannot make RSA_SIGNATURES"):
        crypto.sign_hash(AuthMethod.RSA_SIGNATURES, keys[AuthMethod.ECDSA_256], b"h" * 20)
    assert not crypto.verify_hash(AuthMethod.ECDSA_384, keys[AuthMethod.ECDSA_256].public_key(),
                                  b"h" * 32, b"s" * 96)


def test_hash_i_and_hash_r_order_their_inputs_as_rfc2409():
    alg, k = HashAlgorithm.SHA1, b"skeyid"
    parts = dict(gxi=b"GI", gxr=b"GR", cky_i=b"CI" * 4, cky_r=b"CR" * 4, sai_b=b"SA")
    assert crypto.hash_i(alg, k, idii_b=b"ID", **parts) == crypto.prf(
        alg, k, b"GI" + b"GR" + b"CI" * 4 + b"CR" * 4 + b"SA" + b"ID")
    assert crypto.hash_r(alg, k, idir_b=b"ID", **parts) == crypto.prf(
        alg, k, b"GR" + b"GI" + b"CR" * 4 + b"CI" * 4 + b"SA" + b"ID")


@pytest.mark.parametrize(("kind", "method"), [
    (KeySpec(type=KeyType.DSA, size=1024), AuthMethod.DSS_SIGNATURES),
    (KeySpec(type=KeyType.ECDSA, size=256), AuthMethod.ECDSA_256),
], ids=["dsa", "ecdsa"])
def test_dsa_and_ecdsa_ike_signatures_repeat(kind, method):
    key = generate_key_pair(kind, seed="rfc6979-ike")
    h = hashlib.sha1(b"HASH_I").digest()
    signature = crypto.sign_hash(method, key, h)
    assert crypto.sign_hash(method, key, h) == signature  # RFC 6979 nonces: runs repeat
    assert crypto.verify_hash(method, key.public_key(), h, signature)
