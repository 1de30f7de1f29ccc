"""Figures, built on matplotlib's object API (never pyplot state), so no display is needed.

Every plot function takes ``ax=None`` and returns the figure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from eventstudy.results import Results

AR_COLOUR = "#0072B2"
CAR_COLOUR = "#D55E00"


def _figure_and_axes(ax: Axes | None, size: tuple[float, float] = (8, 4.5)) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    figure = Figure(figsize=size, layout="constrained")
    return figure, figure.add_subplot()


def plot_car(rows: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Daily abnormal returns (bars) and the CAR with its 95% band for one event and asset.

    Parameters
    ----------
    rows
        The ``abnormal_returns`` rows of one event and asset.
    ax
        Axes to draw on; a new figure when ``None``.
    """
    figure, ax = _figure_and_axes(ax)
    days = rows["day"].to_numpy()
    ax.bar(days, 100 * rows["ar"], color=AR_COLOUR, alpha=0.6, label="daily AR")
    car = 100 * rows["car"].to_numpy()
    band = 1.96 * 100 * rows["se_car"].to_numpy()
    ax.plot(days, car, color=CAR_COLOUR, marker="o", markersize=3, label="CAR")
    ax.fill_between(days, car - band, car + band, color=CAR_COLOUR, alpha=0.15, label="95% band")
    ax.axvline(0, color="black", linewidth=0.8, linestyle="--")
    ax.axhline(0, color="grey", linewidth=0.6)
    first = rows.iloc[0]
    ax.set_title(f"{first['event_id']} {first['event']} · {first['asset']}")
    ax.set_xlabel("trading days relative to day 0")
    ax.set_ylabel("abnormal return, %")
    ax.legend(loc="upper left", frameon=False)
    return figure


def plot_prices(prices: pd.Series, pairs: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """An asset's price with each event's day 0 marked."""
    figure, ax = _figure_and_axes(ax, (9, 4.5))
    start = pairs["day0"].min() - pd.Timedelta(days=60)
    end = pairs["day0"].max() + pd.Timedelta(days=30)
    shown = prices[(prices.index >= start) & (prices.index <= end)]
    ax.plot(shown.index, shown.to_numpy(), color=AR_COLOUR, linewidth=1.2)
    for pair in pairs.itertuples(index=False):
        ax.axvline(pair.day0, color=CAR_COLOUR, linewidth=0.8, linestyle=":")
    ax.set_title(f"{prices.name} with event days")
    ax.set_ylabel(str(prices.name))
    return figure


def save_figures(results: Results, folder: Path, figures: str, formats: Sequence[str]) -> list[Path]:
    """Write the study's figures in every requested format; return the PNG (or first) files."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    drawings: list[tuple[str, Any]] = [
        (f"prices_{asset}", lambda a=asset: results.plot_prices(a)) for asset in results.prices
    ]
    if figures == "all":
        for pair in results.pairs.itertuples(index=False):
            drawings.append((f"car_{pair.event_id}_{pair.asset}",
                             lambda p=pair: results.plot_car(p.event_id, p.asset)))
    for name, draw in drawings:
        figure = draw()
        for position, fmt in enumerate(formats):
            path = folder / f"{_safe(name)}.{fmt}"
            figure.savefig(path, dpi=200)
            if position == 0:
                written.append(path)
    return written


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
