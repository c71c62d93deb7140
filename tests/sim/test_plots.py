"""Plots of real runs: what a reader of each figure sees (arrows, labels, colours, bar heights),
read back from the Axes, and the PNG files write_plots leaves."""

from __future__ import annotations

import re
import struct

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import pytest
from matplotlib.text import Annotation

from sim.report import plot_base, plots
from sim.scenario import Scenario
from sim.topology import parse_topology
from tests.sim.scenarios import HOST_B, pair, profiles

REVOKE_THEN_RETRY = ("  - {at: 1s, initiate: {device: Host-A, gateway: gw}}\n"
                     "  - {at: 2m, revoke: {ca: CA-B, certificate: Host-B}}\n"
                     "  - {at: 3m, initiate: {device: Host-A, gateway: gw}}")
# refresh-interval 0: Host-A downloads the CRLs again for every negotiation.
ALWAYS_FRESH = profiles("CA-A", root_check="crl refresh-interval 0",
                        own_check="crl refresh-interval 0")


def run(text: str, tmp_path, *, seed: int | None = None, before=None) -> dict:
    scenario = Scenario.build(parse_topology(text, source="case.yaml"), out=tmp_path / "run",
                              seed=seed)
    if before is not None:
        before(scenario)
    scenario.run()
    return scenario.results_json()


@pytest.fixture(scope="module")
def revoked(tmp_path_factory) -> dict:
    """Done, then Authentication failed once CA-B revoked Host-B (as in Figure 4)."""
    return run(pair(a_profiles=ALWAYS_FRESH, events=REVOKE_THEN_RETRY, duration="5m"),
               tmp_path_factory.mktemp("r"))


def arrows(ax, gid: str) -> list[Annotation]:
    return [t for t in ax.texts if isinstance(t, Annotation) and t.get_gid() == gid]


def labels(ax) -> list[str]:
    return [t.get_text() for t in ax.texts if not isinstance(t, Annotation)]


def legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def outside_the_figure(ax) -> list[str]:
    """Every text a reader sees (labels, titles, notes, tick labels, legend entries) whose
    rendered extent leaves the figure."""
    figure = ax.figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    texts = [*ax.texts, ax.title, ax.xaxis.label, ax.yaxis.label]
    if ax.axison:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            texts += [t.label1 for t in axis.get_major_ticks() if low <= t.get_loc() <= high]
    if ax.get_legend() is not None:
        texts += ax.get_legend().get_texts()
    box = figure.bbox
    return [t.get_text() for t in texts if t.get_visible() and t.get_text()
            and not (box.x0 <= (e := t.get_window_extent(renderer)).x0 and e.x1 <= box.x1
                     and box.y0 <= e.y0 and e.y1 <= box.y1)]


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# -- ladder -------------------------------------------------------------------------------------

def test_ladder_shows_main_mode_with_the_last_two_messages_encrypted(revoked):
    ax = plots.ladder(revoked, 0)
    mm = [text for text in labels(ax) if text.startswith("MM")]
    assert mm == ["MM 1", "MM 2", "MM 3", "MM 4", "MM 5*", "MM 6*"]
    n = revoked["negotiations"][0]
    assert len(arrows(ax, "message")) == len(n["messages"])
    assert all(a.arrow_patch.get_linestyle() == "-" for a in arrows(ax, "message"))
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["Host-A\n(initiator)",
                                                                "Host-B\n(responder)"]
    assert "Host-A → Host-B" in ax.get_title() and "Phase-1 done" in ax.get_title()


def test_ladder_arrows_go_from_sender_to_receiver_at_the_send_time(revoked):
    ax = plots.ladder(revoked, 0)
    n = revoked["negotiations"][0]
    columns = {"Host-A": 0, "Host-B": 1}
    for arrow, message in zip(arrows(ax, "message"), n["messages"], strict=True):
        tail_x, tail_y = arrow.xyann
        assert tail_x == columns[message["sender"]]
        assert arrow.xy[0] == 1 - columns[message["sender"]]
        assert tail_y == pytest.approx((message["time"] - n["started_s"]) * 1000)  # in ms
    assert "(ms)" in ax.get_ylabel()


def test_ladder_shades_pkid_validation_on_the_validating_device(revoked):
    ax = plots.ladder(revoked, 0)
    bars = [p for p in ax.patches if p.get_gid() == "step"]
    steps = revoked["negotiations"][0]["steps"]
    assert len(bars) == len(steps) >= 2
    for bar, step in zip(bars, steps, strict=True):
        centre = bar.get_x() + bar.get_width() / 2
        assert centre == pytest.approx({"Host-A": 0, "Host-B": 1}[step["device"]])
        assert bar.get_height() == pytest.approx((step["end"] - step["start"]) * 1000)


def test_failed_ladder_names_the_error_and_draws_the_crl_downloads(revoked):
    ax = plots.ladder(revoked, 1)
    assert "Phase-1 failed: Authentication failed" in ax.get_title()
    assert "was revoked" in ax.get_xlabel()  # the reason, under the diagram
    (failure,) = [t for t in ax.texts if t.get_text() == "Authentication failed"]
    assert failure.get_position()[0] == pytest.approx(0.08)  # by Host-A, who failed it
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[2] == "CRL server 192.0.2.10"
    n = revoked["negotiations"][1]
    end = n["started_s"] + n["duration_s"]
    during = [d for d in revoked["crl_downloads"] if n["started_s"] <= d["started_s"] <= end]
    assert during and len(arrows(ax, "crl-request")) == len(during)
    assert {t for t in labels(ax) if t.startswith("GET")} == {
        "GET " + d["url"].rsplit("/", 1)[1] for d in during}
    assert all(a.arrow_patch.get_ec() == mcolors.to_rgba("#1565c0")
               for a in arrows(ax, "crl-response"))


def test_retransmission_is_dashed_and_keeps_its_number(tmp_path):
    lossy = pair(duration="5m").replace("latency: 5ms}", "latency: 5ms, loss: 0.3}")
    results = run(lossy, tmp_path, seed=5)
    messages = results["negotiations"][0]["messages"]
    again = [m for m in messages if m["retransmission"]]
    assert again, "seed 5 loses a datagram on this link"
    ax = plots.ladder(results, 0)
    dashed = [a for a in arrows(ax, "message") if a.arrow_patch.get_linestyle() == "--"]
    assert len(dashed) == len(again)
    texts = [t for t in labels(ax) if t.startswith("MM")]
    assert sorted(set(texts)) == ["MM 1", "MM 2", "MM 3", "MM 4", "MM 5*", "MM 6*"]
    assert len(texts) == len(messages)


def test_long_waits_are_squeezed_into_labelled_breaks(tmp_path):
    lossy = pair(duration="5m").replace("latency: 5ms}", "latency: 5ms, loss: 0.3}")
    results = run(lossy, tmp_path, seed=6)  # MM 6 lost again and again: timers 0.5, 1, 2, 4 s
    ax = plots.ladder(results, 0)
    breaks = [t.get_text() for t in ax.texts if t.get_gid() == "time-break"]
    assert breaks == ["455 ms later", "995 ms later", "1.99 s later", "3.99 s later"]
    # The squeeze bends the drawing only: arrows still sit at their true times.
    n = results["negotiations"][0]
    last = arrows(ax, "message")[-1]
    assert last.xyann[1] == pytest.approx(n["messages"][-1]["time"] - n["started_s"])
    top, bottom = (ax.transData.transform((0, y))[1] for y in (0.0, 0.06))
    assert abs(top - bottom) > 100  # the first 60 ms still take >100 px of an 800 px figure


def test_short_negotiation_has_no_breaks(revoked):
    ax = plots.ladder(revoked, 1)
    assert [t for t in ax.texts if t.get_gid() == "time-break"] == []


def test_failed_crl_download_is_red_with_its_reason(tmp_path):
    events = ("  - {at: 0s, server-down: {server: crl-server}}\n"
              "  - {at: 1s, initiate: {device: Host-A, gateway: gw}}")
    results = run(pair(duration="5m", events=events), tmp_path)
    ax = plots.ladder(results, 0)
    (request,) = arrows(ax, "crl-request")
    assert request.arrow_patch.get_ec() == mcolors.to_rgba(plots.FAILED)
    assert "connection timed out" in labels(ax)
    assert "(s)" in ax.get_ylabel()  # a 5 s timeout: seconds, not ms


def test_ladder_index_out_of_range(revoked):
    with pytest.raises(IndexError, match="negotiation 2: the run has 2 negotiations"):
        plots.ladder(revoked, 2)


# -- outcomes -----------------------------------------------------------------------------------

def test_outcome_bars_count_done_and_each_error(revoked):
    ax = plots.outcomes(revoked)
    heights = [p.get_height() for p in ax.patches]
    assert heights == [1, 1]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["done",
                                                            "Phase-1:\nAuthentication\nfailed"]
    assert [t.get_text() for t in ax.texts] == ["1", "1"]  # the count on each bar
    assert [p.get_facecolor() for p in ax.patches] == [mcolors.to_rgba(plots.DONE),
                                                       mcolors.to_rgba(plots.FAILED)]
    assert legend(ax) == ["done", "Phase-1 failed"]
    assert ax.get_ylabel() == "negotiations"
    assert ax.get_title() == "test: 2 negotiations, by final outcome"


def test_outcomes_of_a_run_without_negotiations():
    empty = {"scenario": "idle", "start": "2013-03-01T09:00:00Z", "devices": {},
             "hierarchy": {"nodes": [], "edges": []}, "negotiations": [], "crl_downloads": []}
    ax = plots.outcomes(empty)
    assert len(ax.patches) == 0 and labels(ax) == ["no negotiations"]


def test_results_must_be_a_dict():
    with pytest.raises(TypeError, match="results.json dict"):
        plots.outcomes([])


# -- hierarchy ----------------------------------------------------------------------------------

def colour_of(ax, name: str) -> tuple:
    """The face colour of the marker drawn where the node's label hangs."""
    (label,) = [t for t in ax.texts if t.get_text().split("\n")[0] == name]
    x, y = label.get_position()
    for collection in ax.collections:
        for i, (cx, cy) in enumerate(collection.get_offsets()):
            if (cx, cy) == pytest.approx((x, y + 0.2)):
                colours = collection.get_facecolors()
                return tuple(colours[i % len(colours)])
    raise AssertionError(f"no marker for {name}")


def test_hierarchy_colours_the_revoked_end_entity(revoked):
    ax = plots.hierarchy(revoked)
    red, green = (mcolors.to_rgba(plots.STATE_COLOURS[s]) for s in ("revoked", "ok"))
    assert colour_of(ax, "Host-B") == red
    for name in ("Root-CA", "CA-A", "CA-B", "Host-A"):
        assert colour_of(ax, name) == green
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["ok", "revoked"]


def test_hierarchy_is_top_down_with_children_under_their_issuer(revoked):
    ax = plots.hierarchy(revoked)
    where = {t.get_text(): t.get_position() for t in ax.texts if not isinstance(t, Annotation)}
    assert where["Root-CA"][1] > where["CA-A"][1] > where["Host-A"][1]
    assert where["CA-A"][1] == where["CA-B"][1]
    assert where["Host-A"][0] == where["CA-A"][0] < where["CA-B"][0] == where["Host-B"][0]
    assert where["Root-CA"][0] == pytest.approx((where["CA-A"][0] + where["CA-B"][0]) / 2)


def test_hierarchy_expired_unreachable_and_cross_certified(tmp_path):
    expired = pair(duration="5m", events=(
        "  - {at: 0s, server-down: {server: crl-server}}\n"
        "  - {at: 1s, initiate: {device: Host-A, gateway: gw}}")).replace(
        f"ip-address: {HOST_B}}}", f"ip-address: {HOST_B}, not-before: -3d, validity: 1d}}")
    results = run(expired, tmp_path,
                  before=lambda s: s.hierarchy.cross_certify("CA-A", "CA-B"))
    ax = plots.hierarchy(results)
    colours = {s: mcolors.to_rgba(c) for s, c in plots.STATE_COLOURS.items()}
    assert colour_of(ax, "Host-B") == colours["expired / not yet valid"]
    assert colour_of(ax, "Host-A") == colours["ok"]
    assert colour_of(ax, "CA-A") == colours["CRL unreachable"]
    (cross,) = arrows(ax, "cross-certificate")
    assert cross.arrow_patch.get_linestyle() == "--"
    assert all(a.arrow_patch.get_linestyle() == "-" for a in arrows(ax, "edge"))
    assert "cross-certificate" in [t.get_text() for t in ax.get_legend().get_texts()]


# -- many peers ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def many(tmp_path_factory) -> dict:
    events = "\n".join(f"  - {{at: {s}s, initiate: {{device: Host-A, gateway: gw}}}}"
                       for s in range(1, 22))
    return run(pair(events=events, duration="2m"), tmp_path_factory.mktemp("many"))


def test_completion_times_histogram_counts_every_done_negotiation(many):
    ax = plots.completion_times(many)
    done = [n for n in many["negotiations"] if n["phase1"] == "done"]
    assert len(done) == 21
    assert sum(p.get_height() for p in ax.patches) == 21
    assert "(ms)" in ax.get_xlabel()


def test_completions_over_time_climbs_to_the_total(many):
    ax = plots.completions_over_time(many)
    (line,) = ax.get_lines()
    assert line.get_label() == "done (21)"
    assert list(line.get_ydata()) == list(range(22))
    ends = sorted(n["started_s"] + n["duration_s"] for n in many["negotiations"])
    assert list(line.get_xdata())[1:] == pytest.approx(ends)


# -- files --------------------------------------------------------------------------------------

def test_write_plots_writes_the_figures_and_leaves_none_open(revoked, tmp_path):
    before = plt.get_fignums()
    paths = plots.write_plots(revoked, tmp_path / "plots")
    assert [p.name for p in paths] == ["outcomes.png", "ladder.png", "ladder-failed.png",
                                       "hierarchy.png"]
    assert png_size(paths[0]) == (750, 450)
    assert png_size(paths[1]) == png_size(paths[2]) == (930, 800)  # three lifelines
    assert plt.get_fignums() == before


def test_many_peers_add_the_timing_figures(many, tmp_path):
    paths = plots.write_plots(many, tmp_path)
    assert [p.name for p in paths] == ["outcomes.png", "ladder.png", "hierarchy.png",
                                       "completion-times.png", "completions.png"]
    assert all(png_size(p) == (750, 450) for p in paths[-2:])


def test_same_results_same_files(revoked, tmp_path):
    first = plots.write_plots(revoked, tmp_path / "a")
    second = plots.write_plots(revoked, tmp_path / "b")
    assert [png_size(p) for p in first] == [png_size(p) for p in second]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_no_negotiations_gives_outcomes_and_hierarchy_only(tmp_path):
    empty = {"scenario": "idle", "start": "2013-03-01T09:00:00Z", "devices": {},
             "hierarchy": {"nodes": [], "edges": []}, "negotiations": [], "crl_downloads": []}
    paths = plots.write_plots(empty, tmp_path)
    assert [p.name for p in paths] == ["outcomes.png", "hierarchy.png"]
    assert all(png_size(p) for p in paths)


def test_pending_negotiation_without_an_answer(revoked):
    """The responder never answered: the ladder still names the peer by its address's owner."""
    first = revoked["negotiations"][0]
    pending = dict(first, responder=None, phase1="pending", finished=None, duration_s=None,
                   steps=[], messages=first["messages"][:1])
    results = dict(revoked, negotiations=[pending], crl_downloads=[])
    ax = plots.ladder(results, 0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Host-A\n(initiator)",
                                                            "Host-B\n(responder)"]
    assert "Phase-1 pending" in ax.get_title()
    assert plots.completion_times(results).texts[0].get_text() == "no completed negotiations"


def test_many_end_entities_of_one_ca_become_one_node_per_state():
    nodes = [{"name": "Root", "kind": "ca", "issuer": None, "revoked": False, "expired": False,
              "not_yet_valid": False, "crl_urls": [], "crl_reachable": True}]
    nodes += [{"name": f"EE-{i}", "kind": "ee", "issuer": "Root", "revoked": i < 3,
               "expired": False, "not_yet_valid": False, "device": f"EE-{i}"}
              for i in range(20)]
    results = {"scenario": "many", "negotiations": [],
               "hierarchy": {"nodes": nodes, "edges": [
                   {"issuer": "Root", "subject": f"EE-{i}", "primary": True}
                   for i in range(20)]}}
    ax = plots.hierarchy(results)
    names = sorted(t.get_text() for t in ax.texts if not isinstance(t, Annotation))
    assert names == ["17 end entities (ok)\nof Root", "3 end entities (revoked)\nof Root",
                     "Root"]


def test_text_a_peer_or_a_topology_chose_is_drawn_as_text(revoked, tmp_path):
    """`$` would start matplotlib's mathtext (and a formula it cannot parse ends the run after
    the simulation); control characters would be missing glyphs, warned about on the
    terminal. Both are drawn as the logs show them."""
    import copy
    import warnings

    hostile = copy.deepcopy(revoked)
    failed = hostile["negotiations"][1]
    failed["error_detail"] = "peer ID x$\\foo{$y\x1b[2J is not in its certificate"
    failed["gateway"] = "gw$^$"
    hostile["scenario"] = "case$\\frac{"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a warning
        paths = plots.write_plots(hostile, tmp_path / "plots")
        ax = plots.ladder(hostile, 1)
        ax.figure.canvas.draw()
    assert {p.name for p in paths} >= {"ladder.png", "ladder-failed.png", "outcomes.png"}
    assert "x\\$\\foo{\\$y^[[2J" in ax.get_xlabel()
    assert hostile["negotiations"][1]["gateway"] == "gw$^$"  # the caller's results untouched


# -- what each figure claims, and that it fits ------------------------------------------------

ROUND_TICK = r"(0|[1-9]\d*|\d+\.\d{1,3}) (ms|s|min)"


@pytest.fixture(scope="module")
def phase2_failed(tmp_path_factory) -> dict:
    """The guide's Phase 2 proposal mismatch: Phase 1 done, Quick Mode: No proposal chosen."""
    from sim.topology import load_topology
    from sim.topology.library import CASES, topologies_dir

    topology = load_topology(topologies_dir() / CASES / "phase2-proposal-mismatch.yaml")
    scenario = Scenario.build(topology, out=tmp_path_factory.mktemp("p2") / "run")
    scenario.run()
    return scenario.results_json()


def test_phase2_failure_is_its_own_colour_not_done(phase2_failed):
    (n,) = phase2_failed["negotiations"]
    assert (n["phase1"], n["phase2"]) == ("done", "failed")
    ax = plots.outcomes(phase2_failed)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Phase-2: No\nproposal chosen"]
    (bar,) = ax.patches
    assert bar.get_facecolor() == mcolors.to_rgba(plot_base.PHASE2_FAILED) != \
        mcolors.to_rgba(plots.DONE)
    assert legend(ax) == ["Phase-2 failed"]
    ladder = plots.ladder(phase2_failed, 0)
    assert "Phase-2 failed: No proposal chosen" in ladder.get_title()
    assert "Phase-1 done" not in ladder.get_title()


def test_rekeys_count_once_by_their_own_outcome_hatched(revoked):
    import copy

    results = copy.deepcopy(revoked)
    results["negotiations"][1]["reason"] = "rekey"  # the failed one, as if it were a rekey
    ax = plots.outcomes(results)
    assert ax.get_title() == "test: 2 negotiations (1 of them rekeys), by final outcome"
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert [p.get_height() for p in hatched] == [0, 1]
    assert [t.get_text() for t in ax.texts] == ["1", "1"]
    assert legend(ax) == ["done", "Phase-1 failed", "rekeys"]


@pytest.mark.parametrize("rc", [{}, plots._RC], ids=["defaults", "as-written"])
def test_every_text_of_every_figure_is_inside_it(revoked, many, phase2_failed, rc):
    """With matplotlib's defaults (a notebook) and the settings write_plots draws with."""
    import copy

    import matplotlib

    long = copy.deepcopy(revoked)
    failed = long["negotiations"][1]
    failed["gateway"] = "ike_cert_gw_01"
    failed["error_detail"] = "the peer's certificate " + "is not what was expected " * 12
    long["crl_downloads"] = []  # two lifelines: the narrowest ladder
    with matplotlib.rc_context(rc):
        figures = [plots.ladder(r, i) for r in (revoked, long) for i in (0, 1)]
        figures += [plots.ladder(phase2_failed, 0), plots.outcomes(revoked),
                    plots.outcomes(phase2_failed), plots.hierarchy(revoked),
                    plots.completion_times(many), plots.completions_over_time(many)]
        for ax in figures:
            assert outside_the_figure(ax) == [], ax.get_title()
    title, notes = figures[3].get_title(), figures[3].get_xlabel()
    assert "\n" in title and "Phase-1 failed: Authentication failed" in title.replace("\n", " ")
    assert notes.count("\n") >= 2 and " ".join(notes.split()) == \
        "Host-A: " + " ".join(failed["error_detail"].split())


def test_compressed_time_axis_has_round_ticks_with_units_and_marked_breaks(tmp_path):
    lossy = pair(duration="5m").replace("latency: 5ms}", "latency: 5ms, loss: 0.3}")
    ax = plots.ladder(run(lossy, tmp_path, seed=6), 0)
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[0] == "0 s" and len(ticks) >= 5
    assert all(re.fullmatch(ROUND_TICK, t) for t in ticks), ticks
    breaks = [line for line in ax.get_lines() if line.get_gid() == "axis-break"]
    assert len(breaks) == len([t for t in ax.texts if t.get_gid() == "time-break"]) == 4
    assert ax.get_ylabel().endswith("(s)")


def test_troubleshoot_writes_the_case_plots_and_says_where(tmp_path, capsys):
    from sim.cli.main import main

    out = tmp_path / "case"
    assert main(["troubleshoot", "phase2-proposal-mismatch", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert f"Plots: {out / 'plots'}/ (hierarchy.png, ladder.png, outcomes.png)" in printed
    assert png_size(out / "plots" / "ladder.png")[1] == 800


def test_each_figure_names_its_axes_with_units_and_keys_what_it_draws(revoked, many):
    ladder = plots.ladder(revoked, 1)
    assert ladder.get_ylabel() == "simulated time since 2013-03-01T09:03:00Z (ms)"
    assert legend(ladder) == ["IKE message (* encrypted)", "pkid validation", "CRL download"]
    times = plots.completion_times(many)
    middle = sorted(n["duration_s"] for n in many["negotiations"])[10] * 1000
    assert times.get_xlabel() == "Phase-1 time, first message to done (ms)"
    assert times.get_ylabel() == "negotiations"
    assert legend(times) == [f"median {middle:.3g} ms"]
    over = plots.completions_over_time(many)
    assert over.get_xlabel() == "simulated time since 2013-03-01T09:00:00Z (s)"
    assert over.get_ylabel() == "negotiations (cumulative)"
    assert legend(over) == ["done (21)"]
    for ax in (times, over, plots.outcomes(many)):
        ax.figure.canvas.draw()
        ticks = [t.get_text() for t in (*ax.get_xticklabels(), *ax.get_yticklabels())]
        numbers = [t.replace("\N{MINUS SIGN}", "-") for t in ticks if t and t[0] != "d"]
        assert numbers and all(re.fullmatch(r"-?\d+(\.\d{1,2})?", t) for t in numbers), ticks


def test_lifelines_reach_the_last_arrows_head(revoked):
    ax = plots.ladder(revoked, 1)  # ends with kmd's Informational, arriving after the failure
    heads = [a.xy[1] for a in arrows(ax, "message")]
    lifelines = [line for line in ax.get_lines() if line.get_gid() == "lifeline"]
    assert len(lifelines) == 3
    assert all(max(line.get_ydata()) > max(heads) for line in lifelines)
    assert ax.spines["left"].get_bounds()[1] == pytest.approx(max(heads))
