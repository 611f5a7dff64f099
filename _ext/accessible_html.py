"""Fixes to the generated pages that axe-core reports as WCAG 2.1 A/AA violations.

The markup comes from the theme's templates and from Sphinx extensions, not from the book's
sources, so each written page is corrected once the build has finished (idempotent):

- WCAG 2.5.3 "label in name": a control's accessible name must contain its visible text.
  myst-nb names the "Show code cell source" toggle "Toggle hidden content" (dropped: its visible
  text names it); the theme's search field is named "Search" while it shows "Search Ctrl+K"
  (dropped: its text names it); the colour-mode button's icons carry titles ("Light", "Dark",
  "System Settings") that become text inside a button named "Color mode" (the titles go; the
  button keeps its name).
- ARIA 1.2 deprecates ``doc-biblioentry``, which docutils gives each citation of a
  ``role="list"``; a list must hold list items, so each citation becomes ``role="listitem"``.

Colour contrast (links on the tinted backgrounds of definitions and theorems) is fixed in
_ext/static/book_layout.css. tests/book/test_accessibility.py runs axe on every page.
"""

from __future__ import annotations

import re
from pathlib import Path

FIXES: list[tuple[re.Pattern, str]] = [
    (re.compile(r'<summary aria-label="Toggle hidden content">'), "<summary>"),
    (re.compile(r'(<button class="btn search-button-field[^"]*"[^>]*?)\s+aria-label="Search"'), r"\1"),
    (re.compile(r'(<i class="theme-switch [^"]*"[^>]*?)\s+title="[^"]*"'), r"\1"),
    (re.compile(r'(<div class="citation" id="[^"]*") role="doc-biblioentry"'), r'\1 role="listitem"'),
]


def fix_html(text: str) -> str:
    """`text` (a written page) with every fix of `FIXES` applied."""
    for pattern, replacement in FIXES:
        text = pattern.sub(replacement, text)
    return text


def _fix_pages(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = fix_html(text)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def setup(app):
    app.connect("build-finished", _fix_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
