"""Non-parametric tests: Corrado's rank test, sign, Cowan's generalized sign, Wilcoxon."""

from __future__ import annotations

import functools
import warnings

import numpy as np
from scipy import stats

from eventstudy.inference.base import (
    CACHE,
    TestResult,
    chunk_sums,
    nan_result,
    register,
    two_sided_normal,
)
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
    name = "corrado"
    cols = arrays.columns(start, end)
    ubar_est, window = CACHE.get(arrays, f"corrado:{start}:{end}",
                                 lambda: _corrado_series(arrays, cols))
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


def _sorted_keys(x: np.ndarray) -> tuple[np.ndarray, int]:
    """Row-sorted integer keys whose low bits are the column index.

    Each value's order-preserving 64-bit pattern (NaN mapped to the top, so missing
    days sort last) has its lowest ``bits`` replaced by its column index; sorting the
    keys as unsigned integers (a SIMD sort, several times faster than ``argsort``)
    yields each row's permutation in the low bits. Values that agree to within the
    dropped bits (about 1e-13 relative), ties included, share a key's high part.
    """
    n_cols = x.shape[1]
    bits = max(1, int(n_cols - 1).bit_length())
    values = np.asarray(x, dtype=np.float64) + 0.0  # a fresh copy, and -0.0 becomes 0.0
    pattern = values.view(np.uint64)
    key = (pattern >> np.uint64(63)) * np.uint64(0x7FFFFFFFFFFFFFFF)
    key |= np.uint64(0x8000000000000000)
    key ^= pattern  # unsigned order == float order
    key[np.isnan(x)] = np.uint64(0xFFFFFFFFFFFFFFFF)
    key >>= np.uint64(bits)
    key <<= np.uint64(bits)
    key |= np.arange(n_cols, dtype=np.uint64)
    key.sort(axis=1)
    return key, bits


def _needs_exact(key: np.ndarray, bits: int) -> np.ndarray:
    """Rows whose sorted keys have two non-missing values sharing a high part."""
    high = key >> np.uint64(bits)
    top = np.uint64(0xFFFFFFFFFFFFFFFF) >> np.uint64(bits)
    return ((high[:, 1:] == high[:, :-1]) & (high[:, 1:] != top)).any(axis=1)


def _centred_rank_column_sums(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column, the sum over rows of ``K_it / (n_i + 1) - 1/2`` and the row count.

    ``K_it`` is the rank of ``x_it`` in its row (ties averaged, NaN left out) and
    ``n_i`` the row's non-missing count. Accumulated with ``bincount`` over the
    sorted permutation, so the rank matrix is never scattered back.
    """
    n_rows, n_cols = x.shape
    total = np.zeros(n_cols)
    count = np.zeros(n_cols)
    if x.size == 0:
        return total, count
    n_obs = np.isfinite(x).sum(axis=1)
    key, bits = _sorted_keys(x)
    exact = _needs_exact(key, bits)
    key &= np.uint64((1 << bits) - 1)
    order = key.view(np.int64)  # the column of each sorted position
    position = np.arange(n_cols)
    skip = (position[None, :] >= n_obs[:, None]) | exact[:, None]  # missing, or exact path
    order[skip] = n_cols  # an overflow bin, dropped below
    weights = np.multiply.outer(1.0 / (n_obs + 1.0), position + 1.0)
    weights -= 0.5
    flat = order.ravel()
    total += np.bincount(flat, weights=weights.ravel(), minlength=n_cols + 1)[:n_cols]
    count += np.bincount(flat, minlength=n_cols + 1)[:n_cols]
    if exact.any():
        rows = x[exact]
        u = _rank_rows_exact(rows) / (n_obs[exact, None] + 1.0) - 0.5
        finite = np.isfinite(u)
        total += np.where(finite, u, 0.0).sum(axis=0)
        count += finite.sum(axis=0)
    return total, count


def _rank_rows_exact(x: np.ndarray) -> np.ndarray:
    """Ranks within each row with ties averaged (argsort-based, exact)."""
    n_cols = x.shape[1]
    order = np.argsort(x, axis=1, kind="stable")  # NaN sort last
    v = np.take_along_axis(x, order, axis=1)
    idx = np.broadcast_to(np.arange(n_cols), x.shape)
    new_run = np.ones(x.shape, dtype=bool)
    new_run[:, 1:] = v[:, 1:] != v[:, :-1]
    run_start = np.maximum.accumulate(np.where(new_run, idx, 0), axis=1)
    run_end_flag = np.ones(x.shape, dtype=bool)
    run_end_flag[:, :-1] = new_run[:, 1:]
    reversed_end = np.where(run_end_flag, idx, n_cols - 1)[:, ::-1]
    run_end = np.minimum.accumulate(reversed_end, axis=1)[:, ::-1]
    ranks = np.empty(x.shape)
    np.put_along_axis(ranks, order, (run_start + run_end) / 2 + 1, axis=1)
    ranks[np.isnan(x)] = np.nan
    return ranks


def _corrado_series(arrays: PairArrays, cols: slice) -> tuple[np.ndarray, np.ndarray]:
    """``Ubar_t`` over the estimation days and over the event-window columns ``cols``."""
    n_est_cols = arrays.est_ar.shape[1]
    n_cols = n_est_cols + cols.stop - cols.start

    def part(rows: slice) -> tuple[np.ndarray, np.ndarray]:
        block = np.concatenate([arrays.est_ar[rows], arrays.ar[rows, cols]], axis=1)
        return _centred_rank_column_sums(block)

    sums = chunk_sums(arrays.n_pairs, part)
    total, count = sums if sums else (np.zeros(n_cols), np.zeros(n_cols))
    ubar = np.full(n_cols, np.nan)
    has = count > 0
    ubar[has] = total[has] / count[has]
    return ubar[:n_est_cols], ubar[n_est_cols:]


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
    pvalue = _binomial_pvalue(w, n)
    return TestResult(name, statistic, pvalue)


@functools.lru_cache(maxsize=4096)
def _binomial_pvalue(successes: int, trials: int) -> float:
    """Exact two-sided ``scipy.stats.binomtest(successes, trials, 0.5)`` p-value, memoised:
    many scopes share the same counts."""
    return float(stats.binomtest(successes, trials, 0.5).pvalue)


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
    share = CACHE.get(arrays, "positive_share", lambda: _positive_share(arrays.est_ar))
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


def _positive_share(est_ar: np.ndarray) -> np.ndarray:
    """Each pair's share of positive ARs over its own estimation days (NaN if none)."""
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
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pvalue = float(stats.wilcoxon(car, zero_method="wilcox", method="approx").pvalue)
    return TestResult(name, w_plus, pvalue)


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
