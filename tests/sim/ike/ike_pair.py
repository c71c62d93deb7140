"""Run an initiator against a responder with no network and no SimPy: datagrams go straight
across, optionally through a tamper function. SaPair does the wiring for any two SAs of one
kind; Pair runs Phase 1 with a stand-in pkid that accepts any certificate issued by the test
CA (QmPair, in qm_pair.py, runs Quick Mode). configs() builds the two Phase-1 configurations
the tests use: Host-A (30.1.1.31) initiates, Host-B (30.1.1.51) responds."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from cryptography import x509

from sim.ike.ids import IkeId
from sim.ike.payloads import NotifyType
from sim.ike.phase1 import (
    NEED_INPUT,
    IkeSA,
    Mode,
    PeerCertificatesReceived,
    Phase1Config,
    Phase1Done,
    Phase1Failed,
    RemoteProtocolError,
    SendDatagram,
)
from sim.ike.proposals import IkeProposal

# tamper(index, sender_role_value, data) -> bytes to deliver, or None to drop
Tamper = Callable[[int, str, bytes], bytes | None]

A_ID, B_ID = IkeId.ipv4("30.1.1.31"), IkeId.ipv4("30.1.1.51")
METHODS = {"rsa1024": "rsa-signatures", "dsa1024": "dsa-signatures",
           "ecdsa256": "ecdsa-signatures-256", "ecdsa384": "ecdsa-signatures-384"}


def proposal(kind="ecdsa256", group="group19", auth="sha-256", enc="aes-128-cbc", name="p1"):
    return IkeProposal.from_statements(name, {
        "authentication-method": METHODS[kind], "dh-group": group,
        "authentication-algorithm": auth, "encryption-algorithm": enc})


def configs(peers, ca, kind="ecdsa256", *, mode=Mode.MAIN, i_props=None, r_props=None,
            i_id=A_ID, r_id=B_ID, expect_b=B_ID, expect_a=None, i_key=None):
    """(initiator, responder) configurations; `ca` None sends no certificate requests."""
    a, b = peers[kind]
    i_props = i_props or (proposal(kind),)
    ca_dns = (ca.dn_der,) if ca is not None else ()
    ci = Phase1Config(proposals=i_props, local_id=i_id, private_key=i_key or a.key,
                      certificates=(a.der,), remote_id=expect_b, ca_dns=ca_dns, mode=mode)
    cr = Phase1Config(proposals=r_props or i_props, local_id=r_id, private_key=b.key,
                      certificates=(b.der,), remote_id=expect_a, ca_dns=ca_dns, mode=mode)
    return ci, cr


def fingerprint(sa) -> dict:
    """Everything an SA (IkeSA or QuickModeSA) holds, its random stream and queued events
    included, to show a dropped datagram changed nothing."""
    state = {k: v for k, v in vars(sa).items() if k not in ("_rng", "_events", "_last_dropped")}
    return {**state, "events": list(sa._events), "rng": sa._rng.getstate()}


def pkid_accepts(ca_cert: x509.Certificate | None):
    """A verdict function: accept the first certificate if the test CA issued it."""
    def verdict(sa: IkeSA, event: PeerCertificatesReceived) -> None:
        if not event.certificates:  # as kmd answers a peer that sent none
            sa.certificate_rejected(NotifyType.CERTIFICATE_UNAVAILABLE, "peer sent no certificate")
            return
        cert = x509.load_der_x509_certificate(event.certificates[0])
        if ca_cert is not None:
            try:
                cert.verify_directly_issued_by(ca_cert)
            except Exception as exc:  # noqa: BLE001 - any failure is a rejection here
                sa.certificate_rejected(reason=f"not issued by the test CA: {exc}")
                return
        sa.certificate_verdict(cert.public_key())
    return verdict


@dataclass(kw_only=True)
class SaPair:
    """Two SAs (IkeSA or QuickModeSA) back to back; `results` are the event types that end a
    side's negotiation."""

    results: ClassVar[tuple[type, ...]] = ()
    initiator: Any
    responder: Any
    tamper: Tamper | None = None
    datagrams: list[tuple[str, bytes]] = field(default_factory=list)
    events: dict[str, list] = field(default_factory=lambda: {"initiator": [], "responder": []})
    dropped: list[RemoteProtocolError] = field(default_factory=list)

    def run(self, max_rounds: int = 20) -> Self:
        self.initiator.start()
        return self.settle(max_rounds)

    def settle(self, max_rounds: int = 20) -> Self:
        """Move events and datagrams until both sides are quiet."""
        for _ in range(max_rounds):
            moved = self._pump(self.initiator, self.responder)
            moved |= self._pump(self.responder, self.initiator)
            if not moved:
                break
        return self

    def _pump(self, sa, peer) -> bool:
        moved = False
        while (event := sa.next_event()) is not NEED_INPUT:
            moved = True
            self.events[sa.role.value].append(event)
            if isinstance(event, SendDatagram):
                self._deliver(sa, peer, event.data)
            else:
                self._on_event(sa, event)
        return moved

    def _deliver(self, sa, peer, sent: bytes) -> None:
        data = sent if self.tamper is None else self.tamper(len(self.datagrams), sa.role.value,
                                                            sent)
        self.datagrams.append((sa.role.value, sent))
        if data is None or peer.state is peer.FAILED:
            return
        try:
            peer.receive(data)
        except RemoteProtocolError as exc:
            self.dropped.append(exc)

    def _on_event(self, sa, event) -> None:
        """An event other than a datagram to send: nothing to do unless a subclass says so."""

    def outcome(self, role: str):  # noqa: ANN201 - one of `results`, or None
        return next((e for e in self.events[role] if isinstance(e, self.results)), None)


@dataclass(kw_only=True)
class Pair(SaPair):
    results: ClassVar[tuple[type, ...]] = (Phase1Done, Phase1Failed)
    verdict: Callable[[IkeSA, PeerCertificatesReceived], None]

    @classmethod
    def of(cls, init: Phase1Config, resp: Phase1Config, *, seed: int = 1,
           ca_cert: x509.Certificate | None = None, tamper: Tamper | None = None,
           verdict: Callable | None = None) -> Pair:
        return cls(initiator=IkeSA.initiator(init, rng=random.Random(seed)),
                   responder=IkeSA.responder(resp, rng=random.Random(seed + 10_000)),
                   verdict=verdict or pkid_accepts(ca_cert), tamper=tamper)

    def _on_event(self, sa: IkeSA, event) -> None:
        if isinstance(event, PeerCertificatesReceived):
            self.verdict(sa, event)
