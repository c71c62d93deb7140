"""What a configuration schedules on its own (rekeys, DPD probes, NAT keepalives) is bounded
before the run: a shipped topology stretched over years is one line at its `duration:`, exit
2, nothing written, instead of hours of simulation and gigabytes of capture."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.topology import load_topology, parse_topology
from tests.badinput.conftest import assert_refused, files_under

TOPOLOGIES = Path(__file__).parents[2] / "topologies"


def _shipped(name: str, *swaps: tuple[str, str]) -> str:
    text = (TOPOLOGIES / f"{name}.yaml").read_text()
    for old, new in swaps:
        assert old in text, old
        text = text.replace(old, new)
    return text


def _line(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def _refused(ikesim, tmp_path: Path, text: str, *fragments: str, argv: tuple = ()) -> None:
    (tmp_path / "t.yaml").write_text(text)
    before = files_under(tmp_path)
    assert_refused(ikesim("run", "t.yaml", *argv), f"t.yaml line {_line(text, 'duration:')}: ",
                   *fragments)
    assert not (tmp_path / "runs").exists()
    assert files_under(tmp_path) == before


def test_a_300_s_lifetime_kept_up_for_five_years_is_refused(ikesim, tmp_path):
    text = _shipped("rekey-day", ("duration: 1d", "duration: 1825d"))
    _refused(ikesim, tmp_path, text,
             "duration: rekeys and traffic can start about 677,856 negotiations in this run, at "
             "most 200,000 (most: 677,856, rekeys of SRX-A's gateway gw-day (IKE lifetime "
             "3600 s, IPsec 300 s, kept up 157,680,000 s)); shorten the duration, lengthen the "
             "lifetimes or send less traffic")


def test_traffic_keeps_a_tunnel_up_and_its_rekeys_count(ikesim, tmp_path):
    """A trickle of a packet every 1000 s for five years keeps an on-traffic tunnel rekeyed
    (rekey on use) as establish-tunnels immediately does."""
    text = _shipped("traffic-ping",
                    ("duration: 2m", "duration: 1825d"),
                    ("rate: 20pps, duration: 10s", "rate: 0.001pps, duration: 1820d"),
                    ("lifetime-seconds 3600", "lifetime-seconds 180"))
    _refused(ikesim, tmp_path, text, "duration: rekeys and traffic can start about ",
             "rekeys of SRX-A's gateway ", "kept up 157,248,030 s")


def test_traffic_towards_a_failing_peer_counts_a_negotiation_every_hold_down(ikesim, tmp_path):
    """Each packet with no SA may start a negotiation, one every 10 s at most: 59 days of a
    flow at 0.15 pps towards a peer that keeps failing is half a million Phase 1s."""
    text = _shipped("traffic-ping",
                    ("duration: 2m", "duration: 60d"),
                    ("rate: 20pps, duration: 10s, size: 1000",
                     "rate: 0.15pps, duration: 59d, size: 0"))
    _refused(ikesim, tmp_path, text, "duration: rekeys and traffic can start about ",
             "(most: 509,764, SRX-A's traffic, if its tunnels fail (764,645 packets, a "
             "negotiation every 10 s at most))")


def test_dpd_kept_up_for_five_years_is_refused(ikesim, tmp_path):
    text = _shipped("dpd-peer-dies",
                    ("duration: 4m", "duration: 1825d"),
                    ("dead-peer-detection threshold 5\n",
                     "dead-peer-detection threshold 5\n"
                     "      set security ipsec vpn vpn_ab establish-tunnels immediately\n"))
    _refused(ikesim, tmp_path, text,
             "duration: the configuration sends about ", " DPD and NAT keepalive messages in "
             "this run, at most 500,000 (most: 31,536,000 by Host-A's gateway ike_gw (DPD "
             "probes and NAT keepalives over 157,680,000 s)); shorten the duration or "
             "lengthen the intervals")


def test_optimized_dpd_on_a_tunnel_without_traffic_sends_nothing_and_is_not_counted():
    """`optimized` (Junos's default mode) probes only when what it sent had no answer."""
    text = _shipped("dpd-peer-dies",
                    ("duration: 4m", "duration: 1825d"),
                    ("dead-peer-detection threshold 5\n",
                     "dead-peer-detection threshold 5\n"
                     "      set security ipsec vpn vpn_ab establish-tunnels immediately\n"),
                    ("dead-peer-detection always-send", "dead-peer-detection optimized"))
    assert parse_topology(text, source="t.yaml").duration == 1825 * 86400


def test_nat_keepalives_through_a_parameter_are_refused(ikesim, tmp_path):
    """The default 5 s keepalive behind a NAT, kept up for 60 days: a million datagrams."""
    text = _shipped("nat-t",
                    ("duration: 2m", "duration: ${days}"),
                    ("set security ike gateway to_hub nat-keepalive 20\n",
                     "set security ipsec vpn to_hub_vpn establish-tunnels immediately\n"))
    text = "parameters: {days: 2m}\n" + text
    (tmp_path / "t.yaml").write_text(text)
    assert ikesim("run", "t.yaml", "--out", "ok").code == 0
    _refused(ikesim, tmp_path, text, "duration: the configuration sends about 1,036,800 DPD "
             "and NAT keepalive messages", "by Spoke's gateway to_hub",
             argv=("--param", "days=60d"))


def test_initiate_events_each_count_an_ike_lifetime_of_probes(tmp_path):
    """An on-traffic tunnel initiated again and again probes for an IKE lifetime each time."""
    events = "".join(f"  - {{at: {day}d, initiate: {{device: Host-A, gateway: ike_gw}}}}\n"
                     for day in range(1, 121))
    text = _shipped("dpd-peer-dies", ("duration: 4m", "duration: 1825d"))
    text = text[:text.index("events:\n")] + "events:\n" + events
    (tmp_path / "t.yaml").write_text(text)
    with pytest.raises(ValueError, match="line 22: duration: the configuration sends about "
                                         "702,720 DPD .*most: 696,960 by Host-A's gateway "
                                         r"ike_gw \(DPD probes and NAT keepalives over "
                                         "3,484,800 s"):
        load_topology(tmp_path / "t.yaml")
    (tmp_path / "t.yaml").write_text(text.replace(events, events[:events.index("  - {at: 61d")]))
    assert load_topology(tmp_path / "t.yaml").duration == 1825 * 86400


@pytest.mark.parametrize("name", ["rekey-day", "nat-t", "nat-no-natt", "fragments-dropped",
                                  "traffic-ping", "dpd-peer-dies", "hub-and-spoke"])
def test_the_shipped_topologies_are_within_the_limits(name):
    assert load_topology(TOPOLOGIES / f"{name}.yaml").name == name


def test_restarting_a_hub_renegotiates_every_spokes_tunnel(ikesim, tmp_path):
    """A kmd restart (or a reboot) of the hub clears the SAs of its thousand spokes: 200
    restarts and the spokes' first negotiations are 201,000."""
    restarts = "".join(f"  - {{at: {minute}m, restart: {{device: Hub}}}}\n"
                       for minute in range(1, 201))
    text = _shipped("hub-and-spoke", ("duration: 10m", "duration: 4h"))
    text = text.rstrip("\n") + "\n" + restarts
    _refused(ikesim, tmp_path, text, "duration: rekeys and traffic can start about 201,000 "
             "negotiations in this run, at most 200,000 (most: 201, events that start "
             "Spoke-1000's gateway to-hub (initiate, restart, device-up))")
    (tmp_path / "t.yaml").write_text(text.replace(restarts, restarts[:restarts.index(
        "  - {at: 200m,")]))
    assert len(load_topology(tmp_path / "t.yaml").events) == 1000 + 199


def test_until_past_the_duration_is_checked_against_the_limits_too(ikesim, tmp_path):
    """`--until` may run a topology longer than its duration: the limits apply to that run."""
    (tmp_path / "t.yaml").write_text(_shipped("rekey-day"))
    before = files_under(tmp_path)
    assert_refused(ikesim("run", "t.yaml", "--until", "1825d"),
                   "--until 1825d, 5 years: rekeys and traffic can start about 677,856 "
                   "negotiations in this run, at most 200,000")
    assert files_under(tmp_path) == before
    assert ikesim("run", "t.yaml", "--until", "2h", "--out", "ok").code == 0
