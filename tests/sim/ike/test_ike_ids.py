"""IKE IDs: wire form, the kmd log rendering, and matching against certificates."""

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from sim.ike.ids import IdType, IkeId, id_matches_certificate, parse_dn, render
from sim.ike.payloads import IDPayload


def _dn(*pairs):
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in pairs])


FOO = _dn((NameOID.COUNTRY_NAME, "FI"), (NameOID.ORGANIZATION_NAME, "SSH"),
          (NameOID.COMMON_NAME, "Foo"))


@pytest.mark.parametrize(("ike_id", "text"), [
    (IkeId.ipv4("1.1.1.2"), "ipv4(udp:500,[0..3]=1.1.1.2)"),
    (IkeId.fqdn("ssg5.example.net"), "fqdn(udp:500,[0..15]=ssg5.example.net)"),
    (IkeId.ipv4_subnet("10.10.10.0/24"), "ipv4_subnet(any:0,[0..7]=10.10.10.0/24)"),
    (IkeId.ipv4("2.2.2.2", protocol=0, port=0), "ipv4(any:0,[0..3]=2.2.2.2)"),
    (IkeId.ipv4("192.168.210.128", protocol=6, port=12345),
     "ipv4(tcp:12345,[0..3]=192.168.210.128)"),
    (IkeId.user_fqdn("tmo@veryveryveryveryvery.longish.host.fi", protocol=6, port=12345),
     "usr@fqdn(tcp:12345,[0..39]=tmo@veryveryveryveryvery.longish.host.fi)"),
    (IkeId(id_type=IdType.IPV4_ADDR_SUBNET, data=bytes([10, 0, 0, 0, 255, 0, 255, 0]),
           protocol=0, port=0), "ipv4_subnet(any:0,[0..7]=10.0.0.0, netmask 255.0.255.0)"),
    (IkeId(id_type=IdType.KEY_ID, data=b"\x01\xab", protocol=0, port=0),
     "key_id(any:0,[0..1]=01 ab )"),
    (None, "unknown(any:0,[0..0]=)"),
])
def test_render_like_kmd(ike_id, text):
    assert render(ike_id) == text


def test_dn_renders_ldap_order_with_der_length():
    ike_id = IkeId.der_asn1_dn(FOO, protocol=0, port=0)
    last = len(FOO.public_bytes()) - 1  # 42: this DN's DER is 43 bytes
    assert render(ike_id) == f"der_asn1_dn(any:0,[0..{last}]=CN=Foo, O=SSH, C=FI)"
    assert parse_dn(FOO.public_bytes()) == ((("2.5.4.6", "FI"),), (("2.5.4.10", "SSH"),),
                                            (("2.5.4.3", "Foo"),))


def test_payload_round_trip():
    ike_id = IkeId.fqdn("host-a.example.net")
    payload = ike_id.to_payload()
    assert payload.encode_body() == b"\x02\x11\x01\xf4host-a.example.net"
    assert IkeId.from_payload(IDPayload.decode_body(payload.encode_body())) == ike_id


def test_bad_id_payloads_are_value_errors():
    with pytest.raises(ValueError):
        IkeId.from_payload(IDPayload(id_type=1, data=b"\1\2\3"))
    with pytest.raises(ValueError):
        IkeId.from_payload(IDPayload(id_type=77, data=b""))


def test_same_identity_ignores_protocol_port_and_case():
    assert IkeId.fqdn("Host-A.Example.net").same_identity(
        IkeId.fqdn("host-a.example.net", protocol=0, port=0))
    assert not IkeId.fqdn("host-a.example.net").same_identity(IkeId.ipv4("30.1.1.31"))
    lower = _dn((NameOID.COUNTRY_NAME, "fi"), (NameOID.ORGANIZATION_NAME, "ssh"),
                (NameOID.COMMON_NAME, "foo"))
    assert IkeId.der_asn1_dn(FOO).same_identity(IkeId.der_asn1_dn(lower))


@pytest.fixture(scope="module")
def host_a(peers):
    return peers["ecdsa256"][0].cert


@pytest.mark.parametrize(("ike_id", "matches"), [
    (IkeId.ipv4("30.1.1.31"), True),
    (IkeId.ipv4("30.1.1.51"), False),
    (IkeId.fqdn("HOST-A.example.net"), True),
    (IkeId.fqdn("host-b.example.net"), False),
    (IkeId.user_fqdn("admin@host-a.example.net"), True),
    (IkeId.user_fqdn("root@host-a.example.net"), False),
    (IkeId.der_asn1_dn(_dn((NameOID.COUNTRY_NAME, "US"), (NameOID.ORGANIZATION_NAME, "example"),
                           (NameOID.COMMON_NAME, "Host-A"))), True),
    (IkeId.der_asn1_dn(_dn((NameOID.COUNTRY_NAME, "US"), (NameOID.COMMON_NAME, "Host-A"))),
     False),
    (IkeId.ipv4_subnet("30.1.1.0/24"), False),
])
def test_id_against_certificate(host_a, ike_id, matches):
    assert id_matches_certificate(ike_id, host_a) is matches


# ---------------------------------------------------------------- bytes a peer chose


def test_oid_of_continuation_bytes_only_is_an_invalid_dn():
    """A DN whose attribute OID is all continuation bytes (top bit set) is refused as a
    ValueError and renders as <invalid DN>, where it used to be an IndexError."""
    atv = b"\x30\x09\x06\x02\x81\x82\x0c\x03abc"  # OID 81 82: never ends
    der = b"\x30\x0d\x31\x0b" + atv
    with pytest.raises(ValueError, match="OID ends inside a subidentifier"):
        parse_dn(der)
    ike_id = IkeId.der_asn1_dn(der, protocol=0, port=0)
    assert render(ike_id) == "der_asn1_dn(any:0,[0..14]=<invalid DN>)"
    assert not ike_id.same_identity(IkeId.der_asn1_dn(FOO))


@pytest.mark.parametrize(("ike_id", "text"), [
    (IkeId.subnet("2001:db8::/64"), "ipv6_subnet(any:0,[0..31]=2001:db8::/64)"),
    (IkeId.subnet("::/0"), "ipv6_subnet(any:0,[0..31]=::/0)"),
    (IkeId.subnet("10.10.10.0/24"), "ipv4_subnet(any:0,[0..7]=10.10.10.0/24)"),
    (IkeId.address_range("::1", "::1"), "ipv6_range(any:0,[0..31]=::1-::1)"),
    (IkeId.address_range("10.0.0.1", "10.0.0.9", protocol=6, port=80),
     "ipv4_range(tcp:80,[0..7]=10.0.0.1-10.0.0.9)"),
    (IkeId(id_type=IdType.IPV6_ADDR, data=bytes(15) + b"\1", protocol=0, port=0),
     "ipv6(any:0,[0..15]=::1)"),
])
def test_ipv6_and_range_ids_render_like_quicksec(ike_id, text):
    assert render(ike_id) == text
    assert IkeId.from_payload(IDPayload.decode_body(ike_id.to_payload().encode_body())) == ike_id


@pytest.mark.parametrize(("id_type", "size"), [(5, 16), (6, 32), (7, 8), (8, 32)])
def test_address_ids_from_the_wire_need_their_length(id_type, size):
    assert IkeId.from_payload(IDPayload(id_type=id_type, data=bytes(size))).id_type == id_type
    with pytest.raises(ValueError, match=f"must be {size} bytes"):
        IkeId.from_payload(IDPayload(id_type=id_type, data=bytes(size - 1)))


def test_a_range_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="ends before it starts"):
        IkeId.from_payload(IDPayload(id_type=7, data=bytes([10, 0, 0, 9, 10, 0, 0, 1])))


def test_a_subnet_and_the_range_it_spans_cover_the_same_addresses():
    assert IkeId.subnet("10.0.0.0/24").covers() == \
        IkeId.address_range("10.0.0.0", "10.0.0.255").covers()
    assert IkeId.subnet("2001:db8::/127").covers() == (6, IkeId.subnet(
        "2001:db8::/127").covers()[1], IkeId.subnet("2001:db8::/127").covers()[1] + 1)
    assert IkeId.subnet("10.0.0.0/24").covers() != IkeId.subnet("::/24").covers()
    assert IkeId.fqdn("a.example").covers() is None
