"""pkid's decisions, without its clock or its network: which CA profile covers which CA, when a
dynamic CA profile is created, which CRL is needed and where to look for it, and the verdict.

The simulator's pkid process (sim/world/pkid.py) drives this: it calls `verify`, and when the answer
is `FetchCrl` it downloads (with simulated time passing), reports back with `crl_downloaded` or
`crl_unavailable`, and calls `verify` again. Everything that happens is returned as `Event`s,
which the driver writes to the pkid log.

Junos behaviour followed (PKI guide):
- Only CA certificates of configured CA profiles are trusted (Chapter 7); a CA certificate
  received from a peer only builds the path and validates that CA's CRL.
- For a CA on the peer's path with no configured profile, a dynamic CA profile `dynamic-nnn` is
  created, inheriting revocation checking from the profile of the CA above it; with
  `revocation-check disable` there, none is created and that CA's certificates go unchecked.
- CRL sources in order: a CRL already loaded, the CDP in the certificate, the CA profile's URL
  (Chapter 5). A failed download fails validation unless `crl disable on-download-failure`.
- A downloaded CRL is kept until refresh-interval, else its nextUpdate, else one week.
- With `use-ocsp` a CA profile's certificates are checked by OCSP instead (pki.ocsp_step).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from cryptography import x509

from pki.certs import crl_urls_of, is_self_signed
from pki.context import RevocationCache
from pki.daemon_answers import Event, FetchCrl, FetchOcsp, OcspReply, Verdict
from pki.name_match import names_match
from pki.names import render_oneline
from pki.ocsp_step import CHECKED, Refusal, ocsp_step
from pki.profiles import (
    CaProfile,
    RevocationMethod,
    crl_locations,
    crl_refresh_interval,
    dynamic_profile,
)
from pki.result import ValidationFailure, ValidationResult
from pki.store import CertificateStore
from pki.validate import validate_path


@dataclass(frozen=True)
class CachedCrl:
    crl: x509.CertificateRevocationList
    loaded_at: dt.datetime
    refresh_at: dt.datetime | None  # None: loaded by hand, kept until cleared
    url: str | None = None


# -- the daemon's state -----------------------------------------------------------------------


@dataclass
class PkiDaemon:
    profiles: dict[str, CaProfile]
    store: CertificateStore
    dynamic: dict[str, x509.Certificate] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)  # dynamic profile -> its parent
    crls: dict[str, CachedCrl] = field(default_factory=dict)
    revocation_cache: RevocationCache = field(default_factory=RevocationCache)

    @classmethod
    def start(cls, profiles: Mapping[str, CaProfile], store: CertificateStore, *,
              at: dt.datetime) -> PkiDaemon:
        daemon = cls(profiles=dict(profiles), store=store)
        for name, crl in store.crls.items():
            daemon.crls[name] = CachedCrl(crl=crl, loaded_at=at, refresh_at=None)
        return daemon

    # -- which profile covers a CA --------------------------------------------------------

    def ca_certificate(self, profile: str) -> x509.Certificate | None:
        return self.dynamic.get(profile) or self.store.ca_certificates.get(profile)

    def profile_of(self, ca: x509.Certificate) -> str | None:
        """The configured profile holding this CA certificate, else its dynamic profile."""
        for name, cert in self.store.ca_certificates.items():
            if name in self.profiles and cert == ca:
                return name
        for name, cert in self.dynamic.items():
            if cert == ca:
                return name
        return None

    def trust_anchors(self, trusted_ca: str | None = None) -> list[x509.Certificate]:
        """CA certificates of configured profiles (`trusted-ca NAME` narrows it to one)."""
        names = [trusted_ca] if trusted_ca else list(self.profiles)
        return [self.store.ca_certificates[n] for n in names if n in self.store.ca_certificates]

    def _new_dynamic(self, ca: x509.Certificate, parent: str) -> tuple[str, Event]:
        # The next number whose name no profile has: an administrator may have configured a
        # profile called dynamic-001, and pkid must not replace it.
        index = len(self.dynamic) + 1
        while f"dynamic-{index:03d}" in self.profiles:
            index += 1
        profile = dynamic_profile(self.profiles[parent], index=index,
                                  ca_identity=render_oneline(ca.subject))
        self.profiles[profile.name] = profile
        self.dynamic[profile.name] = ca
        self.parents[profile.name] = parent
        return profile.name, Event("online-crl-check",
                                   f"Dynamic CA profile {profile.name} created for CA "
                                   f"{render_oneline(ca.subject)}, parent CA profile {parent}")

    # -- CRLs ---------------------------------------------------------------------------------

    def crl_downloaded(self, profile: str, crl: x509.CertificateRevocationList, *, url: str,
                       at: dt.datetime) -> tuple[Event, ...]:
        """Keep a downloaded CRL if its CA signed it; say what happened either way."""
        ca = self.ca_certificate(profile)
        if ca is None or not names_match(crl.issuer, ca.subject) \
                or not self.revocation_cache.facts(crl).signed_by_certificate(ca):
            return (Event("online-crl-check",
                          f"CRL from {url} for CA profile {profile} is not signed by its CA; "
                          "discarded"),)
        next_in = crl.next_update_utc - at if crl.next_update_utc else None
        refresh = at + crl_refresh_interval(self.profiles[profile], next_update_in=next_in)
        self.crls[profile] = CachedCrl(crl=crl, loaded_at=at, refresh_at=refresh, url=url)
        return (Event("online-crl-check",
                      f"CRL for CA profile {profile} loaded from {url}, "
                      f"{len(crl)} revoked, next refresh {refresh:%m-%d-%Y %H:%M}"),)

    def due(self, profile: str, at: dt.datetime) -> bool:
        """Is the CRL of `profile` due for refresh (refresh-interval, else nextUpdate)?"""
        cached = self.crls.get(profile)
        return cached is not None and cached.refresh_at is not None and cached.refresh_at <= at

    def refresh(self, profile: str) -> FetchCrl | None:
        """What to download to refresh a cached CRL outside a verification (pkid refreshes
        them periodically, Chapter 7): where it came from, then the profile's URL."""
        cached = self.crls.get(profile)
        ca = self.ca_certificate(profile)
        if cached is None or ca is None or cached.url is None:
            return None
        # A CRL an OCSP profile fell back to is refreshed like any other.
        urls = crl_locations(self.profiles[profile], cdp_urls=(cached.url,))
        return FetchCrl(ca_profile=profile, ca_certificate=ca, urls=urls, events=(
            Event("online-crl-check", f"CRL for CA profile {profile} is due for refresh"),))

    # -- verification -----------------------------------------------------------------------

    def verify(self, leaf: x509.Certificate, peer_certificates: tuple[x509.Certificate, ...], *,
               at: dt.datetime, trusted_ca: str | None = None,
               unavailable: frozenset[str] = frozenset(),
               fetched: frozenset[str] = frozenset(),
               ocsp: Mapping[str, OcspReply] | None = None,
               nonce: bytes | None = None) -> Verdict | FetchCrl | FetchOcsp:
        """Validate a peer's certificate at `at` (the device's clock).

        `unavailable`: profiles whose CRL could not be downloaded during this verification;
        `fetched`: profiles whose CRL was downloaded during it (used even if already stale, so
        that a CA publishing an expired CRL fails the check instead of looping); `ocsp`: the
        OCSP replies of this verification, by CA profile; `nonce`: the nonce of an OCSP
        request, should one be needed now (nonce-payload enable).
        """
        ocsp = ocsp or {}
        events: list[Event] = []
        anchors = self.trust_anchors(trusted_ca)
        pool = [*peer_certificates, *self.store.ca_certificates.values()]
        if not anchors:
            result = ValidationResult(reason=ValidationFailure.ISSUER_NOT_FOUND,
                                      message="no CA certificate is loaded in any CA profile",
                                      path=(leaf,), failed_certificate=leaf)
            return Verdict(result=result, events=tuple(events))
        # Build to a root CA when one is configured, so every CA on the way is checked
        # against its CRL (Chapter 14: Host-A loads the CRLs of Root-CA, Eng-CA and Dev-CA);
        # else to whichever configured CA is common (Chapter 7: it need not be the root).
        roots = [a for a in anchors if is_self_signed(a)]
        for candidates in ([roots] if roots and len(roots) < len(anchors) else []) + [anchors]:
            shape = validate_path(leaf, trust_anchors=candidates, intermediates=pool, at=at,
                                  check_revocation=False)
            if shape.ok:
                anchors = candidates
                break
        if not shape.ok:
            return Verdict(result=shape, events=tuple(events))
        exempt: list[x509.Name] = []
        profiles_on_path: list[str] = []
        # Walk the path top-down, so a CA's profile exists before the CAs it certified need it.
        path = shape.path
        for depth in range(len(path) - 1, 0, -1):
            ca, subject = path[depth], path[depth - 1]
            profile = self.profile_of(ca)
            if profile is None:
                parent = self.profile_of(path[depth + 1]) if depth + 1 < len(path) else None
                if parent is None or not self.profiles[parent].enables_dynamic_profiles:
                    exempt.append(ca.subject)
                    continue
                profile, event = self._new_dynamic(ca, parent)
                events.append(event)
            profiles_on_path.append(profile)
            method = self.profiles[profile].revocation_check.method
            if method is RevocationMethod.OCSP:
                step = ocsp_step(self, profile, ca, subject, ocsp.get(profile), at=at,
                                 nonce=nonce, events=events, fetched=fetched,
                                       unavailable=unavailable)
                if isinstance(step, FetchOcsp | FetchCrl):
                    return step
                if isinstance(step, Refusal):
                    # Named as path validation names the certificate a CRL says is revoked.
                    who = subject.subject.rfc4514_string() or f"serial {subject.serial_number:X}"
                    result = replace(shape, reason=step.reason, message=f"{who}: {step.message}",
                                     revocation=step.revocation, public_key=None,
                                     failed_certificate=subject)
                    return Verdict(result=result, events=tuple(events))
                if step is CHECKED:
                    exempt.append(ca.subject)
                    continue
            elif method is not RevocationMethod.CRL:
                exempt.append(ca.subject)
                continue
            cached = self.crls.get(profile)
            if profile in fetched or (cached is not None and not self.due(profile, at)):
                continue
            if profile in unavailable:
                crl_cfg = self.profiles[profile].revocation_check.crl
                if crl_cfg is not None and crl_cfg.disable_on_download_failure:
                    exempt.append(ca.subject)
                    events.append(Event("online-crl-check",
                                        f"CRL for CA profile {profile} unavailable; revocation "
                                        "check skipped (disable on-download-failure)"))
                    continue
                if cached is not None:
                    continue  # the refresh failed: the old CRL judges, if still in its window
                result = replace(shape, reason=ValidationFailure.CRL_MISSING, public_key=None,
                                 failed_certificate=subject,
                                 message=f"CRL download failed for CA profile {profile}")
                return Verdict(result=result, events=tuple(events))
            if cached is not None:
                events.append(Event("online-crl-check",
                                    f"CRL for CA profile {profile} is due for refresh"))
            urls = crl_locations(self.profiles[profile], cdp_urls=crl_urls_of(subject))
            return FetchCrl(ca_profile=profile, ca_certificate=ca, urls=urls,
                            events=tuple(events))
        crls = [self.crls[p].crl for p in profiles_on_path if p in self.crls]
        result = validate_path(leaf, trust_anchors=anchors, intermediates=pool, crls=crls,
                               at=at, revocation_exempt=tuple(exempt),
                               revocation_cache=self.revocation_cache)
        return Verdict(result=result, events=tuple(events))
