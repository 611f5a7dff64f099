"""_ext/latex_book.py: the PDF shows an explorer as the picture it starts with, plus a note."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _ext():
    spec = importlib.util.spec_from_file_location("_latex_book", ROOT / "_ext" / "latex_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _render(fig, *, w, kind):
    ax = fig.subplots()
    ax.plot([0, 1], [0, w])
    ax.set_title(kind)


def test_the_initial_frame_and_the_controls_are_read_from_the_explorer_html():
    pytest.importorskip("matplotlib")
    from nnkit.book.widgets import Choice, Explorer, Slider

    explorer = Explorer(_render, {"w": Slider([0.5, 1.0, 2.0], label="weight", initial=1.0),
                                  "kind": Choice(["a", "b"], label="kind")},
                        title="A test: explorer", dpi=30, figsize=(2, 1.5))
    block = _ext().parse_explorer(explorer._repr_html_())
    assert block is not None and block.found
    assert block.controls == ["weight", "kind"]
    mime, data = _ext().frame_bytes(block.src)
    assert mime == "image/png"
    assert data == explorer.frame_bytes(w=1.0, kind="a")  # the frame shown when the page loads
    assert block.title == "A test: explorer"
    assert block.alt == "A test: explorer: weight = 1.00, kind = a"
    assert _ext().note_text(block) == (
        "Interactive figure in the online book (A test: explorer), with controls for weight, kind. "
        "Printed here at its initial setting (weight = 1.00, kind = a).")


def test_html_without_an_explorer_is_left_alone():
    ext = _ext()
    assert ext.parse_explorer("<div><img src='data:image/png;base64,AAAA'></div>") is None


def test_an_explorer_drawn_by_its_script_has_no_frame_in_its_html():
    """Its picture comes from the bundle's image/png instead (see ExplorerStillFrame)."""
    ext = _ext()
    block = ext.parse_explorer('<div class="nnkit-explorer" aria-label="Neuron"><img src="x.png"></div>')
    assert block is not None and block.src is None and block.title == "Neuron"
    with pytest.raises(ValueError):
        ext.frame_bytes("data:image/gif;base64,AAAA")
