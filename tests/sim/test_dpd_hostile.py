"""What a peer can send DPD under an established IKE SA: R-U-THERE / ACK notifications that
authenticate but say something malformed, and arbitrary notification data. kmd never stops for
one: a malformed one is traced as dropped and not answered, a well-formed R-U-THERE is answered,
and the device goes on with its SA."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.ike.payloads import HEADER_LEN, ExchangeType, Header, NotificationPayload, NotifyType
from sim.ike.quick_mode_wire import seal_informational
from sim.scenario import Scenario
from sim.topology import load_topology
from sim.world.network import Datagram
from tests.sim.fuzz.mutations import fuzz_settings
from tests.sim.test_dpd_scenario import TOPOLOGY

A, B = "30.1.1.31", "30.1.1.51"


def _up(tmp_path) -> Scenario:
    """The scenario with its tunnel up (15 s), before any DPD exchange."""
    scenario = Scenario.build(load_topology(str(TOPOLOGY)), out=tmp_path / "run")
    scenario.run(15)
    return scenario


def _from_b(scenario: Scenario, notify_type: int, data: bytes, *, spi: bytes | None = None,
            message_id: int = 0x1234567) -> list[str]:
    """Host-B's kmd seals a notification under its IKE SA; Host-A receives it. Host-A's new
    kmd lines, without timestamps."""
    (entry,) = scenario.devices["Host-B"].kmd.sas.values()
    done = entry.done
    notify = NotificationPayload(notify_type=notify_type, data=data,
                                 spi=done.icookie + done.rcookie if spi is None else spi)
    datagram = seal_informational(done, message_id, notify)
    host_a = scenario.devices["Host-A"]
    before = len(host_a.kmd_log.lines)
    sent_before = len(scenario.world.network.capture)
    host_a.kmd.receive(Datagram(src=B, dst=A, sport=500, dport=500, payload=datagram))
    replies = scenario.world.network.capture[sent_before:]
    assert all(c.datagram.src == A for c in replies)
    return [line[16:] for line in host_a.kmd_log.lines[before:]], len(replies)


def test_an_r_u_there_with_a_short_sequence_number_is_dropped_not_answered(tmp_path):
    scenario = _up(tmp_path)
    lines, replies = _from_b(scenario, NotifyType.R_U_THERE, b"\x00\x01")
    assert replies == 0
    (line,) = lines
    assert line.startswith(f"{A}:500 (Initiator) <-> {B}:500 {{ ")
    assert line.endswith("/ 0x01234567 } Info; Packet dropped: DPD notification with 2 bytes "
                         "of data, not a 4-byte sequence number (Payload malformed (16))")


def test_an_r_u_there_for_another_sa_is_dropped(tmp_path):
    scenario = _up(tmp_path)
    lines, replies = _from_b(scenario, NotifyType.R_U_THERE, b"\x00\x00\x00\x07",
                             spi=b"\xff" * 16)
    assert replies == 0
    assert lines[0].endswith("Info; Packet dropped: DPD notification names another IKE SA "
                             "(Invalid SPI (11))")


def test_a_well_formed_r_u_there_is_answered_with_its_sequence_number(tmp_path):
    scenario = _up(tmp_path)
    lines, replies = _from_b(scenario, NotifyType.R_U_THERE, (7).to_bytes(4, "big"))
    assert replies == 1
    assert lines[0].endswith("/ 0x01234567 } Info; Received notification DPD Are You There "
                             "(36136), sequence number 7")
    assert lines[1].endswith("} Info; Sent notification DPD I Am Here (36137), sequence "
                             "number 7")


@pytest.fixture(scope="module")
def standing(tmp_path_factory) -> Scenario:
    """One tunnel for every example: each notification leaves it standing for the next."""
    return _up(tmp_path_factory.mktemp("fuzz"))


@fuzz_settings(ci_examples=200)
@given(kind=st.sampled_from([NotifyType.R_U_THERE, NotifyType.R_U_THERE_ACK]),
       data=st.binary(max_size=40), spi=st.one_of(st.none(), st.binary(max_size=20)),
       message_id=st.integers(0, 2 ** 32 - 1))
def test_any_dpd_notification_leaves_kmd_standing(standing, kind, data, spi, message_id):
    scenario = standing
    lines, replies = _from_b(scenario, kind, data, spi=spi, message_id=message_id)
    well_formed = len(data) == 4 and spi is None
    if not well_formed:
        assert replies == 0 and len(lines) == 1 and "Packet dropped: " in lines[0]
    else:
        assert replies == (1 if kind is NotifyType.R_U_THERE else 0)
    assert len(scenario.devices["Host-A"].kmd.ike_sas) == 1  # the SA stands


def test_spoofed_datagrams_with_the_sas_cookies_do_not_keep_a_dead_peer_alive(tmp_path):
    """After Host-B dies, someone sends Host-A, every 3 s, datagrams that carry the SA's
    cookies and Host-B's address but were never encrypted under its keys. They are dropped,
    and DPD declares Host-B dead all the same, at the same time as without them."""
    def dead_at(spoof: bool) -> float:
        scenario = Scenario.build(load_topology(str(TOPOLOGY)),
                                  out=tmp_path / f"run-{spoof}")
        env, host_a = scenario.world.env, scenario.devices["Host-A"]
        rng = random.Random(5)

        def spoofer():
            yield env.timeout(121)
            (entry,) = host_a.kmd.sas.values()
            while env.now < 200 and host_a.kmd.sas:
                body = rng.randbytes(64)
                header = Header(icookie=entry.sa.icookie, rcookie=entry.sa.rcookie,
                                next_payload=8, exchange=ExchangeType.INFORMATIONAL, flags=1,
                                message_id=rng.getrandbits(32),
                                length=HEADER_LEN + len(body))
                host_a.kmd.receive(Datagram(src=B, dst=A, sport=500, dport=500,
                                            payload=header.encode() + body))
                yield env.timeout(3)

        if spoof:
            env.process(spoofer())
        scenario.run()
        (negotiation,) = scenario.results.in_order()
        (event,) = negotiation.dpd
        return event.at_s

    assert dead_at(spoof=True) == dead_at(spoof=False)
