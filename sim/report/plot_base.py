"""What the figures of sim.report.plots and sim.report.ladder_plot share: the resolution, a
negotiation's final outcome and its colour, a fresh constrained-layout Agg axes when the caller
gives none, the check that results are the results.json dict, a readable unit for a span of
seconds, and the note an empty figure shows.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.text import Text

from pki.escape import escape

DPI = 100
DONE, FAILED, PENDING = "#2e7d32", "#c62828", "#9e9e9e"
PHASE2_FAILED = "#ef6c00"  # a tunnel that is not up, but whose Phase 1 was: not Phase-1 red


def final_outcome(negotiation: Mapping) -> str:
    """How a negotiation of results.json ended, as a reader asks it: "done" (Phase 1 done and
    its Quick Mode done, or none asked of it), or the first phase that failed or is still
    pending ("Phase-1 failed", "Phase-2 pending", ...). A Quick Mode rekey is recorded with
    Phase 1 done, so its outcome is its Phase 2's."""
    if negotiation["phase1"] != "done":
        return f"Phase-1 {negotiation['phase1']}"
    if negotiation["phase2"] in ("failed", "pending"):
        return f"Phase-2 {negotiation['phase2']}"
    return "done"  # Phase 2 done, "-" (an IKE SA rekey) or "not started" (no ipsec vpn)


def outcome_colour(outcome: str) -> str:
    if outcome == "done":
        return DONE
    if outcome.endswith("pending"):
        return PENDING
    return FAILED if outcome.startswith("Phase-1") else PHASE2_FAILED


def axes_for(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    # A margin round the edge (constrained layout's default is 3 points): a title or a tick
    # label does not touch the border.
    figure = Figure(figsize=size, dpi=DPI, layout=ConstrainedLayoutEngine(h_pad=0.12, w_pad=0.12))
    FigureCanvasAgg(figure)
    return figure.add_subplot()


class _Plain(dict):
    """Results whose text is safe to draw (see `checked`)."""


def _plain(value: object) -> object:
    """Text as a figure may show it: control characters escaped as the logs escape them (a
    missing glyph would be a warning on the terminal), and `$` kept from starting
    matplotlib's mathtext, which would parse, and fail on, what a peer chose."""
    if isinstance(value, str):
        return escape(value).replace("$", r"\$")
    if isinstance(value, Mapping):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def checked(results: object) -> Mapping:
    """The results.json dict with its text made safe to draw (once: the result says so)."""
    if isinstance(results, _Plain):
        return results
    if not isinstance(results, Mapping):
        raise TypeError(f"results must be the results.json dict, not {type(results).__name__}")
    return _Plain(_plain(results))


def time_scale(span: float) -> tuple[float, str]:
    """A multiplier and unit that keep a span of seconds readable."""
    if span < 1:
        return 1000.0, "ms"
    if span < 300:
        return 1.0, "s"
    if span < 3 * 3600:
        return 1 / 60, "min"
    return 1 / 3600, "h"


def fit_width(text: Text, margin: float = 0.02) -> None:
    """Wrap each line of `text` (a title, an axis label) until it lies inside its figure, less
    a margin each side, once the figure is laid out (a title is centred on its axes, not on
    the figure): measured with the figure's own renderer and fonts."""
    figure = text.figure
    lines = text.get_text().split("\n")
    width = max(len(line) for line in lines)
    while width > 20:
        figure.draw_without_rendering()
        extent, box = text.get_window_extent(), figure.bbox
        if box.x0 + margin * box.width <= extent.x0 and extent.x1 <= box.x1 - margin * box.width:
            return
        width = int(width * 0.9)
        text.set_text("\n".join(textwrap.fill(line, width) for line in lines))


def empty(ax: Axes, text: str) -> Axes:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax
