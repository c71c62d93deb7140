"""The PKI daemon of one device, as a SimPy process: a queue of verification requests from kmd,
processing time on the daemon's one CPU, and CRL downloads from the simulated servers.

Decisions are pki.daemon's; this module only spends time and moves bytes. Concurrent requests
that need the same CRL share one download, as a real daemon coalesces them.

The certificates come from a peer. Should judging one raise (a certificate `cryptography` reads
but pki cannot handle), the verification fails with that reason instead of stopping the
device: the daemon answers every request.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import simpy
from cryptography import x509

from pki.crl_facts import load_shared_crl
from pki.daemon import CachedCrl, Event, FetchCrl, FetchOcsp, OcspReply, PkiDaemon, Verdict
from pki.loaders import LoadError
from pki.names import render_oneline
from pki.ocsp import NONCE_BYTES, RESPONSE_MAX_BYTES
from pki.parse_errors import PARSE_ERRORS
from pki.result import ValidationFailure, ValidationResult
from sim.junos.logs import DaemonLog
from sim.topology.specs import host_of
from sim.world.servers import CrlServer, DownloadFailed

# An OCSP exchange goes to a responder of the topology (sim.world.ocsp_server.OcspResponders.post):
# url, request DER, timeout -> a process whose value is the response DER.
OcspTransport = Callable[[str, bytes, float], simpy.Process]


@dataclass(frozen=True, kw_only=True)
class PkidTiming:
    processing: float = 0.005  # seconds of CPU per verification pass
    download_timeout: float = 5.0  # per URL
    stale_retry: float = 600.0  # a refresh that brought no newer CRL is tried again after
    # A refresh whose download failed (the CRL server is down) is tried again after this; the
    # guide says nothing of it, and an hour keeps a month-long outage to a few lines a day.
    refresh_retry: float = 3600.0


@dataclass(frozen=True, kw_only=True)
class OcspExchange:
    """One OCSP request pkid sent and what came back (None: no answer), for the run folder."""

    device: str
    url: str
    started: float
    finished: float
    request: bytes
    response: bytes | None = field(default=None, repr=False)
    failure: str | None = None


@dataclass(frozen=True)
class DownloadRecord:
    """One CRL download attempt, for results and plots."""

    device: str
    url: str
    started: float
    finished: float
    ok: bool
    reason: str | None = None


class Pkid:
    def __init__(self, env: simpy.Environment, *, device: str, daemon: PkiDaemon,
                 log: DaemonLog, clock: Callable[[], dt.datetime],
                 resolve: Callable[[str], CrlServer | None],
                 timing: PkidTiming | None = None) -> None:
        self.env = env
        self.device = device
        self.daemon = daemon
        self.log = log
        self.clock = clock
        self.resolve = resolve
        self.timing = timing or PkidTiming()
        self._cpu = simpy.Resource(env, capacity=1)
        self._downloads: dict[str, simpy.Process] = {}
        self.download_records: list[DownloadRecord] = []
        # OCSP: the scenario plugs in its responders and a seeded nonce stream.
        self.ocsp_transport: OcspTransport | None = None
        self.nonces = random.Random(f"ocsp-nonces/{device}")
        self.ocsp_exchanges: list[OcspExchange] = []

    def verify(self, leaf: x509.Certificate, peer_certificates: tuple[x509.Certificate, ...],
               *, trusted_ca: str | None = None) -> simpy.Process:
        """A process whose value is the Verdict; kmd yields it (and may stop waiting)."""
        return self.env.process(self._verify(leaf, peer_certificates, trusted_ca))

    def _verify(self, leaf, peer_certificates, trusted_ca) -> Generator[simpy.Event, object,
                                                                        Verdict]:
        unavailable: frozenset[str] = frozenset()
        fetched: frozenset[str] = frozenset()
        replies: dict[str, OcspReply] = {}
        written: set[Event] = set()
        if self.log.tracing("certificate-verification"):
            self._trace_verification(f"Start verification of certificate "
                                     f"{_name(leaf)} (serial {leaf.serial_number:X})")
        while True:
            with self._cpu.request() as cpu:
                yield cpu
                yield self.env.timeout(self.timing.processing)
                answer = self._judge(leaf, peer_certificates, trusted_ca=trusted_ca,
                                     unavailable=unavailable, fetched=fetched, ocsp=replies,
                                     nonce=self.nonces.randbytes(NONCE_BYTES))
            # A later pass of the same verification says again what an earlier one said.
            self._write(tuple(e for e in answer.events if e not in written))
            written.update(answer.events)
            if isinstance(answer, Verdict):
                self._report(leaf, answer)
                return answer
            if isinstance(answer, FetchOcsp):
                replies[answer.ca_profile] = yield self.env.process(self._ask_ocsp(answer))
                continue
            self.log.trace("online-crl-check", _lookup_order(answer))
            ok = yield self._download(answer)
            if ok:
                fetched = fetched | {answer.ca_profile}
            else:
                unavailable = unavailable | {answer.ca_profile}

    def _judge(self, leaf: x509.Certificate, peer_certificates: tuple[x509.Certificate, ...],
               **kw) -> Verdict | FetchCrl | FetchOcsp:
        try:
            return self.daemon.verify(leaf, peer_certificates, at=self.clock(), **kw)
        except PARSE_ERRORS as exc:  # a peer's certificate pki could not read: a verdict
            result = ValidationResult(reason=ValidationFailure.MALFORMED,
                                      message=f"certificate cannot be checked: {exc}",
                                      path=(leaf,), failed_certificate=leaf)
            return Verdict(result=result, events=())

    def _ask_ocsp(self, need: FetchOcsp) -> Generator[simpy.Event, object, OcspReply]:
        """Send the request to each responder in turn until one answers (not cached: the
        Junos documentation says SRX devices keep no OCSP responses)."""
        request = need.request
        nonce = f", nonce {request.nonce.hex()}" if request.nonce is not None else ", no nonce"
        for url in need.urls:
            self.log.trace("online-crl-check", f"OCSP request for certificate serial "
                                               f"{request.serial:X} (CA profile "
                                               f"{need.ca_profile}) to {url}{nonce}")
            started = self.env.now
            try:
                if self.ocsp_transport is None:
                    yield self.env.timeout(self.timing.download_timeout)
                    raise DownloadFailed(url, "host unreachable")
                data = yield self.ocsp_transport(url, request.der,
                                                 self.timing.download_timeout)
            except DownloadFailed as failure:
                self.ocsp_exchanges.append(OcspExchange(
                    device=self.device, url=url, started=started, finished=self.env.now,
                    request=request.der, failure=failure.reason))
                self.log.trace("online-crl-check", f"OCSP request to {url} failed: "
                                                   f"{failure.reason}")
                continue
            # What a responder sends is kept only up to the limit the check applies anyway.
            data = bytes(data[:RESPONSE_MAX_BYTES + 1])
            self.ocsp_exchanges.append(OcspExchange(
                device=self.device, url=url, started=started, finished=self.env.now,
                request=request.der, response=data))
            return OcspReply(request=request, url=url, data=data)
        return OcspReply(request=request)

    def _download(self, need: FetchCrl) -> simpy.Process:
        running = self._downloads.get(need.ca_profile)
        if running is None or running.triggered:
            running = self.env.process(self._fetch(need))
            self._downloads[need.ca_profile] = running
        return running

    def _fetch(self, need: FetchCrl) -> Generator[simpy.Event, object, bool]:
        for url in need.urls:
            self.log.trace("online-crl-check",
                           f"Start downloading CRL for CA profile {need.ca_profile} from {url}")
            started = self.env.now
            server = self.resolve(host_of(url))
            try:
                if server is None:
                    yield self.env.timeout(self.timing.download_timeout)
                    raise DownloadFailed(url, "host unreachable")
                data = yield self.env.process(
                    server.download(url, timeout=self.timing.download_timeout))
                crl = load_shared_crl(data, source=url)
            except (DownloadFailed, LoadError) as failure:
                # A server that did not answer, or answered with something that is no CRL.
                reason = failure.reason if isinstance(failure, DownloadFailed) else failure.problem
                self._record(url, started, ok=False, reason=reason)
                self.log.trace("online-crl-check", f"CRL download for CA profile "
                                                   f"{need.ca_profile} from {url} failed: "
                                                   f"{reason}")
                continue
            self._record(url, started, ok=True)
            before = self.daemon.crls.get(need.ca_profile)
            events = self.daemon.crl_downloaded(need.ca_profile, crl, url=url, at=self.clock())
            self._write(events)
            cached = self.daemon.crls.get(need.ca_profile)
            if cached is not None and cached is not before:
                self._schedule_refresh(need.ca_profile, cached)
                return True
        return False

    def _schedule_refresh(self, profile: str, cached: CachedCrl) -> None:
        """One timer per cached CRL, whatever the length of the run: it wakes when the CRL is
        due (refresh-interval, else nextUpdate, else a week: pki.daemon) and no earlier."""
        if cached.refresh_at is None:
            return  # loaded by hand: kept until cleared
        crl_config = self.daemon.profiles[profile].revocation_check.crl
        if crl_config is not None and crl_config.refresh_interval == 0:
            return  # refresh-interval 0: fetched for every verification instead
        due = cached.refresh_at
        expires = cached.crl.next_update_utc
        if expires is not None and expires < due:
            # A refresh-interval longer than the CRL's life: an expired CRL fails every check
            # ("expired ... (nextUpdate)"), so pkid fetches its successor when it expires.
            due = expires
            self.log.trace("online-crl-check",
                           f"CRL for CA profile {profile} expires {expires:%m-%d-%Y %H:%M}, "
                           "before its refresh-interval: refreshed then")
        wait = (due - self.clock()).total_seconds()
        if wait <= 0:
            # The CA has not published a newer CRL yet: ask again a little later.
            wait = self.timing.stale_retry
        self.env.process(self._refresh_when_due(profile, cached, wait))

    def _refresh_when_due(self, profile: str, cached: CachedCrl, wait: float
                          ) -> Generator[simpy.Event, object, None]:
        """Download the CRL again when it is due, whether or not a negotiation needs it; a
        download that fails is tried again every refresh_retry until one succeeds (a success,
        here or by a negotiation, sets the next timer: _fetch)."""
        yield self.env.timeout(wait)
        if self.daemon.crls.get(profile) is not cached:
            return  # already refreshed (or cleared) in the meantime
        need = self.daemon.refresh(profile)
        if need is None:
            return
        self._write(need.events)
        started = self.env.now
        ok = yield self._download(need)
        if not ok and self.daemon.crls.get(profile) is cached:
            # On the hour from the attempt, however long the failing download took.
            wait = max(0.0, started + self.timing.refresh_retry - self.env.now)
            self.log.trace("online-crl-check",
                           f"CRL refresh for CA profile {profile} failed; next attempt "
                           f"{self.clock() + dt.timedelta(seconds=wait):%m-%d-%Y %H:%M}")
            self.env.process(self._refresh_when_due(profile, cached, wait))

    def _record(self, url: str, started: float, *, ok: bool, reason: str | None = None) -> None:
        self.download_records.append(DownloadRecord(self.device, url, started, self.env.now,
                                                    ok, reason))

    def _write(self, events: tuple[Event, ...]) -> None:
        for event in events:
            self.log.trace(event.flag, event.text)

    def _trace_verification(self, text: str) -> None:
        self.log.trace("certificate-verification", text)

    def _report(self, leaf: x509.Certificate, verdict: Verdict) -> None:
        if not self.log.tracing("certificate-verification"):
            return  # rendering DNs and looking up profiles costs work only a trace reads
        for depth, cert in enumerate(verdict.result.path):
            profile = self.daemon.profile_of(cert) if depth else None
            where = f" (CA profile {profile})" if profile else ""
            self._trace_verification(f"Path [{depth}] {_name(cert)}{where}")
        if verdict.ok:
            self._trace_verification(f"Certificate {_name(leaf)} verification success")
        else:
            self._trace_verification(f"Certificate {_name(leaf)} verification failed: "
                                     f"{verdict.result.message}")


def _lookup_order(need: FetchCrl) -> str:
    """Where pkid will look, in the guide's order (Chapter 5): the certificate's CDP, then the
    CA profile's URL."""
    if not need.urls:
        return (f"CRL for CA profile {need.ca_profile} is not loaded; no CDP in the "
                "certificate and no URL in the CA profile")
    return (f"CRL for CA profile {need.ca_profile} is not loaded or due; trying "
            f"{', then '.join(need.urls)}")


def _name(cert: x509.Certificate) -> str:
    try:
        return render_oneline(cert.subject)
    except PARSE_ERRORS:
        return cert.subject.rfc4514_string()
