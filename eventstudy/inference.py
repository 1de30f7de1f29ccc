"""Test statistics across event-asset pairs (DESIGN section 5).

Each test takes the :class:`~eventstudy.pairs.PairArrays` of one scope (already
restricted to its pairs) and a CAR window, and returns a :class:`TestResult`.
Tests are registered by their table name in :data:`TESTS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from eventstudy.pairs import PairArrays


@dataclass(frozen=True)
class TestResult:
    """One test's outcome; NaN statistic and p-value with a ``note`` when not computable."""

    test: str
    statistic: float
    pvalue: float
    note: str = ""


NAN = float("nan")

TestFunction = Callable[[PairArrays, int, int], TestResult]
TESTS: dict[str, TestFunction] = {}


def _register(name: str) -> Callable[[TestFunction], TestFunction]:
    def add(fn: TestFunction) -> TestFunction:
        TESTS[name] = fn
        return fn

    return add


@_register("t_cs")
def t_cs(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Cross-sectional t test of CAAR (MacKinlay 1997; Brown & Warner 1985).

    ``t = CAAR / (s_CAR / sqrt(N))`` with ``s_CAR`` the cross-sectional standard
    deviation of the pairs' CARs; Student t with ``N - 1`` degrees of freedom.
    """
    car = arrays.car(start, end)
    car = car[np.isfinite(car)]
    n = car.size
    if n < 2:
        return TestResult("t_cs", NAN, NAN, "needs at least 2 pairs")
    sd = car.std(ddof=1)
    if sd == 0:
        return TestResult("t_cs", NAN, NAN, "CARs have zero dispersion")
    statistic = car.mean() / (sd / np.sqrt(n))
    return TestResult("t_cs", float(statistic), float(2 * stats.t.sf(abs(statistic), n - 1)))


def run_tests(arrays: PairArrays, start: int, end: int) -> list[TestResult]:
    """Run every registered test on one scope and window."""
    return [test(arrays, start, end) for test in TESTS.values()]
