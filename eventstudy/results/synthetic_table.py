"""``synthetic.csv``: each pair's synthetic control and its placebo-rank p-value.

With ``model = "synthetic"`` (donors = the ``benchmark`` series), each event-asset pair
gets one row: the donor weights fitted on its estimation window, the CAR over the first
CAR window, the pre- and post-event root mean squared prediction errors, their ratio,
its rank among the placebo ratios (each donor treated in turn with the others as its
pool) and the placebo p-value ``rank / (J + 1)`` (Abadie, Diamond & Hainmueller 2010,
section 2.3; :func:`eventstudy.models.synthetic.synthetic_control`). A pair whose
windows have a missing donor value gets NaN and the reason in ``note``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy.errors import InputError
from eventstudy.models.synthetic import synthetic_control
from eventstudy.spec import StudySpec
from eventstudy.timing.placement import Panel

SYNTHETIC_COLUMNS = ["event_id", "asset", "start", "end", "day0", "weights", "car", "rmspe_pre", "rmspe_post",
                     "ratio", "rank", "units", "pvalue_placebo", "note"]


def outcomes_frame(panel: Panel, asset_row: int, asset: str, donors: list[str]) -> pd.DataFrame:
    """Date x unit returns on one asset's sessions: the asset, then each donor aligned to it."""
    dates = pd.DatetimeIndex(panel.calendar[asset_row])
    inside = np.asarray(dates.notna())
    frame = pd.DataFrame(panel.regressors[asset_row][inside], index=dates[inside], columns=donors)
    frame.insert(0, asset, panel.returns[asset_row][inside])
    return frame


def synthetic_table(spec: StudySpec, pairs: pd.DataFrame, panel: Panel) -> pd.DataFrame:
    """One row per computed pair (``pairs``: ``event_id, asset, asset_row, day0``)."""
    donors = list(spec.benchmark)
    start, end = spec.windows[0]
    rows = []
    for pair, asset_row in zip(pairs.itertuples(index=False), pairs["asset_row"].to_numpy(), strict=True):
        day0 = pd.Timestamp(str(pair.day0))
        row: dict[str, object] = {"event_id": pair.event_id, "asset": pair.asset, "start": start, "end": end,
                                  "day0": day0.strftime("%Y-%m-%d"), "units": len(donors) + 1}
        outcomes = outcomes_frame(panel, int(asset_row), str(pair.asset), donors)
        try:
            fit = synthetic_control(outcomes, str(pair.asset), donors, day0, spec.estimation, (start, end))
        except InputError as error:
            rows.append({**row, "car": np.nan, "note": f"not computed: {error.problem}"})
            continue
        rows.append({**row, "weights": "; ".join(f"{name} {w:.4f}" for name, w in fit.weights.items()),
                     "car": fit.car, "rmspe_pre": fit.rmspe_pre, "rmspe_post": fit.rmspe_post,
                     "ratio": fit.ratio, "rank": fit.rank, "pvalue_placebo": fit.pvalue, "note": ""})
    return pd.DataFrame(rows).reindex(columns=SYNTHETIC_COLUMNS)
