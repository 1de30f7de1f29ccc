"""Shared fixtures. Real series are read in place from ../shared/data (never copied)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def require_shared_data() -> Path:
    """Path of ../shared/data; skips the test when absent, fails when CI is set."""
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    message = f"real data folder {SHARED_DATA} is absent (it sits beside the checkout in CI)"
    if os.environ.get("CI"):
        pytest.fail(message + " and CI is set, so this test must not skip")
    pytest.skip(message)


@pytest.fixture
def shared_data() -> Path:
    """The folder of real price series that CI places beside the checkout."""
    return require_shared_data()
