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

DPI = 100
DONE, FAILED, PENDING = "#2e7d32", "#c62828", "#9e9e9e"


def axes_for(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure.add_subplot()


def checked(results: object) -> Mapping:
    if not isinstance(results, Mapping):
        raise TypeError(f"results must be the results.json dict, not {type(results).__name__}")
    return results


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
