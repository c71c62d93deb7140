"""Run an initiator against a responder with no network and no SimPy: datagrams go straight
across, and a stand-in pkid accepts any certificate issued by the test CA."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography import x509

from sim.ike.phase1 import (
    NEED_INPUT,
    IkeSA,
    PeerCertificatesReceived,
    Phase1Config,
    Phase1Done,
    Phase1Failed,
    RemoteProtocolError,
    SendDatagram,
)

# tamper(index, sender_role_value, data) -> bytes to deliver, or None to drop
Tamper = Callable[[int, str, bytes], bytes | None]


def pkid_accepts(ca_cert: x509.Certificate | None):
    """A verdict function: accept the first certificate if the test CA issued it."""
    def verdict(sa: IkeSA, event: PeerCertificatesReceived) -> None:
        cert = x509.load_der_x509_certificate(event.certificates[0])
        if ca_cert is not None:
            try:
                cert.verify_directly_issued_by(ca_cert)
            except Exception as exc:  # noqa: BLE001 - any failure is a rejection here
                sa.certificate_rejected(reason=f"not issued by the test CA: {exc}")
                return
        sa.certificate_verdict(cert.public_key())
    return verdict


@dataclass
class Pair:
    initiator: IkeSA
    responder: IkeSA
    verdict: Callable[[IkeSA, PeerCertificatesReceived], None]
    tamper: Tamper | None = None
    datagrams: list[tuple[str, bytes]] = field(default_factory=list)
    events: dict[str, list] = field(default_factory=lambda: {"initiator": [], "responder": []})
    dropped: list[RemoteProtocolError] = field(default_factory=list)

    @classmethod
    def of(cls, init: Phase1Config, resp: Phase1Config, *, seed: int = 1,
           ca_cert: x509.Certificate | None = None, tamper: Tamper | None = None,
           verdict: Callable | None = None) -> Pair:
        return cls(initiator=IkeSA.initiator(init, rng=random.Random(seed)),
                   responder=IkeSA.responder(resp, rng=random.Random(seed + 10_000)),
                   verdict=verdict or pkid_accepts(ca_cert), tamper=tamper)

    def run(self, max_rounds: int = 20) -> Pair:
        self.initiator.start()
        return self.settle(max_rounds)

    def settle(self, max_rounds: int = 20) -> Pair:
        """Move events and datagrams until both sides are quiet."""
        for _ in range(max_rounds):
            moved = self._pump(self.initiator, self.responder)
            moved |= self._pump(self.responder, self.initiator)
            if not moved:
                break
        return self

    def _pump(self, sa: IkeSA, peer: IkeSA) -> bool:
        moved = False
        while (event := sa.next_event()) is not NEED_INPUT:
            moved = True
            self.events[sa.role.value].append(event)
            if isinstance(event, SendDatagram):
                data = event.data
                if self.tamper is not None:
                    data = self.tamper(len(self.datagrams), sa.role.value, data)
                self.datagrams.append((sa.role.value, event.data))
                if data is None or peer.state.value == "failed":
                    continue
                try:
                    peer.receive(data)
                except RemoteProtocolError as exc:
                    self.dropped.append(exc)
            elif isinstance(event, PeerCertificatesReceived):
                self.verdict(sa, event)
        return moved

    def outcome(self, role: str) -> Phase1Done | Phase1Failed | None:
        return next((e for e in self.events[role]
                     if isinstance(e, Phase1Done | Phase1Failed)), None)
