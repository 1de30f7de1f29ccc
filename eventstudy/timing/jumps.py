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


@dataclass(frozen=True)
class JumpCheck:
    """What :func:`~eventstudy.timing.placement.place_events` checks for split-like moves:
    the returns ``reach`` of each pair (relative to day 0: its estimation and event
    windows), the largest move ``max_jump`` allowed, and the benchmarks' prices and days
    (int64 nanoseconds)."""

    reach: tuple[int, int]
    max_jump: float
    benchmarks: Mapping[str, tuple[np.ndarray, np.ndarray]]

    def texts(self, prices: np.ndarray, days_ns: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """For the pairs of one asset (its prices and their days; each pair's day-0
        position in its returns, negative when not placed), the reason to skip each:
        a move of its own price (:func:`jump_texts`), else of a benchmark's within its
        window's first and last days (:func:`benchmark_jump_texts`); else empty."""
        own = jump_texts(prices, days_ns, positions, self.reach, self.max_jump)
        placed = positions >= 0
        if not self.benchmarks or not placed.any() or len(days_ns) < 2:
            return own
        days = days_ns[1:]  # the returns' days
        first = days[np.clip(positions + self.reach[0], 0, days.size - 1)]
        last = days[np.clip(positions + self.reach[1], 0, days.size - 1)]
        theirs = benchmark_jump_texts(first, last, self.benchmarks, self.max_jump)
        return np.where((own == "") & placed, theirs, own)


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


def benchmark_jump_texts(window_first: np.ndarray, window_last: np.ndarray,
                         benchmarks: Mapping[str, tuple[np.ndarray, np.ndarray]],
                         max_jump: float) -> np.ndarray:
    """For each pair, the reason to skip it when a benchmark's price moves by more than
    ``max_jump`` between two of its sessions, the later dated within the pair's window
    ``[window_first, window_last]`` (days in int64 nanoseconds; the window's first and last
    days on the asset's calendar); else empty. ``benchmarks``: each benchmark's prices and
    their days in int64 nanoseconds."""
    texts = np.full(len(window_first), "", dtype=object)
    for name, (prices, days_ns) in benchmarks.items():
        if len(prices) < 2:
            continue
        ratio = prices[1:] / prices[:-1]
        jumps = np.flatnonzero((ratio > max_jump) | (ratio < 1 / max_jump))
        if jumps.size == 0:
            continue
        jump_days = days_ns[jumps + 1]  # a move is dated by its later price
        at = np.searchsorted(jump_days, window_first)
        inside = (at < jumps.size) & (jump_days[np.minimum(at, jumps.size - 1)] <= window_last)
        fresh = inside & (texts == "")  # a pair keeps the first benchmark's reason
        for k, j in zip(np.flatnonzero(fresh), jumps[at[fresh]], strict=True):
            texts[k] = jump_reason(float(ratio[j]), pd.Timestamp(int(days_ns[j + 1])), max_jump,
                                   f"benchmark {name}'s price")
    return texts


def jump_reason(ratio: float, day: pd.Timestamp, max_jump: float, what: str = "the price") -> str:
    """Why a pair whose window holds a move of ``what`` by ``ratio`` on ``day`` is skipped."""
    return (f"{what} moves x{ratio:.4g} from one session to the next on {day:%Y-%m-%d} (more than "
            f"x{max_jump:g} up or down), inside the estimation or event window: an unadjusted split or "
            "consolidation? adjust the prices (splits = a folder of split files), or raise max_price_jump")
