"""Re-execute the notebooks and save them with their outputs (for committing).

Usage, from the repository root or this folder::

    python notebooks/execute.py                 # all notebooks, in replay mode
    python notebooks/execute.py 02_methods.ipynb
    python notebooks/execute.py --live          # let each notebook decide (live if online)

Replay mode (``EVENTSTUDY_REPLAY=1``) is the default here so that the committed outputs
are the same for everyone and match what CI runs. The Jupyter kernel runs the
``python`` found on ``PATH``: activate the environment that has eventstudy first.
Tests do not use this script; ``pytest`` executes the notebooks with nbmake.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook files (default: all in this folder)")
    parser.add_argument("--live", action="store_true", help="do not force replay mode")
    args = parser.parse_args()
    if not args.live:
        os.environ["EVENTSTUDY_REPLAY"] = "1"
    paths = [HERE / Path(p).name for p in args.notebooks] or sorted(HERE.glob("[0-9]*.ipynb"))
    for path in paths:
        started = time.perf_counter()
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(notebook, timeout=600, kernel_name="python3", record_timing=False,
                       resources={"metadata": {"path": str(HERE)}}).execute()
        nbformat.write(notebook, path)
        size = path.stat().st_size / 1e6
        print(f"{path.name}: {time.perf_counter() - started:.1f} s, {size:.2f} MB")


if __name__ == "__main__":
    main()
