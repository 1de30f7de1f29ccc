"""Non-parametric tests: Corrado's rank test, sign, Cowan's generalized sign, Wilcoxon."""

from __future__ import annotations

import functools

import numpy as np
from scipy import special, stats

from eventstudy.inference.base import (
    CACHE,
    Layout,
    TestResult,
    chunk_sums,
    nan_result,
    register,
    two_sided_normal,
)
from eventstudy.inference.scope_columns import rank_series
from eventstudy.models.pairs import PairArrays


@register("corrado")
def corrado(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Corrado (1989) rank test; multi-day form of Cowan (1992) / Campbell & Wasley (1993).

    Each pair's ARs over its estimation window and the CAR window ``[start, end]``
    being tested are ranked together (ties averaged, missing days left out) and
    scaled by the pair's own count, ``U_it = K_it / (n_i + 1)`` (Corrado & Zivney
    1992), so pairs with missing data stay comparable. Only the tested window joins
    the ranking (Corrado 1989 ranks the estimation days and day 0; Campbell & Wasley
    1993 the estimation days and the multi-day window), so the statistic does not
    depend on how wide the event window shown in charts is. With ``Ubar_t`` the mean
    of ``U_it - 1/2`` over the pairs available on day ``t`` and
    ``S_U = sqrt(mean over the estimation and window days of Ubar_t^2)`` (Corrado
    1989, eq. 3), ``z = sum_{t=start..end} Ubar_t / (sqrt(L2) * S_U)`` (Campbell &
    Wasley 1993, eq. 7), standard normal. A single day gives Corrado's
    ``Ubar_0 / S_U``.
    """
    ubar_est, window = CACHE.get(arrays, f"corrado:{start}:{end}",
                                 lambda: rank_series(arrays, [Layout.single(arrays.n_pairs)], start, end)[0])
    return corrado_statistic(ubar_est[0], window[0])


def corrado_statistic(ubar_est: np.ndarray, window: np.ndarray) -> TestResult:
    """Corrado's ``z`` from one scope's ``Ubar_t`` over the estimation days and the
    tested window (:func:`corrado`; the series from
    :func:`~eventstudy.inference.scope_columns.rank_series`)."""
    name = "corrado"
    series = np.concatenate([ubar_est, window])
    series = series[np.isfinite(series)]
    if series.size < 3:
        return nan_result(name, "needs at least 3 days with ranked data")
    s = float(np.sqrt(np.mean(series**2)))
    if s == 0:
        return nan_result(name, "rank deviations have zero variance")
    if not np.isfinite(window).all():
        return nan_result(name, "a day of the window has no pair with data")
    statistic = float(window.sum() / (np.sqrt(window.size) * s))
    return TestResult(name, statistic, two_sided_normal(statistic))


@register("sign")
def sign(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Sign test of the share of positive CARs against 1/2.

    ``z = (w - N/2) / sqrt(N/4)`` with ``w`` the number of positive CARs among the
    ``N`` non-zero ones (Cowan 1992, eq. 1; zero CARs are dropped as ties). The
    p-value is the exact two-sided binomial test (``scipy.stats.binomtest``).
    """
    name = "sign"
    car = arrays.car(start, end)
    car = car[np.isfinite(car) & (car != 0)]
    n = car.size
    if n < 1:
        return nan_result(name, "no pair has a non-zero CAR")
    w = int((car > 0).sum())
    statistic = float((w - n / 2) / np.sqrt(n / 4))
    pvalue = float(binomial_pvalue(w, n))
    return TestResult(name, statistic, pvalue)


def binomial_pvalue(successes: np.ndarray | int, trials: np.ndarray | int) -> np.ndarray:
    """Exact two-sided binomial p-value of ``successes`` in ``trials`` at probability 1/2,
    elementwise: what ``scipy.stats.binomtest(k, n, 0.5).pvalue`` returns, without its
    per-call search.

    The distribution is symmetric, so the outcomes at most as likely as ``k`` are the
    two tails beyond ``min(k, n - k)`` and ``p = min(1, 2 P(K <= min(k, n - k)))``;
    ``p = 1`` when ``k = n / 2`` (``scipy.special.bdtr`` is the binomial CDF).
    """
    k = np.asarray(successes, dtype=np.int64)
    n = np.asarray(trials, dtype=np.int64)
    tail = special.bdtr(np.minimum(k, n - k), n, 0.5)
    return np.where(2 * k == n, 1.0, np.minimum(1.0, 2 * tail))


@register("gen_sign")
def gen_sign(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Cowan (1992) generalized sign test.

    The expected share of positive abnormal returns is estimated from the
    estimation windows, ``p = (1/N) sum_i (1/L1_i) sum_t [AR_it > 0]`` (each pair over
    its own available days), and ``z = (w - N p) / sqrt(N p (1 - p))`` with ``w`` the
    number of positive CARs over the window (Cowan 1992, eq. 4). Standard normal.
    """
    name = "gen_sign"
    car = arrays.car(start, end)
    share = CACHE.get(arrays, "positive_share", lambda: positive_share(arrays.est_ar))
    ok = np.isfinite(car) & np.isfinite(share)
    n = int(ok.sum())
    if n < 1:
        return nan_result(name, "no pair has both a CAR and estimation data")
    p = float(np.mean(share[ok]))
    if p <= 0 or p >= 1:
        return nan_result(name, "estimation-window share of positive ARs is 0 or 1")
    w = int((car[ok] > 0).sum())
    statistic = float((w - n * p) / np.sqrt(n * p * (1 - p)))
    return TestResult(name, statistic, two_sided_normal(statistic))


def positive_share(est_ar: np.ndarray) -> np.ndarray:
    """Each pair's share of positive ARs over its own estimation days (NaN if none):
    the ``1/L1_i sum_t [AR_it > 0]`` of Cowan (1992, eq. 4)."""
    share = np.full(est_ar.shape[0], np.nan)

    def part(rows: slice) -> tuple[()]:
        block = est_ar[rows]
        n_obs = np.isfinite(block).sum(axis=1)
        with np.errstate(invalid="ignore"):
            positive = (block > 0).sum(axis=1)
        has = n_obs > 0
        share[rows][has] = positive[has] / n_obs[has]
        return ()

    chunk_sums(est_ar.shape[0], part)
    return share


@register("wilcoxon")
def wilcoxon(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Wilcoxon (1945) signed-rank test of the CARs; statistic ``W+``.

    ``W+`` is the sum of the ranks of ``|CAR_i|`` over the pairs with a positive CAR
    (zero CARs dropped, ties given average ranks). The two-sided p-value is exact up
    to :data:`WILCOXON_EXACT_MAX` pairs, from the null distribution of ``W+`` given the
    observed ranks (each sign positive with probability 1/2), which stays exact with
    ties; above that, the normal approximation with tie correction
    (``scipy.stats.wilcoxon(method="approx")``).
    """
    name = "wilcoxon"
    car = arrays.car(start, end)
    car = car[np.isfinite(car) & (car != 0)]
    n = car.size
    if n < 1:
        return nan_result(name, "no pair has a non-zero CAR")
    ranks = stats.rankdata(np.abs(car))
    w_plus = float(ranks[car > 0].sum())
    if n <= WILCOXON_EXACT_MAX:
        return TestResult(name, w_plus, signed_rank_pvalue(ranks, w_plus))
    _, ties = np.unique(np.abs(car), return_counts=True)
    tie_term = float((ties.astype(float) ** 3 - ties).sum())
    return TestResult(name, w_plus, float(signed_rank_normal_pvalue(n, w_plus, tie_term)))


def signed_rank_normal_pvalue(n: np.ndarray | int, w_plus: np.ndarray | float,
                              tie_term: np.ndarray | float) -> np.ndarray:
    """Two-sided normal-approximation p-value of ``W+`` over ``n`` non-zero values,
    elementwise: ``z = (W+ - n (n + 1) / 4) / sqrt((n (n + 1) (2n + 1) - T / 2) / 24)``
    with the tie term ``T = sum (t^3 - t)`` over groups of ``t`` tied ``|CAR|``
    (Wilcoxon 1945; the tie correction of Lehmann 1975, ch. 3), ``p = 2 Phi(-|z|)``:
    ``scipy.stats.wilcoxon(method="approx")`` without continuity correction.
    """
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt((n * (n + 1) * (2 * n + 1) - np.asarray(tie_term) / 2) / 24)
        z = (np.asarray(w_plus) - n * (n + 1) * 0.25) / se
    return 2 * special.ndtr(-np.abs(z))


WILCOXON_EXACT_MAX = 50


def signed_rank_pvalue(ranks: np.ndarray, w_plus: float) -> float:
    """Exact two-sided p-value of ``W+`` given the ranks (average ranks allowed).

    Doubled ranks are integers, so the null distribution of ``2 W+`` is built by
    convolving one fair coin per rank: ``P(2W+ = s)``. The p-value is
    ``min(1, 2 min(P(W+ <= w), P(W+ >= w)))``, as scipy's exact method.
    """
    doubled = np.rint(2 * np.asarray(ranks)).astype(np.int64)
    # Every probability is a count over 2^n (n <= 50) and exact in float64, so the
    # distribution does not depend on the order of the ranks: sorted, scopes share it.
    distribution = _doubled_rank_distribution(tuple(int(r) for r in np.sort(doubled)))
    observed = int(round(2 * w_plus))
    lower = distribution[: observed + 1].sum()
    upper = distribution[observed:].sum()
    return float(min(1.0, 2 * min(lower, upper)))


@functools.lru_cache(maxsize=1024)
def _doubled_rank_distribution(doubled: tuple[int, ...]) -> np.ndarray:
    """``P(2 W+ = s)`` for the doubled ranks, memoised (scopes without ties share it).
    Read-only: the cached array is shared."""
    distribution = np.zeros(sum(doubled) + 1)
    distribution[0] = 1.0
    for rank in doubled:
        shifted = np.zeros_like(distribution)
        shifted[rank:] = distribution[: distribution.size - rank]
        distribution = 0.5 * (distribution + shifted)
    distribution.flags.writeable = False
    return distribution
