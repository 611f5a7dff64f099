"""Small fixes to the generated pages, so that every page loads with a clean browser console.

- sphinx-thebe registers its inline configuration script once per read phase; with Jupyter Book
  that happens twice, and the second `const THEBE_JS_URL` declaration is a JavaScript error.
  Identical script entries are dropped here, keeping the first.
- ipywidgets' HTML manager (served from _static/vendor/npm/, never a CDN) resolves its fonts and
  any further module through require.js. Pages with widgets get a require.js `baseUrl` and a
  widget "CDN" that both point at the book's own copy, relative to the page.
"""

from __future__ import annotations


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {}) or {}
        # the same inline script is registered once with filename None and once with ''
        key = (getattr(script, "filename", None) or "", tuple(sorted(attributes.items())))
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    context["script_files"] = unique


NPM_DIR = "_static/vendor/npm/"


def _local_widget_modules(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files") or []
    names = [str(getattr(s, "filename", "") or "") for s in scripts]
    if not any(n.endswith("embed-amd.js") for n in names):
        return
    from sphinx.builders.html._assets import _JavaScript

    base = context["pathto"](NPM_DIR, 1)
    if not base.endswith("/"):
        base += "/"
    patched = []
    for script, name in zip(scripts, names):
        if name.endswith("require.js"):
            patched.append(_JavaScript(None, body=f'var require = {{baseUrl: "{base}"}};'))
        if name.endswith("embed-amd.js"):
            script = _JavaScript(script.filename, priority=script.priority, **{
                **script.attributes, "data-jupyter-widgets-cdn": base,
                "data-jupyter-widgets-cdn-only": "true"})
        patched.append(script)
    context["script_files"] = patched


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("html-page-context", _local_widget_modules, priority=901)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
