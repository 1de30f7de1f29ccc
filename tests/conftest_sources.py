"""Fixtures of the live-source tests (imported by tests/test_sources_*.py).

``replay``: the replay server of ``replay_server.py`` (one per session), with its
faults and request log cleared for each test and ``EVENTSTUDY_MOEX_URL`` /
``EVENTSTUDY_CBR_URL`` pointing at it. ``no_wait``: retries without backoff sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import require_shared_data
from replay_server import ReplayServer, start_replay_server


@pytest.fixture(scope="session")
def replay_session() -> Iterator[ReplayServer]:
    server = start_replay_server(require_shared_data())
    yield server
    server.stop()


@pytest.fixture
def replay(replay_session: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    replay_session.clear()
    for name, value in replay_session.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("EVENTSTUDY_CACHE_DIR", raising=False)
    yield replay_session
    replay_session.clear()


@pytest.fixture
def no_wait(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Replace the backoff pause by recording the waits; returns the record."""
    waits: list[float] = []
    monkeypatch.setattr("eventstudy.sources._http.pause", waits.append)
    return waits
