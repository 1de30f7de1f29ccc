"""An Agg canvas that rasterises each glyph once per sub-pixel position: the same pixels, sooner.

matplotlib 3.11 draws text glyph by glyph in Python (``RendererAgg._draw_text_glyphs_and_boxes``):
for every glyph it sets the font size, builds the transform and has FreeType render the
glyph at its position in 1/64 of a pixel. That loop is half the time of rasterising a
figure. The figures draw the same few characters (digits, month names, tick labels) over
and over: in the seed case's 36 figures, four glyphs in five repeat one already rendered
at the same fraction of a pixel. FreeType hints a glyph before it moves it, so a glyph
translated by whole pixels is the same bitmap, moved by those pixels (FreeType
documentation, ``FT_Set_Transform``: the delta is applied to the loaded, hinted outline).
:class:`GlyphCacheRenderer` therefore keeps each bitmap by (font, size, resolution, glyph,
angle, slant, extend, hinting, position modulo one pixel) and places it again.

Mathematical text (rules as well as glyphs) and non-antialiased text go the stock way,
and so does everything when the installed matplotlib's method differs from the one this
module replaces (:data:`SUPPORTED`). ``tests/test_figures_parallel.py`` checks that every
seed figure has the pixels of the stock renderer.
"""

from __future__ import annotations

import functools
import inspect
import math
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.ft2font import RenderMode

_REPLACED = ["self", "gc", "x", "y", "angle", "glyphs", "boxes"]
SUPPORTED = (hasattr(RendererAgg, "_draw_text_glyphs_and_boxes")
             and list(inspect.signature(RendererAgg._draw_text_glyphs_and_boxes).parameters) == _REPLACED)
MAX_BITMAPS = 50_000  # glyph bitmaps kept by a process (a few hundred bytes each)

_BITMAPS: dict[tuple[Any, ...], tuple[np.ndarray, int, int]] = {}


@functools.lru_cache(maxsize=64)
def _matrix(cos: float, sin: float, slant: float, extend: float) -> np.ndarray:
    """FreeType's 16.16 transform of a glyph, as matplotlib computes it."""
    return (0x10000 * np.array([[cos, -sin], [sin, cos]])
            @ [[extend, extend * slant], [0, 1]]).round().astype(int)


class GlyphCacheRenderer(RendererAgg):
    """:class:`RendererAgg` placing glyph bitmaps already rendered at the same sub-pixel offset."""

    def _draw_text_glyphs_and_boxes(self, gc: Any, x: float, y: float, angle: float, glyphs: Any,
                                    boxes: Any) -> None:
        if boxes or not gc.get_antialiased():
            super()._draw_text_glyphs_and_boxes(gc, x, y, angle, glyphs, boxes)
            return
        cos = math.cos(math.radians(angle))
        sin = math.sin(math.radians(angle))
        flags = get_hinting_flag()
        height = self.height
        draw = self._renderer.draw_text_image
        if len(_BITMAPS) > MAX_BITMAPS:
            _BITMAPS.clear()
        for font, size, index, slant, extend, dx, dy in glyphs:  # dy is upwards
            column = round(0x40 * (x + dx * cos - dy * sin))  # 26.6 fixed point, FreeType's y upwards
            row = round(0x40 * (height - y + dx * sin + dy * cos))
            key = (font, size, self.dpi, index, angle, slant, extend, flags, column & 63, row & 63)
            bitmap = _BITMAPS.get(key)
            if bitmap is None:
                font.set_size(size, self.dpi)
                font._set_transform(_matrix(cos, sin, slant, extend), [column & 63, row & 63])
                rendered = font._render_glyph(index, flags, RenderMode.NORMAL)
                bitmap = _BITMAPS[key] = (rendered.buffer, rendered.left, rendered.top)
            buffer, left, top = bitmap
            # the bitmap rendered at the offset within the pixel, moved by the whole pixels
            draw(buffer, left + (column >> 6), int(height) - (top + (row >> 6)) + buffer.shape[0], 0, gc)


class GlyphCacheCanvas(FigureCanvasAgg):
    """:class:`FigureCanvasAgg` drawing with :class:`GlyphCacheRenderer` (when :data:`SUPPORTED`)."""

    _renderer_key: tuple[int, int, float] | None = None

    def get_renderer(self) -> RendererAgg:
        if not SUPPORTED:
            return super().get_renderer()
        width, height = self.get_width_height(physical=True)
        key = (width, height, self.figure.dpi)
        if self._renderer_key != key:  # one renderer while the size and resolution stay
            self.renderer = GlyphCacheRenderer(width, height, self.figure.dpi)
            self._renderer_key = key
        return self.renderer
