"""Local trading volumes for an abnormal-volume study (``measure = "volume"``).

Each asset's volume column is read from the same file as its prices: the file named
in its ``[assets.NAME]`` table, else ``<ASSET>.csv`` / ``.parquet`` / ``.xlsx`` in the
``--prices`` folder. The column is the asset's ``volume_column`` key, else the
study's ``volume_column`` setting, else the first of ``VALUE``, ``VOLUME`` (MOEX ISS),
``value``, ``volume`` (the MOEX panel) and ``Volume`` (Yahoo) that the file has
(:data:`VOLUME_COLUMNS`).

Zero volumes are read as missing (NaN), the default of
:func:`eventstudy.measures.volume.log_volume`; the file reader's warning about
"zero prices" is therefore not repeated for a volume column.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from eventstudy.errors import DataQualityWarning, InputError
from eventstudy.sources.files import read_price_file
from eventstudy.sources.local import AssetFile

SUFFIXES = (".csv", ".parquet", ".xlsx")

#: Volume columns per source, the preferred one first. Turnover in money (``VALUE``,
#: ``value``) is preferred on MOEX: it adds up across price levels and is what ISS
#: reports for indices (the IMOEX ``VOLUME`` column is empty).
VOLUME_COLUMNS: dict[str, tuple[str, ...]] = {
    "moex": ("VALUE", "VOLUME"),       # ISS history export / API
    "panel": ("value", "volume"),      # ../shared/data/panel/moex_iss_daily/*.csv
    "yahoo": ("Volume",),              # yfinance download (shares)
}


def load_local_volumes(prices_path: str | Path | None, files: Mapping[str, AssetFile],
                       needed: Sequence[str], *, volume_column: str | None = None,
                       same_day_prices: str = "error") -> pd.DataFrame:
    """Wide date x asset volumes of the ``needed`` assets.

    Parameters
    ----------
    prices_path
        The ``--prices`` folder, or ``None``.
    files
        Asset files of the study file (their ``volume_column`` wins).
    needed
        Asset names, studied assets and benchmarks.
    volume_column
        The study-level ``volume_column`` setting.
    same_day_prices
        As for prices (:func:`eventstudy.sources.files.read_price_file`).

    Raises
    ------
    InputError
        When an asset has no file or its file has no volume column, naming the file and
        the columns tried.
    """
    columns = {}
    for name in needed:
        spec = files.get(name)
        path = spec.path if spec is not None else _file_in_folder(prices_path, name)
        requested = (spec.volume_column if spec is not None else None) or volume_column
        columns[name] = _read_volume(path, requested, same_day_prices).rename(name)
    frame = pd.concat(columns, axis=1, sort=True)
    frame.index.name = "date"
    return frame


def _file_in_folder(folder: str | Path | None, name: str) -> Path:
    if folder is None or not Path(folder).is_dir():
        raise InputError(f"no volume file for {name}: volumes are read from a --prices folder of "
                         "<ASSET> files or from [assets.NAME] file entries", path=folder,
                         fix="give --prices a folder, or name the asset's file in the study file")
    for suffix in SUFFIXES:
        candidate = Path(folder) / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    raise InputError(f"no file {name}.csv (or .parquet, .xlsx) for the volume of {name}", path=folder,
                     fix="add the asset's file with its volume column")


def _read_volume(path: Path, requested: str | None, same_day_prices: str) -> pd.Series:
    candidates = [requested] if requested else list(dict.fromkeys(c for cs in VOLUME_COLUMNS.values()
                                                                  for c in cs))
    for column in candidates:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataQualityWarning)  # zero volume: missing, by design
                frame = read_price_file(path, column=column, intraday=same_day_prices)
        except InputError:
            continue
        return frame.iloc[:, 0]
    raise InputError(f"no volume column {' or '.join(map(repr, candidates))}", path=path,
                     fix="set volume_column (in [study] or the asset's [assets.NAME] table) to the "
                         "file's volume or turnover column")
