"""Shared machinery of the test battery: the result type, the registry, chunked passes.

Every test module registers its functions in :data:`TESTS` with :func:`register`;
window-independent quantities are cached per :class:`~eventstudy.models.pairs.PairArrays`
in :data:`CACHE` (treat a ``PairArrays`` as immutable). Passes over the
``pairs x days`` arrays run in row chunks (:data:`CHUNK_ROWS`) on up to
:data:`N_THREADS` threads, bounding memory.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from eventstudy.models.pairs import PairArrays
from eventstudy.threads import N_THREADS as N_THREADS  # re-exported: the thread helpers
from eventstudy.threads import chunk_map as chunk_map


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


def chunk_sums(n_rows: int, fn: Callable[[slice], tuple[Any, ...]]) -> tuple[Any, ...]:
    """Apply ``fn`` to row chunks (in worker threads) and sum its tuple outputs."""
    chunks = [slice(a, min(a + CHUNK_ROWS, n_rows)) for a in range(0, n_rows, CHUNK_ROWS)]
    parts = chunk_map(chunks, fn)
    if not parts:
        return ()
    return tuple(sum(values[1:], values[0]) for values in zip(*parts, strict=True))


def register(name: str) -> Callable[[TestFunction], TestFunction]:
    def add(fn: TestFunction) -> TestFunction:
        TESTS[name] = fn
        return fn

    return add


def nan_result(test: str, note: str) -> TestResult:
    return TestResult(test, NAN, NAN, note)


def two_sided_normal(z: float) -> float:
    """``2 P(Z > |z|)``: ``scipy.stats.norm.sf``'s own kernel (``ndtr(-x)``), without its
    per-call argument handling, so the value is bit-for-bit the same."""
    return float(2 * special.ndtr(-abs(z)))


def two_sided_t(t: float, dof: float) -> float:
    """``2 P(T_dof > |t|)``: ``scipy.stats.t.sf``'s own kernel (``stdtr(dof, -x)``), for ``dof > 0``."""
    return float(two_sided_t_values(t, dof))


def two_sided_t_values(t: Any, dof: Any) -> np.ndarray:
    """:func:`two_sided_t` elementwise over arrays (broadcast), the same numbers."""
    return 2 * special.stdtr(dof, -np.abs(t))


class Layout:
    """Pairs grouped into segments (scopes): ``codes[i]`` is pair ``i``'s segment
    ``0 .. n - 1`` (``-1``: in none). ``order`` lists the member pairs sorted by segment
    (stable, so each segment keeps the pairs' order) and segment ``k`` is
    ``order[bounds[k]:bounds[k + 1]]``."""

    def __init__(self, codes: np.ndarray, n: int) -> None:
        self.codes = np.asarray(codes, dtype=np.int64)
        member = np.flatnonzero(self.codes >= 0)
        self.order = member[np.argsort(self.codes[member], kind="stable")]
        sizes = np.bincount(self.codes[member], minlength=n)[:n]
        self.bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.n = n

    @classmethod
    def single(cls, n_pairs: int) -> Layout:
        """Every pair in one segment."""
        return cls(np.zeros(n_pairs, dtype=np.int64), 1)

    def slices(self) -> list[slice]:
        return [slice(int(a), int(b)) for a, b in zip(self.bounds[:-1], self.bounds[1:], strict=True)]

    def rows(self, k: int) -> np.ndarray:
        """Segment ``k``'s pairs, in the pairs' order."""
        return self.order[int(self.bounds[k]): int(self.bounds[k + 1])]


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


CACHE = _Cache()


# ------------------------------------------------------------------- per-pair helpers


def standardized_car(arrays: PairArrays, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Cached :func:`_standardized_car_compute` (patell, bmp and their adjustments share it)."""
    return CACHE.get(arrays, f"scar:{start}:{end}", lambda: _standardized_car_compute(arrays, start, end))


def _standardized_car_compute(arrays: PairArrays, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Standardized CAR per pair and the mask of pairs where it is defined.

    ``SCAR_i = CAR_i / sqrt(Var(CAR_i))`` with the MacKinlay (1997, eq. 14) variance
    including the estimation-error term, which for a single day is Patell's (1976)
    ``s_i^2 (1 + 1/L1 + (Rm_t - mean Rm)^2 / sum (Rm - mean Rm)^2)``. Under H0 it is
    Student t with the pair's ``dof``; only pairs with ``dof > 2`` (finite variance
    ``dof / (dof - 2)``) are kept.
    """
    car = arrays.car(start, end)
    with np.errstate(all="ignore"):  # a pair without estimation data has NaN/inf terms
        var = arrays.car_variance(start, end)
    ok = np.isfinite(car) & np.isfinite(var) & (var > 0) & (arrays.dof > 2)
    scar = np.full(car.shape, np.nan)
    scar[ok] = car[ok] / np.sqrt(var[ok])
    return scar, ok
