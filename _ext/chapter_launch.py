"""Launch buttons of MyST chapters open the generated notebook, not the Markdown source.

sphinx-book-theme builds its Binder, JupyterHub and Colab links from the page's source path, so
on a chapter written in MyST Markdown they point at ``chapters/<name>.md``, which Colab cannot
open. `tools/chapter_notebooks.py` writes a notebook for every chapter; this extension swaps the
source path in each launch link for that notebook's path (`chapter_notebooks.notebook_path`).
Pages that are notebooks already (the exercises) keep their links.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_TOOL = Path(__file__).resolve().parent.parent / "tools" / "chapter_notebooks.py"


def _notebook_path(docname: str) -> str:
    spec = importlib.util.spec_from_file_location("_chapter_notebooks", _TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.notebook_path(docname)


def _launch_links(buttons):
    for button in buttons or []:
        if isinstance(button, dict):
            if button.get("type") == "link" and isinstance(button.get("url"), str):
                yield button
            yield from _launch_links(button.get("buttons"))


def _point_at_notebooks(app, pagename, templatename, context, doctree):
    suffix = context.get("page_source_suffix") or Path(app.env.doc2path(pagename)).suffix
    if suffix != ".md":
        return
    groups = [b for b in context.get("header_buttons") or [] if isinstance(b, dict)
              and b.get("label") == "launch-buttons"]
    if not groups:
        return
    prefix = (app.config.html_theme_options.get("path_to_docs") or "").strip("/")
    source = f"{prefix + '/' if prefix else ''}{pagename}.md"
    target = f"{prefix + '/' if prefix else ''}{_notebook_path(pagename)}"
    for button in _launch_links(groups):
        button["url"] = button["url"].replace(source, target)


def setup(app):
    # after sphinx-book-theme's add_launch_buttons (priority 501)
    app.connect("html-page-context", _point_at_notebooks, priority=510)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
