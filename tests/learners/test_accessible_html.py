"""_ext/accessible_html.py and _ext/build_output.py on the markup they fix (no build needed)."""

from __future__ import annotations

import importlib.util
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _ext(name):
    spec = importlib.util.spec_from_file_location(f"_{name}", ROOT / "_ext" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_theme_and_myst_nb_markup_gets_names_that_contain_its_visible_text():
    fix = _ext("accessible_html").fix_html
    page = ('<summary aria-label="Toggle hidden content">\n<p class="collapsed">Show code cell source</p>'
            '<button class="btn search-button-field search-button__button pst-js-only" title="Search" '
            'aria-label="Search" data-bs-toggle="tooltip"><span>Search</span><kbd>Ctrl</kbd>+<kbd>K</kbd>'
            '</button><button class="theme-switch-button" aria-label="Color mode">'
            '<i class="theme-switch fa-solid fa-sun fa-lg" data-mode="light" title="Light"></i></button>'
            '<div role="list" class="citation-list"><div class="citation" id="id3" role="doc-biblioentry">')
    fixed = fix(page)
    assert "Toggle hidden content" not in fixed and "<summary>" in fixed
    assert 'aria-label="Search"' not in fixed and 'title="Search"' in fixed
    assert 'title="Light"' not in fixed and 'aria-label="Color mode"' in fixed
    assert "doc-biblioentry" not in fixed and 'id="id3" role="listitem"' in fixed
    assert fix(fixed) == fixed  # idempotent: a page fixed twice is unchanged


def test_outputs_name_files_relative_to_the_repository(tmp_path):
    ext = _ext("build_output")
    book = tmp_path / "book"
    book.mkdir()
    (book / "_config.yml").symlink_to(ROOT / "_config.yml")  # like tools/build_chapter.py
    prefixes = ext.path_prefixes(book)
    stdlib = sysconfig.get_paths()["stdlib"]
    trace = (f'File {ROOT}/nnkit/optim.py:41, in SGD.step(self)\n'
             f'File {stdlib}/contextlib.py:81, in inner\n'
             f'File {book}/chapters/x.md:3\n')
    text = ext.relative_paths(trace, prefixes)
    assert "File nnkit/optim.py:41" in text
    assert "File <stdlib>/contextlib.py:81" in text
    assert "File chapters/x.md:3" in text
    assert str(ROOT) not in text and stdlib not in text and str(tmp_path) not in text
    assert ext.relative_paths("no path here", prefixes) == "no path here"
    assert sys.prefix not in ext.relative_paths(f"{sys.prefix}/bin/python", prefixes)
