"""Which tests to trust given the dependence between pairs (placeholder rules)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def recommended_tests(diagnostics: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Recommended tests and cautions from :func:`~eventstudy.inference.clustering`."""
    del diagnostics
    return [], {}
