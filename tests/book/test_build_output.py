"""Nothing from the build reaches the reader.

A cell that writes to stderr, or raises a warning, fails the strict build unless its metadata
asks to show it; a traceback shown on purpose names files relative to the repository (tiny
books built with the project's configuration, tests/book/minibook.py). And the built book: no
page shows a warning, a stderr block or a path of the machine that built it.
"""

from __future__ import annotations

import re
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.book.minibook import NOTEBOOK_HEADER, ROOT, build

INTRO = "# Mini book\n\nA page.\n"


def chapter(code: str, meta: str = "") -> str:
    return NOTEBOOK_HEADER + f"\n# A chapter\n\n```{{code-cell}} ipython3\n{meta}{code}\n```\n"


def machine_paths() -> list[str]:
    """Absolute paths of this machine that a page must not show: the repository, Python's."""
    paths = {str(ROOT), str(ROOT.resolve()), sys.prefix, sys.base_prefix,
             sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]}
    return sorted(p for p in paths if len(Path(p).parts) > 2)


def _output(result) -> str:
    return result.stdout[-4000:] + result.stderr[-4000:]


@pytest.mark.slow
@pytest.mark.parametrize("code", [
    "import sys\nprint('progress 50%', file=sys.stderr)",
    "import warnings\nwarnings.warn('this API is deprecated', UserWarning)",
    # the class of the matplotlib warning once printed by a diagram cell
    "import warnings, matplotlib\nwarnings.warn('There are no gridspecs with layoutgrids.', UserWarning)",
], ids=["stderr-write", "warning", "matplotlib-warning"])
def test_a_cell_writing_to_stderr_fails_the_strict_build(tmp_path, code):
    result = build(tmp_path, {"intro": INTRO, "ch": chapter("print('fine')\n" + code)})
    assert result.returncode != 0, "a cell writing to stderr did not fail the build\n" + _output(result)
    assert "stderr was found in the cell outputs" in result.stdout + result.stderr, _output(result)


@pytest.mark.slow
def test_stderr_shown_on_purpose_and_a_clean_cell_build(tmp_path):
    meta = "---\nmystnb:\n  output_stderr: show\n---\n"
    pages = {"intro": INTRO,
             "shown": chapter("import sys\nprint('shown on purpose', file=sys.stderr)", meta),
             "clean": chapter("import warnings\nwith warnings.catch_warnings(record=True) as w:\n"
                              "    warnings.simplefilter('always')\n    warnings.warn('caught')\n"
                              "print(len(w), 'warning caught')")}
    result = build(tmp_path, pages)
    assert result.returncode == 0, _output(result)
    html = tmp_path / "_build/html"
    assert "shown on purpose" in (html / "shown.html").read_text()
    assert "1 warning caught" in (html / "clean.html").read_text()


@pytest.mark.slow
def test_a_traceback_shown_on_purpose_names_repository_relative_paths(tmp_path):
    code = ("from nnkit.book.claims import above, claim\n"
            "claim('The value is larger than three.', above(2.0, 3.0, name='x'))")
    meta = ":tags: [raises-exception]\n"
    result = build(tmp_path, {"intro": INTRO, "ch": chapter(code, meta)})
    assert result.returncode == 0, _output(result)
    page = (tmp_path / "_build/html/ch.html").read_text()
    text = re.sub(r"<[^>]+>", "", page)
    assert "ClaimError" in text
    assert "nnkit/book/claims.py" in text, "the traceback does not name the repository's file"
    leaked = [p for p in machine_paths() + [str(tmp_path)] if p in text]
    assert not leaked, f"the page shows paths of the build machine: {leaked}"


def _pages(book_html: Path) -> list[Path]:
    return [p for p in sorted(book_html.rglob("*.html"))
            if not any(part.startswith("_") for part in p.relative_to(book_html).parts)]


@pytest.mark.book
def test_no_built_page_shows_a_warning_stderr_or_a_machine_path(book_html):
    from bs4 import BeautifulSoup

    problems, n_outputs = [], 0
    paths = machine_paths()
    for page in _pages(book_html):
        rel = page.relative_to(book_html)
        html = page.read_text(encoding="utf-8")
        # what the cells printed (their source may name a warning class, to silence it)
        soup = BeautifulSoup(html, "html.parser")
        text = " ".join(out.get_text(" ") for out in soup.select(".cell_output, div.output"))
        for word in ("UserWarning", "RuntimeWarning", "DeprecationWarning", "FutureWarning",
                     "ConvergenceWarning"):
            if re.search(rf"\b{word}\b", text):
                problems.append(f"{rel}: shows {word}")
        n_outputs += len(soup.select(".cell_output"))
        if re.search(r'class="[^"]*\boutput stderr\b', html):
            problems.append(f"{rel}: has a stderr output block")
        problems += [f"{rel}: names the build machine's path {p}" for p in paths if p in html]
    assert n_outputs > 0, "no cell output was found in the built pages"
    assert not problems, "\n".join(problems)
