"""Measures beyond abnormal returns and inference beyond the per-pair t (issue 13).

Each module has one job: abnormal volume (:mod:`~eventstudy.measures.volume`),
abnormal volatility (:mod:`~eventstudy.measures.volatility`,
:mod:`~eventstudy.measures.garch_dummy`), multiple-testing adjustment
(:mod:`~eventstudy.inference.multiple`), long-horizon buy-and-hold returns
(:mod:`~eventstudy.measures.bhar`), Dimson lead-lag regressors
(:mod:`~eventstudy.measures.dimson`) and the context of a move (minimum detectable
effect, "largest since": :mod:`~eventstudy.measures.context`). Formulas, sources and
validations: ``docs/methods-extra.md``.
"""
