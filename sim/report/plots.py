"""Figures of a run, drawn from its results.json dict alone (no simulator objects).

    paths = write_plots(json.loads(Path("runs/x/results.json").read_text()), Path("runs/x/plots"))

Each function draws into `ax` when given (a notebook's own axes) and otherwise into a new
figure of a fixed size, and returns the Axes. Figures are built with `Figure` and the Agg
canvas directly, never through pyplot: nothing global changes for the caller (backend, open
figures), and nothing is left open after `write_plots`.

The ladder of one negotiation is drawn by sim.report.ladder_plot (re-exported here); what the
figures share (colours, a fresh axes, the results check) is in sim.report.plot_base.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from statistics import median

import matplotlib
import networkx as nx
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from pki.files import write_file
from sim.report.certificates_plot import certificates
from sim.report.ladder_plot import ladder
from sim.report.plot_base import (
    DONE,
    DPI,
    FAILED,
    axes_for,
    checked,
    empty,
    final_outcome,
    outcome_colour,
    time_scale,
)

__all__ = ["completion_times", "completions_over_time", "hierarchy", "ladder", "outcomes",
           "write_plots"]

MANY = 20  # runs with at least this many negotiations also get the timing figures
_RC = {"svg.hashsalt": "ikesim", "font.size": 9, "figure.dpi": DPI, "savefig.dpi": DPI}

STATE_COLOURS = {"ok": "#43a047", "revoked": "#d32f2f", "expired / not yet valid": "#fb8c00",
                 "CRL unreachable": "#8e24aa"}


# -- outcomes ---------------------------------------------------------------------------------

def outcomes(results: Mapping, ax: Axes | None = None) -> Axes:
    """Negotiations by final outcome: one bar for done, one per failure (its phase and error
    text, as Junos words it), one per phase still pending; coloured by outcome (Phase-1 failed
    red, Phase-2 failed orange) and labelled with the count. A rekey (of an IKE SA or of an
    IPsec SA, each a negotiation of its own in results.json) counts once, by its own outcome,
    hatched on top of the first negotiations' part of its bar."""
    results = checked(results)
    negotiations = results["negotiations"]
    ax = axes_for(ax, (7.5, 4.5))
    counts: dict[str, Counter[bool]] = {}
    for n in negotiations:
        outcome = final_outcome(n)
        key = outcome if not outcome.endswith("failed") else \
            f"{outcome.split()[0]}: {n['error'] or 'failed (no error text)'}"
        counts.setdefault(key, Counter())[n.get("reason") == "rekey"] += 1
    rekeys = sum(c[True] for c in counts.values())
    ax.set_title(f"{results['scenario']}: {len(negotiations)} negotiation"
                 + ("" if len(negotiations) == 1 else "s")
                 + (f" ({rekeys} of them rekeys)" if rekeys else "") + ", by final outcome")
    if not counts:
        return empty(ax, "no negotiations")

    def order(key: str) -> tuple:
        rank = 0 if key == "done" else 1 if key.startswith("Phase-1:") else \
            2 if key.startswith("Phase-2:") else 3
        return rank, -sum(counts[key].values()), key

    names = sorted(counts, key=order)
    outcomes_of = [key if ":" not in key else f"{key.split(':')[0]} failed" for key in names]
    colours = [outcome_colour(o) for o in outcomes_of]
    first = [counts[k][False] for k in names]
    again = [counts[k][True] for k in names]
    ax.bar(range(len(names)), first, color=colours, width=0.6)
    if rekeys:
        ax.bar(range(len(names)), again, bottom=first, color=colours, width=0.6,
               hatch="//", edgecolor="white", gid="rekeys")
    totals = [a + b for a, b in zip(first, again, strict=True)]
    for i, total in enumerate(totals):
        ax.annotate(str(total), (i, total), xytext=(0, 2), textcoords="offset points",
                    ha="center", va="bottom", gid="count")
    ax.set_xticks(range(len(names)), [textwrap.fill(k, 18) for k in names])
    ax.set_ylabel("negotiations")
    ax.set_ylim(0, max(totals) * 1.3)  # the top band holds the legend
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    shown = list(dict.fromkeys(outcomes_of))
    handles = [Patch(color=outcome_colour(o), label=o) for o in shown]
    if rekeys:
        handles.append(Patch(facecolor="0.6", hatch="//", edgecolor="white", label="rekeys"))
    ax.legend(handles=handles, frameon=False, loc="upper center", ncol=len(handles), fontsize=8)
    return ax


# -- the CA hierarchy -------------------------------------------------------------------------

def node_state(node: Mapping) -> str:
    """The state a node is coloured by, the worst first."""
    if node["revoked"]:
        return "revoked"
    if node["expired"] or node["not_yet_valid"]:
        return "expired / not yet valid"
    if node["kind"] == "ca" and not node.get("crl_reachable", True):
        return "CRL unreachable"
    return "ok"


def _tree_layout(graph: nx.DiGraph, order: list[str]) -> dict[str, tuple[float, float]]:
    """Top-down: depth along primary (issuing) edges, leaves side by side, each parent centred
    over its children."""
    tree = nx.DiGraph((u, v) for u, v, p in graph.edges(data="primary") if p)
    tree.add_nodes_from(order)
    position: dict[str, tuple[float, float]] = {}
    next_leaf = 0.0

    def place(name: str, depth: int) -> float:
        nonlocal next_leaf
        position[name] = (0.0, -depth)  # reserved, so a cycle cannot recurse forever
        children = [c for c in tree.successors(name) if c not in position]
        if children:
            xs = [place(c, depth + 1) for c in children]
            x = (min(xs) + max(xs)) / 2
        else:
            x, next_leaf = next_leaf, next_leaf + 1
        position[name] = (x, -depth)
        return x

    for name in order:
        if tree.in_degree(name) == 0 and name not in position:
            place(name, 0)
    for name in order:  # only cycles are left
        if name not in position:
            place(name, 0)
    return position


def hierarchy(results: Mapping, ax: Axes | None = None) -> Axes:
    """CAs (squares) and end entities (circles) as a tree, coloured by state; cross-certificates
    (non-primary edges) dashed."""
    results = checked(results)
    data = _group_end_entities(results["hierarchy"])
    nodes = {node["name"]: node for node in data["nodes"]}
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((e["issuer"], e["subject"], {"primary": e["primary"]})
                         for e in data["edges"])
    position = _tree_layout(graph, list(graph.nodes))
    leaves = max((x for x, _ in position.values()), default=0) + 1
    depth = -min((y for _, y in position.values()), default=0) + 1
    ax = axes_for(ax, (min(30.0, max(7.0, 1.5 * leaves + 2)), min(12.0, max(4.5, 1.4 * depth + 2))))
    ax.set_title(f"{results['scenario']}: CA hierarchy and end entities at the end of the run")
    if not nodes:
        return empty(ax, "no CAs")
    crowded = leaves > 10

    for u, v, primary in graph.edges(data="primary"):
        ax.annotate("", xy=position[v], xytext=position[u], zorder=1,
                    gid="edge" if primary else "cross-certificate",
                    arrowprops={"arrowstyle": "-|>", "color": "0.45" if primary else "#1565c0",
                                "linestyle": "-" if primary else "--", "lw": 1.2,
                                "shrinkA": 13, "shrinkB": 13,
                                "connectionstyle": "arc3" if primary else "arc3,rad=0.25"})
    groups: dict[tuple[str, str], list[str]] = {}
    for name, node in nodes.items():
        groups.setdefault((node_state(node), node["kind"]), []).append(name)
    for (state, kind), names in sorted(groups.items()):
        ax.scatter([position[n][0] for n in names], [position[n][1] for n in names],
                   s=420 if kind == "ca" else 300, marker="s" if kind == "ca" else "o",
                   color=STATE_COLOURS[state], edgecolors="black", linewidths=0.8, zorder=2,
                   gid=f"{kind}:{state}")
    for name, node in nodes.items():
        text = name
        if node["kind"] == "ee" and node.get("device") not in (None, name):
            text += f"\n({node['device']})"
        vertical = crowded and node["kind"] == "ee"
        ax.text(position[name][0], position[name][1] - 0.2, text, ha="center", va="top",
                fontsize=8 if crowded else 9, rotation=90 if vertical else 0, zorder=3,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})

    states = sorted({node_state(node) for node in nodes.values()}, key=list(STATE_COLOURS).index)
    handles = [Patch(color=STATE_COLOURS[s], label=s) for s in states]
    handles += [Line2D([], [], marker="s", ls="", color="0.6", mec="black", ms=10, label="CA"),
                Line2D([], [], marker="o", ls="", color="0.6", mec="black", ms=9,
                       label="end entity")]
    if not all(p for _, _, p in graph.edges(data="primary")):
        handles.append(Line2D([], [], color="#1565c0", ls="--", label="cross-certificate"))
    ax.legend(handles=handles, loc="upper center", ncol=4, frameon=False)
    ax.set_xlim(-0.7, leaves - 0.3)
    ax.set_ylim(-depth + 1 - (1.3 if crowded else 0.7), 1.0)  # the top band holds the legend
    ax.set_axis_off()
    return ax


GROUP_LIMIT = 8  # end entities of one CA drawn one by one; past that, one node per state


def _group_end_entities(data: Mapping) -> dict:
    """A CA with many end entities (a hub's spokes) gets one node per state, labelled with the
    count, so the tree stays readable."""
    nodes = list(data["nodes"])
    by_issuer: dict[str, list[dict]] = {}
    for node in nodes:
        if node["kind"] == "ee" and node.get("issuer"):
            by_issuer.setdefault(node["issuer"], []).append(node)
    crowded = {ca for ca, ees in by_issuer.items() if len(ees) > GROUP_LIMIT}
    if not crowded:
        return dict(data)
    kept = [n for n in nodes if not (n["kind"] == "ee" and n.get("issuer") in crowded)]
    edges = [e for e in data["edges"]
             if not (e["issuer"] in crowded and e["subject"] not in {n["name"] for n in kept})]
    for ca in sorted(crowded):
        states: dict[str, list[dict]] = {}
        for node in by_issuer[ca]:
            states.setdefault(node_state(node), []).append(node)
        for state, members in sorted(states.items()):
            name = f"{len(members)} end entities ({state})" if len(states) > 1 \
                else f"{len(members)} end entities"
            name = f"{name}\nof {ca}"
            kept.append({**members[0], "name": name, "device": None})
            edges.append({"issuer": ca, "subject": name, "primary": True})
    return {"nodes": kept, "edges": edges}


# -- timing, for runs with many peers ----------------------------------------------------------

def completion_times(results: Mapping, ax: Axes | None = None) -> Axes:
    """Histogram of Phase-1 durations of the negotiations that were done."""
    results = checked(results)
    done = [n["duration_s"] for n in results["negotiations"]
            if n["phase1"] == "done" and n.get("duration_s") is not None]
    ax = axes_for(ax, (7.5, 4.5))
    ax.set_title(f"{results['scenario']}: Phase-1 completion times ({len(done)} done)")
    if not done:
        return empty(ax, "no completed negotiations")
    scale, unit = time_scale(max(done))
    values = [d * scale for d in done]
    bins = max(5, min(40, round(math.sqrt(len(values)) * 2)))
    ax.hist(values, bins=bins, color=DONE, edgecolor="white")
    middle = median(values)
    ax.axvline(middle, color="black", ls="--", lw=1, label=f"median {middle:.3g} {unit}")
    ax.legend(frameon=False)
    ax.set_xlabel(f"Phase-1 time, first message to done ({unit})")
    ax.set_ylabel("negotiations")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def completions_over_time(results: Mapping, ax: Axes | None = None) -> Axes:
    """Cumulative count of done and failed Phase-1 negotiations against simulated time."""
    results = checked(results)
    negotiations = results["negotiations"]
    ax = axes_for(ax, (7.5, 4.5))
    ax.set_title(f"{results['scenario']}: Phase-1 negotiations finished over time")
    ends = {outcome: sorted(n["started_s"] + n["duration_s"] for n in negotiations
                            if n["phase1"] == outcome and n.get("duration_s") is not None)
            for outcome in ("done", "failed")}
    if not any(ends.values()):
        return empty(ax, "no finished negotiations")
    scale, unit = time_scale(max(t for times in ends.values() for t in times))
    for outcome, colour in (("done", DONE), ("failed", FAILED)):
        times = [t * scale for t in ends[outcome]]
        if times:
            ax.step([0.0, *times], range(len(times) + 1), where="post", color=colour,
                    label=f"{outcome} ({len(times)})")
    ax.set_xlabel(f"simulated time since {results['start']} ({unit})")
    ax.set_ylabel("negotiations (cumulative)")
    ax.set_xlim(left=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(frameon=False, loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


# -- all of them ------------------------------------------------------------------------------

def write_plots(results: dict, out_dir: Path) -> list[Path]:
    """outcomes.png, ladder.png (the first negotiation), ladder-failed.png (the first failed
    one, when not the first), hierarchy.png and, for runs of at least MANY negotiations,
    completion-times.png and completions.png. Returns the paths written."""
    results = checked(results)  # made safe to draw once, for every figure
    negotiations = results["negotiations"]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [("outcomes.png", lambda: outcomes(results))]
    if negotiations:
        jobs.append(("ladder.png", lambda: ladder(results, 0)))
        failed = next((i for i, n in enumerate(negotiations) if n["phase1"] == "failed"), None)
        if failed not in (None, 0):
            jobs.append(("ladder-failed.png", lambda: ladder(results, failed)))
    jobs.append(("hierarchy.png", lambda: hierarchy(results)))
    if len(negotiations) >= MANY:
        jobs += [("completion-times.png", lambda: completion_times(results)),
                 ("completions.png", lambda: completions_over_time(results))]
    if results.get("enrollments"):  # a run with online enrollment (sim.report.certificates_plot)
        jobs.append(("certificates.png", lambda: certificates(results)))
    paths = []
    with matplotlib.rc_context(_RC):
        for name, draw in jobs:
            figure = draw().figure
            path = out_dir / name
            # No Software/date metadata: the same results give the same bytes. Drawn to memory
            # and written with write_file: replaced whole, never through a planted symlink.
            png = io.BytesIO()
            figure.savefig(png, format="png", dpi=DPI, metadata={"Software": None})
            figure.clear()
            write_file(path, png.getvalue())
            paths.append(path)
    return paths
