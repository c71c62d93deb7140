"""Dead peer detection, sans I/O: the DPD vendor ID in Main and Aggressive Mode messages 1 and 2,
R-U-THERE / R-U-THERE-ACK under real Phase-1 keys, and when DpdMonitor probes and gives up."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.ike.dpd import (
    DPD_VENDOR_ID,
    DpdKind,
    DpdMalformed,
    DpdMessage,
    DpdMode,
    DpdMonitor,
    Verdict,
    open_dpd,
    peer_supports_dpd,
    seal_dpd,
)
from sim.ike.payloads import (
    HEADER_LEN,
    NotificationPayload,
    NotifyType,
    PayloadMalformed,
    VendorIDPayload,
    decode_message,
)
from sim.ike.phase1 import Mode, Phase1Done
from sim.ike.quick_mode_wire import seal_informational
from tests.sim.fuzz.mutations import fuzz_settings
from tests.sim.ike.ike_pair import Pair, configs


def _established(peers, ca, *, mode=Mode.MAIN, i_vids=(DPD_VENDOR_ID,), r_vids=(DPD_VENDOR_ID,)):
    ci, cr = configs(peers, ca, mode=mode)
    pair = Pair.of(dataclasses.replace(ci, vendor_ids=i_vids),
                   dataclasses.replace(cr, vendor_ids=r_vids), ca_cert=ca.cert).run()
    return pair, pair.outcome("initiator"), pair.outcome("responder")


@pytest.mark.parametrize("mode", [Mode.MAIN, Mode.AGGRESSIVE])
def test_both_sides_send_and_record_the_dpd_vendor_id(peers, ca, mode):
    pair, done_i, done_r = _established(peers, ca, mode=mode)
    assert isinstance(done_i, Phase1Done) and isinstance(done_r, Phase1Done)
    first, second = (decode_message(data) for _, data in pair.datagrams[:2])
    assert first.all(VendorIDPayload) == (VendorIDPayload(data=DPD_VENDOR_ID),)
    assert second.all(VendorIDPayload) == (VendorIDPayload(data=DPD_VENDOR_ID),)
    assert peer_supports_dpd(done_i.peer_vendor_ids) and peer_supports_dpd(done_r.peer_vendor_ids)


def test_a_peer_without_the_vendor_id_is_not_a_dpd_peer(peers, ca):
    _, done_i, done_r = _established(peers, ca, r_vids=())
    assert done_i.peer_vendor_ids == () and not peer_supports_dpd(done_i.peer_vendor_ids)
    assert peer_supports_dpd(done_r.peer_vendor_ids)


def test_the_vendor_id_is_rfc_3706s():
    assert DPD_VENDOR_ID.hex() == "afcad71368a1f1c96b8696fc77570100"


@pytest.fixture
def sas(peers, ca):
    _, done_i, done_r = _established(peers, ca)
    return done_i, done_r


def test_r_u_there_and_its_ack_cross_under_the_phase1_keys(sas):
    done_i, done_r = sas
    probe = DpdMessage(kind=DpdKind.R_U_THERE, sequence=0xFFFFFFFE)
    datagram = seal_dpd(done_i, 0x1234, probe)
    assert open_dpd(done_r, datagram) == probe
    ack = DpdMessage(kind=DpdKind.R_U_THERE_ACK, sequence=probe.sequence)
    assert open_dpd(done_i, seal_dpd(done_r, 0x5678, ack)) == ack


def test_the_notification_is_rfc_3706s(sas):
    """Protocol ISAKMP, SPI = CKY-I | CKY-R, type 36136, a 4-byte sequence number."""
    done_i, done_r = sas
    datagram = seal_dpd(done_i, 7, DpdMessage(kind=DpdKind.R_U_THERE, sequence=42))
    from sim.ike.quick_mode_wire import open_informational
    notify = open_informational(done_r, datagram).first(NotificationPayload)
    assert (notify.protocol_id, notify.spi, notify.notify_type, notify.data) == (
        1, done_i.icookie + done_i.rcookie, 36136, (42).to_bytes(4, "big"))


def test_a_damaged_r_u_there_does_not_authenticate(sas):
    done_i, done_r = sas
    datagram = bytearray(seal_dpd(done_i, 9, DpdMessage(kind=DpdKind.R_U_THERE, sequence=1)))
    datagram[HEADER_LEN + 3] ^= 0x01
    with pytest.raises(PayloadMalformed) as exc:
        open_dpd(done_r, bytes(datagram))
    assert not isinstance(exc.value, DpdMalformed)  # not ours to call the peer's: unread


@pytest.mark.parametrize("spi, data, problem", [
    (b"\x00" * 16, (1).to_bytes(4, "big"), "names another IKE SA"),
    (None, b"\x00\x01", "2 bytes of data"),
])
def test_a_malformed_dpd_notification_is_refused(sas, spi, data, problem):
    done_i, done_r = sas
    notify = NotificationPayload(notify_type=NotifyType.R_U_THERE,
                                 spi=spi if spi is not None else done_i.icookie + done_i.rcookie,
                                 data=data)
    with pytest.raises(DpdMalformed, match=problem):
        open_dpd(done_r, seal_informational(done_i, 11, notify))


def test_another_notification_is_not_dpds(sas):
    done_i, done_r = sas
    notify = NotificationPayload(notify_type=NotifyType.INITIAL_CONTACT,
                                 spi=done_i.icookie + done_i.rcookie)
    assert open_dpd(done_r, seal_informational(done_i, 13, notify)) is None


# -- DpdMonitor -----------------------------------------------------------------------------


def _monitor(mode, threshold=3, interval=10):
    return DpdMonitor(mode=mode, interval=interval, threshold=threshold, first_sequence=100,
                      now=0.0)


def test_always_send_probes_every_interval_and_an_ack_keeps_the_peer_alive():
    m = _monitor(DpdMode.ALWAYS_SEND)
    for tick in (10, 20, 30, 40):
        assert m.tick(tick) is Verdict.PROBE
        assert m.acknowledged(m.sequence, tick + 0.01)
    assert m.sequence == 103  # one number per probe


def test_threshold_unanswered_probes_then_the_peer_is_dead():
    m = _monitor(DpdMode.ALWAYS_SEND, threshold=3)
    assert [m.tick(t) for t in (10, 20, 30, 40)] == [Verdict.PROBE] * 3 + [Verdict.DEAD]
    assert m.unanswered == 3 and m.sequence == 102


def test_a_late_ack_for_an_older_probe_proves_nothing_new():
    m = _monitor(DpdMode.ALWAYS_SEND, threshold=2)
    m.tick(10)
    m.tick(20)
    assert not m.acknowledged(100, 21)
    assert m.tick(30) is Verdict.DEAD


def test_optimized_is_quiet_on_an_idle_tunnel():
    m = _monitor(DpdMode.OPTIMIZED)
    assert [m.tick(t) for t in (10, 20, 30)] == [Verdict.QUIET] * 3


def test_optimized_probes_when_what_we_sent_got_no_answer_for_an_interval():
    m = _monitor(DpdMode.OPTIMIZED, threshold=1)
    m.sent(12)
    assert m.tick(20) is Verdict.QUIET  # heard at 0: 20 s ago, but we sent only at 12 ...
    m.heard(15)
    m.sent(16)
    assert m.tick(20) is Verdict.QUIET  # ... and heard 5 s ago
    assert m.tick(30) is Verdict.PROBE
    assert m.tick(40) is Verdict.DEAD


def test_probe_idle_tunnel_probes_only_when_nothing_went_either_way():
    m = _monitor(DpdMode.PROBE_IDLE_TUNNEL)
    m.sent(5)
    assert m.tick(10) is Verdict.QUIET
    assert m.tick(20) is Verdict.PROBE


def test_any_traffic_from_the_peer_ends_the_probing():
    m = _monitor(DpdMode.ALWAYS_SEND, threshold=2)
    m.tick(10)
    m.heard(15)
    assert m.unanswered == 0
    assert [m.tick(t) for t in (20, 30, 40)] == [Verdict.PROBE, Verdict.PROBE, Verdict.DEAD]


@pytest.mark.parametrize("kwargs", [{"sequence": -1}, {"sequence": 2 ** 32}])
def test_a_dpd_message_checks_its_sequence(kwargs):
    with pytest.raises(ValueError):
        DpdMessage(kind=DpdKind.R_U_THERE, **kwargs)


@fuzz_settings(ci_examples=200)
@given(mode=st.sampled_from(list(DpdMode)), threshold=st.integers(1, 5),
       events=st.lists(st.sampled_from(["tick", "heard", "sent", "ack"]), max_size=60))
def test_the_peer_is_dead_only_after_threshold_unanswered_probes(mode, threshold, events):
    """Whatever the traffic: DEAD comes exactly at the tick after `threshold` probes in a row
    with nothing heard from the peer since the first of them, and never earlier."""
    m = DpdMonitor(mode=mode, interval=10, threshold=threshold, first_sequence=2 ** 32 - 2,
                   now=0.0)
    now, run = 0.0, 0
    for event in events:
        now += 10
        if event == "tick":
            verdict = m.tick(now)
            if verdict is Verdict.DEAD:
                assert run == threshold
                return
            if verdict is Verdict.PROBE:
                run += 1
                assert run <= threshold
            else:
                assert run == 0  # quiet only while nothing is outstanding
        elif event == "heard":
            m.heard(now)
            run = 0
        elif event == "sent":
            m.sent(now)
        elif m.acknowledged(m.sequence, now):
            assert run > 0
            run = 0
