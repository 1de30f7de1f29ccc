"""Published results of the R package estudy2 for its COVID-19 lockdown example.

Source
------
The rendered vignette "Introduction to estudy2" shipped with estudy2 on CRAN,
``inst/doc/estudy2-intro.html``, as mirrored in the GitHub repository ``cran/estudy2``
(commit 5b1581396ddf541efeac3c65e800117ca6e1574f; the vignette source is
``vignettes/estudy2-intro.Rmd`` in ``irudnyts/estudy2``). It was produced by::

    library(estudy2)
    tickers <- c("AMZN", "ZM", "UBER", "NFLX", "SHOP", "FB", "UPWK")
    prices <- get_prices_from_tickers(tickers, start = as.Date("2019-04-01"),
                                      end = as.Date("2020-04-01"),
                                      quote = "Close", retclass = "zoo")
    prices_indx <- get_prices_from_tickers("^GSPC", start = as.Date("2019-04-01"),
                                           end = as.Date("2020-04-01"),
                                           quote = "Close", retclass = "zoo")
    rates <- get_rates_from_prices(prices, quote = "Close", multi_day = TRUE,
                                   compounding = "continuous")
    rates_indx <- get_rates_from_prices(prices_indx, quote = "Close",
                                        multi_day = TRUE, compounding = "continuous")
    securities_returns <- apply_market_model(
        rates = rates, regressor = rates_indx, same_regressor_for_all = TRUE,
        market_model = "sim", estimation_method = "ols",
        estimation_start = as.Date("2019-04-01"),
        estimation_end = as.Date("2020-03-13"))
    parametric_tests(list_of_returns = securities_returns,
                     event_start = as.Date("2020-03-16"),
                     event_end = as.Date("2020-03-20"))
    nonparametric_tests(list_of_returns = securities_returns,
                        event_start = as.Date("2020-03-16"),
                        event_end = as.Date("2020-03-20"))

Note ``compounding = "continuous"``: log returns, and ``multi_day = TRUE``: a return
spans the gap to the previous available price. The prices are
``../shared/data/reference/estudy2_prices.csv`` and ``estudy2_prices_indx.csv``
(read in place by the tests, never copied here).

Every column below is printed with the precision given in ``DECIMALS`` (R prints 7
significant digits); each row is one event day (2020-03-16 Monday .. 2020-03-20
Friday), all with 100% of the seven securities present.
"""

from __future__ import annotations

EVENT_DATES = ["2020-03-16", "2020-03-17", "2020-03-18", "2020-03-19", "2020-03-20"]
ESTIMATION = ("2019-04-01", "2020-03-13")
TICKERS = ["AMZN", "ZM", "UBER", "NFLX", "SHOP", "FB", "UPWK"]

# parametric_tests(): mean AR and statistics per event day.
PARAMETRIC = {
    "mean": [0.02329740, -0.03157867, -0.01617850, 0.07672027, 0.05840545],
    "bw_1980_stat": [2.486449, -3.370281, -1.726675, 8.188085, 6.233409],
    "bw_1985_stat": [1.858514, -2.519140, -1.290615, 6.120241, 4.659205],
    "t_test_stat": [1.3941497, -1.2769075, -0.4023135, 1.7958275, 5.1233281],
    "pt_stat": [2.5507399, -2.9495613, 0.3283654, 8.4216222, 6.3196352],
    "bh_stat": [1.20471169, -1.17531339, 0.07606284, 2.16657728, 8.65212561],
    "lmb_stat": [1.620049, -2.435456, -1.254626, 6.105794, 4.565195],
}

# nonparametric_tests(): statistics per event day.
NONPARAMETRIC = {
    "sign_stat": [1.1338934, 0.3779645, 1.1338934, 1.8898224, 2.6457513],
    "gsign_stat": [1.1516761, 0.3957301, 1.1516761, 1.9076220, 2.6635680],
    "csign_stat": [0.8636930, 0.2878977, 0.8636930, 1.4394883, 2.0152836],
    "rank_stat": [0.7962064, -0.1857202, 1.0205417, 2.1127972, 2.9255529],
    "mrank_stat": [0.8499246, -0.2283881, 0.9865178, 2.1665371, 2.9786668],
    "wlcx_stat": [23, 10, 15, 27, 28],
}

# Half a unit in the last printed digit of each column.
DECIMALS = {
    "mean": 8,
    "bw_1980_stat": 6,
    "bw_1985_stat": 6,
    "t_test_stat": 7,
    "pt_stat": 7,
    "bh_stat": 8,
    "lmb_stat": 6,
    "sign_stat": 7,
    "gsign_stat": 7,
    "csign_stat": 7,
    "rank_stat": 7,
    "mrank_stat": 7,
    "wlcx_stat": 0,
}


def tolerance(column: str) -> float:
    """Absolute tolerance matching the printed precision of ``column``."""
    return 0.5 * 10.0 ** -DECIMALS[column] + 1e-12
