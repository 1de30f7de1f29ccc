"""Excel workbooks (``.xlsx``, ``.xlsm``) as the same header and rows a CSV file gives.

A sheet is read with ``python-calamine`` and every cell turned into the text a CSV
export of it would hold: real date cells become ``YYYY-MM-DD`` (``YYYY-MM-DDTHH:MM:SS``
with a time of day), time cells ``HH:MM`` (``HH:MM:SS`` with seconds), numbers their
shortest exact decimal form, text stays text. The events file and the price-file
readers then apply their CSV validation unchanged, and their errors are re-pointed at
the sheet and row (:meth:`Sheet.locate`), e.g.
``events.xlsx: sheet 'Sheet1' row 4: column 'date': ...``.

The first sheet is read unless the path names another after ``#``:
``events.xlsx#Summer 2025``. See ``docs/events-file.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from eventstudy.errors import InputError

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SHEET_SEPARATOR = "#"

__all__ = ["EXCEL_SUFFIXES", "Sheet", "SheetInputError", "cell_text", "is_excel", "read_sheet",
           "split_sheet"]


class SheetInputError(InputError):
    """An :class:`~eventstudy.errors.InputError` in a workbook: the sheet and its row.

    Rendered as ``FILE: sheet 'NAME' row N: column 'C': problem; fix``. ``line`` holds
    the 1-based row number of the sheet, as Excel shows it.
    """

    def __init__(self, problem: str, *, path: str | Path, sheet: str, line: int | None = None,
                 column: str | int | None = None, fix: str | None = None) -> None:
        self.sheet = sheet
        super().__init__(problem, path=path, line=line, column=column, fix=fix)

    def _render(self) -> str:
        where = f"{self.path}: sheet {self.sheet!r}"
        if self.line is not None:
            where += f" row {self.line}"
        if self.column is not None:
            where += f": column {self.column!r}" if isinstance(self.column, str) else (
                f": column {self.column}")
        text = f"{where}: {self.problem}"
        if self.fix:
            text += f"; {self.fix}"
        return text


@dataclass(frozen=True)
class Sheet:
    """One worksheet as a header and data rows of text.

    Attributes
    ----------
    path
        The workbook file (without any ``#sheet`` part).
    name
        The sheet's name.
    header
        The first non-empty row, as text.
    rows
        ``(row number, cells)`` of every later row, row numbers as Excel shows them.
    header_row
        The header's row number.
    """

    path: Path
    name: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    header_row: int = 1

    def records(self) -> list[tuple[int, list[str]]]:
        """The header and the non-empty rows, cells stripped: what a CSV reader yields."""
        numbered = [(self.header_row, self.header), *self.rows]
        return [(number, [cell.strip() for cell in cells])
                for number, cells in numbered if any(cell.strip() for cell in cells)]

    def locate(self, error: InputError) -> SheetInputError:
        """The same problem, pointed at this sheet (``error.line`` is a row number)."""
        if isinstance(error, SheetInputError):
            return error
        return SheetInputError(error.problem, path=self.path, sheet=self.name, line=error.line,
                               column=error.column, fix=error.fix)


def is_excel(path: str | Path) -> bool:
    """Whether ``path`` (possibly ``file.xlsx#Sheet``) names an Excel workbook."""
    return split_sheet(path)[0].suffix.lower() in EXCEL_SUFFIXES


def split_sheet(path: str | Path) -> tuple[Path, str | None]:
    """``events.xlsx#Sheet2`` -> ``(Path('events.xlsx'), 'Sheet2')``; no ``#``: sheet ``None``.

    Only a ``#`` after an Excel suffix starts a sheet name, so other paths containing
    ``#`` are left whole.
    """
    text = str(path)
    for suffix in EXCEL_SUFFIXES:
        marker = suffix + SHEET_SEPARATOR
        at = text.lower().rfind(marker)
        if at >= 0:
            return Path(text[: at + len(suffix)]), text[at + len(marker):]
    return Path(text), None


def read_sheet(path: str | Path) -> Sheet:
    """Read one sheet of a workbook: the first, or the one named after ``#``.

    Parameters
    ----------
    path
        ``file.xlsx`` or ``file.xlsx#SheetName``.

    Returns
    -------
    Sheet
        The header (first non-empty row) and every later row as text, with its row
        number. Fully empty rows are kept (callers skip them) so numbers stay exact.

    Raises
    ------
    InputError
        The file is missing or not a workbook, the sheet does not exist (the message
        lists the sheets), or the sheet is empty.

    Examples
    --------
    >>> sheet = read_sheet("events.xlsx#Summer")  # doctest: +SKIP
    >>> sheet.header  # doctest: +SKIP
    ['id', 'date', 'event']
    """
    from python_calamine import CalamineError, CalamineWorkbook

    file, wanted = split_sheet(path)
    if file.is_dir():
        raise InputError("is a folder, not a workbook", path=file, fix="give the path of an .xlsx file")
    if not file.is_file():
        raise InputError("no such file", path=file, fix="check the path and the file name")
    try:
        workbook = CalamineWorkbook.from_path(str(file))
    except (CalamineError, OSError, ValueError) as error:
        raise InputError(f"not a readable Excel workbook ({error})", path=file,
                         fix="save it from the spreadsheet program as .xlsx, or export it as CSV"
                         ) from None
    names = list(workbook.sheet_names)
    name = names[0] if wanted is None and names else wanted
    if name not in names:
        raise InputError(f"no sheet {name!r} (sheets: {', '.join(map(repr, names))})", path=file,
                         fix=f"name one of the sheets after '#', e.g. {file.name}#{names[0]}"
                         if names else "add a sheet with a header row")
    grid = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    numbered = [(number, [cell_text(value) for value in values])
                for number, values in enumerate(grid, start=1)]
    filled = [i for i, (_, cells) in enumerate(numbered) if any(c.strip() for c in cells)]
    if not filled:
        raise SheetInputError("the sheet is empty", path=file, sheet=name,
                              fix="put a header row (e.g. date,event) and one row per line of data")
    header_at = filled[0]
    header = _trim(numbered[header_at][1])
    return Sheet(path=file, name=name, header=header, rows=numbered[header_at + 1:],
                 header_row=numbered[header_at][0])


def _trim(cells: Sequence[str]) -> list[str]:
    """A header without the empty cells after its last name."""
    cells = list(cells)
    while cells and not cells[-1].strip():
        cells.pop()
    return cells


def cell_text(value: object) -> str:
    """The text a CSV export would hold for one cell value from ``python-calamine``.

    Examples
    --------
    >>> cell_text(datetime(2025, 8, 7, 15, 30)), cell_text(time(20, 0)), cell_text(2876.0)
    ('2025-08-07T15:30:00', '20:00', '2876')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return _clock(value.hour, value.minute, value.second)
    if isinstance(value, timedelta):
        seconds = round(value.total_seconds())
        return _clock(seconds // 3600, seconds // 60 % 60, seconds % 60)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _clock(hour: int, minute: int, second: int) -> str:
    return f"{hour:02d}:{minute:02d}" + (f":{second:02d}" if second else "")
