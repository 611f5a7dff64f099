"""Tests of nnkit.book.widgets (the generic Explorer) and nnkit.book.explorers (the prebuilt ones).

The static HTML is parsed with html.parser; one test drives it in headless Chromium.
Frames are drawn tiny (dpi 20) so the suite stays fast.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest

from nnkit.book.widgets import Choice, Explorer, Slider, TooManyFramesError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# -- helpers ----------------------------------------------------------------------------------


def line_render(fig, *, slope, kind):
    """A cheap render whose picture differs for every (slope, kind)."""
    ax = fig.subplots()
    z = np.linspace(-1, 1, 50)
    ax.plot(z, slope * z if kind == "linear" else slope * z**2)
    ax.set_xlabel("z")
    ax.set_ylabel("y")


def small_explorer(**kw):
    params = {"slope": Slider([0.5, 1.0, 2.0], fmt="{:.1f}"), "kind": ["linear", "square"]}
    return Explorer(line_render, params, title="Lines", dpi=20, figsize=(2, 1.5), **kw)


class Tree(HTMLParser):
    """Collect start tags (with attributes) and the text of <script> and <output> elements."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.outputs: list[str] = []
        self._open = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag in ("script", "output"):
            self._open = (tag, attrs, [])

    def handle_data(self, data):
        if self._open:
            self._open[2].append(data)

    def handle_endtag(self, tag):
        if self._open and tag == self._open[0]:
            text = "".join(self._open[2])
            if tag == "script":
                self.scripts.append((self._open[1], text))
            else:
                self.outputs.append(text)
            self._open = None

    def find(self, tag, **attrs):
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def parse(html: str) -> Tree:
    tree = Tree()
    tree.feed(html)
    tree.close()
    return tree


def frame_data(tree: Tree) -> dict:
    (data_text,) = [text for attrs, text in tree.scripts if attrs.get("type") == "application/json"]
    return json.loads(data_text)


@pytest.fixture(scope="module")
def html():
    return small_explorer().to_html()


# -- parameter specs ------------------------------------------------------------------------------


def test_plain_lists_become_slider_or_choice():
    ex = Explorer(line_render, {"slope": [1, 2], "kind": ["linear", "square"]}, dpi=20)
    assert isinstance(ex.params[0].spec, Slider)
    assert isinstance(ex.params[1].spec, Choice)
    assert ex.shape == (2, 2) and ex.n_frames == 4


def test_specs_reject_bad_values():
    with pytest.raises(ValueError, match="numbers"):
        Slider(["a", "b"])
    with pytest.raises(ValueError, match="at least one"):
        Choice([])
    with pytest.raises(ValueError, match="initial"):
        Slider([1, 2], initial=3)
    with pytest.raises(TypeError, match="list of values"):
        Explorer(line_render, {"slope": 3})
    with pytest.raises(ValueError, match="fmt"):
        Explorer(line_render, {"slope": [1]}, fmt="jpg")


def test_too_many_frames_raises_a_clear_error():
    with pytest.raises(TooManyFramesError, match=r"210 frames.*limit is 200"):
        Explorer(line_render, {"slope": list(range(21)), "kind": list("abcdefghij")})
    # the limit can be raised on purpose
    Explorer(line_render, {"slope": list(range(21)), "kind": list("abcdefghij")}, max_frames=210)


# -- static HTML -----------------------------------------------------------------------------------


def test_html_has_one_frame_per_combination(html):
    tree = parse(html)
    data = frame_data(tree)
    assert data["shape"] == [3, 2]
    assert len(data["index"]) == 6
    # every combination draws a different picture here, so 6 distinct frames; the one shown
    # at load time lives in the <img> only (its slot in the list is empty)
    assert sorted(data["index"]) == list(range(6))
    assert sum(1 for f in data["frames"] if f == "") == 1
    (img,) = tree.find("img")
    pictures = [base64.b64decode(f) for f in data["frames"] if f]
    pictures.append(base64.b64decode(img["src"].split(",", 1)[1]))
    assert len(set(pictures)) == 6
    assert all(p.startswith(PNG_MAGIC) for p in pictures)


def test_html_structure_and_accessibility(html):
    tree = parse(html)
    (root,) = tree.find("div", **{"class": "nnkit-explorer"})
    assert re.fullmatch(r"nnkit-explorer-[0-9a-f]{12}", root["id"])
    (slider,) = tree.find("input", type="range")
    assert (slider["min"], slider["max"], slider["step"], slider["value"]) == ("0", "2", "1", "0")
    assert slider["aria-valuetext"] == "0.5"
    assert tree.outputs == ["0.5"]  # the value shown next to the slider
    assert len(tree.find("select")) == 1
    assert len(tree.find("option")) == 2
    assert len(tree.find("label")) == 2  # each control sits inside its label
    (img,) = tree.find("img")
    assert img["alt"] == "Lines: slope = 0.5, kind = linear"
    assert img["src"].startswith("data:image/png;base64,")
    (state,) = tree.find("p", **{"class": "nnkit-explorer-state"})
    assert state["aria-live"] == "polite"  # the settings in words, for screen readers
    scripts = [text for attrs, text in tree.scripts if "type" not in attrs]
    assert len(scripts) == 1 and "addEventListener" in scripts[0]


def test_html_is_self_contained(html):
    tree = parse(html)
    for tag, attrs in tree.tags:
        for name in ("src", "href"):
            if name in attrs:
                assert attrs[name].startswith("data:"), (tag, attrs[name][:40])
    # outside the base64 payloads there is no URL at all
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    text = re.sub(r'"frames":\[[^\]]*\]', "", text)
    assert "http" not in text and "//" not in text.replace("\\/", "")
    assert "require" not in text and "import(" not in text


def test_html_is_deterministic_and_ids_distinguish_explorers(html):
    again = small_explorer().to_html()
    assert again == html
    other = Explorer(line_render, {"slope": Slider([0.5, 1.0]), "kind": ["linear"]},
                     title="Lines", dpi=20, figsize=(2, 1.5)).to_html()
    id_of = lambda h: parse(h).find("div", **{"class": "nnkit-explorer"})[0]["id"]
    assert id_of(again) == id_of(html) != id_of(other)


def test_initial_values_and_escaping():
    ex = Explorer(line_render,
                  {"slope": Slider([0.5, 1.0, 2.0], initial=2.0), "kind": Choice(["linear", "square"], initial="square")},
                  title="</script><b>x</b>", dpi=20, figsize=(2, 1.5))
    tree = parse(ex.to_html())
    assert len(tree.scripts) == 2  # the title did not close the script early
    assert tree.find("input", type="range")[0]["value"] == "2"
    assert "selected" in tree.find("option", value="1")[0]
    assert "selected" not in tree.find("option", value="0")[0]
    assert frame_data(tree)["title"] == "</script><b>x</b>"


def test_canonical_draws_equal_combinations_once():
    calls = []

    def render(fig, *, slope, kind):
        calls.append((slope, kind))
        line_render(fig, slope=slope if kind == "linear" else 1.0, kind=kind)

    def canonical(values):
        if values["kind"] == "square":
            values.pop("slope")  # slope is ignored for squares
        return values

    ex = Explorer(render, {"slope": [0.5, 1.0, 2.0], "kind": ["linear", "square"]},
                  dpi=20, figsize=(2, 1.5), canonical=canonical)
    frames = ex.frames()
    assert len(calls) == 4 and len(frames.images) == 4
    assert len(frames.index) == 6
    square = [frames.index[2 * i + 1] for i in range(3)]
    assert len(set(square)) == 1


def test_svg_frames_are_deterministic():
    ex = Explorer(line_render, {"slope": [1.0, 2.0], "kind": ["linear"]}, fmt="svg", figsize=(2, 1.5))
    a, b = ex.frames(), ex.frames()
    assert a.images == b.images and a.mime == "image/svg+xml"
    assert b"<svg" in a.images[0]


def test_repr_mimebundle_shows_the_static_html(html):
    ex = small_explorer()
    bundle = ex._repr_mimebundle_()
    assert bundle["text/html"] == html == ex._repr_html_()
    assert "6 frames" in bundle["text/plain"]


def test_save_writes_a_standalone_page(tmp_path, html):
    path = small_explorer().save(tmp_path / "page.html")
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and html in text


def test_live_returns_an_ipywidgets_interactive():
    widgets = pytest.importorskip("ipywidgets", reason="ipywidgets is not installed")
    live = small_explorer().live()
    assert isinstance(live, widgets.interactive)
    kinds = {type(w).__name__ for w in live.children}
    assert {"SelectionSlider", "Dropdown", "Output"} <= kinds
    assert live.kwargs == {"slope": 0.5, "kind": "linear"}


def test_importing_widgets_and_viz_loads_no_plotting_library():
    code = ("import sys, nnkit.book.widgets, nnkit.book.viz; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'PIL') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- in a browser ------------------------------------------------------------------------------


@pytest.mark.browser
def test_slider_and_select_swap_the_image_in_chromium(tmp_path, browser):
    path = small_explorer().save(tmp_path / "explorer.html")
    page = browser.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.as_uri())
    img, slider = page.locator("img"), page.locator("input[type=range]")
    first = img.get_attribute("src")

    slider.focus()
    page.keyboard.press("ArrowRight")  # keyboard: slope 0.5 -> 1.0
    second = img.get_attribute("src")
    assert second != first and second.startswith("data:image/png;base64,")
    assert page.locator("output").text_content() == "1.0"
    assert slider.get_attribute("aria-valuetext") == "1.0"
    assert img.get_attribute("alt") == "Lines: slope = 1.0, kind = linear"
    state = page.locator(".nnkit-explorer-state[aria-live=polite]")
    assert state.text_content() == "Showing slope = 1.0, kind = linear."

    page.locator("select").select_option("1")  # kind -> square
    assert img.get_attribute("src") not in (first, second)
    assert img.get_attribute("alt") == "Lines: slope = 1.0, kind = square"

    page.keyboard.press("Tab")  # focus moves on; back to the start restores the first frame
    page.locator("select").select_option("0")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    assert img.get_attribute("src") == first
    page.close()
    assert requests == [path.as_uri()], requests
    assert not errors, errors


# -- prebuilt explorers ----------------------------------------------------------------------------


JS_EXPLORERS = ["activation_explorer", "neuron_explorer", "architecture_explorer",
                "loss_explorer", "learning_rate_explorer", "pac_bounds_explorer",
                "gated_gradient_explorer", "pooling_explorer"]

JS_EXPLORERS += ["initialization_explorer"]  # chapter 5 (nnkit.book.explorers.initialization)


@pytest.mark.parametrize("name", JS_EXPLORERS)
def test_closed_form_explorers_are_javascript_blocks_with_continuous_controls(name):
    import nnkit.book.explorers
    from nnkit.book.explorers.jsexplorer import JSExplorer, Range

    ex = getattr(nnkit.book.explorers, name)()
    assert isinstance(ex, JSExplorer) and ex.title
    html = ex.to_html()
    assert f'data-kind="{ex.kind}"' in html and "NNKIT.mount(" in html
    assert len(html) < 80_000, len(html)  # no frames: the script, controls and config only
    sliders = [c for c in ex.controls if isinstance(c, Range)]
    assert sliders and all(html.count(f'data-name="{c.name}"') == 1 for c in ex.controls)
    # continuous: a slider has at least 15 positions (the frame explorers had 2 to 7)
    assert any((c.high - c.low) / c.step >= 15 for c in sliders)


@pytest.mark.parametrize("name", JS_EXPLORERS)
def test_closed_form_explorers_draw_the_same_picture_with_nnkit(name):
    import nnkit.book.explorers

    from matplotlib.figure import Figure

    ex = getattr(nnkit.book.explorers, name)()
    fig = Figure()
    ex.python_render(fig, **ex.values)
    assert fig.axes


def test_closed_form_explorer_offers_print_a_png_of_its_initial_picture():
    import base64

    from nnkit.book.explorers import learning_rate_explorer

    bundle = learning_rate_explorer()._repr_mimebundle_()
    assert bundle["text/html"].startswith('<div id="nnkit-js-')
    assert base64.b64decode(bundle["image/png"]).startswith(PNG_MAGIC)
    assert "initial settings" in bundle["text/plain"]


@pytest.mark.parametrize("name", ["architecture_explorer", "gated_gradient_explorer", "pooling_explorer"])
def test_live_closed_form_explorer_is_an_ipywidgets_interactive(name):
    widgets = pytest.importorskip("ipywidgets", reason="ipywidgets is not installed")
    import nnkit.book.explorers
    from matplotlib.figure import Figure

    ex = getattr(nnkit.book.explorers, name)()
    live = ex.live()
    assert isinstance(live, widgets.interactive)
    kinds = {type(w).__name__ for w in live.children}
    from nnkit.book.explorers.jsexplorer import Select

    assert {"FloatSlider", "Output"} <= kinds
    assert ("Dropdown" in kinds) == any(isinstance(c, Select) for c in ex.controls)
    # the widgets hand floats (and the drop-downs' strings) to the drawing, which copes
    fig = Figure()
    ex.python_render(fig, **live.kwargs)
    assert fig.axes


def test_js_explorer_controls_reject_bad_values():
    from nnkit.book.explorers.jsexplorer import JSExplorer, Range, Select

    with pytest.raises(ValueError, match="outside"):
        Range("a", "a", 0.0, 1.0, 0.1, 2.0)
    with pytest.raises(ValueError, match="low must be below high"):
        Range("a", "a", 1.0, 0.0, 0.1, 0.5)
    with pytest.raises(ValueError, match="not one of"):
        Select("s", "s", ["x", "y"], "z")
    with pytest.raises(ValueError, match="unknown kind"):
        JSExplorer("nope", [Range("a", "a", 0.0, 1.0, 0.1, 0.5)], {}, title="t")
    with pytest.raises(ValueError, match="unique"):
        JSExplorer("activation", [Range("a", "a", 0.0, 1.0, 0.1, 0.5)] * 2, {}, title="t")


def test_activation_explorer_rejects_an_unknown_function():
    from nnkit.book.explorers import activation_explorer

    with pytest.raises(KeyError, match="unknown activations"):
        activation_explorer(["relu", "softsign"])


def test_architecture_network_follows_the_chosen_shape():
    from nnkit import Dense
    from nnkit.book.explorers.architecture import architecture_network

    net = architecture_network([5, 3], "tanh")
    dense = [m for m in net if isinstance(m, Dense)]
    assert [d.weight.value.shape for d in dense] == [(5, 2), (3, 5), (1, 3)]  # (n_out, n_in)
    with pytest.raises(ValueError, match="at most 4 hidden layers"):
        architecture_network([2] * 5)
    with pytest.raises(ValueError, match="1 to 16 units"):
        architecture_network([17])


def test_saturation_mask():
    from nnkit.book.explorers import saturation_mask

    assert saturation_mask(np.array([0.0, -0.01, 0.2, -0.5]), 0.05).tolist() == [True, True, False, False]


def test_gradient_descent_converges_below_two_over_curvature_and_diverges_above():
    from nnkit.book.explorers import gradient_descent_path

    A = np.diag([1.0, 10.0])
    ok = gradient_descent_path(A, (1.0, 1.0), lr=0.19, steps=200)
    bad = gradient_descent_path(A, (1.0, 1.0), lr=0.21, steps=200)
    assert np.linalg.norm(ok[-1]) < 1e-3
    assert np.linalg.norm(bad[-1]) > 1e3
    # one step is theta - lr A theta
    np.testing.assert_allclose(ok[1], [1 - 0.19, 1 - 1.9])


@pytest.mark.slow
def test_prebuilt_explorers_keep_the_page_light():
    import nnkit.book.explorers

    for name in JS_EXPLORERS:
        html = getattr(nnkit.book.explorers, name)().to_html()
        assert len(html) < 1_000_000, (name, len(html))


def test_the_frame_explorer_of_linear_regions_is_gone():
    """Chapter 1's regions are the JavaScript architecture explorer's; no frame version is left."""
    import nnkit.book.explorers

    assert not hasattr(nnkit.book.explorers, "linear_regions_explorer")
    assert all(hasattr(nnkit.book.explorers, n) for n in nnkit.book.explorers.__all__)


def test_bar_image_covers_pixels_by_the_fraction_the_bar_covers():
    from nnkit.book.explorers import bar_image

    img = bar_image(0.0)
    assert img.shape == (8, 8) and img.sum() == 3 and img[2:5, 1].tolist() == [1, 1, 1]
    half = bar_image(0.5, 1.0)
    np.testing.assert_allclose(half[3, :4], [0, 0.5, 0.5, 0])
    wide = bar_image(4.0, 3.0)  # from column 5 to the right edge
    np.testing.assert_allclose(wide[3], [0, 0, 0, 0, 0, 1, 1, 1])
    np.testing.assert_allclose(bar_image(2.3, 2.7).sum(axis=1)[2:5], 2.7)


def test_pooling_maps_are_the_chapters_conv_relu_and_pooling():
    from nnkit.book.explorers import pooling_maps

    img, fmap, pooled = pooling_maps(1.0)
    K = np.array([[-1.0, 1.0], [-1.0, 1.0]])
    want = np.maximum([[np.sum(K * img[i:i + 2, j:j + 2]) for j in range(7)] for i in range(7)], 0)
    np.testing.assert_allclose(fmap, want)
    np.testing.assert_allclose(pooled, fmap[:6, :6].reshape(3, 2, 3, 2).max(axis=(1, 3)))
    # windows of 3 side by side: 2 x 2; stride 1: overlapping windows, 6 x 6
    assert pooling_maps(1.0, p=3)[2].shape == (2, 2)
    over = pooling_maps(1.0, p=2, stride=1, pooling="average")[2]
    assert over.shape == (6, 6) and over[2, 0] == pytest.approx(fmap[2:4, 0:2].mean())
    with pytest.raises(ValueError, match="kernel must be one of"):
        pooling_maps(0.0, kernel="diagonal")


def test_gated_gradient_rnn_has_the_asked_spectral_radius_and_the_stored_weights():
    from nnkit.book.explorers import gated_gradient_config, gated_gradient_rnn

    cfg = gated_gradient_config()
    net = gated_gradient_rnn(1.7, cfg)
    assert np.max(np.abs(np.linalg.eigvals(net.weight_hh.value))) == pytest.approx(1.7, rel=1e-12)
    np.testing.assert_array_equal(net.weight_ih.value, cfg["U"])
    # the first 60 inputs are chapter 7's x_small[0], to the 6 decimals stored
    x_small = 0.1 * np.random.default_rng(4).standard_normal((16, 60, 2))
    np.testing.assert_allclose(np.asarray(cfg["x"])[:60], x_small[0], atol=5e-7)


def test_render_may_return_its_own_figure():
    from matplotlib.figure import Figure

    def render(fig, *, n):
        own = Figure(figsize=(1, 1))
        own.subplots().bar(range(n), range(n))
        return own

    ex = Explorer(render, {"n": [1, 2]}, dpi=20)
    assert ex.figure(n=2).get_size_inches().tolist() == [1, 1]
    assert len(ex.frames().images) == 2
