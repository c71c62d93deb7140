"""ISAKMP messages as real bytes (RFC 2408), with the IPsec DOI values of RFC 2407.

Encoding and decoding only: what a message means is phase1.py's business. Decoding is strict
about structure (lengths, versions, known payload types) and raises `PayloadMalformed`, and
nothing else, for any bytes; it carries the notify code a real daemon would report (16
PAYLOAD-MALFORMED, 1 INVALID-PAYLOAD-TYPE, ...). Every length field is compared with what the
datagram holds before anything is sliced, and nothing is allocated from a length field, so a
100-byte datagram claiming 64 KB costs what 100 bytes cost (tests/sim/fuzz/test_decoder.py).
Decoding keeps each payload's raw body available through `split_payloads`, because
HASH_I/HASH_R are computed over the bytes as received (SAi_b, IDii_b), not over a re-encoding.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import ClassVar

HEADER_LEN = 28
ISAKMP_VERSION = 0x10  # major 1, minor 0
DOI_IPSEC = 1
SIT_IDENTITY_ONLY = 1
PROTO_ISAKMP = 1
KEY_IKE = 1
CERT_X509_SIGNATURE = 4

FLAG_ENCRYPTED = 0x01
FLAG_COMMIT = 0x02
FLAG_AUTH_ONLY = 0x04
_KNOWN_FLAGS = FLAG_ENCRYPTED | FLAG_COMMIT | FLAG_AUTH_ONLY


class PayloadType(enum.IntEnum):
    NONE = 0
    SA = 1
    PROPOSAL = 2
    TRANSFORM = 3
    KE = 4
    ID = 5
    CERT = 6
    CR = 7
    HASH = 8
    SIG = 9
    NONCE = 10
    NOTIFICATION = 11
    DELETE = 12
    VENDOR_ID = 13
    NAT_D = 20  # RFC 3947; carried opaquely
    NAT_OA = 21


class ExchangeType(enum.IntEnum):
    IDENTITY_PROTECTION = 2  # Main Mode
    AGGRESSIVE = 4
    INFORMATIONAL = 5
    QUICK_MODE = 32


class NotifyType(enum.IntEnum):
    """RFC 2408 3.14.1 notify codes, the RFC 2407/3706 status codes, and the SSH IKE library's
    private error codes (8194-8202) that Junos prints after "Error =" (junos-messages.md 2a)."""

    INVALID_PAYLOAD_TYPE = 1
    DOI_NOT_SUPPORTED = 2
    SITUATION_NOT_SUPPORTED = 3
    INVALID_COOKIE = 4
    INVALID_MAJOR_VERSION = 5
    INVALID_MINOR_VERSION = 6
    INVALID_EXCHANGE_TYPE = 7
    INVALID_FLAGS = 8
    INVALID_MESSAGE_ID = 9
    INVALID_PROTOCOL_ID = 10
    INVALID_SPI = 11
    INVALID_TRANSFORM_ID = 12
    ATTRIBUTES_NOT_SUPPORTED = 13
    NO_PROPOSAL_CHOSEN = 14
    BAD_PROPOSAL_SYNTAX = 15
    PAYLOAD_MALFORMED = 16
    INVALID_KEY_INFORMATION = 17
    INVALID_ID_INFORMATION = 18
    INVALID_CERT_ENCODING = 19
    INVALID_CERTIFICATE = 20
    CERT_TYPE_UNSUPPORTED = 21
    INVALID_CERT_AUTHORITY = 22
    INVALID_HASH_INFORMATION = 23
    AUTHENTICATION_FAILED = 24
    INVALID_SIGNATURE = 25
    ADDRESS_NOTIFICATION = 26
    NOTIFY_SA_LIFETIME = 27
    CERTIFICATE_UNAVAILABLE = 28
    UNSUPPORTED_EXCHANGE_TYPE = 29
    UNEQUAL_PAYLOAD_LENGTHS = 30
    NO_SA_ESTABLISHED = 8194
    STATE_NOT_MATCHED = 8195
    EXCHANGE_DATA_MISSING = 8196
    TIMEOUT = 8197
    DELETE_NOTIFICATION = 8198
    ABORTED_NOTIFICATION = 8199
    UDP_HOST_UNREACHABLE = 8200
    UDP_PORT_UNREACHABLE = 8201
    OUT_OF_MEMORY = 8202
    CONNECTED = 16384
    RESPONDER_LIFETIME = 24576
    REPLAY_STATUS = 24577
    INITIAL_CONTACT = 24578
    R_U_THERE = 36136
    R_U_THERE_ACK = 36137

    @property
    def text(self) -> str:
        """The words Junos prints in "Error = <text> (<code>)"."""
        return _NOTIFY_TEXT[self]


_NOTIFY_TEXT = {
    NotifyType.INVALID_PAYLOAD_TYPE: "Invalid payload type",
    NotifyType.DOI_NOT_SUPPORTED: "DOI not supported",
    NotifyType.SITUATION_NOT_SUPPORTED: "Situation not supported",
    NotifyType.INVALID_COOKIE: "Invalid Cookie",
    NotifyType.INVALID_MAJOR_VERSION: "Invalid IKE major version",
    NotifyType.INVALID_MINOR_VERSION: "Invalid IKE minor version",
    NotifyType.INVALID_EXCHANGE_TYPE: "Invalid exchange type",
    NotifyType.INVALID_FLAGS: "Invalid flags",
    NotifyType.INVALID_MESSAGE_ID: "Invalid message ID",
    NotifyType.INVALID_PROTOCOL_ID: "Invalid protocol ID",
    NotifyType.INVALID_SPI: "Invalid SPI",
    NotifyType.INVALID_TRANSFORM_ID: "Invalid transform ID",
    NotifyType.ATTRIBUTES_NOT_SUPPORTED: "Attributes not supported",
    NotifyType.NO_PROPOSAL_CHOSEN: "No proposal chosen",
    NotifyType.BAD_PROPOSAL_SYNTAX: "Bad proposal syntax",
    NotifyType.PAYLOAD_MALFORMED: "Payload malformed",
    NotifyType.INVALID_KEY_INFORMATION: "Invalid key information",
    NotifyType.INVALID_ID_INFORMATION: "Invalid ID information",
    NotifyType.INVALID_CERT_ENCODING: "Invalid certificate encoding",
    NotifyType.INVALID_CERTIFICATE: "Invalid certificate",
    NotifyType.CERT_TYPE_UNSUPPORTED: "Certificate type unsupported",
    NotifyType.INVALID_CERT_AUTHORITY: "Invalid certificate authority",
    NotifyType.INVALID_HASH_INFORMATION: "Invalid hash information",
    NotifyType.AUTHENTICATION_FAILED: "Authentication failed",
    NotifyType.INVALID_SIGNATURE: "Invalid signature",
    NotifyType.ADDRESS_NOTIFICATION: "Address notification (not used)",
    NotifyType.NOTIFY_SA_LIFETIME: "SA Lifetime (not used)",
    NotifyType.CERTIFICATE_UNAVAILABLE: "Certificate unavailable",
    NotifyType.UNSUPPORTED_EXCHANGE_TYPE: "Unsupported exchange type",
    NotifyType.UNEQUAL_PAYLOAD_LENGTHS: "Payload lengths do not match",
    NotifyType.NO_SA_ESTABLISHED: "No SA established",
    NotifyType.STATE_NOT_MATCHED: "State not matched",
    NotifyType.EXCHANGE_DATA_MISSING: "Exchange data missing",
    NotifyType.TIMEOUT: "Timeout",
    NotifyType.DELETE_NOTIFICATION: "Delete notification",
    NotifyType.ABORTED_NOTIFICATION: "Aborted notification",
    NotifyType.UDP_HOST_UNREACHABLE: "UDP host unreachable",
    NotifyType.UDP_PORT_UNREACHABLE: "UDP port unreachable",
    NotifyType.OUT_OF_MEMORY: "Out of memory",
    NotifyType.CONNECTED: "Connected notification",
    NotifyType.RESPONDER_LIFETIME: "Responder lifetime notification",
    NotifyType.REPLAY_STATUS: "Replay status notification",
    NotifyType.INITIAL_CONTACT: "Initial contact notification",
    NotifyType.R_U_THERE: "DPD Are You There",
    NotifyType.R_U_THERE_ACK: "DPD I Am Here",
}


class PayloadMalformed(ValueError):
    """Bytes that are not a well-formed ISAKMP message; `notify` is the code to report."""

    def __init__(self, message: str, notify: NotifyType = NotifyType.PAYLOAD_MALFORMED) -> None:
        super().__init__(message)
        self.notify = notify


def _need(data: bytes, n: int, what: str) -> None:
    if len(data) < n:
        raise PayloadMalformed(f"{what}: {len(data)} bytes, at least {n} needed")


def _bytes_field(value: object, name: str) -> None:
    if not isinstance(value, bytes):
        raise TypeError(f"{name} must be bytes, not {type(value).__name__}")


# ---------------------------------------------------------------- header


@dataclass(frozen=True, kw_only=True)
class Header:
    icookie: bytes
    rcookie: bytes
    next_payload: int
    exchange: ExchangeType
    flags: int = 0
    message_id: int = 0
    length: int = HEADER_LEN
    version: int = ISAKMP_VERSION

    def __post_init__(self) -> None:
        for name in ("icookie", "rcookie"):
            value = getattr(self, name)
            _bytes_field(value, name)
            if len(value) != 8:
                raise ValueError(f"{name} must be 8 bytes, not {len(value)}")

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & FLAG_ENCRYPTED)

    def encode(self) -> bytes:
        return struct.pack("!8s8sBBBBII", self.icookie, self.rcookie, self.next_payload,
                           self.version, self.exchange, self.flags, self.message_id, self.length)

    @classmethod
    def decode(cls, datagram: bytes) -> Header:
        _need(datagram, HEADER_LEN, "ISAKMP header")
        icookie, rcookie, nxt, version, exch, flags, mid, length = struct.unpack_from(
            "!8s8sBBBBII", datagram)
        if version >> 4 != 1:
            raise PayloadMalformed(f"major version {version >> 4}",
                                   NotifyType.INVALID_MAJOR_VERSION)
        if version & 0x0F:  # IKEv1 is 1.0; QuickSec refuses any other minor version
            raise PayloadMalformed(f"minor version {version & 0x0F}",
                                   NotifyType.INVALID_MINOR_VERSION)
        if length != len(datagram):
            raise PayloadMalformed(f"header length {length}, datagram {len(datagram)} bytes",
                                   NotifyType.UNEQUAL_PAYLOAD_LENGTHS)
        try:
            exchange = ExchangeType(exch)
        except ValueError:
            raise PayloadMalformed(f"exchange type {exch}",
                                   NotifyType.INVALID_EXCHANGE_TYPE) from None
        if flags & ~_KNOWN_FLAGS:
            raise PayloadMalformed(f"flags 0x{flags:02x}", NotifyType.INVALID_FLAGS)
        return cls(icookie=icookie, rcookie=rcookie, next_payload=nxt, exchange=exchange,
                   flags=flags, message_id=mid, length=length, version=version)


# ---------------------------------------------------------------- SA, proposal, transform


@dataclass(frozen=True, kw_only=True)
class Attribute:
    """A data attribute: an int value is sent TV (basic, 16 bits), bytes are sent TLV."""

    type: int
    value: int | bytes

    def __post_init__(self) -> None:
        if not 0 <= self.type < 0x8000:
            raise ValueError(f"attribute type {self.type} out of range")
        if isinstance(self.value, int) and not 0 <= self.value <= 0xFFFF:
            raise ValueError(f"basic attribute value {self.value} does not fit 16 bits")

    @property
    def int_value(self) -> int:
        if isinstance(self.value, int):
            return self.value
        return int.from_bytes(self.value, "big")

    def encode(self) -> bytes:
        if isinstance(self.value, int):
            return struct.pack("!HH", 0x8000 | self.type, self.value)
        return struct.pack("!HH", self.type, len(self.value)) + self.value


def decode_attributes(data: bytes) -> tuple[Attribute, ...]:
    """Data attributes as a transform or a notification's data carries them (PayloadMalformed
    when they do not fit)."""
    return _decode_attributes(data)


def _decode_attributes(data: bytes) -> tuple[Attribute, ...]:
    out, pos = [], 0
    while pos < len(data):
        _need(data[pos:], 4, "attribute")
        af_type, value = struct.unpack_from("!HH", data, pos)
        pos += 4
        if af_type & 0x8000:
            out.append(Attribute(type=af_type & 0x7FFF, value=value))
        else:
            if pos + value > len(data):
                raise PayloadMalformed("attribute value runs past its transform")
            out.append(Attribute(type=af_type, value=data[pos:pos + value]))
            pos += value
    return tuple(out)


@dataclass(frozen=True, kw_only=True)
class TransformPayload:
    number: int
    transform_id: int = KEY_IKE
    attributes: tuple[Attribute, ...] = ()

    def attribute(self, type_: int) -> Attribute | None:
        return next((a for a in self.attributes if a.type == type_), None)

    def encode_body(self) -> bytes:
        return struct.pack("!BBH", self.number, self.transform_id, 0) + b"".join(
            a.encode() for a in self.attributes)

    @classmethod
    def decode_body(cls, body: bytes) -> TransformPayload:
        _need(body, 4, "transform")
        number, tid, _ = struct.unpack_from("!BBH", body)
        return cls(number=number, transform_id=tid, attributes=_decode_attributes(body[4:]))


@dataclass(frozen=True, kw_only=True)
class ProposalPayload:
    number: int
    protocol_id: int = PROTO_ISAKMP
    spi: bytes = b""
    transforms: tuple[TransformPayload, ...] = ()

    def encode_body(self) -> bytes:
        head = struct.pack("!BBBB", self.number, self.protocol_id, len(self.spi),
                           len(self.transforms)) + self.spi
        return head + _chain(PayloadType.TRANSFORM, [t.encode_body() for t in self.transforms])

    @classmethod
    def decode_body(cls, body: bytes) -> ProposalPayload:
        _need(body, 4, "proposal")
        number, proto, spi_len, count = struct.unpack_from("!BBBB", body)
        _need(body, 4 + spi_len, "proposal SPI")
        parts = _split_same(body[4 + spi_len:], PayloadType.TRANSFORM, "transform")
        if len(parts) != count:
            raise PayloadMalformed(f"proposal says {count} transforms, has {len(parts)}",
                                   NotifyType.BAD_PROPOSAL_SYNTAX)
        return cls(number=number, protocol_id=proto, spi=body[4:4 + spi_len],
                   transforms=tuple(TransformPayload.decode_body(p) for p in parts))


@dataclass(frozen=True, kw_only=True)
class SAPayload:
    payload_type: ClassVar[PayloadType] = PayloadType.SA
    proposals: tuple[ProposalPayload, ...]
    doi: int = DOI_IPSEC
    situation: int = SIT_IDENTITY_ONLY

    def encode_body(self) -> bytes:
        return struct.pack("!II", self.doi, self.situation) + _chain(
            PayloadType.PROPOSAL, [p.encode_body() for p in self.proposals])

    @classmethod
    def decode_body(cls, body: bytes) -> SAPayload:
        _need(body, 8, "SA payload")
        doi, situation = struct.unpack_from("!II", body)
        if doi != DOI_IPSEC:
            raise PayloadMalformed(f"DOI {doi}", NotifyType.DOI_NOT_SUPPORTED)
        if situation != SIT_IDENTITY_ONLY:
            raise PayloadMalformed(f"situation {situation}", NotifyType.SITUATION_NOT_SUPPORTED)
        parts = _split_same(body[8:], PayloadType.PROPOSAL, "proposal")
        if not parts:
            raise PayloadMalformed("SA payload without proposals", NotifyType.BAD_PROPOSAL_SYNTAX)
        return cls(doi=doi, situation=situation,
                   proposals=tuple(ProposalPayload.decode_body(p) for p in parts))


def _chain(inner_type: PayloadType, bodies: list[bytes]) -> bytes:
    """Proposals and transforms chain with "more" = their own type, "last" = 0."""
    out = []
    for i, body in enumerate(bodies):
        nxt = inner_type if i + 1 < len(bodies) else PayloadType.NONE
        out.append(struct.pack("!BBH", nxt, 0, 4 + len(body)) + body)
    return b"".join(out)


def _split_same(data: bytes, inner_type: PayloadType, what: str) -> list[bytes]:
    bodies, pos, nxt = [], 0, inner_type
    while nxt != PayloadType.NONE:
        _need(data[pos:], 4, what)
        nxt, reserved, length = struct.unpack_from("!BBH", data, pos)
        if reserved:
            raise PayloadMalformed(f"{what} RESERVED field is {reserved}, not 0")
        if nxt not in (inner_type, PayloadType.NONE):
            raise PayloadMalformed(f"{what} followed by payload type {nxt}",
                                   NotifyType.BAD_PROPOSAL_SYNTAX)
        if length < 4 or pos + length > len(data):
            raise PayloadMalformed(f"{what} length {length}")
        bodies.append(data[pos + 4:pos + length])
        pos += length
    if pos != len(data):
        raise PayloadMalformed(f"{len(data) - pos} stray bytes after the last {what}")
    return bodies


# ---------------------------------------------------------------- simple payloads


@dataclass(frozen=True, kw_only=True)
class _Opaque:
    """A payload whose body is one opaque byte string."""

    data: bytes

    def __post_init__(self) -> None:
        _bytes_field(self.data, "data")

    def encode_body(self) -> bytes:
        return self.data

    @classmethod
    def decode_body(cls, body: bytes):  # noqa: ANN206 - returns the subclass
        return cls(data=bytes(body))


class KEPayload(_Opaque):
    payload_type: ClassVar[PayloadType] = PayloadType.KE


class NoncePayload(_Opaque):
    payload_type: ClassVar[PayloadType] = PayloadType.NONCE


class HashPayload(_Opaque):
    payload_type: ClassVar[PayloadType] = PayloadType.HASH


class SigPayload(_Opaque):
    payload_type: ClassVar[PayloadType] = PayloadType.SIG


class VendorIDPayload(_Opaque):
    payload_type: ClassVar[PayloadType] = PayloadType.VENDOR_ID


@dataclass(frozen=True, kw_only=True)
class IDPayload:
    payload_type: ClassVar[PayloadType] = PayloadType.ID
    id_type: int
    data: bytes
    protocol: int = 0
    port: int = 0

    def encode_body(self) -> bytes:
        return struct.pack("!BBH", self.id_type, self.protocol, self.port) + self.data

    @classmethod
    def decode_body(cls, body: bytes) -> IDPayload:
        _need(body, 4, "ID payload")
        id_type, proto, port = struct.unpack_from("!BBH", body)
        return cls(id_type=id_type, protocol=proto, port=port, data=bytes(body[4:]))


@dataclass(frozen=True, kw_only=True)
class CertPayload:
    payload_type: ClassVar[PayloadType] = PayloadType.CERT
    data: bytes
    encoding: int = CERT_X509_SIGNATURE

    def encode_body(self) -> bytes:
        return bytes([self.encoding]) + self.data

    @classmethod
    def decode_body(cls, body: bytes) -> CertPayload:
        _need(body, 1, "CERT payload")
        return cls(encoding=body[0], data=bytes(body[1:]))


@dataclass(frozen=True, kw_only=True)
class CRPayload:
    """Certificate request; `authority` is the DER of a CA's distinguished name (may be empty)."""

    payload_type: ClassVar[PayloadType] = PayloadType.CR
    authority: bytes = b""
    cert_type: int = CERT_X509_SIGNATURE

    def encode_body(self) -> bytes:
        return bytes([self.cert_type]) + self.authority

    @classmethod
    def decode_body(cls, body: bytes) -> CRPayload:
        _need(body, 1, "CR payload")
        return cls(cert_type=body[0], authority=bytes(body[1:]))


@dataclass(frozen=True, kw_only=True)
class NotificationPayload:
    payload_type: ClassVar[PayloadType] = PayloadType.NOTIFICATION
    notify_type: int
    protocol_id: int = PROTO_ISAKMP
    spi: bytes = b""
    data: bytes = b""
    doi: int = DOI_IPSEC

    def encode_body(self) -> bytes:
        return struct.pack("!IBBH", self.doi, self.protocol_id, len(self.spi),
                           self.notify_type) + self.spi + self.data

    @classmethod
    def decode_body(cls, body: bytes) -> NotificationPayload:
        _need(body, 8, "Notification payload")
        doi, proto, spi_len, ntype = struct.unpack_from("!IBBH", body)
        _need(body, 8 + spi_len, "Notification SPI")
        return cls(doi=doi, protocol_id=proto, notify_type=ntype, spi=bytes(body[8:8 + spi_len]),
                   data=bytes(body[8 + spi_len:]))


@dataclass(frozen=True, kw_only=True)
class DeletePayload:
    payload_type: ClassVar[PayloadType] = PayloadType.DELETE
    spis: tuple[bytes, ...]
    protocol_id: int = PROTO_ISAKMP
    spi_size: int = 16  # an ISAKMP SA is named by its two cookies
    doi: int = DOI_IPSEC

    def __post_init__(self) -> None:
        if any(len(s) != self.spi_size for s in self.spis):
            raise ValueError(f"every SPI must be {self.spi_size} bytes")

    def encode_body(self) -> bytes:
        return struct.pack("!IBBH", self.doi, self.protocol_id, self.spi_size,
                           len(self.spis)) + b"".join(self.spis)

    @classmethod
    def decode_body(cls, body: bytes) -> DeletePayload:
        _need(body, 8, "Delete payload")
        doi, proto, size, count = struct.unpack_from("!IBBH", body)
        if len(body) != 8 + size * count:
            raise PayloadMalformed(f"Delete payload: {count} SPIs of {size} bytes do not fit")
        spis = tuple(bytes(body[8 + i * size:8 + (i + 1) * size]) for i in range(count))
        return cls(doi=doi, protocol_id=proto, spi_size=size, spis=spis)


@dataclass(frozen=True, kw_only=True)
class RawPayload:
    """A payload type we carry but do not interpret (NAT-D, NAT-OA)."""

    type: int
    data: bytes

    @property
    def payload_type(self) -> int:
        return self.type

    def encode_body(self) -> bytes:
        return self.data


Payload = (SAPayload | KEPayload | IDPayload | CertPayload | CRPayload | HashPayload | SigPayload
           | NoncePayload | NotificationPayload | DeletePayload | VendorIDPayload | RawPayload)

_DECODERS = {
    PayloadType.SA: SAPayload, PayloadType.KE: KEPayload, PayloadType.ID: IDPayload,
    PayloadType.CERT: CertPayload, PayloadType.CR: CRPayload, PayloadType.HASH: HashPayload,
    PayloadType.SIG: SigPayload, PayloadType.NONCE: NoncePayload,
    PayloadType.NOTIFICATION: NotificationPayload, PayloadType.DELETE: DeletePayload,
    PayloadType.VENDOR_ID: VendorIDPayload,
}
_OPAQUE_TYPES = {PayloadType.NAT_D, PayloadType.NAT_OA}


# ---------------------------------------------------------------- payload chains and messages


def encode_payloads(payloads: Iterable[Payload]) -> tuple[int, bytes]:
    """The first payload's type (for the header) and the chained payload bytes."""
    items = list(payloads)
    out = []
    for i, payload in enumerate(items):
        nxt = items[i + 1].payload_type if i + 1 < len(items) else PayloadType.NONE
        body = payload.encode_body()
        if len(body) + 4 > 0xFFFF:
            raise ValueError(f"payload type {payload.payload_type} too long: {len(body)} bytes")
        out.append(struct.pack("!BBH", nxt, 0, 4 + len(body)) + body)
    first = items[0].payload_type if items else PayloadType.NONE
    return first, b"".join(out)


def split_payloads(first: int, data: bytes, *, allow_trailing: bool = False
                   ) -> tuple[tuple[int, bytes], ...]:
    """(type, raw body) of each payload in a chain. Decrypted messages end in padding, so
    `allow_trailing` accepts bytes after the last payload. Each generic header is checked in
    QuickSec's order (ike_decode_packet): its next-payload type, its RESERVED byte (RFC 2408
    3.2: 0), then its length against what the datagram holds, before anything is sliced."""
    if not _known(first):
        raise PayloadMalformed(f"payload type {first}", NotifyType.INVALID_PAYLOAD_TYPE)
    out, pos, nxt = [], 0, first
    while nxt != PayloadType.NONE:
        if len(data) - pos < 4:
            raise PayloadMalformed(f"payload type {nxt} truncated at offset {pos}")
        following, reserved, length = struct.unpack_from("!BBH", data, pos)
        if following != PayloadType.NONE and not _known(following):
            raise PayloadMalformed(f"payload type {following} after payload type {nxt}",
                                   NotifyType.INVALID_PAYLOAD_TYPE)
        if reserved:
            raise PayloadMalformed(f"payload type {nxt}: RESERVED field is {reserved}, not 0")
        if length < 4 or pos + length > len(data):
            raise PayloadMalformed(f"payload type {nxt}: length {length} at offset {pos}")
        out.append((nxt, bytes(data[pos + 4:pos + length])))
        pos += length
        nxt = following
    if pos != len(data) and not allow_trailing:
        raise PayloadMalformed(f"{len(data) - pos} bytes after the last payload")
    return tuple(out)


def _known(payload_type: int) -> bool:
    return payload_type in _DECODERS or payload_type in _OPAQUE_TYPES


def decode_body(payload_type: int, body: bytes) -> Payload:
    decoder = _DECODERS.get(payload_type)
    if decoder is None:
        return RawPayload(type=payload_type, data=body)
    return decoder.decode_body(body)


def decode_payloads(first: int, data: bytes, *, allow_trailing: bool = False
                    ) -> tuple[Payload, ...]:
    return tuple(decode_body(t, b) for t, b in split_payloads(first, data,
                                                                allow_trailing=allow_trailing))


@dataclass(frozen=True, kw_only=True)
class Message:
    """A decoded cleartext message: header and payloads, with each payload's raw body."""

    header: Header
    payloads: tuple[Payload, ...]
    raw_bodies: tuple[bytes, ...]

    def all(self, cls: type) -> tuple:
        return tuple(p for p in self.payloads if isinstance(p, cls))

    def first(self, cls: type):  # noqa: ANN201 - an instance of cls or None
        return next((p for p in self.payloads if isinstance(p, cls)), None)

    def only(self, cls: type, what: str):  # noqa: ANN201 - an instance of cls
        """The one payload of class `cls`: none or several is malformed `what`."""
        found = self.all(cls)
        if len(found) != 1:
            raise PayloadMalformed(f"{what}: {len(found)} {cls.__name__}s")
        return found[0]

    def raw_body_of(self, cls: type) -> bytes | None:
        for payload, raw in zip(self.payloads, self.raw_bodies, strict=True):
            if isinstance(payload, cls):
                return raw
        return None


def encode_message(header: Header, payloads: Iterable[Payload]) -> bytes:
    """Header plus cleartext payloads; next_payload and length are filled in."""
    first, body = encode_payloads(payloads)
    return replace(header, next_payload=first, length=HEADER_LEN + len(body)).encode() + body


def decode_message(datagram: bytes, *, body: bytes | None = None) -> Message:
    """Decode a datagram. For an encrypted one pass the decrypted `body` (padding allowed)."""
    header = Header.decode(datagram)
    if header.encrypted and body is None:
        # The flag is the peer's to set: a clear message that claims to be encrypted is
        # malformed input, not a caller's mistake.
        raise PayloadMalformed("encryption flag set on a message read in the clear",
                               NotifyType.INVALID_FLAGS)
    data = datagram[HEADER_LEN:] if body is None else body
    parts = split_payloads(header.next_payload, data, allow_trailing=body is not None)
    return Message(header=header, payloads=tuple(decode_body(t, b) for t, b in parts),
                   raw_bodies=tuple(b for _, b in parts))
