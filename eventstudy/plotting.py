"""Figures, built on matplotlib's object API (never pyplot state), so no display is needed.

Every plot function takes ``ax=None`` and returns the figure. With ``ax=None`` a new
:class:`matplotlib.figure.Figure` is made, sized for print (7 inches wide, the width of
a two-column page) and titled; with an ``ax`` the drawing goes into that axes and the
caller keeps control of the figure (no figure-level title or caption is added).

One style throughout: the Okabe-Ito colour-blind-safe palette, percentages for
returns, dates on calendar axes, relative trading days on event-time axes, and a
caption line naming the data source and the model.

Bands
-----
* Per event and asset (:func:`plot_car`, :func:`plot_event`): ``CAR_t +- 1.96 se_t``
  with ``se_t`` the MacKinlay (1997) standard error of the CAR from the event window's
  first day to ``t`` (disturbance plus estimation error, column ``se_car``).
* Across pairs (:func:`plot_caar`): ``CAAR_t +- t_{n-1, 0.975} sd_t / sqrt(n)``, the
  cross-sectional standard error of ``CAR_t`` over the ``n`` pairs, as in the ``t_cs``
  test. Pairs that share day 0 (several announcements on one day) are not independent,
  so this band is then too narrow.
* Forest plot (:func:`plot_forest`): ``CAR +- 1.96 se`` from ``car.csv``.
"""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from eventstudy.report import ReportData

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7",
}
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
AR_COLOUR = OKABE_ITO["sky blue"]
CAR_COLOUR = OKABE_ITO["vermillion"]
EVENT_COLOUR = OKABE_ITO["reddish purple"]
PRICE_COLOUR = OKABE_ITO["blue"]
GREY = "#555555"

WIDTH = 7.0  # inches: a two-column page; the figures stay legible at 3.5 inches
PNG_DPI = 200
Z95 = 1.96
MAX_PAIR_FIGURES = 50  # per-pair and per-event figures drawn at most (largest |t| first)
MAX_FOREST_ROWS = 60  # rows per forest panel; beyond, the largest and smallest CARs

STYLE: dict[str, Any] = {
    "font.size": 9, "axes.titlesize": 9.5, "axes.titleweight": "bold", "axes.titlelocation": "left",
    "axes.labelsize": 9, "xtick.labelsize": 8.5, "ytick.labelsize": 8.5, "legend.fontsize": 8.5,
    "legend.frameon": False, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.color": "#e3e3e3", "grid.linewidth": 0.6, "axes.axisbelow": True,
    "axes.edgecolor": "#444444", "figure.titlesize": 11, "figure.titleweight": "bold",
    "svg.fonttype": "path", "svg.hashsalt": "eventstudy", "pdf.fonttype": 42, "savefig.dpi": PNG_DPI,
    "figure.constrained_layout.h_pad": 0.06, "figure.constrained_layout.w_pad": 0.06,
}

F = TypeVar("F", bound=Callable[..., Any])


def styled(function: F) -> F:
    """Run a plot function inside the package style (a temporary rc context)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import matplotlib as mpl

        with mpl.rc_context(cast(Any, STYLE)):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# -- helpers -------------------------------------------------------------------------


def _new_figure(size: tuple[float, float]) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=size, layout="constrained")


def _figure_and_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes, bool]:
    if ax is not None:
        return ax.figure, ax, False  # type: ignore[return-value]
    figure = _new_figure(size)
    return figure, figure.add_subplot(), True


def _decorate(figure: Figure, title: str | None, caption: str | None) -> None:
    """Figure title (left) and the caption line at the bottom, wrapped to the width."""
    if title:
        figure.suptitle(_wrap(title, figure, 10.5), x=0.01, ha="left")
    if caption:
        figure.supxlabel(_wrap(caption, figure, 7.5), x=0.01, ha="left", fontsize=7.5, color=GREY,
                         fontweight="normal")


def _wrap(text: str, figure: Figure, points: float) -> str:
    width = int(figure.get_figwidth() * 72 / (points * 0.55))
    return "\n".join(textwrap.wrap(text, width=max(width, 20), break_on_hyphens=False))


def _percent_axis_auto(axis: Any, span: float = 0.0) -> None:
    """Percent tick labels (``+2.5%``, ``0``, ``\u22125%``) with as many decimals as the ticks need."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))

    def fmt(value: float, _: object) -> str:
        if abs(value) < 1e-9:
            return "0"
        return f"{round(value, 6):+g}%".replace("-", "\u2212")

    axis.set_major_formatter(FuncFormatter(fmt))


def signed_percent(value: float, digits: int = 2) -> str:
    """``+3.97%`` / ``−0.78%`` (typographic minus) from a fraction."""
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{100 * value:+.{digits}f}%".replace("-", "\u2212")


def format_p(pvalue: float) -> str:
    """``p = 0.018`` / ``p < 0.001``."""
    if pvalue is None or not np.isfinite(pvalue):
        return "p n/a"
    return "p < 0.001" if pvalue < 0.001 else f"p = {pvalue:.3f}"


def stars(pvalue: float) -> str:
    """``***`` below 1%, ``**`` below 5%, ``*`` below 10%."""
    if pvalue is None or not np.isfinite(pvalue):
        return ""
    return "***" if pvalue < 0.01 else "**" if pvalue < 0.05 else "*" if pvalue < 0.1 else ""


def _date(value: Any, weekday: bool = False) -> str:
    stamp = pd.Timestamp(value)
    return f"{stamp:%a} {stamp.day} {stamp:%b %Y}" if weekday else f"{stamp.day} {stamp:%b %Y}"


def _window(start: int, end: int) -> str:
    return f"[{start},{end}]".replace("-", "\u2212")


def _event_day_ticks(ax: Axes, rows: pd.DataFrame) -> None:
    """Relative-day ticks every 5 days (every day on short windows) with their dates beneath."""
    days = rows["day"].to_numpy()
    dates = pd.to_datetime(rows["date"]).to_numpy()
    lo, hi = int(days.min()), int(days.max())
    step = 1 if hi - lo <= 8 else 2 if hi - lo <= 14 else 5
    ticks = [d for d in range(lo, hi + 1) if d % step == 0]
    by_day = dict(zip(days.tolist(), dates, strict=False))
    labels = []
    for d in ticks:
        date = by_day.get(d)
        stamp = "" if date is None else f"\n{pd.Timestamp(date).day} {pd.Timestamp(date):%b}"
        labels.append(f"{d:+d}".replace("-", "\u2212").replace("+0", "0") + stamp)
    ax.set_xticks(ticks, labels)
    ax.set_xticks(range(lo, hi + 1), minor=True)
    ax.set_xlim(lo - 0.6, hi + 0.6)
    ax.grid(axis="x", visible=False)


# -- 1. timeline -----------------------------------------------------------------------


@styled
def plot_timeline(prices: Mapping[str, pd.Series] | pd.DataFrame, events: pd.DataFrame, *,
                  day0: pd.DataFrame | None = None, start: Any = None, end: Any = None,
                  units: Mapping[str, str] | None = None, numbers: Mapping[str, int] | None = None,
                  title: str | None = None, caption: str | None = None,
                  ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """Each asset's price over a span with the events marked and numbered.

    Events are marked by a vertical line at the announcement date and numbered in a
    label track above the prices; labels that would touch are stacked, so they never
    overlap. A key below the chart gives each number's date and label. Each asset's
    day 0 is a dot on its price line.

    Parameters
    ----------
    prices
        Price series by asset name (or a wide date x asset frame).
    events
        Columns ``id``, ``date`` and ``event`` (:attr:`Events.frame`).
    day0
        Optional ``event_id``, ``asset``, ``day0`` rows (``car.csv``) for the dots.
    start, end
        Calendar span shown; default: the events' span with a margin.
    units
        Units by asset for the y labels, e.g. ``{"IMOEX": "index points"}``.
    numbers
        Event number by id (default: the position in ``events``, from 1).
    title, caption
        Figure title and caption line (new figures only).
    ax
        Axes to draw on: one per asset (a single axes if there is one asset).

    Returns
    -------
    Figure
    """
    import matplotlib.dates as mdates

    series = {str(k): v.dropna() for k, v in (prices.items() if isinstance(prices, Mapping)
                                               else prices.items())}
    names = list(series)
    dates = pd.to_datetime(events["date"])
    numbers = dict(numbers) if numbers is not None else {
        str(i): n + 1 for n, i in enumerate(events["id"])}
    start = pd.Timestamp(start) if start is not None else dates.min() - pd.Timedelta(days=45)
    end = pd.Timestamp(end) if end is not None else dates.max() + pd.Timedelta(days=30)
    shown = events[(dates >= start) & (dates <= end)].assign(when_=dates)
    shown = shown.sort_values(["when_", "id"], key=lambda c: c.map(numbers) if c.name == "id" else c)

    own = ax is None
    width = WIDTH
    pad = (end - start) * 0.015
    badges = _badges(shown["when_"], list(shown["id"]), numbers, start - pad, end + pad, width * 0.84)
    n_levels = max((b[2] for b in badges), default=0) + 1
    key_lines = _timeline_key(shown, numbers)
    if own:
        key_height = 0.17 * len(key_lines) + 0.1 if key_lines else 0.01
        track_height = 0.2 * n_levels + 0.1
        panel_height = 2.1 if len(names) > 1 else 2.6
        height = 0.9 + track_height + panel_height * len(names) + key_height
        figure = _new_figure((width, height))
        grid = figure.add_gridspec(len(names) + 2, 1,
                                   height_ratios=[track_height, *[panel_height] * len(names), key_height])
        track = figure.add_subplot(grid[0])
        panels = [figure.add_subplot(grid[i + 1], sharex=track) for i in range(len(names))]
        key_ax = figure.add_subplot(grid[-1])
    else:
        panels = [ax] if not isinstance(ax, Sequence) else list(ax)  # type: ignore[list-item]
        if len(panels) != len(names):
            raise ValueError(f"give one axes per asset ({len(names)}), got {len(panels)}")
        figure = panels[0].figure  # type: ignore[assignment]
        track, key_ax = None, None

    for position, (name, panel) in enumerate(zip(names, panels, strict=True)):
        values = series[name]
        values = values[(values.index >= start) & (values.index <= end)]
        panel.plot(values.index, values.to_numpy(), color=PRICE_COLOUR, linewidth=1.1)
        for when in shown["when_"]:
            panel.axvline(when, color=EVENT_COLOUR, linewidth=0.7, linestyle=(0, (3, 2)), alpha=0.8)
        if day0 is not None and len(values):
            mine = day0[day0["asset"] == name]
            stamps = pd.to_datetime(mine["day0"]).drop_duplicates()
            stamps = stamps[(stamps >= start) & (stamps <= end)]
            marks = values.reindex(stamps)
            panel.plot(marks.index, marks.to_numpy(), linestyle="none", marker="o", markersize=4,
                       color=CAR_COLOUR, markeredgecolor="white", markeredgewidth=0.6,
                       label="day 0 close" if position == 0 else None)
        unit = (units or {}).get(name, "")
        panel.set_ylabel(f"{name}\n{unit}" if unit else name)
        panel.set_xlim(start - pad, end + pad)
        if (end - start).days <= 120:
            panel.xaxis.set_major_locator(mdates.WeekdayLocator(mdates.MO))
            panel.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b"))
            panel.xaxis.set_minor_locator(mdates.DayLocator())
        else:
            locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
            panel.xaxis.set_major_locator(locator)
            panel.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
        if own and position < len(names) - 1:
            panel.tick_params(labelbottom=False)
    if own and day0 is not None:
        panels[0].legend(loc="best", handlelength=1)

    if track is not None:
        for when, text, level in badges:
            track.annotate(text, (when, level), ha="center", va="center", fontsize=7.5,
                           fontweight="bold", color="white", zorder=3,
                           bbox={"boxstyle": "round,pad=0.25", "facecolor": EVENT_COLOUR,
                                 "edgecolor": "none"})
            track.plot(cast(Any, [when, when]), [-0.6, level], color=EVENT_COLOUR, linewidth=0.7, alpha=0.8,
                       zorder=1)
        track.set_ylim(-0.6, n_levels - 0.4)
        track.axis("off")
    if key_ax is not None:
        key_ax.axis("off")
        for line, cells in enumerate(key_lines):
            y = 1 - (line + 0.5) / max(len(key_lines), 1)
            for offset, ha, text in zip((12, 18, 76), ("right", "left", "left"), cells, strict=False):
                key_ax.annotate(text, (0, y), xycoords="axes fraction", xytext=(offset, 0),
                                textcoords="offset points", va="center", ha=ha, fontsize=7.5)
    if own:
        _decorate(figure, title or f"{', '.join(names)} with the announcements", caption)
    return figure


def _badges(dates: pd.Series, ids: Sequence[str], numbers: Mapping[str, int], start: pd.Timestamp,
            end: pd.Timestamp, inches: float) -> list[tuple[pd.Timestamp, str, int]]:
    """Label badges ``(date, text, level)``: events closer than a badge's width share one
    badge (``3\u20139``), and badges that would touch are stacked on higher levels."""
    span = max((end - start) / pd.Timedelta(days=1), 1.0)
    per_inch = span / inches
    groups: list[list[tuple[pd.Timestamp, int]]] = []
    for when, event_id in zip(dates, ids, strict=True):
        number = numbers[str(event_id)]
        if groups and (when - groups[-1][0][0]) / pd.Timedelta(days=1) < 0.12 * per_inch:
            groups[-1].append((when, number))
        else:
            groups.append([(when, number)])
    badges: list[tuple[pd.Timestamp, str, int]] = []
    right_edges: list[float] = []
    for group in groups:
        text = _number_ranges(sorted(n for _, n in group))
        when = group[0][0] + (group[-1][0] - group[0][0]) / 2
        x = (when - start) / pd.Timedelta(days=1)
        half = (0.07 * len(text) + 0.12) * per_inch / 2
        for level, edge in enumerate(right_edges):
            if x - half >= edge:
                right_edges[level] = x + half
                badges.append((when, text, level))
                break
        else:
            right_edges.append(x + half)
            badges.append((when, text, len(right_edges) - 1))
    return badges


def _number_ranges(numbers: Sequence[int]) -> str:
    """``[3, 4, 5, 7]`` -> ``3\u20135,7``; two in a row are written ``3,4``."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    dash = "\u2013"
    return ",".join(str(r[0]) if len(r) == 1 else f"{r[0]}{dash if len(r) > 2 else ','}{r[-1]}"
                    for r in runs)


def _timeline_key(shown: pd.DataFrame, numbers: Mapping[str, int], limit: int = 40) -> list[tuple[str, ...]]:
    if len(shown) > limit:
        return [("", f"Numbers refer to the events table ({len(shown)} events shown).")]
    return [(str(numbers[str(row.id)]), _date(row.when_), f"{row.id}: {_shorten(str(row.event), 80)}")
            for row in shown.itertuples(index=False)]


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def densest_cluster(dates: Iterable[Any], days: int = 31, minimum: int = 3) -> tuple[Any, Any] | None:
    """The calendar span of the largest group of events within ``days`` of each other.

    Returns ``None`` when no ``days``-long period holds ``minimum`` events or when all
    events already fall in one such period (the full timeline then shows them well).
    """
    stamps = sorted(pd.to_datetime(pd.Series(list(dates))).dropna())
    if len(stamps) < minimum or (stamps[-1] - stamps[0]).days <= 3 * days:
        return None
    best = (0, 0, 0)
    for i, first in enumerate(stamps):
        j = i
        while j + 1 < len(stamps) and (stamps[j + 1] - first).days <= days:
            j += 1
        if j - i + 1 > best[0]:
            best = (j - i + 1, i, j)
    count, i, j = best
    if count < minimum:
        return None
    return stamps[i], stamps[j]


@styled
def plot_prices(prices: pd.Series, pairs: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """One asset's price with each event's day 0 marked (a one-asset timeline).

    ``pairs`` needs ``event_id`` and ``day0``; ``event`` is used for the key when present.
    """
    name = str(prices.name)
    events = pd.DataFrame({"id": pairs["event_id"].astype(str), "date": pd.to_datetime(pairs["day0"]),
                           "event": pairs["event"] if "event" in pairs else pairs["event_id"]})
    return plot_timeline({name: prices}, events.drop_duplicates("id"),
                         day0=pairs.assign(asset=name), ax=ax)


# -- 2. one event and asset ------------------------------------------------------------


@styled
def plot_car(rows: pd.DataFrame, car: pd.DataFrame | None = None, *, title: str | None = None,
             caption: str | None = None, ax: Axes | None = None) -> Figure:
    """Daily abnormal returns (bars) and the CAR with its 95% band for one event and asset.

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
    figure, ax, own = _figure_and_axes(ax, (WIDTH, 4.3))
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
    _event_day_ticks(ax, rows)
    ax.set_xlabel("trading days relative to day 0 (date of the close)")
    ax.set_ylabel("abnormal return, %")
    low, high = np.nanmin([ar, car_path - band]), np.nanmax([ar, car_path + band])
    _percent_axis_auto(ax.yaxis, float(high - low))
    day0_date = rows.loc[rows["day"] == 0, "date"]
    when = f"day 0 = {_date(day0_date.iloc[0], weekday=True)}" if len(day0_date) else ""
    stats = car_statistics(car) if car is not None and len(car) else ""
    subtitle = f"{first['asset']} \u00b7 {when}" + (f"\n{stats}" if stats else "")
    if own:
        ax.set_title(subtitle, fontweight="normal", fontsize=8.5, loc="left")
        ax.legend(loc="best", fontsize=8)
        _decorate(figure, title or f"{first['event_id']}: {first['event']}", caption)
    else:
        ax.set_title(f"{first['event_id']} \u00b7 {subtitle}", fontsize=8.5, loc="left")
        ax.legend(loc="best", fontsize=7.5)
    return figure


def car_statistics(car: pd.DataFrame, width: int = 80) -> str:
    """``CAR[0,0] = +3.97% (p = 0.018)  ·  CAR[−1,1] = ...`` for one pair's car rows."""
    parts = [f"CAR{_window(int(r['start']), int(r['end']))} = {signed_percent(r['car'])} "
             f"({format_p(r['pvalue'])})" for r in car.to_dict("records")]
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + 4 + len(part) <= width:
            lines[-1] += "    " + part
        else:
            lines.append(part)
    return "\n".join(lines)


# -- 3. several assets, one event --------------------------------------------------------


@styled
def plot_event(rows: pd.DataFrame, car: pd.DataFrame | None = None, *, title: str | None = None,
               caption: str | None = None, ax: Axes | None = None) -> Figure:
    """CARs of several assets around one event, on a common event-time axis (in %).

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
    figure, ax, own = _figure_and_axes(ax, (WIDTH, 4.3))
    first = rows.iloc[0]
    markers = ["o", "s", "^", "D", "v", "P", "X"]
    spans = []
    day0_notes = []
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
                label += (f"   CAR{_window(int(r['start']), int(r['end']))} {signed_percent(r['car'])}"
                          f" ({format_p(r['pvalue'])})")
        ax.fill_between(days, path - band, path + band, color=colour, alpha=0.07, linewidth=0)
        for edge in (path - band, path + band):
            ax.plot(days, edge, color=colour, linewidth=0.7, linestyle=(0, (2, 2)), alpha=0.9)
        ax.plot(days, path, color=colour, marker=markers[k % len(markers)], markersize=3.2, linewidth=1.5,
                label=label)
        spans.append(np.nanmax(path + band) - np.nanmin(path - band))
        day0_date = pair.loc[pair["day"] == 0, "date"]
        if len(day0_date):
            day0_notes.append(f"{asset} {_date(day0_date.iloc[0])}")
    ax.axvline(0, color="black", linewidth=0.9, linestyle=(0, (4, 2)))
    ax.axhline(0, color=GREY, linewidth=0.7)
    base = rows.drop_duplicates("day")
    _event_day_ticks(ax, base)
    if rows["asset"].nunique() > 1:
        ax.set_xticks(ax.get_xticks(), [t.get_text().split("\n")[0] for t in ax.get_xticklabels()])
    ax.set_xlabel("trading days relative to day 0 (each asset's own sessions)")
    ax.set_ylabel("cumulative abnormal return, %")
    _percent_axis_auto(ax.yaxis, float(max(spans, default=10)))
    from matplotlib.lines import Line2D

    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color=GREY, linewidth=0.7, linestyle=(0, (2, 2))))
    labels.append("95% band (\u00b11.96 se)")
    ax.legend(handles, labels, loc="best", fontsize=8)
    subtitle = "day 0: " + ", ".join(day0_notes)
    if own:
        ax.set_title(subtitle, fontweight="normal", fontsize=8.5)
        _decorate(figure, title or f"{first['event_id']}: {first['event']}", caption)
    else:
        ax.set_title(f"{first['event_id']} \u00b7 {subtitle}", fontsize=8.5)
    return figure


# -- 4. CAAR by asset or group ---------------------------------------------------------------


def caar_paths(abnormal_returns: pd.DataFrame, scopes: Mapping[str, pd.Series]) -> pd.DataFrame:
    """CAAR path and its cross-sectional band per scope.

    ``CAAR_t`` is the mean over the scope's pairs of ``CAR_t`` (cumulated from the
    first event-window day); the band is ``t_{n-1, 0.975} * sd(CAR_t) / sqrt(n_t)``.

    Parameters
    ----------
    abnormal_returns
        The ``abnormal_returns`` table.
    scopes
        Scope name -> boolean Series over ``abnormal_returns`` rows selecting its pairs.

    Returns
    -------
    DataFrame
        Columns ``scope``, ``day``, ``n``, ``caar``, ``se``, ``half_width``.
    """
    from scipy import stats

    frames = []
    for scope, mask in scopes.items():
        rows = abnormal_returns[mask.to_numpy(dtype=bool)]
        if rows.empty:
            continue
        wide = rows.pivot_table(index=["event_id", "asset"], columns="day", values="car", aggfunc="first")
        n = wide.notna().sum(axis=0)
        mean = wide.mean(axis=0)
        sd = wide.std(axis=0, ddof=1) if len(wide) > 1 else wide.mean(axis=0) * np.nan
        se = sd / np.sqrt(n)
        quantile = pd.Series(stats.t.ppf(0.975, np.maximum(n - 1, 1)), index=n.index).where(n > 1)
        frames.append(pd.DataFrame({"scope": scope, "day": wide.columns.to_numpy(), "n": n.to_numpy(),
                                    "caar": mean.to_numpy(), "se": se.to_numpy(),
                                    "half_width": (quantile * se).to_numpy()}))
    if not frames:
        return pd.DataFrame(columns=["scope", "day", "n", "caar", "se", "half_width"])
    return pd.concat(frames, ignore_index=True)


def caar_scopes(abnormal_returns: pd.DataFrame, by: str,
                groups: Mapping[str, Any] | None = None) -> dict[str, pd.Series]:
    """Row masks of the ``abnormal_returns`` table for each asset (``by="asset"``) or group."""
    ar = abnormal_returns
    scopes: dict[str, pd.Series] = {}
    if by == "asset":
        if ar["asset"].nunique() > 1:
            scopes["all pairs"] = pd.Series(True, index=ar.index)
        for asset in ar["asset"].drop_duplicates():
            scopes[str(asset)] = ar["asset"] == asset
    elif by == "group":
        group = ar["event_id"].map(dict(groups or {}))
        for name in group.dropna().drop_duplicates():
            scopes[str(name)] = group == name
    else:
        raise ValueError(f"by must be 'asset' or 'group', not {by!r}")
    return scopes


@styled
def plot_caar(abnormal_returns: pd.DataFrame, by: str = "asset", *,
              groups: Mapping[str, Any] | None = None, title: str | None = None,
              caption: str | None = None, ax: Axes | None = None) -> Figure:
    """Cumulative average abnormal return by asset or by event group, with 95% bands.

    With ``ax=None`` each scope gets its own panel (own y scale, so a large event
    does not flatten the others); with an ``ax`` the scopes are overlaid.

    Parameters
    ----------
    abnormal_returns
        The ``abnormal_returns`` table.
    by
        ``asset`` (panels: all pairs, then each asset) or ``group``.
    groups
        Event group by event id (needed for ``by="group"``).
    title, caption
        Figure title and caption line (new figures only).
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    Figure
    """
    paths = caar_paths(abnormal_returns, caar_scopes(abnormal_returns, by, groups))
    scopes = list(dict.fromkeys(paths["scope"]))
    own = ax is None
    if own:
        columns = _columns(len(scopes))
        rows_n = -(-max(len(scopes), 1) // columns)
        figure = _new_figure((WIDTH, 1.2 + 2.3 * rows_n))
        axes = figure.subplots(rows_n, columns, sharex=True, squeeze=False).ravel()
        for extra in axes[len(scopes):]:
            extra.set_visible(False)
    else:
        assert ax is not None
        figure, axes = ax.figure, [ax] * len(scopes)  # type: ignore[assignment]
    for k, (scope, panel) in enumerate(zip(scopes, axes, strict=False)):
        path = paths[paths["scope"] == scope]
        colour = PALETTE[k % len(PALETTE)]
        days = path["day"].to_numpy()
        caar = 100 * path["caar"].to_numpy(dtype=float)
        half = 100 * path["half_width"].to_numpy(dtype=float)
        n = int(path["n"].max())
        panel.fill_between(days, caar - half, caar + half, color=colour, alpha=0.15, linewidth=0)
        panel.plot(days, caar, color=colour, linewidth=1.6, marker="o", markersize=2.5,
                   label=f"{scope} (n = {n})")
        panel.axvline(0, color="black", linewidth=0.8, linestyle=(0, (4, 2)))
        panel.axhline(0, color=GREY, linewidth=0.6)
        _percent_axis_auto(panel.yaxis)
        if len(days):
            lo, hi = int(days.min()), int(days.max())
            step = 1 if hi - lo <= 8 else 2 if hi - lo <= 14 else 5
            panel.set_xticks([d for d in range(lo, hi + 1) if d % step == 0])
        clipped = own and n <= 4 and _clip_band(panel, caar, half)
        if own:
            panel.set_title(f"{scope}  (n = {n} pair{'s' if n != 1 else ''})"
                            + ("\nband clipped" if clipped else ""), fontsize=9)
            panel.grid(axis="x", visible=False)
    if own:
        used = list(axes[: len(scopes)])
        columns = _columns(len(scopes))
        for position, panel in enumerate(used):
            if position % columns == 0:
                panel.set_ylabel("CAAR, %")
            if position >= len(used) - columns:
                panel.set_xlabel("trading day relative to day 0" if columns == 1 else "trading day")
            panel.tick_params(labelbottom=True)
        lo = int(paths["day"].min()) if len(paths) else -10
        note = (f"x axis: trading days relative to day 0 (dashed). CAAR: CAR cumulated from day {lo:+d}, "
                "averaged over the pairs; shaded: 95% band, "
                "t(n\u22121) \u00d7 cross-sectional se of the CAR.").replace("-1", "\u22121")
        what = "asset" if by == "asset" else "event group"
        _decorate(figure, title or f"Cumulative average abnormal return by {what}",
                  note + ("   " + caption if caption else ""))
    else:
        ax.legend(loc="best")  # type: ignore[union-attr]
        ax.set_xlabel("trading days relative to day 0")  # type: ignore[union-attr]
        ax.set_ylabel("CAAR, %")  # type: ignore[union-attr]
    return figure


def _columns(panels: int) -> int:
    return 2 if panels in (2, 4) else min(3, max(panels, 1))


def _clip_band(panel: Axes, line: np.ndarray, half: np.ndarray) -> bool:
    """Keep the y range on the line when the band is more than six times as wide.

    Used only for scopes of at most four pairs, where ``t_{n-1}`` (12.7 for two pairs) makes
    the band too wide to show the path; the panel title then says "band clipped".
    """
    finite = np.isfinite(half)
    if not finite.any():
        return False
    low, high = float(np.nanmin(line)), float(np.nanmax(line))
    extent = max(high - low, abs(high), abs(low), 0.5)
    band_low = float(np.nanmin((line - half)[finite]))
    band_high = float(np.nanmax((line + half)[finite]))
    if band_high - band_low <= 6 * extent:
        return False
    panel.set_ylim(min(low, 0) - 1.2 * extent, max(high, 0) + 1.2 * extent)
    return True


# -- 5. forest plot ----------------------------------------------------------------------------


@styled
def plot_forest(car: pd.DataFrame, window: tuple[int, int] | None = None, *,
                labels: Mapping[str, str] | None = None, title: str | None = None,
                caption: str | None = None, ax: Axes | None = None) -> Figure:
    """Each event's CAR over one window with its 95% confidence interval, sorted.

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
    assets = list(dict.fromkeys(rows["asset"]))
    own = ax is None
    counts = [min(int((rows["asset"] == a).sum()), MAX_FOREST_ROWS) for a in assets] or [1]
    if own:
        figure = _new_figure((WIDTH, 1.2 + sum(0.6 + 0.22 * c for c in counts)))
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
        if len(mine) > MAX_FOREST_ROWS:
            half = MAX_FOREST_ROWS // 2
            notes.append(f"{asset}: the {half} largest and {half} smallest of {len(mine)} CARs shown")
            omitted = len(mine) - 2 * half
            mine = pd.concat([mine.head(half), mine.tail(half)])
        _forest_panel(panel, mine, PALETTE[k % len(PALETTE)], labels, own and asset is not None)
        if omitted:
            panel.axhline(MAX_FOREST_ROWS // 2 - 0.5, color=GREY, linewidth=0.8, linestyle=(0, (1, 2)))
            panel.annotate(f"\u22ee {omitted} CARs between these not shown",
                           (0.01, MAX_FOREST_ROWS // 2 - 0.5),
                           xycoords=("axes fraction", "data"), va="center", ha="left", fontsize=7,
                           color=GREY, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    if own:
        w = _window(*window)
        note = ("Bars: 95% confidence interval (\u00b11.96 se); stars: * p<0.10, ** p<0.05, *** p<0.01 "
                "(t test); \u25c0 \u25b6: off scale, value at right; dates are day 0."
                + (" " + "; ".join(notes) + "."
                                                                       if notes else ""))
        _decorate(figure, title or f"Cumulative abnormal return over {w}, by event",
                  note + ("   " + caption if caption else ""))
    return figure


def _forest_panel(panel: Axes, rows: pd.DataFrame, colour: str, labels: Mapping[str, str] | None,
                  titled: bool) -> None:
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
    names = [labels.get(str(e), str(e)) if labels else f"{e}  {_date(d)}"
             for e, d in zip(rows["event_id"], rows["day0"], strict=True)]
    panel.set_yticks(y, names, fontsize=7.5)
    panel.set_ylim(-0.7, len(rows) - 0.3)
    panel.grid(axis="y", visible=False)
    right = panel.secondary_yaxis("right")
    right.set_yticks(y, [f"{signed_percent(c)}{stars(p)}" for c, p in
                         zip(rows["car"], rows["pvalue"], strict=True)], fontsize=7.5)
    right.tick_params(length=0)
    right.spines["right"].set_visible(False)
    span = float(np.nanmax(clipped_high) - np.nanmin(clipped_low)) if len(rows) else 10.0
    _percent_axis_auto(panel.xaxis, span)
    panel.set_xlabel("CAR, %")
    if titled:
        asset = rows["asset"].iloc[0]
        panel.set_title(str(asset), fontsize=9.5)


# -- writing the study's figures ----------------------------------------------------------


@dataclass
class FigureRecord:
    """A written figure: its kind, title, caption and file per format."""

    name: str
    kind: str
    title: str
    files: dict[str, Path] = field(default_factory=dict)
    description: str = ""


@dataclass
class FigureSet:
    """The figures of a study and the notes about what was left out."""

    records: list[FigureRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def figure_plan(data: ReportData, figures: str) -> tuple[list[tuple[str, str, str, Callable[[], Figure]]],
                                                         list[str]]:
    """What to draw: ``(name, kind, title, draw)`` per figure, and notes on caps.

    ``figures`` is ``summary`` (timelines, CAAR, forest plots) or ``all`` (also one
    figure per event-asset pair and per event with several assets, at most
    :data:`MAX_PAIR_FIGURES` each, the most significant first).
    """
    if figures not in ("summary", "all"):
        raise ValueError(f"figures must be 'none', 'summary' or 'all', not {figures!r}")
    caption = data.caption()
    ar, car = data.abnormal_returns, data.car
    plan: list[tuple[str, str, str, Callable[[], Figure]]] = []
    notes: list[str] = []
    events = data.events
    numbers = {str(i): n + 1 for n, i in enumerate(events["id"])}
    used = events[events["id"].isin(set(car["event_id"]) | set(ar["event_id"]))] if len(car) else events
    if data.prices:
        start, end = data.timeline_span()
        title = f"{', '.join(data.prices)} and the announcements, {start.year}\u2013{end.year}" \
            if start.year != end.year else f"{', '.join(data.prices)} and the announcements, {start.year}"
        plan.append(("timeline", "timeline", title, functools.partial(
            plot_timeline, data.prices, used, day0=car, start=start, end=end, units=data.units(),
            numbers=numbers, title=title, caption=caption)))
        cluster = densest_cluster(used["date"])
        if cluster is not None:
            c0 = cluster[0] - pd.Timedelta(days=12)
            c1 = cluster[1] + pd.Timedelta(days=12)
            zoom_title = (f"{', '.join(data.prices)}, {c0.day} {c0:%b} \u2013 {c1.day} {c1:%b %Y}: "
                          "the cluster of announcements")
            plan.append(("timeline_zoom", "timeline", zoom_title, functools.partial(
                plot_timeline, data.prices, used, day0=car, start=c0, end=c1, units=data.units(),
                numbers=numbers, title=zoom_title, caption=caption)))
        if len(data.prices) > 1:
            for asset, series in data.prices.items():
                single = f"{asset} and the announcements"
                plan.append((f"prices_{asset}", "asset_timeline", single, functools.partial(
                    plot_timeline, {asset: series}, used, day0=car, start=start, end=end,
                    units=data.units(), numbers=numbers, title=single, caption=caption)))
    else:
        notes.append("The timeline needs the prices (prices.csv), which this results folder lacks.")
    if len(ar):
        plan.append(("caar_by_asset", "caar", "Cumulative average abnormal return by asset",
                     functools.partial(plot_caar, ar, "asset", caption=caption)))
        groups = dict(zip(events["id"].astype(str), events["group"], strict=True))
        if any(pd.notna(g) and g for g in groups.values()):
            plan.append(("caar_by_group", "caar", "Cumulative average abnormal return by event group",
                         functools.partial(plot_caar, ar, "group", groups=groups, caption=caption)))
    if len(car):
        for start_day, end_day in car[["start", "end"]].drop_duplicates().itertuples(index=False):
            w = (int(start_day), int(end_day))
            plan.append((f"forest_{w[0]}_{w[1]}", "forest", f"CAR over {_window(*w)} by event",
                         functools.partial(plot_forest, car, w, caption=caption)))
    if figures == "all" and len(ar):
        ranking = _pair_ranking(car, ar)
        chosen = set(ranking[:MAX_PAIR_FIGURES])
        if len(ranking) > MAX_PAIR_FIGURES:
            notes.append(f"Per-pair figures were drawn for {MAX_PAIR_FIGURES} of {len(ranking)} event-asset "
                         "pairs (those with the smallest p-value over the first CAR window); draw any "
                         "other with Results.plot_car(event_id, asset).")
        multi = [e for e in dict.fromkeys(p[0] for p in ranking)
                 if ar.loc[ar["event_id"] == e, "asset"].nunique() > 1]
        if len(multi) > MAX_PAIR_FIGURES:
            notes.append(f"Multi-asset event figures were drawn for {MAX_PAIR_FIGURES} of {len(multi)} "
                         "events (most significant first).")
        chosen_events = set(multi[:MAX_PAIR_FIGURES])
        first_window = _first_window(car)
        # in events-file order: each event's multi-asset figure, then its per-pair figures
        for event_id in dict.fromkeys(ar["event_id"].astype(str)):
            if event_id in chosen_events:
                rows = ar[ar["event_id"] == event_id]
                mine = car[(car["event_id"] == event_id) & (car["start"] == first_window[0])
                           & (car["end"] == first_window[1])] if first_window else None
                title = f"{event_id}: {rows['event'].iloc[0]}"
                plan.append((f"event_{event_id}", "event", f"{title} (all assets)",
                             functools.partial(plot_event, rows, mine, title=title, caption=caption)))
            for asset in dict.fromkeys(ar.loc[ar["event_id"] == event_id, "asset"].astype(str)):
                if (event_id, asset) not in chosen:
                    continue
                rows = ar[(ar["event_id"] == event_id) & (ar["asset"] == asset)]
                mine = car[(car["event_id"] == event_id) & (car["asset"] == asset)]
                title = f"{event_id}: {rows['event'].iloc[0]}"
                plan.append((f"car_{event_id}_{asset}", "pair", f"{title} ({asset})",
                             functools.partial(plot_car, rows, mine, title=title, caption=caption)))
    return plan, notes


def _first_window(car: pd.DataFrame) -> tuple[int, int] | None:
    if car.empty:
        return None
    return int(car["start"].iloc[0]), int(car["end"].iloc[0])


def _pair_ranking(car: pd.DataFrame, ar: pd.DataFrame) -> list[tuple[str, str]]:
    """Pairs in order of significance over the first CAR window, then in file order."""
    order = list(dict.fromkeys(zip(ar["event_id"].astype(str), ar["asset"].astype(str), strict=True)))
    window = _first_window(car)
    if window is None:
        return order
    first = car[(car["start"] == window[0]) & (car["end"] == window[1])]
    pvalue = {(str(e), str(a)): p for e, a, p in zip(first["event_id"], first["asset"], first["pvalue"],
                                                     strict=True)}
    position = {pair: i for i, pair in enumerate(order)}
    return sorted(order, key=lambda pair: (_nan_last(pvalue.get(pair)), position[pair]))


def _nan_last(value: float | None) -> float:
    return 2.0 if value is None or not np.isfinite(value) else float(value)


def save_figures(data: ReportData, folder: Path, figures: str, formats: Sequence[str],
                 skip_existing: bool = False) -> FigureSet:
    """Draw the study's figures into ``folder`` in every format (PNG at 200 dpi).

    Parameters
    ----------
    data
        The study's tables (:class:`eventstudy.report.ReportData`).
    folder
        Destination (created).
    figures
        ``none``, ``summary`` or ``all``.
    formats
        Any of ``png``, ``svg``, ``pdf``.
    skip_existing
        Keep figures whose files all exist (``eventstudy report``).

    Returns
    -------
    FigureSet
    """
    import matplotlib as mpl

    result = FigureSet()
    if figures == "none":
        return result
    plan, result.notes = figure_plan(data, figures)
    folder.mkdir(parents=True, exist_ok=True)
    for name, kind, title, draw in plan:
        stem = _safe(name)
        files = {fmt: folder / f"{stem}.{fmt}" for fmt in formats}
        if not (skip_existing and all(p.exists() for p in files.values())):
            figure = draw()
            with mpl.rc_context(cast(Any, STYLE)):  # fixed SVG hash salt: identical files on every run
                for fmt, path in files.items():
                    if fmt == "png":
                        _save_png(figure, path)
                    else:
                        figure.savefig(path, dpi=PNG_DPI, format=fmt, metadata=_metadata(fmt))
        result.records.append(FigureRecord(name=stem, kind=kind, title=title, files=files,
                                           description=DESCRIPTIONS.get(kind, "")))
    return result


DESCRIPTIONS = {
    "timeline": "Prices over the study span; dashed lines mark the announcements (numbered as in the "
                "events table), dots the close of each asset's day 0.",
    "caar": "Average CAR across event-asset pairs, cumulated over the event window, with a 95% band from "
            "the cross-section of CARs; pairs that share day 0 are not independent.",
    "forest": "Each event's CAR over the window with its 95% confidence interval, sorted; the value and "
              "significance are printed at the right.",
    "pair": "Daily abnormal returns (bars) and their cumulative sum (line) with a 95% band; the CARs over "
            "the study's windows and their p-values are printed under the title.",
    "event": "The CAR of every asset around the same announcement, on a common event-time axis.",
    "asset_timeline": "One asset's timeline, for use on its own.",
}


def _save_png(figure: Figure, path: Path) -> None:
    """PNG at :data:`PNG_DPI`, reduced to an adaptive 256-colour palette (about a third of the size,
    visually identical for line art). Drawn once to raw RGBA, so the image is encoded only once."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    figure.savefig(buffer, dpi=PNG_DPI, format="rgba")
    width, height = (round(v * PNG_DPI) for v in figure.get_size_inches())
    image = Image.frombuffer("RGBA", (width, height), buffer.getvalue(), "raw", "RGBA", 0, 1)
    paletted = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    paletted.save(path, format="PNG", compress_level=6, dpi=(PNG_DPI, PNG_DPI))


def _metadata(fmt: str) -> dict[str, Any]:
    """Reproducible files: no creation date in SVG/PDF."""
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return {}


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
