"""Cross-sectional dependence: the average cross-correlation r̄ and event clustering."""

from __future__ import annotations

from typing import Any

import numpy as np

from eventstudy.inference.base import CACHE, chunk_map, index_chunks
from eventstudy.pairs import PairArrays


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
    return float(CACHE.get(arrays, "rbar", lambda: _compute_rbar(arrays)))


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

    sums = np.zeros((sizes.size, arrays.est_ar.shape[1]))
    self_products = 0.0
    for groups, group_sums, products in chunk_map(index_chunks(order), part):
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
