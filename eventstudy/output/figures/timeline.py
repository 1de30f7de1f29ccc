"""Calendar-time figures: every asset's price over the study span with the events numbered."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

from eventstudy.output.figures.style import (
    CAR_COLOUR,
    EVENT_COLOUR,
    PRICE_COLOUR,
    WIDTH,
    calendar_day_marks,
    decorate,
    new_figure,
    short_date,
    styled,
)

MAX_TIMELINE_LABELS = 30  # events numbered at most; every event keeps its line

# -- 1. timeline -----------------------------------------------------------------------


@styled
def plot_timeline(prices: Mapping[str, pd.Series] | pd.DataFrame, events: pd.DataFrame, *,
                  day0: pd.DataFrame | None = None, start: Any = None, end: Any = None,
                  units: Mapping[str, str] | None = None, numbers: Mapping[str, int] | None = None,
                  title: str | None = None, caption: str | None = None,
                  ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """Each asset's price over a span with the events marked and numbered.

    Events are marked by a vertical line at the announcement date (one line collection
    per panel, so thousands of events draw as fast as a few) and numbered in a label
    track above the prices; labels that would touch are stacked, so they never overlap.
    At most :data:`MAX_TIMELINE_LABELS` events are numbered: when more are shown, the
    most significant (smallest p-value of the first CAR window in ``day0``, over the
    assets; without p-values, events evenly spread in time), and the key below the chart
    says so. Otherwise the key gives each number's date and label. Each asset's day 0 is
    a dot on its price line.

    Parameters
    ----------
    prices
        Price series by asset name (or a wide date x asset frame).
    events
        Columns ``id``, ``date`` and ``event`` (:attr:`Events.frame`).
    day0
        Optional ``event_id``, ``asset``, ``day0`` rows (``car.csv``) for the dots; with
        ``start``, ``end`` and ``pvalue`` they also rank the events for numbering.
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

    from eventstudy.output.figures.daylines import calendar_lines

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
    labelled, ranking = labelled_events(shown, day0)
    badges = _badges(labelled["when_"], list(labelled["id"]), numbers, start - pad, end + pad, width * 0.84)
    n_levels = max((b[2] for b in badges), default=0) + 1
    capped = len(labelled) < len(shown)
    key_lines = _timeline_key(shown, numbers) if not capped else [("", line) for line in textwrap.wrap(
        f"{len(shown):,} events, each a tick at the foot of the panels; numbered, with a dashed line and the "
        f"day-0 dots: the {len(labelled)} {ranking} (numbers as in the events table).", 105)]
    if own:
        key_height = 0.17 * len(key_lines) + 0.1 if key_lines else 0.01
        track_height = 0.2 * n_levels + 0.1
        panel_height = 2.1 if len(names) > 1 else 2.6
        height = 0.9 + track_height + panel_height * len(names) + key_height
        figure = new_figure((width, height))
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
        if capped:  # every event as a short tick, the numbered ones as full lines
            calendar_lines(panel, shown["when_"].drop_duplicates(), 0, 0.045, colors=EVENT_COLOUR,
                           linewidth=0.5, alpha=0.6)
        if len(labelled):
            calendar_lines(panel, labelled["when_"].drop_duplicates(), 0, 1, colors=EVENT_COLOUR,
                           linewidth=0.7, linestyles=(0, (3, 2)), alpha=0.8)
        if day0 is not None and len(values):
            mine = day0[day0["asset"] == name]
            if capped:
                mine = mine[mine["event_id"].astype(str).isin(set(labelled["id"].astype(str)))]
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
            calendar_day_marks(panel, start - pad, end + pad)
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
        if badges:
            track.vlines(cast(Any, [b[0] for b in badges]), -0.6, [b[2] for b in badges], colors=EVENT_COLOUR,
                         linewidth=0.7, alpha=0.8, zorder=1)
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
        decorate(figure, title or f"{', '.join(names)} with the announcements", caption)
    return figure


def labelled_events(shown: pd.DataFrame, day0: pd.DataFrame | None,
                    limit: int = MAX_TIMELINE_LABELS) -> tuple[pd.DataFrame, str]:
    """The events to number (at most ``limit``, in date order) and how they were chosen.

    All when there are at most ``limit``; otherwise the ``limit`` with the smallest
    p-value of the first CAR window of ``day0`` (the smallest over their assets; events
    without one come last, ties in date order), or, without p-values, ``limit`` events
    evenly spread over the sorted dates.
    """
    if len(shown) <= limit:
        return shown, "all"
    if day0 is not None and {"pvalue", "start", "end", "event_id"} <= set(day0.columns) and len(day0):
        first = day0[(day0["start"] == day0["start"].iloc[0]) & (day0["end"] == day0["end"].iloc[0])]
        best = first.groupby(first["event_id"].astype(str))["pvalue"].min()
        window = f"[{int(first['start'].iloc[0])},{int(first['end'].iloc[0])}]".replace("-", "\u2212")
        score = shown["id"].astype(str).map(best).fillna(2.0).to_numpy()
        order = np.argsort(score, kind="stable")[:limit]
        chosen = shown.iloc[np.sort(order)]
        return chosen, f"most significant (smallest p-value of CAR{window} over the assets)"
    positions = np.unique(np.linspace(0, len(shown) - 1, limit).round().astype(int))
    return shown.iloc[positions], "evenly spread in time (no p-values to rank them)"


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
        if len(text) > 9:  # many numbers close together: the first and how many more
            text = f"{min(n for _, n in group)} +{len(group) - 1}"
        when = group[0][0] + (group[-1][0] - group[0][0]) / 2
        x = (when - start) / pd.Timedelta(days=1)
        half = (0.08 * len(text) + 0.14) * per_inch / 2
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
    return [(str(numbers[str(row.id)]), short_date(row.when_), f"{row.id}: {_shorten(str(row.event), 80)}")
            for row in shown.itertuples(index=False)]


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def densest_cluster(dates: Iterable[Any], days: int = 31, minimum: int = 3) -> tuple[Any, Any] | None:
    """The calendar span of the largest group of events within ``days`` of each other.

    Returns ``None`` when no ``days``-long period holds ``minimum`` events or when all
    events already fall in one such period (the full timeline then shows them well).
    """
    stamps = np.sort(pd.to_datetime(pd.Series(list(dates))).dropna().to_numpy())
    if len(stamps) < minimum or (stamps[-1] - stamps[0]) / np.timedelta64(1, "D") <= 3 * days:
        return None
    last = np.searchsorted(stamps, stamps + np.timedelta64(days, "D"), side="right") - 1
    counts = last - np.arange(len(stamps)) + 1
    i = int(np.argmax(counts))  # the first of the largest groups
    if counts[i] < minimum:
        return None
    return pd.Timestamp(stamps[i]), pd.Timestamp(stamps[last[i]])


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


