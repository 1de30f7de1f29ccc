"""Write a table as CSV column by column: the bytes of ``DataFrame.to_csv``, in less time.

``pandas.DataFrame.to_csv`` formats each float with NumPy's ``astype(str)`` and hands
the rows to the :mod:`csv` module; for the results folder's large tables
(``abnormal_returns.csv``: one row per pair and event day) both are most of the time
spent writing. :func:`write_csv` formats each column of a chunk of rows at once into
an Arrow string array and joins the fields and lines with Arrow's compute functions,
so no Python object is made per field but for the few below:

- **Floats**: the shortest decimal that reads back to the same double (David Gay 1990 /
  Steele & White 1990), which is what NumPy and Python's ``repr`` print. Arrow's
  float-to-string cast prints the same digits, and the same text for every non-integral
  value of magnitude in ``[1e-4, 1e10)``; outside that range the notations differ (Python
  switches to exponent notation below 1e-4 and from 1e16, Arrow from 1e10; Python writes
  integral values with ``.0``), so those values are written with ``repr``. Missing
  values are empty fields. (Arrow's formatter is double-conversion's shortest mode,
  positional from 1e-6 to 1e10; checked against pandas' bytes with pyarrow 16.1, 18.1
  and 26.0.)
- **Texts and dates**: each distinct text quoted once with the :mod:`csv` module's own
  rules (:class:`_Quoter`); dates formatted with ``date_format``.
- **Integers**: Arrow's cast, which prints what ``str`` prints; booleans ``True``/``False``.

Chunks of :data:`CHUNK_ROWS` rows are formatted on worker threads
(:func:`~eventstudy.threads.chunk_map`: Arrow's kernels release the GIL) a few at a time,
so memory stays bounded, and written in order.

Column types it does not handle itself (nullable integers, categories, float32, a
single column, ...) are written by ``to_csv`` unchanged: the output is always what
``frame.to_csv(path, index=False, date_format=date_format)`` writes.
"""

from __future__ import annotations

import csv
import io
import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from eventstudy.threads import N_THREADS, chunk_map

#: Rows formatted and joined at a time: bounded memory (about 1 kB a row) at any size.
CHUNK_ROWS = 65_536

#: Magnitudes whose non-integral floats Arrow's cast prints as ``repr`` does (module docstring).
ARROW_FLOATS = (1e-4, 1e10)

Formatter = Callable[[slice], pa.StringArray]


def write_csv(frame: pd.DataFrame, path: Path, date_format: str | None = "%Y-%m-%d") -> None:
    """Write ``frame`` to ``path`` as ``frame.to_csv(path, index=False, date_format=date_format)`` does.

    Parameters
    ----------
    frame
        The table; its index is not written.
    path
        The CSV file (UTF-8, ``os.linesep`` line ends, minimal quoting, as pandas).
    date_format
        ``strftime`` format of datetime columns (pandas' ``date_format``).

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "t.csv"
    >>> write_csv(pd.DataFrame({"event": ["a, b", "c"], "car": [0.1, np.nan]}), target)
    >>> target.read_text()
    'event,car\\n"a, b",0.1\\nc,\\n'
    """
    formatters = _column_formatters(frame, date_format)
    if formatters is None:
        frame.to_csv(path, index=False, date_format=date_format)
        return
    end = os.linesep
    quote = _Quoter()

    def lines(rows: slice) -> pa.StringArray:
        fields = pc.binary_join_element_wise(*[format_(rows) for format_ in formatters], ",")
        return pc.binary_join_element_wise(fields, "", end)

    chunks = [slice(start, start + CHUNK_ROWS) for start in range(0, len(frame), CHUNK_ROWS)]
    with open(path, "wb") as handle:
        handle.write((",".join(quote.many([str(c) for c in frame.columns])) + end).encode("utf-8"))
        # Chunks formatted on worker threads (Arrow's kernels release the GIL), a few at a
        # time so that memory stays bounded, and written in order.
        for first in range(0, len(chunks), N_THREADS):
            for text in chunk_map(chunks[first: first + N_THREADS], lines):
                handle.write(_joined_bytes(text))


def _joined_bytes(texts: pa.StringArray) -> memoryview:
    """The UTF-8 bytes of all of ``texts`` one after another (none missing, not all
    empty): the stretch of the array's data buffer between its first and last offsets."""
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int32)[texts.offset: texts.offset + len(texts) + 1]
    return memoryview(texts.buffers()[2])[int(offsets[0]): int(offsets[-1])]


def _column_formatters(frame: pd.DataFrame, date_format: str | None) -> list[Formatter] | None:
    """One function per column giving its fields for a slice of rows; ``None`` for a frame
    this module leaves to pandas."""
    if frame.shape[1] < 2 or isinstance(frame.columns, pd.MultiIndex) or not frame.columns.is_unique:
        return None  # a lone empty field is quoted by csv; leave such frames to pandas
    quote = _Quoter()
    formatters = []
    for name in frame.columns:
        column = frame[name]
        dtype = column.dtype
        if dtype == np.float64:
            formatters.append(_floats(column.to_numpy()))
        elif isinstance(dtype, np.dtype) and dtype.kind == "b":
            formatters.append(_booleans(column.to_numpy()))
        elif isinstance(dtype, np.dtype) and dtype.kind in "iu":
            formatters.append(_integers(column.to_numpy()))
        elif isinstance(dtype, pd.DatetimeTZDtype) or (isinstance(dtype, np.dtype) and dtype.kind == "M"):
            if date_format is None:
                return None
            formatters.append(_texts(column, quote, date_format))
        elif (isinstance(dtype, np.dtype) and dtype.kind == "O") or isinstance(dtype, pd.StringDtype):
            formatters.append(_texts(column, quote))
        else:
            return None
    return formatters


def _floats(values: np.ndarray) -> Formatter:
    missing = np.isnan(values)
    with np.errstate(invalid="ignore"):
        magnitude = np.abs(values)
        low, high = ARROW_FLOATS
        by_arrow = (magnitude >= low) & (magnitude < high) & (values != np.floor(values))

    def format_(rows: slice) -> pa.StringArray:
        part = values[rows]
        text = pc.cast(pa.array(part), pa.string())
        other = np.flatnonzero(~by_arrow[rows])
        if other.size == 0:
            return text
        blank = missing[rows][other].tolist()
        fields = ["" if empty else repr(value)
                  for value, empty in zip(part[other].tolist(), blank, strict=True)]
        mask = np.zeros(part.size, dtype=bool)
        mask[other] = True
        return pc.replace_with_mask(text, pa.array(mask), pa.array(fields, type=pa.string()))
    return format_


def _integers(values: np.ndarray) -> Formatter:
    return lambda rows: pc.cast(pa.array(values[rows]), pa.string())


def _booleans(values: np.ndarray) -> Formatter:
    words = pa.array(["False", "True"])
    return lambda rows: words.take(pa.array(values[rows].astype(np.int8)))


def _texts(column: pd.Series, quote: _Quoter, date_format: str | None = None) -> Formatter:
    """Text (or dates written with ``date_format``), converted chunk by chunk: a whole column of
    Python strings would take far more memory than the table.

    Strings and dates are coded by their distinct values (``pandas.factorize``), so each
    distinct one is formatted and quoted once a chunk; Python objects are written with
    ``str`` one by one (factorizing would merge ``1``, ``1.0`` and ``True``, which are equal)."""
    objects = isinstance(column.dtype, np.dtype) and column.dtype.kind == "O"
    missing = column.isna().to_numpy()

    def format_(rows: slice) -> pa.StringArray:
        part = column.iloc[rows]
        if objects:
            values = part.to_numpy(dtype=object, copy=True)  # a copy: the frame is not ours to change
            values[missing[rows]] = ""
            return pa.array(quote.many(values.tolist()), type=pa.string())
        codes, distinct = pd.factorize(part)  # code -1 where missing
        texts = pd.DatetimeIndex(distinct).strftime(date_format) if date_format else distinct
        fields = pa.array([*quote.many(list(texts)), ""], type=pa.string())
        return fields.take(pa.array(np.where(codes < 0, len(fields) - 1, codes)))
    return format_


class _Quoter:
    """Each distinct value as the :mod:`csv` module writes it (pandas' dialect), computed once."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator=os.linesep, quoting=csv.QUOTE_MINIMAL)
        self._known: dict[str, str] = {}
        self._lock = threading.Lock()

    def many(self, values: list[object]) -> list[str]:
        """The fields of ``values`` (each written with ``str``, as the csv module does)."""
        texts = list(map(str, values))
        known = self._known
        for text in dict.fromkeys(texts):
            if text not in known:
                known[text] = self._one(text)
        return list(map(known.__getitem__, texts))

    def _one(self, text: str) -> str:
        with self._lock:  # one buffer, shared by the threads formatting chunks
            return self._written(text)

    def _written(self, text: str) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow([text, ""])  # a second field: a lone empty field would be quoted
        return self._buffer.getvalue()[:-1 - len(os.linesep)]  # drop the "," and the line end
