"""Indirect CRLs (RFC 5280 5.2.5, 5.3.3, 6.3.3 (b)(1) and (f)) on real certificates and CRLs.

One root; Issuing-CA issues the end entities; CRL-Signer (a cRLSign-only certificate under
the root) publishes one indirect CRL for them, named by the cRLIssuer of their distribution
point. Its entries switch issuer with the certificateIssuer entry extension: serial 5 belongs
to CRL-Signer itself, serials 7 and 8 to Issuing-CA, serials 9 and 10 to Other-CA. Each verdict
is also asked of `openssl verify -crl_check_all -extended_crl` when openssl is on PATH.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from pki.certs import CertificateTemplate, issue
from pki.crl import Revocation, RevocationIndex, build_crl
from pki.keys import generate_key_pair
from pki.result import ValidationFailure
from pki.signing import sign
from tests.openssl import needs_openssl
from tests.pki.pathworld import AT, CRL_TIME, EC, FIGURE4_START, Scenario, name

OPENSSL = shutil.which("openssl")
REVOKED_AT = CRL_TIME - dt.timedelta(days=2)
URL = "http://crl.example/indirect.crl"
_NO_USAGE = dict.fromkeys(
    ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
     "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"), False)
CRL_SIGN_ONLY = x509.KeyUsage(**{**_NO_USAGE, "crl_sign": True})
DIGITAL_SIGNATURE_ONLY = x509.KeyUsage(**{**_NO_USAGE, "digital_signature": True})
# 5.2.5: the issuingDistributionPoint of a CRL listing other issuers' certificates.
INDIRECT = x509.IssuingDistributionPoint(
    full_name=None, relative_name=None, only_contains_user_certs=False,
    only_contains_ca_certs=False, only_some_reasons=None, indirect_crl=True,
    only_contains_attribute_certs=False)
ROOT, ISSUING, SIGNER, OTHER = (name("IC-Root"), name("IC-Issuing-CA"), name("IC-CRL-Signer"),
                                name("IC-Other-CA"))


def _cert(subject, key, issuer=None, issuer_key=None, *, serial, ca=False, key_usage=None,
          cdp=None):
    extra = () if cdp is None else (x509.Extension(cdp.oid, False, cdp),)
    template = CertificateTemplate(
        subject=subject, public_key=key.public_key(), serial=serial, not_before=FIGURE4_START,
        not_after=FIGURE4_START + dt.timedelta(days=365), ca=ca, key_usage=key_usage,
        extra_extensions=extra)
    return issue(template, issuer_key=issuer_key or key, issuer=issuer)


def _point(crl_issuer: x509.Name | None) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints([x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(URL)], relative_name=None, reasons=None,
        crl_issuer=None if crl_issuer is None else [x509.DirectoryName(crl_issuer)])])


@cache
def world(signer_usage: x509.KeyUsage = CRL_SIGN_ONLY, signer_revoked: bool = False):
    """Root, Issuing-CA, CRL-Signer, their keys, and the root's CRL."""
    keys = {n: generate_key_pair(EC, seed=f"indirect/{n.rfc4514_string()}")
            for n in (ROOT, ISSUING, SIGNER)}
    root = _cert(ROOT, keys[ROOT], serial=1, ca=True)
    issuing = _cert(ISSUING, keys[ISSUING], root, keys[ROOT], serial=2, ca=True)
    signer = _cert(SIGNER, keys[SIGNER], root, keys[ROOT], serial=3, key_usage=signer_usage)
    revoked = [Revocation(serial=3, date=REVOKED_AT)] if signer_revoked else []
    root_crl = build_crl(issuer=root, issuer_key=keys[ROOT], revoked=revoked,
                         this_update=CRL_TIME, next_update=CRL_TIME + dt.timedelta(days=7),
                         number=1)
    return root, issuing, signer, keys, root_crl


def _entry(serial: int, issuer: x509.Name | None = None) -> x509.RevokedCertificate:
    entry = (x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(REVOKED_AT)
             .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False))
    if issuer is not None:
        # 5.3.3: critical; it names the issuer of this entry and of those that follow.
        entry = entry.add_extension(x509.CertificateIssuer([x509.DirectoryName(issuer)]),
                                    critical=True)
    return entry.build()


def signer_crl(*, indirect: bool = True, key=None) -> x509.CertificateRevocationList:
    """CRL-Signer's CRL: 5 (its own), 7 and 8 (Issuing-CA), 9 and 10 (Other-CA)."""
    keys = world()[3]
    entries = [_entry(5), _entry(7, ISSUING), _entry(8), _entry(9, OTHER), _entry(10)]
    extensions = [x509.Extension(x509.CRLNumber.oid, False, x509.CRLNumber(1))]
    if indirect:
        extensions.append(x509.Extension(INDIRECT.oid, True, INDIRECT))
    else:
        entries = [_entry(serial) for serial in (5, 7, 8, 9, 10)]
    builder = x509.CertificateRevocationListBuilder(
        issuer_name=SIGNER, last_update=CRL_TIME, next_update=CRL_TIME + dt.timedelta(days=7),
        extensions=extensions, revoked_certificates=entries)
    return sign(builder, key or keys[SIGNER], hashes.SHA256())


def scenario(serial: int, *, crl_issuer: x509.Name | None = SIGNER, crls=None,
             **world_options) -> Scenario:
    root, issuing, signer, keys, root_crl = world(**world_options)
    ee_key = generate_key_pair(EC, seed=f"indirect/ee/{serial}")
    leaf = _cert(name(f"IC-EE-{serial}"), ee_key, issuing, keys[ISSUING], serial=serial,
                 cdp=_point(crl_issuer))
    chosen = (signer_crl(),) if crls is None else crls
    return Scenario(leaf=leaf, anchors=(root,), pool=(issuing, signer),
                    crls=(root_crl, *chosen), at=AT)


def forged_crl() -> x509.CertificateRevocationList:
    return signer_crl(key=generate_key_pair(EC, seed="indirect/impostor"))


CASES = [
    # (id, scenario, expected failure or None)
    ("serial-5-is-the-signers-own", lambda: scenario(5), None),
    ("serial-6-not-listed", lambda: scenario(6), None),
    ("serial-7-revoked-by-certificate-issuer", lambda: scenario(7), ValidationFailure.REVOKED),
    ("serial-8-follows-the-switch", lambda: scenario(8), ValidationFailure.REVOKED),
    ("serial-9-belongs-to-other-ca", lambda: scenario(9), None),
    ("serial-10-still-other-ca", lambda: scenario(10), None),
    ("crl-not-marked-indirect", lambda: scenario(7, crls=(signer_crl(indirect=False),)),
     ValidationFailure.CRL_MISSING),
    ("cdp-without-crl-issuer", lambda: scenario(6, crl_issuer=None),
     ValidationFailure.CRL_MISSING),
    ("cdp-names-another-crl-issuer", lambda: scenario(6, crl_issuer=OTHER),
     ValidationFailure.CRL_MISSING),
    ("no-crl-at-all", lambda: scenario(6, crls=()), ValidationFailure.CRL_MISSING),
    ("forged-indirect-crl", lambda: scenario(6, crls=(forged_crl(),)),
     ValidationFailure.CRL_SIGNATURE_INVALID),
    ("signer-without-crl-sign", lambda: scenario(6, signer_usage=DIGITAL_SIGNATURE_ONLY),
     ValidationFailure.CRL_SIGNATURE_INVALID),
    ("signer-revoked", lambda: scenario(6, signer_revoked=True),
     ValidationFailure.CRL_SIGNATURE_INVALID),
]


@pytest.mark.parametrize(("make", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_verdict(make, expected):
    """The indirect CRL decides for the certificates its entries attribute to their issuer."""
    result = make().validate()
    assert result.reason is expected, result.message
    if expected is ValidationFailure.REVOKED:
        assert result.revocation.reason is x509.ReasonFlags.key_compromise
        assert result.revocation.date == REVOKED_AT


def test_missing_crl_names_the_crl_issuer_and_the_cdp_url():
    """What pkid is told to fetch: the cRLIssuer's CRL, at the distribution point's URL."""
    result = scenario(6, crls=()).validate()
    assert "IC-CRL-Signer" in result.message and "IC-Issuing-CA" in result.message
    assert result.crl_needed.urls == (URL,)


def test_issuers_own_non_indirect_crl_still_covers_a_cdp_with_crl_issuer():
    """6.3.3: with the indirect CRL missing, a CRL of the certificate's issuer still decides."""
    root, issuing, signer, keys, root_crl = world()
    own = build_crl(issuer=issuing, issuer_key=keys[ISSUING],
                    revoked=[Revocation(serial=6, date=REVOKED_AT)], this_update=CRL_TIME,
                    next_update=CRL_TIME + dt.timedelta(days=7), number=1)
    assert scenario(6, crls=(own,)).validate().reason is ValidationFailure.REVOKED
    assert scenario(5, crls=(own,)).validate().ok


def test_index_keys_indirect_entries_by_issuer_and_serial():
    """5.3.3: the first entries default to the CRL issuer; certificateIssuer switches."""
    index = RevocationIndex(signer_crl())
    assert index.indirect and len(index) == 5
    assert index.lookup(5) is not None and index.lookup(5, ISSUING) is None
    assert index.lookup(7, ISSUING).serial == 7 and index.lookup(7) is None
    assert index.lookup(8, ISSUING) is not None and index.lookup(8, OTHER) is None
    assert index.lookup(9, OTHER) is not None and index.lookup(10, OTHER) is not None
    assert index.serials() == (5, 7, 8, 9, 10)


def test_ordinary_index_answers_only_for_its_issuer():
    """An ordinary CRL lists its own issuer's certificates and no one else's."""
    index = RevocationIndex(signer_crl(indirect=False))
    assert not index.indirect
    assert index.lookup(7) is not None and index.lookup(7, SIGNER) is not None
    assert index.lookup(7, ISSUING) is None


def test_crl_signer_covered_by_its_own_crl():
    """PKITS 4.14.30: a CRL signer certified by the CA whose certificates it revokes is itself
    covered by its CRL; its own entry there is what counts."""
    root, issuing, _, keys, root_crl = world()
    signer = _cert(SIGNER, keys[SIGNER], issuing, keys[ISSUING], serial=30,
                   key_usage=CRL_SIGN_ONLY, cdp=_point(SIGNER))
    ee = _cert(name("IC-EE-31"), generate_key_pair(EC, seed="indirect/ee/31"), issuing,
               keys[ISSUING], serial=31, cdp=_point(SIGNER))
    def crl(*serials):
        entries = [_entry(serial, ISSUING if i == 0 else None) for i, serial in enumerate(serials)]
        builder = x509.CertificateRevocationListBuilder(
            issuer_name=SIGNER, last_update=CRL_TIME,
            next_update=CRL_TIME + dt.timedelta(days=7), revoked_certificates=entries,
            extensions=[x509.Extension(x509.CRLNumber.oid, False, x509.CRLNumber(1)),
                        x509.Extension(INDIRECT.oid, True, INDIRECT)])
        return sign(builder, keys[SIGNER], hashes.SHA256())

    def verdict(*serials):
        return Scenario(leaf=ee, anchors=(root,), pool=(issuing, signer),
                        crls=(root_crl, crl(*serials)), at=AT).validate()

    assert verdict(99).ok
    assert verdict(31).reason is ValidationFailure.REVOKED
    assert verdict(30).reason is ValidationFailure.CRL_SIGNATURE_INVALID


# -- openssl agrees -------------------------------------------------------------------------


def _pem(items) -> bytes:
    return b"".join(item.public_bytes(serialization.Encoding.PEM) for item in items)


# `openssl verify` reports a CRL signer without cRLSign ("[CRL path] error 26 ... unsuitable
# certificate purpose") and still says OK: its callback lets X509_V_ERR_INVALID_PURPOSE pass.
NOT_COMPARABLE = {"signer-without-crl-sign"}
COMPARED = [case for case in CASES if case[0] not in NOT_COMPARABLE]


@needs_openssl
@pytest.mark.parametrize(("make", "expected"), [c[1:] for c in COMPARED],
                         ids=[c[0] for c in COMPARED])
def test_openssl_agrees(make, expected, tmp_path):
    """`openssl verify -crl_check_all -extended_crl` accepts exactly what we accept."""
    s = make()
    ours = s.validate()
    for file, items in (("anchors", s.anchors), ("pool", s.pool), ("crls", s.crls),
                        ("leaf", [s.leaf])):
        (tmp_path / f"{file}.pem").write_bytes(_pem(items))
    done = subprocess.run(
        [OPENSSL, "verify", "-attime", str(int(s.at.timestamp())), "-crl_check_all",
         "-extended_crl", "-CAfile", str(tmp_path / "anchors.pem"),
         "-untrusted", str(tmp_path / "pool.pem"), "-CRLfile", str(tmp_path / "crls.pem"),
         str(tmp_path / "leaf.pem")],
        capture_output=True, text=True, timeout=30)
    assert (done.returncode == 0) is ours.ok, f"openssl: {done.stdout}{done.stderr}"
