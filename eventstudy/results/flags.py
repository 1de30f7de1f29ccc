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

from collections.abc import Sequence

import numpy as np
import pandas as pd

SHOWN_IDS = 5


def id_list(ids: Sequence[str], total: int | None = None) -> str:
    """``E1, E2, E3 and 4 more``: at most :data:`SHOWN_IDS` ids and the count of the rest."""
    total = len(ids) if total is None else total
    shown = ", ".join(ids[:SHOWN_IDS])
    return shown if total <= SHOWN_IDS else f"{shown} and {total - SHOWN_IDS} more"


def overlap_flags(pairs: pd.DataFrame, span: tuple[int, int], estimation: tuple[int, int],
                  excluded: bool) -> pd.Series:
    """Per pair: other events whose windows fall in its estimation window, or share its day 0.

    ``pairs`` needs ``event_id``, ``asset`` and ``day0_pos`` (negative when not located).
    An event's window ``[d + lo, d + hi]`` overlaps the estimation window
    ``[d0 + e0, d0 + e1]`` of a pair with day 0 at ``d0`` when
    ``d0 + e0 - hi <= d <= d0 + e1 - lo``.
    """
    lo, hi = span
    e0, e1 = estimation
    action = " (excluded from estimation)" if excluded else ""
    flags = np.full(len(pairs), "", dtype=object)
    located = pairs[pairs["day0_pos"] >= 0]
    for _, same_asset in located.groupby("asset", sort=False):
        order = np.argsort(same_asset["day0_pos"].to_numpy(), kind="stable")
        rows = same_asset.index.to_numpy()[order]
        day0 = same_asset["day0_pos"].to_numpy()[order]
        ids = same_asset["event_id"].astype(str).to_numpy()[order]
        first = np.searchsorted(day0, day0 + e0 - hi, side="left")
        last = np.searchsorted(day0, day0 + e1 - lo, side="right")
        same_first = np.searchsorted(day0, day0, side="left")
        same_last = np.searchsorted(day0, day0, side="right")
        for k in np.flatnonzero((last > first) | (same_last - same_first > 1)):
            notes = []
            if last[k] > first[k]:
                inside = [i for i in ids[first[k]: last[k]][: SHOWN_IDS + 1] if i != ids[k]]
                notes.append(f"estimation window contains {id_list(inside, last[k] - first[k])}{action}")
            if same_last[k] - same_first[k] > 1:
                others = [i for i in ids[same_first[k]: same_last[k]][: SHOWN_IDS + 1] if i != ids[k]]
                notes.append(f"shares day 0 with {id_list(others, same_last[k] - same_first[k] - 1)}")
            flags[pairs.index.get_loc(rows[k])] = "; ".join(notes)
    return pd.Series(flags, index=pairs.index, dtype=object)


def join_flags(first: pd.Series, *others: pd.Series) -> pd.Series:
    """Flag columns joined with ``"; "``, empty parts left out."""
    joined = first.fillna("").astype(str).to_numpy(dtype=object)
    for column in others:
        part = column.fillna("").astype(str).to_numpy(dtype=object)
        both = (joined != "") & (part != "")
        joined = np.where(both, joined + "; " + part, np.where(joined == "", part, joined))
    return pd.Series(joined, index=first.index, dtype=object)
