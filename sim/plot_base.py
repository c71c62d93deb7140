"""What the figures of sim.plots and sim.ladder_plot share: the resolution, the done / failed /
pending colours, a fresh constrained-layout Agg axes when the caller gives none, the check
that results are the results.json dict, a readable unit for a span of seconds, and the note
an empty figure shows.
"""

from __future__ import annotations

from collections.abc import Mapping

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pki.escape import escape

DPI = 100
DONE, FAILED, PENDING = "#2e7d32", "#c62828", "#9e9e9e"


def axes_for(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
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


def empty(ax: Axes, text: str) -> Axes:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax
