"""eventstudy: how markets react to dated announcements.

>>> import eventstudy as es  # doctest: +SKIP
>>> res = es.EventStudy("seeds/events.csv", es.read_prices("prices/")).run()  # doctest: +SKIP

The public names are imported on first use, so ``eventstudy --help`` starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "EventStudy": "eventstudy.study",
    "Results": "eventstudy.results",
    "Events": "eventstudy.events",
    "load_events": "eventstudy.events",
    "read_prices": "eventstudy.sources.files",
    "event_dummy_regression": "eventstudy.models.dummy_regression",
    "EventStudyError": "eventstudy.errors",
    "EventStudyWarning": "eventstudy.errors",
    "InputError": "eventstudy.errors",
    "ConfigError": "eventstudy.errors",
    "DataUnavailableError": "eventstudy.errors",
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'eventstudy' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
