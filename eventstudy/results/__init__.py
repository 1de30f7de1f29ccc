"""A study's results: the one :class:`Results` value, the tables built from the engine's
arrays (:mod:`~eventstudy.results.tables`) and the results folder on disk
(:mod:`~eventstudy.results.folder`)."""

from eventstudy.results.value import Results

__all__ = ["Results"]
