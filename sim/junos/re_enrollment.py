"""Automatic re-enrollment's trigger (`security pki auto-re-enrollment certificate-id ID
re-enroll-trigger-time-percentage N`), pure: the time pkid re-enrolls a local certificate, and
what `show security pki local-certificate detail` says about it.

The guide (Chapter 11 and the statement's reference page): "the trigger for reenrollment is the
percentage of the certificate's lifetime that remains before expiration. For example, if the
renewal request is to be sent when the certificate's remaining lifetime is 10%, then configure
10". So 10 % triggers at 90 % of the validity: not_after - 10 % of (not_after - not_before).
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509

from pki.profiles import ReEnrollment

# The guide's only samples show a certificate without auto-re-enrollment; the words for one
# with it are Junos's configuration words (`Enabled` against the samples' `Disabled`).
ENABLED = "Enabled"
DISABLED = "Disabled"
TIMER_NOT_STARTED = "Timer not started"


def trigger_time(certificate: x509.Certificate, percentage: int) -> dt.datetime:
    """When `percentage` % of the certificate's lifetime remains."""
    if not isinstance(percentage, int) or isinstance(percentage, bool) \
            or not 1 <= percentage <= 99:
        raise ValueError(f"re-enroll-trigger-time-percentage {percentage!r}: 1..99")
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    return end - (end - start) * percentage / 100


def configured_trigger(config: ReEnrollment | None,
                       certificate: x509.Certificate) -> dt.datetime | None:
    """The trigger of `certificate` under its auto-re-enrollment entry; None when it has none
    (no entry, or no re-enroll-trigger-time-percentage: the timer cannot start)."""
    if config is None or config.re_enroll_trigger_time_percentage is None:
        return None
    return trigger_time(certificate, config.re_enroll_trigger_time_percentage)
