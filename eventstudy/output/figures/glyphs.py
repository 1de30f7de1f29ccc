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
angle, slant, extend, hinting, position modulo one pixel) and places it again. It also
keeps what FreeType computes for a whole string, which depends on nothing but the font,
size, resolution, hinting and the string: its shaped glyphs (``draw_text``) and its extent
(``get_text_width_height_descent``, which matplotlib caches only per renderer, so per figure).

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

_REPLACED = {  # the methods this module builds on or replaces, with their parameters in matplotlib 3.11
    "_draw_text_glyphs_and_boxes": ["self", "gc", "x", "y", "angle", "glyphs", "boxes"],
    "draw_text": ["self", "gc", "x", "y", "s", "prop", "angle", "ismath", "mtext"],
    "get_text_width_height_descent": ["self", "s", "prop", "ismath"],
    "_prepare_font": ["self", "font_prop"],
}
SUPPORTED = all(hasattr(RendererAgg, name) and list(inspect.signature(getattr(RendererAgg, name)).parameters)
                == parameters for name, parameters in _REPLACED.items())
MAX_BITMAPS = 50_000  # glyph bitmaps (a few hundred bytes each), strings or extents kept by a process

_BITMAPS: dict[tuple[Any, ...], tuple[np.ndarray, int, int]] = {}
_SHAPES: dict[tuple[Any, ...], tuple[tuple[Any, int, float, float], ...]] = {}  # a string's glyphs
_EXTENTS: dict[tuple[Any, ...], tuple[float, float, float]] = {}  # a string's width, height, descent


@functools.lru_cache(maxsize=64)
def _matrix(cos: float, sin: float, slant: float, extend: float) -> np.ndarray:
    """FreeType's 16.16 transform of a glyph, as matplotlib computes it."""
    return (0x10000 * np.array([[cos, -sin], [sin, cos]])
            @ [[extend, extend * slant], [0, 1]]).round().astype(int)


class GlyphCacheRenderer(RendererAgg):
    """:class:`RendererAgg` placing glyph bitmaps already rendered at the same sub-pixel offset,
    and keeping each string's shaped glyphs and extent by font, size and resolution."""

    def get_text_width_height_descent(self, s: str, prop: Any, ismath: Any) -> tuple[float, float, float]:
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        font = self._prepare_font(prop)
        flags = get_hinting_flag()
        key = (font, prop.get_size_in_points(), self.dpi, s, flags)
        extent = _EXTENTS.get(key)
        if extent is None:
            font.set_text(s, 0.0, flags=flags)
            width, height = font.get_width_height()  # of the unrotated string, in 1/64 pixel
            extent = _EXTENTS[key] = (width / 64.0, height / 64.0, font.get_descent() / 64.0)
        return extent

    def draw_text(self, gc: Any, x: float, y: float, s: str, prop: Any, angle: float, ismath: Any = False,
                  mtext: Any = None) -> None:
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        if ismath or not isinstance(language, str | None) or not isinstance(features, tuple | None):
            super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            return
        font = self._prepare_font(prop)
        flags = get_hinting_flag()
        size = prop.get_size_in_points()
        key = (font, size, self.dpi, s, flags, features, language)
        shaped = _SHAPES.get(key)
        if shaped is None:
            shaped = _SHAPES[key] = tuple(
                (item.ft_object, item.glyph_index, item.x, item.y)
                for item in font._layout(s, flags=flags, features=features, language=language))
        self._draw_text_glyphs_and_boxes(
            gc, x, y, angle, ((face, size, index, 0, 1, dx, dy) for face, index, dx, dy in shaped), [])

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
        for cache in (_BITMAPS, _SHAPES, _EXTENTS):
            if len(cache) > MAX_BITMAPS:
                cache.clear()
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
