"""Build an :class:`~eventstudy.study.EventStudy` from a study file, local prices and overrides.

Shared by the command line and :meth:`EventStudy.from_file`, so a TOML study runs the
same from a terminal and from Python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from eventstudy.config import StudyFile, load_study_file
from eventstudy.errors import ConfigError
from eventstudy.events import Events, load_events
from eventstudy.local_prices import load_local_prices
from eventstudy.study import EventStudy, check_settings, name_list


def build_study(
    config: str | Path | None = None,
    events: str | Path | pd.DataFrame | Events | None = None,
    *,
    prices: str | Path | None = None,
    cache_dir: str | Path | None = None,
    offline: bool = False,
    refresh: bool = False,
    **overrides: Any,
) -> EventStudy:
    """The study described by a TOML study file, with settings overridden by keyword.

    Parameters
    ----------
    config
        TOML study file (``[study]`` options and ``[assets.NAME]`` files), or ``None``.
    events
        Events file, DataFrame or :class:`Events`; default the study file's ``events``.
    prices
        A ``--prices`` folder or wide file; default the study file's ``prices``. Without
        any local prices the study fetches from the live sources.
    cache_dir, offline, refresh
        Options of the live sources.
    **overrides
        Any :class:`EventStudy` setting (``model``, ``benchmark``, ``windows``, ...);
        ``None`` values are ignored.

    Raises
    ------
    ConfigError, InputError
        For a bad study file, settings, events or price files.
    """
    study_file = load_study_file(config) if config is not None else StudyFile()
    options = dict(study_file.study)
    options.update({k: v for k, v in overrides.items() if v is not None})
    events_source = events if events is not None else options.pop("events", None)
    options.pop("events", None)
    prices_path = prices if prices is not None else options.pop("prices", None)
    options.pop("prices", None)
    if events_source is None:
        raise ConfigError("no events given", path=config,
                          fix="pass the events file, or set events = \"...\" in [study]")
    loaded = events_source if isinstance(events_source, Events) else load_events(events_source)
    check_settings(**options)
    local: Any = None
    provenance: list[Any] = []
    if prices_path is not None or study_file.files:
        assets = name_list(options.get("assets"))
        needed = [*assets, *name_list(options.get("benchmark"))] if assets else []
        local, provenance = load_local_prices(prices_path, study_file.files, needed)
    return EventStudy(loaded, local, asset_info=study_file.assets, provenance=provenance,
                      cache_dir=cache_dir, offline=offline, refresh=refresh, **options)
