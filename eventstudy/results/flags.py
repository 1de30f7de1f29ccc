"""Warnings attached to each event-asset pair (the ``flags`` column of ``car.csv``).

A pair is flagged when another event's window falls in its estimation window, when it
shares day 0 with other events, when its event window spans a gap in the prices (a
trading halt), or when a benchmark's level is stale in its event window. Flags stay
short whatever the study's size: a count and at most :data:`SHOWN_IDS` event ids
("estimation window contains E1, E2, E3 and 12 more"), so ``car.csv`` grows linearly.
Overlaps are found per asset on sorted day-0 positions with binary searches, in
``O(P log P)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

SHOWN_IDS = 5


def overlap_flags(pairs: pd.DataFrame, span: tuple[int, int], estimation: tuple[int, int],
                  excluded: bool) -> pd.Series:
    """Per pair: other events whose windows fall in its estimation window, or share its day 0.

    ``pairs`` needs ``event_id``, ``asset`` and ``day0_pos`` (negative when not located).
    An event's window ``[d + lo, d + hi]`` overlaps the estimation window
    ``[d0 + e0, d0 + e1]`` of a pair with day 0 at ``d0`` when
    ``d0 + e0 - hi <= d <= d0 + e1 - lo``. All assets at once: pairs are sorted by asset,
    then day 0, with each asset's positions moved apart so that a binary search never
    crosses into the next asset; the texts are built by Arrow's string kernels.
    """
    lo, hi = span
    e0, e1 = estimation
    flags = np.full(len(pairs), "", dtype=object)
    day0_all = pairs["day0_pos"].to_numpy(dtype=np.int64)
    located = np.flatnonzero(day0_all >= 0)
    if located.size == 0:
        return pd.Series(flags, index=pairs.index, dtype=object)
    asset = pd.factorize(pairs["asset"].to_numpy()[located])[0].astype(np.int64)
    apart = int(day0_all[located].max()) + abs(e0) + abs(e1) + abs(lo) + abs(hi) + 2
    key = asset * apart + day0_all[located]
    order = np.argsort(key, kind="stable")
    rows, key = located[order], key[order]
    ids = pa.array(pairs["event_id"].astype(str).to_numpy(dtype=object)[rows], type=pa.string())
    first = np.searchsorted(key, key + e0 - hi, side="left")
    last = np.searchsorted(key, key + e1 - lo, side="right")
    same_first = np.searchsorted(key, key, side="left")
    same_last = np.searchsorted(key, key, side="right")
    in_window = pa.array(last > first)
    shared = pa.array(same_last - same_first > 1)
    action = " (excluded from estimation)" if excluded else ""
    window_text = _joined("estimation window contains ", ids, first, last, action)
    shared_text = _joined("shares day 0 with ", ids, same_first, same_last, "")
    both = pc.binary_join_element_wise(window_text, shared_text, "; ")
    notes = pc.if_else(in_window, pc.if_else(shared, both, window_text), pc.if_else(shared, shared_text, ""))
    flags[rows] = notes.to_numpy(zero_copy_only=False)
    return pd.Series(flags, index=pairs.index, dtype=object)


def _joined(prefix: str, ids: pa.Array, first: np.ndarray, last: np.ndarray, suffix: str) -> pa.Array:
    """Per position ``k``: ``prefix``, the ids at ``first[k]:last[k]`` other than ``ids[k]``
    itself (at most :data:`SHOWN_IDS`, then "and N more"), and ``suffix``; for every ``k``
    at once."""
    position = np.arange(len(ids))
    candidate = first[:, None] + np.arange(SHOWN_IDS + 1)[None, :]
    usable = (candidate < last[:, None]) & (candidate != position[:, None])
    usable &= np.cumsum(usable, axis=1) <= SHOWN_IDS
    lead = np.argmax(usable, axis=1)  # the first id shown has no ", " before it
    pieces = []
    for column in range(SHOWN_IDS + 1):
        name = ids.take(pa.array(np.minimum(candidate[:, column], len(ids) - 1)))
        separator = pc.if_else(pa.array(lead == column), "", ", ")
        pieces.append(pc.if_else(pa.array(usable[:, column]),
                                 pc.binary_join_element_wise(separator, name, ""), ""))
    more = last - first - ((position >= first) & (position < last)) - SHOWN_IDS
    count = pc.cast(pa.array(np.maximum(more, 0)), pa.string())
    tail = pc.if_else(pa.array(more > 0), pc.binary_join_element_wise(" and ", count, " more", ""), "")
    return pc.binary_join_element_wise(prefix, *pieces, tail, suffix, "")


def join_flags(first: pd.Series, *others: pd.Series) -> pd.Series:
    """Flag columns joined with ``"; "``, empty parts left out."""
    joined = first.fillna("").astype(str).to_numpy(dtype=object)
    for column in others:
        part = column.fillna("").astype(str).to_numpy(dtype=object)
        both = (joined != "") & (part != "")
        joined = np.where(both, joined + "; " + part, np.where(joined == "", part, joined))
    return pd.Series(joined, index=first.index, dtype=object)
