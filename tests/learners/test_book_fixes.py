"""_ext/book_fixes.py: the site-root favicon.ico is drawn from the book's SVG favicon."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _ext():
    spec = importlib.util.spec_from_file_location("_book_fixes", ROOT / "_ext" / "book_fixes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_svg_favicon_becomes_an_ico_with_its_colours(tmp_path):
    from PIL import Image

    target = tmp_path / "favicon.ico"
    _ext().svg_to_ico((ROOT / "assets" / "favicon.svg").read_text(encoding="utf-8"), target)
    with Image.open(target) as image:
        assert image.format == "ICO" and {(16, 16), (32, 32), (48, 48)} <= set(image.info["sizes"])
        pixels = image.convert("RGB")
        r, g, b = pixels.getpixel((24, 5))                                      # top edge: the blue square
        assert b > r and b > 100
        colours = {pixels.getpixel((x, y)) for x in range(48) for y in range(48)}
        assert any(r > 200 and g > 150 and b < 120 for r, g, b in colours)     # the orange nodes


def test_an_unsupported_svg_element_is_refused(tmp_path):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><path d="M0 0L5 5"/></svg>'
    with pytest.raises(ValueError, match="<path> is not supported"):
        _ext().svg_to_ico(svg, tmp_path / "x.ico")
