"""Live or replayed data for the notebooks.

The notebooks call :func:`live_data_mode` before fetching anything. It decides how
the MOEX ISS and Bank of Russia sources are reached:

- **live** (the default for a user with internet): nothing changes; data come from
  iss.moex.com and cbr.ru through the usual on-disk cache.
- **replay**: when the environment variable ``CI`` or ``EVENTSTUDY_REPLAY`` is set,
  or when iss.moex.com cannot be reached, a loopback HTTP server from the test suite
  (``../tests/replay_server.py``) answers in the real MOEX ISS and Bank of Russia
  wire formats from the real series in ``../../shared/data``. The environment
  variables ``EVENTSTUDY_MOEX_URL`` and ``EVENTSTUDY_CBR_URL`` point the sources at
  it, and a throw-away cache folder is used, so the user's cache is never touched.

The same notebook cells run in both modes; only where the bytes come from differs.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = Path("..") / ".." / "shared" / "data"  # relative to this folder, read in place


@dataclass(frozen=True)
class DataMode:
    """How the live sources are reached in this session."""

    name: str  # "live" or "replay"
    reason: str
    cache_dir: str | None  # None: the user's default cache

    def __str__(self) -> str:
        return f"{self.name} mode ({self.reason})"


def _internet_reachable(host: str = "iss.moex.com", port: int = 443, timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def live_data_mode() -> DataMode:
    """Start the replay server when needed (see the module docstring) and say which mode is on."""
    if "EVENTSTUDY_MOEX_URL" in os.environ or "EVENTSTUDY_CBR_URL" in os.environ:
        return DataMode("custom", "EVENTSTUDY_MOEX_URL / EVENTSTUDY_CBR_URL already set", None)
    if os.environ.get("CI"):
        reason = "CI is set"
    elif os.environ.get("EVENTSTUDY_REPLAY"):
        reason = "EVENTSTUDY_REPLAY is set"
    elif not _internet_reachable():
        reason = "iss.moex.com is not reachable"
    else:
        return DataMode("live", "internet reachable", None)
    tests = HERE.parent / "tests"
    if str(tests) not in sys.path:
        sys.path.insert(0, str(tests))
    from replay_server import start_replay_server

    server = start_replay_server(HERE / DATA)
    os.environ.update(server.env())
    cache_dir = tempfile.mkdtemp(prefix="eventstudy-notebook-cache-")
    atexit.register(shutil.rmtree, cache_dir, ignore_errors=True)
    atexit.register(server.stop)
    return DataMode("replay", reason, cache_dir)


def data_path(name: str) -> Path:
    """A file of the shared real-data folder, as a path relative to the notebooks folder."""
    return DATA / name
