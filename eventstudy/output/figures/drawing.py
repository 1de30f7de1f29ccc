"""Drawing planned figures into files, here or in worker processes across the cores.

A planned figure is a picklable ``draw`` callable (a :func:`functools.partial` of a plot
function holding only the data that figure needs) and its files by format. Workers are
started with ``spawn`` (safe with threads and on every platform) and receive each figure's
own data, never the whole results. The calling process draws too, from the front of the
list, while the workers take figures from the back, so ``jobs`` processes are busy.

A worker costs about a second to start (a fresh interpreter importing pandas and
matplotlib). :func:`workers_started` starts them ahead of need, at the beginning of a
command, so that they import while this process reads the data and runs the study; the
:func:`draw_figures` call inside that block then finds them ready (and lets them go
when it ends: they serve one call). Every file is the
same bytes whichever process drew it (fixed style, no dates in the files, a
deterministic palette).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from eventstudy.output.figures.style import PNG_DPI, STYLE

DrawTask = tuple[Callable[[], "Figure"], dict[str, Path]]

# Below this many figures the workers' start-up (importing matplotlib and pandas, about a
# second each) costs more than it saves; workers already started are used for any number.
MIN_FIGURES_FOR_WORKERS = 6


def available_cores() -> int:
    """Cores this process may run on (the scheduler's affinity mask where known)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def write_figure(draw: Callable[[], Figure], files: dict[str, Path]) -> None:
    """Draw one figure and save it in every format of ``files`` (PNG, SVG, PDF)."""
    import matplotlib as mpl

    figure = draw()
    with mpl.rc_context(cast(Any, STYLE)):  # fixed SVG hash salt: identical files on every run
        fix_layout(figure)
        for fmt, path in files.items():
            if fmt == "png":
                save_png(figure, path)
            else:
                figure.savefig(path, dpi=PNG_DPI, format=fmt, metadata=_metadata(fmt))


def fix_layout(figure: Figure) -> None:
    """Run the figure's layout engine once and freeze the result.

    ``savefig`` otherwise renders every figure twice per format (a hidden pass that runs
    constrained layout, then the real one); the positions found here are the same, so
    the files are too.
    """
    engine = figure.get_layout_engine()
    if engine is None or not engine.__class__.__name__.startswith("Constrained"):
        return
    from eventstudy.output.figures.glyphs import GlyphCacheCanvas

    GlyphCacheCanvas(figure)  # becomes figure.canvas; save_png draws on it
    figure.dpi = PNG_DPI  # the text extents that decide the layout depend on the resolution
    engine.execute(figure)
    figure.set_layout_engine("none")


class FigureWorkers:
    """Worker processes for :func:`draw_figures`, started before the figures are planned.

    Each worker imports the plot modules and draws a small figure as it starts
    (:func:`start_worker`), so its first real figure costs no more than the others.
    """

    def __init__(self, count: int) -> None:
        import multiprocessing

        self.count = count
        self.retired = False
        self.pool = ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=start_worker)
        for _ in range(count):  # a pool of spawned processes starts one per submitted task
            self.pool.submit(int)

    def retire(self) -> None:
        """Let the workers exit once idle, without waiting: they have served their call."""
        self.retired = True
        self.pool.shutdown(wait=False)

    def close(self, cancel: bool = False) -> None:
        """Stop the workers once idle; ``cancel``: now (the command failed; they may be importing)."""
        if not cancel:
            self.pool.shutdown()
            return
        terminate = getattr(self.pool, "terminate_workers", None)  # Python 3.14
        if terminate is not None:
            terminate()
            return
        processes = list((getattr(self.pool, "_processes", None) or {}).values())  # before 3.14
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()


_STARTED: ContextVar[FigureWorkers | None] = ContextVar("figure_workers", default=None)


@contextlib.contextmanager
def workers_started(jobs: int) -> Iterator[FigureWorkers | None]:
    """Start ``jobs - 1`` drawing workers now; the first :func:`draw_figures` inside the block uses them.

    For a command that will draw figures: the workers' start-up (about a second of
    imports each) then overlaps this process's own imports, reading and estimation.
    With ``jobs`` 1 nothing is started. On an exception the workers are stopped without
    drawing anything more.
    """
    if jobs <= 1:
        yield None
        return
    workers = FigureWorkers(jobs - 1)
    token = _STARTED.set(workers)
    try:
        yield workers
    except BaseException:
        workers.close(cancel=True)
        raise
    else:
        workers.close()
    finally:
        _STARTED.reset(token)


def warm_up() -> None:
    """Import what drawing needs and draw one small figure (fonts, caches)."""
    import matplotlib as mpl

    import eventstudy.output.figures.caar
    import eventstudy.output.figures.forest
    import eventstudy.output.figures.pair
    import eventstudy.output.figures.timeline  # noqa: F401
    from eventstudy.output.figures.glyphs import GlyphCacheCanvas
    from eventstudy.output.figures.style import new_figure

    with mpl.rc_context(cast(Any, STYLE)):
        figure = new_figure((1.0, 1.0))
        figure.add_subplot().set_title("warm-up")
        fix_layout(figure)
        GlyphCacheCanvas(figure).draw()


def start_worker() -> None:
    """A drawing worker's start (:class:`FigureWorkers`): warnings shown as one line,
    :func:`warm_up`, and an exit without the interpreter's teardown.

    Freeing pandas and matplotlib takes a worker about 0.3 s, which the command waits for
    as it exits, and a worker has nothing to finish (each figure's files are closed when
    written; the pool has its answer before the worker exits).
    """
    import atexit
    import warnings

    from eventstudy.errors import print_warning

    warnings.showwarning = print_warning  # one line each, as the command line prints them
    warm_up()
    atexit.register(_exit_now)


def _exit_now() -> None:
    """The last exit handler of a worker (registered last, run first): leave at once."""
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def draw_figures(tasks: Sequence[DrawTask], jobs: int = 1,
                 on_done: Callable[[int, int], None] | None = None,
                 meanwhile: Callable[[], None] | None = None) -> None:
    """Write every figure of ``tasks``, using up to ``jobs`` processes (this one included).

    Parameters
    ----------
    tasks
        ``(draw, files)`` per figure; ``draw`` must be picklable for ``jobs > 1``.
    jobs
        Processes drawing at once; 1 draws here only. Workers started by an enclosing
        :func:`workers_started` are used (at most ``jobs - 1`` of them) for any number of
        figures; otherwise fewer than :data:`MIN_FIGURES_FOR_WORKERS` figures are drawn here.
    on_done
        Called with ``(done, total)`` after each figure (in this process).
    meanwhile
        Other work of this process (writing the tables), done once the workers have
        their first figures and before this process draws any; without workers, first.
    """
    total = len(tasks)
    done = 0

    def finished() -> None:
        nonlocal done
        done += 1
        if on_done is not None:
            on_done(done, total)

    started = _STARTED.get()
    if started is not None and started.retired:
        started = None
    workers = min(max(jobs, 1), total) - 1
    if started is not None:
        workers = min(workers, started.count)
    meanwhile = meanwhile or (lambda: None)
    if workers < 1 or (started is None and total < MIN_FIGURES_FOR_WORKERS):
        meanwhile()
        for draw, files in tasks:
            write_figure(draw, files)
            finished()
        return
    if started is not None:
        _share(started.pool, workers, tasks, finished, meanwhile)
        started.retire()
        return
    import multiprocessing

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        _share(pool, workers, tasks, finished, meanwhile)


def _share(pool: ProcessPoolExecutor, workers: int, tasks: Sequence[DrawTask],
           finished: Callable[[], None], meanwhile: Callable[[], None]) -> None:
    """Draw ``tasks`` here from the front while ``workers`` processes of ``pool`` take them from the back.

    A figure a worker finishes hands it the next one at once (from the future's completion
    callback), so that no worker waits for this process to finish ``meanwhile`` or its own
    figure; each has a second figure queued, except near the end, where it would hold a
    figure back while this process is idle.
    ``meanwhile`` runs here once the workers have their first figures.
    """
    queue = deque(tasks)
    lock = threading.RLock()  # a callback may run at once, in the thread that adds it
    submitted: list[Future[None]] = []
    reported: set[Future[None]] = set()

    def in_flight() -> list[Future[None]]:
        with lock:
            return [f for f in submitted if not f.done()]

    def hand_out(_: object = None) -> None:
        with lock:
            # a second figure queued per worker saves it the hand-over, but not near the end,
            # where it would keep the worker busy while this process has nothing left to draw
            while queue and len(in_flight()) < (2 * workers if len(queue) > 2 * workers else workers):
                draw, files = queue.pop()  # workers take from the back
                future = pool.submit(write_figure, draw, files)
                submitted.append(future)
                future.add_done_callback(hand_out)

    def report() -> None:
        with lock:
            done = [f for f in submitted if f.done() and f not in reported]
        for future in done:
            reported.add(future)
            future.result()  # a worker's exception is raised here
            finished()

    def take() -> DrawTask | None:
        with lock:
            return queue.popleft() if queue else None  # this process takes from the front

    try:
        hand_out()
        meanwhile()
        report()
        while (task := take()) is not None:
            write_figure(*task)
            finished()
            report()
        while pending := in_flight():
            wait(pending, return_when=FIRST_COMPLETED)
            report()
        report()
    except BaseException:  # no worker may still write into the folder once the caller cleans up
        with lock:
            queue.clear()
        for future in submitted:
            future.cancel()
        wait(submitted)
        raise


def save_png(figure: Figure, path: Path) -> None:
    """PNG at :data:`PNG_DPI`, reduced to a 256-colour palette (fast octree: about a third of the
    size of full colour, indistinguishable for line art, and six times quicker than median cut).

    The figure is rendered once by an Agg canvas and its RGBA buffer encoded by Pillow:
    ``savefig`` would add a hidden rendering pass whenever the figure has a layout engine
    (even the inactive one :func:`fix_layout` leaves), and copy the buffer; the pixels are
    the same.
    """
    import numpy as np
    from PIL import Image

    from eventstudy.output.figures.glyphs import GlyphCacheCanvas

    figure.dpi = PNG_DPI
    # the canvas of fix_layout keeps its renderer, and with it the text extents measured there
    canvas = figure.canvas if isinstance(figure.canvas, GlyphCacheCanvas) else GlyphCacheCanvas(figure)
    canvas.draw()
    height, width, _ = np.asarray(canvas.buffer_rgba()).shape
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    paletted = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    paletted.save(path, format="PNG", compress_level=6, dpi=(PNG_DPI, PNG_DPI))


def _metadata(fmt: str) -> dict[str, Any]:
    """Reproducible files: no creation date in SVG/PDF."""
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return {}
