"""Generate a Jupyter notebook for every chapter, for Colab, Binder and downloads.

The chapters are MyST Markdown notebooks (`chapters/*.md`); Colab opens only ``.ipynb`` files.
For each page of ``_toc.yml`` that is a MyST notebook (its front matter has a ``kernelspec``)
this writes ``notebooks/<name>.ipynb``: the same cells (converted by jupytext), unexecuted,
preceded by a cell that installs nnkit when it is missing (`notebook_setup.install_cell`).
The book's launch buttons on a chapter page open that notebook (`_ext/chapter_launch.py`).

Cell ids are numbered, so the output depends on the sources only, and a notebook is rewritten
only when its content changed. `tests/learners/test_generated_notebooks.py` checks that the
committed notebooks equal what this script makes: edit a chapter, run `make notebooks`, commit both.

Usage::

    python tools/chapter_notebooks.py            # every chapter
    python tools/chapter_notebooks.py --out DIR  # somewhere else
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = "notebooks"
DEFAULT_OUT = ROOT / NOTEBOOK_DIR
# what the chapters import beyond nnkit itself: the `chapters` extra of pyproject.toml
EXTRA = "chapters"
NEEDED_MODULES = ["nnkit", "matplotlib", "myst_nb", "sklearn"]


def _setup_module():
    spec = importlib.util.spec_from_file_location("_notebook_setup", Path(__file__).with_name("notebook_setup.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def notebook_path(docname: str) -> str:
    """Repository-relative path of the notebook generated for the page `docname`.

    ``chapters/01_neurons`` -> ``notebooks/01_neurons.ipynb``.
    """
    return f"{NOTEBOOK_DIR}/{Path(docname).name}.ipynb"


def _toc_files(entry) -> list[str]:
    found = []
    if isinstance(entry, dict):
        for key, value in entry.items():
            if key in ("file", "root") and isinstance(value, str):
                found.append(value)
            else:
                found += _toc_files(value)
    elif isinstance(entry, list):
        for item in entry:
            found += _toc_files(item)
    return found


def _front_matter(text: str) -> dict:
    import yaml

    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---", 4)
    if end < 0:
        return {}
    data = yaml.safe_load(text[4:end])
    return data if isinstance(data, dict) else {}


def chapter_sources(root: Path = ROOT) -> list[Path]:
    """The MyST notebook pages of the book, in table-of-contents order."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    pages = []
    for name in _toc_files(toc):
        path = root / f"{Path(name).with_suffix('')}.md"
        if path.is_file() and "kernelspec" in _front_matter(path.read_text(encoding="utf-8")):
            pages.append(path)
    stems = [p.stem for p in pages]
    clashes = sorted({s for s in stems if stems.count(s) > 1})
    if clashes:
        raise SystemExit(f"two chapters would share a notebook name: {clashes}")
    return pages


def chapter_notebook(source: Path) -> nbformat.NotebookNode:
    """The notebook for one MyST chapter: install cell, then the chapter's own cells."""
    import jupytext

    setup = _setup_module()
    nb = jupytext.read(source, fmt="md:myst")
    comments = [
        f"This notebook is the runnable version of the book's chapter {source.stem!r}; the",
        "book itself shows the same text with every figure and number computed.",
        "This first cell installs nnkit and what the chapter imports if they are missing",
        "(on Colab, for example); where they are installed already it does nothing.",
    ]
    install = setup.install_cell(EXTRA, NEEDED_MODULES, comments)
    cells = [install]
    for i, cell in enumerate(nb.cells, start=1):
        cell.id = f"cell-{i:03d}"
        cells.append(cell)
    out = nbformat.v4.new_notebook()
    out.cells = cells
    out.metadata = {
        "kernelspec": dict(nb.metadata.get("kernelspec") or
                           {"display_name": "Python 3", "language": "python", "name": "python3"}),
        "language_info": {"name": "python"},
    }
    nbformat.validate(out)
    return out


def write_chapter_notebooks(out: Path = DEFAULT_OUT, root: Path = ROOT) -> list[Path]:
    """Write ``out/<chapter>.ipynb`` for every chapter; return the paths written or unchanged."""
    setup = _setup_module()
    return [setup.write_if_changed(chapter_notebook(src), out / Path(notebook_path(src.stem)).name)
            for src in chapter_sources(root)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    written = write_chapter_notebooks(args.out)
    expected = {p.name for p in written}
    for stale in sorted(args.out.glob("*.ipynb")):
        if stale.name not in expected:  # a chapter removed from the table of contents
            stale.unlink()
            print(f"removed {stale.name}")
    for path in written:
        try:
            print(path.relative_to(ROOT))
        except ValueError:
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
