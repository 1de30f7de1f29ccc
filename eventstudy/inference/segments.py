"""Tests for many scopes at once: segment reductions over pairs grouped by scope.

An aggregate table runs every test on every scope (all pairs, each asset, each
group). Run scope by scope, a study with 500 assets calls each test 1,500 times on
a few dozen pairs, and the calls, not the arithmetic, take the time. Here the
per-pair quantities are computed once for all pairs (the CARs, the standardized CARs
of :func:`~eventstudy.inference.base.standardized_car`, each pair's share of positive
estimation ARs), laid out scope after scope by one stable sort, and each scope reads
its contiguous slice with the same numpy reductions, in the same order, as the
registered test does on the scope's own arrays: the numbers are bit-for-bit those of
the per-scope tests, with the same formulas, reasons and notes (the docstrings of
:mod:`~eventstudy.inference.parametric` and :mod:`~eventstudy.inference.rank` give the
sources). Only the per-call work (subsets, caches, scipy's argument handling) is gone.

``codes`` gives each pair's segment ``0 .. n - 1`` (``-1``: in none).
"""

from __future__ import annotations

import numpy as np

from eventstudy.inference.base import (
    CACHE,
    NAN,
    Layout,
    TestResult,
    nan_result,
    standardized_car,
    two_sided_normal,
    two_sided_t,
)
from eventstudy.inference.parametric import _rbar_note
from eventstudy.inference.rank import (
    WILCOXON_EXACT_MAX,
    binomial_pvalue,
    positive_share,
    signed_rank_normal_pvalue,
    signed_rank_pvalue,
)
from eventstudy.models.pairs import PairArrays


def t_cs(car: np.ndarray, layout: Layout) -> list[TestResult]:
    """:func:`eventstudy.inference.parametric.t_cs` per segment (``car`` in layout order)."""
    out = []
    for rows in layout.slices():
        values = car[rows]
        values = values[np.isfinite(values)]
        n = values.size
        if n < 2:
            out.append(TestResult("t_cs", NAN, NAN, "needs at least 2 pairs"))
            continue
        sd = values.std(ddof=1)
        if sd == 0:
            out.append(TestResult("t_cs", NAN, NAN, "CARs have zero dispersion"))
            continue
        statistic = values.mean() / (sd / np.sqrt(n))
        out.append(TestResult("t_cs", float(statistic), two_sided_t(statistic, n - 1)))
    return out


def parametric(arrays: PairArrays, layout: Layout, start: int, end: int,
               rbar: np.ndarray) -> dict[str, list[TestResult]]:
    """``patell``, ``bmp``, ``patell_adj`` and ``kp`` per segment, with each segment's ``r̄``."""
    scar_all, ok_all = standardized_car(arrays, start, end)
    scar, ok, dof_all = scar_all[layout.order], ok_all[layout.order], arrays.dof[layout.order]
    out: dict[str, list[TestResult]] = {"patell": [], "bmp": [], "patell_adj": [], "kp": []}
    for k, rows in enumerate(layout.slices()):
        keep = ok[rows]
        values = scar[rows][keep]
        n = values.size
        if not keep.any():
            patell = nan_result("patell", "no pair has a standardized CAR (needs dof > 2 and variance > 0)")
        else:
            dof = dof_all[rows][keep].astype(float)
            statistic = float(values.sum() / np.sqrt((dof / (dof - 2)).sum()))
            patell = TestResult("patell", statistic, two_sided_normal(statistic))
        if n < 2:
            bmp = nan_result("bmp", "needs at least 2 pairs with a standardized CAR")
        else:
            sd = values.std(ddof=1)
            if sd == 0:
                bmp = nan_result("bmp", "standardized CARs have zero dispersion")
            else:
                statistic = float(values.mean() / (sd / np.sqrt(n)))
                bmp = TestResult("bmp", statistic, two_sided_t(statistic, n - 1))
        out["patell"].append(patell)
        out["bmp"].append(bmp)
        out["patell_adj"].append(_patell_adj(patell, n, float(rbar[k])))
        out["kp"].append(_kp(bmp, n, float(rbar[k])))
    return out


def _patell_adj(patell: TestResult, n: int, rbar: float) -> TestResult:
    if not np.isfinite(patell.statistic):
        return nan_result("patell_adj", patell.note)
    factor = 1 + (n - 1) * rbar
    if not np.isfinite(factor) or factor <= 0:
        return nan_result("patell_adj", f"average cross-correlation {rbar:.3g} gives a non-positive variance")
    statistic = float(patell.statistic / np.sqrt(factor))
    return TestResult("patell_adj", statistic, two_sided_normal(statistic), _rbar_note(rbar))


def _kp(bmp: TestResult, n: int, rbar: float) -> TestResult:
    if not np.isfinite(bmp.statistic):
        return nan_result("kp", bmp.note)
    factor = (1 - rbar) / (1 + (n - 1) * rbar) if 1 + (n - 1) * rbar > 0 else NAN
    if not np.isfinite(factor) or factor <= 0:
        return nan_result("kp", f"average cross-correlation {rbar:.3g} gives a non-positive variance")
    statistic = float(bmp.statistic * np.sqrt(factor))
    return TestResult("kp", statistic, two_sided_t(statistic, n - 1), _rbar_note(rbar))


def signs(arrays: PairArrays, car: np.ndarray, layout: Layout,
          share: np.ndarray | None = None) -> dict[str, list[TestResult]]:
    """``sign`` and ``gen_sign`` per segment (``car`` in layout order); ``share`` is each
    pair's share of positive estimation residuals (default from ``arrays.est_ar``)."""
    if share is None:
        share = CACHE.get(arrays, "positive_share", lambda: positive_share(arrays.est_ar))
    share = share[layout.order]
    out: dict[str, list[TestResult]] = {"sign": [], "gen_sign": []}
    segment = layout.codes[layout.order]  # each ordered pair's segment
    nonzero = np.isfinite(car) & (car != 0)
    trials = np.bincount(segment[nonzero], minlength=layout.n)[: layout.n]
    successes = np.bincount(segment[nonzero & (car > 0)], minlength=layout.n)[: layout.n]
    binomial = binomial_pvalue(successes, trials)
    for k, rows in enumerate(layout.slices()):
        values = car[rows]
        n, w = int(trials[k]), int(successes[k])
        if n < 1:
            out["sign"].append(nan_result("sign", "no pair has a non-zero CAR"))
        else:
            statistic = float((w - n / 2) / np.sqrt(n / 4))
            out["sign"].append(TestResult("sign", statistic, float(binomial[k])))
        ok = np.isfinite(values) & np.isfinite(share[rows])
        n = int(ok.sum())
        if n < 1:
            out["gen_sign"].append(nan_result("gen_sign", "no pair has both a CAR and estimation data"))
            continue
        p = float(np.mean(share[rows][ok]))
        if p <= 0 or p >= 1:
            note = "estimation-window share of positive ARs is 0 or 1"
            out["gen_sign"].append(nan_result("gen_sign", note))
            continue
        w = int((values[ok] > 0).sum())
        statistic = float((w - n * p) / np.sqrt(n * p * (1 - p)))
        out["gen_sign"].append(TestResult("gen_sign", statistic, two_sided_normal(statistic)))
    return out


def wilcoxon(car: np.ndarray, layout: Layout) -> list[TestResult]:
    """:func:`eventstudy.inference.rank.wilcoxon` per segment (``car`` in layout order): one
    sort ranks every segment's ``|CAR|``, ties averaged as ``scipy.stats.rankdata`` does."""
    segment = layout.codes[layout.order]  # each ordered pair's segment
    keep = np.flatnonzero(np.isfinite(car) & (car != 0))
    order = keep[np.lexsort((np.abs(car[keep]), segment[keep]))]
    seg, value = segment[order], np.abs(car[order])
    size = np.bincount(seg, minlength=layout.n)[: layout.n]
    first = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
    new_run = np.ones(order.size, dtype=bool)
    new_run[1:] = (seg[1:] != seg[:-1]) | (value[1:] != value[:-1])
    run_start = np.flatnonzero(new_run)
    run_end = np.append(run_start[1:], order.size)[: run_start.size] - 1
    position = np.arange(order.size) - first[seg]  # 0-based rank inside the segment
    ranks = ((position[run_start] + position[run_end]) / 2 + 1)[np.cumsum(new_run) - 1]
    # Ranks are halves of integers, so these sums are exact in any order.
    w_plus = np.bincount(seg, weights=np.where(car[order] > 0, ranks, 0.0), minlength=layout.n)[: layout.n]
    tied = (run_end - run_start + 1).astype(float)
    tie_term = np.bincount(seg[run_start], weights=tied**3 - tied, minlength=layout.n)[: layout.n]
    normal = signed_rank_normal_pvalue(size, w_plus, tie_term)
    out = []
    for k in range(layout.n):
        n = int(size[k])
        if n < 1:
            out.append(nan_result("wilcoxon", "no pair has a non-zero CAR"))
            continue
        if n <= WILCOXON_EXACT_MAX:
            rows = slice(int(first[k]), int(first[k]) + n)
            w = float(w_plus[k])
            out.append(TestResult("wilcoxon", w, signed_rank_pvalue(ranks[rows], w)))
            continue
        out.append(TestResult("wilcoxon", float(w_plus[k]), float(normal[k])))
    return out


SEGMENT_TESTS = ("t_cs", "patell", "bmp", "patell_adj", "kp", "sign", "gen_sign", "wilcoxon")


def tests_by_segment(arrays: PairArrays, layout: Layout, start: int, end: int,
                     rbar: np.ndarray, share: np.ndarray | None = None) -> dict[str, list[TestResult]]:
    """The tests of :data:`SEGMENT_TESTS` for every segment over the window ``[start, end]``.

    Parameters
    ----------
    arrays
        Every pair of the study.
    layout
        The pairs' segments (:class:`Layout`).
    start, end
        The CAR window.
    rbar
        ``(n,)`` each segment's ``r̄`` over the window
        (:func:`~eventstudy.inference.dependence.average_cross_correlation` of its pairs).
    share
        Each pair's share of positive estimation residuals
        (:func:`~eventstudy.inference.rank.positive_share`), when ``arrays`` does not hold
        the residuals (a partitioned run); default computed from them.

    Returns
    -------
    dict
        Test name -> one :class:`TestResult` per segment, equal to the registered test
        run on the segment's pairs.
    """
    car = arrays.car(start, end)[layout.order]
    results: dict[str, list[TestResult]] = {"t_cs": t_cs(car, layout)}
    results.update(parametric(arrays, layout, start, end, rbar))
    results.update(signs(arrays, car, layout, share))
    results["wilcoxon"] = wilcoxon(car, layout)
    return results
