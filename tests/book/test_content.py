"""Each chapter of the built book keeps the standards of issues 5 and 6.

Every syllabus term listed in tests/book/terms/chNN.txt appears in the chapter's page, and each
chapter has learning objectives, key takeaways, numbered equations, a figure drawn at build time,
a glued number, an interactive explorer, a definition/theorem, a practice exercise, a glossary,
a bibliography and a link to its graded exercise.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[2]
TERMS = ROOT / "tests" / "book" / "terms"


def toc_chapters() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [c["file"] for part in toc["parts"] for c in part["chapters"]
            if c["file"].startswith("chapters/")]


CHAPTERS = toc_chapters()


def test_all_nine_chapters_are_in_the_table_of_contents():
    numbers = sorted(int(Path(c).name[:2]) for c in CHAPTERS)
    assert numbers == list(range(1, 10)), CHAPTERS


@pytest.fixture(scope="module", params=CHAPTERS, ids=[Path(c).name for c in CHAPTERS])
def chapter(request, book_html):
    path = book_html / f"{request.param}.html"
    assert path.exists(), f"{path} was not built"
    html = path.read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    main = soup.find("main") or soup
    return request.param, html, main, main.get_text(" ")


def test_syllabus_terms_appear(chapter):
    name, _html, _main, text = chapter
    terms_file = TERMS / f"ch{Path(name).name[:2]}.txt"
    assert terms_file.exists(), f"{terms_file} lists the syllabus terms of {name}; it is missing"
    terms = [t.strip() for t in terms_file.read_text().splitlines() if t.strip() and not t.startswith("#")]
    assert len(terms) >= 8, f"{terms_file} lists only {len(terms)} terms"
    flat = " ".join(text.lower().split())
    missing = [t for t in terms if " ".join(t.lower().split()) not in flat]
    assert not missing, f"{name}: syllabus terms missing from the page: {missing}"


# (CSS selector inside the page's <main>, what its absence means)
REQUIRED_ELEMENTS = [
    ("img[src*='_images/']", "figure drawn at build time"),
    (".pasted-text, .pasted-inline", "glued number in the prose"),
    (".nnkit-explorer", "interactive explorer"),
    ("span.eqno", "numbered equation"),
    ("div.proof, div[class*='proof']", "definition/theorem/proof directive"),
    ("div.exercise, div[class*='exercise']", "practice exercise"),
    ("dl.glossary", "glossary"),
    ("div.citation-list div.citation", "bibliography entry"),
]


def test_structure(chapter):
    name, html, main, text = chapter
    lower = text.lower()
    problems = []
    for phrase in ("learning objectives", "key takeaways", "further reading"):
        if phrase not in lower:
            problems.append(f"no '{phrase}' section")
    problems += [f"no {what}" for selector, what in REQUIRED_ELEMENTS if not main.select(selector)]
    if not re.search(r'href="[^"]*exercises_student/ex0\d_[a-z_]+\.html', html):
        problems.append("no link to the graded exercise")
    assert not problems, f"{name}: " + "; ".join(problems)
