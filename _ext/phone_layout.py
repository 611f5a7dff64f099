"""The book's own stylesheet: pages fit a 390 px phone without sideways scrolling.

Long display equations, wide tables, outputs and explorers scroll inside their own box instead of
widening the page (tested at phone width in tests/book/test_browser.py).
"""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"


def _add_static(app):
    if str(STATIC) not in app.config.html_static_path:
        app.config.html_static_path.append(str(STATIC))


def setup(app):
    app.connect("builder-inited", _add_static)
    app.add_css_file("book_layout.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
