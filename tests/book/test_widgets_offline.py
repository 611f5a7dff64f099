"""ipywidgets' state saved at build time renders in the static page with the bundled manager.

A tiny book with a slider linked (in JavaScript, no kernel) to a text box is built with the
project's configuration and opened in Chromium: the widgets must render from the book's own
copy of require.js and @jupyter-widgets/html-manager, with no request leaving 127.0.0.1, and
moving the slider must update the linked text without a kernel.
"""

from __future__ import annotations

import re

import pytest

from tests.book.minibook import NOTEBOOK_HEADER, ROOT, build
from tests.book.test_browser import visit
from tests.conftest import serve

pytestmark = [pytest.mark.slow, pytest.mark.browser]

WIDGET_PAGE = NOTEBOOK_HEADER + """
# Widgets

```{code-cell} ipython3
import ipywidgets as w
slider = w.IntSlider(value=3, min=0, max=10, description="n")
text = w.IntText(value=3, description="copy")
w.jslink((slider, "value"), (text, "value"))
w.VBox([slider, text])
```
"""


def test_widget_state_renders_offline_and_stays_linked(tmp_path, browser):
    if not (ROOT / "_vendor" / ".vendored.json").exists():
        pytest.fail("_vendor/ is missing: `make book` (or `python tools/vendor_js.py`) fetches it")
    result = build(tmp_path, {"intro": "# Mini\n\nA page.\n", "widgets": WIDGET_PAGE})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (tmp_path / "_build/html/widgets.html").read_text()
    assert "application/vnd.jupyter.widget-state+json" in html
    assert not re.search(r'<script[^>]+src="(https?:)?//', html), "a script is loaded from outside"
    base, server = serve(tmp_path / "_build/html")
    try:
        context = browser.new_context()
        page = context.new_page()
        seen = visit(page, f"{base}/widgets.html", base)
        page.wait_for_selector(".widget-slider", timeout=20_000)
        text_box = page.locator(".widget-text input").first
        assert text_box.input_value() == "3"
        page.locator(".widget-slider .ui-slider-handle, .widget-slider .noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "() => document.querySelector('.widget-text input').value === '4'", timeout=10_000)
        context.close()
    finally:
        server.shutdown()
    assert not seen["outside"], seen["outside"]
    assert not seen["failed"], seen["failed"]
    assert not seen["console"], seen["console"]
