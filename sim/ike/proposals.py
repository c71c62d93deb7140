"""Junos IKE (Phase 1) proposals: `set security ike proposal NAME ...` as values, their
ISAKMP transform form, and the responder's choice.

An IKEv1 Phase-1 offer is one Proposal payload (protocol ISAKMP) holding one Transform per
configured proposal, in the policy's order. The responder takes the first offered transform that
equals one of its own proposals (authentication method, DH group, hash, cipher and key length)
and returns that transform unchanged; lifetimes are not compared, and the initiator's lifetime is
the one negotiated (QuickSec behaviour as we understand it; not checked against a device).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sim.ike.crypto import AuthMethod, DHGroup, EncryptionAlgorithm, HashAlgorithm
from sim.ike.payloads import (
    KEY_IKE,
    PROTO_ISAKMP,
    Attribute,
    NotifyType,
    PayloadMalformed,
    ProposalPayload,
    SAPayload,
    TransformPayload,
    decode_attributes,
)
from sim.ike.statements import keyword_values, keywords_of, reject_unknown

# Phase-1 attribute classes (RFC 2409 appendix A).
ATTR_ENCRYPTION = 1
ATTR_HASH = 2
ATTR_AUTH_METHOD = 3
ATTR_GROUP = 4
ATTR_LIFE_TYPE = 11
ATTR_LIFE_DURATION = 12
ATTR_KEY_LENGTH = 14
LIFE_SECONDS = 1
_AES = 7

AUTHENTICATION_METHODS = {
    "pre-shared-keys": AuthMethod.PRE_SHARED_KEY,
    "rsa-signatures": AuthMethod.RSA_SIGNATURES,
    "dsa-signatures": AuthMethod.DSS_SIGNATURES,
    "ecdsa-signatures-256": AuthMethod.ECDSA_256,
    "ecdsa-signatures-384": AuthMethod.ECDSA_384,
}
DH_GROUPS = {f"group{g.value}": g for g in DHGroup}
AUTHENTICATION_ALGORITHMS = {
    "md5": HashAlgorithm.MD5, "sha1": HashAlgorithm.SHA1,
    "sha-256": HashAlgorithm.SHA256, "sha-384": HashAlgorithm.SHA384,
}
ENCRYPTION_ALGORITHMS = {
    "3des-cbc": EncryptionAlgorithm.TRIPLE_DES_CBC, "aes-128-cbc": EncryptionAlgorithm.AES_128_CBC,
    "aes-192-cbc": EncryptionAlgorithm.AES_192_CBC, "aes-256-cbc": EncryptionAlgorithm.AES_256_CBC,
}
_TABLES = {  # statement -> its keyword table, in the order statements() lists them
    "authentication-method": AUTHENTICATION_METHODS, "dh-group": DH_GROUPS,
    "authentication-algorithm": AUTHENTICATION_ALGORITHMS,
    "encryption-algorithm": ENCRYPTION_ALGORITHMS,
}
LIFETIME_RANGE = (180, 86400)
DEFAULT_LIFETIME = 3600  # Junos default for `lifetime-seconds` in an IKE proposal
# An offer with no SA Life Duration: "the default value of 28,800 seconds (8 hours)" (RFC 2407
# 4.5, which RFC 2409 appendix A points to for Phase 1). strongSwan's IKEv1 offers carry none.
RFC2407_DEFAULT_LIFETIME = 28800

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")


class NoProposalChosen(Exception):
    """No offered transform matches a local proposal (NO-PROPOSAL-CHOSEN, 14)."""

    notify = NotifyType.NO_PROPOSAL_CHOSEN


@dataclass(frozen=True, kw_only=True)
class IkeProposal:
    """`set security ike proposal <name> ...`."""

    name: str
    authentication_method: AuthMethod
    dh_group: DHGroup
    authentication_algorithm: HashAlgorithm
    encryption_algorithm: EncryptionAlgorithm
    lifetime_seconds: int = DEFAULT_LIFETIME

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ValueError(f"proposal name {self.name!r}: up to 32 letters, digits, - _ .")
        for field, kind in (("authentication_method", AuthMethod), ("dh_group", DHGroup),
                            ("authentication_algorithm", HashAlgorithm),
                            ("encryption_algorithm", EncryptionAlgorithm)):
            value = getattr(self, field)
            if not isinstance(value, kind):
                raise TypeError(f"{field.replace('_', '-')} must be a {kind.__name__}, "
                                f"not {type(value).__name__}")
        low, high = LIFETIME_RANGE
        if not isinstance(self.lifetime_seconds, int) or not low <= self.lifetime_seconds <= high:
            raise ValueError(f"lifetime-seconds {self.lifetime_seconds}: must be {low}..{high}")

    @classmethod
    def from_statements(cls, name: str, statements: Mapping[str, str | int]) -> IkeProposal:
        """From the proposal's Junos statements, e.g. {"dh-group": "group5", ...}."""
        what = f"ike proposal {name}"
        reject_unknown(what, statements, {*_TABLES, "lifetime-seconds", "description"})
        values = keyword_values(what, statements, _TABLES, required=True)
        lifetime = int(statements.get("lifetime-seconds", DEFAULT_LIFETIME))
        return cls(name=name, lifetime_seconds=lifetime, **values)  # type: ignore[arg-type]

    def statements(self) -> dict[str, str | int]:
        """The Junos statements this proposal is configured with."""
        return {**keywords_of(self, _TABLES), "lifetime-seconds": self.lifetime_seconds}

    def suite(self) -> tuple:
        """What must be equal for two proposals to match."""
        return (self.authentication_method, self.dh_group, self.authentication_algorithm,
                self.encryption_algorithm)

    def to_transform(self, number: int) -> TransformPayload:
        cipher = self.encryption_algorithm
        attrs = [Attribute(type=ATTR_ENCRYPTION, value=cipher.ike_id),
                 Attribute(type=ATTR_HASH, value=self.authentication_algorithm.value),
                 Attribute(type=ATTR_AUTH_METHOD, value=self.authentication_method.value),
                 Attribute(type=ATTR_GROUP, value=self.dh_group.value),
                 Attribute(type=ATTR_LIFE_TYPE, value=LIFE_SECONDS),
                 Attribute(type=ATTR_LIFE_DURATION, value=_life_value(self.lifetime_seconds))]
        if cipher.key_length_attribute is not None:
            attrs.append(Attribute(type=ATTR_KEY_LENGTH, value=cipher.key_length_attribute))
        return TransformPayload(number=number, transform_id=KEY_IKE, attributes=tuple(attrs))


def _life_value(seconds: int) -> int | bytes:
    # Life duration is variable length: TV when it fits 16 bits, else a 4-byte TLV.
    return seconds if seconds <= 0xFFFF else seconds.to_bytes(4, "big")


def from_transform(transform: TransformPayload, name: str = "peer") -> IkeProposal | None:
    """The proposal a transform describes, or None when it uses something we do not support."""
    if transform.transform_id != KEY_IKE:
        return None
    values: dict[int, int] = {}
    for attr in transform.attributes:
        if attr.type in values:
            return None
        values[attr.type] = attr.int_value
    try:
        method = AuthMethod(values[ATTR_AUTH_METHOD])
        group = DHGroup(values[ATTR_GROUP])
        hash_alg = HashAlgorithm(values[ATTR_HASH])
        cipher = _cipher(values[ATTR_ENCRYPTION], values.get(ATTR_KEY_LENGTH))
    except (KeyError, ValueError):
        return None
    if cipher is None or values.get(ATTR_LIFE_TYPE, LIFE_SECONDS) != LIFE_SECONDS:
        return None
    lifetime = values.get(ATTR_LIFE_DURATION, RFC2407_DEFAULT_LIFETIME)
    lifetime = min(max(lifetime, LIFETIME_RANGE[0]), LIFETIME_RANGE[1])
    return IkeProposal(name=name, authentication_method=method, dh_group=group,
                       authentication_algorithm=hash_alg, encryption_algorithm=cipher,
                       lifetime_seconds=lifetime)


def _cipher(ike_id: int, key_bits: int | None) -> EncryptionAlgorithm | None:
    for cipher in EncryptionAlgorithm:
        if cipher.ike_id == ike_id and cipher.key_length_attribute == key_bits:
            return cipher
    return None


def sa_offer(proposals: Sequence[IkeProposal]) -> SAPayload:
    """The initiator's SA payload: one ISAKMP proposal, one transform per local proposal."""
    if not proposals:
        raise ValueError("an IKE policy needs at least one proposal")
    transforms = tuple(p.to_transform(i + 1) for i, p in enumerate(proposals))
    return SAPayload(proposals=(ProposalPayload(number=1, protocol_id=PROTO_ISAKMP,
                                                transforms=transforms),))


def select(offer: SAPayload, local: Sequence[IkeProposal]
           ) -> tuple[SAPayload, IkeProposal]:
    """The responder's choice: (SA payload to send back, chosen proposal).

    The chosen proposal carries the local proposal's name and the offered lifetime.
    Raises NoProposalChosen, or PayloadMalformed for an offer that is not a Phase-1 offer.
    """
    for proposal in offer.proposals:
        if proposal.protocol_id != PROTO_ISAKMP:
            raise PayloadMalformed(f"Phase-1 proposal for protocol {proposal.protocol_id}",
                                   NotifyType.INVALID_PROTOCOL_ID)
        for transform in proposal.transforms:
            offered = from_transform(transform)
            if offered is None:
                continue
            mine = next((p for p in local if p.suite() == offered.suite()), None)
            if mine is not None:
                chosen = IkeProposal(name=mine.name, authentication_method=offered.
                                     authentication_method, dh_group=offered.dh_group,
                                     authentication_algorithm=offered.authentication_algorithm,
                                     encryption_algorithm=offered.encryption_algorithm,
                                     lifetime_seconds=offered.lifetime_seconds)
                reply = SAPayload(proposals=(ProposalPayload(
                    number=proposal.number, protocol_id=PROTO_ISAKMP, spi=proposal.spi,
                    transforms=(transform,)),))
                return reply, chosen
    raise NoProposalChosen("no offered transform matches a local proposal")


def accepted(reply: SAPayload, offered: Sequence[IkeProposal]) -> IkeProposal:
    """The initiator's check of the responder's SA: exactly one transform, one we offered."""
    transforms = [t for p in reply.proposals for t in p.transforms]
    if len(reply.proposals) != 1 or len(transforms) != 1:
        raise PayloadMalformed("responder SA must hold one proposal with one transform",
                               NotifyType.BAD_PROPOSAL_SYNTAX)
    got = from_transform(transforms[0])
    mine = next((p for p in offered if got is not None and p.suite() == got.suite()), None)
    if got is None or mine is None:
        raise NoProposalChosen("responder chose a transform that was not offered")
    return IkeProposal(name=mine.name, authentication_method=mine.authentication_method,
                       dh_group=mine.dh_group,
                       authentication_algorithm=mine.authentication_algorithm,
                       encryption_algorithm=mine.encryption_algorithm,
                       lifetime_seconds=got.lifetime_seconds)


def settle_lifetime(chosen: IkeProposal, local: Sequence[IkeProposal]) -> IkeProposal:
    """The responder's lifetime for the SA: the offered one, or its own configured lifetime
    when that is shorter (it then says so with RESPONDER-LIFETIME, RFC 2407 4.6.3.1, as QuickSec
    does for Phase 2; for Phase 1 the same rule is our inference)."""
    mine = next((p for p in local if p.name == chosen.name), None)
    if mine is None or mine.lifetime_seconds >= chosen.lifetime_seconds:
        return chosen
    return replace(chosen, lifetime_seconds=mine.lifetime_seconds)


def life_attributes(seconds: int) -> bytes:
    """A RESPONDER-LIFETIME notify's data for an ISAKMP SA: Phase-1 Life Type and Duration."""
    return (Attribute(type=ATTR_LIFE_TYPE, value=LIFE_SECONDS).encode()
            + Attribute(type=ATTR_LIFE_DURATION, value=_life_value(seconds)).encode())


def notified_lifetime(data: bytes, offered: int) -> int | None:
    """The lifetime a RESPONDER-LIFETIME notify for an ISAKMP SA sets, or None if its data
    names no seconds. A peer can only shorten what we offered, never below LIFETIME_RANGE."""
    try:
        attrs = decode_attributes(data)
    except PayloadMalformed:
        return None
    values = {a.type: a.int_value for a in attrs}
    if values.get(ATTR_LIFE_TYPE) != LIFE_SECONDS or ATTR_LIFE_DURATION not in values:
        return None
    return max(min(values[ATTR_LIFE_DURATION], offered), LIFETIME_RANGE[0])


def _predefined(name: str, method: AuthMethod, cipher: EncryptionAlgorithm) -> IkeProposal:
    return IkeProposal(name=name, authentication_method=method, dh_group=DHGroup.MODP_1024,
                       authentication_algorithm=HashAlgorithm.SHA1, encryption_algorithm=cipher,
                       lifetime_seconds=28800)


# `proposal-set standard` for Phase 1. Junos documents it for pre-shared keys as
# pre-g2-aes128-sha and pre-g2-3des-sha; the certificate variant below (rsa- instead of pre-)
# and the 28800 s lifetime are our inference, NOT verified against the guide or a device.
PROPOSAL_SETS: dict[str, tuple[IkeProposal, ...]] = {
    "standard": (
        _predefined("rsa-g2-aes128-sha", AuthMethod.RSA_SIGNATURES,
                    EncryptionAlgorithm.AES_128_CBC),
        _predefined("rsa-g2-3des-sha", AuthMethod.RSA_SIGNATURES,
                    EncryptionAlgorithm.TRIPLE_DES_CBC),
    ),
}
