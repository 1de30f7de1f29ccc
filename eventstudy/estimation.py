"""The daily estimation flow shared by an in-memory study and a partition of a distributed one:
place the events on each asset's sessions, stack the panel, flag stale benchmarks, and run
the model's estimator for every pair."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.measures.dimson import lagged_design
from eventstudy.models.engine import EngineOutput
from eventstudy.models.registry import get_model
from eventstudy.results.flags import join_flags
from eventstudy.spec import StudySpec
from eventstudy.timing.jumps import JumpCheck, moves_beyond
from eventstudy.timing.placement import (
    AssetSeries,
    Panel,
    build_panel,
    exclusion_mask,
    place_events,
    stale_benchmark_flags,
)


@dataclass(frozen=True)
class Estimate:
    """The placed pairs (with their data flags), the panel, each pair's day 0 as given to the
    estimator (-1 for a pair skipped before estimation) and the estimator's output."""

    pairs: pd.DataFrame
    panel: Panel
    day0_index: np.ndarray
    output: EngineOutput


def estimate(spec: StudySpec, events: pd.DataFrame, series: Mapping[str, AssetSeries],
             bench: Mapping[str, AssetSeries], return_kind: str) -> Estimate:
    """Place ``events`` on ``series``, build the panel (``return_kind`` of the benchmarks'
    levels) and fit the spec's model for every pair (:class:`~eventstudy.models.engine.Estimator`)."""
    pairs = place_events(events, series, span=spec.span, max_day0_gap=spec.max_day0_gap,
                         max_window_gap=spec.max_window_gap, skip_window_gaps=spec.skip_window_gaps,
                         jumps=None if spec.measure == "volume" else jump_check(spec, bench))
    model = get_model(spec.model)
    panel = build_panel(series, bench, return_kind, lagged_design(model.design, spec.lags))
    pairs["data_flags"] = join_flags(pairs["data_flags"], stale_benchmark_flags(
        pairs, panel, list(spec.benchmark), spec.span, spec.max_benchmark_age))
    exclude = (exclusion_mask(pairs, panel.returns.shape, spec.span) if spec.exclude_event_windows
               else None)
    day0_index = np.where(pairs["reason"] == "", pairs["day0_pos"], -1)
    output = model.estimator(
        panel.returns, panel.regressors, panel.offset,
        asset_index=pairs["asset_row"].to_numpy(), day0_index=day0_index,
        estimation=spec.estimation, event_window=spec.span, min_estimation=spec.min_estimation,
        exclude=exclude, day0_dates=pairs["day0"].to_numpy().astype("datetime64[D]"),
        constant=model.has_constant,
    )
    return Estimate(pairs=pairs, panel=panel, day0_index=day0_index, output=output)


def jump_check(spec: StudySpec, bench: Mapping[str, AssetSeries]) -> JumpCheck:
    """The split-like moves to look for (:mod:`~eventstudy.timing.jumps`): in each pair's
    estimation and event windows, of its asset's and its benchmarks' prices."""
    reach = (min(spec.estimation[0], spec.span[0]), max(spec.estimation[1], spec.span[1]))
    return JumpCheck(reach, spec.max_price_jump, {
        name: moves_beyond(b.prices.to_numpy(dtype=float), b.day_ns, spec.max_price_jump)
        for name, b in bench.items()})
