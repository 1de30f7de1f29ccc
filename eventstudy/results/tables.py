"""Turn the engine's arrays into the labelled tables of ``docs/outputs.md``, and into Results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from eventstudy.events import Events
from eventstudy.inference import clustering, run_tests
from eventstudy.models.engine import EngineOutput, empirical_pvalue
from eventstudy.models.pairs import PairArrays
from eventstudy.results.value import Results
from eventstudy.sources.base import SeriesProvenance
from eventstudy.spec import StudySpec
from eventstudy.timing.assets import Asset

AR_COLUMNS = ["event_id", "event", "asset", "day", "date", "return", "expected", "ar", "car",
              "se_ar", "se_car"]
CAR_COLUMNS = ["event_id", "event", "asset", "start", "end", "car", "se", "t", "pvalue",
               "pvalue_empirical", "day0", "group", "flags"]
AGGREGATE_COLUMNS = ["scope", "start", "end", "n", "caar", "test", "statistic", "pvalue", "note"]
SKIPPED_COLUMNS = ["event_id", "asset", "reason"]


@dataclass(frozen=True)
class AssetSeries:
    """One asset's valid prices and returns on its own trading days.

    ``price_instants`` are the UTC instants at which the prices were observed; a
    return is dated by its later price, so the returns' instants are ``[1:]``.
    """

    asset: Asset
    prices: pd.Series
    returns: pd.Series
    price_instants: pd.DatetimeIndex


def build_results(spec: StudySpec, events: Events, series: Mapping[str, AssetSeries], pairs: pd.DataFrame,
                  output: EngineOutput, provenance: Sequence[SeriesProvenance]) -> Results:
    """Assemble :class:`~eventstudy.results.Results` from the engine's output.

    The abnormal-return table is built when first read.
    """
    frame = events.frame.set_index("id")
    pairs = pairs.assign(
        event=pairs["event_id"].map(frame["event"]),
        group=pairs["event_id"].map(frame["group"]),
        flags=_overlap_flags(pairs, spec),
    )
    fitted = output.fitted
    kept = pairs[fitted].reset_index(drop=True)
    arrays = output.arrays.subset(fitted)
    expected = output.expected[fitted]
    car_table, window_skips = _car_table(kept, arrays, spec.windows)
    skipped = pd.concat([
        pd.DataFrame({"event_id": pairs["event_id"][~fitted], "asset": pairs["asset"][~fitted],
                      "reason": output.reason[~fitted]}),
        window_skips,
    ], ignore_index=True).reindex(columns=SKIPPED_COLUMNS)
    return Results(
        spec=spec,
        events=events,
        provenance=tuple(provenance),
        prices=_study_span_prices(series, kept, spec),
        car=car_table,
        aggregate=_aggregate_table(kept, arrays, spec.windows),
        skipped=skipped,
        abnormal_returns=lambda: _ar_table(kept, arrays, expected, series, spec.event_window),
        pairs=kept,
        arrays=arrays,
        diagnostics=_diagnostics(arrays),
    )


def _diagnostics(arrays: PairArrays) -> dict[str, object]:
    """Clustering of the computed pairs (:func:`eventstudy.inference.clustering`), JSON-ready."""
    report = clustering(arrays)
    report["clustered_day0"] = [str(d) for d in report["clustered_day0"]]
    return report


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
            "reason": f"CAR window [{start}, {end}] not computed: prices end before day {end}",
        }))
    # Pair order (events in file order, then assets), then windows in the order given.
    car_table = pd.concat(tables).sort_index(kind="stable").reset_index(drop=True)[CAR_COLUMNS]
    return car_table, pd.concat(skips, ignore_index=True)


def _aggregate_table(pairs: pd.DataFrame, arrays: PairArrays,
                     windows: Sequence[tuple[int, int]]) -> pd.DataFrame:
    scopes: list[tuple[str, np.ndarray]] = [("all", np.ones(len(pairs), dtype=bool))]
    scopes += [(f"asset:{a}", (pairs["asset"] == a).to_numpy()) for a in pairs["asset"].unique()]
    groups = pairs["group"].dropna().unique()
    scopes += [(f"group:{g}", (pairs["group"] == g).to_numpy()) for g in groups]
    rows = []
    for scope, in_scope in scopes:
        # One subset per scope: the tests cache window-independent terms on it and skip
        # pairs whose CAR is missing for a window.
        subset = arrays.subset(in_scope)
        for start, end in windows:
            car = subset.car(start, end)
            finite = car[np.isfinite(car)]
            caar = float(finite.mean()) if finite.size else float("nan")
            for result in run_tests(subset, start, end):
                rows.append({"scope": scope, "start": start, "end": end, "n": int(finite.size),
                             "caar": caar, "test": result.test, "statistic": result.statistic,
                             "pvalue": result.pvalue, "note": result.note})
    return pd.DataFrame(rows, columns=AGGREGATE_COLUMNS)


def _overlap_flags(pairs: pd.DataFrame, spec: StudySpec) -> pd.Series:
    """Per pair: other events whose windows fall in its estimation window, or share day 0."""
    lo, hi = spec.span
    e0, e1 = spec.estimation
    action = " (excluded from estimation)" if spec.exclude_event_windows else ""
    flags = pd.Series("", index=pairs.index, dtype=object)
    for _, same_asset in pairs[pairs["day0_pos"] >= 0].groupby("asset"):
        ids = same_asset["event_id"].to_numpy()
        day0 = same_asset["day0_pos"].to_numpy()
        for index, event_id, d in zip(same_asset.index, ids, day0, strict=True):
            others = ids != event_id
            in_estimation = others & (day0 + hi >= d + e0) & (day0 + lo <= d + e1)
            same_day = others & (day0 == d)
            notes = []
            if in_estimation.any():
                notes.append(f"estimation window contains {', '.join(ids[in_estimation])}{action}")
            if same_day.any():
                notes.append(f"shares day 0 with {', '.join(ids[same_day])}")
            flags[index] = "; ".join(notes)
    return flags
