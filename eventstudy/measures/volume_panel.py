"""The series of an abnormal-volume study: log volume in place of returns (Campbell & Wasley 1996).

With ``measure = "volume"`` the engine fits log volume exactly as it fits returns
(:mod:`eventstudy.measures.volume`): the constant-mean model gives
``AV_t = log v_t - mean(log v)`` over the estimation window (their eq. 2), the market
model on a benchmark's log volume ``AV_t = log v_t - (a + b log v_m,t)`` (their eq. 3).

Each asset keeps its price calendar (the sessions of its price file), so day 0 and the
windows fall on the same sessions as in a returns study; its "returns" are its log
volume on those sessions (the first session dropped, as for returns). A session with
zero or no volume is missing (NaN), the documented default of
:func:`~eventstudy.measures.volume.log_volume`: a CAR window covering it is not
computed and ``skipped.csv`` says so. A benchmark's volume is aligned to the asset's
sessions like a benchmark price, as of each observation (its zero-volume sessions
dropped first, so the previous session's volume is used).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from eventstudy.errors import InputError
from eventstudy.measures.volume import log_volume
from eventstudy.timing.calendars import observation_instants
from eventstudy.timing.placement import AssetSeries


def volume_series(series: Mapping[str, AssetSeries], bench: Mapping[str, AssetSeries],
                  volumes: pd.DataFrame) -> tuple[dict[str, AssetSeries], dict[str, AssetSeries]]:
    """The assets' and benchmarks' series with log volume in place of returns.

    Parameters
    ----------
    series, bench
        The price series of the studied assets and of the benchmarks.
    volumes
        Wide date x asset volumes (or turnover) of all of them.

    Returns
    -------
    tuple of dict
        Assets: prices unchanged, ``returns`` the log volume on the price sessions.
        Benchmarks: ``prices`` their positive volumes, to be read as levels with
        :data:`eventstudy.timing.returns.LOG_LEVEL`.

    Raises
    ------
    InputError
        When an asset or benchmark has no volume column.
    """
    missing = [name for name in [*series, *bench] if name not in volumes.columns]
    if missing:
        raise InputError(f"no volumes for {', '.join(missing)}",
                         fix="give every studied asset and benchmark a file with a volume column")
    assets = {}
    for name, s in series.items():
        logged = log_volume(volumes[name].reindex(s.prices.index))
        assets[name] = AssetSeries(asset=s.asset, prices=s.prices, returns=logged.iloc[1:],
                                   price_instants=s.price_instants)
    benchmarks = {}
    for name, b in bench.items():
        volume = volumes[name][volumes[name] > 0].astype(float)
        instants = observation_instants(pd.DatetimeIndex(volume.index), b.asset.observed_at, b.asset.timezone)
        benchmarks[name] = AssetSeries(asset=b.asset, prices=volume, returns=log_volume(volume).iloc[1:],
                                       price_instants=instants)
    return assets, benchmarks
