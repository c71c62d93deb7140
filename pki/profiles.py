"""CA profiles and the rest of `[edit security pki]`, as Junos 12.1X46 configures them.

Values only: each dataclass checks its own ranges (Chapter 15 of the PKI guide) and raises
`ConfigError` naming the statement, relative to the object being built (an `Enrollment` says
`enrollment retry 2000`); the configuration builder prefixes the hierarchy above it
(`security pki ca-profile ms-ca enrollment retry 2000`) and the source line.

Guide facts kept here:
- enrollment retry 0..1080 (default 10), retry-interval 0..3600 s (default 900). With neither
  configured there is no polling (Chapter 10).
- revocation-check crl: one URL per CA profile (Chapter 11: "Currently you can configure only
  one URL"), refresh-interval 0..8784 hours; without it the CRL's next-update time is used, or
  one week when the CRL has none (Chapter 11).
- CRL location order: the CDP in the certificate, then the CA profile's URL (Chapters 5 and
  12; Chapter 11 only says that without a configured URL the CDP is used).
- Dynamic CA profiles `dynamic-nnn` inherit the parent's properties and exist only when the
  parent has `revocation-check crl` (Chapter 7).
- traceoptions file size 10240..1073741824 bytes (default 128 KB), files 2..1000 (default 10).
- revocation-check ocsp (12.1X46-D20; the Junos documentation, the guide gives the syntax
  only): at most two http responder URLs, a nonce unless `nonce-payload disable`, and OCSP is
  the method only with `use-ocsp` (CRLs stay the default).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from types import MappingProxyType


class ConfigError(ValueError):
    """A value Junos would refuse at commit. `statement` is the configuration statement."""

    def __init__(self, statement: str, problem: str, *, where: str | None = None) -> None:
        self.statement = statement
        self.problem = problem
        self.where = where
        text = f"{statement}: {problem}"
        super().__init__(f"{where}: {text}" if where else text)

    def within(self, prefix: str, *, where: str | None = None) -> ConfigError:
        """The same error, with the hierarchy above the statement and a location added."""
        statement = f"{prefix} {self.statement}" if prefix else self.statement
        return ConfigError(statement, self.problem, where=where or self.where)


def check_range(statement: str, value: int | None, low: int, high: int) -> None:
    """Raise ConfigError unless value (when configured) is an int within low..high."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{statement}: expected an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise ConfigError(f"{statement} {value}", f"value must be {low}..{high}")


def _check_text(statement: str, value: str | None, *, required: bool = False) -> None:
    if value is None:
        if required:
            raise ConfigError(statement, "a value is required")
        return
    if not isinstance(value, str):
        raise TypeError(f"{statement}: expected a str, not {type(value).__name__}")
    if not value:
        raise ConfigError(f'{statement} ""', "value must not be empty")


def frozen_mapping(items: Mapping[str, object] | None = None) -> Mapping:
    """A read-only copy that keeps configuration order."""
    return MappingProxyType(dict(items or {}))


# --- ca-profile ----------------------------------------------------------------------------

ENROLLMENT_RETRY_DEFAULT = 10
ENROLLMENT_RETRY_INTERVAL_DEFAULT = 900
CRL_REFRESH_DEFAULT = timedelta(weeks=1)


@dataclass(frozen=True, kw_only=True)
class Enrollment:
    """`enrollment { url; retry; retry-interval; }`; None means not configured."""

    url: str | None = None
    retry: int | None = None
    retry_interval: int | None = None

    def __post_init__(self) -> None:
        _check_text("enrollment url", self.url)
        check_range("enrollment retry", self.retry, 0, 1080)
        check_range("enrollment retry-interval", self.retry_interval, 0, 3600)

    @property
    def polls(self) -> bool:
        """Chapter 10: without retry and retry-interval there is no polling."""
        return self.retry is not None or self.retry_interval is not None

    @property
    def effective_retry(self) -> int:
        return ENROLLMENT_RETRY_DEFAULT if self.retry is None else self.retry

    @property
    def effective_retry_interval(self) -> int:
        if self.retry_interval is None:
            return ENROLLMENT_RETRY_INTERVAL_DEFAULT
        return self.retry_interval


@dataclass(frozen=True, kw_only=True)
class Crl:
    """`revocation-check crl { disable on-download-failure; refresh-interval; url; }`."""

    url: str | None = None
    refresh_interval: int | None = None  # hours
    disable_on_download_failure: bool = False

    def __post_init__(self) -> None:
        _check_text("crl url", self.url)
        check_range("crl refresh-interval", self.refresh_interval, 0, 8784)


class OcspConnectionFailure(enum.Enum):
    DISABLE = "disable"
    FALLBACK_CRL = "fallback-crl"


OCSP_URLS_MAX = 2  # "A maximum of two HTTP URL addresses can be configured" (12.1X46-D20)


@dataclass(frozen=True, kw_only=True)
class Ocsp:
    """`revocation-check ocsp {...}` (12.1X46-D20). It configures OCSP; `use-ocsp` selects it
    (CRLs stay the default method, as the Junos documentation says).

    `urls`: the responders asked first, in order, before the certificate's AIA OCSP URL.
    `nonce_payload`: None (not configured) sends a nonce, as `enable` does.
    """

    urls: tuple[str, ...] = ()
    connection_failure: OcspConnectionFailure | None = None
    disable_responder_revocation_check: bool = False
    nonce_payload: bool | None = None  # enable / disable; None = not configured

    def __post_init__(self) -> None:
        object.__setattr__(self, "urls", tuple(self.urls))
        for url in self.urls:
            _check_text("ocsp url", url)
            if not url.lower().startswith("http://"):
                raise ConfigError(f"ocsp url {url}", "value must be an http:// URL")
        if len(self.urls) > OCSP_URLS_MAX:
            raise ConfigError(f"ocsp url {self.urls[-1]}",
                              f"at most {OCSP_URLS_MAX} URLs can be configured")
        if self.connection_failure is not None and not isinstance(
            self.connection_failure, OcspConnectionFailure
        ):
            raise TypeError("ocsp connection-failure must be an OcspConnectionFailure")

    @property
    def sends_nonce(self) -> bool:
        """A nonce is sent unless `nonce-payload disable`."""
        return self.nonce_payload is not False


class RevocationMethod(enum.Enum):
    CRL = "crl"
    OCSP = "ocsp"
    DISABLED = "disable"


@dataclass(frozen=True, kw_only=True)
class RevocationCheck:
    """`revocation-check { crl {...}; disable; ocsp {...}; use-ocsp; }`."""

    crl: Crl | None = None
    disable: bool = False
    ocsp: Ocsp | None = None
    use_ocsp: bool = False

    def __post_init__(self) -> None:
        if self.crl is not None and not isinstance(self.crl, Crl):
            raise TypeError("revocation-check crl must be a Crl")
        if self.ocsp is not None and not isinstance(self.ocsp, Ocsp):
            raise TypeError("revocation-check ocsp must be an Ocsp")

    @property
    def method(self) -> RevocationMethod:
        """`disable` wins; `use-ocsp` selects OCSP; otherwise CRLs are checked (the default)."""
        if self.disable:
            return RevocationMethod.DISABLED
        if self.use_ocsp:
            return RevocationMethod.OCSP
        return RevocationMethod.CRL


@dataclass(frozen=True, kw_only=True)
class CaProfile:
    """`security pki ca-profile NAME {...}`."""

    name: str
    ca_identity: str | None = None
    enrollment: Enrollment = field(default_factory=Enrollment)
    revocation_check: RevocationCheck = field(default_factory=RevocationCheck)
    administrator_email: str | None = None  # administrator e-mail-address
    routing_instance: str | None = None
    dynamic: bool = False  # created by pkid (`dynamic-nnn`), not configured

    def __post_init__(self) -> None:
        _check_text("ca-profile", self.name, required=True)
        if any(c.isspace() for c in self.name):
            raise ConfigError(f'ca-profile "{self.name}"', "name must not contain spaces")
        _check_text(f"ca-profile {self.name} ca-identity", self.ca_identity)
        _check_text(f"ca-profile {self.name} administrator e-mail-address",
                    self.administrator_email)
        _check_text(f"ca-profile {self.name} routing-instance", self.routing_instance)
        if not isinstance(self.enrollment, Enrollment):
            raise TypeError("enrollment must be an Enrollment")
        if not isinstance(self.revocation_check, RevocationCheck):
            raise TypeError("revocation_check must be a RevocationCheck")

    @property
    def enables_dynamic_profiles(self) -> bool:
        """Chapter 7: `revocation-check crl` on a parent profile, and not `disable`."""
        rc = self.revocation_check
        return rc.crl is not None and rc.method is RevocationMethod.CRL


def crl_urls(profile: CaProfile, *, cdp_urls: Iterable[str] = ()) -> tuple[str, ...]:
    """Where pkid looks for the CRL of this profile's CA, in order, without repeats.

    The CDP URLs of the certificate being checked first (`cdp_urls`, in certificate order),
    then the configured `revocation-check crl url` (Chapter 5: "If the device fails to connect
    to the URL in the certificate distribution point (CDP), it tries to retrieve the CRL from
    the URL configured in the CA profile"). Empty when revocation checking is not by CRL.
    """
    if profile.revocation_check.method is not RevocationMethod.CRL:
        return ()
    return crl_locations(profile, cdp_urls=cdp_urls)


def crl_locations(profile: CaProfile, *, cdp_urls: Iterable[str] = ()) -> tuple[str, ...]:
    """crl_urls whatever the method: where an OCSP profile falls back to (connection-failure
    fallback-crl) and where an OCSP responder's own certificate is checked."""
    urls = list(dict.fromkeys(cdp_urls))
    crl = profile.revocation_check.crl
    if crl is not None and crl.url and crl.url not in urls:
        urls.append(crl.url)
    return tuple(urls)


def crl_refresh_interval(profile: CaProfile, *, next_update_in: timedelta | None) -> timedelta:
    """How long a downloaded CRL stays fresh.

    The configured refresh-interval (hours) if any; else the time until the CRL's next-update
    (`next_update_in`, never negative); else one week (Chapter 11).
    """
    crl = profile.revocation_check.crl
    if crl is not None and crl.refresh_interval is not None:
        return timedelta(hours=crl.refresh_interval)
    if next_update_in is not None:
        return max(next_update_in, timedelta(0))
    return CRL_REFRESH_DEFAULT


def dynamic_profile(parent: CaProfile, *, index: int, ca_identity: str) -> CaProfile:
    """The `dynamic-nnn` profile pkid creates for a CA learned from a peer (Chapter 7).

    It inherits the parent's revocation checking and routing instance; it has no enrollment.
    The parent's CRL URL is not inherited: it serves the parent's CA, not this one.
    """
    if not parent.enables_dynamic_profiles:
        raise ValueError(f"ca-profile {parent.name} has no revocation-check crl: "
                         "dynamic CA profiles are not created")
    if isinstance(index, bool) or not isinstance(index, int) or not 1 <= index <= 999:
        raise ValueError(f"dynamic CA profile index {index!r} must be 1..999")
    return CaProfile(
        name=f"dynamic-{index:03d}",
        ca_identity=ca_identity,
        revocation_check=replace(parent.revocation_check,
                                 crl=replace(parent.revocation_check.crl, url=None)),
        routing_instance=parent.routing_instance,
        dynamic=True,
    )


# --- auto-re-enrollment --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReEnrollment:
    """`auto-re-enrollment certificate-id ID {...}`."""

    certificate_id: str
    ca_profile_name: str | None = None
    challenge_password: str | None = field(default=None, repr=False)
    re_enroll_trigger_time_percentage: int | None = None
    re_generate_keypair: bool = False

    def __post_init__(self) -> None:
        _check_text("certificate-id", self.certificate_id, required=True)
        stmt = f"certificate-id {self.certificate_id}"
        _check_text(f"{stmt} ca-profile-name", self.ca_profile_name)
        _check_text(f"{stmt} challenge-password", self.challenge_password)
        # The guide gives no range; 1..99 is Junos's documented range (not confirmed here).
        check_range(f"{stmt} re-enroll-trigger-time-percentage",
                    self.re_enroll_trigger_time_percentage, 1, 99)


# --- traceoptions (shared with [edit security ike traceoptions]) ----------------------------

TRACE_FILE_SIZE_DEFAULT = 128 * 1024
TRACE_FILES_DEFAULT = 10


@dataclass(frozen=True, kw_only=True)
class TraceFile:
    """`traceoptions file [NAME] size N files N match RE (world-readable|no-world-readable)`.

    `name` None writes to the daemon's own log (pkid, kmd). `size` is in bytes.
    """

    name: str | None = None
    size: int | None = None
    files: int | None = None
    match: str | None = None
    world_readable: bool | None = None  # None: not configured (= not world-readable)

    def __post_init__(self) -> None:
        _check_text("file", self.name)
        check_range("file size", self.size, 10240, 1073741824)
        check_range("file files", self.files, 2, 1000)
        _check_text("file match", self.match)

    @property
    def effective_size(self) -> int:
        return TRACE_FILE_SIZE_DEFAULT if self.size is None else self.size

    @property
    def effective_files(self) -> int:
        return TRACE_FILES_DEFAULT if self.files is None else self.files


class PkiTraceFlag(enum.Enum):
    ALL = "all"
    CERTIFICATE_VERIFICATION = "certificate-verification"
    ONLINE_CRL_CHECK = "online-crl-check"


@dataclass(frozen=True, kw_only=True)
class PkiTraceoptions:
    """`security pki traceoptions`; the default file is the pkid log."""

    file: TraceFile = field(default_factory=TraceFile)
    flags: frozenset[PkiTraceFlag] = frozenset()
    no_remote_trace: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "flags", frozenset(self.flags))
        if not all(isinstance(f, PkiTraceFlag) for f in self.flags):
            raise TypeError("flags must be PkiTraceFlag values")

    def traces(self, flag: PkiTraceFlag) -> bool:
        return flag in self.flags or PkiTraceFlag.ALL in self.flags


# --- [edit security pki] -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PkiConfig:
    """All of `[edit security pki]`, in configuration order."""

    ca_profiles: Mapping[str, CaProfile] = field(default_factory=frozen_mapping)
    auto_re_enrollment: Mapping[str, ReEnrollment] = field(default_factory=frozen_mapping)
    traceoptions: PkiTraceoptions | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "ca_profiles", frozen_mapping(self.ca_profiles))
        object.__setattr__(self, "auto_re_enrollment", frozen_mapping(self.auto_re_enrollment))
        for name, profile in self.ca_profiles.items():
            if not isinstance(profile, CaProfile) or profile.name != name:
                raise ValueError(f"ca_profiles[{name!r}] must be the CaProfile named {name!r}")
        for cid, entry in self.auto_re_enrollment.items():
            if not isinstance(entry, ReEnrollment) or entry.certificate_id != cid:
                raise ValueError(f"auto_re_enrollment[{cid!r}] must be for certificate-id {cid}")
