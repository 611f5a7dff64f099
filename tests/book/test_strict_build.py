"""The build is strict: a failing cell or a broken reference fails it (proven, not assumed)."""

from __future__ import annotations

import pytest

from tests.book.minibook import NOTEBOOK_HEADER, build

pytestmark = pytest.mark.slow

INTRO = "# Mini book\n\nA page.\n"


def chapter(code: str, tags: str = "") -> str:
    meta = f":tags: [{tags}]\n" if tags else ""
    return NOTEBOOK_HEADER + f"\n# A chapter\n\n```{{code-cell}} ipython3\n{meta}{code}\n```\n"


def test_clean_chapter_builds(tmp_path):
    result = build(tmp_path, {"intro": INTRO, "ch": chapter("print(6 * 7)")})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "42" in (tmp_path / "_build/html/ch.html").read_text()


def test_a_raising_cell_fails_the_build(tmp_path):
    result = build(tmp_path, {"intro": INTRO, "ch": chapter("1 / 0")})
    assert result.returncode != 0
    assert "ZeroDivisionError" in result.stdout + result.stderr


def test_a_cell_tagged_raises_exception_is_allowed(tmp_path):
    result = build(tmp_path, {"intro": INTRO, "ch": chapter("1 / 0", tags="raises-exception")})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_a_broken_cross_reference_fails_the_build(tmp_path):
    result = build(tmp_path, {"intro": INTRO + "\nSee {ref}`no-such-label`.\n"})
    assert result.returncode != 0
    assert "no-such-label" in result.stdout + result.stderr
