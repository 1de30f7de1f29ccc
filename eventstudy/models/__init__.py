"""Normal-return models and the estimators that fit them for every event-asset pair.

:mod:`~eventstudy.models.registry` names each model with its design and estimator;
:mod:`~eventstudy.models.engine` is the vectorised OLS engine, :mod:`~eventstudy.models.garch`
the per-pair GARCH(1,1) estimator, :mod:`~eventstudy.models.pairs` the per-pair arrays they
hand to the tests.
"""

from eventstudy.models.registry import MODELS, NormalReturnModel, get_model

__all__ = ["MODELS", "NormalReturnModel", "get_model"]
