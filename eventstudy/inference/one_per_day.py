"""One observation per asset and day 0 (``--one-per-day``).

Several announcements of one day (three statements on 7 August 2025) give an asset
the same day 0 several times. Their abnormal returns are the same numbers (the same
prices, the same model), so counting each as an independent observation multiplies
one reaction and overstates every cross-sectional test. :func:`one_per_day`
collapses them into one observation before testing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.models.pairs import PairArrays


@dataclass(frozen=True)
class OnePerDay:
    """Pairs collapsed to one per (asset, day 0).

    Attributes
    ----------
    arrays
        :class:`PairArrays` with one row per (asset, day 0), in the order of each
        group's first pair.
    pairs
        The kept rows of the pairs table (the first pair of each group, original
        index and columns).
    event_ids
        For each kept row, the ``event_id`` of every pair it stands for (itself
        first), as a tuple.
    kept
        Positions of the kept rows in the input.
    """

    arrays: PairArrays
    pairs: pd.DataFrame
    event_ids: list[tuple[str, ...]]
    kept: np.ndarray


def one_per_day(pairs: pd.DataFrame, arrays: PairArrays) -> OnePerDay:
    """Collapse pairs of the same asset and calendar day 0 into one observation.

    The observation's abnormal returns (event and estimation windows) are the mean of
    its pairs' over the pairs with a value on that day; they are identical when the
    model is the same, and the mean keeps one number when they differ (for instance
    when other events' windows were excluded from one pair's estimation only). The
    model terms (``sigma2``, ``dof``, ``n_est``, ``(X'X)^-1``, regressors, variances)
    are the first pair's. Pairs with an unknown day 0 are never collapsed.

    Parameters
    ----------
    pairs
        One row per row of ``arrays``, with columns ``event_id``, ``asset`` and
        ``day0``.
    arrays
        The pairs' arrays.

    Returns
    -------
    OnePerDay

    Raises
    ------
    ValueError
        If ``pairs`` and ``arrays`` have different numbers of rows or a column is
        missing (a programming error: the builder makes both).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from eventstudy.models.engine import fit_pairs
    >>> r = np.random.default_rng(0).normal(0, 0.01, (1, 400))
    >>> out = fit_pairs(r, np.empty((1, 400, 0)), None, np.array([0, 0]), np.array([300, 300]))
    >>> table = pd.DataFrame({"event_id": ["A", "B"], "asset": ["X", "X"],
    ...                       "day0": ["2025-08-07", "2025-08-07"]})
    >>> one_per_day(table, out.arrays).event_ids
    [('A', 'B')]
    """
    missing = {"event_id", "asset", "day0"} - set(pairs.columns)
    if missing:
        raise ValueError(f"the pairs table lacks the columns {sorted(missing)}")
    if len(pairs) != arrays.n_pairs:
        raise ValueError(f"{len(pairs)} pairs but {arrays.n_pairs} rows of arrays")
    if arrays.n_pairs == 0:
        return OnePerDay(arrays=arrays, pairs=pairs, event_ids=[], kept=np.empty(0, np.intp))
    group = _groups(pairs)
    first = np.unique(group, return_index=True)[1]
    kept = np.sort(first)
    order = np.argsort(group, kind="stable")  # each group's pairs together, input order
    starts = np.flatnonzero(np.r_[True, group[order][1:] != group[order][:-1]])
    position = np.empty(group.max() + 1, dtype=np.intp)
    position[group[kept]] = np.arange(kept.size)  # output row of each group
    groups_sorted = group[order][starts]
    collapsed = dataclasses.replace(
        arrays.subset(kept),
        ar=_group_means(arrays.ar, order, starts, position[groups_sorted]),
        est_ar=_group_means(arrays.est_ar, order, starts, position[groups_sorted]),
    )
    ids = pairs["event_id"].astype(str).to_numpy()
    members = np.split(ids[order], starts[1:])
    event_ids: list[tuple[str, ...]] = [()] * kept.size
    for g, names in zip(groups_sorted, members, strict=True):
        event_ids[position[g]] = tuple(names)
    return OnePerDay(arrays=collapsed, pairs=pairs.iloc[kept], event_ids=event_ids, kept=kept)


def _groups(pairs: pd.DataFrame) -> np.ndarray:
    """Group code per pair: equal for the same asset and known day 0, unique otherwise."""
    day0 = pd.to_datetime(pairs["day0"]).dt.normalize()
    key = pd.MultiIndex.from_arrays([pairs["asset"].astype(str), day0])
    codes = np.asarray(pd.factorize(key)[0], dtype=np.int64)
    unknown = day0.isna().to_numpy()
    codes[unknown] = codes.max(initial=-1) + 1 + np.arange(int(unknown.sum()))
    return codes


def _group_means(values: np.ndarray, order: np.ndarray, starts: np.ndarray,
                 rows: np.ndarray) -> np.ndarray:
    """Column means over each group's finite values (NaN where a group has none)."""
    block = values[order]
    finite = np.isfinite(block)
    total = np.add.reduceat(np.where(finite, block, 0.0), starts, axis=0)
    count = np.add.reduceat(finite, starts, axis=0)
    out = np.full((starts.size, values.shape[1]), np.nan)
    np.divide(total, count, out=out, where=count > 0)
    result = np.empty_like(out)
    result[rows] = out
    return result
