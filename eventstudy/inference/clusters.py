"""Event clustering and dependence diagnostics, for one scope or every scope of a layout.

For each scope and CAR window: how many pairs share a calendar day 0, how many windows
overlap another's in calendar time, and ``r̄``
(:mod:`~eventstudy.inference.dependence`), from which
:func:`~eventstudy.inference.recommend.recommended_tests` picks the tests to trust.
:func:`clustering_by_segment` gives every scope of a
:class:`~eventstudy.inference.base.Layout` (each asset, each group) in a few array
passes: day-0 dates and window intervals are keyed by segment, so one sort finds the
shared dates and overlapping windows of all scopes, and ``r̄`` of every scope with at
most :data:`~eventstudy.inference.dependence.RBAR_MAX_COUPLES` overlapping couples is
computed from one batch of couples. The numbers are those of :func:`clustering` run
on each scope's own pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from eventstudy.inference.base import Layout
from eventstudy.inference.dependence import (
    RBAR_MAX_COUPLES,
    RhoMemo,
    average_cross_correlation,
    couple_values,
    later_meetings,
    overlapping_couples,
    rbar_of_rows,
    shared_memo,
    window_candidates,
)
from eventstudy.inference.recommend import recommended_tests
from eventstudy.models.pairs import PairArrays

# Day numbers of different segments are moved this far apart (about 27,000 years), so
# intervals of different segments never meet.
_SEGMENT_SPAN = np.int64(10**7)


def clustering(arrays: PairArrays, start: int = 0, end: int = 0,
               rho: RhoMemo | None = None) -> dict[str, Any]:
    """Diagnose dependence between pairs: shared day 0, overlapping windows, ``r̄``.

    Parameters
    ----------
    arrays
        The scope's pairs.
    start, end
        The CAR window whose calendar overlap and ``r̄`` are reported (default day 0;
        moved to the first event day if day 0 is outside the event window).
    rho
        Where the couples' ``rho`` come from (:class:`RhoMemo`); default computed from
        ``arrays.est_ar``.

    Returns
    -------
    dict
        ``n_pairs``; ``n_day0`` (distinct day-0 dates); ``n_clustered`` (pairs whose
        calendar day 0 is shared with another pair; an unknown day 0 never is),
        ``share_clustered``, ``largest_cluster`` (most pairs on one day 0),
        ``clustered_day0`` (the shared dates, ``datetime64[D]``); ``window``;
        ``n_overlapping`` (pairs whose window shares calendar dates with another
        pair's window, the clustered ones included), ``share_overlapping``;
        ``rbar`` (:func:`~eventstudy.inference.dependence.average_cross_correlation`
        for the window); and from
        :func:`~eventstudy.inference.recommend.recommended_tests`,
        ``recommended_tests`` (list) and ``caution`` (test -> reason).
    """
    return clustering_by_segment(arrays, Layout.single(arrays.n_pairs), [(start, end)], rho)[0][0]


def clustering_by_segment(arrays: PairArrays, layout: Layout, windows: Sequence[tuple[int, int]],
                          rho: RhoMemo | None = None) -> list[list[dict[str, Any]]]:
    """:func:`clustering` of every segment of ``layout`` and window: ``[segment][window]``.

    ``rho`` gives the couples' correlations when the residuals are not in ``arrays``
    (a partitioned run: :mod:`eventstudy.results.residual_summary`); by default they come
    from the study's :func:`~eventstudy.inference.dependence.shared_memo` (every layout,
    window and the diagnostics share it), and ``r̄`` of the whole study is the cached
    :func:`~eventstudy.inference.dependence.average_cross_correlation`."""
    n_pairs = np.bincount(layout.codes[layout.codes >= 0], minlength=layout.n)[: layout.n]
    day0 = _day0_clusters(arrays, layout)
    reports: list[list[dict[str, Any]]] = [[] for _ in range(layout.n)]
    given = rho is not None
    memo = rho if rho is not None else shared_memo(arrays)  # a couple's rho does not depend on the window
    for start, end in windows:
        if not arrays.event_days[0] <= start <= end <= arrays.event_days[-1]:
            start = end = int(arrays.event_days[0])
        overlap = _overlap_by_segment(arrays, layout, n_pairs, start, end, memo, given)
        for k in range(layout.n):
            n = int(n_pairs[k])
            report: dict[str, Any] = {
                "n_pairs": n, **day0[k], "window": (start, end),
                "n_overlapping": int(overlap.n_overlapping[k]),
                "share_overlapping": int(overlap.n_overlapping[k]) / n if n else 0.0,
                "rbar": float(overlap.rbar[k]),
            }
            report["share_clustered"] = report["n_clustered"] / n if n else 0.0
            recommended, caution = recommended_tests(report)
            report["recommended_tests"] = recommended
            report["caution"] = caution
            reports[k].append(report)
    return reports


def _day0_clusters(arrays: PairArrays, layout: Layout) -> list[dict[str, Any]]:
    """Per segment, the distinct day-0 dates, the pairs sharing one, the largest cluster
    and the shared dates."""
    dates = np.asarray(arrays.day0, dtype="datetime64[D]")
    member = (layout.codes >= 0) & ~np.isnat(dates)
    segment = layout.codes[member]
    keys = segment * _SEGMENT_SPAN + dates[member].astype(np.int64)
    unique, counts = np.unique(keys, return_counts=True)
    owner = unique // _SEGMENT_SPAN
    day = (unique - owner * _SEGMENT_SPAN).astype("datetime64[D]")
    shared = counts >= 2
    n_day0 = np.bincount(owner, minlength=layout.n)
    n_clustered = np.bincount(owner, weights=np.where(shared, counts, 0), minlength=layout.n)
    largest = np.zeros(layout.n, dtype=np.int64)
    np.maximum.at(largest, owner, counts)
    bounds = np.searchsorted(owner[shared], np.arange(layout.n + 1))
    shared_days = day[shared]
    return [{"n_day0": int(n_day0[k]), "n_clustered": int(n_clustered[k]),
             "largest_cluster": int(largest[k]),
             "clustered_day0": shared_days[bounds[k]: bounds[k + 1]]} for k in range(layout.n)]


class _Overlap:
    """Per segment: pairs whose window meets another's, and ``r̄``."""

    def __init__(self, n: int) -> None:
        self.n_overlapping = np.zeros(n, dtype=np.int64)
        self.rbar = np.zeros(n)


def _overlap_by_segment(arrays: PairArrays, layout: Layout, n_pairs: np.ndarray, start: int,
                        end: int, memo: RhoMemo, given: bool) -> _Overlap:
    out = _Overlap(layout.n)
    rows, known, window = window_candidates(arrays, start, end)
    n_valid = np.bincount(layout.codes[rows][layout.codes[rows] >= 0], minlength=layout.n)[: layout.n]
    keep = known & (layout.codes[rows] >= 0)
    rows, window = rows[keep], window[keep]
    if rows.size == 0:
        return out
    segment = layout.codes[rows]
    first = segment * _SEGMENT_SPAN + window[:, 0].astype("datetime64[D]").astype(np.int64)
    last = segment * _SEGMENT_SPAN + window[:, -1].astype("datetime64[D]").astype(np.int64)
    order, later = later_meetings(first, last)  # segments' intervals never meet (moved apart)
    out.n_overlapping = np.bincount(segment[_has_partner(first, last, order, later)],
                                    minlength=layout.n)[: layout.n]
    couples = np.bincount(segment[order], weights=later, minlength=layout.n)[: layout.n]
    candidates = (n_valid >= 2) & (out.n_overlapping > 0)
    whole = n_pairs == arrays.n_pairs  # the whole study: cached, shared with the diagnostics
    small = candidates & (couples <= RBAR_MAX_COUPLES) & ~whole
    if small.any():
        mask = small[segment]
        left, right, _ = overlapping_couples(first[mask], last[mask], np.iinfo(np.int64).max)
        picked = rows[mask]
        left, right = picked[left], picked[right]
        values = couple_values(arrays, left, right, start, end, memo.rho)
        sums = np.bincount(layout.codes[left], weights=values, minlength=layout.n)[: layout.n]
        n = n_valid.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.rbar = np.where(small, 2 * sums / (n * (n - 1)), 0.0)
    for k in np.flatnonzero(candidates & ~small):
        if whole[k] and not given:  # cached, with the study's shared memo
            out.rbar[k] = average_cross_correlation(arrays, start, end)
            continue
        mine = segment == k
        out.rbar[k] = rbar_of_rows(arrays, rows[mine], window[mine], int(n_valid[k]), start, end, memo.rho)
    return out


def _has_partner(first: np.ndarray, last: np.ndarray, order: np.ndarray,
                 later: np.ndarray) -> np.ndarray:
    """Per interval ``[first, last]``, whether another interval intersects it, given
    :func:`~eventstudy.inference.dependence.later_meetings`'s ``order`` and ``later``: one
    that starts later within it, or an earlier one still running at its start."""
    starts, ends = first[order], last[order]
    reach = np.maximum.accumulate(ends)  # latest end among intervals up to each one
    earlier = np.zeros(order.size, dtype=bool)
    earlier[1:] = reach[:-1] >= starts[1:]
    out = np.empty(order.size, dtype=bool)
    out[order] = (later > 0) | earlier
    return out
