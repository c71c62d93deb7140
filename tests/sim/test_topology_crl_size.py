"""CRLs of realistic size (`crl: {extra-revoked: N}`): N more revoked serials on every CRL a CA
publishes, encoded as DER once and spliced into the signed CRL (pki.crl_der)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509

from pki.crl import ExtraRevoked, RevocationIndex
from pki.hierarchy import CAHierarchy, CASpec
from pki.keys import KeySpec, KeyType
from pki.signing import signature_is_valid

START = dt.datetime(2013, 3, 1, 9, tzinfo=dt.UTC)
KEYS = {"ecdsa": KeySpec(type=KeyType.ECDSA, size=256), "rsa": KeySpec(type=KeyType.RSA,
                                                                       size=1024),
        "dsa": KeySpec(type=KeyType.DSA, size=1024)}


def hierarchy(key: KeySpec, *, start: dt.datetime = START, extra: int = 500,
              digest: str | None = None) -> CAHierarchy:
    h = CAHierarchy([CASpec(name="Root-CA", subject="CN=Root-CA", key=key, digest=digest,
                            crl_urls=("http://192.0.2.10/root.crl",), extra_revoked=extra)],
                    start=start, seed=3)
    for name in ("Host-A", "Host-B"):
        h.issue_end_entity("Root-CA", name, subject=f"CN={name}", key=KEYS["ecdsa"])
    return h


@pytest.mark.parametrize(("key", "digest"), [("ecdsa", None), ("rsa", None), ("rsa", "sha1"),
                                             ("dsa", "sha1")],
                         ids=["ecdsa", "rsa", "rsa-sha1", "dsa-sha1"])
def test_a_padded_crl_is_signed_and_lists_the_real_revocation_first(key, digest):
    h = hierarchy(KEYS[key], digest=digest)
    h.revoke("Host-B", at=START, reason=x509.ReasonFlags.key_compromise)
    crl = h.crl("Root-CA", at=START + dt.timedelta(hours=1))
    assert signature_is_valid(crl, h.certificate("Root-CA").public_key())
    assert crl.signature_hash_algorithm.name == (digest or "sha256")
    assert len(crl) == 501
    index = RevocationIndex(crl)
    host_b = h.certificate("Host-B").serial_number
    assert index.serials()[0] == host_b
    assert index.lookup(host_b).reason is x509.ReasonFlags.key_compromise
    assert index.lookup(h.certificate("Host-A").serial_number) is None
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1


def test_padding_never_lists_a_certificate_the_hierarchy_issued():
    h = hierarchy(KEYS["ecdsa"], extra=5000)
    index = RevocationIndex(h.crl("Root-CA", at=START))
    issued = [h.certificate(name).serial_number for name in ("Root-CA", "Host-A", "Host-B")]
    assert len(index) == 5000
    assert all(index.lookup(serial) is None for serial in issued)
    assert all(serial.bit_length() == 62 for serial in index.serials())  # theirs have 63


def test_the_same_seed_gives_the_same_serials_and_dates_and_bytes():
    first = ExtraRevoked(count=1000, seed="3/Root-CA", date=START)
    again = ExtraRevoked(count=1000, seed="3/Root-CA", date=START)
    other = ExtraRevoked(count=1000, seed="4/Root-CA", date=START)
    assert first.der == again.der and first.serials != other.serials
    assert len(set(first.serials)) == 1000


@pytest.mark.parametrize("year", [2013, 2060], ids=["utc-time", "generalized-time"])
def test_revocation_dates_use_the_time_type_rfc5280_wants(year):
    start = START.replace(year=year)
    crl = hierarchy(KEYS["ecdsa"], start=start, extra=3).crl("Root-CA", at=start)
    assert [entry.revocation_date_utc for entry in crl] == [start] * 3


def test_extra_revoked_must_be_a_count():
    with pytest.raises(ValueError, match="extra_revoked must be a count"):
        CASpec(name="Root-CA", subject="CN=Root-CA", extra_revoked=-1)
