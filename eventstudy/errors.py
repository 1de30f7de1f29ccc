"""Exception and warning types of eventstudy.

Every error the package raises on purpose derives from :class:`EventStudyError`, and
also from the built-in type it resembles, so callers can catch either. The command
line maps :class:`InputError` to exit code 2 and :class:`DataUnavailableError` to
exit code 3 (``docs/cli.md``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO


class EventStudyError(Exception):
    """Base class of all errors raised by eventstudy."""


class InputError(EventStudyError, ValueError):
    """Bad user input: a file, a setting or an argument that cannot be used.

    Parameters
    ----------
    problem
        What is wrong, with the offending value.
    path
        The file the problem is in, if any.
    line, column
        1-based position in that file (``column`` may be a column name).
    fix
        How to fix it, phrased as an instruction.

    Examples
    --------
    >>> str(InputError("date '03/04/2025' is ambiguous", path="events.csv", line=3,
    ...                column="date", fix="write dates as YYYY-MM-DD"))
    "events.csv:3: column 'date': date '03/04/2025' is ambiguous; write dates as YYYY-MM-DD"
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: str | int | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = None if path is None else str(path)
        self.line = line
        self.column = column
        self.fix = fix
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        if self.column is not None:
            where += f"column {self.column!r}: " if isinstance(self.column, str) else (
                f"column {self.column}: "
            )
        text = f"{where}{self.problem}"
        if self.fix:
            text += f"; {self.fix}"
        return text


class ConfigError(InputError):
    """Inconsistent study settings (windows, models, assets)."""


class UnknownAssetError(ConfigError):
    """An asset name that is neither in the catalogue nor of the ``source:SYMBOL`` form."""


class NoResultsError(InputError):
    """Every event-asset pair of a study was skipped: there is no result to report."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem, fix="see the reasons; check the prices' dates against the events' "
                                      "dates, or the settings (--min-estimation, --max-day0-gap)")


class DataUnavailableError(EventStudyError, OSError):
    """A price source could not deliver data (network, server, or no data)."""


class CacheMissError(DataUnavailableError):
    """Offline, the cache lacks data that a study needs."""



class EventStudyWarning(UserWarning):
    """Base class of warnings issued by eventstudy (filter with this class)."""


class DataQualityWarning(EventStudyWarning):
    """Input data had rows that were dropped or repaired."""


def print_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    """A ``warnings.showwarning`` that prints one plain line, without the source location:
    how the command line (and its figure workers) show warnings."""
    print(f"eventstudy: warning: {message}", file=sys.stderr)
