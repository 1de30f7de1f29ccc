"""Unadjusted splits: a price that moves by a large factor from one session to the next.

A split or consolidation the prices are not adjusted for shows as a one-session return
of ``log(after / before)``: GMKN's 1:100 split of 8 April 2024 is a move by x0.0102 in
the raw MOEX ISS closes (-4.6 in log), VTBR's 5000:1 consolidation of 15 July 2024 one
by x4664. Inside an estimation window such a return makes the residual variance and the
beta meaningless; inside an event window it is the CAR. No market move on the MOEX panel
comes near: the largest, on 24 February 2022, is x0.505 (MTLRP), and x0.63 for SBER. So
a pair whose estimation or event window holds a move by more than ``max_price_jump``
(default 3, up or down) is skipped with its reason, which says how to adjust the prices
(the ``splits`` setting). A 1:2 split (x0.5) cannot be told apart from such a crash
and is not detected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def jump_texts(prices: np.ndarray, days_ns: np.ndarray, positions: np.ndarray, reach: tuple[int, int],
               max_jump: float) -> np.ndarray:
    """For each pair of one asset, the reason to skip it when its returns ``[d + reach[0],
    d + reach[1]]`` (``d``: its day-0 position in the returns, negative when not placed)
    hold a move between consecutive prices by more than ``max_jump``; else empty.

    Return ``j`` is the move from price ``j`` to price ``j + 1`` and is dated by the later
    (``days_ns``: the prices' days in int64 nanoseconds).
    """
    texts = np.full(len(positions), "", dtype=object)
    if len(prices) < 2:
        return texts
    ratio = prices[1:] / prices[:-1]
    jumps = np.flatnonzero((ratio > max_jump) | (ratio < 1 / max_jump))
    if jumps.size == 0:
        return texts
    placed = np.flatnonzero(positions >= 0)
    first = np.clip(positions[placed] + reach[0], 0, ratio.size)
    last = np.clip(positions[placed] + reach[1], -1, ratio.size - 1)
    at = np.searchsorted(jumps, first)  # the first jump at or after the window's start
    inside = (at < jumps.size) & (jumps[np.minimum(at, jumps.size - 1)] <= last)
    for k, j in zip(placed[inside], jumps[at[inside]], strict=True):
        texts[k] = jump_reason(float(ratio[j]), pd.Timestamp(int(days_ns[j + 1])), max_jump)
    return texts


def jump_reason(ratio: float, day: pd.Timestamp, max_jump: float) -> str:
    """Why a pair whose window holds a move by ``ratio`` on ``day`` is skipped."""
    return (f"the price moves x{ratio:.4g} from one session to the next on {day:%Y-%m-%d} (more than "
            f"x{max_jump:g} up or down), inside the estimation or event window: an unadjusted split or "
            "consolidation? adjust the prices (splits = a folder of split files), or raise max_price_jump")
