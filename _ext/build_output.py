"""Nothing of the build machine reaches the reader: outputs name paths relative to the repository.

A traceback that a page shows on purpose (a cell tagged ``raises-exception``) names the files
of its frames, and so does a printed path: as executed, they are absolute paths of the machine
that built the book (``/home/<someone>/nnkit-book/nnkit/optim.py``). Every code-cell output is
rewritten here, right after its page is parsed, so that

- a file inside the repository is named relative to it (``nnkit/optim.py``,
  ``.venv/lib/python3.11/site-packages/numpy/...`` when the environment lives there),
- a file of an installed package outside the repository as ``<site-packages>/numpy/...``,
- a file of Python's standard library as ``<stdlib>/contextlib.py``.

The repository root is where the book's ``_config.yml`` really lives (tools/build_chapter.py
builds a small book of symbolic links to it). Cells that write to stderr fail the strict build
instead (``nb_output_stderr: error`` in _config.yml); tests/book/test_build_output.py checks both.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

from docutils import nodes


def path_prefixes(confdir: str | Path) -> list[tuple[str, str]]:
    """(absolute prefix, what a page shows instead), longest prefix first."""
    confdir = Path(confdir)
    config = confdir / "_config.yml"
    root = config.resolve().parent if config.exists() else confdir.resolve()
    pairs: dict[str, str] = {}
    for label, key in (("<stdlib>", "stdlib"), ("<stdlib>", "platstdlib"),
                       ("<site-packages>", "purelib"), ("<site-packages>", "platlib")):
        where = sysconfig.get_paths().get(key)
        if where:
            pairs[str(Path(where))] = label
    for where in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        if len(Path(where).parts) > 2:   # not a bare /usr: too short to be told from other text
            pairs.setdefault(str(Path(where)), "<python>")
    for where in {str(confdir), str(confdir.resolve()), str(root)}:
        pairs[where] = ""        # inside the repository: the relative path itself
    return sorted(pairs.items(), key=lambda item: -len(item[0]))


def relative_paths(text: str, prefixes: list[tuple[str, str]]) -> str:
    """`text` with every absolute prefix of `prefixes` replaced (``/repo/nnkit/x.py`` -> ``nnkit/x.py``)."""
    for prefix, label in prefixes:
        if prefix in ("", "/"):
            continue
        text = text.replace(prefix + "/", f"{label}/" if label else "")
        text = text.replace(prefix, label or ".")
    return text


def _is_output(node) -> bool:
    classes = set(node.get("classes", []))
    if classes & {"output", "traceback", "stream", "stderr", "text_plain", "text_html"}:
        return True
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.Element) and {"cell_output", "output"} & set(parent.get("classes", [])):
            return True
        parent = parent.parent
    return False


def _rewrite_outputs(app, doctree):
    prefixes = path_prefixes(app.confdir)
    for block in doctree.findall(lambda n: isinstance(n, (nodes.literal_block, nodes.raw))):
        if not _is_output(block):
            continue
        old = block.astext()
        new = relative_paths(old, prefixes)
        if new == old:
            continue
        rawsource_was_text = block.rawsource == old
        block.clear()
        block += nodes.Text(new)
        if rawsource_was_text or not block.rawsource:
            block.rawsource = new   # Sphinx highlights a literal block only if the two agree


def setup(app):
    app.connect("doctree-read", _rewrite_outputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
