"""A Sphinx extension that keeps the book's pages from naming a CDN for thebe.

Jupyter Book always loads `sphinx_thebe`, which writes into every page a script holding the
address of thebe on unpkg.com and loads ``sphinx-thebe.js``/``.css``, even when the book's
live-code button is off (``launch_buttons: thebe: false`` in ``_config.yml``). The book works
offline and has no live-code button, so when that button is off this extension drops those
three assets from every page. With the button on it refuses to build: thebe would then be
fetched from the CDN when a reader presses it.

Enable it in ``_config.yml`` under ``sphinx: extra_extensions``.
"""

from __future__ import annotations

__all__ = ["is_thebe_asset", "setup"]


def is_thebe_asset(asset) -> bool:
    """True for sphinx-thebe's script, stylesheet, and inline configuration (a CDN address)."""
    filename = str(getattr(asset, "filename", "") or "")
    body = str(getattr(asset, "attributes", {}).get("body", "") or "")
    return "sphinx-thebe" in filename or "THEBE_JS_URL" in body or "thebe@" in filename


def _thebe_button_on(app) -> bool:
    options = app.config.html_theme_options or {}
    return bool((options.get("launch_buttons") or {}).get("thebe", False))


def _check(app, config) -> None:
    if _thebe_button_on(app):
        from sphinx.errors import ConfigError

        raise ConfigError(
            "launch_buttons.thebe is on, but thebe is loaded from unpkg.com when a reader "
            "presses the button and the book must work offline. Set `thebe: false` under "
            "`launch_buttons` in _config.yml, or remove nnkit.book.sphinx_offline and vendor "
            "thebe first.")


def _drop_thebe(app, pagename, templatename, context, doctree) -> None:
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [a for a in context[key] if not is_thebe_asset(a)]


def setup(app):
    app.connect("config-inited", _check)
    app.connect("html-page-context", _drop_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
