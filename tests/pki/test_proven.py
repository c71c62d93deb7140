"""What pki remembers of a validation (pki.proven, pki.crl_facts) never changes a verdict: a
revoked certificate is found through the shared index, a signature that failed is never
remembered as good, the moment is checked on every call, and every validation scenario gets
the same verdict with the memos on (cold and warm) and off."""

from __future__ import annotations

import datetime as dt
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

import pki
from pki import proven
from pki.certs import CertificateTemplate, issue
from pki.crl import ExtraRevoked, build_crl
from pki.crl_facts import load_shared_crl
from pki.hierarchy import FIGURE4_START, CAHierarchy, figure4_specs
from pki.loaders import LoadError
from pki.result import ValidationFailure as F
from tests.pki.pathworld import (
    AT,
    CRL_TIME,
    EC,
    HOST_B_SUBJECT,
    Scenario,
    figure4,
    figure4_crls,
    figure4_scenario,
)
from tests.pki.test_validate_path import CASES


def _said(result: pki.ValidationResult) -> tuple:
    """Everything of a verdict a user reads."""
    return (result.reason, result.message, result.path, result.failed_certificate,
            result.revocation, result.crl_needed)


@cache
def impostor() -> CAHierarchy:
    """Figure 4 again, same names, other keys: what a forger would present."""
    h = CAHierarchy(figure4_specs(key=EC), start=FIGURE4_START, seed="impostor")
    h.issue_end_entity("Sales-CA", "Host-B", subject=HOST_B_SUBJECT, key=EC)
    return h


@pytest.mark.parametrize("make", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_every_scenario_says_the_same_with_memos_cold_warm_and_off(make):
    scenario = make()
    proven.forget_all()
    cold = _said(scenario.validate())
    warm = _said(scenario.validate())
    with proven.caches_off():
        afresh = _said(scenario.validate())
    assert cold == warm == afresh


def test_a_revoked_certificate_is_found_through_the_shared_index_of_a_large_crl():
    h = figure4()
    host_c = h.certificate("Host-C")
    crl = build_crl(issuer=h.certificate("Sales-CA"), issuer_key=h.key("Sales-CA"),
                    revoked=h.graph.nodes["Sales-CA"]["revoked"].values(),
                    this_update=CRL_TIME, next_update=CRL_TIME + dt.timedelta(days=7),
                    number=1, extra=ExtraRevoked(count=5000, seed="proven", date=CRL_TIME))
    scenario = Scenario(leaf=host_c, anchors=(h.certificate("Root-CA"),),
                        pool=(h.certificate("Sales-CA"),),
                        crls=(crl, figure4_crls()["Root-CA"]))
    proven.forget_all()
    for _ in range(2):
        result = scenario.validate(revocation_cache=pki.RevocationCache())
        assert result.reason is F.REVOKED
        assert result.message == (f"C=US,O=PKI,CN=Host-C: certificate serial "
                                  f"{host_c.serial_number:X} was revoked on "
                                  f"{AT - dt.timedelta(days=3):%Y-%m-%d %H:%M} UTC "
                                  f"(keyCompromise)")
    # Two daemons' caches share one index of the CRL object: built once, not per device.
    first, second = pki.RevocationCache().index(crl), pki.RevocationCache().index(crl)
    assert first is second and len(first) == 5001
    assert first.lookup(host_c.serial_number).reason is x509.ReasonFlags.key_compromise
    with proven.caches_off():
        assert pki.RevocationCache().index(crl) is not first


def test_a_crl_whose_signature_fails_is_never_remembered_as_good():
    real, fake = figure4(), impostor()
    sales_crl = figure4_crls()["Sales-CA"]
    # The real Sales-CA's CRL, proven good for the real Host-B...
    assert figure4_scenario("Host-B").validate().ok
    # ...is the same CRL object, but not signed by the impostor's Sales-CA key.
    forged_path = Scenario(
        leaf=fake.certificate("Host-B"), anchors=(fake.certificate("Root-CA"),),
        pool=(fake.certificate("Sales-CA"),),
        crls=(sales_crl, fake.crl("Root-CA", at=CRL_TIME)))
    for _ in range(2):
        result = forged_path.validate()
        assert result.reason is F.CRL_SIGNATURE_INVALID
        assert result.message == ("C=US,ST=CA,L=Sunnyvale,O=PKI,OU=SALES,CN=Host-B,"
                                  "DC=example: CRL from CN=Sales-CA,O=example,C=us: signature "
                                  "does not verify with the key of a CRL signer")
    assert real.certificate("Sales-CA") != fake.certificate("Sales-CA")


def test_a_certificate_signature_is_remembered_for_its_key_only():
    fake = impostor()
    assert figure4_scenario("Host-B", check_revocation=False).validate().ok
    # The real Host-B under the impostor's CAs of the same names: its signature was proven
    # with the real Sales-CA key, never with this one.
    result = Scenario(leaf=figure4().certificate("Host-B"),
                      anchors=(fake.certificate("Root-CA"),),
                      pool=(fake.certificate("Sales-CA"),),
                      options={"check_revocation": False}).validate()
    assert result.reason is F.SIGNATURE_INVALID
    assert result.message == ("signature of C=US,ST=CA,L=Sunnyvale,O=PKI,OU=SALES,CN=Host-B,"
                              "DC=example does not verify with the key of "
                              "CN=Sales-CA,O=example,C=us")


def test_a_success_an_hour_earlier_never_skips_the_time_check():
    leaf = figure4().certificate("Host-short")
    scenario = figure4_scenario("Host-short", check_revocation=False)
    expiry = leaf.not_valid_after_utc
    assert scenario.validate(at=expiry - dt.timedelta(minutes=30)).ok
    late = scenario.validate(at=expiry + dt.timedelta(minutes=30))
    assert late.reason is F.EXPIRED
    assert late.message == (f"C=US,O=PKI,CN=Host-short expired at "
                            f"{expiry:%Y-%m-%d %H:%M} UTC")
    early = scenario.validate(at=leaf.not_valid_before_utc - dt.timedelta(minutes=30))
    assert early.reason is F.NOT_YET_VALID


def test_a_crl_proven_good_is_still_checked_for_freshness():
    scenario = figure4_scenario("Host-B")
    assert scenario.validate().ok
    stale = figure4_crls()["Sales-CA"].next_update_utc + dt.timedelta(hours=1)
    result = scenario.validate(at=stale)
    assert result.reason is F.CRL_EXPIRED
    assert result.crl_needed is not None


def test_the_same_downloaded_bytes_give_the_same_crl_object():
    data = figure4_crls()["Sales-CA"].public_bytes(Encoding.DER)
    assert load_shared_crl(data, source="http://a/x.crl") is load_shared_crl(
        bytes(bytearray(data)), source="http://b/x.crl")
    for _ in range(2):  # a bad download is refused every time, never remembered
        with pytest.raises(LoadError, match="http://c/x.crl"):
            load_shared_crl(data[:-1], source="http://c/x.crl")


def test_a_memo_keeps_the_newest_within_its_size_and_weight():
    memo: proven.Memo[str, int] = proven.Memo(2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1
    memo.put("c", 3)  # "a" is the oldest
    assert (memo.get("a"), memo.get("b"), memo.get("c")) == (None, 2, 3)
    memo.put("b", 4)  # replaced, not added
    assert (len(memo), memo.get("b"), memo.get("c")) == (2, 4, 3)
    heavy: proven.Memo[str, int] = proven.Memo(10, weight=5, weigh=lambda v: v)
    heavy.put("x", 3)
    heavy.put("y", 3)
    assert (heavy.get("x"), heavy.get("y"), len(heavy)) == (None, 3, 1)
    with proven.caches_off():
        heavy.put("z", 1)
        assert heavy.get("y") is None
    assert (heavy.get("y"), heavy.get("z")) == (3, None)
    with pytest.raises(ValueError, match="memo size 0"):
        proven.Memo(0)


def test_self_signedness_is_remembered_per_certificate_not_per_name():
    from pki.certs import is_self_signed
    from tests.pki.pathworld import root, under_root

    real, _ = root()
    assert is_self_signed(real) and is_self_signed(real)
    # Same subject and issuer as the real root, signed by another key: self-issued only.
    _, other_key = under_root("Other", ca=True, serial=77)
    forged = issue(CertificateTemplate(subject=real.subject, public_key=real.public_key(),
                                       serial=real.serial_number, not_before=FIGURE4_START,
                                       not_after=FIGURE4_START + dt.timedelta(days=365),
                                       ca=True),
                   issuer_key=other_key, issuer=real)
    assert forged.subject == forged.issuer == real.subject
    assert not is_self_signed(forged) and not is_self_signed(forged)
