"""Online enrollment over SCEP (guide, Chapters 4, 11, 14 and 16):

    request security pki ca-certificate enroll ca-profile NAME
    request security pki local-certificate enroll ca-profile P certificate-id ID
        challenge-password PW domain-name D subject DN [email E] [ip-address A]

The CA answers through the Context's transport (pki.enrollment's HttpRequest/HttpResponse);
the SCEP messages come from pki.enrollment, and every message exchanged is returned in the
Outcome's `messages` for the run folder.

ca-certificate enroll prints what the CA returned and asks before loading. One certificate:
Chapter 11's form (its fingerprints, SHA-1 and MD5, as `ca-certificate load` shows them); a
chain (an intermediate CA answers with itself and its issuers): Chapter 16's form, "Received
following certificates:" and each one's subject and SHA-1 fingerprint. "yes" loads the CA
profile's own CA -- the CA certificate among them that issued none of the others -- and only it:
its issuers are the CA profiles of their own CAs (Chapter 14 enrolls Root-CA, Eng-CA and Dev-CA
one by one). Chapter 16's sample ends at the answer: nothing more is printed.

local-certificate enroll answers at once with Chapter 16's asynchronous text; pkid then runs the
enrollment and logs it. In `ikesim cli` no time passes, so the exchange runs here to its end:
SUCCESS installs the local certificate, PENDING leaves the request pending (shown by `show
security pki certificate-request`, with pkid's log saying when it would poll), a failure is
pkid's log line. The same command again sends the same request (same transaction ID), which
the CA takes as a poll: that is how a cli session collects a pending certificate.

What is wrong before anything is sent -- no such CA profile or URL, no CA certificate to
encrypt to, no key pair, not an RSA key (SCEP supports RSA only) -- is one `error:` line and
nothing is sent.
"""

from __future__ import annotations

import dataclasses

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pki.certs import is_self_signed
from pki.csr import build_request, colon_hex
from pki.enrollment import (
    CA_RA_CERT,
    CaCertificateEnrollment,
    Failed,
    HttpResponse,
    Issued,
    LocalCertificateEnrollment,
    with_challenge_password,
)
from pki.keys import key_spec_of
from pki.names import render_subject_string
from pki.profiles import CaProfile
from pki.store import StoreError
from sim.junos.device_state import DeviceState
from sim.junos.ops_format import fingerprint_block
from sim.junos.ops_grammar import Command
from sim.junos.ops_outcome import (
    Context,
    NoAnswer,
    Outcome,
    confirm,
    failure,
    logged,
    success,
)
from sim.junos.ops_request import request_params

__all__ = ["ENROLLMENT_STARTED", "HANDLERS", "QUESTION", "profile_ca"]

DER = serialization.Encoding.DER
QUESTION = "Do you want to load the above CA certificate ? [yes,no] (no) "
# Chapter 16's sample, one line as the guide prints it.
ENROLLMENT_STARTED = (
    "Certificate enrollment has started. To view the status of your enrollment, check the "
    "public key infrastructure log (pkid) log file at /var/log/pkid. Please save the "
    "challenge-password for revoking this certificate in future. Note that this password is "
    "not stored on the router.")


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return is_self_signed(cert)


def profile_ca(certificates: tuple[x509.Certificate, ...]) -> x509.Certificate | None:
    """The CA certificate that issued none of the other CA certificates received: the CA the
    enrollment URL belongs to (RA certificates are not CA certificates). None when there is
    not exactly one."""
    cas = [c for c in certificates if _is_ca(c)]
    lowest = [c for c in cas
              if not any(o is not c and o.issuer == c.subject and not is_self_signed(o)
                         for o in cas)]
    return lowest[0] if len(lowest) == 1 else None


def _profile(state: DeviceState, name: str) -> tuple[CaProfile | None, str | None]:
    """The CA profile and its enrollment URL, or the error line why there is none."""
    profile = state.config.pki.ca_profiles.get(name)
    if profile is None:
        return None, f"CA profile {name} is not configured"
    if profile.enrollment.url is None:
        return None, f"CA profile {name} has no enrollment url"
    return profile, None


def _received(certificates: tuple[x509.Certificate, ...]) -> list[str]:
    if len(certificates) == 1:  # Chapter 11's single certificate
        return fingerprint_block(certificates[0].public_bytes(DER), indent="")
    lines = ["Received following certificates:"]
    for cert in certificates:
        lines += [f"Certificate: {render_subject_string(cert.subject)}",
                  f"Fingerprint: {colon_hex(cert.fingerprint(hashes.SHA1()))}"]
    return lines


def _ca_enroll(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    name = cmd.get("ca-profile")
    profile, problem = _profile(state, name)
    if profile is None:
        return failure(state, problem)
    if name in state.store.ca_certificates:
        return failure(state, f"CA certificate for profile {name} is already loaded; run "
                              f"'clear security pki ca-certificate ca-profile {name}' first")
    enrollment = CaCertificateEnrollment(ca_profile=name, url=profile.enrollment.url,
                                         ca_identity=profile.ca_identity)
    try:
        request = enrollment.request()
        response = ctx.send(request)
        certificates = enrollment.receive(response)
    except NoAnswer as exc:
        return failure(state, f"CA certificate enrollment failed: CA profile {name}: no answer "
                              f"from {profile.enrollment.url} ({exc})")
    except ValueError as exc:  # EnrollmentError, or a URL no HTTP request can carry
        return failure(state, f"CA certificate enrollment failed: {exc}")
    messages = (("GetCACert", response.body),) if _is_pkcs7(response) else ()
    ca = profile_ca(certificates)
    if ca is None:
        return dataclasses.replace(
            failure(state, f"CA certificate enrollment failed: CA profile {name}: no single "
                           f"CA certificate among the {len(certificates)} received"),
            messages=messages)

    def load() -> Outcome:
        return success(dataclasses.replace(
            state, store=state.store.add_ca_certificate(name, ca)))

    asked = confirm(state, _received(certificates), QUESTION, ctx, load)
    return dataclasses.replace(asked, messages=messages)


def _is_pkcs7(response: HttpResponse) -> bool:
    return response.content_type.split(";")[0].strip().lower() == CA_RA_CERT


def _local_enroll(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    name, cid = cmd.get("ca-profile"), cmd.get("certificate-id")
    profile, problem = _profile(state, name)
    if profile is None:
        return failure(state, problem)
    ca = state.store.ca_certificates.get(name)
    if ca is None:
        return failure(state, f"CA certificate for profile {name} is not loaded; run 'request "
                              f"security pki ca-certificate enroll ca-profile {name}' first")
    key = state.store.key_pairs.get(cid)
    if key is None:
        return failure(state, f"Key pair {cid} does not exist; run 'request security pki "
                              f"generate-key-pair certificate-id {cid}' first")
    if cid in state.store.local_certificates:
        return failure(state, f"Local certificate {cid} already exists")
    if not isinstance(key, rsa.RSAPrivateKey):
        return failure(state, f"SCEP supports RSA certificates only: key pair {cid} is "
                              f"{key_spec_of(key).type.value.upper()}")
    enrollment = profile.enrollment
    try:
        csr = with_challenge_password(build_request(key, request_params(state, cmd)), key,
                                      cmd.get("challenge-password"))
        scep = LocalCertificateEnrollment(
            certificate_id=cid, ca_profile=name, url=enrollment.url, key=key, request=csr,
            ca_certificate=ca,
            # Chapter 10: without retry and retry-interval configured there is no polling.
            retry=enrollment.effective_retry if enrollment.polls else 0,
            # retry-interval 0 (the range allows it) polls at once: a second here.
            retry_interval=float(enrollment.effective_retry_interval or 1),
            seed=ctx.seed_for(state, f"scep/{cid}"))
        request, lines = scep.start(state.now)
    except ValueError as exc:  # EnrollmentError, or options Junos would refuse
        return failure(state, str(exc))
    try:
        step = scep.receive(ctx.send(request), state.now)
    except NoAnswer as exc:
        step = scep.no_answer(str(exc), state.now)
    store = state.store
    lines = [*lines, *step.lines]
    if isinstance(step, Issued):
        try:
            store = store.add_local_certificate(cid, step.certificate)
        except (StoreError, ValueError) as exc:
            lines.append(f"Local certificate {cid} not installed: {exc}")
    elif not isinstance(step, Failed):  # PENDING: pkid keeps the request until it polls
        store = store.add_request(cid, csr)
    after = dataclasses.replace(state, store=store,
                                pkid_log=logged(state, state.pkid_log, lines))
    return dataclasses.replace(success(after, ENROLLMENT_STARTED),
                               messages=tuple(scep.messages))


HANDLERS = {
    "request pki ca-certificate enroll": _ca_enroll,
    "request pki local-certificate enroll": _local_enroll,
}
