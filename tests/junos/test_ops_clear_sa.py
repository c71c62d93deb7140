"""`show security ike security-associations PEER-ADDRESS` and the clear commands that tear SAs
down: `clear security ike security-associations [PEER-ADDRESS]`, `clear security ipsec
security-associations [index N]`. The state follows: the show commands list nothing after, kmd
and syslog say what went."""

from __future__ import annotations

import pytest

from sim.junos.ops import ParseError, complete, execute
from tests.junos.test_ops_golden_sa import device, ike, ipsec

OTHER = dict(gateway="gw-b", remote_address="3.3.3.3", initiator_cookie="1111111111111111",
             responder_cookie="2222222222222222")


def two_peers():
    return device([ike(20, left=23282), ike(21, left=20000, **OTHER)],
                  [ipsec(2, left=1667), ipsec(3, left=1500, vpn="vpn-b", gateway="gw-b",
                                                remote_address="3.3.3.3",
                                                inbound_spi="0000aaaa", outbound_spi="0000bbbb")])


def show(state, line: str) -> str:
    return execute(state, line).output


def test_show_ike_sa_of_one_peer_lists_that_peer_only():
    assert show(two_peers(), "show security ike security-associations 3.3.3.3").splitlines() == [
        "  Index   State  Initiator cookie  Responder cookie  Mode           Remote Address",
        "  21      UP     1111111111111111  2222222222222222  Main           3.3.3.3",
    ]
    detail = show(two_peers(), "show security ike security-associations 2.2.2.2 detail")
    assert detail.splitlines()[0] == "IKE peer 2.2.2.2, Index 20, Gateway Name: ike-gate"
    assert "3.3.3.3" not in detail
    assert show(two_peers(), "show security ike security-associations 9.9.9.9") == ""


def test_peer_address_completes_as_a_value_and_is_checked():
    assert "  <peer-address>       IP address of security association's peer" in complete(
        "show security ike security-associations ?").splitlines()
    with pytest.raises(ParseError) as caught:
        execute(two_peers(), "show security ike security-associations 2.2.2")
    assert str(caught.value) == "error: invalid peer address '2.2.2'"
    with pytest.raises(ParseError) as caught:
        execute(two_peers(), "show security ike security-associations 2.2.2.2 index 20")
    assert str(caught.value) == "error: index and peer-address cannot be used together"


def test_clear_ike_sa_of_one_peer_tears_down_that_sa_and_logs_it():
    outcome = execute(two_peers(), "clear security ike security-associations 2.2.2.2")
    assert outcome.output == "" and not outcome.error
    after = outcome.state
    assert show(after, "show security ike security-associations 2.2.2.2") == ""
    assert "3.3.3.3" in show(after, "show security ike security-associations")
    assert after.kmd_log[-1] == ("Nov 20 12:00:00 IKE SA with 2.2.2.2 deleted (cleared): "
                                 "af4f78bc135e4365 48a35f853ee95d21")
    # IKEv1: the IPsec SAs the IKE SA negotiated stay until their own lifetime ends.
    assert "Total active tunnels: 2" in show(after, "show security ipsec security-associations")


def test_clear_ike_sa_without_a_peer_clears_them_all():
    after = execute(two_peers(), "clear security ike security-associations").state
    assert show(after, "show security ike security-associations") == ""
    assert len(after.kmd_log) == 2


def test_clear_ipsec_sa_index_tears_down_that_tunnel_with_kmd_and_syslog_lines():
    after = execute(two_peers(), "clear security ipsec security-associations index 2").state
    assert show(after, "show security ipsec security-associations").splitlines()[0] == \
        "Total active tunnels: 1"
    assert show(after, "show security ipsec security-associations index 2") == ""
    assert after.kmd_log == ("Nov 20 12:00:00 IPSec SA deleted for vpn ike-vpn (cleared): "
                             "inbound SPI 0xbce1c6e0, outbound SPI 0x1a24eab9",)
    assert after.messages_log == (
        "Nov 20 12:00:00 KMD_VPN_DOWN_ALARM_USER: VPN ike-vpn from 2.2.2.2 is down. Local-ip: "
        "1.1.1.2, gateway name: ike-gate, vpn name: ike-vpn, tunnel-id: 2, local tunnel-if: "
        "Not-Available, remote tunnel-ip: Not-Available, Local IKE-ID: 1.1.1.2, Remote IKE-ID: "
        "2.2.2.2, AAA username: Not-Applicable, VR id: 0, Traffic-selector: , Traffic-selector "
        "local ID: ipv4_subnet(any:0,[0..7]=10.10.10.0/24), Traffic-selector remote ID: "
        "ipv4_subnet(any:0,[0..7]=192.168.168.0/24), SA Type: Static, Reason: Cleared. "
        "Corresponding IPSec SAs are deleted",)
    # The IKE SA's detail counts the pair it lost.
    assert "  IPsec security associations: 2 created, 2 deleted" in show(
        after, "show security ike security-associations index 20 detail").splitlines()


def test_clear_ipsec_sa_without_an_index_clears_every_tunnel():
    after = execute(two_peers(), "clear security ipsec security-associations").state
    assert show(after, "show security ipsec security-associations").splitlines()[0] == \
        "Total active tunnels: 0"
    assert [line.split(": ", 1)[1].split(" is down")[0] for line in after.messages_log] == [
        "VPN ike-vpn from 2.2.2.2", "VPN vpn-b from 3.3.3.3"]


def test_clear_ipsec_sa_of_an_index_that_does_not_exist_changes_nothing():
    before = two_peers()
    outcome = execute(before, "clear security ipsec security-associations index 7")
    assert outcome.output == "error: IPsec SA index 7 does not exist"
    assert outcome.error and outcome.state is before


@pytest.mark.parametrize("line,message", [
    ("clear security ike security-associations 2.2.2.2.2",
     "error: invalid peer address '2.2.2.2.2'"),
    ("clear security ike security-associations 2.2.2.2 3.3.3.3",
     "syntax error, expecting <command>."),
    ("clear security ipsec security-associations index ²",
     "error: invalid index '²': expecting a number"),
    ("clear security ipsec security-associations index", "syntax error, expecting <index>."),
])
def test_bad_clear_lines_are_one_line_and_change_nothing(line, message):
    with pytest.raises(ParseError) as caught:
        execute(two_peers(), line)
    assert str(caught.value) == message
