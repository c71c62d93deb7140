"""CA profiles and [edit security pki] values: ranges, defaults and the pkid helpers."""

from datetime import timedelta

import pytest

from pki.profiles import (
    CaProfile,
    ConfigError,
    Crl,
    Enrollment,
    PkiConfig,
    PkiTraceFlag,
    PkiTraceoptions,
    ReEnrollment,
    RevocationCheck,
    RevocationMethod,
    TraceFile,
    crl_refresh_interval,
    crl_urls,
    dynamic_profile,
)

CDP = "http://taclabsrv1.tacdomain.com/CertEnroll/TACLAB.crl"


def _profile(**revocation) -> CaProfile:
    return CaProfile(name="ms-ca", ca_identity="labdomain.com",
                     revocation_check=RevocationCheck(**revocation))


@pytest.mark.parametrize("build, message", [
    (lambda: Enrollment(retry=2000), "enrollment retry 2000: value must be 0..1080"),
    (lambda: Enrollment(retry=-1), "enrollment retry -1: value must be 0..1080"),
    (lambda: Enrollment(retry_interval=3601),
     "enrollment retry-interval 3601: value must be 0..3600"),
    (lambda: Crl(refresh_interval=8785), "crl refresh-interval 8785: value must be 0..8784"),
    (lambda: TraceFile(size=10239), "file size 10239: value must be 10240..1073741824"),
    (lambda: TraceFile(files=1), "file files 1: value must be 2..1000"),
    (lambda: TraceFile(files=1001), "file files 1001: value must be 2..1000"),
    (lambda: ReEnrollment(certificate_id="ca-ipsec", re_enroll_trigger_time_percentage=100),
     "certificate-id ca-ipsec re-enroll-trigger-time-percentage 100: value must be 1..99"),
    (lambda: CaProfile(name=""), 'ca-profile "": value must not be empty'),
    (lambda: CaProfile(name="ms ca"), 'ca-profile "ms ca": name must not contain spaces'),
], ids=["retry-high", "retry-negative", "retry-interval", "refresh-interval", "size", "files-low",
        "files-high", "trigger-percentage", "empty-name", "space-in-name"])
def test_out_of_range_values_name_the_statement(build, message):
    with pytest.raises(ConfigError) as exc:
        build()
    assert str(exc.value) == message


@pytest.mark.parametrize("build", [
    lambda: Enrollment(retry=0, retry_interval=0),
    lambda: Enrollment(retry=1080, retry_interval=3600),
    lambda: Crl(refresh_interval=0),
    lambda: Crl(refresh_interval=8784),
    lambda: TraceFile(size=10240, files=2),
    lambda: TraceFile(size=1073741824, files=1000),
])
def test_range_limits_are_inclusive(build):
    build()


def test_config_error_is_a_value_error_with_its_parts():
    err = ConfigError("enrollment retry 2000", "value must be 0..1080")
    located = err.within("security pki ca-profile ms-ca", where="Host-A config line 7")
    assert isinstance(located, ValueError)
    assert str(located) == ("Host-A config line 7: security pki ca-profile ms-ca enrollment "
                            "retry 2000: value must be 0..1080")
    assert (located.statement, located.problem) == (
        "security pki ca-profile ms-ca enrollment retry 2000", "value must be 0..1080")


def test_wrong_kinds_are_type_errors():
    with pytest.raises(TypeError):
        Enrollment(retry="20")
    with pytest.raises(TypeError):
        Enrollment(retry=True)
    with pytest.raises(TypeError):
        PkiTraceoptions(flags={"all"})


def test_enrollment_defaults_from_chapter_10():
    """Retry 10 and 900 s by default; no polling unless retry or retry-interval is set."""
    assert not Enrollment().polls
    only_retry = Enrollment(retry=20)
    assert only_retry.polls
    assert (only_retry.effective_retry, only_retry.effective_retry_interval) == (20, 900)
    assert Enrollment(retry_interval=1800).effective_retry == 10


def test_revocation_method():
    assert _profile().revocation_check.method is RevocationMethod.CRL
    assert _profile(disable=True, crl=Crl()).revocation_check.method is RevocationMethod.DISABLED
    assert _profile(use_ocsp=True).revocation_check.method is RevocationMethod.OCSP


def test_crl_urls_certificate_cdps_then_configured_url():
    configured = "http://labsrv1.labdomain.com/CertEnroll/LABDOMAIN.crl"
    profile = _profile(crl=Crl(url=configured))
    assert crl_urls(profile, cdp_urls=[CDP, configured]) == (CDP, configured)
    assert crl_urls(profile, cdp_urls=[CDP]) == (CDP, configured)
    assert crl_urls(_profile(crl=Crl()), cdp_urls=[CDP]) == (CDP,)
    assert crl_urls(_profile()) == ()


def test_crl_urls_empty_when_revocation_check_disabled():
    profile = _profile(crl=Crl(url="http://abc/abc-crl.crl"), disable=True)
    assert crl_urls(profile, cdp_urls=[CDP]) == ()


def test_crl_refresh_interval():
    """refresh-interval hours; else the CRL's next-update; else one week (Chapter 11)."""
    assert crl_refresh_interval(_profile(crl=Crl(refresh_interval=48)),
                                next_update_in=timedelta(hours=3)) == timedelta(hours=48)
    assert crl_refresh_interval(_profile(crl=Crl()),
                                next_update_in=timedelta(hours=3)) == timedelta(hours=3)
    assert crl_refresh_interval(_profile(), next_update_in=timedelta(hours=-2)) == timedelta(0)
    assert crl_refresh_interval(_profile(), next_update_in=None) == timedelta(days=7)


def test_dynamic_profile_inherits_from_its_parent():
    """Chapter 7: dynamic-nnn inherits revocation checking from the parent CA profile."""
    root = CaProfile(name="Root-CA", ca_identity="Root-CA", routing_instance="vr1",
                     enrollment=Enrollment(url="www.example.net/scep/Root/"),
                     revocation_check=RevocationCheck(crl=Crl(
                         refresh_interval=24, url="http://10.157.88.230:8080/crl/Root.crl")))
    assert root.enables_dynamic_profiles
    dyn = dynamic_profile(root, index=1, ca_identity="Sales-CA")
    assert (dyn.name, dyn.ca_identity, dyn.dynamic) == ("dynamic-001", "Sales-CA", True)
    # Revocation checking is inherited; the Root-CA's CRL URL is not (it is not Sales-CA's).
    assert dyn.revocation_check.crl == Crl(refresh_interval=24)
    assert dyn.routing_instance == "vr1"
    assert dyn.enrollment == Enrollment()


def test_no_dynamic_profile_without_revocation_check_crl():
    disabled = CaProfile(name="Root-CA",
                         revocation_check=RevocationCheck(crl=Crl(), disable=True))
    assert not CaProfile(name="Root-CA").enables_dynamic_profiles
    assert not disabled.enables_dynamic_profiles
    with pytest.raises(ValueError, match="dynamic CA profiles are not created"):
        dynamic_profile(disabled, index=1, ca_identity="Sales-CA")


def test_traceoptions_all_flag_and_file_defaults():
    trace = PkiTraceoptions(flags=[PkiTraceFlag.ALL])
    assert trace.traces(PkiTraceFlag.ONLINE_CRL_CHECK)
    only = PkiTraceoptions(flags=[PkiTraceFlag.CERTIFICATE_VERIFICATION])
    assert not only.traces(PkiTraceFlag.ONLINE_CRL_CHECK)
    assert (TraceFile().effective_size, TraceFile().effective_files) == (128 * 1024, 10)


def test_pki_config_keys_must_match_names():
    with pytest.raises(ValueError, match="must be the CaProfile named 'a'"):
        PkiConfig(ca_profiles={"a": CaProfile(name="b")})
    config = PkiConfig(ca_profiles={"b": CaProfile(name="b")})
    with pytest.raises(TypeError):
        config.ca_profiles["c"] = CaProfile(name="c")


def test_challenge_password_is_not_in_repr():
    assert "abc" not in repr(ReEnrollment(certificate_id="x", challenge_password="abc"))
