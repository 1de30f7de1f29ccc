"""eventstudy: how markets react to dated announcements."""

from __future__ import annotations

__version__ = "0.1.0"
