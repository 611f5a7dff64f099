"""The book as a PDF (`make pdf` -> _build/latex/book.pdf): every page of the table of contents,
a table of contents, every figure, every labelled equation, explorers as pictures with a note.

CI runs `make pdf` before the tests. Without TeX Live these tests skip (the PDF cannot exist);
with TeX Live and no PDF they fail and say to run `make pdf`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.pdf

ROOT = Path(__file__).resolve().parents[2]
LATEX = ROOT / "_build" / "latex"
PDF = LATEX / "book.pdf"
EXECUTED = ROOT / "_build" / "jupyter_execute"
NOTE = "Interactive figure in the online book"


@pytest.fixture(scope="module")
def pdf() -> Path:
    if not shutil.which("pdftotext") or not shutil.which("xelatex"):
        pytest.skip("TeX Live or poppler-utils is not installed (`make pdf` installs them)")
    if not PDF.is_file():
        pytest.fail("_build/latex/book.pdf is missing: run `make pdf`")
    return PDF


@pytest.fixture(scope="module")
def text(pdf) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return out


def _flat(s: str) -> str:
    """Comparable text: no hyphenation breaks, one space, no LaTeX-isms of the title."""
    s = s.replace("\u00ad", "").replace("\u2010", "-").replace("\u2011", "-")
    s = re.sub(r"-\s*\n\s*", "-", s)
    return " ".join(s.split())


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = []
    for part in toc.get("parts", []):
        pages += [c["file"] for c in part.get("chapters", [])]
    return pages


def page_title(docname: str) -> str:
    for suffix in (".md", ".ipynb"):
        path = ROOT / f"{docname}{suffix}"
        if not path.exists():
            continue
        if suffix == ".md":
            lines = path.read_text(encoding="utf-8").splitlines()
        else:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            lines = [line for c in cells if c["cell_type"] == "markdown"
                     for line in "".join(c["source"]).splitlines()]
        for line in lines:
            if line.startswith("# "):
                return re.sub(r"[`*]", "", line[2:]).strip()
    raise AssertionError(f"no title in {docname}")


def test_page_count(pdf):
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    chapters = [p for p in toc_pages() if p.startswith("chapters/")]
    # a chapter of this book is far more than a few pages; a runaway printout would be thousands
    assert 8 * len(chapters) <= pages <= 1500, pages


def test_every_page_of_the_toc_is_in_the_pdf_and_its_table_of_contents(pdf, text):
    flat = _flat(text)
    toc = (LATEX / "book.toc").read_text(encoding="utf-8")
    toc_flat = _flat(re.sub(r"\\sphinxhyphen\s*\{\}", "-", toc))
    missing_text, missing_toc = [], []
    for page in toc_pages():
        title = page_title(page)
        if _flat(title) not in flat:
            missing_text.append(title)
        if _flat(title) not in toc_flat:
            missing_toc.append(title)
    assert not missing_text, f"not in the PDF text: {missing_text}"
    assert not missing_toc, f"not in the table of contents: {missing_toc}"
    # the table of contents is printed: its heading and the first chapter with a page number
    head = _flat(subprocess.run(["pdftotext", "-l", "6", str(pdf), "-"], capture_output=True,
                                text=True, check=True).stdout)
    assert "contents" in head.lower()
    assert re.search(r"\b1 " + re.escape(_flat(page_title(toc_pages()[0]))), head), head[:2000]


def _executed_notebooks() -> list[Path]:
    return [EXECUTED / f"{p}.ipynb" for p in toc_pages() if (EXECUTED / f"{p}.ipynb").exists()]


FIGURE_DIRECTIVE = re.compile(r"^(?:`{3,}|:{3,})\{(?:glue:figure|figure|image)\}", re.M)


def _explorer_outputs() -> int:
    return sum(
        "nnkit-explorer" in "".join(out.get("data", {}).get("text/html", ""))
        for nb in _executed_notebooks()
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for out in cell.get("outputs", []))


def test_every_figure_is_in_the_pdf(pdf):
    """Every figure of the book (figure directives, image outputs, explorers) is included, and
    each included picture file exists and is embedded in the PDF."""
    tex = (LATEX / "book.tex").read_text(encoding="utf-8")
    included = re.findall(r"\\sphinxincludegraphics(?:\[[^\]]*\])?\{\{([^}]*)\}(\.\w+)\}", tex)
    for stem, ext in included:
        assert (LATEX / f"{stem}{ext}").is_file(), f"{stem}{ext} is included but missing"
    notebooks = _executed_notebooks()
    assert len(notebooks) >= 9, "the executed chapters are missing from _build/jupyter_execute"
    directives = sum(len(FIGURE_DIRECTIVE.findall((ROOT / f"{p}.md").read_text(encoding="utf-8")))
                     for p in toc_pages() if (ROOT / f"{p}.md").exists())
    outputs = sum(("image/png" in out.get("data", {}) or "image/svg+xml" in out.get("data", {}))
                  and "nnkit-explorer" not in "".join(out.get("data", {}).get("text/html", ""))
                  for nb in notebooks for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]
                  for out in cell.get("outputs", []))  # explorers are counted on their own
    expected = directives + outputs + _explorer_outputs()
    assert directives > 0 and len(included) >= expected, (len(included), directives, outputs)
    listed = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    assert len(listed) >= expected, (len(listed), expected)


def test_explorers_are_printed_as_their_initial_frame_with_a_note(pdf, text):
    explorers = _explorer_outputs()
    assert explorers > 0, "no explorer in the executed chapters"
    assert _flat(text).count(NOTE) == explorers
    tex = (LATEX / "book.tex").read_text(encoding="utf-8")
    assert tex.count("{{explorer-frames/") == explorers


def test_every_labelled_equation_is_in_the_pdf(pdf):
    tex = (LATEX / "book.tex").read_text(encoding="utf-8")
    missing, count = [], 0
    for page in toc_pages():
        path = ROOT / f"{page}.md"
        if not path.exists():
            continue
        for label in re.findall(r"^\$\$\s*\(([\w-]+)\)\s*$", path.read_text(encoding="utf-8"), re.M):
            count += 1
            if f"\\label{{equation:{page}:{label}}}" not in tex:
                missing.append(f"{page}: {label}")
    assert count > 0
    assert not missing, missing
    log = (LATEX / "book.log").read_text(encoding="utf-8", errors="replace")
    errors = [line for line in log.splitlines() if line.startswith("! ")]
    assert not errors, f"LaTeX errors in book.log: {errors[:5]}"
