"""What an IKE SA (sim.ike.phase1) is given and what it gives back, sans I/O: the roles and
modes, one side's Phase-1 configuration (Phase1Config, RetransmitPolicy), the events it emits
(SendDatagram, PeerCertificatesReceived, Phase1Done, Phase1Failed; NEED_INPUT when there are
none), the Timer it asks its driver for, and its two error classes (LocalProtocolError: the
caller misused it; RemoteProtocolError: the peer sent a datagram that does not belong, or that
could not be parsed or authenticated: it was dropped and the SA is unchanged). Quick Mode
(sim.ike.phase2) shares them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from cryptography import x509

from pki.keys import PrivateKey, key_spec_of
from sim.ike import crypto
from sim.ike.ids import IkeId
from sim.ike.payloads import ExchangeType, NotifyType
from sim.ike.proposals import IkeProposal


class Role(enum.Enum):
    INITIATOR = "initiator"
    RESPONDER = "responder"


class Mode(enum.Enum):
    MAIN = ExchangeType.IDENTITY_PROTECTION
    AGGRESSIVE = ExchangeType.AGGRESSIVE


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True, kw_only=True)
class RetransmitPolicy:
    """QuickSec isakmp base timers: resend after `initial` s, then x`factor`, capped."""

    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 30.0
    limit: int = 10
    expire: float = 300.0  # whole negotiation; enforced by the driver through timeout()

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.factor < 1 or self.maximum < self.initial:
            raise ValueError(f"bad retransmit timers {self.initial}/{self.factor}/{self.maximum}")
        if self.limit < 0 or self.expire <= 0:
            raise ValueError(f"bad retransmit limit {self.limit} / expire {self.expire}")

    def delay(self, resends_so_far: int) -> float:
        return min(self.initial * self.factor ** resends_so_far, self.maximum)


@dataclass(frozen=True, kw_only=True)
class Phase1Config:
    """One side's Phase-1 settings: the IKE policy (mode, proposals, local certificate or
    pre-shared key) and the gateway (local-identity, the remote identity it expects, trusted
    CAs for CR payloads). Each proposal's authentication method needs its secret: a private key
    that fits it, or the pre-shared key."""

    proposals: tuple[IkeProposal, ...]
    local_id: IkeId
    private_key: PrivateKey | None = None
    pre_shared_key: bytes | None = field(default=None, repr=False)
    certificates: tuple[bytes, ...] = ()   # DER, local certificate first, then CA certificates
    mode: Mode = Mode.MAIN
    remote_id: IkeId | None = None         # None: any identity the certificate vouches for
    ca_dns: tuple[bytes, ...] = ()         # DER DNs of trusted CAs, one CR payload each
    vendor_ids: tuple[bytes, ...] = ()
    nonce_size: int = 32                   # bytes; Junos's own nonce length is unverified
    send_notifications: bool = True        # responder tells a waiting initiator why it failed
    # Main Mode initiator: the message its CR payloads travel in. Junos sends them in message
    # 3; other peers send them with their identity in message 5 (RFC 2409 allows both).
    cr_message: int = 3
    initial_contact: bool = False          # initiator: say INITIAL-CONTACT in message 5
    retransmit: RetransmitPolicy = field(default_factory=RetransmitPolicy)

    def __post_init__(self) -> None:
        if not isinstance(self.proposals, tuple) or not self.proposals:
            raise ValueError("proposals: a non-empty tuple of IkeProposal is required")
        if self.pre_shared_key is not None and (
                not isinstance(self.pre_shared_key, bytes) or not self.pre_shared_key):
            raise ValueError("pre_shared_key: non-empty bytes are required")
        for p in self.proposals:
            if not isinstance(p, IkeProposal):
                raise TypeError(f"proposals must be IkeProposal, not {type(p).__name__}")
            method = p.statements()["authentication-method"]
            if p.authentication_method is crypto.AuthMethod.PRE_SHARED_KEY:
                if self.pre_shared_key is None:
                    raise ValueError(f"ike proposal {p.name}: authentication-method {method} "
                                     "needs a pre-shared key")
            elif self.private_key is None:
                raise ValueError(f"ike proposal {p.name}: authentication-method {method} "
                                 "needs the local certificate's private key")
            elif not crypto.key_fits(p.authentication_method, self.private_key):
                spec = key_spec_of(self.private_key)
                raise ValueError(f"ike proposal {p.name}: authentication-method {method} does "
                                 f"not fit the local certificate's {spec.type.value}-"
                                 f"{spec.size} key")
        if self.mode is Mode.AGGRESSIVE and len({p.dh_group for p in self.proposals}) != 1:
            raise ValueError("mode aggressive: all proposals must use the same dh-group")
        if not isinstance(self.local_id, IkeId):
            raise TypeError(f"local_id must be an IkeId, not {type(self.local_id).__name__}")
        if not all(isinstance(c, bytes) for c in (*self.certificates, *self.ca_dns)):
            raise TypeError("certificates and ca_dns must be tuples of DER bytes")
        if self.cr_message not in (3, 5):
            raise ValueError(f"cr_message {self.cr_message}: CR payloads go in message 3 or 5")
        if not 8 <= self.nonce_size <= 256:
            raise ValueError(f"nonce_size {self.nonce_size}: RFC 2409 allows 8..256 bytes")

    @property
    def uses_certificates(self) -> bool:
        """Does any proposal authenticate with signatures (so CR payloads are worth sending)?"""
        return any(p.authentication_method is not crypto.AuthMethod.PRE_SHARED_KEY
                   for p in self.proposals)


# ---------------------------------------------------------------- events and errors


@dataclass(frozen=True, kw_only=True)
class SendDatagram:
    data: bytes


@dataclass(frozen=True, kw_only=True)
class PeerCertificatesReceived:
    """The peer's CERT payloads that decode (DER, in the order sent, the leaf first; `decoded`
    holds the same certificates parsed), its ID, and the CA DNs it asked for. The SA now waits
    for certificate_verdict() or certificate_rejected()."""

    certificates: tuple[bytes, ...]
    peer_id: IkeId
    certificate_requests: tuple[bytes, ...]
    decoded: tuple[x509.Certificate, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Phase1Done:
    role: Role
    mode: Mode
    icookie: bytes
    rcookie: bytes
    proposal: IkeProposal
    local_id: IkeId
    remote_id: IkeId
    keys: crypto.Phase1Keys
    last_iv: bytes  # last Phase-1 CBC block, the seed of Quick Mode / Informational IVs
    peer_certificate: x509.Certificate | None  # None with pre-shared keys
    # NAT-T (RFC 3947): a NAT was found in the path, so IKE moved to UDP 4500 and the IPsec
    # SAs are UDP-encapsulated tunnels.
    nat_t: bool = False
    peer_vendor_ids: tuple[bytes, ...] = ()  # the vendor IDs of the peer's message 1/2
    initial_contact: bool = False  # the initiator's message 5 carried INITIAL-CONTACT


class Cause(enum.Enum):
    """Why a Phase 1 failed, where a driver logs more than the error (kmd's "Unable to find
    phase-1 policy" line for a responder whose gateway does not know the peer's identity)."""

    REMOTE_ID_MISMATCH = "remote-id-mismatch"


@dataclass(frozen=True, kw_only=True)
class Phase1Failed:
    """`error.text` is what Junos prints ("No proposal chosen"); `reason` is the detail."""

    role: Role
    error: NotifyType
    reason: str
    local_id: IkeId | None
    remote_id: IkeId | None
    cause: Cause | None = None

    @property
    def text(self) -> str:
        return self.error.text


Event = SendDatagram | PeerCertificatesReceived | Phase1Done | Phase1Failed


class NeedInput(enum.Enum):
    NEED_INPUT = "need-input"


NEED_INPUT = NeedInput.NEED_INPUT


@dataclass(frozen=True, kw_only=True)
class Timer:
    """Call on_timer(generation) after `delay` seconds; a stale generation is ignored."""

    delay: float
    generation: int


class LocalProtocolError(Exception):
    """The caller used the SA wrongly (wrong state, wrong argument)."""


class RemoteProtocolError(Exception):
    """A datagram that does not belong to this SA's negotiation; it was dropped."""

    def __init__(self, message: str, notify: NotifyType) -> None:
        super().__init__(message)
        self.notify = notify
