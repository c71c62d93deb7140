import datetime as dt
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pki.crl import Revocation, RevocationIndex, build_crl, crl_number_of
from tests.openssl import needs_openssl


def _revocations(start, n):
    return [Revocation(serial=1000 + i, date=start + dt.timedelta(minutes=i),
                       reason=x509.ReasonFlags.key_compromise if i % 2 else None)
            for i in range(n)]


def test_crl_carries_entries_dates_number_and_verifies(figure4, start):
    ca, key = figure4.certificate("Sales-CA"), figure4.key("Sales-CA")
    crl = build_crl(issuer=ca, issuer_key=key, revoked=_revocations(start, 3),
                    this_update=start, next_update=start + dt.timedelta(days=7), number=5)
    assert crl.issuer == ca.subject
    assert crl.last_update_utc == start
    assert crl.next_update_utc == start + dt.timedelta(days=7)
    assert crl_number_of(crl) == 5
    assert crl.is_signature_valid(ca.public_key())
    assert not crl.is_signature_valid(figure4.certificate("Root-CA").public_key())
    assert [r.serial_number for r in crl] == [1000, 1001, 1002]


def test_index_finds_serials_with_date_and_reason(figure4, start):
    crl = build_crl(issuer=figure4.certificate("Dev-CA"), issuer_key=figure4.key("Dev-CA"),
                    revoked=_revocations(start, 4), this_update=start,
                    next_update=start + dt.timedelta(days=1),
                    number=1)
    index = RevocationIndex(crl)
    assert len(index) == 4 and 1003 in index and 999 not in index
    hit = index.lookup(1001)
    assert hit == Revocation(serial=1001, date=start + dt.timedelta(minutes=1),
                             reason=x509.ReasonFlags.key_compromise)
    assert index.lookup(1000).reason is None
    assert index.lookup(42) is None
    assert index.serials() == (1000, 1001, 1002, 1003)


def test_unspecified_reason_is_left_out(start):
    assert Revocation(serial=1, date=start, reason=x509.ReasonFlags.unspecified).reason is None


def test_next_update_must_follow_this_update(figure4, start):
    with pytest.raises(ValueError, match="nextUpdate must be after thisUpdate"):
        build_crl(issuer=figure4.certificate("Root-CA"), issuer_key=figure4.key("Root-CA"),
                  revoked=[], this_update=start, next_update=start, number=1)


def test_hierarchy_crl_numbers_increase_and_list_revoked(figure4, start):
    at = start + dt.timedelta(days=40)
    first = figure4.crl("Sales-CA", at=at)
    figure4.revoke("Host-B", at=at, reason=x509.ReasonFlags.superseded)
    second = figure4.crl("Sales-CA", at=at + dt.timedelta(hours=1))
    assert (crl_number_of(first), crl_number_of(second)) == (1, 2)
    assert len(first) == 0
    serial = figure4.certificate("Host-B").serial_number
    assert RevocationIndex(second).lookup(serial).reason is x509.ReasonFlags.superseded


@needs_openssl
def test_openssl_accepts_the_crl(figure4, start, tmp_path):
    ca = figure4.certificate("Sales-CA")
    crl = build_crl(issuer=ca, issuer_key=figure4.key("Sales-CA"),
                    revoked=_revocations(start, 2), this_update=start,
                    next_update=start + dt.timedelta(days=1), number=9)
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "c.crl").write_bytes(crl.public_bytes(serialization.Encoding.DER))
    out = subprocess.run(
        ["openssl", "crl", "-inform", "DER", "-in", str(tmp_path / "c.crl"), "-noout", "-text",
         "-CAfile", str(tmp_path / "ca.pem")],
        capture_output=True, text=True, check=True)
    assert "verify OK" in out.stderr + out.stdout
    assert "X509v3 CRL Number: \n                9" in out.stdout
    assert "Key Compromise" in out.stdout
