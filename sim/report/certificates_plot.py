"""The certificates figure of a run (plots/certificates.png), from its results.json alone: one
row per local certificate-id of each device, across the simulated weeks or months.

- a bar for each certificate the device held, from its Not before to its Not after (the
  certificate it started with, then each one enrollment installed);
- a black tick at each re-enrollment trigger (auto-re-enrollment);
- each enrollment where it finished: a green dot issued, a red cross failed;
- the device's negotiations under the row: green done, red failed (the tunnel's state).
"""

from __future__ import annotations

from collections.abc import Mapping

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.report.plot_base import DONE, FAILED, axes_for, checked, empty, final_outcome, time_scale

DAY = 86400.0
BAR = "#90caf9"


def _scale(span: float) -> tuple[float, str]:
    if span >= 3 * DAY:
        return 1 / DAY, "days"
    return time_scale(span)


def _rows(results: Mapping) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for item in (*results.get("local_certificates", ()), *results.get("enrollments", ())):
        row = (item["device"], item["certificate_id"])
        if item["certificate_id"] is not None and row not in rows:
            rows.append(row)
    return rows


def certificates(results: Mapping, ax: Axes | None = None) -> Axes:
    results = checked(results)
    rows = _rows(results)
    ax = axes_for(ax, (10, 1.6 + 0.55 * max(1, len(rows))))
    if not rows:
        return empty(ax, "no local certificates enrolled or re-enrolled in this run")
    enrollments = [e for e in results.get("enrollments", ()) if e["certificate_id"] is not None]
    held = [*results.get("local_certificates", ()),
            *(e for e in enrollments if e["outcome"] == "issued")]
    negotiations = results.get("negotiations", ())
    times = [0.0] + [e["finished_s"] for e in enrollments] + \
        [n["started_s"] for n in negotiations]
    end = max(times)  # the last thing that happened: the figure's right edge
    scale, unit = _scale(max(end, 1.0))
    y = {row: len(rows) - 1 - i for i, row in enumerate(rows)}
    count: dict[int, int] = {}
    for cert in held:
        row = y[(cert["device"], cert["certificate_id"])]
        count[row] = count.get(row, 0) + 1
        begin = max(cert["not_before_s"], -0.02 * end)
        finish = min(cert["not_after_s"], end * 1.05)
        # Successive certificates of a row alternate up and down, so that where one overlaps
        # the next (renewed before it expired) both show.
        ax.barh(row + (0.2 if count[row] % 2 else 0.0), (finish - begin) * scale,
                left=begin * scale, height=0.3, color=BAR, edgecolor="#1565c0",
                linewidth=0.6)
        if cert.get("trigger_s") is not None and cert["trigger_s"] <= end * 1.05:
            ax.plot([cert["trigger_s"] * scale] * 2, [row - 0.15, row + 0.35], color="black",
                    linewidth=1.5)
    for enrollment in enrollments:
        row = y[(enrollment["device"], enrollment["certificate_id"])]
        ok = enrollment["outcome"] == "issued"
        ax.plot(enrollment["finished_s"] * scale, row + 0.1, marker="o" if ok else "X",
                color=DONE if ok else FAILED, markersize=7, linestyle="none")
    devices = {device for device, _ in rows}
    for negotiation in negotiations:
        device = negotiation["initiator"]
        if device not in devices:
            continue
        ok = final_outcome(negotiation) == "done"
        for (owner, _), row in y.items():
            if owner == device:
                ax.plot(negotiation["started_s"] * scale, row - 0.3, marker="|",
                        color=DONE if ok else FAILED, markersize=6, linestyle="none")
    ax.set_yticks(list(y.values()), [f"{d} / {c}" for d, c in y])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlim(-0.02 * end * scale, end * 1.05 * scale)
    ax.set_xlabel(f"time since the start ({unit})")
    ax.set_title("Local certificates: validity, re-enrollment triggers, enrollments, tunnels")
    ax.legend(handles=[
        Patch(facecolor=BAR, edgecolor="#1565c0", label="certificate validity"),
        Line2D([], [], color="black", linewidth=1.5, label="re-enrollment trigger"),
        Line2D([], [], marker="o", color=DONE, linestyle="none", label="enrollment issued"),
        Line2D([], [], marker="X", color=FAILED, linestyle="none", label="enrollment failed"),
        Line2D([], [], marker="|", color=DONE, linestyle="none", label="negotiation done"),
        Line2D([], [], marker="|", color=FAILED, linestyle="none", label="negotiation failed"),
    ], loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return ax
