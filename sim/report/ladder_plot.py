"""The ladder (sequence diagram) of one negotiation, drawn from a run's results.json dict:
`ladder(results, index)` puts the devices' lifelines (and the CRL servers they downloaded
from meanwhile) side by side, time running down, and squeezes idle stretches to a shaded break
(_TimeAxis). sim.report.plots re-exports it and writes it to ladder.png.

results.json records when each datagram was sent, not when it arrived, so the ladder draws an
arrow's head one link delay later, taking the delay as the quickest answer seen in that
negotiation (a responder answers a Main Mode message at once).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.patheffects import withStroke
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from sim.report.plot_base import (
    FAILED,
    axes_for,
    checked,
    final_outcome,
    fit_width,
    outcome_colour,
    time_scale,
)

__all__ = ["ladder"]

_EXCHANGES = {"IDENTITY_PROTECTION": "MM", "AGGRESSIVE": "AM", "QUICK_MODE": "QM",
              "INFORMATIONAL": "Info"}


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
    results = checked(results)
    negotiations = results["negotiations"]
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

    ax = axes_for(ax, (max(6.5, 2.6 * len(lifelines) + 1.5), 8.0))
    # The lifelines run on to the last arrow's head (a message arrives one delay after it is sent).
    span = y(max([end, *(m["time"] + delay for m in n["messages"])]))
    for i in range(len(lifelines)):
        ax.plot([i, i], [0, times.beyond(span, 0.02)], color="0.55", lw=1, zorder=1,
                gid="lifeline")
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
        if m.get("lost"):  # the network never delivered it: the arrow stops on the way
            tip = (sender + (receiver - sender) * 0.6, y(m["time"] + delay * 0.6))
            _arrow(ax, (sender, y(m["time"])), tip, label, color=FAILED,
                   dashed=m["retransmission"], gid="lost-message")
            ax.plot([tip[0]], [tip[1]], marker="x", color=FAILED, ms=7, zorder=5)
            continue
        _arrow(ax, (sender, y(m["time"])), (receiver, y(m["time"] + delay)), label,
               color="black", dashed=m["retransmission"], gid="message")

    for d in downloads:
        _download(ax, d, device=x[d["device"]], server=x[servers[d["url"]]], y=y, delay=delay)

    outcome = final_outcome(n)
    failed = outcome.endswith("failed")
    if outcome == "done":
        outcome = "Phase-1 done" + (", Phase-2 done" if n["phase2"] == "done" else "")
    outcome += f": {n['error']}" if n["error"] and failed else ""
    ax.set_title(f"{n['initiator']} → {responder} (gateway {n['gateway']}), {outcome}",
                 color=outcome_colour(final_outcome(n)) if failed else "black", pad=12)
    notes = []
    if n.get("error_detail"):
        who = f"{n['failed_on']}: " if n.get("failed_on") else ""
        notes.append(who + n["error_detail"])
    if n.get("network_cause"):
        notes.append(f"On the path: {n['network_cause']}")
    if notes:
        ax.set_xlabel("\n".join(notes), fontsize=8, color=FAILED)
    if failed and n.get("failed_on") in x and n.get("duration_s") is not None:
        at, column = y(start + n["duration_s"]), x[n["failed_on"]]
        colour = outcome_colour(final_outcome(n))
        ax.plot([column], [at], marker="X", color=colour, ms=11, zorder=5)
        _beside(ax, column, at, textwrap.fill(n["error"] or "failed", 24), last=len(x) - 1,
                color=colour, fontsize=8, fontweight="bold", zorder=5, va="top")
    ax.spines["left"].set_bounds(0, span)
    _ladder_legend(ax, n["messages"], n["steps"], downloads)
    for text in (ax.title, ax.xaxis.label):  # once all else is in place: the layout is final
        fit_width(text)
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
        _beside(ax, device, y(d["finished_s"]), textwrap.fill(d["reason"] or "download failed",
                                                              24),
                last=None, color=FAILED, fontsize=7, zorder=5, va="bottom")


def _beside(ax: Axes, column: int, at: float, text: str, *, last: int | None,
            **style: object) -> None:
    """Text beside a lifeline, on its right unless it is the last one (the figure ends there)."""
    left = column == last
    ax.text(column + (-0.08 if left else 0.08), at, text, ha="right" if left else "left",
            **{"va": "center", **style})


def _ladder_legend(ax: Axes, messages: list[dict], steps: list[dict],
                   downloads: list[dict]) -> None:
    """A key for what this ladder shows, and nothing it does not."""
    handles = [Line2D([], [], color="black", label="IKE message (* encrypted)")]
    if any(m["retransmission"] for m in messages):
        handles.append(Line2D([], [], color="black", ls="--", label="retransmission"))
    if any(m.get("lost") for m in messages):
        handles.append(Line2D([], [], color=FAILED, marker="x", label="lost on the path"))
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
        gaps = [(a, b) for a, b in zip(offsets, offsets[1:], strict=False) if b - a > self.IDLE]
        span = offsets[-1] - offsets[0]
        busy = span - sum(b - a for a, b in gaps)
        # The unit of what is drawn at true scale (the breaks say their own): minutes for a
        # 6 min wait would make every tick of its 5 ms bursts a long fraction.
        self.scale, self.unit = time_scale(span if span < 1 else min(span, max(busy, 1.0)))
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
            if share < 0.15:  # a short burst: one round tick in it, more would collide
                near = 0.01 * height  # drawn as true time here: a hair's breadth
                tick = _roundest(a, b)
                tick = _roundest(a - near, b + near) if tick is None else tick
                ticks += [] if tick is None else [tick]
                continue
            ticks += [t for t in MaxNLocator(nbins=max(2, round(8 * share))).tick_values(a, b)
                      if a - 1e-9 <= t <= b + 1e-9]
        ax.yaxis.set_major_locator(FixedLocator(ticks))
        unit = self.unit
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.6g} {unit}"))
        ax.yaxis.set_minor_locator(NullLocator())
        for a, b in self.gaps:
            ax.axhspan(a, b, color="0.93", zorder=0, lw=0)
            at = self.middle(a, b)
            scale, unit = time_scale((b - a) / self.scale)
            ax.annotate(f"{(b - a) / self.scale * scale:.3g} {unit} later", (0, at),
                        xycoords=ax.get_yaxis_transform(), xytext=(9, 0),
                        textcoords="offset points", ha="left", va="center", fontsize=7,
                        color="0.45", style="italic", zorder=4, gid="time-break")
            # The break marked on the axis itself: its scale is not continuous here.
            ax.plot([0], [at], transform=ax.get_yaxis_transform(), marker="$\\approx$",
                    ms=12, color="0.3", mfc="0.3", clip_on=False, zorder=6, gid="axis-break",
                    path_effects=[withStroke(linewidth=4, foreground="white")])


def _roundest(low: float, high: float) -> float | None:
    """The number in [low, high] with the fewest significant decimals (6.002 for 6.00134 to
    6.0045): a tick label a reader takes in at a glance, at its true place."""
    for decimals in range(-4, 7):
        step = 10.0 ** -decimals
        value = math.ceil(low / step - 1e-9) * step
        if value <= high + 1e-12:
            return round(value, max(decimals, 0))
    return None


def _arrow(ax: Axes, tail: tuple[float, float], head: tuple[float, float], label: str, *,
           color: str, gid: str, dashed: bool = False) -> None:
    ax.annotate("", xy=head, xytext=tail, zorder=3, gid=gid,
                arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.2,
                            "linestyle": "--" if dashed else "-", "shrinkA": 0, "shrinkB": 0})
    middle = ((tail[0] + head[0]) / 2, (tail[1] + head[1]) / 2)
    ax.text(*middle, label, ha="center", va="center", fontsize=8, color=color, zorder=4,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})
