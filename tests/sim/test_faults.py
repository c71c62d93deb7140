"""Fault injection: lossy links (0 to 50 %), CRL servers going down and up, a pkid slower than
the negotiation's expiry, a CRL server that holds requests, and device clocks jumping, all while
negotiations run. Every negotiation ends, done or failed with a Junos error; no run hangs (each
reaches its end time); and memory grows with the negotiations a run keeps, not with time."""

from __future__ import annotations

import tracemalloc

import pytest

from sim.ike.payloads import NotifyType
from sim.scenario import Scenario
from sim.topology import parse_topology
from tests.sim.scenarios import pair, policy_vpn

JUNOS_ERRORS = {error.text for error in NotifyType}
END = 900.0  # seconds: the last negotiation starts by 60 s, expiry is 300 s


def negotiations(count: int, *, spread: float = 60.0, events: str = "", loss: float = 0.0,
                 server: str = "", b_extra: str = "", phase2: bool = True) -> str:
    """Host-A opens `count` negotiations with Host-B over `spread` seconds; `server` is the
    CRL server's latency."""
    starts = "\n".join(f"  - {{at: {round(1 + i * spread / count, 3)}s, initiate: "
                       f"{{device: Host-A, gateway: gw}}}}" for i in range(count))
    proposal = "proposals esp-aes"  # the faults are the subject: no PFS arithmetic
    vpn = ({"a": {"extra": policy_vpn("192.168.168.0/24", "10.10.10.0/24", proposal)},
            "b": {"extra": policy_vpn("10.10.10.0/24", "192.168.168.0/24", proposal)}}
           if phase2 else {})
    text = pair(events=starts + ("\n" + events if events else ""), duration=f"{int(END)}s",
                b_extra=b_extra, **vpn)
    text = text.replace("dh-group group14", "dh-group group19")
    text = text.replace("latency: 10ms}", f"latency: {server or '10ms'}}}")
    return text.replace("latency: 5ms}", f"latency: 5ms, loss: {loss}}}")


def run(text: str, tmp_path) -> Scenario:
    scenario = Scenario.build(parse_topology(text, source="faults.yaml"), out=tmp_path / "run")
    scenario.run()
    return scenario


def assert_every_negotiation_ended(scenario: Scenario, count: int) -> list:
    assert scenario.world.env.now == END  # the run reached its end time
    records = scenario.results.in_order()
    assert len(records) == count
    for record in records:
        assert record.phase1 in ("done", "failed"), record
        assert record.phase2 in ("not started", "done", "failed"), record
        assert record.error is None or record.error in JUNOS_ERRORS, record
        if record.phase1 == "done" and record.phase2 == "done":
            assert record.error is None
    return records


@pytest.mark.parametrize("loss", [0.0, 0.1, 0.3, 0.5])
def test_lossy_links(tmp_path, loss):
    """Lost datagrams are retransmitted (0.5 s, doubling, 10 resends); what never gets through
    ends in Timeout (8197), on the side that waited."""
    records = assert_every_negotiation_ended(run(negotiations(12, loss=loss), tmp_path), 12)
    assert {r.error for r in records} - {None} <= {"Timeout"}
    complete = sum(r.phase1 == r.phase2 == "done" for r in records)
    # Up to 30 % loss the retransmissions get everything through (the Quick Mode responder
    # once timed out here: a repeated message 2 reached a new negotiation instead of the
    # finished one that answers it); at 50 % most still come up.
    assert complete == 12 if loss <= 0.3 else complete >= 9


def test_crl_server_flapping(tmp_path):
    flaps = "\n".join(f"  - {{at: {t}s, server-{'down' if i % 2 == 0 else 'up'}: "
                      f"{{server: crl-server}}}}" for i, t in enumerate(range(0, 60, 3)))
    records = assert_every_negotiation_ended(
        run(negotiations(12, events=flaps, phase2=False), tmp_path), 12)
    assert {r.error for r in records} - {None} <= {"Authentication failed"}
    assert {r.phase1 for r in records} == {"done", "failed"}


def test_pkid_slower_than_the_negotiation_expiry(tmp_path):
    """pkid takes 400 s per verification, the negotiation expires at 300 s: Timeout, and the
    verdicts arriving afterwards change nothing."""
    records = assert_every_negotiation_ended(
        run(negotiations(4, b_extra="    pkid-processing: 400s", phase2=False), tmp_path), 4)
    assert {r.error for r in records} == {"Timeout"}


def test_a_crl_server_that_holds_requests(tmp_path):
    """The server answers after 10 minutes and pkid waits that long: the negotiations expire
    first (Timeout), and the verdicts that come afterwards change nothing."""
    scenario = run(negotiations(4, server="10m", b_extra="    download-timeout: 30m",
                                phase2=False), tmp_path)
    records = assert_every_negotiation_ended(scenario, 4)
    assert {r.error for r in records} == {"Timeout"}
    downloads = scenario.devices["Host-B"].pkid.download_records
    assert downloads and all(d.ok and d.finished > 600 for d in downloads)


def test_clocks_jumping_during_negotiations(tmp_path):
    jumps = "\n".join(f"  - {{at: {t}s, clock: {{device: Host-{d}, offset: {offset}}}}}"
                      for t, d, offset in ((5, "B", "-400d"), (15, "B", "0s"),
                                           (25, "A", "7300d"), (35, "A", "0s"),
                                           (45, "B", "-2h"), (55, "A", "-1d")))
    records = assert_every_negotiation_ended(
        run(negotiations(12, events=jumps, phase2=False), tmp_path), 12)
    assert {r.error for r in records} - {None} <= {"Authentication failed", "Timeout"}
    assert {r.phase1 for r in records} == {"done", "failed"}


def _peak(text: str, tmp_path) -> int:
    scenario = Scenario.build(parse_topology(text, source="faults.yaml"), out=tmp_path)
    tracemalloc.start()
    try:
        scenario.run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_every_negotiation_ended(scenario, len(scenario.results.negotiations))
    return peak


def test_memory_under_loss_grows_linearly_with_the_negotiations(tmp_path):
    """Under 30 % loss, four times the negotiations take at most about four times the memory,
    and each negotiation keeps well under 150 KB (its record, its SA, its datagrams for the
    pcap, its log lines; about 65 KB measured): a per-negotiation leak of the size of a few
    retransmitted datagrams (checked: 10 KB a datagram) exceeds the bound."""
    few = _peak(negotiations(10, loss=0.3, phase2=False), tmp_path / "few")
    many = _peak(negotiations(40, loss=0.3, phase2=False), tmp_path / "many")
    assert many < 5 * few
    assert (many - few) / 30 < 150_000
