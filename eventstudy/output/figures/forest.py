"""Forest plots: each event's CAR over a window with its 95% interval."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

from eventstudy.output.figures.style import (
    FOREST_ROW_BUDGET,
    GREY,
    MAX_FOREST_ROWS,
    PALETTE,
    WIDTH,
    Z95,
    decorate,
    figure_window,
    new_figure,
    percent_axis_auto,
    short_date,
    styled,
    tick_marks,
)
from eventstudy.output.format import signed_percent, stars

# -- 5. forest plot ----------------------------------------------------------------------------


@styled
def plot_forest(car: pd.DataFrame, window: tuple[int, int] | None = None, *,
                labels: Mapping[str, str] | None = None, title: str | None = None,
                caption: str | None = None, ax: Axes | None = None, unit: str = "%") -> Figure:
    """Each event's CAR over one window with its 95% confidence interval, sorted.

    ``unit`` labels the percentages (``log %`` for log returns).

    One panel per asset (own scale), rows sorted from the largest CAR down. CARs whose
    interval would squeeze all others (more than three times the typical extent) are
    drawn as an arrow at the edge; every row's value is printed at the right.

    Parameters
    ----------
    car
        The ``car`` table.
    window
        ``(start, end)``; default the first window in ``car``.
    labels
        Row label by event id (default ``id  date``).
    title, caption
        Figure title and caption line (new figures only).
    ax
        Axes to draw on (one asset only, or the assets are drawn as one list).

    Returns
    -------
    Figure
    """
    if window is None:
        window = (int(car["start"].iloc[0]), int(car["end"].iloc[0]))
    rows = car[(car["start"] == window[0]) & (car["end"] == window[1])]
    assets = rows["asset"].unique().tolist()
    own = ax is None
    cap = forest_row_cap(len(assets))
    counts = [min(int((rows["asset"] == a).sum()), cap) for a in assets] or [1]
    if own:
        figure = new_figure((WIDTH, 1.2 + sum(0.6 + 0.22 * c for c in counts)))
        axes = figure.subplots(max(len(assets), 1), 1, squeeze=False,
                               gridspec_kw={"height_ratios": [c + 2.5 for c in counts]}).ravel()
    else:
        assert ax is not None
        figure, axes, assets = ax.figure, [ax], [None]  # type: ignore[assignment]
    notes = []
    for k, (asset, panel) in enumerate(zip(assets, axes, strict=True)):
        mine = rows if asset is None else rows[rows["asset"] == asset]
        mine = mine.sort_values("car", ascending=True, kind="stable")
        omitted = 0
        if len(mine) > cap:
            half = cap // 2
            notes.append(f"{asset}: the {half} largest and {half} smallest of {len(mine)} CARs shown")
            omitted = len(mine) - 2 * half
            mine = pd.concat([mine.head(half), mine.tail(half)])
        _forest_panel(panel, mine, PALETTE[k % len(PALETTE)], labels, own and asset is not None, unit)
        if omitted:
            panel.axhline(cap // 2 - 0.5, color=GREY, linewidth=0.8, linestyle=(0, (1, 2)))
            panel.annotate(f"\u22ee {omitted} CARs between these not shown",
                           (0.01, cap // 2 - 0.5),
                           xycoords=("axes fraction", "data"), va="center", ha="left", fontsize=7,
                           color=GREY, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    if own:
        w = figure_window(*window)
        note = ("Bars: 95% confidence interval (\u00b11.96 se); stars: * p<0.10, ** p<0.05, *** p<0.01 "
                "(t test); \u25c0 \u25b6: off scale, value at right; dates are day 0."
                + (" " + "; ".join(notes) + "."
                                                                       if notes else ""))
        decorate(figure, title or f"Cumulative abnormal return over {w}, by event",
                  note + ("   " + caption if caption else ""))
    return figure


def forest_row_cap(n_panels: int) -> int:
    """Rows per panel: :data:`MAX_FOREST_ROWS`, less when many assets share the figure, so the
    whole figure shows at most about :data:`FOREST_ROW_BUDGET` rows (never fewer than 10 a panel)."""
    share = FOREST_ROW_BUDGET // max(n_panels, 1)
    return max(10, min(MAX_FOREST_ROWS, share - share % 2))


def _forest_panel(panel: Axes, rows: pd.DataFrame, colour: str, labels: Mapping[str, str] | None,
                  titled: bool, unit: str) -> None:
    values = 100 * rows["car"].to_numpy(dtype=float)
    half = Z95 * 100 * rows["se"].to_numpy(dtype=float)
    low, high = values - half, values + half
    y = np.arange(len(rows))
    extent = np.abs(np.concatenate([low, high]))
    limit = None
    if len(rows) >= 4:
        typical = np.nanpercentile(extent, 75)
        if np.nanmax(extent) > 3 * typical > 0:
            limit = 1.15 * np.nanmax(extent[extent <= 3 * typical])
    clipped_low = low if limit is None else np.clip(low, -limit, limit)
    clipped_high = high if limit is None else np.clip(high, -limit, limit)
    inside = np.ones(len(rows), dtype=bool) if limit is None else np.abs(values) <= limit
    panel.hlines(y, clipped_low, clipped_high, color=colour, linewidth=1.6)
    panel.plot(values[inside], y[inside], "o", color=colour, markersize=4.5, markeredgecolor="white",
               markeredgewidth=0.6)
    if limit is not None:
        for yi, v in zip(y[~inside], values[~inside], strict=True):
            panel.plot([np.sign(v) * limit], [yi], marker=">" if v > 0 else "<", color=colour, markersize=6)
        panel.set_xlim(-limit * 1.05, limit * 1.05)
    panel.axvline(0, color=GREY, linewidth=0.8)
    names = [labels.get(str(e), str(e)) if labels else f"{e}  {short_date(d)}"
             for e, d in zip(rows["event_id"], rows["day0"], strict=True)]
    values_text = [f"{signed_percent(c, unit=unit)}{stars(p)}" for c, p in
                   zip(rows["car"], rows["pvalue"], strict=True)]
    row_labels(panel, y, names, values_text)
    panel.set_ylim(-0.7, len(rows) - 0.3)
    span = float(np.nanmax(clipped_high) - np.nanmin(clipped_low)) if len(rows) else 10.0
    percent_axis_auto(panel.xaxis, span, unit=unit)
    panel.set_xlabel(f"CAR, {unit}")
    if titled:
        asset = rows["asset"].iloc[0]
        panel.set_title(str(asset), fontsize=9.5)




def row_labels(panel: Axes, rows: np.ndarray, left: list[str], right: list[str]) -> None:
    """Each row's name left of the axes (with a tick mark) and its value right of it.

    The pixels of ``panel.set_yticks(rows, left, fontsize=7.5)`` and of a secondary
    y axis on the right with ``right`` as tick labels and no tick marks: the same texts
    at the same offsets (tick size plus pad, in points) and alignment, and the same
    marks, but as plain texts and one line of markers
    (:func:`~eventstudy.output.figures.style.tick_marks`). A tick is six artists rebuilt
    at every layout pass, and the secondary axis is a whole axes for constrained layout
    to measure: most of a forest plot's drawing time.
    """
    import matplotlib as mpl

    rc = mpl.rcParams
    panel.set_yticks([])
    panel.grid(axis="y", visible=False)
    size, pad = rc["ytick.major.size"], rc["ytick.major.pad"]
    outward = {"in": 0.0, "inout": 0.5, "out": 1.0}[rc["ytick.direction"]]
    left_transform, vertical, horizontal = panel.get_yaxis_text1_transform(pad + outward * size)
    right_transform, _, _ = panel.get_yaxis_text2_transform(pad)  # the secondary axis has no marks
    colour = rc["ytick.labelcolor"] if rc["ytick.labelcolor"] != "inherit" else rc["ytick.color"]
    font = {"fontsize": 7.5, "color": colour, "va": vertical}
    for y, name, value in zip(rows.tolist(), left, right, strict=True):
        panel.text(0, y, name, transform=left_transform, ha=horizontal, **font)
        panel.text(1, y, value, transform=right_transform, ha="left", **font)
    tick_marks(panel, rows.tolist(), "y", "major")
