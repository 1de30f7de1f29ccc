"""GARCH pairs fitted in worker processes give the same numbers as one process."""

from __future__ import annotations

import numpy as np
import pytest

from eventstudy.models import garch


def _panel() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    n_assets, n_days = 3, 900
    market = rng.normal(0, 0.01, n_days)
    shocks = rng.normal(0, 0.012, (n_assets, n_days)) * np.sqrt(1 + 3 * (np.arange(n_days) % 200 < 40))
    returns = 0.0002 + 0.9 * market + shocks
    assets = np.repeat(np.arange(n_assets), 20)
    day0 = np.tile(np.linspace(300, 880, 20).astype(int), n_assets)
    day0[5] = -1  # not placed: skipped with its reason in either path
    return returns, np.broadcast_to(market, (n_assets, n_days))[:, :, None], assets, day0


def test_worker_processes_give_the_one_process_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    returns, regressors, assets, day0 = _panel()
    monkeypatch.setattr(garch, "N_PROCESSES", 1)
    serial = garch.fit_garch_pairs(returns, regressors, None, assets, day0)
    monkeypatch.setattr(garch, "N_PROCESSES", 2)
    monkeypatch.setattr(garch, "MIN_PAIRS_PER_PROCESS", 5)
    parallel = garch.fit_garch_pairs(returns, regressors, None, assets, day0)
    assert serial.fitted.sum() >= 50 and not serial.fitted[5]
    np.testing.assert_array_equal(serial.fitted, parallel.fitted)
    np.testing.assert_array_equal(serial.reason, parallel.reason)
    for name in ("ar", "var_ar", "est_ar", "sigma2", "dof", "xtx_inv", "disturbance_var"):
        np.testing.assert_array_equal(getattr(serial.arrays, name), getattr(parallel.arrays, name))
    np.testing.assert_array_equal(serial.expected, parallel.expected)
