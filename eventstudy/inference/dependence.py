"""Cross-sectional dependence: the average cross-correlation r̄ and event clustering.

r̄ in calendar time
-------------------
``patell_adj`` and ``kp`` divide by ``sqrt(1 + (N - 1) r̄)`` (Kolari & Pynnönen 2010,
eq. 16 and 19), where ``r̄`` is the average correlation of the ``N`` standardized CARs
over all ``N (N - 1)`` ordered couples of pairs: ``Var(sum_i SCAR_i) = N (1 + (N - 1)
r̄)`` for unit-variance statistics. Two pairs' CARs over the window ``[start, end]``
are correlated only if the windows share calendar dates. For such a couple, with
``rho_ij`` the correlation of the two pairs' estimation-window abnormal returns on
their common calendar dates and ``c_ij`` the number of calendar dates the two CAR
windows share (each ``L2 = end - start + 1`` trading days long),

``corr(SCAR_i, SCAR_j) = rho_ij * c_ij / L2``

(serially uncorrelated abnormal returns: the covariance of two sums is the sum of
the covariances on the days both sums contain). A couple whose windows share no date
contributes zero. So pairs on one day 0 (``c = L2``) contribute ``rho_ij``; two events
of one stock three sessions apart, tested over ``[0, 5]``, contribute about
``3/6``. Trading dates come from :meth:`~eventstudy.models.pairs.PairArrays.dates`.

The sum runs over overlapping couples only. They are found by sorting the windows
by their first date, so counting them is ``O(N log N)``; when there are more than
:data:`RBAR_MAX_COUPLES`, that many are drawn uniformly (with replacement, fixed
seed) and their mean correlation is scaled by the exact count. Memory is bounded by
the couple batch, so a million pairs are fine.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np

from eventstudy.inference.base import CACHE, chunk_map
from eventstudy.models.pairs import PairArrays

# Overlapping couples whose correlation is computed exactly; above it, a sample.
RBAR_MAX_COUPLES = 20_000

# Fewer common estimation dates than this: the couple's correlation is not
# estimable and counts as zero.
MIN_COMMON_DATES = 30

COUPLE_BATCH = 1024  # couples per vectorised batch: about COUPLE_BATCH * L * 8 bytes each

#: Couples' ``rho`` from elsewhere than ``PairArrays.est_ar``: ``rho(left, right)``.
Rho = Callable[[np.ndarray, np.ndarray], np.ndarray]

_SAMPLING_SEED = 2010  # Kolari & Pynnönen (2010); fixed so that r̄ is reproducible
_MISSING_DAY = -(10**6)  # day number standing for NaT (no real date is that early)


def average_cross_correlation(arrays: PairArrays, start: int = 0, end: int = 0) -> float:
    """Average correlation ``r̄`` of the pairs' standardized CARs over ``[start, end]``.

    ``r̄ = sum_{i != j} rho_ij c_ij / L2 / (N (N - 1))`` over the ``N`` pairs with a CAR
    over the window and at least two estimation residuals of non-zero variance:
    ``rho_ij`` is the correlation of pairs ``i`` and ``j``'s estimation-window
    abnormal returns on their common calendar dates (zero with fewer than
    :data:`MIN_COMMON_DATES` of them), ``c_ij`` the number of calendar dates the two
    CAR windows share and ``L2 = end - start + 1`` (module docstring; Kolari &
    Pynnönen 2010, sec. 2, with the correlation taken in calendar time).

    Parameters
    ----------
    arrays
        The scope's pairs.
    start, end
        The CAR window in event days (inside the event window).

    Returns
    -------
    float
        ``r̄``; 0.0 when fewer than two pairs qualify or no two windows share a date.
        Cached per ``PairArrays`` and window.
    """
    return float(CACHE.get(arrays, f"rbar:{start}:{end}", lambda: _compute_rbar(arrays, start, end)))


def window_candidates(arrays: PairArrays, start: int, end: int) -> tuple[np.ndarray, np.ndarray,
                                                                       np.ndarray]:
    """The pairs that count in ``r̄`` over ``[start, end]`` (a CAR, at least two
    estimation residuals of non-zero variance), which of them have known window dates,
    and those dates ``(rows, L2)``."""
    car = arrays.car(start, end)
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(car) & (arrays.n_est >= 2) & (arrays.sigma2 > 0)
    rows = np.flatnonzero(valid)
    window = arrays.dates(np.arange(start, end + 1), rows)
    known = ~np.isnat(window).any(axis=1)
    return rows, known, window


def _compute_rbar(arrays: PairArrays, start: int, end: int) -> float:
    rows, known, window = window_candidates(arrays, start, end)
    return rbar_of_rows(arrays, rows[known], window[known], rows.size, start, end, shared_memo(arrays).rho)


class RhoMemo:
    """``rho`` of the couples met so far, keyed by the couple's two pair rows (the windows
    and scopes of one study share many of their couples), computed by
    ``compute(left, right)`` for the couples not met yet: :func:`couple_rho` on the
    study's residuals (:meth:`of`, :func:`shared_memo`), or, in a partitioned run, from
    residual rows fetched from the partitions."""

    def __init__(self, n_pairs: int, compute: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
        self.n_pairs = np.int64(n_pairs)
        self.compute = compute
        self.keys = np.empty(0, dtype=np.int64)
        self.values = np.empty(0)

    @classmethod
    def of(cls, arrays: PairArrays) -> RhoMemo:
        """Couples' ``rho`` from ``arrays.est_ar``, in batches on worker threads (``arrays``
        held weakly: the memo may be cached with them)."""
        held = weakref.ref(arrays)

        def compute(left: np.ndarray, right: np.ndarray) -> np.ndarray:
            source = held()
            assert source is not None, "the pairs of this memo are gone"
            return in_batches(left, right, lambda a, b: couple_rho(source, a, b))
        return cls(arrays.n_pairs, compute)

    def rho(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """``rho`` of the couples ``(left[i], right[i])``."""
        keys = self._keys(left, right)
        known = np.zeros(keys.size, dtype=bool)
        at = np.zeros(keys.size, dtype=np.intp)
        if self.keys.size:
            at = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
            known = self.keys[at] == keys
        out = np.empty(keys.size)
        out[known] = self.values[at[known]]
        new = np.flatnonzero(~known)
        if new.size:  # each new couple once, however often it was drawn, in the order met
            _, first, where = np.unique(keys[new], return_index=True, return_inverse=True)
            met = np.argsort(first)
            once = new[first[met]]
            values = self.compute(left[once], right[once])
            by_key = np.empty(values.size)
            by_key[met] = values
            out[new] = by_key[where]
            self.add(left[once], right[once], values)
        return out

    def add(self, left: np.ndarray, right: np.ndarray, values: np.ndarray) -> None:
        """Remember ``values`` as the couples' ``rho`` (couples already known are kept)."""
        new_keys, first = np.unique(self._keys(left, right), return_index=True)
        at = np.searchsorted(self.keys, new_keys)  # the known keys are sorted: binary search
        fresh = np.ones(new_keys.size, dtype=bool)
        if self.keys.size:
            fresh = self.keys[np.minimum(at, self.keys.size - 1)] != new_keys
        # Merged in place of a sort: a study's memo grows to millions of couples.
        self.keys = np.insert(self.keys, at[fresh], new_keys[fresh])
        self.values = np.insert(self.values, at[fresh], values[first[fresh]])

    def _keys(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        return np.minimum(left, right).astype(np.int64) * self.n_pairs + np.maximum(left, right)


def shared_memo(arrays: PairArrays) -> RhoMemo:
    """The study's one :class:`RhoMemo` of couples' ``rho`` from ``arrays.est_ar``, cached
    with ``arrays``: every window and scope (all pairs, each asset, each group) and the
    diagnostics meet many of the same couples, and each is computed once."""
    return CACHE.get(arrays, "rho-memo", lambda: RhoMemo.of(arrays))


def rbar_of_rows(arrays: PairArrays, rows: np.ndarray, window: np.ndarray, n: int, start: int,
                 end: int, rho: Rho | None = None) -> float:
    """``r̄`` of a scope of ``n`` pairs, given its pairs with known window dates ``rows``
    (in the pairs' order) and those dates ``window`` (:func:`average_cross_correlation`);
    ``rho`` gives the couples' ``rho`` (default :func:`couple_rho` on ``arrays``)."""
    if n < 2 or rows.size < 2:
        return 0.0
    left, right, total = overlapping_couples(window[:, 0], window[:, -1], RBAR_MAX_COUPLES)
    if total == 0:
        return 0.0
    values = couple_values(arrays, rows[left], rows[right], start, end, rho)
    mean_times_total = values.sum() if total == values.size else total * values.mean()
    return float(2 * mean_times_total / (n * (n - 1)))


def couple_values(arrays: PairArrays, left: np.ndarray, right: np.ndarray, start: int,
                  end: int, rho: Rho | None = None) -> np.ndarray:
    """:func:`couple_correlations` of many couples, in batches on worker threads; with
    ``rho``, the couples' ``rho`` come from it and only ``c_ij`` from ``arrays``."""
    days = np.arange(start, end + 1)
    _window_codes(arrays, days)  # cached here, not computed on several worker threads at once
    if rho is None:
        return in_batches(left, right, lambda a, b: couple_correlations(arrays, a, b, days))
    shared = in_batches(left, right, lambda a, b: couple_shared(arrays, a, b, days))
    return rho(left, right) * shared / days.size


def in_batches(left: np.ndarray, right: np.ndarray,
               fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """``fn(left, right)`` over batches of :data:`COUPLE_BATCH` couples on worker threads
    (bounded temporaries), concatenated."""
    batches = [slice(a, min(a + COUPLE_BATCH, left.size)) for a in range(0, left.size, COUPLE_BATCH)]
    return np.concatenate(chunk_map(batches, lambda b: fn(left[b], right[b]))) if batches else np.empty(0)


def overlapping_couples(first: np.ndarray, last: np.ndarray,
                        cap: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Unordered couples of intervals ``[first, last]`` that intersect.

    Parameters
    ----------
    first, last
        ``(P,)`` interval ends (dates or numbers), ``first <= last``.
    cap
        Most couples returned; above it, ``cap`` couples are drawn uniformly with
        replacement (fixed seed).

    Returns
    -------
    left, right, total
        Indices of the returned couples (``left != right``) and the exact number of
        intersecting unordered couples.
    """
    order, count = later_meetings(first, last)
    total = int(count.sum())
    if total == 0:
        return np.empty(0, np.intp), np.empty(0, np.intp), 0
    offsets = np.cumsum(count) - count
    if total <= cap:
        which = np.arange(total)
    else:
        which = np.sort(np.random.default_rng(_SAMPLING_SEED).integers(0, total, cap))
    p = np.searchsorted(offsets + count, which, side="right")
    q = p + 1 + (which - offsets[p])
    return order[p], order[q], total


def later_meetings(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The intervals ``[first, last]`` sorted by ``first`` (``order``, stable), and for each
    of them in that order the number of later ones it intersects: sorted so, interval
    ``p`` meets every later ``q`` with ``first[q] <= last[p]``. Their sum is the number of
    intersecting unordered couples."""
    order = np.argsort(first, kind="stable")
    upto = np.searchsorted(first[order], last[order], side="right")
    return order, np.maximum(upto - np.arange(order.size) - 1, 0)


def couple_correlations(arrays: PairArrays, left: np.ndarray, right: np.ndarray,
                        window_days: np.ndarray) -> np.ndarray:
    """``rho_ij * c_ij / L2`` for couples of pair rows (module docstring):
    :func:`couple_rho` times :func:`couple_shared` over the window's length."""
    same = _same_asset(arrays, left, right)
    shared = couple_shared(arrays, left, right, window_days, same)
    return couple_rho(arrays, left, right, same) * shared / window_days.size


def couple_rho(arrays: PairArrays, left: np.ndarray, right: np.ndarray,
               same: np.ndarray | None = None) -> np.ndarray:
    """``rho_ij``: Pearson correlation of the two pairs' estimation residuals over the
    calendar dates where both have one (zero below :data:`MIN_COMMON_DATES`); it does not
    depend on the CAR window. Two pairs of one asset are aligned by the distance between
    their days 0 on the asset's calendar, other couples date by date (``same``: which
    couples are of one asset, when already known)."""
    out = np.empty(left.size)
    same = _same_asset(arrays, left, right) if same is None else same
    if same.any():
        day0 = np.asarray(arrays.day0_index)
        out[same] = _shifted_rho(arrays, left[same], right[same], day0[left[same]] - day0[right[same]])
    if not same.all():
        first, unbroken = _estimation_codes(arrays)
        shifted = ~same & unbroken[left] & unbroken[right]
        if shifted.any():
            out[shifted] = _shifted_rho(arrays, left[shifted], right[shifted],
                                        first[left[shifted]] - first[right[shifted]])
        dated = ~same & ~shifted
        if dated.any():
            out[dated] = _dated_rho(arrays, left[dated], right[dated])
    return out


def couple_shared(arrays: PairArrays, left: np.ndarray, right: np.ndarray,
                  window_days: np.ndarray, same: np.ndarray | None = None) -> np.ndarray:
    """``c_ij``: calendar dates shared by the two pairs' windows ``window_days``; for two
    pairs of one asset ``max(0, L2 - |s|)``, ``s`` the distance between their days 0
    (``same``: as for :func:`couple_rho`)."""
    out = np.empty(left.size)
    same = _same_asset(arrays, left, right) if same is None else same
    if same.any():
        day0 = np.asarray(arrays.day0_index)
        out[same] = np.maximum(window_days.size - np.abs(day0[left[same]] - day0[right[same]]), 0)
    if not same.all():
        other = np.flatnonzero(~same)
        codes, run = _window_codes(arrays, window_days)
        a, b = left[other], right[other]
        runs = run[a] & run[b]  # both windows unbroken: their dates are two intervals of codes
        first = np.maximum(codes[a[runs], 0], codes[b[runs], 0])
        last = np.minimum(codes[a[runs], -1], codes[b[runs], -1])
        out[other[runs]] = np.maximum(last - first + 1, 0)
        broken = ~runs
        window_left, window_right = codes[a[broken]], codes[b[broken]]
        known = (window_left != _MISSING_DAY)[:, :, None]
        hits = (window_left[:, :, None] == window_right[:, None, :]) & known
        out[other[broken]] = hits.sum(axis=(1, 2))
    return out


def _window_codes(arrays: PairArrays, window_days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair's :func:`_date_codes` of ``window_days`` (consecutive event days), and
    whether they run unbroken (``c``, ``c + 1``, ...: every date of the calendars in the
    window is one of its asset's), so that two such windows share the dates of the
    intersection of two intervals. Cached per ``PairArrays`` and window."""
    days = np.asarray(window_days, dtype=np.int64)

    def compute() -> tuple[np.ndarray, np.ndarray]:
        codes = _date_codes(arrays, days, np.arange(arrays.n_pairs)).astype(np.int32)  # positions < 2**31
        run = (codes != _MISSING_DAY).all(axis=1) & (codes[:, -1] - codes[:, 0] == days.size - 1)
        return codes, run
    return CACHE.get(arrays, f"window-codes:{days[0]}:{days[-1]}:{days.size}", compute)


def _same_asset(arrays: PairArrays, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Couples of one asset whose estimation and event windows both lie on its calendar
    (so that a date is a position on it), with consecutive estimation days."""
    if not _dated_by_calendars(arrays) or arrays.calendar is None:
        return np.zeros(left.size, dtype=bool)
    est = np.asarray(arrays.est_days)
    asset = np.asarray(arrays.asset_index)
    day0 = np.asarray(arrays.day0_index)
    low = min(int(est[0]), int(arrays.event_days[0]))
    high = max(int(est[-1]), int(arrays.event_days[-1]))
    width = arrays.calendar.shape[1]

    def inside(rows: np.ndarray) -> np.ndarray:
        return (day0[rows] >= 0) & (day0[rows] + low >= 0) & (day0[rows] + high < width)

    return (asset[left] == asset[right]) & inside(left) & inside(right)


def _shifted_rho(arrays: PairArrays, left: np.ndarray, right: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """:func:`couple_rho` for couples whose estimation column ``k`` of the left pair holds
    the date of column ``k + shift`` of the right one: couples of one asset (``shift`` is
    the left day 0's position on its calendar minus the right one's), or of two assets
    whose estimation windows have every date of the calendars in between
    (:func:`_estimation_codes`)."""
    width = arrays.est_ar.shape[1]
    at = np.arange(width)[None, :] + shift[:, None]
    inside = (at >= 0) & (at < width)
    aligned = _gather(arrays.est_ar, right, np.clip(at, 0, width - 1))
    aligned[~inside] = np.nan
    return _correlation(arrays.est_ar[left], aligned)


def _dated_by_calendars(arrays: PairArrays) -> bool:
    """Whether the pairs carry their assets' calendars (with each pair's asset and day 0)
    and their estimation days are consecutive, so that an estimation column is a
    position on the calendar."""
    est = np.asarray(arrays.est_days)
    return (arrays.calendar is not None and arrays.asset_index is not None and arrays.day0_index is not None
            and est.size > 0 and bool(np.array_equal(est, np.arange(est[0], est[0] + est.size))))


def _estimation_codes(arrays: PairArrays) -> tuple[np.ndarray, np.ndarray]:
    """Per pair, the :func:`_date_codes` code of its first estimation day, and whether its
    estimation window's codes run unbroken (``first``, ``first + 1``, ...): every date of
    the assets' calendars in the window is one of its asset's. Two such pairs' residuals
    align by the difference of their first codes (:func:`_shifted_rho`), as
    :func:`_align_on_dates` would align them date by date. Cached per ``PairArrays``."""
    return CACHE.get(arrays, "estimation_codes", lambda: _estimation_codes_compute(arrays))


def _estimation_codes_compute(arrays: PairArrays) -> tuple[np.ndarray, np.ndarray]:
    n, est = arrays.n_pairs, np.asarray(arrays.est_days)
    if not _dated_by_calendars(arrays) or arrays.calendar is None:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    ends = _date_codes(arrays, np.array([est[0], est[-1]]), np.arange(n))
    unbroken = (ends[:, 0] != _MISSING_DAY) & (ends[:, 1] - ends[:, 0] == est.size - 1)
    # No unknown date (NaT) inside the window either: count them on the asset's calendar.
    unknown = np.zeros((arrays.calendar.shape[0], arrays.calendar.shape[1] + 1), dtype=np.int64)
    np.cumsum(np.isnat(arrays.calendar), axis=1, out=unknown[:, 1:])
    asset = np.asarray(arrays.asset_index)
    start = np.clip(np.asarray(arrays.day0_index) + est[0], 0, arrays.calendar.shape[1])
    stop = np.clip(np.asarray(arrays.day0_index) + est[-1] + 1, 0, arrays.calendar.shape[1])
    unbroken &= unknown[asset, stop] == unknown[asset, start]
    return ends[:, 0], unbroken


def _dated_rho(arrays: PairArrays, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """:func:`couple_rho` with the estimation residuals aligned date by date (dates coded
    by :func:`_date_codes`): through the calendars' :func:`_calendar_inverse` when there is
    one, else by :func:`_align_on_dates`."""
    codes_left = _date_codes(arrays, arrays.est_days, left)
    inverse = _calendar_inverse(arrays)
    if inverse is not None:
        aligned = _align_by_inverse(arrays, inverse, codes_left, right)
    else:
        codes_right = _date_codes(arrays, arrays.est_days, right)
        aligned = _align_on_dates(codes_left, codes_right, arrays.est_ar[right])
    return _correlation(arrays.est_ar[left], aligned)


#: Most entries (assets x distinct dates) of :func:`_calendar_inverse`'s table: 200 MB of int32.
MAX_INVERSE_ENTRIES = 50_000_000


def _calendar_inverse(arrays: PairArrays) -> np.ndarray | None:
    """``(assets, D)`` position on each asset's calendar of each of the ``D`` distinct dates
    of all the calendars (the codes of :func:`_union_positions`), -1 where the asset has
    no such date; ``None`` without calendars, with estimation days that are not
    consecutive, or above :data:`MAX_INVERSE_ENTRIES`. Memoised per calendar array."""
    calendar = arrays.calendar
    if not _dated_by_calendars(arrays) or calendar is None:
        return None
    hit = _INVERSES.get(id(calendar))
    if hit is not None and hit[0]() is calendar:
        return hit[1]
    positions = _union_positions(calendar)
    known = positions != _MISSING_DAY
    distinct = int(positions[known].max()) + 1 if known.any() else 0
    inverse = None
    if calendar.shape[0] * distinct <= MAX_INVERSE_ENTRIES:
        inverse = np.full((calendar.shape[0], distinct), -1, dtype=np.int32)  # positions < 2**31
        asset, at = np.nonzero(known)
        inverse[asset, positions[asset, at]] = at
    key = id(calendar)
    _INVERSES[key] = (weakref.ref(calendar, lambda _: _INVERSES.pop(key, None)), inverse)
    return inverse


_INVERSES: dict[int, tuple[weakref.ref[np.ndarray], np.ndarray | None]] = {}


def _align_by_inverse(arrays: PairArrays, inverse: np.ndarray, codes_left: np.ndarray,
                      right: np.ndarray) -> np.ndarray:
    """:func:`_align_on_dates` of the right pairs' estimation residuals on the left pairs'
    dates ``codes_left``: each left date's position on the right pair's asset calendar
    (:func:`_calendar_inverse`), less the position of the right pair's first estimation
    day, is the right pair's estimation column holding that date (the days are
    consecutive); NaN where the right pair has no such date in its window."""
    est = np.asarray(arrays.est_days)
    day0 = np.asarray(arrays.day0_index)[right]
    known = codes_left != _MISSING_DAY
    position = _gather(inverse, np.asarray(arrays.asset_index)[right], np.where(known, codes_left, 0))
    column = position - (day0 + est[0])[:, None]
    inside = known & (position >= 0) & (column >= 0) & (column < est.size) & (day0 >= 0)[:, None]
    aligned = _gather(arrays.est_ar, right, np.clip(column, 0, est.size - 1))
    aligned[~inside] = np.nan
    return aligned


def _date_codes(arrays: PairArrays, days: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """An integer per date of ``days`` for each pair of ``rows``, equal for equal dates,
    :data:`_MISSING_DAY` where the date is not known.

    With the assets' calendars, the date's position among all the calendars' dates
    (:func:`_union_positions`): a few hundred trading days span a few hundred codes, so
    :func:`_align_on_dates` keeps a narrow buffer; else the day number of
    :meth:`~eventstudy.models.pairs.PairArrays.dates`.
    """
    if arrays.calendar is None or arrays.asset_index is None or arrays.day0_index is None:
        return _day_numbers(arrays.dates(days, rows))
    positions = _union_positions(arrays.calendar)
    width = positions.shape[1]
    day0 = np.asarray(arrays.day0_index)[rows]
    at = day0[:, None] + np.asarray(days, dtype=np.int64)[None, :]
    inside = (at >= 0) & (at < width) & (day0[:, None] >= 0)
    codes = _gather(positions, np.asarray(arrays.asset_index)[rows], np.where(inside, at, 0))
    return np.where(inside, codes, _MISSING_DAY)


_UNION_POSITIONS: dict[int, tuple[weakref.ref[np.ndarray], np.ndarray]] = {}


def _union_positions(calendar: np.ndarray) -> np.ndarray:
    """``(assets, T)`` position of each calendar date among the sorted distinct dates of
    all the assets (:data:`_MISSING_DAY` for NaT), memoised per calendar array."""
    hit = _UNION_POSITIONS.get(id(calendar))
    if hit is not None and hit[0]() is calendar:
        return hit[1]
    days = _day_numbers(np.asarray(calendar, dtype="datetime64[D]"))
    known = days != _MISSING_DAY
    union = np.unique(days[known])
    positions = np.where(known, np.searchsorted(union, days), _MISSING_DAY)
    key = id(calendar)
    _UNION_POSITIONS[key] = (weakref.ref(calendar, lambda _: _UNION_POSITIONS.pop(key, None)), positions)
    return positions


def _gather(table: np.ndarray, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``table[rows[:, None], columns]``: for a C-contiguous 2-D ``table``, one ``take`` on its
    flat view, a third faster than NumPy's broadcast fancy indexing."""
    if not table.flags.c_contiguous:
        return table[rows[:, None], columns]
    return table.ravel().take(rows[:, None] * table.shape[1] + columns)


def _correlation(e_left: np.ndarray, aligned: np.ndarray) -> np.ndarray:
    """Row-wise Pearson correlation over the columns where both are finite (zero with
    fewer than :data:`MIN_COMMON_DATES` of them)."""
    common = np.isfinite(e_left) & np.isfinite(aligned)
    n_common = common.sum(axis=1)
    x = np.where(common, e_left, 0.0)
    y = np.where(common, aligned, 0.0)
    sx, sy = x.sum(axis=1), y.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Centred sums from raw ones: residuals have means near zero, so nothing cancels.
        sxy = np.einsum("ij,ij->i", x, y) - sx * sy / n_common
        sxx = np.einsum("ij,ij->i", x, x) - sx * sx / n_common
        syy = np.einsum("ij,ij->i", y, y) - sy * sy / n_common
        rho = sxy / np.sqrt(sxx * syy)
    return np.where((n_common >= MIN_COMMON_DATES) & np.isfinite(rho), rho, 0.0)


def _day_numbers(dates: np.ndarray) -> np.ndarray:
    numbers = dates.astype("datetime64[D]").astype(np.int64)
    return np.where(np.isnat(dates), _MISSING_DAY, numbers)


def _align_on_dates(left_days: np.ndarray, right_days: np.ndarray,
                    right_values: np.ndarray) -> np.ndarray:
    """``right_values`` moved to the columns of ``left_days`` holding the same date.

    Row by row: entry ``(b, k)`` is the right value dated ``left_days[b, k]`` (NaN if
    the right row has no such date). Each row's dates are distinct, so the right values
    are scattered into a dense per-row buffer indexed by day number from the row's first
    left date, and read back at the left dates: no sort (:func:`_align_by_sorting` when
    the left dates span far more days than there are columns).
    """
    rows, width = left_days.shape
    valid_left = left_days != _MISSING_DAY
    any_left = valid_left.any(axis=1)
    first = np.where(valid_left, left_days, np.iinfo(np.int64).max).min(axis=1)
    last = np.where(valid_left, left_days, np.iinfo(np.int64).min).max(axis=1)
    first = np.where(any_left, first, 0)
    span = np.where(any_left, last - first + 1, 0)
    size = int(span.max()) if rows else 0
    if size > 4 * width + 64:
        return _align_by_sorting(left_days, right_days, right_values)
    offset = right_days - first[:, None]
    inside = (right_days != _MISSING_DAY) & (offset >= 0) & (offset < span[:, None])
    buffer = np.full((rows, max(size, 1)), np.nan)
    row_of = np.broadcast_to(np.arange(rows)[:, None], right_days.shape)
    buffer[row_of[inside], offset[inside]] = right_values[inside]
    at = np.where(valid_left, left_days - first[:, None], 0)
    aligned = np.take_along_axis(buffer, at, axis=1)
    return np.where(valid_left, aligned, np.nan)


def _align_by_sorting(left_days: np.ndarray, right_days: np.ndarray,
                      right_values: np.ndarray) -> np.ndarray:
    """:func:`_align_on_dates` by one global sort of ``(row, day)`` keys."""
    rows, width = left_days.shape
    shift = np.int64(1) << np.int64(32)
    base = (np.arange(rows, dtype=np.int64) * shift)[:, None]
    right_keys = (base + right_days + np.int64(1 << 31)).ravel()
    left_keys = (base + left_days + np.int64(1 << 31)).ravel()
    order = np.argsort(right_keys, kind="stable")
    sorted_keys = right_keys[order]
    at = np.minimum(np.searchsorted(sorted_keys, left_keys), sorted_keys.size - 1)
    match = (sorted_keys[at] == left_keys) & (left_days.ravel() != _MISSING_DAY)
    values = right_values.ravel()[order][at]
    return np.where(match, values, np.nan).reshape(rows, width)
