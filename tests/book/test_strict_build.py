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


def test_a_false_claim_fails_the_build_quoting_its_sentence(tmp_path):
    code = ("from nnkit.book.claims import above, claim\n"
            "x = 2.0\n"
            "claim('The value is larger than three.', above(x, 3, name='x'))")
    result = build(tmp_path, {"intro": INTRO, "ch": chapter(code, tags="remove-cell")})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "ClaimError" in output
    assert "The value is larger than three." in output


def test_a_true_claim_in_a_removed_cell_leaves_no_trace(tmp_path):
    code = ("from nnkit.book.claims import below, claim\n"
            "claim('The value is smaller than three.', below(2.0, 3))")
    result = build(tmp_path, {"intro": INTRO, "ch": chapter(code, tags="remove-cell")})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "smaller than three" not in (tmp_path / "_build/html/ch.html").read_text()


FIGURE = """
```{{code-cell}} ipython3
:tags: [remove-cell]
%matplotlib inline
import matplotlib.pyplot as plt
from nnkit.book.viz import glue_figure, use_book_style
use_book_style()
fig, axes = plt.subplots(1, {panels}, figsize=(5.4, 2.5))
for ax in fig.axes:
    ax.plot([0, 1], [0, 1])
glue_figure("mini_fig", fig)
```

```{{glue:figure}} mini_fig
:name: mini-fig

A rising line in every panel. The second sentence says more.
```
"""


def test_a_figure_glued_from_a_notebook_gets_its_caption_as_alt_text(tmp_path):
    from bs4 import BeautifulSoup

    page = NOTEBOOK_HEADER + "\n# A chapter\n" + FIGURE.format(panels=2)
    result = build(tmp_path, {"intro": INTRO, "ch": page})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    soup = BeautifulSoup((tmp_path / "_build/html/ch.html").read_text(), "html.parser")
    alts = [img.get("alt") for img in soup.select("figure img")]
    assert alts == ["A rising line in every panel. The second sentence says more."], alts


def test_a_crowded_figure_fails_the_build(tmp_path):
    page = NOTEBOOK_HEADER + "\n# A chapter\n" + FIGURE.format(panels=4)
    result = build(tmp_path, {"intro": INTRO, "ch": page})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "FigureStyleError" in output and "4 panels in one row" in output
