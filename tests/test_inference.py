"""Hand computations and scipy cross-checks for the test battery (eventstudy.inference)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy import inference
from eventstudy.inference import (
    TESTS,
    TestResult,
    average_cross_correlation,
    clustering,
    dependence,
    recommended_tests,
    scope_columns,
)
from eventstudy.models.engine import fit_pairs
from eventstudy.models.pairs import PairArrays
from eventstudy.sources.files import read_price_file

ALL_TESTS = sorted(TESTS)


def constant_mean_pairs(
    ar: list[list[float]] | np.ndarray,
    est_ar: list[list[float]] | np.ndarray,
    day0: list[str] | None = None,
    first_day: int = 0,
) -> PairArrays:
    """PairArrays for a constant-mean model (K = 1) from ARs and estimation residuals.

    For that model ``x = 1``, ``(X'X)^-1 = 1/n``, ``sigma2 = SSR / (n - 1)`` and
    ``Var(AR) = sigma2 (1 + 1/n)``; each pair uses its own non-missing ``n``.
    """
    ar = np.asarray(ar, dtype=float)
    est = np.asarray(est_ar, dtype=float)
    n_pairs, width = ar.shape
    n = np.isfinite(est).sum(axis=1)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a pair may have no estimation data at all
        mean = np.nanmean(est, axis=1, keepdims=True)
        sigma2 = np.nansum((est - mean) ** 2, axis=1) / (n - 1)
        inv_n = 1.0 / n
        var_ar = sigma2[:, None] * (1 + inv_n[:, None]) * np.ones(width)
    dates = day0 or ["2025-08-07"] * n_pairs
    return PairArrays(
        event_days=np.arange(first_day, first_day + width),
        ar=ar,
        var_ar=var_ar,
        est_days=np.arange(-est.shape[1], 0) + first_day - 1,
        est_ar=est,
        sigma2=sigma2,
        dof=n - 1,
        n_est=n,
        xtx_inv=inv_n[:, None, None],
        x_event=np.ones((n_pairs, width, 1)),
        day0=np.array(dates, dtype="datetime64[D]"),
    )


def random_pairs(n_pairs: int, *, seed: int = 0, n_est: int = 120, width: int = 5) -> PairArrays:
    rng = np.random.default_rng(seed)
    return constant_mean_pairs(rng.normal(0, 0.01, (n_pairs, width)), rng.normal(0, 0.01, (n_pairs, n_est)))


# The Patell/BMP hand case: two pairs, six estimation residuals each (mean zero),
# so SSR_1 = (1+1+1+1+4+4)e-4 = 12e-4 and SSR_2 = (4+4+4+4+0+0)e-4 = 16e-4, dof = 5.
EST_2 = [[0.01, -0.01, 0.01, -0.01, 0.02, -0.02], [0.02, -0.02, 0.02, -0.02, 0.0, 0.0]]
AR_2 = [[0.03, 0.01], [-0.01, 0.02]]
S2_1, S2_2 = 12e-4 / 5, 16e-4 / 5


def test_t_cs_by_hand_and_against_scipy() -> None:
    cars = [0.01, 0.03, -0.01, 0.05]
    arrays = constant_mean_pairs([[c] for c in cars], np.ones((4, 3)) * [0.01, 0.0, -0.01])
    result = TESTS["t_cs"](arrays, 0, 0)
    # mean 0.02; deviations -0.01, 0.01, -0.03, 0.03 -> sd = sqrt(20e-4 / 3)
    assert result.statistic == pytest.approx(0.02 / (np.sqrt(20e-4 / 3) / 2))
    reference = stats.ttest_1samp(cars, 0.0)
    assert result.statistic == pytest.approx(reference.statistic)
    assert result.pvalue == pytest.approx(reference.pvalue)


def test_bw_cda_by_hand() -> None:
    est = [[0.01, 0.02, -0.01, 0.0], [0.03, -0.02, 0.01, 0.02]]
    ar = [[0.04, 0.01], [0.02, 0.03]]
    arrays = constant_mean_pairs(ar, est)
    # AAR over the estimation window: 0.02, 0.0, 0.0, 0.01 -> mean 0.0075
    s = np.sqrt((0.0125**2 + 0.0075**2 + 0.0075**2 + 0.0025**2) / 3)
    one_day = TESTS["bw_cda"](arrays, 0, 0)
    assert one_day.statistic == pytest.approx(0.03 / s)  # AAR_0 = (0.04 + 0.02) / 2
    assert one_day.pvalue == pytest.approx(2 * stats.t.sf(0.03 / s, 3))
    two_days = TESTS["bw_cda"](arrays, 0, 1)  # CAAR = 0.03 + 0.02 over sqrt(2) S
    assert two_days.statistic == pytest.approx(0.05 / (np.sqrt(2) * s))


def test_bw_cda_uses_pairs_available_each_day() -> None:
    est = [[0.01, 0.02, -0.01, np.nan], [0.03, -0.02, 0.01, 0.02]]
    ar = [[np.nan], [0.02]]
    arrays = constant_mean_pairs(ar, est)
    aar = np.array([0.02, 0.0, 0.0, 0.02])  # last day: only the second pair
    s = aar.std(ddof=1)
    assert TESTS["bw_cda"](arrays, 0, 0).statistic == pytest.approx(0.02 / s)


def test_patell_single_day_by_hand() -> None:
    arrays = constant_mean_pairs(AR_2, EST_2)
    sar_1 = 0.03 / np.sqrt(S2_1 * (1 + 1 / 6))
    sar_2 = -0.01 / np.sqrt(S2_2 * (1 + 1 / 6))
    z = (sar_1 + sar_2) / np.sqrt(2 * 5 / (5 - 2))  # (L - d)/(L - d - 2) = 5/3 each
    result = TESTS["patell"](arrays, 0, 0)
    assert result.statistic == pytest.approx(z)
    assert result.pvalue == pytest.approx(2 * stats.norm.sf(abs(z)))


def test_patell_multi_day_standardizes_the_car_with_estimation_error() -> None:
    arrays = constant_mean_pairs(AR_2, EST_2)
    # Var(CAR) = s^2 (L2 + L2^2 / n) for the constant-mean model (MacKinlay eq. 14)
    scar_1 = (0.03 + 0.01) / np.sqrt(S2_1 * (2 + 4 / 6))
    scar_2 = (-0.01 + 0.02) / np.sqrt(S2_2 * (2 + 4 / 6))
    z = (scar_1 + scar_2) / np.sqrt(10 / 3)
    assert TESTS["patell"](arrays, 0, 1).statistic == pytest.approx(z)


def test_bmp_by_hand_and_against_scipy() -> None:
    ar = [[0.03], [-0.01], [0.02]]
    est = EST_2 + [[0.0, 0.01, -0.01, 0.02, -0.02, 0.0]]  # SSR = 10e-4
    arrays = constant_mean_pairs(ar, est)
    scar = np.array(
        [
            0.03 / np.sqrt(S2_1 * 7 / 6),
            -0.01 / np.sqrt(S2_2 * 7 / 6),
            0.02 / np.sqrt(10e-4 / 5 * 7 / 6),
        ]
    )
    result = TESTS["bmp"](arrays, 0, 0)
    assert result.statistic == pytest.approx(scar.mean() / (scar.std(ddof=1) / np.sqrt(3)))
    reference = stats.ttest_1samp(scar, 0.0)
    assert result.statistic == pytest.approx(reference.statistic)
    assert result.pvalue == pytest.approx(reference.pvalue)


def test_corrado_by_hand() -> None:
    # Pair 1 ranks over (est, event): 0.01->2, -0.02->1, 0.03->3, 0.05->4
    # Pair 2: 0.02->4, 0.0->2, -0.01->1, 0.015->3; U = K/5 - 1/2
    arrays = constant_mean_pairs([[0.05], [0.015]], [[0.01, -0.02, 0.03], [0.02, 0.0, -0.01]])
    u1 = np.array([2, 1, 3, 4]) / 5 - 0.5
    u2 = np.array([4, 2, 1, 3]) / 5 - 0.5
    ubar = (u1 + u2) / 2  # 0.1, -0.2, -0.1, 0.2
    s = np.sqrt(np.mean(ubar**2))
    result = TESTS["corrado"](arrays, 0, 0)
    assert result.statistic == pytest.approx(ubar[-1] / s)
    assert result.statistic == pytest.approx(0.2 / np.sqrt(0.025))
    assert result.pvalue == pytest.approx(2 * stats.norm.sf(0.2 / np.sqrt(0.025)))


def test_corrado_multi_day_and_missing_days_use_own_counts() -> None:
    est = [[0.01, -0.02, 0.03, np.nan], [0.02, 0.0, -0.01, 0.04]]
    ar = [[0.05, -0.03], [0.015, 0.01]]
    arrays = constant_mean_pairs(ar, est)
    # Pair 1 has 5 observations, pair 2 has 6: U = K/(n_i + 1) - 1/2
    frame = pd.DataFrame(np.concatenate([est, ar], axis=1).T)
    u = frame.rank() / (frame.notna().sum() + 1) - 0.5
    ubar = u.mean(axis=1).to_numpy()
    s = np.sqrt(np.mean(ubar**2))
    result = TESTS["corrado"](arrays, 0, 1)
    assert result.statistic == pytest.approx((ubar[-2] + ubar[-1]) / (np.sqrt(2) * s))


def test_rank_column_sums_match_pandas_ranks_with_ties_and_nan() -> None:
    rng = np.random.default_rng(3)
    tied = rng.integers(0, 6, (50, 17)).astype(float)  # exact (tie-averaging) path
    distinct = rng.normal(size=(50, 17))  # fast path: sorted integer keys
    x = np.vstack([tied, distinct])
    x[rng.random(x.shape) < 0.2] = np.nan
    ranks = pd.DataFrame(x.T).rank(method="average").to_numpy().T
    centred = ranks / (np.isfinite(x).sum(axis=1, keepdims=True) + 1.0) - 0.5
    present, total, count = scope_columns.centred_rank_partials(x, np.zeros(len(x), dtype=np.int64))
    assert present.tolist() == [0]
    total, count = total[0], count[0]
    np.testing.assert_allclose(total, np.nansum(centred, axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(count, np.isfinite(x).sum(axis=0))


def test_sign_against_binomial_test() -> None:
    cars = [0.01, 0.02, -0.01, 0.03, 0.04, 0.0, 0.05]  # the zero CAR is dropped
    arrays = constant_mean_pairs([[c] for c in cars], np.ones((7, 3)) * [0.01, 0.0, -0.01])
    result = TESTS["sign"](arrays, 0, 0)
    assert result.statistic == pytest.approx((5 - 6 / 2) / np.sqrt(6 / 4))
    assert result.pvalue == pytest.approx(stats.binomtest(5, 6, 0.5).pvalue)


def test_gen_sign_by_hand() -> None:
    est = [[0.01, -0.01, 0.02, -0.02], [0.01, 0.02, 0.03, np.nan], [-0.01, -0.02, 0.01, 0.0]]
    ar = [[0.01], [0.02], [-0.03]]
    arrays = constant_mean_pairs(ar, est)
    p = (2 / 4 + 3 / 3 + 1 / 4) / 3  # each pair's own share of positive ARs
    z = (2 - 3 * p) / np.sqrt(3 * p * (1 - p))
    result = TESTS["gen_sign"](arrays, 0, 0)
    assert result.statistic == pytest.approx(z)
    assert result.pvalue == pytest.approx(2 * stats.norm.sf(abs(z)))


@pytest.mark.parametrize("n_pairs", [6, 30, 400])
def test_wilcoxon_statistic_is_w_plus_and_pvalue_is_scipy(n_pairs: int) -> None:
    arrays = random_pairs(n_pairs, seed=n_pairs)
    car = arrays.car(0, 2)
    result = TESTS["wilcoxon"](arrays, 0, 2)
    ranks = stats.rankdata(np.abs(car))
    assert result.statistic == ranks[car > 0].sum()
    assert result.pvalue == pytest.approx(stats.wilcoxon(car).pvalue)


def test_wilcoxon_small_hand_case() -> None:
    cars = [0.03, -0.01, 0.02, 0.04]  # |CAR| ranks: 3, 1, 2, 4 -> W+ = 3 + 2 + 4
    arrays = constant_mean_pairs([[c] for c in cars], np.ones((4, 3)) * [0.01, 0.0, -0.01])
    result = TESTS["wilcoxon"](arrays, 0, 0)
    assert result.statistic == 9
    assert result.pvalue == pytest.approx(2 * 2 / 16)  # P(W+ >= 9) = 2/16 under H0


def test_average_cross_correlation_matches_brute_force_within_day0_groups() -> None:
    rng = np.random.default_rng(7)
    common = rng.normal(size=(2, 150))
    est = np.vstack(
        [0.6 * common[0] + rng.normal(size=150) for _ in range(4)]
        + [0.3 * common[1] + rng.normal(size=150) for _ in range(3)]
        + [rng.normal(size=150) for _ in range(2)]
    )
    day0 = ["2025-08-07"] * 4 + ["2025-08-14"] * 3 + ["2025-09-01", "2025-09-02"]
    arrays = constant_mean_pairs(np.zeros((9, 1)) + 0.01, est, day0=day0)
    corr = np.corrcoef(est)
    same = np.equal.outer(np.array(day0), np.array(day0)) & ~np.eye(9, dtype=bool)
    assert average_cross_correlation(arrays) == pytest.approx(corr[same].sum() / (9 * 8))


def test_average_cross_correlation_is_zero_without_shared_day0() -> None:
    arrays = random_pairs(5)
    arrays = constant_mean_pairs(arrays.ar, arrays.est_ar, day0=[f"2025-08-0{i}" for i in range(1, 6)])
    assert average_cross_correlation(arrays) == 0.0
    assert TESTS["kp"](arrays, 0, 0).statistic == TESTS["bmp"](arrays, 0, 0).statistic
    assert "r_bar = 0" in TESTS["patell_adj"](arrays, 0, 0).note
    assert clustering(arrays)["n_overlapping"] == 0


def test_average_cross_correlation_is_batched_and_sampled(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(11)
    common = rng.normal(size=120)
    est = np.vstack([rng.uniform(0, 1) * common + rng.normal(size=120) for _ in range(60)])
    arrays = constant_mean_pairs(np.full((60, 1), 0.01), est)  # one day 0: 1,770 couples
    corr = np.corrcoef(est)
    exact = (corr.sum() - 60) / (60 * 59)
    assert dependence._compute_rbar(arrays, 0, 0) == pytest.approx(exact)
    monkeypatch.setattr(dependence, "COUPLE_BATCH", 7)
    assert dependence._compute_rbar(arrays, 0, 0) == pytest.approx(exact)
    # Above the cap, 500 couples drawn at random: the mean correlation has a sampling
    # sd of about sd(corr) / sqrt(500) = 0.006, so the estimate is within 4 sd.
    monkeypatch.setattr(dependence, "RBAR_MAX_COUPLES", 500)
    sampled = dependence._compute_rbar(arrays, 0, 0)
    assert sampled != exact
    assert sampled == pytest.approx(exact, abs=4 * corr[np.triu_indices(60, 1)].std() / np.sqrt(500))


def test_kp_and_patell_adj_formulas() -> None:
    rng = np.random.default_rng(5)
    common = rng.normal(size=100)
    est = np.vstack([0.5 * common + rng.normal(size=100) for _ in range(10)]) * 0.01
    arrays = constant_mean_pairs(rng.normal(0.01, 0.01, (10, 1)), est)
    rbar = average_cross_correlation(arrays)
    assert rbar > 0.1
    t_bmp = TESTS["bmp"](arrays, 0, 0).statistic
    z_patell = TESTS["patell"](arrays, 0, 0).statistic
    kp = TESTS["kp"](arrays, 0, 0)
    assert kp.statistic == pytest.approx(t_bmp * np.sqrt((1 - rbar) / (1 + 9 * rbar)))
    assert kp.pvalue == pytest.approx(2 * stats.t.sf(abs(kp.statistic), 9))
    adj = TESTS["patell_adj"](arrays, 0, 0)
    assert adj.statistic == pytest.approx(z_patell / np.sqrt(1 + 9 * rbar))


def test_clustering_report() -> None:
    arrays = constant_mean_pairs(
        np.full((5, 1), 0.01),
        np.random.default_rng(1).normal(size=(5, 30)),
        day0=["2025-08-07", "2025-08-07", "2025-08-07", "2025-08-14", "2025-08-21"],
    )
    report = clustering(arrays)
    assert report["n_pairs"] == 5
    assert report["n_day0"] == 3
    assert report["n_clustered"] == 3
    assert report["largest_cluster"] == 3
    assert report["share_clustered"] == pytest.approx(0.6)
    assert list(report["clustered_day0"]) == [np.datetime64("2025-08-07")]
    assert report["window"] == (0, 0)
    assert report["n_overlapping"] == 3
    assert report["share_overlapping"] == pytest.approx(0.6)
    assert report["rbar"] == pytest.approx(average_cross_correlation(arrays, 0, 0))
    assert (report["recommended_tests"], report["caution"]) == recommended_tests(report)


@pytest.mark.parametrize("test", ALL_TESTS)
@pytest.mark.parametrize(("start", "end"), [(-2, -2), (0, 0), (-1, 1), (0, 2)])
def test_every_test_gives_finite_results_on_any_window(test: str, start: int, end: int) -> None:
    arrays = random_pairs(40, seed=2, width=5)
    arrays = constant_mean_pairs(arrays.ar, arrays.est_ar, first_day=-2)
    result = TESTS[test](arrays, start, end)
    assert isinstance(result, TestResult)
    assert result.test == test
    assert np.isfinite(result.statistic)
    assert 0 <= result.pvalue <= 1
    assert result.note == "" or result.test in {"kp", "patell_adj"}


@pytest.mark.parametrize(
    ("test", "note"),
    [
        ("t_cs", "at least 2 pairs"),
        ("bmp", "at least 2 pairs"),
        ("kp", "at least 2 pairs"),
    ],
)
def test_one_pair_gives_nan_with_reason(test: str, note: str) -> None:
    arrays = constant_mean_pairs([[0.02]], [[0.01, -0.01, 0.02, 0.0, -0.02]])
    result = TESTS[test](arrays, 0, 0)
    assert np.isnan(result.statistic)
    assert np.isnan(result.pvalue)
    assert note in result.note


@pytest.mark.parametrize("test", ALL_TESTS)
def test_degenerate_inputs_never_raise_or_warn(test: str) -> None:
    # Zero-variance estimation windows, all-missing ARs, a pair without estimation
    # data: every test either computes or returns NaN with a note (warnings are errors).
    cases = [
        constant_mean_pairs([[0.0], [0.0]], np.zeros((2, 5))),
        constant_mean_pairs([[np.nan], [np.nan]], [[0.01, -0.01, 0.0], [0.02, 0.0, -0.02]]),
        constant_mean_pairs([[0.01], [0.02]], [[np.nan] * 3, [0.02, 0.0, -0.02]]),
        constant_mean_pairs(np.empty((0, 1)), np.empty((0, 4))),
    ]
    for arrays in cases:
        result = TESTS[test](arrays, 0, 0)
        if not np.isfinite(result.statistic):
            assert np.isnan(result.pvalue)
            assert result.note


def test_window_outside_event_window_raises() -> None:
    arrays = random_pairs(3)
    with pytest.raises(ValueError, match=r"window \[0, 9\] is outside the event window"):
        TESTS["patell"](arrays, 0, 9)


def test_run_tests_returns_every_registered_test_in_order() -> None:
    results = inference.run_tests(random_pairs(20), 0, 1)
    assert [r.test for r in results] == list(TESTS)
    assert set(TESTS) == {
        "t_cs",
        "bw_cda",
        "patell",
        "patell_adj",
        "bmp",
        "kp",
        "corrado",
        "sign",
        "gen_sign",
        "wilcoxon",
    }


def test_unknown_day0_is_never_clustered() -> None:
    rng = np.random.default_rng(4)
    common = rng.normal(size=80)
    est = np.vstack([common + 0.1 * rng.normal(size=80) for _ in range(3)])
    arrays = constant_mean_pairs(np.full((3, 1), 0.01), est, day0=["NaT", "NaT", "NaT"])
    assert average_cross_correlation(arrays) == 0.0
    assert clustering(arrays)["n_clustered"] == 0


@pytest.mark.parametrize("n", [2, 5, 9, 18, 40])
def test_signed_rank_pvalue_equals_scipy_exact(n: int) -> None:
    from eventstudy.inference import signed_rank_pvalue

    car = np.random.default_rng(n).normal(size=n)
    ranks = stats.rankdata(np.abs(car))
    assert signed_rank_pvalue(ranks, ranks[car > 0].sum()) == pytest.approx(
        stats.wilcoxon(car, method="exact").pvalue, rel=1e-12)


def test_signed_rank_pvalue_with_ties_equals_full_permutation() -> None:
    from eventstudy.inference import signed_rank_pvalue

    # Tied |CAR| values (clustered events give identical CARs): average ranks 2, 2, 2 ...
    car = np.array([0.01, 0.01, -0.02, 0.03, 0.03, -0.01, 0.05, 0.02, 0.02])
    ranks = stats.rankdata(np.abs(car))
    expected = stats.wilcoxon(car, method=stats.PermutationMethod(n_resamples=np.inf)).pvalue
    assert signed_rank_pvalue(ranks, ranks[car > 0].sum()) == pytest.approx(expected, rel=1e-12)
    # Brute force over all 2^9 sign patterns: W+ = 38 and 20 patterns reach at least 38.
    import itertools

    w_plus = ranks[car > 0].sum()
    totals = [np.dot(signs, ranks) for signs in itertools.product([0, 1], repeat=car.size)]
    at_least = sum(total >= w_plus for total in totals)
    assert (w_plus, at_least) == (38.0, 20)
    assert signed_rank_pvalue(ranks, w_plus) == pytest.approx(2 * at_least / 512)


def test_corrado_ranks_only_the_tested_window_by_hand() -> None:
    # Event window [-1, 1]; testing [0, 0] ranks the 3 estimation ARs with day 0 only.
    est = [[0.01, -0.02, 0.03], [0.02, 0.0, -0.01]]
    ar = [[0.09, 0.05, -0.07], [-0.05, 0.015, 0.2]]  # days -1, 0, 1
    arrays = constant_mean_pairs(ar, est, first_day=-1)
    # Pair 1 ranks (0.01, -0.02, 0.03, 0.05) = 2, 1, 3, 4; pair 2 (0.02, 0, -0.01, 0.015)
    # = 4, 2, 1, 3: the same numbers as test_corrado_by_hand, days -1 and 1 left out.
    assert TESTS["corrado"](arrays, 0, 0).statistic == pytest.approx(0.2 / np.sqrt(0.025))
    # [0, 1]: pair 1 ranks (0.01, -0.02, 0.03, 0.05, -0.07) = 3, 2, 4, 5, 1 and pair 2
    # (0.02, 0, -0.01, 0.015, 0.2) = 4, 2, 1, 3, 5; U = K/6 - 1/2.
    ubar = ((np.array([3, 2, 4, 5, 1]) + np.array([4, 2, 1, 3, 5])) / 2) / 6 - 0.5
    s = np.sqrt(np.mean(ubar**2))
    expected = (ubar[3] + ubar[4]) / (np.sqrt(2) * s)
    assert TESTS["corrado"](arrays, 0, 1).statistic == pytest.approx(expected)


def test_corrado_does_not_depend_on_the_event_window(shared_data: Path) -> None:
    prices = read_price_file(shared_data / "IMOEX_iss_history_2018_2026.csv")["CLOSE"]
    returns = np.log(prices.to_numpy())[None, :]
    returns = np.diff(returns, axis=1)
    day0 = np.arange(300, 1900, 40)  # 40 pseudo-events on the real series

    def statistic(event_window: tuple[int, int], window: tuple[int, int]) -> float:
        out = fit_pairs(returns, np.empty((1, returns.shape[1], 0)), None,
                        np.zeros(day0.size, dtype=int), day0, event_window=event_window)
        assert out.fitted.all()
        return TESTS["corrado"](out.arrays, *window).statistic

    for window in [(0, 0), (0, 5), (-1, 1)]:
        narrow, wide = statistic((-10, 10), window), statistic((-20, 20), window)
        assert np.isfinite(narrow)
        assert narrow == pytest.approx(wide, rel=1e-12)
