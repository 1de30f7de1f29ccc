"""Long-horizon buy-and-hold abnormal returns (BHAR) and their tests.

For windows longer than a month, compounding matters and CARs are biased (Barber &
Lyon 1997): the buy-and-hold abnormal return of pair ``i`` over ``[start, end]`` is

    BHAR_i = prod_t (1 + R_it) - prod_t (1 + R_bt),

with simple returns ``R`` of the asset and of its benchmark (Barber & Lyon 1997,
eq. 3). Long-horizon BHARs are positively skewed, which biases the ordinary t test;
Lyon, Barber & Tsai (1999, eq. 5) correct it with the skewness-adjusted t

    t_sa = sqrt(n) (S + gamma S^2 / 3 + gamma / (6 n)),
    S = mean(BHAR) / sd(BHAR),  gamma = sum (BHAR - mean)^3 / (n sd^3),

(``sd`` the sample standard deviation, ``ddof = 1``), and with its bootstrapped
version (their section III.C): ``B`` resamples of size ``n_b = n / 4`` drawn with
replacement, each giving ``t_sa^b`` computed on the resample centred at the full
sample's mean (so the null holds in the bootstrap population); the two-sided
p-value is ``2 min(P*(t_sa^b <= t_sa), P*(t_sa^b >= t_sa))``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from eventstudy.errors import InputError

DEFAULT_SEED = 20250807
DEFAULT_RESAMPLES = 1000


def buy_and_hold(prices: pd.Series, benchmark: pd.Series, event_dates: Sequence[str | pd.Timestamp],
                 window: tuple[int, int] = (0, 125)) -> pd.Series:
    """BHAR of one asset against a benchmark over ``window`` after each event.

    Day 0 is the asset's first trading day on or after the event date; the window
    counts the asset's trading days. ``prod(1 + R_t)`` over ``[start, end]`` equals
    ``P_end / P_{start - 1}``; the benchmark is taken at its last price on or before
    each of those two dates (no look-ahead across calendars).

    Returns
    -------
    pandas.Series
        BHAR by event date; NaN where the window runs outside the price history.

    Raises
    ------
    InputError
        When ``window`` is reversed.
    """
    start, end = window
    if start > end:
        raise InputError(f"window [{start}, {end}] is reversed", fix="give it as start,end with start <= end")
    asset = prices.dropna().sort_index()
    bench = benchmark.dropna().sort_index()
    dates = pd.DatetimeIndex(asset.index)
    values = []
    for when in event_dates:
        day0 = int(dates.searchsorted(pd.Timestamp(when), side="left"))
        first, last = day0 + start - 1, day0 + end
        if first < 0 or last >= len(dates):
            values.append(np.nan)
            continue
        level = bench.reindex(dates[[first, last]], method="ffill").to_numpy(dtype=float)
        values.append(asset.iloc[last] / asset.iloc[first] - level[1] / level[0])
    return pd.Series(values, index=pd.DatetimeIndex([pd.Timestamp(d) for d in event_dates]), name="bhar")


def skewness_adjusted_t(bhar: np.ndarray, centre: float = 0.0) -> float:
    """Lyon, Barber & Tsai (1999, eq. 5) skewness-adjusted t of ``mean(bhar) - centre``.

    ``t_sa = sqrt(n) (S + gamma S^2 / 3 + gamma / (6 n))`` with
    ``S = (mean - centre) / sd`` and ``gamma = sum (x - mean)^3 / (n sd^3)``; NaN
    with fewer than 3 finite values or zero dispersion.

    Examples
    --------
    >>> round(skewness_adjusted_t(np.array([0.1, -0.05, 0.3, 0.02])), 4)
    1.3586
    """
    x = np.asarray(bhar, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n < 3:
        return float("nan")
    sd = x.std(ddof=1)
    if sd == 0:
        return float("nan")
    s = (x.mean() - centre) / sd
    gamma = ((x - x.mean()) ** 3).sum() / (n * sd**3)
    return float(np.sqrt(n) * (s + gamma * s**2 / 3 + gamma / (6 * n)))


@dataclass(frozen=True)
class BharTest:
    """The tests of a mean BHAR.

    Attributes
    ----------
    n : int
        BHARs used (finite values).
    mean : float
        Mean BHAR.
    t : float, pvalue_t : float
        Ordinary t and its two-sided p-value (Student, ``n - 1`` dof).
    t_sa : float, pvalue_sa : float
        Skewness-adjusted t and its two-sided p-value (Student, ``n - 1`` dof).
    pvalue_bootstrap : float
        Two-sided p-value of ``t_sa`` from the bootstrapped distribution.
    resamples : int, seed : int
        Bootstrap settings (the same seed gives the same p-value).
    """

    n: int
    mean: float
    t: float
    pvalue_t: float
    t_sa: float
    pvalue_sa: float
    pvalue_bootstrap: float
    resamples: int
    seed: int


def bootstrap_t_sa(bhar: np.ndarray, resamples: int = DEFAULT_RESAMPLES,
                   seed: int = DEFAULT_SEED) -> np.ndarray:
    """The bootstrapped ``t_sa^b`` of Lyon, Barber & Tsai (1999, section III.C).

    ``resamples`` draws of ``n_b = max(3, n // 4)`` indices with replacement
    (``numpy.random.default_rng(seed).integers(0, n, (resamples, n_b))``), each
    resample's ``t_sa`` centred at the full sample's mean. A resample without
    dispersion (the same BHAR drawn ``n_b`` times) gives NaN and is left out of the
    p-value's reference distribution.
    """
    x = np.asarray(bhar, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    n_b = max(3, n // 4)
    draws = np.random.default_rng(seed).integers(0, n, size=(resamples, n_b))
    return np.array([skewness_adjusted_t(x[row], centre=float(x.mean())) for row in draws])


def bhar_tests(bhar: np.ndarray, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> BharTest:
    """Ordinary, skewness-adjusted and bootstrapped skewness-adjusted tests of mean BHAR.

    Raises
    ------
    InputError
        With fewer than 3 finite BHARs (no skewness can be estimated).
    """
    x = np.asarray(bhar, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n < 3:
        raise InputError(f"{n} BHARs; the skewness-adjusted t needs at least 3",
                         fix="study more events or a shorter window")
    t = float(x.mean() / (x.std(ddof=1) / np.sqrt(n)))
    t_sa = skewness_adjusted_t(x)
    boot = bootstrap_t_sa(x, resamples, seed)
    boot = boot[np.isfinite(boot)]
    p_boot = float(min(1.0, 2 * min((boot <= t_sa).mean(), (boot >= t_sa).mean()))) if boot.size else np.nan
    return BharTest(n=n, mean=float(x.mean()), t=t, pvalue_t=float(2 * stats.t.sf(abs(t), n - 1)),
                    t_sa=t_sa, pvalue_sa=float(2 * stats.t.sf(abs(t_sa), n - 1)),
                    pvalue_bootstrap=p_boot, resamples=resamples, seed=seed)
