"""The faster p-value paths of the test battery give scipy's numbers exactly."""

from __future__ import annotations

import numpy as np
from scipy import stats

from eventstudy.inference.base import two_sided_normal, two_sided_t
from eventstudy.inference.rank import _binomial_pvalue, signed_rank_pvalue


def test_two_sided_p_values_are_scipy_distributions_bit_for_bit() -> None:
    rng = np.random.default_rng(7)
    for z in np.concatenate([rng.normal(0, 3, 500), [0.0, -1.96, 38.5, np.inf]]):
        assert two_sided_normal(z) == float(2 * stats.norm.sf(abs(z)))
        for dof in (1, 3, 29, 238, 10_000):
            assert two_sided_t(z, dof) == float(2 * stats.t.sf(abs(z), dof))
    assert np.isnan(two_sided_normal(float("nan"))) and np.isnan(two_sided_t(float("nan"), 5))


def test_memoised_binomial_p_value_is_binomtest() -> None:
    for trials in (1, 2, 17, 40, 333):
        for successes in range(0, trials + 1, max(1, trials // 7)):
            expected = stats.binomtest(successes, trials, 0.5).pvalue
            assert _binomial_pvalue(successes, trials) == expected
            assert _binomial_pvalue(successes, trials) == expected  # the cached value


def test_exact_signed_rank_p_value_is_scipys_and_ignores_the_rank_order() -> None:
    rng = np.random.default_rng(3)
    for n in (5, 12, 30, 50):
        x = rng.normal(0.2, 1, n)
        ranks = stats.rankdata(np.abs(x))
        w_plus = float(ranks[x > 0].sum())
        expected = stats.wilcoxon(x, method="exact").pvalue
        assert abs(signed_rank_pvalue(ranks, w_plus) - expected) < 1e-12
        shuffled = rng.permutation(ranks)
        assert signed_rank_pvalue(shuffled, w_plus) == signed_rank_pvalue(ranks, w_plus)
    # Ties: half ranks, the distribution is still built exactly.
    tied = stats.rankdata([0.5, 0.5, 1.0, 2.0, 2.0, 3.0])
    assert 0 < signed_rank_pvalue(tied, float(tied[[0, 2, 5]].sum())) <= 1
