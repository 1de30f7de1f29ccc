"""The interactive charts of ``report.html`` as Plotly figure specifications (plain JSON data).

Each function returns ``{"id", "title", "data", "layout"}``: Plotly's figure schema
(https://plotly.com/javascript/reference/), drawn in the page by the bundled ``plotly.js``
(:mod:`eventstudy.output.interactive`). The numbers are those of the CSV files, in percent
for returns; the 95% band of a pair's CAR is CAR ± 1.96 se (MacKinlay 1997, eq. 4.4.20
with the estimation error), as in the static figures.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from eventstudy.output import describe
from eventstudy.output.describe import StudyResults
from eventstudy.output.figures.style import PALETTE
from eventstudy.output.format import window_label

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile
VISIBLE_PATHS = 6  # CAR paths drawn at first; the others are one legend click away
MARKED_EVENTS = 150  # above this many events the timeline marks them without vertical lines
CLUSTER_DAYS = 31

Chart = dict[str, Any]


def _day(value: Any) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def _naive(series: pd.Series) -> pd.Series:
    """The series on naive UTC instants (intraday bars are indexed by tz-aware UTC starts)."""
    index = pd.DatetimeIndex(series.index)
    return series.set_axis(index.tz_convert(None)) if index.tz is not None else series


def _instants(values: Any) -> list[str]:
    """``2025-08-07`` for each day, ``2025-08-07 11:00`` for each bar (midnight is a day)."""
    stamps = pd.DatetimeIndex(values)
    days = stamps.strftime("%Y-%m-%d")
    timed = stamps != stamps.normalize()
    if not timed.any():
        return list(days)
    return np.where(timed, stamps.strftime("%Y-%m-%d %H:%M"), days).tolist()


def _rgba(color: str, alpha: float) -> str:
    red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _round(values: Any, digits: int = 4) -> list[float | None]:
    """Plain floats for JSON, missing values as null."""
    array = np.round(np.asarray(values, dtype=float), digits)
    return [None if np.isnan(v) else float(v) for v in array]


def _significant(values: Any, digits: int = 6) -> list[float | None]:
    """Plain floats to ``digits`` significant digits (a price of 0.0125 keeps its precision)."""
    return [None if np.isnan(v) else float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=float)]


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    layout = {"title": {"text": title, "x": 0, "font": {"size": 15}},
              "margin": {"l": 60, "r": 20, "t": 50, "b": 50}, "hovermode": "closest",
              "legend": {"orientation": "h", "y": -0.18},
              "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif", "size": 12},
              "plot_bgcolor": "#ffffff", "paper_bgcolor": "#ffffff"}
    layout.update(extra)
    return layout


def busiest_month(dates: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp, int] | None:
    """The span of ``CLUSTER_DAYS`` calendar days holding the most events (at least three):
    (first event, last event, number of events), or None."""
    days = np.sort(pd.to_datetime(pd.Series(dates)).to_numpy(dtype="datetime64[D]"))
    if len(days) < 3:
        return None
    ends = np.searchsorted(days, days + np.timedelta64(CLUSTER_DAYS, "D"), side="left")
    counts = ends - np.arange(len(days))
    best = int(np.argmax(counts))
    if counts[best] < 3:
        return None
    return pd.Timestamp(days[best]), pd.Timestamp(days[ends[best] - 1]), int(counts[best])


def prices_chart(results: StudyResults, assets: list[str] | None = None) -> Chart | None:
    """Each asset's price (of ``assets`` when given) rebased to 100 at its first observation
    (hover: the price itself), the events marked, and a button that zooms into the busiest
    month of events."""
    # at the precision of prices.csv, so that a report rendered again from the folder is the same
    series = {name: _naive(s.dropna().map(lambda v: float(f"{v:.10g}"))) for name, s in results.prices.items()
              if len(s.dropna()) and (assets is None or str(name) in assets)}
    if not series:
        return None
    units = describe.units(results)
    data: list[dict[str, Any]] = []
    rebased: dict[str, pd.Series] = {}
    for n, (name, prices) in enumerate(series.items()):
        index = 100 * prices / float(prices.iloc[0])
        rebased[name] = index
        unit = f" {units[name]}" if name in units else ""
        data.append({"type": "scatter", "mode": "lines", "name": name,
                     "x": _instants(prices.index), "y": _round(index, 3),
                     "customdata": _significant(prices),
                     "line": {"width": 1.4, "color": PALETTE[n % len(PALETTE)]},
                     "hovertemplate": f"{name}: %{{customdata:,.6~g}}{unit}"
                                      " (index %{y:.1f})<extra></extra>"})
    low = min(float(s.min()) for s in rebased.values())
    high = max(float(s.max()) for s in rebased.values())
    frame = results.events.frame
    numbers = describe.numbers(results)
    dates = list(pd.DatetimeIndex(frame["date"]).strftime("%Y-%m-%d"))
    labels = [f"#{numbers.get(str(i), '')} {i}: {e}"
              for i, e in zip(frame["id"], frame["event"], strict=True)]
    data.append({"type": "scatter", "mode": "markers", "name": "events", "x": dates, "yaxis": "y2",
                 "y": [0.97] * len(dates), "text": labels,  # at the top whatever the zoom
                 "marker": {"symbol": "triangle-down", "size": 9, "color": "#b34700"},
                 "hovertemplate": "%{text}<extra></extra>"})
    shapes = [] if len(dates) > MARKED_EVENTS else [
        {"type": "line", "xref": "x", "yref": "paper", "x0": d, "x1": d, "y0": 0, "y1": 1,
         "line": {"color": "rgba(179,71,0,0.35)", "width": 1, "dash": "dot"}} for d in dates]
    first = min(pd.Timestamp(s.index.min()) for s in series.values())
    last = max(pd.Timestamp(s.index.max()) for s in series.values())
    buttons = [{"label": "whole span", "method": "relayout",
                "args": [{"xaxis.range": [_day(first), _day(last)],
                          "yaxis.range": _round([low * 0.97, high * 1.06], 2)}]}]
    cluster = busiest_month(frame["date"])
    if cluster is not None:
        start, end, count = cluster
        left, right = start - pd.Timedelta(days=10), end + pd.Timedelta(days=10)
        inside = [s[(s.index >= left) & (s.index <= right)] for s in rebased.values()]
        values = pd.concat([s for s in inside if len(s)]) if any(len(s) for s in inside) else None
        if values is not None:
            span = float(values.max() - values.min()) or 1.0
            buttons.append({"label": f"zoom: {start:%b %Y} ({count} events)", "method": "relayout",
                            "args": [{"xaxis.range": [_day(left), _day(right)],
                                      "yaxis.range": _round([float(values.min()) - 0.1 * span,
                                                             float(values.max()) + 0.15 * span], 2)}]})
    layout = _layout("Prices (first observation = 100) and the events",
                     height=460, hovermode="x unified", shapes=shapes,
                     xaxis={"type": "date", "showgrid": True, "gridcolor": "#e3e3e3"},
                     yaxis={"title": {"text": "index (first = 100)"}, "gridcolor": "#e3e3e3",
                            "range": _round([low * 0.97, high * 1.06], 2)},
                     yaxis2={"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True},
                     margin={"l": 60, "r": 20, "t": 84, "b": 50},
                     updatemenus=[{"type": "buttons", "direction": "right", "x": 0, "xanchor": "left",
                                   "y": 1.02, "yanchor": "bottom", "showactive": False, "buttons": buttons,
                                   "pad": {"t": 0, "b": 0}, "font": {"size": 12}}])
    return {"id": "chart-prices", "title": "Prices and events", "data": data, "layout": layout}


def car_path_chart(results: StudyResults, ranked: list[tuple[str, str]]) -> Chart | None:
    """Each pair's CAR over the event window with its 95% band (CAR ± 1.96 se_car), in the order
    of ``ranked``; the first ``VISIBLE_PATHS`` drawn, the others in the legend."""
    table = results.abnormal_returns
    if not ranked or table.empty:
        return None
    numbers = describe.numbers(results)
    unit = describe.unit(results)
    suffix = "%" if unit == "%" else f" {unit}"
    relative = "bar" if "bar" in table else "day"  # intraday tables count bars
    # Only the ranked pairs' rows are grouped (a large study's table has millions).
    wanted = set(ranked)
    table = table[table["event_id"].astype(str).isin({e for e, _ in ranked})]
    keep = [(str(e), str(a)) in wanted for e, a in zip(table["event_id"], table["asset"], strict=True)]
    table = table[np.asarray(keep, dtype=bool)]
    groups = {(str(e), str(a)): rows for (e, a), rows in table.groupby(["event_id", "asset"], sort=False)}
    data: list[dict[str, Any]] = []
    for n, key in enumerate(k for k in ranked if k in groups):
        rows = groups[key].sort_values(relative)
        days = [int(d) for d in rows[relative]]
        car = 100 * rows["car"].to_numpy(dtype=float)
        half = Z95 * 100 * rows["se_car"].to_numpy(dtype=float)
        color = PALETTE[n % len(PALETTE)]
        name = f"#{numbers.get(key[0], '')} {key[0]} \u00b7 {key[1]}"
        visible: bool | str = True if n < VISIBLE_PATHS else "legendonly"
        band = np.concatenate([car + half, (car - half)[::-1]])
        data.append({"type": "scatter", "mode": "lines", "x": days + days[::-1], "y": _round(band),
                     "fill": "toself", "fillcolor": _rgba(color, 0.13), "line": {"width": 0},
                     "hoverinfo": "skip", "showlegend": False, "legendgroup": name, "visible": visible,
                     "name": f"{name} 95% band"})
        data.append({"type": "scatter", "mode": "lines+markers", "name": name, "legendgroup": name,
                     "x": days, "y": _round(car), "visible": visible,
                     "customdata": [[_day(d), lo, hi] for d, lo, hi in
                                    zip(rows["date"], _round(car - half), _round(car + half), strict=True)],
                     "line": {"color": color, "width": 1.6}, "marker": {"size": 4, "color": color},
                     "hovertemplate": f"{name}<br>{relative} %{{x}} (%{{customdata[0]}})<br>"
                                      f"CAR %{{y:.2f}}{suffix} "
                                      "[95%: %{customdata[1]:.2f}, %{customdata[2]:.2f}]<extra></extra>"})
    if not data:
        return None
    layout = _layout("CAR path per event and asset, with its 95% band", height=460,
                     xaxis={"title": {"text": "bar relative to bar 0" if relative == "bar"
                                      else "trading day relative to day 0"}, "zeroline": True,
                            "gridcolor": "#e3e3e3", "dtick": 1 if len(data[1]["x"]) <= 25 else None},
                     yaxis={"title": {"text": f"CAR, {unit}"}, "zeroline": True, "zerolinecolor": "#888",
                            "gridcolor": "#e3e3e3"},
                     legend={"orientation": "v", "x": 1.02, "y": 1, "font": {"size": 11}},
                     margin={"l": 60, "r": 10, "t": 50, "b": 50})
    return {"id": "chart-car-paths", "title": "CAR paths", "data": data, "layout": layout}


def forest_chart(results: StudyResults, ranked: list[tuple[str, str]]) -> Chart | None:
    """The first window's CAR of each pair in ``ranked`` with its 95% interval (CAR ± 1.96 se),
    one trace per asset, pairs in the events-file order."""
    windows = describe.windows(results)
    if not windows or not ranked:
        return None
    w = windows[0]
    car = results.car[(results.car["start"] == w[0]) & (results.car["end"] == w[1])]
    keep = set(ranked)
    car = car[[(str(e), str(a)) in keep for e, a in zip(car["event_id"], car["asset"], strict=True)]]
    if car.empty:
        return None
    numbers = describe.numbers(results)
    unit = describe.unit(results)
    suffix = "%" if unit == "%" else f" {unit}"
    order = [f"#{numbers.get(str(e), '')} {e} \u00b7 {a}"
             for e, a in zip(car["event_id"], car["asset"], strict=True)]
    data = []
    for n, asset in enumerate(dict.fromkeys(car["asset"])):
        mine = car[car["asset"] == asset]
        labels = [f"#{numbers.get(str(e), '')} {e} \u00b7 {asset}" for e in mine["event_id"]]
        color = PALETTE[n % len(PALETTE)]
        data.append({"type": "scatter", "mode": "markers", "name": str(asset), "x": _round(100 * mine["car"]),
                     "y": labels, "marker": {"size": 8, "color": color},
                     "error_x": {"type": "data", "array": _round(Z95 * 100 * mine["se"]), "visible": True,
                                 "color": color, "thickness": 1.2, "width": 3},
                     "customdata": [[str(e), "" if pd.isna(p) else f"{p:.3f}", str(d)] for e, p, d in
                                    zip(mine["event"], mine["pvalue"], mine["day0"], strict=True)],
                     "hovertemplate": f"%{{y}}: %{{customdata[0]}}<br>{describe.day0_label(results)} "
                                      "%{customdata[2]}<br>"
                                      f"CAR{window_label(*w)} %{{x:.2f}}{suffix} "
                                      "\u00b1 %{error_x.array:.2f} (p = %{customdata[1]})<extra></extra>"})
    layout = _layout(f"CAR{window_label(*w)} per event and asset, with its 95% interval",
                     height=max(260, 110 + 22 * len(order)),
                     xaxis={"title": {"text": f"CAR{window_label(*w)}, {unit}"}, "zeroline": True,
                            "zerolinecolor": "#888", "gridcolor": "#e3e3e3"},
                     yaxis={"type": "category", "categoryorder": "array", "categoryarray": order,
                            "autorange": "reversed", "automargin": True, "gridcolor": "#f0f0f0"},
                     legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
                     margin={"l": 10, "r": 20, "t": 60, "b": 50})
    return {"id": "chart-forest", "title": "CARs per event", "data": data, "layout": layout}
