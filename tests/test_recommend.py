"""Rules of recommended_tests (their calibration is tests/test_validation_dependence.py)."""

from __future__ import annotations

import pytest

from eventstudy.inference import TESTS
from eventstudy.inference.recommend import (
    DEPENDENCE_INFLATION,
    SIMULATED_TESTS,
    recommended_tests,
)


def diagnostics(n: int, rbar: float, clustered: int, overlapping: int,
                window: tuple[int, int]) -> dict[str, object]:
    return {"n_pairs": n, "rbar": rbar, "n_clustered": clustered,
            "n_overlapping": overlapping, "window": window}


def test_simulated_tests_are_the_registered_ones() -> None:
    assert set(SIMULATED_TESTS) <= set(TESTS)


def test_independent_pairs_trust_all_but_patell() -> None:
    recommended, caution = recommended_tests(diagnostics(50, 0.0, 0, 0, (0, 0)))
    assert recommended == ["t_cs", "bw_cda", "bmp", "kp", "corrado", "sign", "gen_sign", "wilcoxon"]
    assert set(caution) == {"patell", "patell_adj"}
    assert "volatility" in caution["patell"]


def test_threshold_is_the_variance_inflation() -> None:
    # 1 + 49 r_bar just below and just above the threshold.
    below = (DEPENDENCE_INFLATION - 1) / 49 * 0.99
    above = (DEPENDENCE_INFLATION - 1) / 49 * 1.01
    assert "bmp" in recommended_tests(diagnostics(50, below, 2, 2, (0, 0)))[0]
    assert "bmp" not in recommended_tests(diagnostics(50, above, 2, 2, (0, 0)))[0]


@pytest.mark.parametrize("window", [(0, 0), (0, 5)])
def test_shared_day0_trusts_adjusted_and_event_time_tests(window: tuple[int, int]) -> None:
    recommended, caution = recommended_tests(diagnostics(35, 0.13, 35, 35, window))
    assert recommended == ["bw_cda", "patell_adj", "kp", "corrado"]
    assert set(caution) == {"t_cs", "bmp", "patell", "sign", "gen_sign", "wilcoxon"}
    assert "r_bar = 0.13 over 35 pairs" in caution["bmp"]
    assert "5.4 times" in caution["bmp"]  # 1 + 34 * 0.13 = 5.42


def test_staggered_overlap_trusts_only_the_adjusted_tests() -> None:
    recommended, caution = recommended_tests(diagnostics(50, 0.02, 0, 50, (0, 5)))
    assert recommended == ["patell_adj", "kp"]
    assert "50 pairs' windows overlap" in caution["corrado"]
    # A one-day window cannot overlap without sharing the day.
    assert "corrado" in recommended_tests(diagnostics(50, 0.02, 0, 50, (0, 0)))[0]
