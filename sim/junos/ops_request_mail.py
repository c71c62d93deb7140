"""The e-mail of a certificate request to the CA's administrator (guide, Chapter 11: "If you
specify a CA administrator e-mail address to send the certificate request to, then the system
composes an e-mail from the certificate request file and forwards it to the specified e-mail
address").

ikesim sends nothing: `generate-certificate-request ... filename F` writes the message beside
the request, as `F.eml` (RFC 5322, CRLF line ends, the PEM request as a plain-text body), for
the user to read or hand to a mail program. Its Date is the device's clock and its Message-ID
derives from the certificate-id and that clock, so the same session writes the same bytes.

Which CA profile's address: the request command names no CA profile (Chapter 16's syntax), so
the guide's Chapter 11 example is the rule -- its one CA profile, ms-ca, has the address. The
request goes to the administrator of the only CA profile configured with `administrator
e-mail-address`; with several, to the one `auto-re-enrollment certificate-id ID
ca-profile-name` names for this certificate-id; otherwise (several, none chosen) no e-mail is
written and the answer says so in one line, rather than sending a request to every CA.
"""

from __future__ import annotations

import email.message
import email.policy
import email.utils
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pki.names import is_email_address
from sim.junos.device_state import DeviceState

__all__ = ["RequestMail", "request_mail"]

PEM = serialization.Encoding.PEM


@dataclass(frozen=True, kw_only=True)
class RequestMail:
    """What to write (`data` None: nothing) and the line the answer gains, if any."""

    data: bytes | None
    note: str | None = None


def _profile(state: DeviceState, certificate_id: str) -> tuple[str | None, str | None]:
    """(the CA profile whose administrator gets the request, or None; a note when none)."""
    addressed = [name for name, profile in state.config.pki.ca_profiles.items()
                 if profile.administrator_email]
    if len(addressed) <= 1:
        return (addressed[0] if addressed else None), None
    chosen = state.config.pki.auto_re_enrollment.get(certificate_id)
    if chosen is not None and chosen.ca_profile_name in addressed:
        return chosen.ca_profile_name, None
    return None, (f"warning: certificate request {certificate_id} not e-mailed: CA profiles "
                  f"{', '.join(addressed)} each have an administrator e-mail-address")


def request_mail(state: DeviceState, certificate_id: str,
                 csr: x509.CertificateSigningRequest) -> RequestMail:
    """The message to write as `<filename>.eml`, if a CA administrator is to get one."""
    name, note = _profile(state, certificate_id)
    if name is None:
        return RequestMail(data=None, note=note)
    address = state.config.pki.ca_profiles[name].administrator_email
    if not is_email_address(address) or any(c in address for c in '<>,;:"()[]\\'):
        # A header must not be split or extended by the configured text.
        return RequestMail(data=None, note=f"warning: certificate request {certificate_id} not "
                                           f"e-mailed: ca-profile {name} administrator "
                                           f"e-mail-address is not an address")
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"pkid@{state.name}"
    message["To"] = address
    message["Subject"] = f"Certificate request {certificate_id} from {state.name}"
    message["Date"] = email.utils.format_datetime(state.now)
    message["Message-ID"] = f"<{certificate_id}.{state.now:%Y%m%dT%H%M%SZ}@{state.name}>"
    message["X-Junos-CA-Profile"] = name
    message.set_content(csr.public_bytes(PEM).decode("ascii"), charset="us-ascii", cte="7bit")
    return RequestMail(data=message.as_bytes())
