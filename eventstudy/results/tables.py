"""Turn the engine's arrays into the labelled tables of ``docs/outputs.md``, and into Results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.errors import NoResultsError
from eventstudy.events import Events
from eventstudy.inference.base import two_sided_t_values
from eventstudy.models.engine import EngineOutput
from eventstudy.models.pairs import PairArrays
from eventstudy.results.aggregate import aggregate_table, diagnostics, residual_rho
from eventstudy.results.extras import extend_tables
from eventstudy.results.flags import join_flags, overlap_flags
from eventstudy.results.residual_summary import ResidualSummary, empirical_pvalue_table
from eventstudy.results.value import Results
from eventstudy.sources.base import SeriesProvenance
from eventstudy.spec import StudySpec
from eventstudy.timing.placement import AssetSeries

AR_COLUMNS = ["event_id", "event", "asset", "day", "date", "return", "expected", "ar", "car",
              "se_ar", "se_car"]
CAR_COLUMNS = ["event_id", "event", "asset", "start", "end", "car", "se", "t", "pvalue",
               "pvalue_empirical", "day0", "group", "flags"]
AGGREGATE_COLUMNS = ["scope", "start", "end", "n", "caar", "test", "statistic", "pvalue", "note"]
SKIPPED_COLUMNS = ["event_id", "asset", "reason"]

def build_results(spec: StudySpec, events: Events, series: Mapping[str, AssetSeries], pairs: pd.DataFrame,
                  output: EngineOutput, provenance: Sequence[SeriesProvenance],
                  residuals: ResidualSummary | None = None) -> Results:
    """Assemble :class:`~eventstudy.results.Results` from the engine's output.

    The abnormal-return table is built when first read. ``residuals`` stands for the
    estimation residuals when ``output`` does not hold them (a partitioned run:
    :mod:`eventstudy.results.residual_summary`); the tables are the same.
    """
    frame = events.frame.set_index("id")
    overlaps = overlap_flags(pairs, spec.span, spec.estimation, spec.exclude_event_windows)
    pairs = pairs.assign(
        event=pairs["event_id"].map(frame["event"]),
        group=pairs["event_id"].map(frame["group"]),
        flags=join_flags(overlaps, pairs["data_flags"]),
    )
    reason = np.where(pairs["reason"] != "", pairs["reason"], output.reason)
    fitted = output.fitted & (pairs["reason"] == "").to_numpy()
    if not fitted.any():
        raise NoResultsError(no_results_message(reason))
    kept = pairs[fitted].reset_index(drop=True)
    everything = bool(fitted.all())  # then no copy of the (pairs x days) arrays
    arrays = output.arrays if everything else output.arrays.subset(fitted)
    expected = output.expected if everything else output.expected[fitted]
    if residuals is not None and not everything:
        residuals = residuals.subset(fitted)
    car_table, window_skips = _car_table(kept, arrays, spec.windows, residuals)
    rho = None if residuals is None else residual_rho(kept, arrays, spec.windows, residuals)
    car_table, aggregate = extend_tables(spec, kept, arrays, car_table, aggregate_table(
        kept, arrays, spec.windows, one_per_day=spec.one_per_day, residuals=residuals, rho=rho))
    skipped = pd.concat([
        pd.DataFrame({"event_id": pairs["event_id"][~fitted], "asset": pairs["asset"][~fitted],
                      "reason": reason[~fitted]}),
        window_skips,
    ], ignore_index=True).reindex(columns=SKIPPED_COLUMNS)
    return Results(
        spec=spec,
        events=events,
        provenance=tuple(provenance),
        prices=_study_span_prices(series, kept, spec),
        car=car_table,
        aggregate=aggregate,
        skipped=skipped,
        abnormal_returns=lambda: _ar_table(kept, arrays, expected, series, spec.event_window),
        pairs=kept,
        arrays=arrays,
        diagnostics=diagnostics(kept, arrays, spec, rho),
    )


def _study_span_prices(series: Mapping[str, AssetSeries], pairs: pd.DataFrame,
                       spec: StudySpec) -> dict[str, pd.Series]:
    """Each asset's prices from the earliest estimation-window start to the latest event-window end."""
    prices = {name: s.prices for name, s in series.items()}
    if len(pairs) == 0:
        return prices
    names = list(series)
    asset = pd.Index(names).get_indexer(pd.Index(pairs["asset"].astype(str)))
    day0 = pairs["day0"].to_numpy().astype("datetime64[ns]").view(np.int64)
    earliest = np.full(len(names), np.iinfo(np.int64).max)
    latest = np.full(len(names), np.iinfo(np.int64).min)
    np.minimum.at(earliest, asset, day0)
    np.maximum.at(latest, asset, day0)
    first, last = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    for k in np.unique(asset):
        days = series[names[k]].day_ns
        # prices are one observation longer than returns: day 0's price sits at its position.
        start = int(np.searchsorted(days, earliest[k])) + spec.estimation[0] - 1
        end = int(np.searchsorted(days, latest[k])) + spec.event_window[1]
        first = min(first, int(days[max(start, 0)]))
        last = max(last, int(days[min(end, len(days) - 1)]))
    return {name: _between(series[name], first, last) for name in names}


def _between(s: AssetSeries, first: int, last: int) -> pd.Series:
    """The asset's prices dated from ``first`` to ``last`` (int64 nanoseconds), inclusive."""
    days = s.day_ns
    if len(days) < 2 or bool((days[1:] > days[:-1]).all()):  # sorted: a slice, no mask
        return s.prices.iloc[np.searchsorted(days, first): np.searchsorted(days, last, side="right")]
    return s.prices[(days >= first) & (days <= last)]


def _ar_table(pairs: pd.DataFrame, arrays: PairArrays, expected: np.ndarray,
              series: Mapping[str, AssetSeries], event_window: tuple[int, int]) -> pd.DataFrame:
    """One row per pair and event day inside its asset's data, built column-wise.

    Each column is gathered at once from the engine's ``(pairs, days)`` arrays and the
    assets' returns laid end to end; rows run pair by pair (pair order), then by day.
    """
    cols = arrays.columns(*event_window)
    days = arrays.event_days[cols]
    ar = arrays.ar[:, cols]
    car = np.cumsum(ar, axis=1)
    se_car = np.sqrt(arrays.car_variances(event_window[0], days))
    names = list(series)
    lengths = np.array([len(series[name].returns) for name in names], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    asset = pd.Index(names).get_indexer(pd.Index(pairs["asset"]))
    positions = pairs["day0_pos"].to_numpy(dtype=np.int64)[:, None] + days[None, :]
    inside = (positions >= 0) & (positions < lengths[asset][:, None])
    if not inside.any():
        return pd.DataFrame(columns=AR_COLUMNS)
    row, col = np.nonzero(inside)  # row-major: pair by pair, then day
    flat = offsets[asset[row]] + positions[row, col]
    all_returns = np.concatenate([series[name].returns.to_numpy(dtype=float) for name in names])
    all_dates = pd.DatetimeIndex(np.concatenate([pd.DatetimeIndex(series[name].returns.index).to_numpy()
                                                 for name in names]))
    return pd.DataFrame({
        "event_id": _gathered(pairs["event_id"], row), "event": _gathered(pairs["event"], row),
        "asset": _gathered(pairs["asset"], row), "day": days[col], "date": all_dates[flat],
        "return": all_returns[flat], "expected": expected[:, cols][inside], "ar": ar[inside],
        "car": car[inside], "se_ar": np.sqrt(arrays.var_ar[:, cols][inside]), "se_car": se_car[inside],
    }, columns=AR_COLUMNS)


def _gathered(labels: pd.Series, rows: np.ndarray) -> Any:
    """``labels`` at ``rows``: a text column is gathered by its own array (Arrow's take, no
    Python string per row), anything else as a NumPy array, so the table's dtypes are the same."""
    if isinstance(labels.dtype, pd.StringDtype):
        return labels.array.take(rows)
    return labels.to_numpy()[rows]


def _car_table(pairs: pd.DataFrame, arrays: PairArrays, windows: Sequence[tuple[int, int]],
               residuals: ResidualSummary | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The CAR table (pair order, then windows in the order given) and the pairs whose CAR
    over a window is missing (window by window), built column-wise: one ``(pairs, windows)``
    array per column, raveled row-major."""
    n = len(pairs)
    car = np.empty((n, len(windows)))
    se = np.empty((n, len(windows)))
    for k, (start, end) in enumerate(windows):
        car[:, k] = arrays.car(start, end)
        se[:, k] = np.sqrt(arrays.car_variance(start, end))
    empirical = (empirical_pvalue_table(arrays.est_ar, car, windows) if residuals is None
                 else residuals.empirical)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = car / se
    pvalue = two_sided_t_values(t, np.maximum(arrays.dof, 1)[:, None])
    present = np.isfinite(car)
    row, col = np.nonzero(present)
    day0 = np.datetime_as_string(pairs["day0"].to_numpy().astype("datetime64[D]"), unit="D")
    starts = np.array([w[0] for w in windows], dtype=np.int64)
    ends = np.array([w[1] for w in windows], dtype=np.int64)
    labels = {name: pairs[name].iloc[row].reset_index(drop=True)  # keeps each column's dtype
              for name in ("event_id", "event", "asset", "group", "flags")}
    car_table = pd.DataFrame({
        **labels, "start": starts[col], "end": ends[col],
        "car": car[present], "se": se[present], "t": t[present], "pvalue": pvalue[present],
        "pvalue_empirical": empirical[present], "day0": day0[row],
    }, columns=CAR_COLUMNS)
    skips = [pd.DataFrame({
        "event_id": pairs["event_id"][~present[:, k]], "asset": pairs["asset"][~present[:, k]],
        "reason": f"CAR window [{start}, {end}] not computed: a return or a benchmark value is missing "
                  "on some of its days (the prices end, or have a gap)",
    }) for k, (start, end) in enumerate(windows)]
    return car_table, pd.concat(skips, ignore_index=True)


def no_results_message(reasons: np.ndarray) -> str:
    """``no event-asset pair could be computed (9 pairs: 6 x ..., 3 x ...)``."""
    counts = pd.Series(reasons).value_counts()
    parts = [f"{n} x {text}" for text, n in counts.head(3).items()]
    if len(counts) > 3:
        parts.append(f"{int(counts.iloc[3:].sum())} other")
    return f"no event-asset pair could be computed ({len(reasons)} pairs: {'; '.join(parts)})"
