"""A ``dask.distributed.Client`` from what the user gave: a client, an address or ``local:N``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventstudy.errors import ConfigError, DataUnavailableError

LOCAL_PREFIX = "local:"
CONNECT_TIMEOUT = "30s"
#: A LocalCluster without a dashboard. ``dashboard_address=None`` alone still serves the
#: scheduler's HTTP routes on port 8787 (and warns when a second cluster finds it taken);
#: ":0" lets the system pick a free port and ``dashboard=False`` leaves the dashboard out.
NO_DASHBOARD: dict[str, Any] = {"dashboard_address": ":0", "scheduler_kwargs": {"dashboard": False}}
INSTALL_FIX = 'install the optional extra: pip install "eventstudy[distributed]"'


def local_workers(scheduler: str) -> int | None:
    """``N`` of ``local:N`` (``None`` for any other text).

    Raises
    ------
    ConfigError
        When ``N`` is not a positive whole number.
    """
    if not scheduler.startswith(LOCAL_PREFIX):
        return None
    text = scheduler[len(LOCAL_PREFIX):]
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"bad scheduler {scheduler!r}: the number of local workers must be a whole "
                          "number of at least 1", fix="write local:2, or a scheduler "
                          "address such as tcp://10.0.0.5:8786")
    return int(text)


@contextmanager
def connect(scheduler: Any) -> Iterator[Any]:
    """A connected ``dask.distributed.Client`` for the duration of the ``with`` block.

    Parameters
    ----------
    scheduler
        A ``Client`` (used as is, left open), ``"local:N"`` (a ``LocalCluster`` of ``N``
        single-threaded worker processes without a dashboard (:data:`NO_DASHBOARD`), closed
        afterwards), or a
        scheduler address such as ``"tcp://10.0.0.5:8786"`` (the client is closed
        afterwards, the cluster is not).

    Raises
    ------
    ConfigError
        When Dask is not installed or ``scheduler`` is none of the above (not an address).
    DataUnavailableError
        When the scheduler cannot be reached.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as error:
        raise ConfigError(f"a scheduler needs dask.distributed, which is not installed ({error})",
                          fix=INSTALL_FIX) from error
    if isinstance(scheduler, Client):
        yield scheduler
        return
    if not isinstance(scheduler, str) or not scheduler:
        raise ConfigError(f"bad scheduler {scheduler!r}",
                          fix="pass a dask.distributed.Client, a scheduler address or local:N")
    workers = local_workers(scheduler)
    if workers is not None:
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          **NO_DASHBOARD) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except ValueError as error:  # not an address: "missing port number", unknown protocol
        raise ConfigError(f"bad scheduler address {scheduler!r} ({error})",
                          fix="write tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786) or local:N") from error
    except (OSError, TimeoutError) as error:
        raise DataUnavailableError(f"cannot reach the Dask scheduler at {scheduler} ({error})") from error
    try:
        yield client
    finally:
        client.close()
