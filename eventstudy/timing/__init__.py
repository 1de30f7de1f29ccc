"""When prices are observed, where day 0 falls, and the returns between observations.

:mod:`~eventstudy.timing.assets` is the asset catalogue (source, symbol, observation
time); :mod:`~eventstudy.timing.calendars` places day 0 on each asset's own sessions;
:mod:`~eventstudy.timing.returns` turns prices into returns and aligns benchmarks.
"""
