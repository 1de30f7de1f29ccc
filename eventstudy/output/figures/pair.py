"""Event-time figures of one event: one asset's ARs and CAR, or every asset's CAR."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

from eventstudy.output.figures.style import (
    AR_COLOUR,
    CAR_COLOUR,
    GREY,
    PALETTE,
    WIDTH,
    Z95,
    decorate,
    event_day_ticks,
    figure_and_axes,
    figure_window,
    percent_axis_auto,
    short_date,
    styled,
)
from eventstudy.output.format import format_p, signed_percent

# -- 2. one event and asset ------------------------------------------------------------


@styled
def plot_car(rows: pd.DataFrame, car: pd.DataFrame | None = None, *, title: str | None = None,
             caption: str | None = None, ax: Axes | None = None, unit: str = "%") -> Figure:
    """Daily abnormal returns (bars) and the CAR with its 95% band for one event and asset.

    ``unit`` labels the percentages (``log %`` for log returns).

    Parameters
    ----------
    rows
        The ``abnormal_returns`` rows of one event and asset.
    car
        The pair's ``car`` rows; their CARs and p-values are printed under the title.
    title, caption
        Figure title and caption line (new figures only).
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    Figure
    """
    figure, ax, own = figure_and_axes(ax, (WIDTH, 4.3))
    rows = rows.sort_values("day")
    days = rows["day"].to_numpy()
    ar = 100 * rows["ar"].to_numpy(dtype=float)
    car_path = 100 * rows["car"].to_numpy(dtype=float)
    band = Z95 * 100 * rows["se_car"].to_numpy(dtype=float)
    first = rows.iloc[0]
    ax.fill_between(days, car_path - band, car_path + band, color=CAR_COLOUR, alpha=0.13, linewidth=0,
                    label="95% band of the CAR", zorder=1)
    ax.bar(days, ar, width=0.7, color=AR_COLOUR, label="daily abnormal return", zorder=2)
    ax.plot(days, car_path, color=CAR_COLOUR, marker="o", markersize=3.2, linewidth=1.6, zorder=3,
            label=f"CAR from day {int(days.min()):+d}".replace("-", "\u2212"))
    ax.axvline(0, color="black", linewidth=0.9, linestyle=(0, (4, 2)), label="day 0")
    ax.axhline(0, color=GREY, linewidth=0.7)
    event_day_ticks(ax, rows)
    ax.set_xlabel("trading days relative to day 0 (date of the close)")
    ax.set_ylabel(f"abnormal return, {unit}")
    low, high = np.nanmin([ar, car_path - band]), np.nanmax([ar, car_path + band])
    percent_axis_auto(ax.yaxis, float(high - low), unit=unit)
    day0_date = rows.loc[rows["day"] == 0, "date"]
    when = f"day 0 = {short_date(day0_date.iloc[0], weekday=True)}" if len(day0_date) else ""
    stats = car_statistics(car, unit=unit) if car is not None and len(car) else ""
    subtitle = f"{first['asset']} \u00b7 {when}" + (f"\n{stats}" if stats else "")
    if own:
        ax.set_title(subtitle, fontweight="normal", fontsize=8.5, loc="left")
        ax.legend(loc="best", fontsize=8)
        decorate(figure, title or f"{first['event_id']}: {first['event']}", caption)
    else:
        ax.set_title(f"{first['event_id']} \u00b7 {subtitle}", fontsize=8.5, loc="left")
        ax.legend(loc="best", fontsize=7.5)
    return figure


def car_statistics(car: pd.DataFrame, width: int = 80, unit: str = "%") -> str:
    """``CAR[0,0] = +3.97% (p = 0.018)  ·  CAR[−1,1] = ...`` for one pair's car rows."""
    parts = [f"CAR{figure_window(int(r['start']), int(r['end']))} = {signed_percent(r['car'], unit=unit)} "
             f"({format_p(r['pvalue'])})" for r in car.to_dict("records")]
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + 4 + len(part) <= width:
            lines[-1] += "    " + part
        else:
            lines.append(part)
    return "\n".join(lines)


# -- 3. several assets, one event --------------------------------------------------------


#: Legend entries drawn inside the axes at most (a larger legend goes beside them).
MAX_LEGEND_INSIDE = 7
#: Characters of the "day 0: ASSET date, ..." subtitle at most (a longer one lists the dates).
MAX_SUBTITLE = 110


@styled
def plot_event(rows: pd.DataFrame, car: pd.DataFrame | None = None, *, title: str | None = None,
               caption: str | None = None, ax: Axes | None = None, unit: str = "%") -> Figure:
    """CARs of several assets around one event, on a common event-time axis (in ``unit``).

    Parameters
    ----------
    rows
        The ``abnormal_returns`` rows of one event (several assets).
    car
        That event's ``car`` rows: the legend then gives each asset's CAR over the
        first CAR window and its p-value.
    title, caption
        Figure title and caption line (new figures only).
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    Figure
    """
    figure, ax, own = figure_and_axes(ax, (WIDTH, 4.3))
    first = rows.iloc[0]
    markers = ["o", "s", "^", "D", "v", "P", "X"]
    spans = []
    day0_notes: list[tuple[str, str]] = []
    for k, (asset, pair) in enumerate(rows.groupby("asset", sort=False)):
        pair = pair.sort_values("day")
        colour = PALETTE[k % len(PALETTE)]
        days = pair["day"].to_numpy()
        path = 100 * pair["car"].to_numpy(dtype=float)
        band = Z95 * 100 * pair["se_car"].to_numpy(dtype=float)
        label = str(asset)
        if car is not None:
            mine = car[car["asset"] == asset]
            if len(mine):
                r = mine.iloc[0]
                window = figure_window(int(r["start"]), int(r["end"]))
                label += f"   CAR{window} {signed_percent(r['car'], unit=unit)} ({format_p(r['pvalue'])})"
        ax.fill_between(days, path - band, path + band, color=colour, alpha=0.07, linewidth=0)
        for edge in (path - band, path + band):
            ax.plot(days, edge, color=colour, linewidth=0.7, linestyle=(0, (2, 2)), alpha=0.9)
        ax.plot(days, path, color=colour, marker=markers[k % len(markers)], markersize=3.2, linewidth=1.5,
                label=label)
        spans.append(np.nanmax(path + band) - np.nanmin(path - band))
        day0_date = pair.loc[pair["day"] == 0, "date"]
        if len(day0_date):
            day0_notes.append((str(asset), short_date(day0_date.iloc[0])))
    ax.axvline(0, color="black", linewidth=0.9, linestyle=(0, (4, 2)))
    ax.axhline(0, color=GREY, linewidth=0.7)
    base = rows.drop_duplicates("day")
    event_day_ticks(ax, base)
    if rows["asset"].nunique() > 1:
        ax.set_xticks(ax.get_xticks(), [t.get_text().split("\n")[0] for t in ax.get_xticklabels()])
    ax.set_xlabel("trading days relative to day 0 (each asset's own sessions)")
    ax.set_ylabel(f"cumulative abnormal return, {unit}")
    percent_axis_auto(ax.yaxis, float(max(spans, default=10)), unit=unit)
    from matplotlib.lines import Line2D

    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color=GREY, linewidth=0.7, linestyle=(0, (2, 2))))
    labels.append("95% band (\u00b11.96 se)")
    if len(handles) > MAX_LEGEND_INSIDE:  # beside the axes, not over the paths
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5)
    else:
        ax.legend(handles, labels, loc="best", fontsize=8)
    subtitle = "day 0: " + ", ".join(f"{asset} {day}" for asset, day in day0_notes)
    if len(subtitle) > MAX_SUBTITLE:  # one entry per date, with how many assets
        counts = Counter(day for _, day in day0_notes)
        subtitle = "day 0: " + ", ".join(f"{day} ({n} assets)" if n > 1 else day for day, n in counts.items())
    if own:
        ax.set_title(subtitle, fontweight="normal", fontsize=8.5)
        decorate(figure, title or f"{first['event_id']}: {first['event']}", caption)
    else:
        ax.set_title(f"{first['event_id']} \u00b7 {subtitle}", fontsize=8.5)
    return figure


