"""The book's Exercises part shows student versions: no solution and no hidden test leaks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(ROOT.glob("exercises/ex*/ex*.ipynb"))


def split_source(notebook: Path) -> tuple[set[str], str]:
    """(lines inside solution and hidden-test regions, all text outside them) of a source notebook."""
    nb = json.loads(notebook.read_text())
    secret, public = set(), []
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
            if inside:
                secret.add(stripped)
            else:
                public.append(line)
    return secret, "\n".join(public)


def distinctive_secrets() -> dict[str, str]:
    """Secret lines (>= 12 characters, not comments) that no public text of the project contains.

    A line such as `for _ in range(steps):` also appears in instructions or chapters, so finding
    it on a page proves nothing; the remaining lines can only have come from a solution or a
    hidden test.
    """
    secrets, public = {}, []
    for source in SOURCES:
        secret, text = split_source(source)
        public.append(text)
        secrets.update({line: source.stem for line in secret})
    public += [p.read_text() for p in (ROOT / "chapters").glob("*.md")]
    public += [p.read_text() for p in ROOT.glob("*.md")]
    allowed = " ".join(" ".join(public).replace("`", "").split())  # as rendered: no markup
    return {line: stem for line, stem in secrets.items()
            if len(line) >= 12 and not line.startswith("#")
            and " ".join(line.replace("`", "").split()) not in allowed}


def test_every_assignment_is_in_the_exercises_part_of_the_book():
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    part = next(p for p in toc["parts"] if p.get("caption") == "Exercises")
    listed = [Path(c["file"]).name for c in part["chapters"]]
    assert len(SOURCES) >= 10, [s.name for s in SOURCES]
    assert listed == [s.stem for s in SOURCES], (listed, [s.stem for s in SOURCES])


def test_every_assignment_has_a_page_with_a_download_button(book_html):
    for source in SOURCES:
        page = book_html / "exercises_student" / f"{source.stem}.html"
        assert page.exists(), f"no book page for {source.stem}"
        html = page.read_text(encoding="utf-8")
        assert f"{source.stem}.ipynb" in html, f"{page.name}: no download link for the notebook"


def test_no_solution_or_hidden_test_line_in_the_built_html(book_html):
    secrets = distinctive_secrets()
    assert len(secrets) >= 50, f"only {len(secrets)} distinctive secret lines: are the markers where expected?"
    leaks = []
    for page in book_html.rglob("*.html"):
        text = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").get_text()
        leaks += [f"{page.relative_to(book_html)}: {line!r} (from {stem})"
                  for line, stem in secrets.items() if line in text]
    for source_copy in (book_html / "_sources").rglob("*.ipynb"):
        raw = source_copy.read_text(encoding="utf-8")
        leaks += [f"{source_copy.relative_to(book_html)}: {line!r}" for line in secrets if json.dumps(line)[1:-1] in raw]
    assert not leaks, "\n".join(leaks[:50])
