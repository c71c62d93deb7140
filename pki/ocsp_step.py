"""pkid's OCSP check of one certificate on a path (12.1X46-D20), for pki.daemon: ask the
responders, judge the answer (pki.ocsp), and say what follows.

- The `ocsp url`s are asked first, then the certificate's AIA responder; answers are not
  cached (the Junos documentation: "OCSP responses are not cached on SRX Series devices").
- No answer: `connection-failure fallback-crl` checks the CRL instead, `connection-failure
  disable` skips the check, neither fails the certificate. A response that fails its check,
  or says revoked or unknown, fails it.
- An authorized responder's own certificate is checked against its CA's CRL (RFC 6960
  4.2.2.2.1) unless `disable-responder-revocation-check` or it carries id-pkix-ocsp-nocheck.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509

from pki.certs import crl_urls_of
from pki.crl import Revocation
from pki.daemon_answers import Event, FetchCrl, FetchOcsp, OcspReply
from pki.names import render_oneline
from pki.ocsp import (
    NONCE_BYTES,
    OcspRefused,
    OcspStatus,
    build_request,
    check_response,
    ocsp_urls_of,
)
from pki.profiles import Ocsp, OcspConnectionFailure, crl_locations
from pki.result import ValidationFailure
from pki.revocation import revoked_message
from pki.validate import validate_path

if TYPE_CHECKING:
    from pki.daemon import PkiDaemon

# What an OCSP check left to do for one CA profile: nothing (the status is good, or the check
# is skipped), or the CRL path (connection-failure fallback-crl).
CHECKED = "checked"
FALLBACK_CRL = "fallback-crl"
_OCSP = "online-crl-check"  # the traceoptions flag of online revocation checks, OCSP included


@dataclass(frozen=True, kw_only=True)
class Refusal:
    """Why the certificate fails: what the path's verdict says."""

    reason: ValidationFailure
    message: str
    revocation: Revocation | None = None


def ocsp_step(daemon: PkiDaemon, profile: str, ca: x509.Certificate, subject: x509.Certificate,
              reply: OcspReply | None, *, at: dt.datetime, nonce: bytes | None,
              events: list[Event], fetched: frozenset[str], unavailable: frozenset[str]
              ) -> FetchOcsp | FetchCrl | Refusal | str:
    """The OCSP check of `subject` (issued by `ca`, CA profile `profile`)."""
    config = daemon.profiles[profile].revocation_check.ocsp or Ocsp()
    if reply is None:
        urls = tuple(dict.fromkeys((*config.urls, *ocsp_urls_of(subject))))
        if not urls:
            events.append(Event(_OCSP, f"No OCSP URL for certificate serial "
                                       f"{subject.serial_number:X}: none in CA profile "
                                       f"{profile} and none in the certificate"))
            return _no_answer(profile, config, events)
        if config.sends_nonce and nonce is None:
            nonce = _nonce_for(subject, at)
        request = build_request(subject, ca, nonce=nonce if config.sends_nonce else None)
        return FetchOcsp(ca_profile=profile, request=request, urls=urls,
                         events=tuple(events))
    if reply.data is None:
        return _no_answer(profile, config, events)
    serial = f"{subject.serial_number:X}"
    try:
        answer = check_response(reply.data, reply.request, at=at)
    except OcspRefused as refused:
        events.append(Event(_OCSP, f"OCSP response from {reply.url} for certificate serial "
                                   f"{serial} refused: {refused}"))
        return Refusal(reason=ValidationFailure.OCSP_FAILED,
                       message=f"OCSP response refused: {refused}")
    until = (f", next update {answer.next_update:%Y-%m-%d %H:%M:%S} UTC"
             if answer.next_update else "")
    status = answer.status.value
    if answer.revocation_time is not None:
        why = f" ({answer.revocation_reason.value})" if answer.revocation_reason else ""
        status += f" on {answer.revocation_time:%Y-%m-%d %H:%M:%S} UTC{why}"
    events.append(Event(_OCSP, f"OCSP response from {reply.url}: certificate serial "
                               f"{serial} {status}, responder "
                               f"{answer.responder}, this update "
                               f"{answer.this_update:%Y-%m-%d %H:%M:%S} UTC{until}"))
    if answer.delegate is not None:
        step = _responder_check(daemon, profile, ca, answer.delegate, config,
                                nocheck=answer.nocheck, at=at, events=events, fetched=fetched,
                                unavailable=unavailable)
        if step is not None:
            return step
    if answer.status is OcspStatus.REVOKED:
        entry = Revocation(serial=subject.serial_number, date=answer.revocation_time,
                           reason=answer.revocation_reason)
        return Refusal(reason=ValidationFailure.REVOKED, revocation=entry,
                       message=revoked_message(entry))
    if answer.status is OcspStatus.UNKNOWN:
        return Refusal(reason=ValidationFailure.OCSP_FAILED,
                       message=f"OCSP responder does not know certificate serial {serial}"
                               " (status unknown)")
    return CHECKED


def _no_answer(profile: str, config: Ocsp, events: list[Event]) -> Refusal | str:
    """No responder answered: connection-failure decides."""
    action = config.connection_failure
    if action is OcspConnectionFailure.DISABLE:
        events.append(Event(_OCSP, f"No OCSP response for CA profile {profile}; revocation "
                                   "check skipped (connection-failure disable)"))
        return CHECKED
    if action is OcspConnectionFailure.FALLBACK_CRL:
        events.append(Event(_OCSP, f"No OCSP response for CA profile {profile}; checking "
                                   "the CRL instead (connection-failure fallback-crl)"))
        return FALLBACK_CRL
    return Refusal(reason=ValidationFailure.OCSP_FAILED,
                   message=f"no OCSP response for CA profile {profile}")


def _responder_check(daemon: PkiDaemon, profile: str, ca: x509.Certificate,
                     delegate: x509.Certificate, config: Ocsp, *, nocheck: bool,
                     at: dt.datetime, events: list[Event], fetched: frozenset[str],
                     unavailable: frozenset[str]) -> FetchCrl | Refusal | None:
    """An authorized responder's own certificate, checked against its CA's CRL (RFC 6960
    4.2.2.2.1) unless the profile or the certificate says not to."""
    name = render_oneline(delegate.subject)
    if config.disable_responder_revocation_check or nocheck:
        why = ("disable-responder-revocation-check" if config.disable_responder_revocation_check
               else "it carries ocsp-nocheck")
        events.append(Event(_OCSP, f"OCSP responder certificate {name}: revocation not "
                                   f"checked ({why})"))
        return None
    cached = daemon.crls.get(profile)
    if cached is not None and (profile in fetched or not daemon.due(profile, at)):
        result = validate_path(delegate, trust_anchors=[ca], crls=[cached.crl], at=at,
                               revocation_cache=daemon.revocation_cache)
        if result.ok:
            return None
        return Refusal(reason=ValidationFailure.OCSP_FAILED,
                       message=f"OCSP responder certificate {result.message}")
    if profile in unavailable:
        return Refusal(reason=ValidationFailure.OCSP_FAILED,
                       message=f"OCSP responder certificate {name}: CRL download failed "
                               f"for CA profile {profile}")
    urls = crl_locations(daemon.profiles[profile], cdp_urls=crl_urls_of(delegate))
    return FetchCrl(ca_profile=profile, ca_certificate=ca, urls=urls, events=tuple(events))


def _nonce_for(subject: x509.Certificate, at: dt.datetime) -> bytes:
    """A nonce when the driver gave none: distinct per certificate and time, repeatable."""
    seed = f"{subject.serial_number}/{at.isoformat()}".encode()
    return hashlib.sha256(seed).digest()[:NONCE_BYTES]
