"""Turn the engine's arrays into the labelled tables of ``docs/outputs.md``, and into Results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from eventstudy.errors import NoResultsError
from eventstudy.events import Events
from eventstudy.models.engine import EngineOutput, empirical_pvalue
from eventstudy.models.pairs import PairArrays
from eventstudy.results.aggregate import aggregate_table, diagnostics
from eventstudy.results.extras import extend_tables
from eventstudy.results.flags import join_flags, overlap_flags
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
                  output: EngineOutput, provenance: Sequence[SeriesProvenance]) -> Results:
    """Assemble :class:`~eventstudy.results.Results` from the engine's output.

    The abnormal-return table is built when first read.
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
    arrays = output.arrays.subset(fitted)
    expected = output.expected[fitted]
    car_table, window_skips = _car_table(kept, arrays, spec.windows)
    car_table, aggregate = extend_tables(spec, kept, arrays, car_table, aggregate_table(
        kept, arrays, spec.windows, one_per_day=spec.one_per_day))
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
        diagnostics=diagnostics(kept, arrays, spec),
    )


def _study_span_prices(series: Mapping[str, AssetSeries], pairs: pd.DataFrame,
                       spec: StudySpec) -> dict[str, pd.Series]:
    """Each asset's prices from the earliest estimation-window start to the latest event-window end."""
    prices = {name: s.prices for name, s in series.items()}
    if len(pairs) == 0:
        return prices
    starts, ends = [], []
    for asset, rows in pairs.groupby("asset"):
        index = prices[str(asset)].index
        positions = index.searchsorted(pd.to_datetime(rows["day0"]))
        # prices are one observation longer than returns: day 0's price sits at its position.
        starts.append(index[max(int(positions.min()) + spec.estimation[0] - 1, 0)])
        ends.append(index[min(int(positions.max()) + spec.event_window[1], len(index) - 1)])
    first, last = min(starts), max(ends)
    return {name: p[(p.index >= first) & (p.index <= last)] for name, p in prices.items()}


def _ar_table(pairs: pd.DataFrame, arrays: PairArrays, expected: np.ndarray,
              series: Mapping[str, AssetSeries], event_window: tuple[int, int]) -> pd.DataFrame:
    cols = arrays.columns(*event_window)
    days = arrays.event_days[cols]
    ar = arrays.ar[:, cols]
    car = np.cumsum(ar, axis=1)
    se_car = np.sqrt(np.stack([arrays.car_variance(event_window[0], int(d)) for d in days], axis=1))
    frames = []
    keys = zip(pairs["event_id"], pairs["event"], pairs["asset"], pairs["day0_pos"].to_numpy(), strict=True)
    for i, (event_id, event, asset, day0_pos) in enumerate(keys):
        returns = series[asset].returns
        positions = int(day0_pos) + days
        inside = (positions >= 0) & (positions < len(returns))
        frames.append(pd.DataFrame({
            "event_id": event_id, "event": event, "asset": asset,
            "day": days[inside], "date": returns.index[positions[inside]],
            "return": returns.to_numpy()[positions[inside]], "expected": expected[i, cols][inside],
            "ar": ar[i, inside], "car": car[i, inside],
            "se_ar": np.sqrt(arrays.var_ar[i, cols][inside]), "se_car": se_car[i, inside],
        }))
    if not frames:
        return pd.DataFrame(columns=AR_COLUMNS)
    return pd.concat(frames, ignore_index=True)[AR_COLUMNS]


def _car_table(pairs: pd.DataFrame, arrays: PairArrays,
               windows: Sequence[tuple[int, int]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    tables, skips = [], []
    for start, end in windows:
        car = arrays.car(start, end)
        se = np.sqrt(arrays.car_variance(start, end))
        with np.errstate(invalid="ignore", divide="ignore"):
            t = car / se
        pvalue = 2 * stats.t.sf(np.abs(t), np.maximum(arrays.dof, 1))
        empirical = empirical_pvalue(arrays.est_ar, car, end - start + 1)
        table = pairs[["event_id", "event", "asset"]].assign(
            start=start, end=end, car=car, se=se, t=t, pvalue=pvalue, pvalue_empirical=empirical,
            day0=pairs["day0"].dt.strftime("%Y-%m-%d"), group=pairs["group"], flags=pairs["flags"])
        missing = ~np.isfinite(car)
        tables.append(table[~missing])
        skips.append(pd.DataFrame({
            "event_id": pairs["event_id"][missing], "asset": pairs["asset"][missing],
            "reason": f"CAR window [{start}, {end}] not computed: a return or a benchmark value is missing "
                      "on some of its days (the prices end, or have a gap)",
        }))
    # Pair order (events in file order, then assets), then windows in the order given.
    car_table = pd.concat(tables).sort_index(kind="stable").reset_index(drop=True)[CAR_COLUMNS]
    return car_table, pd.concat(skips, ignore_index=True)


def no_results_message(reasons: np.ndarray) -> str:
    """``no event-asset pair could be computed (9 pairs: 6 x ..., 3 x ...)``."""
    counts = pd.Series(reasons).value_counts()
    parts = [f"{n} x {text}" for text, n in counts.head(3).items()]
    if len(counts) > 3:
        parts.append(f"{int(counts.iloc[3:].sum())} other")
    return f"no event-asset pair could be computed ({len(reasons)} pairs: {'; '.join(parts)})"
