"""A price dataset read lazily, only the assets a task needs.

Two layouts are recognised, both one series per asset so a task reads only its own:

- a folder of ``<ASSET>.parquet`` (or ``.csv``) files, the ``--prices`` folder layout of
  :func:`eventstudy.sources.files.read_prices`;
- a hive-partitioned Parquet dataset: sub-folders ``asset=<ASSET>/`` holding one or more
  Parquet files (``part-0.parquet``, ...), each with a date column and a price column in
  any layout :func:`eventstudy.sources.files.read_price_file` reads.

Each asset is parsed by the same functions as an in-memory study, so its series, and
therefore every number of the study, are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from eventstudy.errors import InputError
from eventstudy.sources.base import SeriesProvenance
from eventstudy.sources.files import PRICE_FILE_SUFFIXES, pick_price_column, read_price_file, read_prices
from eventstudy.sources.local import table_provenance

HIVE_PREFIX = "asset="


def is_hive_dataset(path: str | Path) -> bool:
    """True when ``path`` is a folder with at least one ``asset=<ASSET>/`` sub-folder."""
    folder = Path(path)
    return folder.is_dir() and any(p.is_dir() and p.name.startswith(HIVE_PREFIX) for p in folder.iterdir())


class PriceDataset:
    """Prices on disk, one series per asset, read asset by asset.

    Parameters
    ----------
    path
        The dataset folder (either layout of the module docstring).
    same_day_prices
        What to do with several prices on one day, as in
        :func:`~eventstudy.sources.files.read_price_file`.

    Raises
    ------
    InputError
        When ``path`` is not a folder or holds no price files.

    Examples
    --------
    >>> data = PriceDataset("prices/")  # doctest: +SKIP
    >>> data.read(["SBER", "IMOEX"]).columns.tolist()  # doctest: +SKIP
    ['SBER', 'IMOEX']
    """

    def __init__(self, path: str | Path, *, same_day_prices: str = "error") -> None:
        self.path = Path(path)
        self.same_day_prices = same_day_prices
        if not self.path.is_dir():
            raise InputError("a price dataset must be a folder", path=self.path,
                             fix="give a folder of <ASSET>.parquet files or of asset=<ASSET>/ sub-folders")
        self.hive = is_hive_dataset(self.path)
        self._names = self._list_assets()
        if not self._names:
            raise InputError("no price files in this dataset folder", path=self.path,
                             fix="put one <ASSET>.parquet file, or one asset=<ASSET>/ folder, per asset "
                                 "in it")

    def _list_assets(self) -> list[str]:
        if self.hive:
            return sorted(p.name[len(HIVE_PREFIX):] for p in self.path.iterdir()
                          if p.is_dir() and p.name.startswith(HIVE_PREFIX))
        return sorted(p.stem for p in self.path.iterdir() if p.suffix.lower() in PRICE_FILE_SUFFIXES)

    @property
    def columns(self) -> list[str]:
        """The assets in the dataset (from the file or folder names; nothing is read)."""
        return list(self._names)

    def read(self, names: Sequence[str]) -> pd.DataFrame:
        """Wide date x asset prices of ``names`` only, in that order.

        Raises
        ------
        InputError
            For an asset that is not in the dataset or a file that cannot be read.
        """
        missing = [n for n in names if n not in self._names]
        if missing:
            raise InputError(f"no prices for {', '.join(missing)} in the dataset", path=self.path,
                             fix=f"add {HIVE_PREFIX}<ASSET>/ folders or <ASSET>.parquet files for them")
        if not self.hive:
            return read_prices(self.path, list(names), intraday=self.same_day_prices)
        prices = pd.concat([self._read_hive_asset(n) for n in names], axis=1, sort=True)
        prices.index.name = "date"
        return prices

    def _read_hive_asset(self, name: str) -> pd.Series:
        folder = self.path / f"{HIVE_PREFIX}{name}"
        parts = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".parquet")
        if not parts:
            raise InputError(f"no .parquet file for asset {name}", path=folder,
                             fix="write the asset's prices as part-0.parquet in this folder")
        pieces = [pick_price_column(read_price_file(p, intraday=self.same_day_prices), name, path=p)
                  for p in parts]
        series = pd.concat(pieces).sort_index(kind="stable")
        if series.index.has_duplicates:
            raise InputError(f"asset {name} has the same date in several Parquet files", path=folder,
                             fix="keep each date in one part file")
        return series.rename(name)

    def provenance(self, names: Sequence[str], prices: pd.DataFrame) -> list[SeriesProvenance]:
        """Provenance of ``names`` as read by :meth:`read` (the dataset folder as the path)."""
        return table_provenance(prices, names, dict.fromkeys(names, str(self.path)))

    def __repr__(self) -> str:
        layout = "hive" if self.hive else "files"
        return f"PriceDataset({str(self.path)!r}, {len(self._names)} assets, {layout})"
