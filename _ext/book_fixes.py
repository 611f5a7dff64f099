"""Small fixes to the generated pages, so that every page loads with a clean browser console.

- sphinx-thebe registers its inline configuration script once per read phase; with Jupyter Book
  that happens twice, and the second `const THEBE_JS_URL` declaration is a JavaScript error.
  Identical script entries are dropped here, keeping the first.
- ipywidgets' HTML manager (served from _static/vendor/npm/, never a CDN) resolves its fonts and
  any further module through require.js. Pages with widgets get a require.js `baseUrl` and a
  widget "CDN" that both point at the book's own copy, relative to the page.
- Browsers ask every site for /favicon.ico when a page names no icon, which Jupyter Book's
  redirecting index.html does not: a 404 in the console. The build writes favicon.ico at the
  root of the site, rasterized with Pillow (matplotlib's dependency) from the rectangles, lines
  and circles of the book's SVG favicon (``html: favicon`` in _config.yml).
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


def svg_to_ico(svg_text: str, target, sizes=(16, 32, 48)) -> None:
    """Rasterize a flat SVG icon (rect, line and circle elements only) into a .ico file."""
    import xml.etree.ElementTree as ET

    from PIL import Image, ImageDraw

    root = ET.fromstring(svg_text)
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    scale = 256 / max(width, height)                       # draw large, then downsample
    image = Image.new("RGBA", (round(width * scale), round(height * scale)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def walk(node, inherited):
        style = {**inherited, **{k: v for k, v in node.attrib.items()
                                 if k in ("fill", "stroke", "stroke-width")}}
        tag = node.tag.rsplit("}", 1)[-1]
        num = lambda name: float(node.get(name, 0)) * scale  # noqa: E731
        if tag == "rect":
            box = (num("x"), num("y"), num("x") + num("width"), num("y") + num("height"))
            draw.rounded_rectangle(box, radius=num("rx"), fill=style.get("fill"))
        elif tag == "line":
            draw.line((num("x1"), num("y1"), num("x2"), num("y2")), fill=style.get("stroke"),
                      width=round(float(style.get("stroke-width", 1)) * scale))
        elif tag == "circle":
            r = num("r")
            draw.ellipse((num("cx") - r, num("cy") - r, num("cx") + r, num("cy") + r),
                         fill=style.get("fill"))
        elif tag not in ("svg", "g"):
            raise ValueError(f"svg_to_ico: <{tag}> is not supported; use rect, line and circle")
        for child in node:
            walk(child, style)

    walk(root, {})
    image.save(target, format="ICO", sizes=[(n, n) for n in sizes])


def _root_favicon(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    from pathlib import Path

    favicon = app.config.html_favicon
    if not favicon or not str(favicon).endswith(".svg"):
        return
    source = Path(app.confdir) / favicon
    svg_to_ico(source.read_text(encoding="utf-8"), Path(app.outdir) / "favicon.ico")


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("html-page-context", _local_widget_modules, priority=901)
    app.connect("build-finished", _root_favicon)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
