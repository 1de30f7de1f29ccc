"""Assemble a study's prices from local files: a ``--prices`` folder or file, and the
files named in the study file (with their ``invert`` and ``dated_by`` options)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.errors import InputError
from eventstudy.sources.base import SeriesProvenance, sha256_of_ns
from eventstudy.sources.cbr import EFFECTIVE_LAG
from eventstudy.sources.files import pick_price_column, read_price_file, read_prices
from eventstudy.timing.returns import instants_ns

DATED_BY = ("observation", "effective")


@dataclass(frozen=True)
class AssetFile:
    """A local file bound to an asset by the study file.

    ``dated_by = "effective"`` re-dates a Bank of Russia series from the day each rate
    took effect to the day it was set (:func:`effective_to_set_date`).
    """

    path: Path
    column: str | None = None
    invert: bool = False
    dated_by: str = "observation"
    volume_column: str | None = None


def effective_to_set_date(series: pd.Series) -> pd.Series:
    """Re-date a Bank of Russia series from the day each rate took effect to the day it was set.

    A rate set on day D takes effect on the next calendar day, so the set day is the
    effective date minus one day; the live source applies the same rule (see
    :mod:`eventstudy.sources.cbr`, which checks it against the full 2014-2026 history).
    """
    moved = series.copy()
    moved.index = pd.DatetimeIndex(series.index, name=series.index.name) - EFFECTIVE_LAG
    return moved


def load_local_prices(prices_path: str | Path | None, files: Mapping[str, AssetFile],
                      needed: Sequence[str], *, same_day_prices: str = "error",
                      ) -> tuple[pd.DataFrame, list[SeriesProvenance]]:
    """Wide date x asset prices for ``needed`` assets (all available when empty).

    Raises
    ------
    InputError
        If an asset has no file, naming what is available.
    """
    columns: dict[str, pd.Series] = {}
    origin: dict[str, str] = {}
    if prices_path is not None:
        wanted = [n for n in needed if n not in files] or None
        folder = read_prices(prices_path, wanted, intraday=same_day_prices)
        for name in folder.columns:
            columns[str(name)] = folder[name]
            origin[str(name)] = str(prices_path)
    for name, spec in files.items():
        frame = read_price_file(spec.path, intraday=same_day_prices)
        series = pick_price_column(frame, name, column=spec.column, path=spec.path)
        if spec.invert:
            series = 1.0 / series
        if spec.dated_by == "effective":
            series = effective_to_set_date(series)
        columns[name] = series.rename(name)
        origin[name] = str(spec.path)
    missing = [n for n in needed if n not in columns]
    if missing:
        have = ", ".join(columns) or "nothing"
        raise InputError(f"no price file for {', '.join(missing)} (local prices have: {have})",
                         path=prices_path,
                         fix="add <ASSET>.csv to the --prices folder or a [assets.NAME] file to "
                             "the study file")
    names = list(needed) or list(columns)
    prices = pd.concat({n: columns[n] for n in names}, axis=1, sort=True)
    prices.index.name = "date"
    provenance = table_provenance(prices, names, origin)
    return prices, provenance


def provenance_of(name: str, series: pd.Series, path: str | None = None) -> SeriesProvenance:
    """Provenance record of a locally read (or user-supplied) price series: its positive
    prices' first and last dates and :func:`~eventstudy.sources.base.series_sha256`."""
    days = pd.DatetimeIndex(series.index)
    return _provenance(name, days, instants_ns(days), series.to_numpy(dtype=float, na_value=np.nan), path)


def table_provenance(prices: pd.DataFrame, names: Sequence[str],
                     paths: Mapping[str, str] | None = None) -> list[SeriesProvenance]:
    """:func:`provenance_of` of each of ``names``, columns of the wide ``prices`` (``paths``:
    each one's file, if any), with the table's dates converted once rather than per column."""
    days = pd.DatetimeIndex(prices.index)
    days_ns = instants_ns(days)
    values = prices[list(names)].to_numpy(dtype=float, na_value=np.nan)
    return [_provenance(name, days, days_ns, values[:, j], (paths or {}).get(name))
            for j, name in enumerate(names)]


def _provenance(name: str, days: pd.DatetimeIndex, days_ns: np.ndarray, values: np.ndarray,
                path: str | None) -> SeriesProvenance:
    with np.errstate(invalid="ignore"):
        valid = values > 0  # False where missing
    if not valid.any():
        raise InputError(f"no positive price for {name}", path=path,
                         fix="check the asset's price column (every value is missing, zero or negative)")
    valid_ns = days_ns[valid]
    first, last = np.flatnonzero(valid)[[valid_ns.argmin(), valid_ns.argmax()]]
    return SeriesProvenance(asset=name, source="file", symbol=name, path=path,
                            first=f"{days[first]:%Y-%m-%d}", last=f"{days[last]:%Y-%m-%d}",
                            sha256=sha256_of_ns(valid_ns, values[valid]))
