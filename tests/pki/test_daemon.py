"""pkid's decisions on the guide's Figure 4: dynamic CA profiles and the CRLs it asks for."""

import datetime as dt

import pytest
from cryptography import x509

from pki.daemon import FetchCrl, PkiDaemon, Verdict
from pki.profiles import CaProfile, Crl, RevocationCheck
from pki.result import ValidationFailure
from pki.store import CertificateStore

AT_DAYS = 35


def _host_a(figure4, *, root_check: RevocationCheck, start) -> PkiDaemon:
    """Host-A: CA profiles Root-CA, Eng-CA, Dev-CA with their CA certificates (Chapter 14)."""
    profiles = {"Root-CA": CaProfile(name="Root-CA", ca_identity="CA-Root",
                                     revocation_check=root_check)}
    for name in ("Eng-CA", "Dev-CA"):
        profiles[name] = CaProfile(name=name, ca_identity=name,
                                   revocation_check=RevocationCheck(crl=Crl()))
    store = CertificateStore()
    for name in profiles:
        store = store.add_ca_certificate(name, figure4.certificate(name))
    return PkiDaemon.start(profiles, store, at=start)


def _run(daemon, figure4, at, *, fail=frozenset()):
    """Answer every FetchCrl from the hierarchy (or fail it); return the verdict and fetches."""
    fetches = []
    unavailable = frozenset()
    leaf, sent = figure4.certificate("Host-B"), (figure4.certificate("Sales-CA"),)
    while True:
        answer = daemon.verify(leaf, sent, at=at, unavailable=unavailable)
        if isinstance(answer, Verdict):
            return answer, fetches
        assert isinstance(answer, FetchCrl)
        fetches.append((answer.ca_profile, answer.urls))
        ca_name = next(n for n in figure4.cas()
                       if figure4.certificate(n) == answer.ca_certificate)
        if ca_name in fail:
            unavailable |= {answer.ca_profile}
            continue
        daemon.crl_downloaded(answer.ca_profile, figure4.crl(ca_name, at=at - dt.timedelta(
            hours=1)), url=answer.urls[0], at=at)


@pytest.fixture
def at(start):
    return start + dt.timedelta(days=AT_DAYS)


def test_host_a_creates_dynamic_001_for_sales_ca_and_downloads_its_crl(figure4, start, at):
    daemon = _host_a(figure4, root_check=RevocationCheck(crl=Crl()), start=start)
    verdict, fetches = _run(daemon, figure4, at)
    assert verdict.ok, verdict.result.message
    assert fetches == [("Root-CA", ("http://10.157.88.230:8080/crl/Root.crl",)),
                       ("dynamic-001", ("http://10.157.88.230:8080/crl/Sales.crl",))]
    assert daemon.dynamic["dynamic-001"] == figure4.certificate("Sales-CA")
    assert daemon.profiles["dynamic-001"].dynamic
    # The peer's CA certificate is kept for its CRL only, never as a trust anchor.
    assert figure4.certificate("Sales-CA") not in daemon.trust_anchors()
    assert set(daemon.crls) == {"Root-CA", "dynamic-001"}


def test_revoked_host_b_fails_through_the_dynamic_profile(figure4, start, at):
    figure4.revoke("Host-B", at=at - dt.timedelta(days=1),
                   reason=x509.ReasonFlags.key_compromise)
    daemon = _host_a(figure4, root_check=RevocationCheck(crl=Crl()), start=start)
    verdict, _ = _run(daemon, figure4, at)
    assert verdict.result.reason is ValidationFailure.REVOKED
    assert verdict.result.revocation.serial == figure4.certificate("Host-B").serial_number


def test_revocation_check_disable_on_the_parent_means_no_dynamic_profile(figure4, start, at):
    figure4.revoke("Host-B", at=at - dt.timedelta(days=1))
    daemon = _host_a(figure4, root_check=RevocationCheck(crl=Crl(), disable=True), start=start)
    verdict, fetches = _run(daemon, figure4, at)
    assert verdict.ok and fetches == [] and daemon.dynamic == {}


@pytest.mark.parametrize(("on_failure", "ok"), [(False, False), (True, True)],
                         ids=["fails", "disable-on-download-failure"])
def test_crl_download_failure(figure4, start, at, on_failure, ok):
    check = RevocationCheck(crl=Crl(disable_on_download_failure=on_failure))
    daemon = _host_a(figure4, root_check=check, start=start)
    verdict, _ = _run(daemon, figure4, at, fail={"Sales-CA"})
    assert verdict.ok is ok
    if not ok:
        assert verdict.result.reason is ValidationFailure.CRL_MISSING
        assert verdict.result.message == "CRL download failed for CA profile dynamic-001"


def test_cached_crl_is_refreshed_after_next_update(figure4, start, at):
    daemon = _host_a(figure4, root_check=RevocationCheck(crl=Crl()), start=start)
    _run(daemon, figure4, at)
    _, again = _run(daemon, figure4, at + dt.timedelta(hours=1))
    assert again == []
    _, later = _run(daemon, figure4, at + dt.timedelta(days=8))
    assert [p for p, _ in later] == ["Root-CA", "dynamic-001"]


def test_refresh_interval_overrides_next_update(figure4, start, at):
    daemon = _host_a(figure4, root_check=RevocationCheck(crl=Crl(refresh_interval=2)),
                     start=start)
    _run(daemon, figure4, at)
    _, later = _run(daemon, figure4, at + dt.timedelta(hours=3))
    assert [p for p, _ in later] == ["Root-CA", "dynamic-001"]


def test_crl_signed_by_another_ca_is_discarded(figure4, start, at):
    daemon = _host_a(figure4, root_check=RevocationCheck(crl=Crl()), start=start)
    events = daemon.crl_downloaded("Root-CA", figure4.crl("Sales-CA", at=at), url="u", at=at)
    assert "not signed by its CA" in events[0].text and "Root-CA" not in daemon.crls


def test_no_ca_certificate_loaded(figure4, start, at):
    daemon = PkiDaemon.start({}, CertificateStore(), at=start)
    verdict = daemon.verify(figure4.certificate("Host-B"), (), at=at)
    assert verdict.result.reason is ValidationFailure.ISSUER_NOT_FOUND


def _sha1_figure4(start):
    from dataclasses import replace as changed

    from pki.hierarchy import CAHierarchy, figure4_specs
    from tests.conftest import FAST_KEY

    specs = [changed(spec, digest="sha1") for spec in figure4_specs(key=FAST_KEY)]
    h = CAHierarchy(specs, start=start, seed="sha1")
    h.issue_end_entity("Sales-CA", "Host-B", key=FAST_KEY, subject="CN=Host-B,O=PKI,C=US")
    return h


def test_sha1_crls_are_kept_and_a_sha1_root_is_a_root(start, at):
    """SHA-1 is what the guide's CAs sign with; cryptography's own checks refuse it."""
    from pki.certs import is_self_signed

    h = _sha1_figure4(start)
    root = h.certificate("Root-CA")
    assert root.signature_hash_algorithm.name == "sha1"
    assert is_self_signed(root)
    daemon = _host_a(h, root_check=RevocationCheck(crl=Crl()), start=start)
    verdict, fetches = _run(daemon, h, at)
    assert verdict.ok, verdict.result.message
    assert [profile for profile, _ in fetches] == ["Root-CA", "dynamic-001"]


def test_a_ca_whose_key_cannot_be_used_discards_its_crl_without_raising(start, at):
    """A CA certificate whose key algorithm nobody knows (cryptography: UnsupportedAlgorithm),
    and a CRL in its name."""
    from tests.pki.pathworld import crl_of, under_root, with_unknown_key_algorithm

    cert, key = under_root("Unknown-Key-CA", ca=True, serial=70)
    ca = with_unknown_key_algorithm(cert, under_root("Signer", ca=True, serial=71)[1])
    profiles = {"odd": CaProfile(name="odd", ca_identity="odd",
                                 revocation_check=RevocationCheck(crl=Crl()))}
    daemon = PkiDaemon.start(profiles, CertificateStore().add_ca_certificate("odd", ca),
                             at=start)
    events = daemon.crl_downloaded("odd", crl_of(ca, key, this_update=at), url="u", at=at)
    assert [e.text for e in events] == ["CRL from u for CA profile odd is not signed by its CA; "
                                        "discarded"]
    assert "odd" not in daemon.crls


def test_a_configured_profile_named_like_a_dynamic_one_is_never_replaced(figure4, start, at):
    """An administrator's `ca-profile dynamic-001` (here for Dev-CA) keeps its CA: pkid names
    its own dynamic profile dynamic-002."""
    profiles = {"Root-CA": CaProfile(name="Root-CA", ca_identity="CA-Root",
                                     revocation_check=RevocationCheck(crl=Crl())),
                "Eng-CA": CaProfile(name="Eng-CA", ca_identity="Eng-CA",
                                    revocation_check=RevocationCheck(crl=Crl())),
                "dynamic-001": CaProfile(name="dynamic-001", ca_identity="Dev-CA",
                                         revocation_check=RevocationCheck(crl=Crl()))}
    store = CertificateStore()
    for name, ca in (("Root-CA", "Root-CA"), ("Eng-CA", "Eng-CA"), ("dynamic-001", "Dev-CA")):
        store = store.add_ca_certificate(name, figure4.certificate(ca))
    daemon = PkiDaemon.start(profiles, store, at=start)
    verdict, fetches = _run(daemon, figure4, at)
    assert verdict.ok, verdict.result.message
    assert list(daemon.dynamic) == ["dynamic-002"]
    assert daemon.dynamic["dynamic-002"] == figure4.certificate("Sales-CA")
    assert daemon.store.ca_certificates["dynamic-001"] == figure4.certificate("Dev-CA")
    assert not daemon.profiles["dynamic-001"].dynamic
