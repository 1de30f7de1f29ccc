"""Per-day averages for many scopes in one pass: Corrado's rank series and the AAR series.

Corrado's rank test and Brown & Warner's crude dependence adjustment do not test the
CARs: they test a *series* over event days, the average across a scope's pairs of
each day's centred rank (:func:`rank_series`) or abnormal return
(:func:`average_by_segment`). A column average over a scope is a sum and a count per
column, so one pass over the pairs' ``(pairs x days)`` arrays accumulates them for
every scope of several :class:`~eventstudy.inference.base.Layout` at once (all pairs,
each asset, each group) with ``bincount``: the ranks are computed once per pair, not
once per scope that holds it. The same sums, added across partitions of the pairs,
give the same averages, which is what a partitioned run needs.

The passes run in row chunks on worker threads (:func:`~eventstudy.inference.base.chunk_map`);
within a chunk only the segments present are touched, so a study with thousands of
assets never allocates a ``(segments x days)`` array per chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse

from eventstudy.inference.base import CHUNK_ROWS, N_THREADS, Layout, chunk_map
from eventstudy.models.pairs import PairArrays

Partial = tuple[np.ndarray, np.ndarray, np.ndarray]  # segments present, column sums, counts
Sums = tuple[np.ndarray, np.ndarray]  # per cell: column sums, counts


def rank_series(arrays: PairArrays, layouts: Sequence[Layout], start: int,
                end: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``Ubar_t`` of Corrado's test for every segment of every layout.

    Each pair's ARs over its estimation days and the window ``[start, end]`` are ranked
    together (ties averaged, missing days left out) and centred, ``K_it / (n_i + 1) -
    1/2`` (Corrado & Zivney 1992); ``Ubar_t`` is their mean over the segment's pairs
    available on day ``t`` (NaN where none is).

    Returns
    -------
    list
        Per layout, ``(ubar_est, ubar_window)`` of shapes ``(n, estimation days)`` and
        ``(n, end - start + 1)``.
    """
    cells, owners = product_layout(layouts)
    return split_rank_means(segment_means(rank_sums(arrays, cells, start, end), cells, owners, layouts),
                            arrays.est_ar.shape[1])


def split_rank_means(means: Sequence[np.ndarray], n_est: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each layout's ``Ubar`` columns cut into the estimation days and the window."""
    return [(m[:, :n_est], m[:, n_est:]) for m in means]


def rank_sums(arrays: PairArrays, cells: Layout, start: int, end: int) -> Sums:
    """Per cell of ``cells``, the column sums and counts of the pairs' centred ranks over
    their estimation days then the window ``[start, end]`` (:func:`rank_series`).

    Ranks are within a pair, so these sums can be computed wherever the pairs' residuals
    are and added: a partitioned run adds its partitions' sums."""
    cols = arrays.columns(start, end)

    def part(rows: np.ndarray) -> Partial:
        block = np.concatenate([arrays.est_ar[rows], arrays.ar[rows, cols]], axis=1)
        return centred_rank_partials(block, cells.codes[rows])

    return _accumulate(part, cells, arrays.est_ar.shape[1] + cols.stop - cols.start)


def average_by_segment(values: np.ndarray, layouts: Sequence[Layout]) -> list[np.ndarray]:
    """Per layout, the ``(n, days)`` mean over each segment's pairs of ``values``'s
    columns, missing values left out (NaN where a segment has none on a day)."""
    cells, owners = product_layout(layouts)
    return segment_means(column_sums(values, cells), cells, owners, layouts)


def column_sums(values: np.ndarray, cells: Layout) -> Sums:
    """Per cell, the column sums of ``values``'s finite entries and their counts."""

    def part(rows: np.ndarray) -> Partial:
        block = values[rows]
        finite = np.isfinite(block)
        return _segment_sums(np.where(finite, block, 0.0), finite, cells.codes[rows])

    return _accumulate(part, cells, values.shape[1])


def centred_rank_partials(x: np.ndarray, codes: np.ndarray) -> Partial:
    """Column sums of the centred ranks ``K_it / (n_i + 1) - 1/2`` of ``x``'s rows, and
    their counts, by segment (``codes``: each row's segment, ``>= 0``).

    ``K_it`` is the rank of ``x_it`` in its row (ties averaged, NaN left out) and ``n_i``
    the row's non-missing count. Accumulated with ``bincount`` over each row's sorted
    permutation, so the rank matrix is never scattered back.
    """
    n_rows, n_cols = x.shape
    if x.size == 0:
        return np.empty(0, dtype=np.int64), np.zeros((0, n_cols)), np.zeros((0, n_cols))
    n_obs = np.isfinite(x).sum(axis=1)
    key, bits = _sorted_keys(x)
    exact = _needs_exact(key, bits)
    key &= np.uint64((1 << bits) - 1)
    order = key.view(np.int64)  # the column of each sorted position
    position = np.arange(n_cols)
    skip = (position[None, :] >= n_obs[:, None]) | exact[:, None]  # missing, or exact path
    order[skip] = n_cols  # an overflow column, dropped
    weights = np.multiply.outer(1.0 / (n_obs + 1.0), position + 1.0)
    weights -= 0.5
    present, local = np.unique(codes, return_inverse=True)
    local = local.reshape(-1)
    flat = (local[:, None] * (n_cols + 1) + order).ravel()
    size = present.size * (n_cols + 1)
    total = np.bincount(flat, weights=weights.ravel(), minlength=size).reshape(present.size, n_cols + 1)
    count = np.bincount(flat, minlength=size).reshape(present.size, n_cols + 1).astype(float)
    total, count = total[:, :n_cols], count[:, :n_cols]
    if exact.any():
        exact_u = _rank_rows_exact(x[exact]) / (n_obs[exact, None] + 1.0) - 0.5
        finite = np.isfinite(exact_u)
        np.add.at(total, local[exact], np.where(finite, exact_u, 0.0))
        np.add.at(count, local[exact], finite)
    return present, total, count


def _segment_sums(values: np.ndarray, counted: np.ndarray, codes: np.ndarray) -> Partial:
    """Column sums of ``values`` and of ``counted`` by segment (code ``-1`` left out)."""
    keep = np.flatnonzero(codes >= 0)
    present, local = np.unique(codes[keep], return_inverse=True)
    n_cols = values.shape[1]
    flat = (local.reshape(-1, 1) * n_cols + np.arange(n_cols)).ravel()
    size = present.size * n_cols
    total = np.bincount(flat, weights=values[keep].ravel(), minlength=size)
    count = np.bincount(flat, weights=counted[keep].ravel().astype(float), minlength=size)
    return present, total.reshape(-1, n_cols), count.reshape(-1, n_cols)


def product_layout(layouts: Sequence[Layout]) -> tuple[Layout, list[np.ndarray]]:
    """The coarsest layout that refines all of ``layouts`` (its cells are the distinct
    combinations of the pairs' segments), and per layout each cell's segment (``-1``:
    in none). One pass accumulates the cells; each layout's sums are its cells' sums."""
    radix = [layout.n + 1 for layout in layouts]  # code + 1: 0 is "in none"
    if float(np.prod(radix, dtype=float)) < 2.0**62:  # one integer key per combination
        key = np.zeros(layouts[0].codes.size, dtype=np.int64)
        for layout, base in zip(layouts, radix, strict=True):
            key = key * base + (layout.codes + 1)
        unique, inverse = np.unique(key, return_inverse=True)
        digits = []
        for base in reversed(radix):
            digits.append(unique % base - 1)
            unique = unique // base
        return Layout(inverse.reshape(-1), inverse.size and int(inverse.max()) + 1), digits[::-1]
    stacked = np.stack([layout.codes for layout in layouts], axis=1) + 1
    rows, inverse = np.unique(stacked, axis=0, return_inverse=True)
    return Layout(inverse.reshape(-1), rows.shape[0]), [rows[:, k] - 1 for k in range(len(layouts))]


def _accumulate(part: Callable[[np.ndarray], Partial], cells: Layout, n_cols: int) -> Sums:
    """Column sums and counts per cell: ``part`` applied to chunks of rows taken cell
    after cell (so a chunk touches few cells), on worker threads, folded in as they come
    (memory stays that of a few chunks) and in chunk order (the result does not depend
    on the threads)."""
    total = np.zeros((cells.n, n_cols))
    count = np.zeros((cells.n, n_cols))
    chunks = [cells.order[a: a + CHUNK_ROWS] for a in range(0, cells.order.size, CHUNK_ROWS)]
    batch = 8 * max(N_THREADS, 1)
    for first in range(0, len(chunks), batch):
        for present, part_total, part_count in chunk_map(chunks[first: first + batch], part):
            total[present] += part_total
            count[present] += part_count
    return total, count


def segment_means(sums: Sums, cells: Layout, owners: Sequence[np.ndarray],
                  layouts: Sequence[Layout]) -> list[np.ndarray]:
    """Per layout, the cells' sums folded into its segments (``owners``: each cell's
    segment, from :func:`product_layout`), divided by the counts (NaN where zero)."""
    total, count = sums
    means = []
    for layout, owner in zip(layouts, owners, strict=True):
        inside = np.flatnonzero(owner >= 0)
        fold = sparse.csr_matrix((np.ones(inside.size), (owner[inside], inside)), shape=(layout.n, cells.n))
        segment_total, segment_count = fold @ total, fold @ count
        mean = np.full((layout.n, total.shape[1]), np.nan)
        has = segment_count > 0
        mean[has] = segment_total[has] / segment_count[has]
        means.append(mean)
    return means


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
