"""Normal-return models (DESIGN section 5), by name.

A model turns benchmark returns into the regression used by the engine:
``expected = offset + [1, regressors] @ beta``, with ``beta`` estimated by OLS on the
estimation window. Market-adjusted returns have no constant and no regressor:
nothing is estimated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eventstudy.errors import ConfigError


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
    estimator
        ``ols`` (the vectorised engine) or ``garch`` (per-pair maximum likelihood).
    label
        Name in captions and reports (default: ``name``).
    """

    name: str
    description: str
    min_benchmarks: int
    max_benchmarks: int | None
    estimator: str = "ols"
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.name)

    def check_benchmarks(self, benchmarks: list[str]) -> None:
        """Reject a wrong number of benchmarks, saying what the model needs."""
        n = len(benchmarks)
        too_few = n < self.min_benchmarks
        too_many = self.max_benchmarks is not None and n > self.max_benchmarks
        if too_few or too_many:
            need = {0: "no benchmark", 1: "exactly one benchmark"}.get(
                self.max_benchmarks if self.max_benchmarks is not None else -1,
                "one or more benchmarks")
            raise ConfigError(
                f"model {self.name!r} takes {need}, got {n}"
                + (f" ({', '.join(benchmarks)})" if benchmarks else ""),
                fix="set --benchmark (e.g. --benchmark SP500; several for 'factor': "
                "--benchmark BRENT,EEM)" if too_few else "remove --benchmark")

    @property
    def has_constant(self) -> bool:
        """Whether the regression has an intercept (all but market-adjusted)."""
        return self.name != "market-adjusted"

    def regressors(self, benchmark_returns: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Regressors ``(N, T, B)`` (without the constant) and offset ``(N, T)`` or ``None``.

        ``benchmark_returns`` is ``(N, T, B)``: each asset's benchmarks on its calendar.
        """
        n, t, _ = benchmark_returns.shape
        if self.name == "constant-mean":
            return np.empty((n, t, 0)), None
        if self.name == "market-adjusted":
            return np.empty((n, t, 0)), benchmark_returns[:, :, 0]
        return benchmark_returns, None


MODELS: dict[str, NormalReturnModel] = {
    m.name: m
    for m in [
        NormalReturnModel("constant-mean", "mean return over the estimation window", 0, 0),
        NormalReturnModel("market-adjusted", "return minus the benchmark's return", 1, 1),
        NormalReturnModel("market", "OLS on one benchmark (the market model)", 1, 1),
        NormalReturnModel("factor", "OLS on several benchmarks (e.g. Brent and EEM)", 1, None),
        NormalReturnModel("garch", "market model with GARCH(1,1) errors (needs the arch package)", 1, 1,
                          estimator="garch", label="GARCH(1,1) market"),
    ]
}


def get_model(name: str) -> NormalReturnModel:
    """The model registered as ``name``; an unknown name lists the valid ones."""
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError(f"unknown model {name!r}", fix=f"use one of {', '.join(MODELS)}") from None
