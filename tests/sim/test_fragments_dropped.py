"""A firewall that drops IP fragments: Main Mode message 5 (the certificate chain) never
arrives, Phase 1 times out with the lines kmd writes for a timeout while messages 1-4 pass,
and results.json says what the path did. The troubleshooting case and its fixes, run."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sim.cli import library
from sim.cli.errors import UsageError
from sim.scenario import Scenario
from sim.topology import load_topology

ROOT = Path(__file__).resolve().parents[2] / "topologies"
CASE = ROOT / "cases" / "dropped-fragments.yaml"
CAUSE = ("Main Mode message 5 (1,900 bytes, 2 IP fragments) was sent 12 times and never "
         "arrived: the link drops IP fragments")


def run(path: Path, out: Path, **parameters: str) -> Scenario:
    scenario = Scenario.build(load_topology(path, parameters=parameters or None), out=out)
    scenario.run()
    return scenario


def lines(scenario: Scenario, device: str) -> list[str]:
    return [line[16:] for line in scenario.devices[device].kmd_log.lines]


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> Scenario:
    return run(CASE, tmp_path_factory.mktemp("case"))


def test_messages_1_to_4_pass_and_message_5_is_dropped_every_time(case):
    (n,) = case.results.in_order()
    firsts = [(m.number, m.size, m.ip_packets, m.lost) for m in n.messages
              if not m.retransmission]
    assert firsts == [(1, 184, 1, None), (2, 184, 1, None), (3, 474, 1, None), (4, 421, 1, None),
                      (5, 1900, 2, "the link drops IP fragments")]
    fives = [m for m in n.messages if m.number == 5]
    assert len(fives) == 12 and all(m.lost == "the link drops IP fragments" for m in fives)
    assert all(m.lost is None for m in n.messages if m.number == 4)


def test_phase_1_times_out_on_both_sides_with_kmds_timeout_lines(case):
    (n,) = case.results.in_order()
    assert (n.phase1, n.phase2, n.error, n.failed_on) == ("failed", "not started", "Timeout",
                                                         "Host-A")
    assert n.outcomes == {"Host-A": "failed", "Host-B": "failed"}
    a, b = lines(case, "Host-A"), lines(case, "Host-B")
    assert a.count("Retransmission timer fired for SA with 30.1.1.51") == 7
    assert a[-2] == ("Phase-1 [initiator] failed with error(Timeout) for "
                     "local=ipv4(udp:500,[0..3]=30.1.1.31) remote=ipv4(any:0,[0..3]=30.1.1.51)")
    # The responder never saw message 5: no certificates, and no identity for the peer.
    assert not any("certificate(s)" in line for line in b)
    assert ("Phase-1 [responder] failed with error(Timeout) for local=unknown(any:0,[0..0]=) "
            "remote=ipv4(any:0,[0..3]=30.1.1.31)") in b


def test_results_say_the_path_dropped_the_fragments(case, tmp_path):
    (n,) = case.results.in_order()
    assert n.network_cause == CAUSE
    record = n.to_json(case.topology.start)
    assert record["network_cause"] == CAUSE
    assert record["messages"][4]["ip_packets"] == 2


@pytest.mark.parametrize("fix", [{"fragments": "allow"}, {"mtu": "9000"}])
def test_the_cases_fixes_bring_the_tunnel_up(fix, tmp_path):
    (n,) = run(CASE, tmp_path / "fixed", **fix).results.in_order()
    assert (n.phase1, n.phase2, n.error, n.network_cause) == ("done", "done", None, None)
    assert all(m.lost is None for m in n.messages)


def test_the_topology_shows_the_failure_beside_three_fixes(tmp_path):
    scenario = run(ROOT / "fragments-dropped.yaml", tmp_path / "run")
    outcomes = {n.initiator: (n.phase1, n.phase2, n.error, n.network_cause)
                for n in scenario.results.in_order()}
    # This topology's message 5 pads to 1,916 bytes (the case's to 1,900).
    assert outcomes == {"Blocked-A": ("failed", "not started", "Timeout",
                                      CAUSE.replace("1,900", "1,916")),
                        "Allowed-A": ("done", "done", None, None),
                        "Smaller-A": ("done", "done", None, None),
                        "Jumbo-A": ("done", "done", None, None)}
    fives = {n.initiator: [(m.size, m.ip_packets) for m in n.messages if m.number == 5][0]
             for n in scenario.results.in_order()}
    # Smaller-B names Eng-CA and Dev-CA in its requests: Smaller-A sends its EE certificate
    # alone, in one packet.
    assert fives == {"Blocked-A": (1916, 2), "Allowed-A": (1916, 2), "Smaller-A": (892, 1),
                     "Jumbo-A": (1916, 1)}
    assert "Received 1 certificate(s) from 30.1.3.31; asking pkid to verify" in \
        lines(scenario, "Smaller-B")
    assert "Received 3 certificate(s) from 30.1.2.31; asking pkid to verify" in \
        lines(scenario, "Allowed-B")


def test_troubleshoot_shows_the_lines_the_path_and_the_fix(capsys, tmp_path):
    parser = argparse.ArgumentParser(prog="ikesim")
    library.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["troubleshoot", "dropped-fragments", "--out", str(tmp_path / "r")])
    try:
        code = args.handler(args)
    except UsageError as exc:  # pragma: no cover - a failure shows the message
        pytest.fail(str(exc))
    assert code == 0
    out = capsys.readouterr().out
    look, _, rest = out.partition("\nOn the path (results.json, network_cause):\n")
    path, _, resolution = rest.partition("\nResolution:\n")
    assert "  Host-A kmd: Sep 19 17:21:15 Phase-1 [initiator] failed with error(Timeout)" in look
    assert path == f"  Host-A -> 30.1.1.51: {CAUSE}\n"
    text = " ".join(resolution.split())
    assert "This is the most frequent real failure of certificate VPNs" in text
    assert "Junos 12.1X46 has no statement choosing the certificates of the CERT payloads" in text
    assert "set security pki ca-profile Dev-CA ca-identity Dev-CA" in text
    assert "ikesim run dropped-fragments --param fragments=allow" in text


def test_the_ladder_stops_each_lost_copy_of_message_5_on_the_way(case):
    from matplotlib.text import Annotation

    from sim.report import plots
    ax = plots.ladder(case.results_json(), 0)
    gids = [t.get_gid() for t in ax.texts if isinstance(t, Annotation)]
    assert gids.count("lost-message") == 12
    assert gids.count("message") == len(case.results.in_order()[0].messages) - 12
    assert " ".join(ax.get_xlabel().split()).endswith(f"On the path: {CAUSE}")
    assert "lost on the path" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_a_link_that_loses_everything_is_named_as_the_cause_too(tmp_path):
    (n,) = run(ROOT / "cases" / "lost-packets.yaml", tmp_path / "lost").results.in_order()
    assert n.network_cause == ("Main Mode message 1 (180 bytes) was sent 11 times and never "
                               "arrived: lost on the link")


def test_a_message_that_got_through_once_is_no_cause(case):
    from sim.world.undelivered import undelivered
    (n,) = case.results.in_order()
    fours = [m for m in n.messages if m.number <= 4]
    assert undelivered(fours) is None  # message 4's copies all arrived
    first_five = next(m for m in n.messages if m.number == 5)
    assert undelivered([*fours, first_five]) == (
        "Main Mode message 5 (1,900 bytes, 2 IP fragments) was sent once and never arrived: "
        "the link drops IP fragments")
