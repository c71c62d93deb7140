"""Real negotiations frozen at each message: the two SAs just before message `index` reaches its
receiver, the genuine bytes of that message, and every datagram the negotiation sent. A fuzz
example clones a checkpoint, feeds the receiver garbage, then the genuine message, and plays
the rest of the negotiation out: no negotiation is run again from the start for an example.

Cloning an SA is cheap because handlers never mutate what they share: they rebind attributes
(the same property the SA's own rollback of a dropped datagram relies on). Only the event
queue and the random stream are the SA's own mutable objects, and they are copied.
"""

from __future__ import annotations

import copy
import random
from collections import deque
from dataclasses import dataclass
from typing import Any

from sim.ike.phase1 import IkeSA, Mode, Phase1Config, Phase1Done
from sim.ike.phase2 import Phase2Config, QuickModeSA
from sim.ike.proposals import IkeProposal
from tests.sim.ike.ike_pair import A_ID, B_ID, Pair, SaPair, configs, pkid_accepts
from tests.sim.ike.qm_pair import QmPair


def clone(sa: Any) -> Any:
    twin = copy.copy(sa)
    twin._events = deque(sa._events)
    twin._rng = random.Random()
    twin._rng.setstate(sa._rng.getstate())
    return twin


@dataclass(frozen=True)
class Checkpoint:
    name: str
    index: int
    receiver: str            # "initiator" or "responder"
    initiator: Any           # the two SAs just before message `index` is delivered
    responder: Any
    message: bytes           # the genuine message `index`
    datagrams: tuple[bytes, ...]  # every datagram of the genuine negotiation
    pair_class: type[SaPair]
    ca_cert: Any = None

    def __repr__(self) -> str:
        return f"<checkpoint {self.name}>"

    def pair(self) -> SaPair:
        """A pair of clones, ready to take message `index` (or garbage first)."""
        kw = {"verdict": pkid_accepts(self.ca_cert)} if self.pair_class is Pair else {}
        return self.pair_class(initiator=clone(self.initiator),
                               responder=clone(self.responder), **kw)

    def receiving(self, pair: SaPair) -> Any:
        return pair.initiator if self.receiver == "initiator" else pair.responder


def _capture(name: str, pair: SaPair, ca_cert: Any = None) -> list[Checkpoint]:
    frozen: list[tuple[int, str, Any, Any, bytes]] = []

    def freeze(index, sender, data):
        receiver = "responder" if sender == "initiator" else "initiator"
        frozen.append((index, receiver, clone(pair.initiator), clone(pair.responder), data))
        return data

    pair.tamper = freeze
    pair.run()
    assert all(isinstance(pair.outcome(r), pair.results[0]) for r in ("initiator", "responder"))
    datagrams = tuple(d for _, d in pair.datagrams)
    return [Checkpoint(name=f"{name}-{index + 1}", index=index, receiver=receiver,
                       initiator=i, responder=r, message=data, datagrams=datagrams,
                       pair_class=type(pair), ca_cert=ca_cert)
            for index, receiver, i, r, data in frozen]


def _psk_configs(mode: Mode) -> tuple[Phase1Config, Phase1Config]:
    props = (IkeProposal.from_statements("psk", {
        "authentication-method": "pre-shared-keys", "dh-group": "group19",
        "authentication-algorithm": "sha-256", "encryption-algorithm": "aes-128-cbc"}),)
    return (Phase1Config(proposals=props, local_id=A_ID, pre_shared_key=b"k", mode=mode,
                         remote_id=B_ID),
            Phase1Config(proposals=props, local_id=B_ID, pre_shared_key=b"k", mode=mode))


def phase1_checkpoints(peers, ca) -> list[Checkpoint]:
    """Main and Aggressive Mode, signatures (ECDSA, CR and CERT payloads) and pre-shared keys:
    every message of each, both roles."""
    out = []
    for mode in (Mode.MAIN, Mode.AGGRESSIVE):
        label = mode.name.lower()
        sig = Pair.of(*configs(peers, ca, mode=mode), seed=3, ca_cert=ca.cert)
        out += _capture(f"{label}-signatures", sig, ca.cert)
        psk = Pair.of(*_psk_configs(mode), seed=4, verdict=lambda sa, event: None)
        out += _capture(f"{label}-pre-shared-key", psk)
    return out


def established(peers, ca) -> tuple[Phase1Done, Phase1Done]:
    pair = Pair.of(*configs(peers, ca, expect_b=None), seed=5, ca_cert=ca.cert).run()
    return pair.outcome("initiator"), pair.outcome("responder")


def quick_mode_checkpoints(peers, ca) -> list[Checkpoint]:
    """Quick Mode's three messages, with and without PFS, under a real Phase-1 SA."""
    from sim.ike.crypto import DHGroup
    from sim.ike.ipsec_proposals import IpsecProposal
    from sim.ike.phase2 import ProxyIds

    phase1 = established(peers, ca)
    esp = IpsecProposal.from_statements("p2", {
        "protocol": "esp", "authentication-algorithm": "hmac-sha1-96",
        "encryption-algorithm": "aes-128-cbc"})
    mine = ProxyIds.of("10.1.0.0/16", "10.2.0.0/16")
    theirs = ProxyIds.of("10.2.0.0/16", "10.1.0.0/16")
    out = []
    for label, pfs in (("quick", None), ("quick-pfs", DHGroup.ECP_256)):
        pair = QmPair.of(phase1, Phase2Config(proposals=(esp,), proxy_ids=mine, pfs_group=pfs),
                         Phase2Config(proposals=(esp,), proxy_ids=theirs, pfs_group=pfs),
                         seed=6)
        out += _capture(label, pair)
    return out


__all__ = ["Checkpoint", "IkeSA", "QuickModeSA", "clone", "established", "phase1_checkpoints",
           "quick_mode_checkpoints"]
