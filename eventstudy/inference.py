"""Test statistics across event-asset pairs (DESIGN section 5).

Each test takes the :class:`~eventstudy.models.pairs.PairArrays` of one scope (already
restricted to its pairs) and a CAR window ``[start, end]`` in event days (a single
day is ``start == end``), and returns a :class:`TestResult` with the statistic and
its two-sided p-value. Tests are registered by their table name in :data:`TESTS`.

Conventions shared by all tests
-------------------------------
* ``N`` is the number of pairs whose CAR over the window is defined (no missing AR
  in the window); pairs without it are left out of that test, never imputed.
* Each pair's estimation window is its own: ``n_est`` observations (``L1`` in the
  literature) and ``dof = n_est - K`` residual degrees of freedom, so missing days
  in one pair's estimation window change only that pair's terms.
* A test that cannot be computed (too few pairs, zero variance, no estimation
  data) returns NaN statistic and p-value with a ``note`` giving the reason. No
  test raises or emits a warning for data reasons; a window outside the event
  window is a settings error and raises :class:`ValueError`.
* Everything is vectorised over pairs. Quantities that do not depend on the window
  (the average cross-correlation of the Kolari-Pynnönen adjustments, the rank
  series of the Corrado test, the estimation-window AAR series, each pair's share
  of positive estimation ARs) are computed once per ``PairArrays`` object and
  cached, so treat a ``PairArrays`` as immutable (``dataclasses.replace`` gives a
  new object). Passes over the ``pairs x days`` arrays run in row chunks
  (:data:`CHUNK_ROWS`) on up to :data:`N_THREADS` threads, bounding memory.

Cross-sectional correlation and clustering
------------------------------------------
``patell_adj`` and ``kp`` use the average pairwise correlation ``r̄`` of the pairs'
standardized estimation-window residuals (Kolari & Pynnönen 2010). Residual series
are aligned in *event time*, and only pairs sharing the same calendar day 0 are
treated as correlated: pairs with distinct day-0 dates contribute zero to ``r̄``
(their estimation windows are different calendar stretches, so an event-time
correlation between them is noise). ``r̄`` is the mean over all ``N (N - 1)``
ordered pairs, which is exactly what the variance of a sum of ``N`` equally
correlated statistics needs: ``Var(sum) = N (1 + (N - 1) r̄)``. It is computed with
the identity ``sum_{i != j} z_i'z_j = ||sum_i z_i||^2 - sum_i ||z_i||^2`` within each
day-0 group, so no ``N x N`` matrix is formed (1,000,000 pairs take one pass).
"""

from __future__ import annotations

import os
import warnings
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from eventstudy.models.pairs import PairArrays

__all__ = [
    "TESTS",
    "TestResult",
    "average_cross_correlation",
    "clustering",
    "run_tests",
]


@dataclass(frozen=True)
class TestResult:
    """One test's outcome; NaN statistic and p-value with a ``note`` when not computable."""

    __test__ = False  # not a pytest test class

    test: str
    statistic: float
    pvalue: float
    note: str = ""


NAN = float("nan")

TestFunction = Callable[[PairArrays, int, int], TestResult]
TESTS: dict[str, TestFunction] = {}

# Rows processed at once in the passes over (pairs x days) arrays: about
# CHUNK_ROWS * 300 * 8 bytes (1.2 MB) per temporary, small enough for the allocator to
# reuse heap memory instead of faulting in fresh pages for every temporary (measured:
# 8,192 rows made the first pass over 10,000 pairs 1.5x slower).
CHUNK_ROWS = 512


# Worker threads for the chunked passes (numpy releases the GIL in sorts and ufuncs).
N_THREADS = max(1, min(4, os.cpu_count() or 1))


def _chunk_map(chunks: list[Any], fn: Callable[[Any], Any]) -> list[Any]:
    """``[fn(c) for c in chunks]``, in worker threads when there is more than one."""
    if len(chunks) <= 1 or N_THREADS == 1:
        return [fn(c) for c in chunks]
    with ThreadPoolExecutor(N_THREADS) as pool:
        return list(pool.map(fn, chunks))


def _chunk_sums(n_rows: int, fn: Callable[[slice], tuple[Any, ...]]) -> tuple[Any, ...]:
    """Apply ``fn`` to row chunks (in worker threads) and sum its tuple outputs."""
    chunks = [slice(a, min(a + CHUNK_ROWS, n_rows)) for a in range(0, n_rows, CHUNK_ROWS)]
    parts = _chunk_map(chunks, fn)
    if not parts:
        return ()
    return tuple(sum(values[1:], values[0]) for values in zip(*parts, strict=True))


def _register(name: str) -> Callable[[TestFunction], TestFunction]:
    def add(fn: TestFunction) -> TestFunction:
        TESTS[name] = fn
        return fn

    return add


def _nan(test: str, note: str) -> TestResult:
    return TestResult(test, NAN, NAN, note)


def _two_sided_normal(z: float) -> float:
    return float(2 * stats.norm.sf(abs(z)))


def _two_sided_t(t: float, dof: float) -> float:
    return float(2 * stats.t.sf(abs(t), dof))


# --------------------------------------------------------------------------- caches


class _Cache:
    """Per-``PairArrays`` cache of window-independent quantities (weakly keyed by id)."""

    def __init__(self) -> None:
        self._store: dict[tuple[int, str], tuple[weakref.ref[Any], Any]] = {}

    def get(self, arrays: PairArrays, key: str, compute: Callable[[], Any]) -> Any:
        slot = (id(arrays), key)
        hit = self._store.get(slot)
        if hit is not None and hit[0]() is arrays:
            return hit[1]
        value = compute()
        self._store[slot] = (weakref.ref(arrays, lambda _: self._store.pop(slot, None)), value)
        return value


_CACHE = _Cache()


# ------------------------------------------------------------------- per-pair helpers


def _car(arrays: PairArrays, start: int, end: int) -> np.ndarray:
    return arrays.car(start, end)


def _scar(arrays: PairArrays, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Cached :func:`_scar_compute` (patell, bmp and their adjustments share it)."""
    return _CACHE.get(arrays, f"scar:{start}:{end}", lambda: _scar_compute(arrays, start, end))


def _scar_compute(arrays: PairArrays, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Standardized CAR per pair and the mask of pairs where it is defined.

    ``SCAR_i = CAR_i / sqrt(Var(CAR_i))`` with the MacKinlay (1997, eq. 14) variance
    including the estimation-error term, which for a single day is Patell's (1976)
    ``s_i^2 (1 + 1/L1 + (Rm_t - mean Rm)^2 / sum (Rm - mean Rm)^2)``. Under H0 it is
    Student t with the pair's ``dof``; only pairs with ``dof > 2`` (finite variance
    ``dof / (dof - 2)``) are kept.
    """
    car = _car(arrays, start, end)
    with np.errstate(all="ignore"):  # a pair without estimation data has NaN/inf terms
        var = arrays.car_variance(start, end)
    ok = np.isfinite(car) & np.isfinite(var) & (var > 0) & (arrays.dof > 2)
    scar = np.full(car.shape, np.nan)
    scar[ok] = car[ok] / np.sqrt(var[ok])
    return scar, ok


def _aar(ar: np.ndarray) -> np.ndarray:
    """Mean over available pairs of each column (NaN where no pair has data), chunked."""

    def part(rows: slice) -> tuple[np.ndarray, np.ndarray]:
        block = ar[rows]
        finite = np.isfinite(block)
        return np.where(finite, block, 0.0).sum(axis=0), finite.sum(axis=0).astype(float)

    sums = _chunk_sums(ar.shape[0], part)
    total, count = sums if sums else (np.zeros(ar.shape[1]), np.zeros(ar.shape[1]))
    out = np.full(ar.shape[1], np.nan)
    has = count > 0
    out[has] = total[has] / count[has]
    return out


# ------------------------------------------------------------------------ the tests


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


@_register("bw_cda")
def bw_cda(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Brown & Warner (1985) crude dependence adjustment.

    ``AAR_t`` is the mean AR over the pairs available on event day ``t``. Its
    standard deviation is estimated from the time series of ``AAR_t`` over the
    estimation window (event time), ``S = sqrt(sum_t (AAR_t - mean AAR)^2 / (T - 1))``
    with ``T`` the estimation days that have data, so the test is robust to
    cross-sectional dependence. For ``L2 = end - start + 1`` days,
    ``t = sum_{t=start..end} AAR_t / (sqrt(L2) * S)`` (Brown & Warner 1985, sec. 3 and
    the multi-day form of their eq. for the CAAR), Student t with ``T - 1`` d.o.f.
    """
    name = "bw_cda"
    cols = arrays.columns(start, end)
    aar_est = _CACHE.get(arrays, "aar_est", lambda: _aar(arrays.est_ar))
    aar_est = aar_est[np.isfinite(aar_est)]
    t_days = aar_est.size
    if t_days < 3:
        return _nan(name, "needs at least 3 estimation days with data")
    s = aar_est.std(ddof=1)
    if s == 0:
        return _nan(name, "AAR has zero variance over the estimation window")
    aar_event = _aar(arrays.ar[:, cols])
    if not np.isfinite(aar_event).all():
        return _nan(name, "a day of the window has no pair with data")
    length = cols.stop - cols.start
    statistic = float(aar_event.sum() / (np.sqrt(length) * s))
    return TestResult(name, statistic, _two_sided_t(statistic, t_days - 1))


@_register("patell")
def patell(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Patell (1976) standardized-residual test, multi-day via standardized CARs.

    ``Z = sum_i SCAR_i / sqrt(sum_i (L1_i - K) / (L1_i - K - 2))``: each pair's
    ``SCAR_i`` (CAR over its standard error including estimation error, MacKinlay
    1997 eq. 14) is Student t with ``dof_i = L1_i - K`` under H0, with variance
    ``dof_i / (dof_i - 2)`` (Patell 1976, eq. 8-10; Campbell, Lo & MacKinlay 1997,
    sec. 4.4.3). Standard normal. Assumes cross-sectional independence.
    """
    name = "patell"
    scar, ok = _scar(arrays, start, end)
    if not ok.any():
        return _nan(name, "no pair has a standardized CAR (needs dof > 2 and variance > 0)")
    dof = arrays.dof[ok].astype(float)
    statistic = float(scar[ok].sum() / np.sqrt((dof / (dof - 2)).sum()))
    return TestResult(name, statistic, _two_sided_normal(statistic))


@_register("bmp")
def bmp(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Boehmer, Musumeci & Poulsen (1991) standardized cross-sectional test.

    ``t = mean(SCAR) / (sd(SCAR) / sqrt(N))`` with the Patell-standardized CARs and
    their cross-sectional standard deviation (``ddof = 1``), so event-induced
    variance is allowed for (BMP 1991, eq. 6). Student t with ``N - 1`` d.o.f.
    """
    name = "bmp"
    scar, ok = _scar(arrays, start, end)
    values = scar[ok]
    n = values.size
    if n < 2:
        return _nan(name, "needs at least 2 pairs with a standardized CAR")
    sd = values.std(ddof=1)
    if sd == 0:
        return _nan(name, "standardized CARs have zero dispersion")
    statistic = float(values.mean() / (sd / np.sqrt(n)))
    return TestResult(name, statistic, _two_sided_t(statistic, n - 1))


@_register("patell_adj")
def patell_adj(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Patell test adjusted for cross-correlation (Kolari & Pynnönen 2010, eq. 19).

    ``Z_adj = Z_patell * sqrt(1 / (1 + (N - 1) r̄))`` with ``r̄`` the average
    correlation of the pairs' standardized estimation-window residuals
    (:func:`average_cross_correlation`: only pairs sharing a calendar day 0 count as
    correlated). Standard normal.
    """
    name = "patell_adj"
    base = patell(arrays, start, end)
    if not np.isfinite(base.statistic):
        return _nan(name, base.note)
    _, ok = _scar(arrays, start, end)
    n = int(ok.sum())
    rbar = average_cross_correlation(arrays)
    factor = 1 + (n - 1) * rbar
    if not np.isfinite(factor) or factor <= 0:
        return _nan(name, f"average cross-correlation {rbar:.3g} gives a non-positive variance")
    statistic = float(base.statistic / np.sqrt(factor))
    return TestResult(name, statistic, _two_sided_normal(statistic), _rbar_note(rbar))


@_register("kp")
def kp(arrays: PairArrays, start: int, end: int) -> TestResult:
    """BMP test adjusted for cross-correlation (Kolari & Pynnönen 2010, eq. 16).

    ``t_adj = t_bmp * sqrt((1 - r̄) / (1 + (N - 1) r̄))`` with ``r̄`` the average
    correlation of standardized estimation-window residuals among pairs sharing a
    calendar day 0 (:func:`average_cross_correlation`). Student t, ``N - 1`` d.o.f.
    """
    name = "kp"
    base = bmp(arrays, start, end)
    if not np.isfinite(base.statistic):
        return _nan(name, base.note)
    _, ok = _scar(arrays, start, end)
    n = int(ok.sum())
    rbar = average_cross_correlation(arrays)
    factor = (1 - rbar) / (1 + (n - 1) * rbar) if 1 + (n - 1) * rbar > 0 else NAN
    if not np.isfinite(factor) or factor <= 0:
        return _nan(name, f"average cross-correlation {rbar:.3g} gives a non-positive variance")
    statistic = float(base.statistic * np.sqrt(factor))
    return TestResult(name, statistic, _two_sided_t(statistic, n - 1), _rbar_note(rbar))


def _rbar_note(rbar: float) -> str:
    if rbar == 0:
        return "no pairs share a day 0: r_bar = 0, same as the unadjusted test"
    return f"r_bar = {rbar:.4g}"


@_register("corrado")
def corrado(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Corrado (1989) rank test; multi-day form of Cowan (1992) / Campbell & Wasley (1993).

    Each pair's ARs over its estimation window and the whole event window are
    ranked together (ties averaged, missing days left out) and scaled by the
    pair's own count, ``U_it = K_it / (n_i + 1)`` (Corrado & Zivney 1992), so pairs
    with missing data stay comparable. With ``Ubar_t`` the mean of ``U_it - 1/2``
    over the pairs available on day ``t`` and
    ``S_U = sqrt(mean over all est+event days of Ubar_t^2)`` (Corrado 1989, eq. 3),
    ``z = sum_{t=start..end} Ubar_t / (sqrt(L2) * S_U)`` (Campbell & Wasley 1993,
    eq. 7), standard normal. A single day gives Corrado's ``Ubar_0 / S_U``.
    """
    name = "corrado"
    cols = arrays.columns(start, end)
    ubar_est, ubar_event = _CACHE.get(arrays, "corrado", lambda: _corrado_series(arrays))
    series = np.concatenate([ubar_est, ubar_event])
    series = series[np.isfinite(series)]
    if series.size < 3:
        return _nan(name, "needs at least 3 days with ranked data")
    s = float(np.sqrt(np.mean(series**2)))
    if s == 0:
        return _nan(name, "rank deviations have zero variance")
    window = ubar_event[cols]
    if not np.isfinite(window).all():
        return _nan(name, "a day of the window has no pair with data")
    statistic = float(window.sum() / (np.sqrt(window.size) * s))
    return TestResult(name, statistic, _two_sided_normal(statistic))


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


def _corrado_series(arrays: PairArrays) -> tuple[np.ndarray, np.ndarray]:
    n_est_cols = arrays.est_ar.shape[1]
    n_cols = n_est_cols + arrays.ar.shape[1]

    def part(rows: slice) -> tuple[np.ndarray, np.ndarray]:
        block = np.concatenate([arrays.est_ar[rows], arrays.ar[rows]], axis=1)
        return _centred_rank_column_sums(block)

    sums = _chunk_sums(arrays.n_pairs, part)
    total, count = sums if sums else (np.zeros(n_cols), np.zeros(n_cols))
    ubar = np.full(n_cols, np.nan)
    has = count > 0
    ubar[has] = total[has] / count[has]
    return ubar[:n_est_cols], ubar[n_est_cols:]


@_register("sign")
def sign(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Sign test of the share of positive CARs against 1/2.

    ``z = (w - N/2) / sqrt(N/4)`` with ``w`` the number of positive CARs among the
    ``N`` non-zero ones (Cowan 1992, eq. 1; zero CARs are dropped as ties). The
    p-value is the exact two-sided binomial test (``scipy.stats.binomtest``).
    """
    name = "sign"
    car = _car(arrays, start, end)
    car = car[np.isfinite(car) & (car != 0)]
    n = car.size
    if n < 1:
        return _nan(name, "no pair has a non-zero CAR")
    w = int((car > 0).sum())
    statistic = float((w - n / 2) / np.sqrt(n / 4))
    pvalue = float(stats.binomtest(w, n, 0.5).pvalue)
    return TestResult(name, statistic, pvalue)


@_register("gen_sign")
def gen_sign(arrays: PairArrays, start: int, end: int) -> TestResult:
    """Cowan (1992) generalized sign test.

    The expected share of positive abnormal returns is estimated from the
    estimation windows, ``p = (1/N) sum_i (1/L1_i) sum_t [AR_it > 0]`` (each pair over
    its own available days), and ``z = (w - N p) / sqrt(N p (1 - p))`` with ``w`` the
    number of positive CARs over the window (Cowan 1992, eq. 4). Standard normal.
    """
    name = "gen_sign"
    car = _car(arrays, start, end)
    share = _CACHE.get(arrays, "positive_share", lambda: _positive_share(arrays.est_ar))
    ok = np.isfinite(car) & np.isfinite(share)
    n = int(ok.sum())
    if n < 1:
        return _nan(name, "no pair has both a CAR and estimation data")
    p = float(np.mean(share[ok]))
    if p <= 0 or p >= 1:
        return _nan(name, "estimation-window share of positive ARs is 0 or 1")
    w = int((car[ok] > 0).sum())
    statistic = float((w - n * p) / np.sqrt(n * p * (1 - p)))
    return TestResult(name, statistic, _two_sided_normal(statistic))


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

    _chunk_sums(est_ar.shape[0], part)
    return share


@_register("wilcoxon")
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
    car = _car(arrays, start, end)
    car = car[np.isfinite(car) & (car != 0)]
    n = car.size
    if n < 1:
        return _nan(name, "no pair has a non-zero CAR")
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
    distribution = np.zeros(int(doubled.sum()) + 1)
    distribution[0] = 1.0
    for rank in doubled:
        shifted = np.zeros_like(distribution)
        shifted[rank:] = distribution[: distribution.size - rank]
        distribution = 0.5 * (distribution + shifted)
    observed = int(round(2 * w_plus))
    lower = distribution[: observed + 1].sum()
    upper = distribution[observed:].sum()
    return float(min(1.0, 2 * min(lower, upper)))


# ------------------------------------------------------- cross-correlation, clustering


def average_cross_correlation(arrays: PairArrays) -> float:
    """Average pairwise correlation ``r̄`` of standardized estimation residuals.

    Each pair's estimation residuals (in event time) are demeaned and scaled to unit
    length, ``z_i = (e_i - mean e_i) / ||e_i - mean e_i||`` with missing days set to 0, so
    ``z_i'z_j`` is the correlation of two pairs over their common days. Only pairs
    sharing a calendar day 0 are correlated; pairs with distinct day-0 dates count as
    uncorrelated (zero). Then, over the ``N`` pairs with at least two estimation
    observations and non-zero residual variance,

    ``r̄ = sum_g (||sum_{i in g} z_i||^2 - sum_{i in g} ||z_i||^2) / (N (N - 1))``

    summing over the day-0 groups ``g`` (Kolari & Pynnönen 2010, sec. 2). Memory is
    ``O(groups x L)``; no ``N x N`` matrix is formed. Returns 0.0 when fewer than two
    pairs qualify or none share a day 0. The value is cached per ``PairArrays``.
    """
    return float(_CACHE.get(arrays, "rbar", lambda: _compute_rbar(arrays)))


def _standardize_rows(e: np.ndarray) -> np.ndarray:
    finite = np.isfinite(e)
    n = finite.sum(axis=1, keepdims=True)
    filled = np.where(finite, e, 0.0)
    mean = np.divide(filled.sum(axis=1, keepdims=True), n, out=np.zeros(n.shape), where=n > 0)
    centred = np.where(finite, e - mean, 0.0)
    norm = np.sqrt((centred**2).sum(axis=1, keepdims=True))
    ok = (n >= 2) & (norm > 0)
    return np.divide(centred, norm, out=np.zeros_like(centred), where=ok)


def _compute_rbar(arrays: PairArrays) -> float:
    n_valid = int(((arrays.n_est >= 2) & (arrays.sigma2 > 0)).sum())
    if n_valid < 2:
        return 0.0
    day0 = np.asarray(arrays.day0, dtype="datetime64[D]")
    known = np.flatnonzero(~np.isnat(day0))  # an unknown day 0 is never clustered
    if known.size < 2:
        return 0.0
    _, group_known = np.unique(day0[known], return_inverse=True)
    group = np.full(day0.size, -1, dtype=np.intp)
    group[known] = group_known.ravel()
    sizes = np.bincount(group_known.ravel())
    clustered = known[sizes[group[known]] >= 2]
    if clustered.size == 0:
        return 0.0
    order = clustered[np.argsort(group[clustered], kind="stable")]

    def part(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        z = _standardize_rows(arrays.est_ar[rows])
        g = group[rows]
        starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        unit = float(np.count_nonzero(z.any(axis=1)))  # each non-zero z_i has ||z_i|| = 1
        return g[starts], np.add.reduceat(z, starts, axis=0), unit

    chunks = [order[a : a + CHUNK_ROWS] for a in range(0, order.size, CHUNK_ROWS)]
    sums = np.zeros((sizes.size, arrays.est_ar.shape[1]))
    self_products = 0.0
    for groups, group_sums, products in _chunk_map(chunks, part):
        sums[groups] += group_sums  # groups are unique within a chunk
        self_products += products
    off_diagonal = float((sums * sums).sum()) - self_products
    return off_diagonal / (n_valid * (n_valid - 1))


def clustering(arrays: PairArrays) -> dict[str, Any]:
    """Report event clustering: pairs whose calendar day 0 is shared with another pair.

    Pairs with an unknown day 0 (NaT) are never counted as clustered.
    Returns a dict with ``n_pairs``, ``n_day0`` (distinct day-0 dates),
    ``n_clustered`` (pairs sharing their day 0), ``share_clustered``,
    ``largest_cluster`` (most pairs on one day 0), ``clustered_day0`` (the shared
    dates, as ``datetime64[D]``), ``rbar`` (:func:`average_cross_correlation`) and
    ``recommended_tests``: ``["kp", "patell_adj"]`` when any pairs are clustered
    (their standard errors account for cross-correlation), else ``[]``.
    """
    day0 = np.asarray(arrays.day0, dtype="datetime64[D]")
    dates, counts = np.unique(day0[~np.isnat(day0)], return_counts=True)
    shared = counts >= 2
    n_clustered = int(counts[shared].sum())
    n_pairs = int(day0.size)
    return {
        "n_pairs": n_pairs,
        "n_day0": int(dates.size),
        "n_clustered": n_clustered,
        "share_clustered": n_clustered / n_pairs if n_pairs else 0.0,
        "largest_cluster": int(counts.max()) if counts.size else 0,
        "clustered_day0": dates[shared],
        "rbar": average_cross_correlation(arrays) if n_clustered else 0.0,
        "recommended_tests": ["kp", "patell_adj"] if n_clustered else [],
    }


def run_tests(arrays: PairArrays, start: int, end: int) -> list[TestResult]:
    """Run every registered test on one scope and window."""
    return [test(arrays, start, end) for test in TESTS.values()]
