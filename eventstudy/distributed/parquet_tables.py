"""A study's large tables as partitioned Parquet (``eventstudy run --tables parquet``).

Written beside the CSV files, into ``<out>/parquet/``::

    abnormal_returns/asset=<ASSET>/<part>.parquet   one folder per asset (hive layout)
    car/asset=<ASSET>/<part>.parquet
    aggregate.parquet, skipped.parquet

Readers that know hive partitioning (pandas / pyarrow, Dask, Spark, DuckDB) read back the
``asset`` column from the folder names, and can read one asset without the others.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Protocol

import pandas as pd

PARQUET_FOLDER = "parquet"
PARTITIONED_TABLES = ("abnormal_returns", "car")
SINGLE_TABLES = ("aggregate", "skipped")


class StudyTables(Protocol):
    """The tables this module writes (a :class:`~eventstudy.results.Results` has them)."""

    @property
    def abnormal_returns(self) -> pd.DataFrame: ...
    car: pd.DataFrame
    aggregate: pd.DataFrame
    skipped: pd.DataFrame


def write_parquet_tables(results: StudyTables, out: str | Path) -> Path:
    """Write the tables into ``<out>/parquet/`` (replacing it) and return that folder.

    The folder is written under a temporary name inside ``out`` and renamed when complete,
    so a reader never sees half of it.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    final = out / PARQUET_FOLDER
    staging = Path(tempfile.mkdtemp(prefix=".parquet-", dir=out))
    try:
        for name in PARTITIONED_TABLES:
            frame = getattr(results, name)
            table = pa.Table.from_pandas(frame.astype({"asset": str}), preserve_index=False)
            pq.write_to_dataset(table, staging / name, partition_cols=["asset"])
        for name in SINGLE_TABLES:
            getattr(results, name).to_parquet(staging / f"{name}.parquet", index=False)
        if final.exists():
            shutil.rmtree(final)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final
