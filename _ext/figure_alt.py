"""Alt text for every figure, drawn from its caption.

A figure glued from a notebook (``{glue:figure}``) or drawn by ``{figure}`` without ``:alt:`` has
an image node without alt text, and Sphinx then writes the image's path as the alt attribute.
After references are resolved, this extension gives every such image the plain text of its
figure's caption (math as its TeX source, whitespace collapsed). An explicit ``:alt:`` is kept.
A figure without a caption fails the strict build with a warning naming it.
"""

from __future__ import annotations

import posixpath
import re

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _caption_text(figure: nodes.figure) -> str:
    for child in figure.children:
        if isinstance(child, nodes.caption):
            return re.sub(r"\s+", " ", child.astext()).strip()
    return ""


def _looks_like_a_path(alt: str, uri: str) -> bool:
    if not alt:
        return True
    stripped = alt.strip()
    return stripped == uri or posixpath.basename(stripped) == posixpath.basename(uri or "") \
        or bool(re.fullmatch(r"[\w./\\-]+\.(png|jpe?g|svg|gif|webp)", stripped))


def add_alt_text(app, doctree, docname):
    for figure in doctree.findall(nodes.figure):
        caption = _caption_text(figure)
        for image in figure.findall(nodes.image):
            if not _looks_like_a_path(image.get("alt", ""), image.get("uri", "")):
                continue
            if caption:
                image["alt"] = caption
            else:
                logger.warning("figure %s has no caption to draw its alt text from; add a "
                               "caption or an explicit :alt:", figure.get("ids") or image.get("uri"),
                               location=figure)


def setup(app):
    app.connect("doctree-resolved", add_alt_text)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
