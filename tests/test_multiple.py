"""Holm and Benjamini-Hochberg adjustments against hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.errors import InputError
from eventstudy.inference.multiple import (
    adjust_aggregate_table,
    adjust_car_table,
    adjust_pvalues,
)

NAN = float("nan")
# m = 4 finite p-values; sorted 0.005, 0.01, 0.03, 0.04.
RAW = [0.01, 0.04, NAN, 0.03, 0.005]
# Holm: 4*0.005=0.02, 3*0.01=0.03, 2*0.03=0.06, max(1*0.04, 0.06)=0.06.
HOLM = [0.03, 0.06, NAN, 0.06, 0.02]
# BH: 0.04*4/4=0.04, min(0.03*4/3, 0.04)=0.04, min(0.01*4/2, .)=0.02, min(0.005*4/1, 0.02)=0.02.
BH = [0.02, 0.04, NAN, 0.04, 0.02]


def test_holm_by_hand() -> None:
    np.testing.assert_allclose(adjust_pvalues(RAW, "holm"), HOLM, equal_nan=True)


def test_bh_by_hand() -> None:
    np.testing.assert_allclose(adjust_pvalues(RAW, "fdr_bh"), BH, equal_nan=True)


def test_holm_caps_at_one() -> None:
    np.testing.assert_allclose(adjust_pvalues([0.6, 0.7], "holm"), [1.0, 1.0])


def test_all_nan_stays_nan() -> None:
    assert np.isnan(adjust_pvalues([NAN, NAN], "holm")).all()


def test_car_table_is_one_family() -> None:
    car = pd.DataFrame({"event_id": list("ABCDE"), "pvalue": RAW})
    out = adjust_car_table(car)
    np.testing.assert_allclose(out["pvalue_holm"], HOLM, equal_nan=True)
    np.testing.assert_allclose(out["pvalue_bh"], BH, equal_nan=True)
    assert "pvalue_holm" not in car.columns  # input untouched


def test_aggregate_table_families_are_tests() -> None:
    aggregate = pd.DataFrame({
        "scope": ["all", "all", "asset:X", "asset:X", "all"],
        "test": ["bmp", "kp", "bmp", "kp", "bmp"],
        "pvalue": [0.01, 0.02, 0.04, NAN, 0.03],
    })
    out = adjust_aggregate_table(aggregate)
    # bmp family: 0.01, 0.04, 0.03 (m=3) -> Holm 0.03, 0.06, 0.06; kp family: 0.02 alone.
    np.testing.assert_allclose(out["pvalue_holm"], [0.03, 0.02, 0.06, NAN, 0.06], equal_nan=True)
    # BH bmp: 0.04*3/3=0.04, min(0.03*3/2, .04)=0.04, 0.01*3=0.03.
    np.testing.assert_allclose(out["pvalue_bh"], [0.03, 0.02, 0.04, NAN, 0.04], equal_nan=True)


def test_bad_inputs() -> None:
    with pytest.raises(InputError):
        adjust_pvalues([0.1], "bonferroni-ish")
    with pytest.raises(InputError):
        adjust_pvalues([2.5], "holm")
    with pytest.raises(InputError):
        adjust_aggregate_table(pd.DataFrame({"pvalue": [0.1]}))
