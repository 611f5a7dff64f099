"""The PDF (`make pdf`, Sphinx's LaTeX builder): explorers as pictures, a book's structure.

1. An explorer becomes its initial frame with a note that it is interactive online
   (`ExplorerStillFrame`).
2. The introduction (the root page) is unnumbered front matter, so the chapters keep the numbers
   they have in the HTML book, and each caption of ``_toc.yml`` ("Chapters", "Exercises", ...)
   starts a LaTeX part (`BookStructure`).

Explorers
---------

An `nnkit.book.widgets.Explorer` displays as HTML only (controls, pictures and a script), which
LaTeX cannot show: myst-nb would fall back to the explorer's plain-text repr. For builders that
cannot render HTML (LaTeX), this post-transform runs before myst-nb picks a mime type
(`SelectMimeType`, priority 4): it finds mime bundles whose HTML is an explorer block, takes the
picture the explorer shows when the page loads (the ``<img>`` of the block, a PNG or SVG data
URI), writes it next to the LaTeX sources and puts that image and a short note in the bundle's
place. The note names the explorer's controls and the setting the picture shows.
"""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

FRAME_DIR = "explorer-frames"
_EXTENSIONS = {"image/png": ".png", "image/svg+xml": ".svg"}


class _ExplorerBlock(HTMLParser):
    """Reads the first explorer block of an HTML fragment: title, control labels, first image."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = False
        self.title = ""
        self.controls: list[str] = []
        self.src = None
        self.alt = ""
        self._depth = 0  # <div> nesting inside the explorer block
        self._in_label_span = False
        self._in_label = False
        self._title_div = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if not self.found:
            if tag == "div" and "nnkit-explorer" in (a.get("class") or "").split():
                self.found = True
                self._depth = 1
                self.title = a.get("aria-label") or ""
            return
        if self._depth == 0:
            return
        if tag == "div":
            self._depth += 1
        elif tag == "label":
            self._in_label = True
        elif tag == "span" and self._in_label:
            self._in_label_span = True
            self.controls.append("")
        elif tag == "img" and self.src is None:
            self.src = a.get("src")
            self.alt = a.get("alt") or ""

    def handle_endtag(self, tag):
        if not self.found or self._depth == 0:
            return
        if tag == "div":
            self._depth -= 1
        elif tag == "label":
            self._in_label = False
        elif tag == "span":
            self._in_label_span = False

    def handle_data(self, data):
        if self._in_label_span and self.controls:
            self.controls[-1] += data


def parse_explorer(html: str) -> _ExplorerBlock | None:
    """The explorer block in `html`, or None if there is none. Its `src` is the first image's
    data URI, or None when the page's script draws the pictures (computed explorers)."""
    if "nnkit-explorer" not in html:
        return None
    block = _ExplorerBlock()
    block.feed(html)
    block.close()
    if not block.found:
        return None
    if not (block.src or "").startswith("data:"):
        block.src = None
    return block


def frame_bytes(src: str) -> tuple[str, bytes]:
    """(mime type, bytes) of a ``data:<mime>;base64,<data>`` URI."""
    head, _, data = src.partition(",")
    mime = head[len("data:"):].split(";")[0]
    if ";base64" not in head or mime not in _EXTENSIONS:
        raise ValueError(f"unsupported explorer image {head[:40]!r}")
    return mime, base64.b64decode(data)


def note_text(block: _ExplorerBlock) -> str:
    """The sentence printed under an explorer's picture: its title, controls and setting."""
    controls = ", ".join(c.strip() for c in block.controls if c.strip())
    prefix = f"{block.title}: "
    setting = (block.alt[len(prefix):] if block.alt.startswith(prefix)
               else block.alt.rpartition(": ")[2])
    text = "Interactive figure in the online book"
    if block.title and block.title != "Interactive figure":
        text += f" ({block.title})"
    if controls:
        text += f", with controls for {controls}"
    text += ". Printed here at its initial setting"
    return text + (f" ({setting})." if setting else ".")


def _is_bundle(node) -> bool:
    return isinstance(node, nodes.container) and node.get("nb_element", "") == "mime_bundle"


class ExplorerStillFrame(SphinxPostTransform):
    default_priority = 3  # before myst-nb's SelectMimeType (4)
    builders = ("latex",)

    def run(self, **kwargs) -> None:
        outdir = Path(self.app.builder.outdir)
        for bundle in list(self.document.findall(_is_bundle)):
            html_parts = [c for c in bundle.children if c.get("mime_type") == "text/html"]
            if not html_parts:
                continue
            block = parse_explorer(html_parts[0].astext())
            if block is None:
                continue
            if block.src is None:
                # drawn by the page's script: the PNG of its initial picture, which the explorer
                # puts in its bundle for formats that cannot run scripts
                found = self._bundle_png(bundle)
                if found is None:
                    bundle.replace_self([nodes.paragraph("", "", nodes.emphasis(
                        "", note_text(block) + " See the online book for its picture."))])
                    continue
                mime, data = found
            else:
                mime, data = frame_bytes(block.src)
            if mime != "image/png":  # xelatex embeds PNG, not SVG: the note alone, saying so
                note = nodes.paragraph("", "", nodes.emphasis("", note_text(block) + (
                    " Its pictures are SVG drawings, which this PDF cannot embed; see the online book.")))
                bundle.replace_self([note])
                continue
            name = hashlib.sha256(data).hexdigest()[:16] + _EXTENSIONS[mime]
            target = outdir / FRAME_DIR / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                target.write_bytes(data)
            uri = f"{FRAME_DIR}/{name}"
            image = nodes.image(uri=uri, alt=block.alt or block.title, candidates={"?": uri})
            text = note_text(block)
            note = nodes.paragraph("", "", nodes.emphasis("", text))
            bundle.replace_self([image, note])


    def _bundle_png(self, bundle) -> tuple[str, bytes] | None:
        """("image/png", bytes) of the PNG output myst-nb wrote for this bundle, if any."""
        for part in bundle.children:
            if part.get("mime_type") != "image/png":
                continue
            for image in part.findall(nodes.image):
                uri = image.get("uri", "")
                for base in (Path(self.app.srcdir), Path(self.env.doc2path(self.env.docname)).parent):
                    path = Path(uri) if Path(uri).is_absolute() else base / uri
                    if path.is_file():
                        return "image/png", path.read_bytes()
        return None


def _raw(latex: str) -> nodes.raw:
    return nodes.raw("", latex + "\n", format="latex")


def _toc_captions(env) -> dict[str, str]:
    """docname -> caption of its part in ``_toc.yml`` (sphinx-external-toc's site map)."""
    site_map = getattr(env, "external_site_map", None)
    if site_map is None:
        return {}
    captions = {}
    for tree in getattr(site_map.root, "subtrees", []):
        for name in tree.files():
            if tree.caption:
                captions[name] = tree.caption
    return captions


class BookStructure(SphinxPostTransform):
    """Runs on the assembled book (root page with every page inlined in toctree order)."""

    default_priority = 5
    builders = ("latex",)

    def run(self, **kwargs) -> None:
        tops = [n for n in self.document.findall(addnodes.start_of_file)
                if not any(isinstance(a, addnodes.start_of_file) for a in _ancestors(n))]
        if not tops:
            return  # not the assembled book
        first_section = next(iter(self.document.findall(nodes.section)), None)
        if first_section is None:
            return
        # front matter: no numbers until the first page of the table of contents
        title_index = first_section.first_child_matching_class(nodes.title)
        first_section.insert(0 if title_index is None else title_index + 1, _raw(
            "\\edef\\nnkitsecnumdepth{\\the\\value{secnumdepth}}\\setcounter{secnumdepth}{-1}"))
        tops[0].parent.insert(tops[0].parent.index(tops[0]),
                              _raw("\\setcounter{secnumdepth}{\\nnkitsecnumdepth}"))
        captions = _toc_captions(self.env)
        previous = None
        for sof in tops:
            caption = captions.get(sof.get("docname"))
            if caption and caption != previous:
                sof.parent.insert(sof.parent.index(sof), _raw(f"\\part{{{_latex_escape(caption)}}}"))
            previous = caption


def _ancestors(node):
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


def _latex_escape(text: str) -> str:
    for char in "\\{}$&#^_%~":
        text = text.replace(char, "\\" + char if char not in "\\^~" else "")
    return text


def setup(app):
    app.add_post_transform(ExplorerStillFrame)
    app.add_post_transform(BookStructure)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
