"""Each chapter of the built book keeps the standards of issues 5 and 6.

Every syllabus term listed in tests/book/terms/chNN.txt appears in the chapter's page, and each
chapter has learning objectives, key takeaways, numbered equations, a figure drawn at build time,
a glued number, an interactive explorer, a definition/theorem, a practice exercise, links into
the book's one glossary, a bibliography and a link to its graded exercise. Every chapter ends with
the same sections in the same order (CONTRIBUTING.md, "Book conventions").
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
    ("a.reference.internal[href*='glossary.html#term-']", "link to a glossary term"),
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


ENDING = ["Practice", "Graded exercise", "Key takeaways", "Further reading", "Terms", "References"]


@pytest.mark.parametrize("source", CHAPTERS, ids=[Path(c).name for c in CHAPTERS])
def test_every_chapter_ends_with_the_same_sections(source):
    text = (ROOT / f"{source}.md").read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # headings inside cells do not count
    headings = re.findall(r"^## (.+?)\s*$", text, flags=re.M)
    tail = headings[-len(ENDING):]
    assert tail == ENDING, f"{source}: the chapter ends with {tail}, expected {ENDING}"
    assert "{glossary}" not in text, f"{source}: terms are defined in glossary.md, not in a chapter"


@pytest.mark.parametrize("source", CHAPTERS, ids=[Path(c).name for c in CHAPTERS])
def test_the_terms_section_links_terms_of_the_glossary(source):
    text = (ROOT / f"{source}.md").read_text(encoding="utf-8")
    section = text.split("\n## Terms\n", 1)[-1].split("\n## References", 1)[0]
    linked = re.findall(r"\{term\}`([^`<]+)`", section)
    assert linked, f"{source}: the Terms section links no term"
    glossary = (ROOT / "glossary.md").read_text(encoding="utf-8").split("```{glossary}", 1)[1]
    defined = {line.strip().lower() for line in glossary.splitlines()
               if line and not line.startswith((" ", ":", "`"))}
    missing = [t for t in linked if t.strip().lower() not in defined]
    assert not missing, f"{source}: terms not defined in glossary.md: {missing}"


def test_glossary_terms_are_lower_case_unless_names():
    glossary = (ROOT / "glossary.md").read_text(encoding="utf-8").split("```{glossary}", 1)[1]
    terms = [line.strip() for line in glossary.splitlines()
             if line and not line.startswith((" ", ":", "`"))]
    assert len(terms) == len({t.lower() for t in terms}), "a glossary term is defined twice"
    names = {"Adam", "RMSProp", "Nesterov", "Xavier", "He", "PAC", "VC", "ReLU", "LSTM", "GRU"}
    wrong = [t for t in terms if t[0].isupper() and t.split()[0] not in names
             and not t.split()[0].isupper()]
    assert not wrong, f"glossary terms are lower case unless they are names: {wrong}"


def test_no_chapter_glues_a_figure_without_the_legibility_check():
    """Figures go through viz.glue_figure, which refuses crowded or small-print figures."""
    offenders = []
    for source in CHAPTERS:
        text = (ROOT / f"{source}.md").read_text(encoding="utf-8")
        offenders += [f"{source}: {m.group(0)}" for m in
                      re.finditer(r"\bglue\(\s*[\"'][^\"']*fig[^\"']*[\"']\s*,\s*fig\b", text)]
    assert not offenders, "glue figures with nnkit.book.viz.glue_figure: " + "; ".join(offenders)


@pytest.mark.parametrize("source", CHAPTERS, ids=[Path(c).name for c in CHAPTERS])
def test_every_chapter_checks_its_claims_in_hidden_cells(source):
    """At least 8 sentences about computed results are backed by claim(...) in removed cells."""
    text = (ROOT / f"{source}.md").read_text(encoding="utf-8")
    hidden_claims = 0
    for cell in re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", text, flags=re.S):
        tags = re.search(r"^:tags:\s*\[([^\]]*)\]", cell, flags=re.M)
        hidden = tags is not None and ({"remove-cell", "remove-input"}
                                       & {t.strip() for t in tags.group(1).split(",")})
        if hidden:
            hidden_claims += len(re.findall(r"(?<![\w.])claim\(", cell))
    assert hidden_claims >= 8, f"{source}: {hidden_claims} claims in hidden cells, expected 8 or more"
