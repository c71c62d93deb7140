"""pki.validate_path on real certificates: one row per verdict, the time frozen at pathworld.AT."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

import pki
from pki.certs import CertificateTemplate, issue
from pki.crl import Revocation, build_crl
from pki.hierarchy import FIGURE4_START, CAHierarchy, CASpec
from pki.keys import KeySpec, KeyType, generate_key_pair
from pki.result import ValidationFailure as F
from tests.pki.pathworld import (
    AT,
    CA_NO_CERT_SIGN,
    CA_NO_CRL_SIGN,
    CRL_TIME,
    EC,
    PROFILE_URL,
    UNKNOWN_CRITICAL,
    Scenario,
    crl_of,
    defect_scenario,
    ee_under,
    figure4,
    figure4_crls,
    figure4_scenario,
    linear_scenario,
    name,
    root,
    under_root,
)

# -- scenarios that need a builder ----------------------------------------------------------


def bad_signature() -> Scenario:
    # Host-A's own certificate contents, signed by a key that is not Dev-CA's.
    h = figure4()
    good = h.certificate("Host-A")
    forger = generate_key_pair(EC, seed="forger")
    forged = issue(CertificateTemplate(
        subject=good.subject, public_key=good.public_key(), serial=good.serial_number,
        not_before=good.not_valid_before_utc, not_after=good.not_valid_after_utc),
        issuer_key=forger, issuer=h.certificate("Dev-CA"))
    return Scenario(leaf=forged, anchors=(h.certificate("Root-CA"),),
                    pool=tuple(h.certificate(c) for c in h.cas()), crls=(),
                    options={"check_revocation": False})


def ee_as_issuer() -> Scenario:
    ee, ee_key = under_root("Not-A-CA", ca=False, serial=10)
    return defect_scenario(ee_under(ee, ee_key, "Victim", serial=11), ee)


def ca_without_cert_sign() -> Scenario:
    ca, key = under_root("No-CertSign-CA", ca=True, serial=20, key_usage=CA_NO_CERT_SIGN)
    return defect_scenario(ee_under(ca, key, "EE-20", serial=21), ca)


def unknown_critical_ee() -> Scenario:
    ca, key = under_root("Plain-CA", ca=True, serial=30)
    return defect_scenario(ee_under(ca, key, "EE-30", serial=31,
                                    extra_extensions=(UNKNOWN_CRITICAL,)), ca)


def unknown_critical_ca() -> Scenario:
    ca, key = under_root("Odd-CA", ca=True, serial=32, extra_extensions=(UNKNOWN_CRITICAL,))
    return defect_scenario(ee_under(ca, key, "EE-32", serial=33), ca)


def name_constraints(dns: str) -> Scenario:
    nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName("example.net")],
                              excluded_subtrees=[x509.DirectoryName(name("Banned"))])
    ca, key = under_root("NC-CA", ca=True, serial=40,
                         extra_extensions=(x509.Extension(nc.oid, True, nc),))
    return defect_scenario(ee_under(ca, key, f"EE-{dns}", serial=41,
                                    subject_alt_names=(x509.DNSName(dns),)), ca)


def name_constraints_excluded_dn() -> Scenario:
    nc = x509.NameConstraints(permitted_subtrees=None,
                              excluded_subtrees=[x509.DirectoryName(name("Banned"))])
    ca, key = under_root("NC2-CA", ca=True, serial=42,
                         extra_extensions=(x509.Extension(nc.oid, True, nc),))
    return defect_scenario(ee_under(ca, key, "Banned", serial=43), ca)


def explicit_policy_required() -> Scenario:
    pc = x509.PolicyConstraints(require_explicit_policy=0, inhibit_policy_mapping=None)
    ca, key = under_root("Policy-CA", ca=True, serial=50,
                         extra_extensions=(x509.Extension(pc.oid, True, pc),))
    return defect_scenario(ee_under(ca, key, "EE-50", serial=51), ca)


def crl_without_crl_sign() -> Scenario:
    ca, key = under_root("No-CRLSign-CA", ca=True, serial=60, key_usage=CA_NO_CRL_SIGN)
    return defect_scenario(ee_under(ca, key, "EE-60", serial=61), ca,
                           crls=(crl_of(ca, key), crl_of(*root())), check_revocation=True)


def unknown_critical_crl_extension() -> Scenario:
    ca, key = under_root("CRLExt-CA", ca=True, serial=70)
    builder = x509.CertificateRevocationListBuilder(
        issuer_name=ca.subject, last_update=CRL_TIME, next_update=CRL_TIME + dt.timedelta(days=7),
        extensions=[UNKNOWN_CRITICAL], revoked_certificates=[])
    crl = builder.sign(key, hashes.SHA256())
    return defect_scenario(ee_under(ca, key, "EE-70", serial=71), ca,
                           crls=(crl, crl_of(*root())), check_revocation=True)


def sales_crl_signed_by(wrong: bool) -> Scenario:
    h = figure4()
    key = generate_key_pair(EC, seed="impostor") if wrong else h.key("Sales-CA")
    crl = build_crl(issuer=h.certificate("Sales-CA"), issuer_key=key, revoked=(),
                    this_update=CRL_TIME, next_update=CRL_TIME + dt.timedelta(days=7),
                    number=99)
    base = figure4_scenario("Host-B", crls_from=("Root-CA",))
    return Scenario(leaf=base.leaf, anchors=base.anchors, pool=base.pool,
                    crls=base.crls + (crl,))


def sales_crl_dated(this_update: dt.datetime) -> Scenario:
    h = figure4()
    crl = build_crl(issuer=h.certificate("Sales-CA"), issuer_key=h.key("Sales-CA"),
                    revoked=(), this_update=this_update,
                    next_update=this_update + dt.timedelta(days=7), number=5)
    base = figure4_scenario("Host-B", crls_from=("Root-CA",))
    return Scenario(leaf=base.leaf, anchors=base.anchors, pool=base.pool,
                    crls=base.crls + (crl,))


def newer_crl_revokes() -> Scenario:
    # An old CRL that does not list Host-B, and a newer one that does: the newest decides.
    h = figure4()
    b = h.certificate("Host-B")
    old = build_crl(issuer=h.certificate("Sales-CA"), issuer_key=h.key("Sales-CA"), revoked=(),
                    this_update=CRL_TIME - dt.timedelta(days=2),
                    next_update=CRL_TIME + dt.timedelta(days=7), number=7)
    new = build_crl(issuer=h.certificate("Sales-CA"), issuer_key=h.key("Sales-CA"),
                    revoked=[Revocation(serial=b.serial_number, date=CRL_TIME)],
                    this_update=CRL_TIME, next_update=CRL_TIME + dt.timedelta(days=7), number=8)
    base = figure4_scenario("Host-B", crls_from=("Root-CA",))
    return Scenario(leaf=b, anchors=base.anchors, pool=base.pool, crls=base.crls + (new, old))


def ca_only_crl() -> Scenario:
    # A CRL scoped by issuingDistributionPoint to CA certificates cannot answer for an EE.
    h = figure4()
    idp = x509.IssuingDistributionPoint(
        full_name=None, relative_name=None, only_contains_user_certs=False,
        only_contains_ca_certs=True, only_some_reasons=None, indirect_crl=False,
        only_contains_attribute_certs=False)
    crl = x509.CertificateRevocationListBuilder(
        issuer_name=h.certificate("Sales-CA").subject, last_update=CRL_TIME,
        next_update=CRL_TIME + dt.timedelta(days=7),
        extensions=[x509.Extension(idp.oid, True, idp)], revoked_certificates=[],
    ).sign(h.key("Sales-CA"), hashes.SHA256(), ecdsa_deterministic=True)
    base = figure4_scenario("Host-B", crls_from=("Root-CA",))
    return Scenario(leaf=base.leaf, anchors=base.anchors, pool=base.pool,
                    crls=base.crls + (crl,))


def cross_certified(direction: str) -> Scenario:
    """Figure 3: two domains whose root CAs certify each other; the leaf is in the other one."""
    ec = EC
    specs = [CASpec(name="A-Root", subject="C=us, O=domain-a, CN=A-Root", key=ec),
             CASpec(name="A-CA", subject="C=us, O=domain-a, CN=A-CA", issuer="A-Root", key=ec),
             CASpec(name="B-Root", subject="C=us, O=domain-b, CN=B-Root", key=ec),
             CASpec(name="B-CA", subject="C=us, O=domain-b, CN=B-CA", issuer="B-Root", key=ec)]
    h = CAHierarchy(specs, start=FIGURE4_START, seed="figure3")
    h.issue_end_entity("A-CA", "user-a", subject="CN=user-a,O=domain-a,C=us", key=ec)
    h.issue_end_entity("B-CA", "user-b", subject="CN=user-b,O=domain-b,C=us", key=ec)
    a_to_b = h.cross_certify("A-Root", "B-Root")
    b_to_a = h.cross_certify("B-Root", "A-Root")
    pool = tuple(h.certificate(c) for c in h.cas()) + (a_to_b, b_to_a)
    crls = tuple(h.crl(c, at=CRL_TIME) for c in h.cas())
    leaf, anchor = {"a-trusts-b": ("user-b", "A-Root"), "b-trusts-a": ("user-a", "B-Root"),
                    "untrusted": ("user-b", None)}[direction]
    anchors = (h.certificate(anchor),) if anchor else (root()[0],)
    return Scenario(leaf=h.certificate(leaf), anchors=anchors, pool=pool, crls=crls)


# -- the table ------------------------------------------------------------------------------

CASES = [
    # id, scenario, expected reason (None: valid), expected path length or None
    ("host-a-via-dev-eng-to-root", lambda: figure4_scenario("Host-A"), None, 4),
    ("host-b-via-sales-to-root", lambda: figure4_scenario("Host-B"), None, 3),
    ("host-a-eng-ca-only-anchor", lambda: figure4_scenario("Host-A", anchors=("Eng-CA",)),
     None, 3),
    ("host-a-dev-ca-only-anchor", lambda: figure4_scenario("Host-A", anchors=("Dev-CA",)),
     None, 2),
    ("revoked-host-c", lambda: figure4_scenario("Host-C"), F.REVOKED, 3),
    ("revocation-check-off", lambda: figure4_scenario("Host-C", check_revocation=False),
     None, 3),
    ("crl-missing", lambda: figure4_scenario("Host-B", crls_from=("Root-CA",)),
     F.CRL_MISSING, 3),
    ("crl-missing-exempt-ca", lambda: figure4_scenario(
        "Host-B", crls_from=("Root-CA",),
        revocation_exempt=(figure4().certificate("Sales-CA").subject,)), None, 3),
    ("intermediate-crl-missing", lambda: figure4_scenario(
        "Host-A", crls_from=("Dev-CA", "Eng-CA")), F.CRL_MISSING, 4),
    ("not-yet-valid", lambda: figure4_scenario("Host-late"), F.NOT_YET_VALID, 4),
    ("expired", lambda: figure4_scenario("Host-short"), F.EXPIRED, 4),
    ("anchor-not-yet-valid", lambda: Scenario(
        leaf=figure4().certificate("Host-B"), anchors=(figure4().certificate("Root-CA"),),
        pool=(figure4().certificate("Sales-CA"),), at=AT - dt.timedelta(days=60),
        options={"check_revocation": False}), F.NOT_YET_VALID, 3),
    ("issuer-not-found", lambda: Scenario(
        leaf=figure4().certificate("Host-A"), anchors=(figure4().certificate("Root-CA"),),
        pool=(figure4().certificate("Eng-CA"),)), F.ISSUER_NOT_FOUND, 1),
    ("other-domain-root-only", lambda: figure4_scenario("Host-B", anchors=("Qa-CA",)),
     F.ISSUER_NOT_FOUND, 3),
    ("signature-invalid", bad_signature, F.SIGNATURE_INVALID, 4),
    ("issuer-not-ca", ee_as_issuer, F.ISSUER_NOT_CA, 3),
    ("ca-without-keycertsign", ca_without_cert_sign, F.KEY_USAGE, 3),
    ("crl-signer-without-crlsign", crl_without_crl_sign, F.KEY_USAGE, 3),
    ("path-length-0-one-ca-below", lambda: linear_scenario(2, path_length_at=(1, 0)),
     F.PATH_LENGTH_EXCEEDED, 4),
    ("path-length-1-one-ca-below", lambda: linear_scenario(2, path_length_at=(1, 1)), None, 4),
    ("root-path-length-0", lambda: linear_scenario(1, path_length_at=(0, 0)),
     F.PATH_LENGTH_EXCEEDED, 3),
    ("chain-of-10-passes", lambda: linear_scenario(8), None, 10),
    ("chain-of-11-too-long", lambda: linear_scenario(9), F.CHAIN_TOO_LONG, 11),
    ("chain-of-11-allowed-by-option", lambda: Scenario(
        **{**linear_scenario(9).__dict__, "options": {"max_chain_length": 11}}), None, 11),
    ("unknown-critical-extension-ee", unknown_critical_ee, F.UNKNOWN_CRITICAL_EXTENSION, 3),
    ("unknown-critical-extension-ca", unknown_critical_ca, F.UNKNOWN_CRITICAL_EXTENSION, 3),
    ("unknown-critical-crl-extension", unknown_critical_crl_extension,
     F.UNKNOWN_CRITICAL_EXTENSION, 3),
    ("name-constraints-permitted", lambda: name_constraints("vpn.example.net"), None, 3),
    ("name-constraints-outside", lambda: name_constraints("vpn.example.com"),
     F.NAME_CONSTRAINTS, 3),
    ("name-constraints-excluded-dn", name_constraints_excluded_dn, F.NAME_CONSTRAINTS, 3),
    ("explicit-policy-required", explicit_policy_required, F.POLICY, 3),
    ("crl-signed-by-wrong-key", lambda: sales_crl_signed_by(True), F.CRL_SIGNATURE_INVALID, 3),
    ("crl-signed-by-ca", lambda: sales_crl_signed_by(False), None, 3),
    ("crl-expired", lambda: sales_crl_dated(AT - dt.timedelta(days=10)), F.CRL_EXPIRED, 3),
    ("crl-not-yet-valid", lambda: sales_crl_dated(AT + dt.timedelta(hours=1)),
     F.CRL_NOT_YET_VALID, 3),
    ("newest-crl-decides", newer_crl_revokes, F.REVOKED, 3),
    ("ca-only-crl-does-not-cover-ee", ca_only_crl, F.CRL_MISSING, 3),
    ("cross-certified-a-trusts-b", lambda: cross_certified("a-trusts-b"), None, 4),
    ("cross-certified-b-trusts-a", lambda: cross_certified("b-trusts-a"), None, 4),
    ("cross-certified-no-anchor-loops", lambda: cross_certified("untrusted"), F.CHAIN_LOOP,
     None),
]


@pytest.mark.parametrize(("make", "reason", "length"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_verdict(make, reason, length):
    """Each scenario gets the verdict, and the path, a user would see."""
    result = make().validate()
    assert result.reason is reason, result.message
    assert result.ok is (reason is None)
    if length is not None:
        assert len(result.path) == length
    if reason is None:
        assert result.failed_certificate is None
    else:
        assert result.failed_certificate in result.path


def test_revoked_carries_serial_date_and_reason():
    result = figure4_scenario("Host-C").validate()
    host_c = figure4().certificate("Host-C")
    assert result.failed_certificate == host_c
    assert result.revocation.serial == host_c.serial_number
    assert result.revocation.date == AT - dt.timedelta(days=3)
    assert result.revocation.reason is x509.ReasonFlags.key_compromise
    assert f"serial {host_c.serial_number:X} was revoked on" in result.message


def test_missing_crl_names_sales_ca_cdp_url_first_then_profile_url():
    h = figure4()
    sales = h.certificate("Sales-CA")
    result = figure4_scenario("Host-B", crls_from=("Root-CA",),
                              ca_profile_crl_urls={sales.subject: [PROFILE_URL]}).validate()
    assert result.crl_needed.ca_certificate == sales
    assert result.crl_needed.ca_subject == sales.subject
    assert result.crl_needed.urls == ("http://10.157.88.230:8080/crl/Sales.crl", PROFILE_URL)
    assert result.failed_certificate == h.certificate("Host-B")


def test_profile_urls_from_a_callable_and_without_duplicates():
    cdp = "http://10.157.88.230:8080/crl/Sales.crl"
    result = figure4_scenario("Host-B", crls_from=("Root-CA",),
                              ca_profile_crl_urls=lambda subject: [cdp, PROFILE_URL]).validate()
    assert result.crl_needed.urls == (cdp, PROFILE_URL)


def test_fetching_the_needed_crl_then_validating_again_passes():
    scenario = figure4_scenario("Host-B", crls_from=("Root-CA",))
    first = scenario.validate()
    fetched = figure4_crls()["Sales-CA"]
    assert first.crl_needed is not None
    second = scenario.validate(crls=scenario.crls + (fetched,))
    assert second.ok, second.message


def test_expired_crl_asks_for_a_fresh_one():
    result = sales_crl_dated(AT - dt.timedelta(days=10)).validate()
    assert result.crl_needed.ca_certificate == figure4().certificate("Sales-CA")


def test_missing_intermediate_crl_names_that_ca():
    result = figure4_scenario("Host-A", crls_from=("Dev-CA", "Eng-CA")).validate()
    assert result.crl_needed.ca_certificate == figure4().certificate("Root-CA")
    assert result.failed_certificate == figure4().certificate("Eng-CA")


def test_revoked_below_outranks_missing_crl_above():
    # Root-CA's CRL is missing, but Sales-CA's CRL already says Host-C is revoked.
    result = figure4_scenario("Host-C", crls_from=("Sales-CA",)).validate()
    assert result.reason is F.REVOKED


def test_eng_ca_anchor_path_ends_at_eng_ca():
    result = figure4_scenario("Host-A", anchors=("Eng-CA",)).validate()
    names = [c.subject.rfc4514_string() for c in result.path]
    assert names[1:] == ["CN=Dev-CA,O=example,C=us", "CN=Eng-CA,O=example,C=us"]


def test_pem_and_der_bytes_are_accepted():
    s = figure4_scenario("Host-A")
    pem = serialization.Encoding.PEM
    der = serialization.Encoding.DER
    result = pki.validate_path(
        s.leaf.public_bytes(der), trust_anchors=[s.anchors[0].public_bytes(pem)],
        intermediates=[b"".join(c.public_bytes(pem) for c in s.pool)],
        crls=[b"".join(c.public_bytes(pem) for c in s.crls)], at=AT)
    assert result.ok, result.message
    assert result.path[0] == s.leaf


def test_the_moment_defaults_to_now_and_must_be_timezone_aware():
    s = figure4_scenario("Host-A")
    # The hierarchy's certificates ended years ago: "now" finds them expired.
    late = pki.validate_path(s.leaf, trust_anchors=s.anchors, intermediates=s.pool,
                             check_revocation=False)
    assert late.reason is F.EXPIRED
    with pytest.raises(ValueError, match="timezone-aware"):
        s.validate(at=AT.replace(tzinfo=None))


def test_wrong_input_kind_is_a_type_error():
    with pytest.raises(TypeError, match="x509.Certificate or bytes"):
        pki.validate_path("Host-A", trust_anchors=[root()[0]], at=AT)


def test_revocation_cache_builds_each_index_once():
    cache = pki.RevocationCache()
    s = figure4_scenario("Host-B")
    for _ in range(3):
        assert s.validate(revocation_cache=cache).ok
    assert len(cache) == 2  # Sales-CA's CRL and Root-CA's CRL


def test_validity_bounds_are_inclusive():
    leaf = figure4().certificate("Host-short")
    s = figure4_scenario("Host-short")
    assert s.validate(at=leaf.not_valid_after_utc, check_revocation=False).ok
    late = s.validate(at=leaf.not_valid_after_utc + dt.timedelta(seconds=1),
                      check_revocation=False)
    assert late.reason is F.EXPIRED


def test_policy_settings_reject_an_unasserted_policy():
    s = figure4_scenario("Host-A", check_revocation=False)
    strict = pki.PolicySettings(initial_policies=frozenset({"1.2.3.4"}), explicit_policy=True)
    assert s.validate(policy=strict).reason is F.POLICY
    assert s.validate().ok


def test_result_refuses_contradictions():
    with pytest.raises(ValueError):
        pki.ValidationResult(reason=None, message="ok", path=(),
                             failed_certificate=root()[0])


def test_leaf_that_is_itself_trusted():
    ca = figure4().certificate("Sales-CA")
    result = pki.validate_path(ca, trust_anchors=[ca], at=AT)
    assert result.ok and result.path == (ca,)


def test_a_ca_certificate_validates_with_its_crl_from_the_root():
    h = figure4()
    result = pki.validate_path(h.certificate("Eng-CA"), trust_anchors=[h.certificate("Root-CA")],
                               crls=[figure4_crls()["Root-CA"]], at=AT)
    assert result.ok, result.message


def test_revoked_intermediate_fails_the_leaf():
    h = figure4()
    root_crl = build_crl(issuer=h.certificate("Root-CA"), issuer_key=h.key("Root-CA"),
                         revoked=[Revocation(serial=h.certificate("Sales-CA").serial_number,
                                    date=CRL_TIME)],
                         this_update=CRL_TIME, next_update=CRL_TIME + dt.timedelta(days=7),
                         number=50)
    base = figure4_scenario("Host-B", crls_from=("Sales-CA",))
    result = base.validate(crls=base.crls + (root_crl,))
    assert result.reason is F.REVOKED
    assert result.failed_certificate == h.certificate("Sales-CA")


def test_self_signed_untrusted_leaf_is_issuer_not_found():
    cert, _ = root()
    other = figure4().certificate("Root-CA")
    result = pki.validate_path(cert, trust_anchors=[other], at=AT)
    assert result.reason is F.ISSUER_NOT_FOUND
    assert result.path == (cert,)


def test_rsa_pss_and_rsa_pkcs1_and_dsa_chains_validate():
    rsa_key = generate_key_pair(KeySpec(type=KeyType.RSA, size=1024), seed="rsa-root")
    dsa_key = generate_key_pair(KeySpec(type=KeyType.DSA, size=1024), seed="dsa-ca")
    start = AT - dt.timedelta(days=1)
    rsa_root = issue(CertificateTemplate(subject=name("RSA-Root"), public_key=rsa_key.public_key(),
                                         serial=1, not_before=start,
                                         not_after=start + dt.timedelta(days=9), ca=True),
                     issuer_key=rsa_key)
    dsa_ca = issue(CertificateTemplate(subject=name("DSA-CA"), public_key=dsa_key.public_key(),
                                       serial=2, not_before=start,
                                       not_after=start + dt.timedelta(days=9), ca=True,
                                       digest="sha1"),
                   issuer_key=rsa_key, issuer=rsa_root)
    leaf_key = generate_key_pair(EC, seed="pss-leaf")
    # The DSA CA signs with SHA-1, as the guide says Junos does with DSA (Chapter 1).
    leaf = issue(CertificateTemplate(subject=name("leaf"), public_key=leaf_key.public_key(),
                                     serial=3, not_before=start,
                                     not_after=start + dt.timedelta(days=9), digest="sha1"),
                 issuer_key=dsa_key, issuer=dsa_ca)
    assert pki.validate_path(leaf, trust_anchors=[rsa_root], intermediates=[dsa_ca], at=AT,
                             check_revocation=False).ok
    pss = (x509.CertificateBuilder().subject_name(name("pss-leaf")).issuer_name(rsa_root.subject)
           .public_key(leaf_key.public_key()).serial_number(4).not_valid_before(start)
           .not_valid_after(start + dt.timedelta(days=9))
           .sign(rsa_key, hashes.SHA256(),
                 rsa_padding=padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                         salt_length=padding.PSS.DIGEST_LENGTH)))
    assert pki.validate_path(pss, trust_anchors=[rsa_root], at=AT, check_revocation=False).ok
