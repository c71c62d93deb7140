"""A study's figures: for each setting, Phase-1 completion time and failure rate against the
setting's values, one line per combination of the other settings, the line at the median of
the seeds and a band from their minimum to their maximum (the spread across seeds)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

import pyarrow as pa
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pki.files import inside, write_file

DPI = 100
PANELS = (("time_p50_s", "time_p99_s", "Phase-1 completion time (s)"),
          ("failure_rate", None, "Failure rate (not done / negotiations)"))


def setting_names(runs: pa.Table) -> list[str]:
    """The settings of a runs table: its columns before `seed`."""
    return runs.column_names[: runs.column_names.index("seed")]


def study_figure(runs: pa.Table, setting: str) -> Figure:
    """Completion time and failure rate against `setting`, with the spread across seeds."""
    rows = [row for row in runs.to_pylist() if row.get("error") is None]
    others = [name for name in setting_names(runs) if name != setting]
    figure = Figure(figsize=(10, 4), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, 2)
    values = _ordered(row[setting] for row in runs.to_pylist())
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    position = {v: (v if numeric else i) for i, v in enumerate(values)}
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row[name] for name in others), []).append(row)
    for ax, (column, dashed, title) in zip(axes, PANELS, strict=True):
        for n, (key, members) in enumerate(sorted(groups.items(), key=lambda kv: str(kv[0]))):
            colour = f"C{n % 10}"
            name = ", ".join(f"{o}={k}" for o, k in zip(others, key, strict=True)) or None
            _line(ax, members, setting, column, position, colour=colour,
                  label=f"{name}, p50" if name and dashed else name or (dashed and "p50"))
            if dashed is not None:
                _line(ax, members, setting, dashed, position, colour=colour, dashed=True,
                      label=f"{name}, p99" if name else "p99")
        ax.set_xlabel(setting)
        ax.set_title(title, fontsize=10)
        if not numeric:
            ax.set_xticks(range(len(values)), [str(v) for v in values])
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    seeds = len({row["seed"] for row in rows})
    figure.suptitle(f"Against {setting}: median of {seeds} seed{'s' if seeds != 1 else ''}, "
                    "band from the lowest to the highest", fontsize=11)
    return figure


def write_study_plots(runs: pa.Table, folder: Path) -> list[Path]:
    """plots/<setting>.png for each setting; the paths written."""
    written = []
    for setting in setting_names(runs):
        figure = study_figure(runs, setting)
        path = inside(folder, f"{setting}.png")
        buffer = BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
        write_file(path, buffer.getvalue())
        written.append(path)
    return written


def _line(ax, members: Sequence[dict], setting: str, column: str, position: dict, *,
          colour: str, label: str | None, dashed: bool = False) -> None:
    by_value: dict[object, list[float]] = {}
    for row in members:
        if row.get(column) is not None:
            by_value.setdefault(row[setting], []).append(row[column])
    xs = [v for v in position if v in by_value]
    if not xs:
        return
    points = [position[v] for v in xs]
    ax.plot(points, [statistics.median(by_value[v]) for v in xs], "--" if dashed else "-o",
            color=colour, label=label, markersize=4)
    ax.fill_between(points, [min(by_value[v]) for v in xs], [max(by_value[v]) for v in xs],
                    color=colour, alpha=0.10 if dashed else 0.2, linewidth=0)


def _ordered(values) -> list:
    seen: dict = {}
    for value in values:
        seen.setdefault(value, None)
    try:
        return sorted(seen)
    except TypeError:
        return list(seen)
