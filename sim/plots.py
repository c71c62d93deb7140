"""Figures of a run, drawn from its results.json dict alone (no simulator objects).

    paths = write_plots(json.loads(Path("runs/x/results.json").read_text()), Path("runs/x/plots"))

Each function draws into `ax` when given (a notebook's own axes) and otherwise into a new
figure of a fixed size, and returns the Axes. Figures are built with `Figure` and the Agg
canvas directly, never through pyplot: nothing global changes for the caller (backend, open
figures), and nothing is left open after `write_plots`.

results.json records when each datagram was sent, not when it arrived, so the ladder draws an
arrow's head one link delay later, taking the delay as the quickest answer seen in that
negotiation (a responder answers a Main Mode message at once).
"""

from __future__ import annotations

import math
import textwrap
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from statistics import median
from urllib.parse import urlsplit

import matplotlib
import networkx as nx
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

__all__ = ["completion_times", "completions_over_time", "hierarchy", "ladder", "outcomes",
           "write_plots"]

DPI = 100
MANY = 20  # runs with at least this many negotiations also get the timing figures
_RC = {"svg.hashsalt": "ikesim", "font.size": 9, "figure.dpi": DPI, "savefig.dpi": DPI}

DONE, FAILED, PENDING = "#2e7d32", "#c62828", "#9e9e9e"
STATE_COLOURS = {"ok": "#43a047", "revoked": "#d32f2f", "expired / not yet valid": "#fb8c00",
                 "CRL unreachable": "#8e24aa"}
_EXCHANGES = {"IDENTITY_PROTECTION": "MM", "AGGRESSIVE": "AM", "QUICK_MODE": "QM",
              "INFORMATIONAL": "Info"}


# -- helpers ----------------------------------------------------------------------------------

def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure.add_subplot()


def _checked(results: object) -> Mapping:
    if not isinstance(results, Mapping):
        raise TypeError(f"results must be the results.json dict, not {type(results).__name__}")
    return results


def _scale(span: float) -> tuple[float, str]:
    """A multiplier and unit that keep a span of seconds readable."""
    if span < 1:
        return 1000.0, "ms"
    if span < 300:
        return 1.0, "s"
    if span < 3 * 3600:
        return 1 / 60, "min"
    return 1 / 3600, "h"


def _empty(ax: Axes, text: str) -> Axes:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


# -- outcomes ---------------------------------------------------------------------------------

def outcomes(results: Mapping, ax: Axes | None = None) -> Axes:
    """Negotiations by Phase-1 result: one bar for done, one per failure error text (as Junos
    words it), one for still pending; each bar labelled with its count."""
    negotiations = _checked(results)["negotiations"]
    ax = _axes(ax, (7.5, 4.5))
    counts: Counter[str] = Counter()
    for n in negotiations:
        if n["phase1"] == "failed":
            counts[n["error"] or "failed (no error text)"] += 1
        else:
            counts[n["phase1"]] += 1
    ax.set_title(f"{results['scenario']}: {len(negotiations)} Phase-1 negotiations")
    if not counts:
        return _empty(ax, "no negotiations")
    failures = sorted((k for k in counts if k not in ("done", "pending")),
                      key=lambda k: (-counts[k], k))
    names = [k for k in ("done",) if k in counts] + failures + \
        [k for k in ("pending",) if k in counts]
    colours = [DONE if k == "done" else PENDING if k == "pending" else FAILED for k in names]
    bars = ax.bar(range(len(names)), [counts[k] for k in names], color=colours, width=0.6)
    ax.bar_label(bars, padding=2)
    ax.set_xticks(range(len(names)), [textwrap.fill(k, 18) for k in names])
    ax.set_ylabel("negotiations")
    ax.set_ylim(0, max(counts.values()) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    return ax


# -- the ladder (sequence diagram) of one negotiation -----------------------------------------

def _owners(results: Mapping) -> dict[str, str]:
    owners = {}
    for name, device in results["devices"].items():
        for address in [device["address"], *device.get("addresses", [])]:
            owners[address] = name
    return owners


def _labels(messages: list[dict]) -> list[str]:
    """"MM 1".."MM 6": numbered within each exchange, a retransmission keeps its number."""
    numbers: dict[str, list[int]] = {}
    for m in messages:
        seen = numbers.setdefault(m["exchange"], [])
        if m["number"] not in seen:
            seen.append(m["number"])
    labels = []
    for m in messages:
        short = _EXCHANGES.get(m["exchange"], m["exchange"])
        if short != "Info":
            short = f"{short} {numbers[m['exchange']].index(m['number']) + 1}"
        text = short
        labels.append(text + ("*" if m["encrypted"] else ""))
    return labels


def _link_delay(messages: list[dict], owners: dict[str, str]) -> float:
    gaps = []
    for i, m in enumerate(messages):
        receiver = owners.get(m["receiver"], m["receiver"])
        answer = next((a for a in messages[i + 1:]
                       if a["sender"] == receiver and a["time"] > m["time"]), None)
        if answer is not None:
            gaps.append(answer["time"] - m["time"])
    return min(gaps, default=0.0)


def _window(negotiation: Mapping) -> tuple[float, float]:
    start = negotiation["started_s"]
    ends = [start + (negotiation.get("duration_s") or 0.0)]
    ends += [m["time"] for m in negotiation["messages"]]
    ends += [s["end"] for s in negotiation["steps"]]
    return start, max(ends)


def ladder(results: Mapping, index: int = 0, ax: Axes | None = None) -> Axes:
    """The sequence diagram of negotiation `index`: devices' lifelines (and the CRL servers they
    downloaded from meanwhile), time running down from the negotiation's start."""
    negotiations = _checked(results)["negotiations"]
    if not -len(negotiations) <= index < len(negotiations):
        raise IndexError(f"negotiation {index}: the run has {len(negotiations)} negotiations")
    n = negotiations[index]
    owners = _owners(results)
    start, end = _window(n)
    responder = n["responder"] or owners.get(n["peer_address"], n["peer_address"])
    lifelines = [n["initiator"], responder]
    for m in n["messages"]:
        for who in (m["sender"], owners.get(m["receiver"], m["receiver"])):
            if who not in lifelines:
                lifelines.append(who)
    downloads = [d for d in results.get("crl_downloads", [])
                 if d["device"] in lifelines and start <= d["started_s"] <= end]
    servers = {d["url"]: f"CRL server {urlsplit(d['url']).hostname or d['url']}"
               for d in downloads}
    for server in servers.values():
        if server not in lifelines:
            lifelines.append(server)
    end = max([end, *(d["finished_s"] for d in downloads)])
    x = {name: i for i, name in enumerate(lifelines)}
    delay = _link_delay(n["messages"], owners)
    times = _TimeAxis([start, end, *(m["time"] + d for m in n["messages"] for d in (0, delay)),
                       *(t for s in n["steps"] for t in (s["start"], s["end"])),
                       *(t for d in downloads for t in (d["started_s"], d["finished_s"]))],
                      start=start)
    y = times.y

    ax = _axes(ax, (max(6.5, 2.6 * len(lifelines) + 1.5), 8.0))
    span = y(end)
    for i in range(len(lifelines)):
        ax.plot([i, i], [0, times.beyond(span, 0.02)], color="0.55", lw=1, zorder=1)
    roles = {n["initiator"]: "initiator", responder: "responder"}
    ax.set_xticks(range(len(lifelines)), [
        name + (f"\n({roles[name]})" if name in roles else "") for name in lifelines])
    ax.xaxis.tick_top()
    ax.tick_params(axis="x", length=0, labelsize=10)
    ax.set_xlim(-0.6, len(lifelines) - 0.4)
    times.apply(ax)
    ax.set_ylabel(f"simulated time since {n['started'] or 'start'} ({times.unit})")
    ax.spines[["top", "right", "bottom"]].set_visible(False)

    for step in n["steps"]:
        top, height = y(step["start"]), y(step["end"]) - y(step["start"])
        bar = Rectangle((x[step["device"]] - 0.05, top), 0.1, height, facecolor="#ffcc80",
                        edgecolor="#e65100", lw=0.8, zorder=2, gid="step")
        ax.add_patch(bar)
        length = step["end"] - step["start"]
        duration = f"{length * 1000:.1f} ms" if length < 1 else f"{length:.2f} s"
        side = -1 if x[step["device"]] == 0 else 1
        ax.text(x[step["device"]] + side * 0.08, times.middle(top, top + height),
                f"{step['what']}\n{duration}", ha="right" if side < 0 else "left",
                va="center", fontsize=7, color="#e65100", zorder=4)

    for m, label in zip(n["messages"], _labels(n["messages"]), strict=True):
        sender, receiver = x[m["sender"]], x[owners.get(m["receiver"], m["receiver"])]
        _arrow(ax, (sender, y(m["time"])), (receiver, y(m["time"] + delay)), label,
               color="black", dashed=m["retransmission"], gid="message")

    for d in downloads:
        _download(ax, d, device=x[d["device"]], server=x[servers[d["url"]]], y=y, delay=delay)

    outcome = f"Phase-1 {n['phase1']}" + (f": {n['error']}" if n["error"] else "")
    ax.set_title(f"{n['initiator']} → {responder} (gateway {n['gateway']}), {outcome}",
                 color=FAILED if n["phase1"] == "failed" else "black", pad=12)
    if n.get("error_detail"):
        who = f"{n['failed_on']}: " if n.get("failed_on") else ""
        ax.set_xlabel(textwrap.fill(who + n["error_detail"], 110),
                      fontsize=8, color=FAILED)
    if n["phase1"] == "failed" and n.get("failed_on") in x and n.get("duration_s") is not None:
        at = y(start + n["duration_s"])
        ax.plot([x[n["failed_on"]]], [at], marker="X", color=FAILED, ms=11, zorder=5)
        ax.text(x[n["failed_on"]] + 0.08, at, n["error"] or "failed", color=FAILED,
                fontsize=8, fontweight="bold", va="center", zorder=5)
    ax.spines["left"].set_bounds(0, span)
    _ladder_legend(ax, n["messages"], n["steps"], downloads)
    return ax


def _download(ax: Axes, d: Mapping, *, device: int, server: int,
              y: Callable[[float], float], delay: float) -> None:
    """A CRL download: request and response arrows, or the request and a red cross where the
    device gave up."""
    file = d["url"].rsplit("/", 1)[-1] or d["url"]
    middle = (d["started_s"] + d["finished_s"]) / 2
    if d["ok"]:
        _arrow(ax, (device, y(d["started_s"])), (server, y(middle)), f"GET {file}",
               color="#1565c0", gid="crl-request")
        _arrow(ax, (server, y(middle)), (device, y(d["finished_s"])), "CRL",
               color="#1565c0", gid="crl-response")
    else:
        reach = d["started_s"] + min(delay or 0.01, d["finished_s"] - d["started_s"])
        _arrow(ax, (device, y(d["started_s"])), (server, y(reach)), f"GET {file}",
               color=FAILED, gid="crl-request")
        ax.plot([device], [y(d["finished_s"])], marker="X", color=FAILED, ms=9, zorder=5)
        ax.text(device + 0.08, y(d["finished_s"]), d["reason"] or "download failed",
                color=FAILED, fontsize=7, va="center", zorder=5)


def _ladder_legend(ax: Axes, messages: list[dict], steps: list[dict],
                   downloads: list[dict]) -> None:
    """A key for what this ladder shows, and nothing it does not."""
    handles = [Line2D([], [], color="black", label="IKE message (* encrypted)")]
    if any(m["retransmission"] for m in messages):
        handles.append(Line2D([], [], color="black", ls="--", label="retransmission"))
    if steps:
        handles.append(Patch(facecolor="#ffcc80", edgecolor="#e65100", label="pkid validation"))
    if any(d["ok"] for d in downloads):
        handles.append(Line2D([], [], color="#1565c0", label="CRL download"))
    if not all(d["ok"] for d in downloads):
        handles.append(Line2D([], [], color=FAILED, label="CRL download failed"))
    ax.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)


class _TimeAxis:
    """Simulated time down a ladder, with stretches where nothing happens (a retransmission
    timer, a CRL download timing out) squeezed to a short shaded break, so six messages 5 ms
    apart stay readable next to a 10 s wait. Values stay true times: only the drawing bends."""

    IDLE = 0.25  # seconds without an event that make a break

    def __init__(self, moments: list[float], *, start: float) -> None:
        offsets = sorted({t - start for t in moments})
        self.start = start
        self.scale, self.unit = _scale(offsets[-1] - offsets[0])
        gaps = [(a, b) for a, b in zip(offsets, offsets[1:], strict=False) if b - a > self.IDLE]
        busy = offsets[-1] - offsets[0] - sum(b - a for a, b in gaps)
        squeezed = min(max(0.02, 0.12 * busy), self.IDLE)
        real, drawn = [0.0], [0.0]
        for a, b in gaps:
            drawn += [drawn[-1] + a - real[-1], drawn[-1] + a - real[-1] + squeezed]
            real += [a, b]
        far = 1e12  # straight on beyond the ends, for margins
        real = [-far, *real, offsets[-1], offsets[-1] + far]
        drawn = [-far, *drawn, drawn[-1] + offsets[-1] - real[-3], drawn[-1] + offsets[-1]
                 - real[-3] + far]
        self._real = np.array(real) * self.scale
        self._drawn = np.array(drawn) * self.scale
        self.gaps = [(a * self.scale, b * self.scale) for a, b in gaps]
        self.span = offsets[-1] * self.scale

    def y(self, t: float) -> float:
        return (t - self.start) * self.scale

    def _forward(self, v):
        return np.interp(v, self._real, self._drawn)

    def _inverse(self, v):
        return np.interp(v, self._drawn, self._real)

    def middle(self, a: float, b: float) -> float:
        return float(self._inverse((self._forward(a) + self._forward(b)) / 2))

    def beyond(self, value: float, fraction: float) -> float:
        """`value` moved down by a fraction of the drawn height."""
        height = float(self._forward(self.span)) or 1.0
        return float(self._inverse(self._forward(value) + fraction * height))

    def apply(self, ax: Axes) -> None:
        ax.set_yscale("function", functions=(self._forward, self._inverse))
        # time runs down; room at the bottom for the legend
        ax.set_ylim(self.beyond(self.span, 0.22), self.beyond(0.0, -0.03))
        ticks: list[float] = []
        edges = [0.0, *(t for gap in self.gaps for t in gap), self.span]
        height = float(self._forward(self.span)) or 1.0
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            share = (float(self._forward(b)) - float(self._forward(a))) / height
            if share < 0.15:  # a short burst: its start is enough, more would collide
                ticks.append(a)
                continue
            ticks += [t for t in MaxNLocator(nbins=max(2, round(8 * share))).tick_values(a, b)
                      if a - 1e-9 <= t <= b + 1e-9]
        ax.yaxis.set_major_locator(FixedLocator(ticks))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.6g}"))
        ax.yaxis.set_minor_locator(NullLocator())
        for a, b in self.gaps:
            ax.axhspan(a, b, color="0.93", zorder=0, lw=0)
            ax.text(0.01, self.middle(a, b), f"{(b - a):.3g} {self.unit} later",
                    ha="left", va="center", fontsize=7, color="0.45", style="italic",
                    transform=ax.get_yaxis_transform(), zorder=4, gid="time-break")


def _arrow(ax: Axes, tail: tuple[float, float], head: tuple[float, float], label: str, *,
           color: str, gid: str, dashed: bool = False) -> None:
    ax.annotate("", xy=head, xytext=tail, zorder=3, gid=gid,
                arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.2,
                            "linestyle": "--" if dashed else "-", "shrinkA": 0, "shrinkB": 0})
    middle = ((tail[0] + head[0]) / 2, (tail[1] + head[1]) / 2)
    ax.text(*middle, label, ha="center", va="center", fontsize=8, color=color, zorder=4,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})


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
    data = _checked(results)["hierarchy"]
    nodes = {node["name"]: node for node in data["nodes"]}
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((e["issuer"], e["subject"], {"primary": e["primary"]})
                         for e in data["edges"])
    position = _tree_layout(graph, list(graph.nodes))
    leaves = max((x for x, _ in position.values()), default=0) + 1
    depth = -min((y for _, y in position.values()), default=0) + 1
    ax = _axes(ax, (min(30.0, max(7.0, 1.5 * leaves + 2)), min(12.0, max(4.5, 1.4 * depth + 2))))
    ax.set_title(f"{results['scenario']}: CA hierarchy and end entities at the end of the run")
    if not nodes:
        return _empty(ax, "no CAs")
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


# -- timing, for runs with many peers ----------------------------------------------------------

def completion_times(results: Mapping, ax: Axes | None = None) -> Axes:
    """Histogram of Phase-1 durations of the negotiations that were done."""
    done = [n["duration_s"] for n in _checked(results)["negotiations"]
            if n["phase1"] == "done" and n.get("duration_s") is not None]
    ax = _axes(ax, (7.5, 4.5))
    ax.set_title(f"{results['scenario']}: Phase-1 completion times ({len(done)} done)")
    if not done:
        return _empty(ax, "no completed negotiations")
    scale, unit = _scale(max(done))
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
    negotiations = _checked(results)["negotiations"]
    ax = _axes(ax, (7.5, 4.5))
    ax.set_title(f"{results['scenario']}: Phase-1 negotiations finished over time")
    ends = {outcome: sorted(n["started_s"] + n["duration_s"] for n in negotiations
                            if n["phase1"] == outcome and n.get("duration_s") is not None)
            for outcome in ("done", "failed")}
    if not any(ends.values()):
        return _empty(ax, "no finished negotiations")
    scale, unit = _scale(max(t for times in ends.values() for t in times))
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
    negotiations = _checked(results)["negotiations"]
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
    paths = []
    with matplotlib.rc_context(_RC):
        for name, draw in jobs:
            figure = draw().figure
            path = out_dir / name
            # No Software/date metadata: the same results give the same bytes.
            figure.savefig(path, dpi=DPI, metadata={"Software": None})
            figure.clear()
            paths.append(path)
    return paths
