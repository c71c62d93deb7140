"""pkid's online enrollment in simulated time: SimPy processes that drive pki.enrollment's
state machines over sim.world.scep_server.

- enroll-ca (`request security pki ca-certificate enroll ca-profile P`, answered yes): one
  GetCACert; the CA profile's certificate is loaded.
- enroll-local (`request security pki local-certificate enroll ...`): a PKCSReq; a PENDING
  answer, or a server that does not answer, is tried again every `enrollment retry-interval`,
  at most `retry` times (pki.enrollment), then the enrollment fails. The issued certificate
  becomes the local certificate, so the next negotiation uses it.
- auto-re-enrollment (`security pki auto-re-enrollment certificate-id ID ...`): wakes when
  re-enroll-trigger-time-percentage of the certificate's lifetime remains and renews it with a
  RenewalReq signed by the certificate in use (RFC 8894 section 3.3.1.2: the CA knows the
  requester by the certificate it issued, which is why the guide wants "the certificate ...
  present on the device during the renewal process"), the same DN and subjectAltName, the same
  key pair or a new one (`re-generate-keypair`). A failed re-enrollment leaves the old
  certificate in use until it expires; the timer starts again with the next certificate
  installed (an enroll-local by hand).

Every step is in the device's pkid log with its clock; every pkiMessage sent or received is
kept in the run folder as `scep/NNNN-<device>-<type>.p7` (DER, NNNN in exchange order across the
run), the GetCACert answer as `NNNN-<device>-GetCACert.p7` (or `.cer`: one DER certificate).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

import simpy
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from pki.csr import RequestParams, build_request, colon_hex
from pki.enrollment import (
    CA_RA_CERT,
    CaCertificateEnrollment,
    EnrollmentError,
    Failed,
    HttpResponse,
    Issued,
    LocalCertificateEnrollment,
    Poll,
    with_challenge_password,
)
from pki.escape import escape
from pki.keys import KeySpec, KeyType, PrivateKey, PublicKey
from pki.names import render_oneline
from pki.profiles import ReEnrollment
from pki.store import StoreError
from sim.junos.re_enrollment import trigger_time
from sim.world.enrollment_records import (
    EnrollmentRecord,
    Kind,
    LocalRequest,
    Outcome,
    ScepMessageFiles,
)
from sim.world.scep_server import ScepEndpoints
from sim.world.servers import DownloadFailed

if TYPE_CHECKING:
    from sim.world.device import Device

EXCHANGE_TIMEOUT = 30.0  # seconds an SCEP request waits for its answer


class OnlineEnrollment:
    """One device's SCEP client: its enrollments and its auto-re-enrollment timers."""

    def __init__(self, device: Device, *, endpoints: ScepEndpoints, files: ScepMessageFiles,
                 records: list[EnrollmentRecord],
                 expect: Callable[[PublicKey, str], None],
                 new_key: Callable[[KeySpec, str], PrivateKey]) -> None:
        self.device = device
        self.env: simpy.Environment = device.world.env
        self.endpoints = endpoints
        self.files = files
        self.records = records
        self.expect = expect  # tells the CA side whose key a request carries
        self.new_key = new_key  # (spec, seed) -> a key pair, as the device generates one
        self.requests: dict[str, RequestParams] = {}  # certificate-id -> what it enrolled with
        self._installed: dict[str, simpy.Event] = {}
        self._keys_made = 0

    @property
    def log(self):
        return self.device.pkid_log

    # -- CA certificates --------------------------------------------------------------------

    def enroll_ca(self, ca_profile: str) -> simpy.Process:
        return self.env.process(self._enroll_ca(ca_profile))

    def _enroll_ca(self, ca_profile: str) -> Generator[simpy.Event, object, None]:
        profile = self.device.config.pki.ca_profiles[ca_profile]
        url = profile.enrollment.url or ""
        started = self.env.now
        machine = CaCertificateEnrollment(ca_profile=ca_profile, url=url,
                                          ca_identity=profile.ca_identity)
        self.log.message(f"Start CA certificate enrollment for CA profile {ca_profile} from "
                         f"{escape(url)}")
        if ca_profile in self.device.pki.store.ca_certificates:
            # As `request security pki ca-certificate load` answers (sim.junos.ops_request):
            # the profile's certificate is cleared first, never replaced unseen.
            reason = f"CA certificate for profile {ca_profile} is already loaded"
            self.log.message(f"CA certificate enrollment for CA profile {ca_profile} failed: "
                             f"{reason}")
            self._record(Kind.CA_CERTIFICATE, ca_profile, None, started, 0, reason=reason)
            return
        try:
            response = yield self.env.process(self.endpoints.exchange(
                machine.request(), timeout=EXCHANGE_TIMEOUT))
            self._keep_ca_answer(response)
            certificates = machine.receive(response)
        except (DownloadFailed, EnrollmentError) as failure:
            reason = failure.reason if isinstance(failure, DownloadFailed) else str(failure)
            self.log.message(f"CA certificate enrollment for CA profile {ca_profile} failed: "
                             f"{escape(reason)}")
            self._record(Kind.CA_CERTIFICATE, ca_profile, None, started, 0, reason=reason)
            return
        for cert in certificates:
            self.log.message(f"CA profile {ca_profile}: received certificate "
                             f"{_name(cert)}, fingerprint {_sha1(cert)} (sha1)")
        ca = _the_ca(certificates)
        self.device.pki.store = self.device.pki.store.add_ca_certificate(ca_profile, ca)
        self.log.message(f"CA certificate for CA profile {ca_profile} loaded: {_name(ca)}")
        self._record(Kind.CA_CERTIFICATE, ca_profile, None, started, 0, certificate=ca)

    def _keep_ca_answer(self, response: HttpResponse) -> None:
        if response.status == 200:
            kind = response.content_type.split(";")[0].strip().lower()
            self.files.keep(self.device.name, "GetCACert", response.body,
                            suffix="p7" if kind == CA_RA_CERT else "cer")

    # -- local certificates -----------------------------------------------------------------

    def enroll_local(self, request: LocalRequest) -> simpy.Process:
        return self.env.process(self._enroll_local(request))

    def _enroll_local(self, ask: LocalRequest) -> Generator[simpy.Event, object, None]:
        cid = ask.certificate_id
        store = self.device.pki.store
        key = store.key_pairs.get(cid)
        if key is None:
            # As generate-key-pair would have made it before the enroll command.
            key = self._make_key(cid, KeySpec(type=KeyType.RSA, size=ask.key_size))
            self.device.pki.store = store.add_key_pair(cid, key)
        self.requests[cid] = ask.params
        yield from self._enroll(cid, ask.ca_profile, ask.challenge_password, key=key,
                                kind=Kind.INITIAL)

    def _enroll(self, cid: str, ca_profile: str, password: str | None, *, key: PrivateKey,
                kind: Kind, renewal_of: x509.Certificate | None = None,
                renewal_key: PrivateKey | None = None
                ) -> Generator[simpy.Event, object, bool]:
        """One enrollment to its end; True when a certificate was installed."""
        started = self.env.now
        polls = 0
        try:
            machine = self._machine(cid, ca_profile, password, key=key, renewal_of=renewal_of,
                                    renewal_key=renewal_key)
            request, lines = machine.start(self.device.now())
        except EnrollmentError as error:
            self.log.message(f"Enrollment of local certificate {cid} from CA profile "
                             f"{ca_profile} failed: {escape(str(error))}")
            self._record(kind, ca_profile, cid, started, 0, reason=str(error))
            return False
        kept = 0
        while True:
            self._write(lines)
            kept = self._keep(machine, kept, len(machine.messages))  # the request, sent now
            try:
                response = yield self.env.process(
                    self.endpoints.exchange(request, timeout=EXCHANGE_TIMEOUT))
                step = machine.receive(response, self.device.now())
            except DownloadFailed as silence:
                step = machine.no_answer(silence.reason, self.device.now())
            if isinstance(step, Poll):
                # The answer now; the next request (the step's last message) when it is sent.
                kept = self._keep(machine, kept, len(machine.messages) - 1)
                polls += 1
                self._write(step.lines)
                yield self.env.timeout(step.after)
                request, lines = step.request, ()
                continue
            kept = self._keep(machine, kept, len(machine.messages))
            self._write(step.lines)
            if isinstance(step, Failed):
                self._record(kind, ca_profile, cid, started, polls, reason=step.reason)
                return False
            assert isinstance(step, Issued)
            self._install(cid, key, step.certificate)
            self._record(kind, ca_profile, cid, started, polls, certificate=step.certificate)
            return True

    def _machine(self, cid: str, ca_profile: str, password: str | None, *, key: PrivateKey,
                 renewal_of: x509.Certificate | None,
                 renewal_key: PrivateKey | None) -> LocalCertificateEnrollment:
        profile = self.device.config.pki.ca_profiles.get(ca_profile)
        if profile is None or profile.enrollment.url is None:
            raise EnrollmentError(f"CA profile {ca_profile} has no enrollment url")
        ca = self.device.pki.store.ca_certificates.get(ca_profile)
        if ca is None:
            raise EnrollmentError(f"CA certificate for CA profile {ca_profile} is not "
                                  "loaded (request security pki ca-certificate enroll)")
        params = self.requests.get(cid)
        if params is None:
            raise EnrollmentError(f"certificate-id {cid}: no certificate request to send")
        request = build_request(key, params)
        self.expect(key.public_key(), cid)
        if password is not None:
            request = with_challenge_password(request, key, password)
        enrollment = profile.enrollment
        # Without retry and retry-interval there is no polling (pki.profiles.Enrollment).
        retry = enrollment.effective_retry if enrollment.polls else 0
        return LocalCertificateEnrollment(
            certificate_id=cid, ca_profile=ca_profile, url=profile.enrollment.url, key=key,
            request=request, ca_certificate=ca, retry=retry,
            # retry-interval 0 is configurable; a poll still waits a second.
            retry_interval=enrollment.effective_retry_interval or 1,
            seed=f"{self.device.world.seed}/{self.device.name}/{cid}/{len(self.records)}",
            renewal_of=renewal_of, renewal_key=renewal_key)

    def _install(self, cid: str, key: PrivateKey, certificate: x509.Certificate) -> None:
        """The new certificate (and its key pair, when new) replace the old in one step."""
        store = self.device.pki.store
        if store.key_pairs.get(cid) is not key:
            store = store.clear_local_certificate(cid).add_key_pair(cid, key)
        try:
            store = store.add_local_certificate(cid, certificate)
        except (StoreError, ValueError) as error:  # the CA answered for another key
            self.log.message(f"Local certificate {cid} not installed: {escape(str(error))}")
            return
        self.device.pki.store = store
        self.log.message(f"Local certificate {cid} installed: serial "
                         f"{certificate.serial_number:X}, valid until "
                         f"{certificate.not_valid_after_utc:%Y-%m-%d %H:%M:%S}")
        waiting = self._installed.pop(cid, None)
        if waiting is not None:
            waiting.succeed()

    # -- auto-re-enrollment -----------------------------------------------------------------

    def watch(self, config: ReEnrollment) -> simpy.Process:
        """The re-enrollment timer of one `auto-re-enrollment certificate-id`."""
        return self.env.process(self._watch(config))

    def _watch(self, config: ReEnrollment) -> Generator[simpy.Event, object, None]:
        cid = config.certificate_id
        percentage = config.re_enroll_trigger_time_percentage
        if percentage is None or config.ca_profile_name is None:
            return  # the timer cannot start (show ... detail: Timer not started)
        renewed: x509.Certificate | None = None  # what this timer last obtained
        while True:
            cert = self.device.pki.store.local_certificates.get(cid)
            if cert is None:
                yield self._next_installed(cid)
                continue
            trigger = trigger_time(cert, percentage)
            wait = (trigger - self.device.now()).total_seconds()
            if wait <= 0 and cert is renewed:
                # Past the trigger of the certificate just obtained (the device's clock is
                # ahead of the CA's): renewing again would never end. Wait for one by hand.
                self.log.message(f"Auto-re-enrollment of local certificate {cid}: the trigger "
                                 f"of the new certificate ({trigger:%Y-%m-%d %H:%M:%S}) has "
                                 "passed already; timer not started")
                yield self._next_installed(cid)
                continue
            if wait > 0:
                installed = self._next_installed(cid)
                yield installed | self.env.timeout(wait)
                if installed.triggered:
                    continue  # a new certificate came by hand: its own trigger counts
            self.log.message(f"Auto-re-enrollment of local certificate {cid}: "
                             f"{percentage}% of its lifetime remains (trigger "
                             f"{trigger:%Y-%m-%d %H:%M:%S})")
            key = self.device.pki.store.key_pair(cid)
            renewal_key = None
            if config.re_generate_keypair:
                renewal_key = key
                key = self._make_key(cid, _spec(key))
            installed = self._next_installed(cid)
            done = yield from self._enroll(cid, config.ca_profile_name,
                                           config.challenge_password, key=key,
                                           kind=Kind.RE_ENROLLMENT, renewal_of=cert,
                                           renewal_key=renewal_key)
            if done:
                renewed = self.device.pki.store.local_certificates.get(cid)
            elif not installed.triggered:
                yield installed  # the old certificate runs out; a manual enroll restarts it

    def _next_installed(self, cid: str) -> simpy.Event:
        event = self._installed.get(cid)
        if event is None or event.triggered:
            event = self._installed[cid] = self.env.event()
        return event

    # -- helpers ----------------------------------------------------------------------------

    def _make_key(self, cid: str, spec: KeySpec) -> PrivateKey:
        self._keys_made += 1
        return self.new_key(spec, f"{self.device.name}/{cid}/scep-{self._keys_made}")

    def _write(self, lines: tuple[str, ...]) -> None:
        for line in lines:
            self.log.message(line)

    def _keep(self, machine: LocalCertificateEnrollment, kept: int, upto: int) -> int:
        """Writes the machine's messages `kept` to `upto`; returns how many are written."""
        for kind, der in machine.messages[kept:upto]:
            self.files.keep(self.device.name, kind, der)
        return max(kept, upto)

    def _record(self, kind: Kind, ca_profile: str, cid: str | None, started: float,
                polls: int, *, certificate: x509.Certificate | None = None,
                reason: str | None = None) -> None:
        trigger = None
        if certificate is not None and cid is not None:
            config = self.device.config.pki.auto_re_enrollment.get(cid)
            if config is not None and config.re_enroll_trigger_time_percentage is not None:
                trigger = trigger_time(certificate, config.re_enroll_trigger_time_percentage)
        outcome = Outcome.FAILED if certificate is None else (
            Outcome.LOADED if kind is Kind.CA_CERTIFICATE else Outcome.ISSUED)
        self.records.append(EnrollmentRecord(
            device=self.device.name, kind=kind, ca_profile=ca_profile, certificate_id=cid,
            started=started, finished=self.env.now, polls=polls, outcome=outcome,
            serial=None if certificate is None else f"{certificate.serial_number:X}",
            reason=reason,
            not_before=None if certificate is None else certificate.not_valid_before_utc,
            not_after=None if certificate is None else certificate.not_valid_after_utc,
            trigger=trigger))


def _the_ca(certificates: tuple[x509.Certificate, ...]) -> x509.Certificate:
    """Of a GetCACert's certificates, the CA the profile is for: the one that issued none of
    the others (its issuers come with it, up to the root)."""
    issuers = {cert.issuer for cert in certificates if cert.issuer != cert.subject}
    for cert in certificates:
        if cert.subject not in issuers:
            return cert
    return certificates[0]


def _spec(key: PrivateKey) -> KeySpec:
    return KeySpec(type=KeyType.RSA, size=key.key_size)  # SCEP keys are RSA


def _name(cert: x509.Certificate) -> str:
    return escape(render_oneline(cert.subject))


def _sha1(cert: x509.Certificate) -> str:
    return colon_hex(cert.fingerprint(hashes.SHA1()))
