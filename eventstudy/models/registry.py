"""Normal-return models, as a registry of named entries (CONVENTIONS 3).

Each entry names its estimator and how it builds its regressors from the benchmark
returns. The regression is ``returns - offset = [1, regressors] @ beta + e`` (without
the ``1`` for models with no constant); the OLS models share the vectorised engine
(:func:`eventstudy.models.engine.fit_pairs`), the GARCH model maximises each pair's likelihood
(:func:`eventstudy.models.garch.fit_garch_pairs`); both take the same arguments and return the
same :class:`~eventstudy.models.engine.EngineOutput`. Market-adjusted returns have no constant
and no regressor: nothing is estimated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from eventstudy.errors import ConfigError
from eventstudy.models.engine import Estimator, fit_pairs
from eventstudy.models.garch import fit_garch_pairs
from eventstudy.models.synthetic_engine import fit_synthetic_pairs

Design = tuple[np.ndarray, np.ndarray | None]


def no_regressors(benchmark_returns: np.ndarray) -> Design:
    """Constant mean: no regressor, no offset."""
    n, t, _ = benchmark_returns.shape
    return np.empty((n, t, 0)), None


def benchmark_offset(benchmark_returns: np.ndarray) -> Design:
    """Market-adjusted: the benchmark's return is subtracted, nothing is estimated."""
    n, t, _ = benchmark_returns.shape
    return np.empty((n, t, 0)), benchmark_returns[:, :, 0]


def benchmark_regressors(benchmark_returns: np.ndarray) -> Design:
    """Market and factor models: the benchmarks' returns are the regressors."""
    return benchmark_returns, None


@dataclass(frozen=True)
class NormalReturnModel:
    """A normal-return model.

    Attributes
    ----------
    name
        Registry name.
    description
        One line for help texts and reports.
    min_benchmarks, max_benchmarks
        How many benchmark series it takes (``None`` = no upper limit).
    design
        Regressors ``(N, T, B)`` (without the constant) and offset ``(N, T)`` or ``None``
        from the benchmark returns ``(N, T, B)``, each asset's benchmarks on its calendar.
    estimator
        Fits every pair: :func:`~eventstudy.models.engine.fit_pairs` (vectorised OLS) or
        :func:`~eventstudy.models.garch.fit_garch_pairs` (per-pair maximum likelihood).
    has_constant
        Whether the regression has an intercept.
    label
        Name in captions and reports.
    """

    name: str
    description: str
    min_benchmarks: int
    max_benchmarks: int | None
    design: Callable[[np.ndarray], Design]
    estimator: Estimator
    has_constant: bool
    label: str

    def check_benchmarks(self, benchmarks: list[str]) -> None:
        """Reject a wrong number of benchmarks, saying what the model needs."""
        n = len(benchmarks)
        too_few = n < self.min_benchmarks
        too_many = self.max_benchmarks is not None and n > self.max_benchmarks
        if too_few or too_many:
            need = {0: "no benchmark", 1: "exactly one benchmark"}.get(
                self.max_benchmarks if self.max_benchmarks is not None else -1,
                "one or more benchmarks" if self.min_benchmarks <= 1
                else f"{self.min_benchmarks} or more benchmarks")
            raise ConfigError(
                f"model {self.name!r} takes {need}, got {n}"
                + (f" ({', '.join(benchmarks)})" if benchmarks else ""),
                fix="set --benchmark (e.g. --benchmark SP500; several for 'factor': "
                "--benchmark BRENT,EEM)" if too_few else "remove --benchmark")


MODELS: dict[str, NormalReturnModel] = {
    m.name: m
    for m in [
        NormalReturnModel("constant-mean", "mean return over the estimation window", 0, 0,
                          no_regressors, fit_pairs, True, "constant-mean"),
        NormalReturnModel("market-adjusted", "return minus the benchmark's return", 1, 1,
                          benchmark_offset, fit_pairs, False, "market-adjusted"),
        NormalReturnModel("market", "OLS on one benchmark (the market model)", 1, 1,
                          benchmark_regressors, fit_pairs, True, "market"),
        NormalReturnModel("factor", "OLS on several benchmarks (e.g. Brent and EEM)", 1, None,
                          benchmark_regressors, fit_pairs, True, "factor"),
        NormalReturnModel("garch", "market model with GARCH(1,1) errors (needs the arch package)", 1, 1,
                          benchmark_regressors, fit_garch_pairs, True, "GARCH(1,1) market"),
        NormalReturnModel("synthetic", "synthetic control: convex combination of the benchmarks (donors) "
                          "fitted per event", 2, None, benchmark_regressors, fit_synthetic_pairs, False,
                          "synthetic-control"),
    ]
}


def get_model(name: str) -> NormalReturnModel:
    """The model registered as ``name``; an unknown name lists the valid ones."""
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError(f"unknown model {name!r}", fix=f"use one of {', '.join(MODELS)}") from None
