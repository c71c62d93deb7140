"""Properties of path validation, on a small fixed set of real certificates and CRLs (the
guide's Figure 4 with P-256 keys, and an unrelated chain): hypothesis chooses the leaf, which
CA certificates and CRLs are at hand, their order, and what else is revoked.

- Adding unrelated certificates or CRLs to the pool never changes the verdict.
- Reordering the pool, the CRLs or the trust anchors never changes the verdict.
- Revoking a certificate that is not on the path never changes the verdict.

Figure 4 has no cross-certification, so each leaf has one path at most and "the verdict" is
the whole result: reason, message, path, failed certificate, revocation, CRL needed.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from cryptography import x509
from hypothesis import given, settings
from hypothesis import strategies as st

import pki
from pki.crl import Revocation, build_crl
from pki.result import ValidationResult
from tests.pki.budget import budget
from tests.pki.pathworld import AT, CRL_TIME, figure4, linear

LEAVES = ("Host-A", "Host-B", "Host-C", "Host-late", "Host-short", "Dev-CA", "Sales-CA",
          "Eng-CA")
ANCHORS = ("Root-CA", "Eng-CA")


def _verdict(result: ValidationResult) -> tuple:
    return (result.reason, result.message, result.path, result.failed_certificate,
            result.revocation, result.crl_needed)


@cache
def _cas() -> tuple[str, ...]:
    return tuple(figure4().cas())


@cache
def _crl(ca: str, extra: frozenset[str] = frozenset()) -> x509.CertificateRevocationList:
    """`ca`'s CRL at CRL_TIME as the hierarchy has it (Host-C revoked), plus the certificates
    named in `extra` revoked too."""
    h = figure4()
    node = h.graph.nodes[ca]
    entries = [r for r in node["revoked"].values() if r.date <= CRL_TIME]
    entries += [Revocation(serial=h.certificate(name).serial_number,
                           date=CRL_TIME - dt.timedelta(hours=1),
                           reason=x509.ReasonFlags.key_compromise)
                for name in sorted(extra)]
    return build_crl(issuer=h.certificate(ca), issuer_key=h.key(ca), revoked=entries,
                     this_update=CRL_TIME, next_update=CRL_TIME + dt.timedelta(days=7),
                     number=1)


@cache
def _unrelated() -> tuple[tuple[x509.Certificate, ...], tuple[x509.CertificateRevocationList,
                                                                  ...]]:
    """Another PKI (CA-0 .. CA-3 and an EE): names no Figure 4 certificate shares."""
    h = linear(3)
    certs = tuple(h.certificate(n) for n in (*h.cas(), "EE"))
    return certs, tuple(h.crl(ca, at=CRL_TIME) for ca in h.cas())


@st.composite
def situations(draw):
    """A leaf, its trust anchors, the CA certificates and CRLs at hand."""
    leaf = draw(st.sampled_from(LEAVES))
    anchors = draw(st.lists(st.sampled_from(ANCHORS), min_size=1, max_size=2, unique=True))
    pool = draw(st.lists(st.sampled_from(_cas()), unique=True))
    crls = draw(st.lists(st.sampled_from(_cas()), unique=True))
    return leaf, anchors, pool, crls


def _validate(leaf: str, anchors, pool, crls) -> ValidationResult:
    h = figure4()
    return pki.validate_path(h.certificate(leaf), trust_anchors=[h.certificate(a) for a in anchors],
                             intermediates=pool, crls=crls, at=AT)


def _certificates(names) -> list[x509.Certificate]:
    return [figure4().certificate(n) for n in names]


@settings(max_examples=budget(120))
@given(situation=situations(), data=st.data())
def test_unrelated_certificates_and_crls_change_nothing(situation, data):
    leaf, anchors, pool, crls = situation
    before = _validate(leaf, anchors, _certificates(pool), [_crl(ca) for ca in crls])
    others, other_crls = _unrelated()
    extra = data.draw(st.lists(st.sampled_from(others), unique_by=id), label="certificates")
    extra_crls = data.draw(st.lists(st.sampled_from(other_crls), unique_by=id), label="crls")
    after = _validate(leaf, anchors, _certificates(pool) + extra,
                      [_crl(ca) for ca in crls] + extra_crls)
    assert _verdict(after) == _verdict(before)


@settings(max_examples=budget(120))
@given(situation=situations(), data=st.data())
def test_the_order_of_the_pool_changes_nothing(situation, data):
    leaf, anchors, pool, crls = situation
    before = _validate(leaf, anchors, _certificates(pool), [_crl(ca) for ca in crls])
    after = _validate(leaf, data.draw(st.permutations(anchors), label="anchors"),
                      _certificates(data.draw(st.permutations(pool), label="pool")),
                      [_crl(ca) for ca in data.draw(st.permutations(crls), label="crls")])
    assert _verdict(after) == _verdict(before)


@settings(max_examples=budget(120))
@given(situation=situations(), data=st.data())
def test_revoking_a_certificate_off_the_path_changes_nothing(situation, data):
    leaf, anchors, pool, crls = situation
    h = figure4()
    on_path = {c.subject for c in h.chain(leaf)}
    off_path = sorted(name for name in {*_cas(), *LEAVES}
                      if name in h.graph and h.issuer_of(name) is not None
                      and h.certificate(name).subject not in on_path)
    revoked = frozenset(data.draw(st.lists(st.sampled_from(off_path), unique=True),
                                  label="revoked"))
    before = _validate(leaf, anchors, _certificates(pool), [_crl(ca) for ca in crls])
    after = _validate(leaf, anchors, _certificates(pool), [
        _crl(ca, frozenset(n for n in revoked if h.issuer_of(n) == ca)) for ca in crls])
    assert _verdict(after) == _verdict(before)


def test_the_properties_see_every_kind_of_verdict():
    """The situations reach valid paths and each way of failing, so the properties above say
    something about each."""
    seen = {
        _validate("Host-A", ["Root-CA"], _certificates(_cas()),
                  [_crl(ca) for ca in _cas()]).reason,
        _validate("Host-C", ["Root-CA"], _certificates(_cas()),
                  [_crl(ca) for ca in _cas()]).reason,
        _validate("Host-A", ["Root-CA"], _certificates(_cas()), []).reason,
        _validate("Host-A", ["Root-CA"], [], []).reason,
        _validate("Host-late", ["Root-CA"], _certificates(_cas()), []).reason,
        _validate("Host-short", ["Root-CA"], _certificates(_cas()), []).reason,
    }
    assert {None if r is None else r.name for r in seen} == {
        None, "REVOKED", "CRL_MISSING", "ISSUER_NOT_FOUND", "NOT_YET_VALID", "EXPIRED"}


def test_revoking_a_certificate_on_the_path_does_change_the_verdict():
    """The counterpart that shows the property can fail: Dev-CA revoked by Eng-CA."""
    before = _validate("Host-A", ["Root-CA"], _certificates(_cas()),
                       [_crl(ca) for ca in _cas()])
    after = _validate("Host-A", ["Root-CA"], _certificates(_cas()),
                      [_crl(ca, frozenset({"Dev-CA"}) if ca == "Eng-CA" else frozenset())
                       for ca in _cas()])
    assert before.ok and after.reason is pki.ValidationFailure.REVOKED
