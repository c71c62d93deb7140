"""Quick Mode's wire-level pieces, with no negotiation state: proxy-ID pairs (ProxyIds), the
first IV of an exchange under a Phase-1 SA (first_iv), encrypting and decrypting its messages
with the Phase-1 key (seal, open_encrypted), encrypted Informational notifications
(seal_informational, open_informational), KEYMAT (keymat), and the RESPONDER-LIFETIME notify a
responder sends when it shortens the SA lifetime. sim.ike.phase2 runs the exchange with them;
sim.ike.phase1 (and sim.ike.phase1_messages) use seal and the Informational pair for the IKE
SA's own encrypted messages.
"""

from __future__ import annotations

import hmac
import ipaddress
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sim.ike import crypto
from sim.ike.ids import ADDRESS_ID_TYPES, IkeId
from sim.ike.ipsec_proposals import (
    ATTR_SA_LIFE_DURATION,
    ATTR_SA_LIFE_TYPE,
    LIFE_KILOBYTES,
    LIFE_SECONDS,
    PROTO_IPSEC_ESP,
)
from sim.ike.payloads import (
    FLAG_ENCRYPTED,
    HEADER_LEN,
    Attribute,
    DeletePayload,
    ExchangeType,
    HashPayload,
    Header,
    Message,
    NotificationPayload,
    NotifyType,
    PayloadMalformed,
    decode_message,
    encode_payloads,
    split_payloads,
)
from sim.ike.proposals import IkeProposal


class KeyedSA(Protocol):
    """What the functions below need of a Phase-1 SA: a Phase1Done, or an IkeSA once it has
    its keys (its `last_iv` is then the CBC block so far)."""

    @property
    def icookie(self) -> bytes: ...
    @property
    def rcookie(self) -> bytes: ...
    @property
    def proposal(self) -> IkeProposal: ...
    @property
    def keys(self) -> crypto.Phase1Keys: ...
    @property
    def last_iv(self) -> bytes: ...


# ---------------------------------------------------------------- proxy IDs


@dataclass(frozen=True, kw_only=True)
class ProxyIds:
    """A (local, remote) proxy-ID pair as this side sees it; the service (protocol/port) is
    carried in both IDs. Each is an address ID of either family: an address, a subnet or a
    range (RFC 2407 4.6.2, ID types 1, 4, 5, 6, 7, 8)."""

    local: IkeId
    remote: IkeId

    def __post_init__(self) -> None:
        for which in (self.local, self.remote):
            if not isinstance(which, IkeId):
                raise TypeError(f"proxy IDs must be IkeId, not {type(which).__name__}")
            if which.id_type not in ADDRESS_ID_TYPES:
                raise ValueError(f"proxy ID {which}: an address, subnet or range is required")

    @classmethod
    def of(cls, local: str, remote: str, *, protocol: int = 0, port: int = 0) -> ProxyIds:
        """From two prefixes of either family, e.g. ProxyIds.of("10.10.10.0/24",
        "192.168.168.0/24") or ProxyIds.of("2001:db8:1::/64", "2001:db8:2::/64")."""
        return cls(local=IkeId.subnet(local, protocol=protocol, port=port),
                   remote=IkeId.subnet(remote, protocol=protocol, port=port))

    def same_traffic(self, other: ProxyIds) -> bool:
        """Do both pairs select the same traffic: the same addresses on each side (a subnet
        and the range it spans are one selector), protocol and port?"""
        return all(mine.covers() == theirs.covers()
                   and (mine.protocol, mine.port) == (theirs.protocol, theirs.port)
                   for mine, theirs in ((self.local, other.local), (self.remote, other.remote)))

    @classmethod
    def route_based(cls) -> ProxyIds:
        """Junos's default for a route-based VPN without `proxy-identity`: 0.0.0.0/0 both ways."""
        return cls.of("0.0.0.0/0", "0.0.0.0/0")

    @classmethod
    def from_tunnel_policy(cls, source_addresses: Sequence[str],
                           destination_addresses: Sequence[str],
                           applications: Sequence[tuple[int, int]] = ((0, 0),)) -> ProxyIds:
        """A policy-based VPN's proxy IDs: local from the policy's source addresses, remote from
        its destinations, service from its application as (protocol, port), `any` = (0, 0).
        Several objects for one of them turn it to zeroes (the guide, chapter 11)."""
        if not source_addresses or not destination_addresses or not applications:
            raise ValueError("a tunnel policy matches at least one source, destination and "
                             "application")
        local = source_addresses[0] if len(source_addresses) == 1 else _any(source_addresses)
        remote = (destination_addresses[0] if len(destination_addresses) == 1
                  else _any(destination_addresses))
        protocol, port = applications[0] if len(applications) == 1 else (0, 0)
        return cls.of(local, remote, protocol=protocol, port=port)


def _any(prefixes: Sequence[str]) -> str:
    """Every address of the prefixes' family."""
    return "::/0" if ipaddress.ip_network(prefixes[0]).version == 6 else "0.0.0.0/0"


# ---------------------------------------------------------------- wire: IVs, sealing, KEYMAT


def first_iv(phase1: KeyedSA, message_id: int) -> bytes:
    """hash(last Phase-1 CBC block | M-ID), cut to the cipher block (RFC 2409 appendix B)."""
    alg = phase1.proposal.authentication_algorithm
    block = phase1.proposal.encryption_algorithm.block_size
    return crypto.plain_hash(alg, phase1.last_iv + message_id.to_bytes(4, "big"))[:block]


def seal(phase1: KeyedSA, message_id: int, iv: bytes, payloads: list, *,
         exchange: ExchangeType) -> tuple[bytes, bytes]:
    """(datagram, next IV): the payloads encrypted under the Phase-1 key."""
    cipher = phase1.proposal.encryption_algorithm
    first, body = encode_payloads(payloads)
    ciphertext = crypto.encrypt(cipher, phase1.keys.enc_key, iv, body)
    header = Header(icookie=phase1.icookie, rcookie=phase1.rcookie, next_payload=first,
                    exchange=exchange, flags=FLAG_ENCRYPTED, message_id=message_id,
                    length=HEADER_LEN + len(ciphertext))
    return header.encode() + ciphertext, ciphertext[-cipher.block_size:]


def seal_informational(phase1: KeyedSA, message_id: int,
                       *payloads: NotificationPayload | DeletePayload) -> bytes:
    """An encrypted Informational carrying `payloads` (notifications, DELETEs), protected by
    HASH(1) = prf(SKEYID_a, M-ID | the payloads) (RFC 2409 5.7), its IV derived from the
    message ID like a Quick Mode's."""
    if not payloads:
        raise ValueError("an Informational carries at least one payload")
    mid = message_id.to_bytes(4, "big")
    hash1 = crypto.prf(phase1.proposal.authentication_algorithm, phase1.keys.skeyid_a,
                       mid + encode_payloads(list(payloads))[1])
    data, _ = seal(phase1, message_id, first_iv(phase1, message_id),
                   [HashPayload(data=hash1), *payloads], exchange=ExchangeType.INFORMATIONAL)
    return data


def decrypt_body(phase1: KeyedSA, iv: bytes, datagram: bytes, what: str = "message"
                 ) -> tuple[Header, bytes, bytes]:
    """(header, decrypted body, next IV) of an encrypted datagram under the Phase-1 key.
    PayloadMalformed if it is not encrypted (naming `what`) or does not decrypt."""
    header = Header.decode(datagram)
    if not header.encrypted:
        raise PayloadMalformed(f"{what} is not encrypted", NotifyType.INVALID_FLAGS)
    cipher = phase1.proposal.encryption_algorithm
    ciphertext = datagram[HEADER_LEN:]
    try:
        body = crypto.decrypt(cipher, phase1.keys.enc_key, iv, ciphertext)
    except ValueError as exc:
        raise PayloadMalformed(str(exc)) from None
    return header, body, ciphertext[-cipher.block_size:]


def open_encrypted(phase1: KeyedSA, iv: bytes, datagram: bytes
                   ) -> tuple[Message, bytes, bytes]:
    """(message, the received bytes after its first payload up to the end of its last one,
    next IV). The middle part is what HASH(1)/HASH(2) cover: real bytes, not a re-encoding."""
    header, body, next_iv = decrypt_body(phase1, iv, datagram)
    parts = split_payloads(header.next_payload, body, allow_trailing=True)
    if not parts:
        raise PayloadMalformed("encrypted message without payloads")
    end = sum(4 + len(raw) for _, raw in parts)
    message = decode_message(datagram, body=body)
    return message, body[4 + len(parts[0][1]):end], next_iv


def open_informational(phase1: KeyedSA, datagram: bytes) -> Message:
    """An encrypted Informational under `phase1`: decrypted with the IV its message ID gives,
    and its HASH(1) = prf(SKEYID_a, M-ID | the payloads after it, as received) checked
    (RFC 2409 5.7). PayloadMalformed if it does not decrypt, parse or authenticate."""
    header = Header.decode(datagram)
    message, after_hash, _ = open_encrypted(phase1, first_iv(phase1, header.message_id),
                                            datagram)
    alg = phase1.proposal.authentication_algorithm
    first = message.payloads[0] if message.payloads else None
    expected = crypto.prf(alg, phase1.keys.skeyid_a,
                          header.message_id.to_bytes(4, "big") + after_hash)
    if not isinstance(first, HashPayload) or not hmac.compare_digest(first.data, expected):
        raise PayloadMalformed("HASH(1) mismatch", NotifyType.INVALID_HASH_INFORMATION)
    return message


def keymat(alg: crypto.HashAlgorithm, skeyid_d: bytes, *, gxy: bytes, protocol: int,
           spi: bytes, ni_b: bytes, nr_b: bytes, length: int) -> bytes:
    """RFC 2409 5.5: K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
    K(n+1) = prf(SKEYID_d, Kn | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)."""
    seed = gxy + bytes([protocol]) + spi + ni_b + nr_b
    block = crypto.prf(alg, skeyid_d, seed)
    out = block
    while len(out) < length:
        block = crypto.prf(alg, skeyid_d, block + seed)
        out += block
    return out[:length]


# ---------------------------------------------------------------- RESPONDER-LIFETIME


def responder_lifetime(spi: bytes, seconds: int,
                       kilobytes: int | None = None) -> NotificationPayload:
    """The notify that tells the initiator the SA lives only `seconds` (and `kilobytes`)."""
    data = b""
    for life_type, amount in ((LIFE_SECONDS, seconds), (LIFE_KILOBYTES, kilobytes)):
        if amount is None:
            continue
        value: int | bytes = amount if amount <= 0xFFFF else amount.to_bytes(4, "big")
        data += (Attribute(type=ATTR_SA_LIFE_TYPE, value=life_type).encode()
                 + Attribute(type=ATTR_SA_LIFE_DURATION, value=value).encode())
    return NotificationPayload(notify_type=NotifyType.RESPONDER_LIFETIME,
                               protocol_id=PROTO_IPSEC_ESP, spi=spi, data=data)


def lifetime_of(data: bytes, life: int = LIFE_SECONDS) -> int | None:
    """The seconds (or with LIFE_KILOBYTES the kilobytes) in a RESPONDER-LIFETIME notify's
    attributes (TV or TLV), if any."""
    pos, life_type, seconds = 0, None, None
    while pos + 4 <= len(data):
        af_type, value = struct.unpack_from("!HH", data, pos)
        pos += 4
        if not af_type & 0x8000:
            value, pos = int.from_bytes(data[pos:pos + value], "big"), pos + value
        if af_type & 0x7FFF == ATTR_SA_LIFE_TYPE:
            life_type = value
        elif af_type & 0x7FFF == ATTR_SA_LIFE_DURATION and life_type == life:
            seconds = value
    return seconds
