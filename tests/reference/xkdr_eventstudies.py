"""Published results of the R package eventstudies (xKDR / NIPFP) used as references.

Source: ``tests/testthat/test_functionality_inference.R`` in the GitHub repository
``xKDR/eventstudies`` (commit 71836d2ae7114e8d8c92319c34068473445b1751), test
"functionality for inference functions". The test data are inline there: closing
prices of ITC, Reliance and TCS on 11 dates from 2004-01-01 (R ``Date`` 12418), log
returns ``diff(log(prices))``, events ITC 2004-01-02, Reliance 2004-01-08, TCS
2004-01-14, no normal-return model (``type = "None"``: the abnormal return is the
return). The R calls::

    es <- phys2eventtime(z = test.data0, events = test.eventslist0, width = 1)
    es.w <- window(es$z.e, start = -1, end = +1)
    car <- remap.cumsum(es.w, is.pc = FALSE, base = 0)   # row -1 set to 0
    inference.classic(es.w = car, to.plot = FALSE)      # t.test per event day

so the row for event day 0 is the cross-section of CAR[0, 0] and the row for +1 of
CAR[0, 1]; ``inference.classic`` prints the mean and the 95% confidence interval of
``t.test`` (Student t, N - 1 degrees of freedom).
"""

from __future__ import annotations

PRICES = {
    "ITC": [33.16, 34.0967, 35.3683, 34.46, 34.17, 35.89, 36.19, 37.1317, 36.7033, 37.7933, 37.8533],
    "Reliance": [285.325, 292.6, 290.025, 286.2, 290.075, 295.05, 289.325, 285.625, 293.7, 298.5, 289.05],
    "TCS": [
        704.5438,
        708.35,
        735.835,
        710.625,
        711.65,
        731.012,
        727.575,
        715.0187,
        724.2,
        713.1875,
        695.1812,
    ],
}
R_DATES = [12418, 12419, 12422, 12423, 12424, 12425, 12426, 12429, 12430, 12431, 12432]
EVENTS = {"ITC": "2004-01-02", "Reliance": "2004-01-08", "TCS": "2004-01-14"}

# inference.classic rows for event days 0 and +1: (2.5%, Mean, 97.5%).
CLASSIC = {
    0: (-0.0459535096314264, 0.00984612009294346, 0.0656457498173133),
    1: (-0.125491237730001, 0.00699588521385023, 0.139483008157702),
}
