"""Studies on a Dask cluster (``docs/distributed.md``).

- :mod:`~eventstudy.distributed.dataset`: a price dataset read lazily, asset by asset
  (a folder of ``<ASSET>.parquet`` files, or hive-partitioned ``asset=<ASSET>/``);
- :mod:`~eventstudy.distributed.partition`: the estimation of one partition of assets,
  and the exact combination of the partitions' pairs in the in-memory run's order;
- :mod:`~eventstudy.distributed.cluster`: a ``dask.distributed.Client`` from a client,
  an address or ``local:N``;
- :mod:`~eventstudy.distributed.runner`: the partitioned run, on Dask or in this process;
- :mod:`~eventstudy.distributed.parquet_tables`: large tables written as partitioned Parquet.

Dask is an optional dependency (``pip install "eventstudy[distributed]"``); it is imported
only when a scheduler is used.
"""
