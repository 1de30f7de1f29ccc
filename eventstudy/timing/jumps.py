"""Unadjusted splits: a price that moves by a large factor from one session to the next.

A split or consolidation the prices are not adjusted for shows as a one-session return
of ``log(after / before)``: GMKN's 1:100 split of 8 April 2024 is a move by x0.0102 in
the raw MOEX ISS closes (-4.6 in log), VTBR's 5000:1 consolidation of 15 July 2024 one
by x4664. Inside an estimation window such a return makes the residual variance and the
beta meaningless; inside an event window it is the CAR. No market move on the MOEX panel
comes near: the largest, on 24 February 2022, is x0.505 (MTLRP), and x0.63 for SBER. So
a pair whose estimation or event window holds a move by more than ``max_price_jump``
(default 3, up or down) is skipped with its reason, which says how to adjust the prices
(the ``splits`` setting). The same holds for a benchmark's move dated within a pair's
window (a slipped decimal point in an index). A 1:2 split (x0.5) cannot be told apart
from such a crash and is not detected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: A benchmark's or an asset's moves beyond the limit: their days (int64 nanoseconds, each
#: dated by its later price) and factors (:func:`moves_beyond`).
Moves = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class JumpCheck:
    """What :func:`~eventstudy.timing.placement.place_events` checks for split-like moves:
    the returns ``reach`` of each pair (relative to day 0: its estimation and event
    windows), the largest move ``max_jump`` allowed, and each benchmark's
    :func:`moves_beyond` it."""

    reach: tuple[int, int]
    max_jump: float
    benchmarks: Mapping[str, Moves]

    def texts(self, prices: np.ndarray, days_ns: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """For the pairs of one asset (its prices and their days; each pair's day-0
        position in its returns, negative when not placed), the reason to skip each: a
        move of its own price, else of a benchmark's, dated within the window of returns
        ``[d + reach[0], d + reach[1]]`` (its first and last days on the asset's
        calendar); else empty."""
        texts = np.full(len(positions), "", dtype=object)
        placed = np.flatnonzero(positions >= 0)
        if placed.size == 0 or len(days_ns) < 2:
            return texts
        days = days_ns[1:]  # return j is the move into price j + 1, dated by it
        first = days[np.clip(positions[placed] + self.reach[0], 0, days.size - 1)]
        last = days[np.clip(positions[placed] + self.reach[1], 0, days.size - 1)]
        moves = {"the price": moves_beyond(prices, days_ns, self.max_jump)}
        moves.update({f"benchmark {name}'s price": m for name, m in self.benchmarks.items()})
        texts[placed] = window_move_texts(first, last, moves, self.max_jump)
        return texts


def moves_beyond(prices: np.ndarray, days_ns: np.ndarray, max_jump: float) -> Moves:
    """The days (int64 nanoseconds, each move dated by its later price) and factors of the
    moves between consecutive ``prices`` by more than ``max_jump``, up or down."""
    if len(prices) < 2:
        return np.empty(0, dtype=np.int64), np.empty(0)
    ratio = prices[1:] / prices[:-1]
    jumps = np.flatnonzero((ratio > max_jump) | (ratio < 1 / max_jump))
    return days_ns[jumps + 1], ratio[jumps]


def window_move_texts(first: np.ndarray, last: np.ndarray, moves: Mapping[str, Moves],
                      max_jump: float) -> np.ndarray:
    """For each window ``[first, last]`` (days in int64 nanoseconds), the reason to skip its
    pair when one of ``moves`` (``what`` moved -> :func:`moves_beyond`) is dated within it,
    the first of them in ``moves``' order; else empty."""
    texts = np.full(len(first), "", dtype=object)
    for what, (days, ratios) in moves.items():
        if days.size == 0:
            continue
        at = np.searchsorted(days, first)  # the first move on or after the window's first day
        inside = (at < days.size) & (days[np.minimum(at, days.size - 1)] <= last)
        fresh = inside & (texts == "")
        for k, j in zip(np.flatnonzero(fresh), at[fresh], strict=True):
            texts[k] = jump_reason(float(ratios[j]), pd.Timestamp(int(days[j])), max_jump, what)
    return texts


def jump_reason(ratio: float, day: pd.Timestamp, max_jump: float, what: str = "the price") -> str:
    """Why a pair whose window holds a move of ``what`` by ``ratio`` on ``day`` is skipped."""
    return (f"{what} moves x{ratio:.4g} from one session to the next on {day:%Y-%m-%d} (more than "
            f"x{max_jump:g} up or down), inside the estimation or event window: an unadjusted split or "
            "consolidation? adjust the prices (splits = a folder of split files), or raise max_price_jump")
