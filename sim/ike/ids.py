"""IKE identities (RFC 2407 4.6.2): ID payload bodies, the Junos/QuickSec rendering used in kmd
log lines, and whether an identity is one a certificate vouches for.

Rendering follows ssh_ike_id_to_string() (junos-messages.md section 1):
`type(proto:port,[0..len-1]=data)`, e.g. `ipv4(udp:500,[0..3]=1.1.1.2)`, and
`unknown(any:0,[0..0]=)` when there is no ID. A der_asn1_dn prints LDAP style, most specific
attribute first, attributes joined by ", " (`CN=Foo, O=SSH, C=FI`). Ranges print `low-high`
(`ipv6_range(any:0,[0..31]=::1-::1)`, QuickSec's own test string); IPv6 subnets print as IPv4
subnets do, `2001:db8::/64` (our inference by analogy).

The address IDs (single addresses, subnets and ranges of either family) are what Quick Mode
carries as proxy IDs; `address_range()` turns each into the (first, last) addresses it covers,
so that 10.0.0.0/24 and 10.0.0.0-10.0.0.255 name the same traffic.

Everything here reads bytes a peer chose: a DN that does not parse is a ValueError, never an
IndexError or a crash in rendering (it renders as `<invalid DN>`).
"""

from __future__ import annotations

import enum
import functools
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from sim.ike.payloads import IDPayload

IPPROTO_UDP = 17
IKE_PORT = 500


class IdType(enum.IntEnum):
    IPV4_ADDR = 1
    FQDN = 2
    USER_FQDN = 3
    IPV4_ADDR_SUBNET = 4
    IPV6_ADDR = 5
    IPV6_ADDR_SUBNET = 6
    IPV4_ADDR_RANGE = 7
    IPV6_ADDR_RANGE = 8
    DER_ASN1_DN = 9
    KEY_ID = 11


# ssh_ike_id_type_keywords (QuickSec); USER_FQDN is "usr@fqdn" there, not "user@fqdn".
_KEYWORDS = {
    IdType.IPV4_ADDR: "ipv4", IdType.FQDN: "fqdn", IdType.USER_FQDN: "usr@fqdn",
    IdType.IPV4_ADDR_SUBNET: "ipv4_subnet", IdType.IPV6_ADDR: "ipv6",
    IdType.IPV6_ADDR_SUBNET: "ipv6_subnet", IdType.IPV4_ADDR_RANGE: "ipv4_range",
    IdType.IPV6_ADDR_RANGE: "ipv6_range", IdType.DER_ASN1_DN: "der_asn1_dn",
    IdType.KEY_ID: "key_id",
}
# The address IDs: data length and address family (4 or 6) of each.
_ADDRESS_IDS = {
    IdType.IPV4_ADDR: (4, 4), IdType.IPV4_ADDR_SUBNET: (8, 4), IdType.IPV4_ADDR_RANGE: (8, 4),
    IdType.IPV6_ADDR: (16, 6), IdType.IPV6_ADDR_SUBNET: (32, 6), IdType.IPV6_ADDR_RANGE: (32, 6),
}
ADDRESS_ID_TYPES = frozenset(_ADDRESS_IDS)
_ADDRESS_CLASSES = {4: ipaddress.IPv4Address, 6: ipaddress.IPv6Address}
_PROTOCOLS = {0: "any", 1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 51: "ah"}


@dataclass(frozen=True, kw_only=True)
class IkeId:
    """An identity as carried in an ID payload. Junos sends its own Phase-1 ID as udp:500."""

    id_type: IdType
    data: bytes
    protocol: int = IPPROTO_UDP
    port: int = IKE_PORT

    def __post_init__(self) -> None:
        if not isinstance(self.id_type, IdType):
            raise TypeError(f"id_type must be an IdType, not {type(self.id_type).__name__}")
        if not isinstance(self.data, bytes):
            raise TypeError(f"data must be bytes, not {type(self.data).__name__}")
        if not 0 <= self.protocol <= 255 or not 0 <= self.port <= 0xFFFF:
            raise ValueError(f"protocol {self.protocol} / port {self.port} out of range")
        size = _ADDRESS_IDS.get(self.id_type, (None,))[0]
        if size is not None and len(self.data) != size:
            raise ValueError(f"{_KEYWORDS[self.id_type]} ID data must be {size} bytes, "
                             f"not {len(self.data)}")
        if self.id_type in (IdType.IPV4_ADDR_RANGE, IdType.IPV6_ADDR_RANGE):
            half = size // 2
            if self.data[:half] > self.data[half:]:
                raise ValueError(f"{_KEYWORDS[self.id_type]} ID: the range ends before it "
                                 "starts")

    # Constructors named after the Junos `local-identity` / `dynamic` statements' kinds.
    @classmethod
    def ipv4(cls, address: str, **kw: int) -> IkeId:
        return cls(id_type=IdType.IPV4_ADDR, data=ipaddress.IPv4Address(address).packed, **kw)

    @classmethod
    def fqdn(cls, name: str, **kw: int) -> IkeId:
        return cls(id_type=IdType.FQDN, data=name.encode("ascii"), **kw)

    @classmethod
    def user_fqdn(cls, email: str, **kw: int) -> IkeId:
        return cls(id_type=IdType.USER_FQDN, data=email.encode("ascii"), **kw)

    @classmethod
    def ipv4_subnet(cls, network: str, **kw: int) -> IkeId:
        net = ipaddress.IPv4Network(network)
        kw = {"protocol": 0, "port": 0, **kw}
        return cls(id_type=IdType.IPV4_ADDR_SUBNET,
                   data=net.network_address.packed + net.netmask.packed, **kw)

    @classmethod
    def subnet(cls, network: str, **kw: int) -> IkeId:
        """An ipv4_subnet or ipv6_subnet ID (proxy IDs: protocol and port 0 unless given)."""
        net = ipaddress.ip_network(network)
        kw = {"protocol": 0, "port": 0, **kw}
        id_type = IdType.IPV4_ADDR_SUBNET if net.version == 4 else IdType.IPV6_ADDR_SUBNET
        return cls(id_type=id_type, data=net.network_address.packed + net.netmask.packed, **kw)

    @classmethod
    def address_range(cls, first: str, last: str, **kw: int) -> IkeId:
        """An ipv4_range or ipv6_range ID from its first and last address."""
        low, high = ipaddress.ip_address(first), ipaddress.ip_address(last)
        if low.version != high.version:
            raise ValueError(f"range {first}-{last} mixes IPv4 and IPv6")
        kw = {"protocol": 0, "port": 0, **kw}
        id_type = IdType.IPV4_ADDR_RANGE if low.version == 4 else IdType.IPV6_ADDR_RANGE
        return cls(id_type=id_type, data=low.packed + high.packed, **kw)

    @classmethod
    def der_asn1_dn(cls, name: x509.Name | bytes, **kw: int) -> IkeId:
        der = name.public_bytes() if isinstance(name, x509.Name) else name
        return cls(id_type=IdType.DER_ASN1_DN, data=der, **kw)

    # Wire form.
    def to_payload(self) -> IDPayload:
        return IDPayload(id_type=self.id_type, protocol=self.protocol, port=self.port,
                         data=self.data)

    @classmethod
    def from_payload(cls, payload: IDPayload) -> IkeId:
        """Raises ValueError for an ID type or length we cannot use (INVALID-ID-INFORMATION)."""
        return cls(id_type=IdType(payload.id_type), data=payload.data,
                   protocol=payload.protocol, port=payload.port)

    def same_identity(self, other: IkeId) -> bool:
        """Equal type and data, whatever protocol/port each side put in its ID payload."""
        if self.id_type != other.id_type:
            return False
        if self.id_type in (IdType.FQDN, IdType.USER_FQDN):
            return self.data.lower() == other.data.lower()
        if self.id_type is IdType.DER_ASN1_DN:
            return _dn_key(self.data) == _dn_key(other.data)
        return self.data == other.data

    def value_text(self) -> str:
        """The data part of the rendering."""
        return _value_text(self.id_type, self.data)

    def covers(self) -> tuple[int, int, int] | None:
        """(address family, first, last) of an address ID; None for a name or a DN. A subnet
        whose mask has holes covers its lowest to its highest address."""
        found = _ADDRESS_IDS.get(self.id_type)
        if found is None:
            return None
        size, family = found
        if self.id_type in (IdType.IPV4_ADDR, IdType.IPV6_ADDR):
            value = int.from_bytes(self.data, "big")
            return family, value, value
        half = size // 2
        first = int.from_bytes(self.data[:half], "big")
        second = int.from_bytes(self.data[half:], "big")
        if self.id_type in (IdType.IPV4_ADDR_RANGE, IdType.IPV6_ADDR_RANGE):
            return family, first, second
        everything = (1 << (8 * half)) - 1
        return family, first & second, first | (everything ^ second)

    def __str__(self) -> str:
        return render(self)


def render(ike_id: IkeId | None) -> str:
    """The kmd log form, e.g. `fqdn(udp:500,[0..15]=ssg5.example.net)`."""
    if ike_id is None:
        return "unknown(any:0,[0..0]=)"
    proto = _PROTOCOLS.get(ike_id.protocol, str(ike_id.protocol))
    return (f"{_KEYWORDS[ike_id.id_type]}({proto}:{ike_id.port},"
            f"[0..{len(ike_id.data) - 1}]={ike_id.value_text()})")


def _value_text(id_type: IdType, data: bytes) -> str:
    if id_type in _ADDRESS_IDS:
        return _address_text(id_type, data)
    if id_type is IdType.DER_ASN1_DN:
        try:
            return ", ".join(f"{_short_name(oid)}={value}"
                             for rdn in reversed(parse_dn(data)) for oid, value in rdn)
        except ValueError:
            return "<invalid DN>"
    if id_type is IdType.KEY_ID:
        return "".join(f"{b:02x} " for b in data)
    return data.decode("ascii", errors="replace")


def _address_text(id_type: IdType, data: bytes) -> str:
    size, family = _ADDRESS_IDS[id_type]
    address = _ADDRESS_CLASSES[family]
    if id_type in (IdType.IPV4_ADDR, IdType.IPV6_ADDR):
        return str(address(data))
    half = size // 2
    first, second = address(data[:half]), address(data[half:])
    if id_type in (IdType.IPV4_ADDR_RANGE, IdType.IPV6_ADDR_RANGE):
        return f"{first}-{second}"
    bits, width = bin(int(second)).count("1"), 8 * half
    if int(second) == ((1 << width) - 1) ^ ((1 << (width - bits)) - 1):
        return f"{first}/{bits}"
    return f"{first}, netmask {second}"


# ---------------------------------------------------------------- DER distinguished names

_SHORT_NAMES = {
    NameOID.COMMON_NAME.dotted_string: "CN", NameOID.COUNTRY_NAME.dotted_string: "C",
    NameOID.ORGANIZATION_NAME.dotted_string: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME.dotted_string: "OU",
    NameOID.LOCALITY_NAME.dotted_string: "L", NameOID.STATE_OR_PROVINCE_NAME.dotted_string: "ST",
    NameOID.DOMAIN_COMPONENT.dotted_string: "DC", NameOID.SERIAL_NUMBER.dotted_string: "SN",
    NameOID.EMAIL_ADDRESS.dotted_string: "MAILTO",  # SSH's LDAP encoder name; unverified
}


def _short_name(oid: str) -> str:
    return _SHORT_NAMES.get(oid, oid)


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the DER element at pos."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 3 or pos + n > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    if pos + length > len(data):
        raise ValueError("DER value runs past its container")
    return tag, pos, pos + length


def _oid(value: bytes) -> str:
    # X.690 8.19: each subidentifier ends with a byte whose top bit is clear, so a value that
    # ends on a continuation byte (or is only continuation bytes) is not an OID.
    if not value or value[-1] & 0x80:
        raise ValueError("OID ends inside a subidentifier" if value else "empty OID")
    parts, n = [], 0
    for b in value:
        n = n << 7 | (b & 0x7F)
        if not b & 0x80:
            parts.append(n)
            n = 0
    first = min(parts[0] // 40, 2)
    return ".".join(str(p) for p in (first, parts[0] - 40 * first, *parts[1:]))


@functools.lru_cache(maxsize=256)
def parse_dn(der: bytes) -> tuple[tuple[tuple[str, str], ...], ...]:
    """A DER Name as RDNs (in DER order) of (dotted OID, string value). ValueError if not one.
    Kept by DER: an SA's two DNs are read for its gateway match, its log lines and its record
    (a hub's own DN for every spoke); a bounded cache (a peer's DN can be a payload's 64 KB),
    and a failure is not kept."""
    tag, start, end = _tlv(der, 0)
    if tag != 0x30 or end != len(der):
        raise ValueError("not a DER SEQUENCE")
    rdns, pos = [], start
    while pos < end:
        tag, set_start, set_end = _tlv(der, pos)
        if tag != 0x31:
            raise ValueError("RDN is not a SET")
        atvs, inner = [], set_start
        while inner < set_end:
            tag, atv_start, atv_end = _tlv(der, inner)
            otag, ostart, oend = _tlv(der, atv_start)
            _, vstart, vend = _tlv(der, oend)
            if tag != 0x30 or otag != 0x06 or vend != atv_end:
                raise ValueError("bad AttributeTypeAndValue")
            raw = der[vstart:vend]
            text = raw.decode("utf-16-be" if der[oend] == 0x1E else "utf-8", errors="replace")
            atvs.append((_oid(der[ostart:oend]), text))
            inner = atv_end
        rdns.append(tuple(atvs))
        pos = set_end
    return tuple(rdns)


def _dn_key(der: bytes) -> tuple | bytes:
    """A comparison key: RFC 5280 7.1-ish (case-insensitive, spaces collapsed)."""
    try:
        return tuple(tuple(sorted((oid, " ".join(v.casefold().split())) for oid, v in rdn))
                     for rdn in parse_dn(der))
    except ValueError:
        return der


# ---------------------------------------------------------------- ID versus certificate


def id_matches_certificate(ike_id: IkeId, certificate: x509.Certificate) -> bool:
    """Does the certificate vouch for this ID? IP, FQDN and user FQDN IDs must appear in the
    subjectAltName (iPAddress, dNSName, rfc822Name); a DN ID must equal the subject."""
    if ike_id.id_type is IdType.DER_ASN1_DN:
        return _dn_key(ike_id.data) == _dn_key(certificate.subject.public_bytes())
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    if ike_id.id_type is IdType.IPV4_ADDR:
        return ipaddress.IPv4Address(ike_id.data) in san.get_values_for_type(x509.IPAddress)
    if ike_id.id_type is IdType.IPV6_ADDR:
        return ipaddress.IPv6Address(ike_id.data) in san.get_values_for_type(x509.IPAddress)
    wanted = ike_id.data.decode("ascii", errors="replace").lower()
    if ike_id.id_type is IdType.FQDN:
        return wanted in (n.lower() for n in san.get_values_for_type(x509.DNSName))
    if ike_id.id_type is IdType.USER_FQDN:
        return wanted in (n.lower() for n in san.get_values_for_type(x509.RFC822Name))
    return False
