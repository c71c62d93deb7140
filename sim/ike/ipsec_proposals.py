"""Junos IPsec (Phase 2) proposals: `set security ipsec proposal NAME ...` and the predefined
`proposal-set`s as values, their ISAKMP form, and the responder's choice.

A Quick Mode offer holds one Proposal payload per configured proposal (protocol ESP, the
offerer's 4-byte inbound SPI, one transform), numbered 1, 2, ... so that each is an alternative
(RFC 2408 4.2). A transform is ESP_3DES (3) or ESP_AES (12, with a Key Length attribute) with the
IPsec DOI attributes of RFC 2407 4.5: SA life type/duration, encapsulation mode tunnel,
authentication algorithm, and the group description when PFS is on. The responder takes the
first offered proposal whose suite (authentication, encryption, PFS group) equals one of its own;
the shorter of the two lifetimes is used (Junos documents this for IPsec policies).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sim.ike.crypto import DHGroup
from sim.ike.payloads import (
    Attribute,
    NotifyType,
    PayloadMalformed,
    ProposalPayload,
    SAPayload,
    TransformPayload,
)
from sim.ike.proposals import NoProposalChosen
from sim.ike.statements import keyword_values, keywords_of, reject_unknown

PROTO_IPSEC_ESP = 3
ESP_3DES = 3
ESP_AES = 12

# IPsec DOI SA attributes (RFC 2407 4.5).
ATTR_SA_LIFE_TYPE = 1
ATTR_SA_LIFE_DURATION = 2
ATTR_GROUP_DESCRIPTION = 3
ATTR_ENCAPSULATION_MODE = 4
ATTR_AUTHENTICATION_ALGORITHM = 5
ATTR_KEY_LENGTH = 6
LIFE_SECONDS = 1
LIFE_KILOBYTES = 2
ENCAPSULATION_TUNNEL = 1
ENCAPSULATION_UDP_TUNNEL = 3  # UDP-Encapsulated-Tunnel, RFC 3947 5.1: NAT-T found a NAT

LIFETIME_RANGE = (180, 86400)
DEFAULT_LIFETIME = 3600  # Junos default for `lifetime-seconds` in an IPsec proposal
RFC2407_DEFAULT_LIFETIME = 28800  # an offer without SA Life Duration (RFC 2407 4.5)
KILOBYTES_RANGE = (64, 1048576)  # `lifetime-kilobytes`; none configured: no size limit

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")


class EspAuthentication(enum.Enum):
    """(RFC 2407 Authentication Algorithm attribute value, key bytes)."""

    HMAC_MD5_96 = (1, 16)
    HMAC_SHA1_96 = (2, 20)
    HMAC_SHA_256_128 = (5, 32)  # RFC 4868

    @property
    def attribute(self) -> int:
        return self.value[0]

    @property
    def key_size(self) -> int:
        return self.value[1]


class EspEncryption(enum.Enum):
    """(ESP transform ID, key bytes)."""

    TRIPLE_DES_CBC = (ESP_3DES, 24)
    AES_128_CBC = (ESP_AES, 16)
    AES_192_CBC = (ESP_AES, 24)
    AES_256_CBC = (ESP_AES, 32)

    @property
    def transform_id(self) -> int:
        return self.value[0]

    @property
    def key_size(self) -> int:
        return self.value[1]

    @property
    def key_length_attribute(self) -> int | None:
        """Bits for the Key Length attribute: AES needs it, 3DES must not carry it."""
        return None if self is EspEncryption.TRIPLE_DES_CBC else self.key_size * 8


AUTHENTICATION_ALGORITHMS = {
    "hmac-md5-96": EspAuthentication.HMAC_MD5_96,
    "hmac-sha1-96": EspAuthentication.HMAC_SHA1_96,
    "hmac-sha-256-128": EspAuthentication.HMAC_SHA_256_128,
}
ENCRYPTION_ALGORITHMS = {
    "3des-cbc": EspEncryption.TRIPLE_DES_CBC, "aes-128-cbc": EspEncryption.AES_128_CBC,
    "aes-192-cbc": EspEncryption.AES_192_CBC, "aes-256-cbc": EspEncryption.AES_256_CBC,
}
_TABLES = {"authentication-algorithm": AUTHENTICATION_ALGORITHMS,
           "encryption-algorithm": ENCRYPTION_ALGORITHMS}


@dataclass(frozen=True, kw_only=True)
class IpsecProposal:
    """`set security ipsec proposal <name> protocol esp ...`. `pfs_group` is set only on the
    predefined members of a proposal-set (the "g2" of esp-group2-3des-sha1)."""

    name: str
    authentication_algorithm: EspAuthentication
    encryption_algorithm: EspEncryption
    lifetime_seconds: int = DEFAULT_LIFETIME
    pfs_group: DHGroup | None = None
    lifetime_kilobytes: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ValueError(f"proposal name {self.name!r}: up to 32 letters, digits, - _ .")
        if not isinstance(self.authentication_algorithm, EspAuthentication):
            raise TypeError("authentication-algorithm must be an EspAuthentication, not "
                            f"{type(self.authentication_algorithm).__name__}")
        if not isinstance(self.encryption_algorithm, EspEncryption):
            raise TypeError("encryption-algorithm must be an EspEncryption, not "
                            f"{type(self.encryption_algorithm).__name__}")
        if self.pfs_group is not None and not isinstance(self.pfs_group, DHGroup):
            raise TypeError(f"pfs_group must be a DHGroup, not {type(self.pfs_group).__name__}")
        low, high = LIFETIME_RANGE
        if not isinstance(self.lifetime_seconds, int) or not low <= self.lifetime_seconds <= high:
            raise ValueError(f"ipsec proposal {self.name}: lifetime-seconds "
                             f"{self.lifetime_seconds}: must be {low}..{high}")
        low, high = KILOBYTES_RANGE
        if self.lifetime_kilobytes is not None and (
                not isinstance(self.lifetime_kilobytes, int)
                or not low <= self.lifetime_kilobytes <= high):
            raise ValueError(f"ipsec proposal {self.name}: lifetime-kilobytes "
                             f"{self.lifetime_kilobytes}: must be {low}..{high}")

    @classmethod
    def from_statements(cls, name: str, statements: Mapping[str, str | int]) -> IpsecProposal:
        """From the proposal's Junos statements, e.g. {"protocol": "esp", ...}."""
        what = f"ipsec proposal {name}"
        reject_unknown(what, statements,
                       {*_TABLES, "protocol", "lifetime-seconds", "lifetime-kilobytes",
                        "description"})
        protocol = statements.get("protocol", "esp")
        if protocol != "esp":
            raise ValueError(f"{what}: protocol {protocol} is not modelled (only esp)")
        values = keyword_values(what, statements, _TABLES, required=False)
        lifetime = int(statements.get("lifetime-seconds", DEFAULT_LIFETIME))
        kilobytes = statements.get("lifetime-kilobytes")
        return cls(name=name, lifetime_seconds=lifetime,  # type: ignore[arg-type]
                   lifetime_kilobytes=None if kilobytes is None else int(kilobytes), **values)

    def statements(self) -> dict[str, str | int]:
        out = {"protocol": "esp", **keywords_of(self, _TABLES),
               "lifetime-seconds": self.lifetime_seconds}
        if self.lifetime_kilobytes is not None:
            out["lifetime-kilobytes"] = self.lifetime_kilobytes
        return out

    @property
    def key_size(self) -> int:
        """KEYMAT bytes per direction: encryption key, then authentication key."""
        return self.encryption_algorithm.key_size + self.authentication_algorithm.key_size

    def to_transform(self, group: DHGroup | None,
                     encapsulation: int = ENCAPSULATION_TUNNEL) -> TransformPayload:
        attrs = [Attribute(type=ATTR_SA_LIFE_TYPE, value=LIFE_SECONDS),
                 Attribute(type=ATTR_SA_LIFE_DURATION, value=_life_value(self.lifetime_seconds))]
        if self.lifetime_kilobytes is not None:  # a second Life Type/Duration pair (RFC 2407)
            attrs += [Attribute(type=ATTR_SA_LIFE_TYPE, value=LIFE_KILOBYTES),
                      Attribute(type=ATTR_SA_LIFE_DURATION,
                                value=_life_value(self.lifetime_kilobytes))]
        if group is not None:
            attrs.append(Attribute(type=ATTR_GROUP_DESCRIPTION, value=group.value))
        attrs += [Attribute(type=ATTR_ENCAPSULATION_MODE, value=encapsulation),
                  Attribute(type=ATTR_AUTHENTICATION_ALGORITHM,
                            value=self.authentication_algorithm.attribute)]
        bits = self.encryption_algorithm.key_length_attribute
        if bits is not None:
            attrs.append(Attribute(type=ATTR_KEY_LENGTH, value=bits))
        return TransformPayload(number=1, transform_id=self.encryption_algorithm.transform_id,
                                attributes=tuple(attrs))


# `proposal-set standard` per the guide (chapter 11): esp-group2-3des-sha1 and
# esp-group2-aes128-sha1, "group2" meaning PFS group 2. basic/compatible are not modelled:
# their members use des-cbc, and we found no text to check them against.
PROPOSAL_SETS: dict[str, tuple[IpsecProposal, ...]] = {
    "standard": (
        IpsecProposal(name="esp-group2-3des-sha1",
                      authentication_algorithm=EspAuthentication.HMAC_SHA1_96,
                      encryption_algorithm=EspEncryption.TRIPLE_DES_CBC,
                      pfs_group=DHGroup.MODP_1024),
        IpsecProposal(name="esp-group2-aes128-sha1",
                      authentication_algorithm=EspAuthentication.HMAC_SHA1_96,
                      encryption_algorithm=EspEncryption.AES_128_CBC,
                      pfs_group=DHGroup.MODP_1024),
    ),
}


def _life_value(seconds: int) -> int | bytes:
    return seconds if seconds <= 0xFFFF else seconds.to_bytes(4, "big")


# ---------------------------------------------------------------- offers and choices


@dataclass(frozen=True, kw_only=True)
class Suite:
    """One offerable proposal with the PFS group it is offered with."""

    proposal: IpsecProposal
    group: DHGroup | None

    def key(self) -> tuple:
        p = self.proposal
        return (p.authentication_algorithm, p.encryption_algorithm, self.group)


@dataclass(frozen=True, kw_only=True)
class Chosen:
    """The outcome of a choice: our proposal (named as ours, with the negotiated lifetime), the
    group, the peer's SPI, and the SA payload the responder sends back."""

    proposal: IpsecProposal
    group: DHGroup | None
    peer_spi: bytes
    offered_lifetime: int
    reply: SAPayload
    offered_kilobytes: int | None = None

    @property
    def shortened(self) -> bool:
        """Did the responder keep a shorter lifetime (seconds or kilobytes) than offered?"""
        mine = self.proposal.lifetime_kilobytes
        return self.proposal.lifetime_seconds < self.offered_lifetime or (
            mine is not None and (self.offered_kilobytes is None
                                  or mine < self.offered_kilobytes))


def sa_offer(suites: Sequence[Suite], spi: bytes,
             encapsulation: int = ENCAPSULATION_TUNNEL) -> SAPayload:
    if not suites:
        raise ValueError("an IPsec policy needs at least one proposal")
    return SAPayload(proposals=tuple(
        ProposalPayload(number=i + 1, protocol_id=PROTO_IPSEC_ESP, spi=spi,
                        transforms=(s.proposal.to_transform(s.group, encapsulation),))
        for i, s in enumerate(suites)))


def _parse(transform: TransformPayload,
           encapsulation: int) -> tuple[tuple, int, int | None] | None:
    """(suite key, lifetime in seconds, in kilobytes or None) of an ESP transform in the
    `encapsulation` mode the IKE SA calls for, or None when we cannot use it. Life Type/Duration
    pairs may come twice, once per type (RFC 2407 4.5)."""
    values: dict[int, int] = {}
    lives: dict[int, int] = {}
    life_type: int | None = None
    for attr in transform.attributes:
        if attr.type == ATTR_SA_LIFE_TYPE:
            if attr.int_value in lives or life_type is not None:
                return None
            life_type = attr.int_value
            continue
        if attr.type == ATTR_SA_LIFE_DURATION:
            if life_type is None:
                return None
            lives[life_type], life_type = attr.int_value, None
            continue
        if attr.type in values:
            return None
        values[attr.type] = attr.int_value
    cipher = next((c for c in EspEncryption if c.transform_id == transform.transform_id
                   and c.key_length_attribute == values.get(ATTR_KEY_LENGTH)), None)
    auth = next((a for a in EspAuthentication
                 if a.attribute == values.get(ATTR_AUTHENTICATION_ALGORITHM)), None)
    try:
        group = DHGroup(values[ATTR_GROUP_DESCRIPTION]) if ATTR_GROUP_DESCRIPTION in values \
            else None
    except ValueError:
        return None
    if cipher is None or auth is None:
        return None
    if values.get(ATTR_ENCAPSULATION_MODE, ENCAPSULATION_TUNNEL) != encapsulation:
        return None
    if life_type is not None or set(lives) - {LIFE_SECONDS, LIFE_KILOBYTES}:
        return None
    # No SA Life Duration: RFC 2407 4.5's default, 28800 seconds (and no size limit).
    return ((auth, cipher, group), lives.get(LIFE_SECONDS, RFC2407_DEFAULT_LIFETIME),
            lives.get(LIFE_KILOBYTES))


def _negotiated(mine: Suite, lifetime: int, kilobytes: int | None) -> IpsecProposal:
    """Ours with the shorter of each lifetime; a peer's number is raised to Junos's minimum."""
    own = mine.proposal.lifetime_kilobytes
    if kilobytes is not None:
        kilobytes = max(kilobytes, KILOBYTES_RANGE[0])
        own = kilobytes if own is None else min(own, kilobytes)
    return replace(mine.proposal, lifetime_seconds=min(mine.proposal.lifetime_seconds,
                                                       max(lifetime, LIFETIME_RANGE[0])),
                   lifetime_kilobytes=own)


def select(offer: SAPayload, local: Sequence[Suite], spi: bytes,
           encapsulation: int = ENCAPSULATION_TUNNEL) -> Chosen:
    """The responder's choice; `spi` is our inbound SPI for the reply. Raises NoProposalChosen."""
    for proposal in offer.proposals:
        if proposal.protocol_id != PROTO_IPSEC_ESP or len(proposal.transforms) != 1:
            continue  # AH, IPComp and bundles are not modelled
        if len(proposal.spi) != 4:
            raise PayloadMalformed(f"ESP SPI of {len(proposal.spi)} bytes", NotifyType.INVALID_SPI)
        parsed = _parse(proposal.transforms[0], encapsulation)
        if parsed is None:
            continue
        key, lifetime, kilobytes = parsed
        mine = next((s for s in local if s.key() == key), None)
        if mine is not None:
            reply = SAPayload(proposals=(replace(proposal, spi=spi),))
            return Chosen(proposal=_negotiated(mine, lifetime, kilobytes), group=mine.group,
                          peer_spi=proposal.spi, offered_lifetime=lifetime, reply=reply,
                          offered_kilobytes=kilobytes)
    raise NoProposalChosen("no offered ESP proposal matches a local proposal")


def accepted(reply: SAPayload, offered: Sequence[Suite],
             encapsulation: int = ENCAPSULATION_TUNNEL) -> Chosen:
    """The initiator's check of the responder's SA: one proposal, one transform, one we offered
    under the same proposal number."""
    if len(reply.proposals) != 1 or len(reply.proposals[0].transforms) != 1:
        raise PayloadMalformed("responder SA must hold one proposal with one transform",
                               NotifyType.BAD_PROPOSAL_SYNTAX)
    proposal = reply.proposals[0]
    if proposal.protocol_id != PROTO_IPSEC_ESP:
        raise PayloadMalformed(f"responder chose protocol {proposal.protocol_id}",
                               NotifyType.INVALID_PROTOCOL_ID)
    if len(proposal.spi) != 4:
        raise PayloadMalformed(f"ESP SPI of {len(proposal.spi)} bytes", NotifyType.INVALID_SPI)
    parsed = _parse(proposal.transforms[0], encapsulation)
    index = proposal.number - 1
    if parsed is None or not 0 <= index < len(offered) or offered[index].key() != parsed[0]:
        raise NoProposalChosen("responder chose a proposal that was not offered")
    mine = offered[index]
    return Chosen(proposal=_negotiated(mine, parsed[1], parsed[2]), group=mine.group,
                  peer_spi=proposal.spi, offered_lifetime=parsed[1], reply=reply,
                  offered_kilobytes=parsed[2])
