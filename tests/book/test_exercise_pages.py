"""The book's Exercises part shows student versions: no solution and no hidden test leaks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(ROOT.glob("exercises/ex*/ex*.ipynb"))


def secret_lines(notebook: Path) -> set[str]:
    """Lines inside solution and hidden-test regions that appear nowhere else in the notebook."""
    nb = json.loads(notebook.read_text())
    secret, public = set(), set()
    for cell in nb["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        inside = None
        for line in source.splitlines():
            stripped = line.strip()
            if stripped in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
                inside = stripped
                continue
            if stripped in ("### END SOLUTION", "### END HIDDEN TESTS"):
                inside = None
                continue
            (secret if inside else public).add(stripped)
    return {line for line in secret - public if len(line) >= 12 and not line.startswith("#")}


def test_there_are_nine_assignments():
    assert len(SOURCES) == 9, [s.name for s in SOURCES]


def test_every_assignment_has_a_page_with_a_download_button(book_html):
    for source in SOURCES:
        page = book_html / "exercises_student" / f"{source.stem}.html"
        assert page.exists(), f"no book page for {source.stem}"
        html = page.read_text(encoding="utf-8")
        assert f"{source.stem}.ipynb" in html, f"{page.name}: no download link for the notebook"


def test_no_solution_or_hidden_test_line_in_the_built_html(book_html):
    secrets = {line: src.stem for src in SOURCES for line in secret_lines(src)}
    assert secrets, "found no solution or hidden-test lines: the markers are not where expected"
    leaks = []
    for page in book_html.rglob("*.html"):
        text = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").get_text()
        leaks += [f"{page.relative_to(book_html)}: {line!r} (from {stem})"
                  for line, stem in secrets.items() if line in text]
    for source_copy in (book_html / "_sources").rglob("*.ipynb"):
        raw = source_copy.read_text(encoding="utf-8")
        leaks += [f"{source_copy.relative_to(book_html)}: {line!r}" for line in secrets if json.dumps(line)[1:-1] in raw]
    assert not leaks, "\n".join(leaks[:50])
