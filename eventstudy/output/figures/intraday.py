"""Figures of intraday studies: the price path around announcements, and the CAR by bar.

Bars are drawn on a compressed axis (one unit per bar), so a span of several days has
no empty nights or weekends; each session break is a dotted vertical line, labelled
with the new session's date. Announcement instants are marked where they fall between
bars; a bar 0 that carries the overnight gap is shaded.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

from eventstudy.output.describe import StudyResults, caption
from eventstudy.output.figures.style import CAR_COLOUR, EVENT_COLOUR, GREY, PRICE_COLOUR, WIDTH, Z95, styled
from eventstudy.output.rows import shown_scopes
from eventstudy.timing.bars import INTERVALS

#: Sessions shown at most in an asset's price-path figure.
MAX_SESSIONS = 12
#: Per-pair figures drawn at most.
MAX_PAIR_FIGURES = 50

PlannedFigure = tuple[str, str, str, functools.partial["Figure"]]


def intraday_plan(results: StudyResults, figures: str) -> tuple[list[PlannedFigure], list[str]]:
    """Figures of an intraday study: each asset's price path over its event sessions
    (``summary``), plus one CAR-by-bar figure per pair (``all``)."""
    line = caption(results)
    plan: list[PlannedFigure] = []
    notes: list[str] = []
    car, ar = results.car, results.abnormal_returns
    announced = _announcements(results)
    few = shown_scopes(results, [str(name) for name in results.prices] or None).assets
    if few is not None:
        notes.append(f"Intraday price paths were drawn for {len(few)} of the {len(results.prices)} assets "
                     "(those whose pairs are the most significant: smallest p over the first CAR window).")
    for asset, closes in results.prices.items():
        if few is not None and str(asset) not in few:
            continue
        zone = _zone(results, asset)
        mine = car[car["asset"] == asset]
        days = sorted({d[:10] for d in mine["day0"].astype(str)})
        if not days:
            continue
        if len(days) * 2 > MAX_SESSIONS:
            notes.append(f"The {asset} price path shows the sessions of its first {MAX_SESSIONS // 2} "
                         f"event days of {len(days)}.")
        title = f"{asset}: intraday prices around the announcements"
        plan.append((f"intraday_{asset}", "intraday_prices", title, functools.partial(
            plot_intraday_path, closes, zone, days[: MAX_SESSIONS // 2], announced,
            pd.Timedelta(INTERVALS[results.spec.interval]), title=title,
            caption=line)))
    if figures == "all" and len(ar):
        pairs = list(dict.fromkeys(zip(ar["event_id"].astype(str), ar["asset"].astype(str), strict=True)))
        if len(pairs) > MAX_PAIR_FIGURES:
            notes.append(f"CAR-by-bar figures were drawn for the first {MAX_PAIR_FIGURES} "
                         f"of {len(pairs)} pairs.")
        for event_id, asset in pairs[:MAX_PAIR_FIGURES]:
            rows = ar[(ar["event_id"] == event_id) & (ar["asset"] == asset)]
            title = f"{event_id}: {rows['event'].iloc[0]} ({asset})"
            plan.append((f"car_{event_id}_{asset}", "pair", title, functools.partial(
                plot_car_by_bar, rows, title=title, caption=line)))
    return plan, notes


def _zone(results: StudyResults, asset: str) -> str:
    override = results.spec.asset_overrides.get(asset)
    return override.timezone if override is not None else "UTC"


def _announcements(results: StudyResults) -> pd.Series:
    frame = results.events.frame
    stamps = pd.to_datetime(frame["announced"], utc=True)
    return pd.Series(stamps.to_numpy(), index=frame["id"].astype(str)).dropna()


@styled
def plot_intraday_path(closes: pd.Series, timezone: str, days: Sequence[str], announced: pd.Series,
                       interval: pd.Timedelta, *, title: str = "", caption: str = "",
                       ax: Axes | None = None) -> Figure:
    """The closes of the sessions of ``days`` (local ``YYYY-MM-DD``) and the session before each,
    on a compressed bar axis, with session breaks and announcement instants marked."""
    import matplotlib.pyplot as plt

    index = pd.DatetimeIndex(closes.index)
    local = (index.tz_localize("UTC") if index.tz is None else index).tz_convert(timezone)
    session_days = pd.Index(local.strftime("%Y-%m-%d"))
    all_days = list(dict.fromkeys(session_days))
    shown: list[str] = []
    for day in days:
        if day in all_days:
            at = all_days.index(day)
            shown.extend(d for d in all_days[max(at - 1, 0): at + 1] if d not in shown)
    keep = np.asarray(session_days.isin(shown))
    values, stamps, labels = closes.to_numpy()[keep], local[keep], session_days[keep]
    figure, axis = (plt.subplots(figsize=(WIDTH, 3.4), layout="constrained") if ax is None
                    else (ax.figure, ax))
    x = np.arange(len(values))
    axis.plot(x, values, color=PRICE_COLOUR, linewidth=1.1)
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    for start in starts:
        if start:
            axis.axvline(float(start) - 0.5, color=GREY, linestyle=":", linewidth=0.8)
    axis.set_xticks(starts, [f"{stamps[int(p)]:%d %b}\n{stamps[int(p)]:%H:%M}" for p in starts])
    utc = stamps.tz_convert("UTC").asi8
    for event_id, when in announced.items():
        position = _announcement_x(utc, pd.Timestamp(when).as_unit("ns").value, interval)
        if position is None:
            continue
        axis.axvline(position, color=EVENT_COLOUR, linewidth=1.0)
        axis.annotate(str(event_id), (position, 1.0), xycoords=("data", "axes fraction"), rotation=90,
                      fontsize=7, color=EVENT_COLOUR, ha="right", va="top")
    axis.set_ylabel("price")
    axis.set_title(title)
    if caption:
        figure.text(0.01, 0.0, caption, fontsize=7, color=GREY, ha="left", va="bottom")
    return cast("Figure", figure)


def _announcement_x(utc: np.ndarray, moment: int, interval: pd.Timedelta) -> float | None:
    """x of an instant on the compressed axis (point ``k`` is bar ``k``'s close), or None if
    it is outside the bars shown."""
    last = int(np.searchsorted(utc, moment, side="right")) - 1
    if last < 0 or last >= len(utc) or moment > utc[last] + 2 * 86_400 * 10**9:
        return None
    step = int(interval.value)
    if moment < utc[last] + step:  # inside bar `last`, which runs from x = last - 1 to x = last
        return float(last - 1 + (moment - utc[last]) / step)
    return last + 0.5  # between sessions (or bars): at the break after bar `last`


@styled
def plot_car_by_bar(rows: pd.DataFrame, *, title: str = "", caption: str = "",
                    ax: Axes | None = None) -> Figure:
    """One pair's CAR by bar with its 95% band; bars whose return carries an overnight gap shaded."""
    import matplotlib.pyplot as plt

    rows = rows.sort_values("bar")
    bars = rows["bar"].to_numpy(dtype=float)
    car = rows["car"].to_numpy(dtype=float) * 100
    band = Z95 * rows["se_car"].to_numpy(dtype=float) * 100
    figure, axis = (plt.subplots(figsize=(WIDTH, 3.2), layout="constrained") if ax is None
                    else (ax.figure, ax))
    axis.fill_between(bars, car - band, car + band, color=CAR_COLOUR, alpha=0.18, linewidth=0,
                      label="95% band")
    axis.plot(bars, car, color=CAR_COLOUR, marker="o", markersize=3, linewidth=1.2, label="CAR")
    axis.axhline(0, color=GREY, linewidth=0.7)
    axis.axvline(0, color=EVENT_COLOUR, linewidth=0.9)
    overnight = _truthy(rows["overnight"])
    for bar in bars[overnight]:
        axis.axvspan(bar - 0.5, bar + 0.5, color=GREY, alpha=0.12, linewidth=0)
    if overnight.any():
        axis.plot([], [], color=GREY, alpha=0.3, linewidth=6, label="bar carries an overnight gap")
    dates = rows["date"].astype(str).to_numpy()
    step = max(1, int(np.ceil(len(bars) / 7)))
    labels, previous_day = [], ""
    for at in range(0, len(bars), step):
        day, clock = dates[at][5:10], dates[at][11:16]
        labels.append(f"{int(bars[at])}\n{clock}" + (f"\n{day}" if day != previous_day else ""))
        previous_day = day
    axis.set_xticks(bars[::step], labels)
    axis.set_xlabel("bar relative to the announcement (local time)")
    axis.set_ylabel("CAR (%)")
    axis.set_title(title)
    axis.legend(loc="best")
    if caption:
        figure.text(0.01, 0.0, caption, fontsize=7, color=GREY, ha="left", va="bottom")
    return cast("Figure", figure)


def _truthy(values: pd.Series | Mapping[str, object]) -> np.ndarray:
    """Booleans from a column written as ``True``/``False`` (or read back as text)."""
    series = pd.Series(values)
    return series.map(lambda v: v is True or str(v).lower() == "true").to_numpy(dtype=bool)
