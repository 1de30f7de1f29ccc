"""Worker threads for passes over ``(pairs x days)`` arrays in row chunks.

numpy releases the GIL in sorts, ufuncs and reductions, so chunks of rows processed on
a few threads use the machine's cores without copying the arrays to other processes.
Callers make the chunks independent (each writes its own rows, or returns its part).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# Worker threads for the chunked passes.
N_THREADS = max(1, min(4, os.cpu_count() or 1))


def chunk_map(chunks: list[Any], fn: Callable[[Any], Any]) -> list[Any]:
    """``[fn(c) for c in chunks]``, in worker threads when there is more than one."""
    if len(chunks) <= 1 or N_THREADS == 1:
        return [fn(c) for c in chunks]
    with ThreadPoolExecutor(N_THREADS) as pool:
        return list(pool.map(fn, chunks))
