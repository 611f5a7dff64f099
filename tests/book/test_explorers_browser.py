"""The closed-form explorers (nnkit.book.explorers.jsexplorer): their JavaScript equals nnkit,
and they work in a real browser.

- The page's math (``NNKIT.math`` in nnkit/book/explorers/assets/explorers.js) is evaluated in
  node and in Chromium at the same points as nnkit, and must agree within 1e-6.
- Each explorer, served from 127.0.0.1 and opened at 390 px width: every control changes the
  figure, nothing is requested from another host, nothing overflows the width, no console
  error.
- In the built book (when there is one), every explorer block of every page has drawn itself.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from nnkit.book import explorers as E
from nnkit.book.explorers import initialization as I
from nnkit.book.explorers.architecture import architecture_config, architecture_network
from nnkit.book.explorers.closed_form import ACTIVATION_FAMILY
from nnkit.book.explorers.jsexplorer import Range, script_source

SCRIPT = Path(E.__file__).parent / "assets" / "explorers.js"
TOL = 1e-6
Z = np.concatenate([np.linspace(-12, 12, 241), [-1e-9, 0.0, 1e-9, 30.0, -30.0]])
ALPHAS = [0.0, 0.01, 0.3, 1.0, 1.7]
ARCHS = [([], "relu"), ([3], "tanh"), ([8, 8], "relu"), ([16, 5, 9], "leaky_relu"),
         ([4, 4, 4, 4], "gelu"), ([2, 12], "swish"), ([7], "sigmoid"), ([6, 6], "elu")]
GD = [(0.1, 0.0, 10.0), (0.19, 0.0, 10.0), (0.21, 0.0, 10.0), (0.05, 0.9, 4.0), (0.003, 0.5, 20.0),
      (0.25, 0.0, 20.0)]
TARGETS = [0.0, 0.13, 0.5, 1.0]
BOUNDS = [(d, e, dl) for d in (1, 6, 100, 1000) for e in (0.005, 0.08, 0.5) for dl in (1e-8, 0.05, 0.5)]
# (rho, f, T): vanishing and exploding vanilla runs, gates from 0 to 0.999, short and full length
GATED = [(0.5, 0.0, 60), (0.8, 0.9, 60), (1.0, 0.5, 200), (2.0, 0.99, 120), (3.0, 0.0, 200),
         (3.0, 0.999, 10), (1.2, 0.97, 60), (0.1, 0.3, 33), (2.5, 0.5, 150)]
# (shift, width, kernel, pooling, p, stride): whole and fractional pixels, the bar at the edge,
# every kernel, max and average, windows of 2 and 3, side by side and overlapping
POOLS = [(sh, w, k, pool, p, st) for sh in (0.0, 0.5, 1.0, 2.0, 2.3, 4.0) for w in (0.5, 1.0, 2.7, 3.0)
         for k in E.POOL_KERNELS for pool in ("max", "average") for p in (2, 3) for st in (p, 1)]


def _cases():
    """The points at which the page's JavaScript is evaluated (a JSON-able dict)."""
    rng = np.random.default_rng(7)
    return {
        "z": Z.tolist(), "alphas": ALPHAS, "names": list(ACTIVATION_FAMILY) + ["identity"],
        "archs": ARCHS, "x": rng.uniform(-2, 2, (50, 2)).tolist(), "config": architecture_config(),
        "gd": GD, "theta0": [-4.0, 1.5], "steps": 60, "bounds": BOUNDS, "targets": TARGETS,
        "zl": np.linspace(-20, 20, 81).tolist(),
        "gated": GATED, "gated_config": E.gated_gradient_config(),
        "pools": POOLS, "pool_config": E.pooling_config(),
    }


# The same evaluation, as JavaScript source taking `N` (NNKIT) and `C` (the cases).
EVALUATE = """
(function (N, C) {
  var m = N.math, out = {act: {}, grad: {}, archs: [], gd: [], bounds: [], losses: []};
  C.names.forEach(function (name) {
    out.act[name] = C.alphas.map(function (a) { return C.z.map(function (z) { return m.activation(name, z, a); }); });
    out.grad[name] = C.alphas.map(function (a) { return C.z.map(function (z) { return m.activationGrad(name, z, a); }); });
  });
  C.archs.forEach(function (arch) {
    var layers = m.architectureLayers(C.config, arch[0], arch[1]);
    out.archs.push(C.x.map(function (x) { return m.forward(layers, x, C.config.alpha).out[0]; }));
  });
  C.gd.forEach(function (g) {
    out.gd.push(m.gdPath([[1, 0], [0, g[2]]], C.theta0, g[0], C.steps, g[1]));
  });
  C.bounds.forEach(function (b) {
    out.bounds.push([m.bounds.blumer(b[0], b[1], b[2]), m.bounds.anthony_biggs(b[0], b[1], b[2]),
                     m.bounds.finite(b[0], b[1], b[2])]);
  });
  C.targets.forEach(function (y) {
    out.losses.push(C.zl.map(function (z) { var r = m.sigmoidLosses(z, y); return [r.mse, r.bce, r.dmse, r.dbce]; }));
  });
  var G = C.gated_config;
  out.gated = C.gated.map(function (g) {
    return m.fixedGateGradNorms(m.gatedWeights(G, g[0]), G.U, G.b, G.x.slice(0, g[2]), g[1]);
  });
  out.pools = C.pools.map(function (q) {
    var r = m.poolingMaps(C.pool_config, q[0], q[1], q[2], q[3], q[4], q[5]);
    return [r.image, r.fmap, r.pooled];
  });
  return out;
})
"""


def _check_against_nnkit(js: dict, cases: dict) -> None:
    from nnkit.theory import pac, vc_sample_size_anthony_biggs, vc_sample_size_blumer

    z = np.array(cases["z"])
    for name in cases["names"]:
        for k, alpha in enumerate(cases["alphas"]):
            if name == "identity":
                phi, dphi = z, np.ones_like(z)
            else:
                phi, dphi = E.activation_values(name, z, alpha)
            np.testing.assert_allclose(js["act"][name][k], phi, rtol=0, atol=TOL,
                                       err_msg=f"{name} alpha={alpha}")
            np.testing.assert_allclose(js["grad"][name][k], dphi, rtol=0, atol=TOL,
                                       err_msg=f"{name}' alpha={alpha}")
    X = np.array(cases["x"])
    for (widths, act), got in zip(cases["archs"], js["archs"]):
        net = architecture_network(widths, act, cases["config"])
        np.testing.assert_allclose(got, net.forward(X)[:, 0], rtol=0, atol=TOL,
                                   err_msg=f"network {widths} {act}")
    for (lr, mom, b), got in zip(cases["gd"], js["gd"]):
        want = E.gradient_descent_path(np.diag([1.0, b]), cases["theta0"], lr, cases["steps"],
                                       momentum=mom)
        got = np.array(got)
        assert got.shape == want.shape, (lr, mom, b)
        np.testing.assert_allclose(got, want, rtol=TOL, atol=TOL, err_msg=f"gd {lr} {mom} {b}")
    for (d, e, dl), (blumer, ab, finite) in zip(cases["bounds"], js["bounds"]):
        np.testing.assert_allclose([blumer, ab, finite],
                                   [pac._blumer(d, e, dl), pac._anthony_biggs(d, e, dl),
                                    pac._finite(d, e, dl)], rtol=TOL)
        assert int(np.ceil(blumer)) == vc_sample_size_blumer(d, e, dl)
        assert int(np.ceil(ab)) == vc_sample_size_anthony_biggs(d, e, dl)
    for y, got in zip(cases.get("targets", []), js.get("losses", [])):
        want = E.sigmoid_losses(np.array(cases["zl"]), y)
        np.testing.assert_allclose(np.array(got), np.stack([want[k] for k in ("mse", "bce", "dmse", "dbce")], 1),
                                   rtol=0, atol=TOL, err_msg=f"losses y={y}")
    _check_gated_and_pooling(js, cases)


def _check_gated_and_pooling(js: dict, cases: dict) -> None:
    """Chapters 7 and 9: the JavaScript's gradient norms and maps against nnkit's."""
    from nnkit.theory import fixed_gate_grad_norms

    if "gated" in js:
        assert len(js["gated"]) == len(cases["gated"])
        cfg = cases["gated_config"]
        for (rho, f, T), got in zip(cases["gated"], js["gated"]):
            net = E.gated_gradient_rnn(rho, cfg)
            want = fixed_gate_grad_norms(net, np.asarray(cfg["x"])[:T], f)[1]
            assert len(got) == T + 1, (rho, f, T)
            # relative: the norms run from 1e-60 to 1e4
            np.testing.assert_allclose(got, want, rtol=TOL, atol=0, err_msg=f"gated rho={rho} f={f} T={T}")
    if "pools" in js:
        assert len(js["pools"]) == len(cases["pools"])
        for (sh, w, k, pool, p, st), got in zip(cases["pools"], js["pools"]):
            want = E.pooling_maps(sh, w, k, pool, p, st, cases["pool_config"])
            for name, a, b in zip(("image", "feature map", "pooled map"), got, want):
                a = np.array(a)
                assert a.shape == b.shape, (name, sh, w, k, pool, p, st)
                np.testing.assert_allclose(a, b, rtol=0, atol=TOL,
                                           err_msg=f"pooling {name}: {(sh, w, k, pool, p, st)}")


def test_the_cases_exercise_every_branch():
    # the points cross 0 (kinks of relu, leaky, elu, step) and reach saturation both ways;
    # the runs include a divergent one (stopped early) and momentum
    assert (Z < 0).any() and (Z > 0).any() and 0.0 in Z and Z.max() >= 30
    paths = [E.gradient_descent_path(np.diag([1.0, b]), (-4, 1.5), lr, 60, momentum=m)
             for lr, m, b in GD]
    assert any(len(p) < 61 for p in paths) and any(len(p) == 61 for p in paths)
    # chapter 7: a vanishing and an exploding vanilla run, a gate that keeps the gradient
    from nnkit.theory import fixed_gate_grad_norms

    cfg = E.gated_gradient_config()
    finals = {(rho, f, T): fixed_gate_grad_norms(E.gated_gradient_rnn(rho, cfg),
                                                 np.asarray(cfg["x"])[:T], f)[1][-1]
              for rho, f, T in GATED}
    assert finals[(0.5, 0.0, 60)] < 1e-12 and finals[(3.0, 0.0, 200)] > 1e2
    assert 0.5 < finals[(2.0, 0.99, 120)] < 2 and max(T for *_, T in GATED) == cfg["max_steps"]
    # chapter 9: partly covered pixels, a bar reaching the last column, maps of zeros and not
    maps = {q: E.pooling_maps(*q) for q in POOLS}
    images = np.array([m[0] for m in maps.values()])
    assert ((images > 0) & (images < 1)).any() and (images[:, :, -1] == 1).any()
    assert any(m[2].max() == 0 for m in maps.values()) and any(m[2].max() > 1 for m in maps.values())


def _run_in_node(tmp_path, cases: dict, evaluate: str = EVALUATE, script: str | None = None) -> dict:
    """``evaluate(NNKIT, cases)`` run by node on `script` (the text of explorers.js; default: the
    real file), returned as parsed JSON."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Debian: apt-get install nodejs); .ci/run installs it")
    path = SCRIPT
    if script is not None:
        path = tmp_path / "explorers_edited.js"
        path.write_text(script, encoding="utf-8")
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    runner = tmp_path / "run.js"
    runner.write_text(
        f"const N = require({json.dumps(str(path))});\n"
        f"const C = JSON.parse(require('fs').readFileSync({json.dumps(str(tmp_path / 'cases.json'))}));\n"
        f"process.stdout.write(JSON.stringify({evaluate}(N, C)));\n")
    out = subprocess.run([node, str(runner)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _script_with(right: str, wrong: str) -> str:
    """explorers.js with one plausible mistake edited in."""
    source = SCRIPT.read_text(encoding="utf-8")
    assert source.count(right) == 1, f"{right!r} is no longer (exactly once) in explorers.js: update the test"
    return source.replace(right, wrong)


def test_javascript_math_equals_nnkit_in_node(tmp_path):
    cases = _cases()
    _check_against_nnkit(_run_in_node(tmp_path, cases), cases)


def test_a_wrong_javascript_formula_is_caught():
    cases = _cases()
    js = {"act": {}, "grad": {}}
    z = np.array(cases["z"])
    for name in cases["names"]:
        phi = [list(z if name == "identity" else E.activation_values(name, z, a)[0])
               for a in cases["alphas"]]
        js["act"][name] = phi
        js["grad"][name] = [list(np.ones_like(z) if name == "identity" else
                                 E.activation_values(name, z, a)[1]) for a in cases["alphas"]]
    js["act"]["gelu"][0][100] += 1e-5  # one value off by 1e-5
    with pytest.raises(AssertionError, match="gelu"):
        _check_against_nnkit(js, cases)


# Plausible mistakes in the page's JavaScript (source text -> wrong text); each must be caught.
WRONG_JS = {
    "gated": ("slope.push((1 - f) * (1 - th * th));", "slope.push((1 - f) * (1 - th));"),
    "gated f": ("out.push(f * g[j] + acc);", "out.push(g[j] + acc);"),
    "pooling average": ("s / (p * p)", "s / p"),
    "pooling conv": ("s += K[u][w] * X[i + u][j + w];", "s += K[k - 1 - u][k - 1 - w] * X[i + u][j + w];"),
    "pooling image": ("Math.max(0, Math.min(1, Math.min(c + 1, x1) - Math.max(c, x0)))",
                      "Math.round(Math.max(0, Math.min(1, Math.min(c + 1, x1) - Math.max(c, x0))))"),
}


# -- chapter 5: the initialization explorer's generator and network --------------------------------

# (gain, activation, depth): stable, vanishing, exploding and saturating runs, the extremes of
# the controls (gain 0.1 and 4, depth 2 and 30) and every activation
INIT_RUNS = [(1.0, "tanh", 20), (3.0, "tanh", 20), (0.5, "tanh", 20), (1.41, "ReLU", 20),
             (1.0, "ReLU", 30), (2.0, "ReLU", 20), (0.1, "ReLU", 30), (4.0, "linear", 30),
             (1.0, "linear", 2), (1.0, "sigmoid", 20), (2.5, "sigmoid", 7)]


def _init_cases():
    rng = np.random.default_rng(11)
    return {"config": I.init_config(), "runs": INIT_RUNS,
            "hash": [0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, *rng.integers(0, 2**32, 20).tolist()],
            "streams": [[0, 0, 9], [5, 1, 1000], [5, 2, 7], [2**32 - 1, 2**32 - 1, 64], [123, 40, 5]],
            "depths": list(range(2, 31))}


# Per run: every layer's std, its first 50 outputs, and the counts of the shown layers.
EVALUATE_INIT = """
(function (N, C) {
  var m = N.math, out = {hash: C.hash.map(m.hash32), normals: [], runs: [], shown: C.depths.map(m.initShownLayers)};
  C.streams.forEach(function (s) { out.normals.push(Array.from(m.counterNormal(s[0], s[1], s[2]))); });
  C.runs.forEach(function (r) {
    var cfg = JSON.parse(JSON.stringify(C.config)), res = m.initLayerOutputs(cfg, r[0], r[1], r[2]);
    out.runs.push({std: res.stds, head: res.outs.map(function (a) { return Array.from(a.slice(0, 50)); }),
                   counts: m.initShownLayers(r[2]).map(function (l) { return m.initHistogram(res.outs[l - 1], r[1], cfg).counts; })});
  });
  return out;
})
"""


def _check_init_against_nnkit(js: dict, cases: dict) -> None:
    cfg = cases["config"]
    assert js["hash"] == I.hash32(np.array(cases["hash"], dtype=np.uint64)).tolist(), "hash32"
    for (seed, stream, count), got in zip(cases["streams"], js["normals"]):
        np.testing.assert_allclose(got, I.counter_normal(seed, stream, (count,)), rtol=0, atol=TOL,
                                   err_msg=f"counter_normal seed={seed} stream={stream}")
    assert js["shown"] == [I.shown_layers(d) for d in cases["depths"]], "shown layers"
    for (gain, act, depth), got in zip(cases["runs"], js["runs"]):
        outs = I.init_layer_outputs(gain, act, depth, cfg)
        std = np.array([a.std() for a in outs])
        where = f"init gain={gain} {act} depth={depth}"
        # relative: the runs span 1e-33 to 1e18
        np.testing.assert_allclose(got["std"], std, rtol=TOL, atol=0, err_msg=f"{where}: std")
        for l, (head, a) in enumerate(zip(got["head"], outs), start=1):
            np.testing.assert_allclose(head, a.ravel()[:50], rtol=TOL, atol=TOL * std[l - 1],
                                       err_msg=f"{where}: outputs of layer {l}")
        for l, counts in zip(I.shown_layers(depth), got["counts"]):
            want, edges = I.init_histogram(outs[l - 1], act, cfg)
            # a value within rounding of a bin edge may fall on either side of it: the counts
            # may differ by at most twice the number of such values
            lo, hi = cfg["ranges"][act]
            v = np.clip(I.histogram_values(outs[l - 1], act), lo, hi)
            ties = int(np.sum(np.min(np.abs(v[:, None] - edges[None, 1:-1]), axis=1) < TOL * (hi - lo)))
            diff = int(np.abs(np.array(counts) - want).sum())
            assert len(counts) == len(want) and diff <= 2 * ties, (where, l, diff, ties)


def test_the_init_cases_reach_every_regime():
    cfg = I.init_config()
    last = {run: np.array([a.std() for a in I.init_layer_outputs(*run, cfg)]) for run in INIT_RUNS}
    assert last[0.1, "ReLU", 30][-1] < 1e-20 and last[4.0, "linear", 30][-1] > 1e15
    counts = I.init_histogram(I.init_layer_outputs(0.1, "ReLU", 30, cfg)[-1], "ReLU", cfg)[0]
    assert counts[0] > 0  # values below the axis land in the first bin
    assert I.saturated_share(I.init_layer_outputs(3.0, "tanh", 20, cfg)[-1], "tanh") > 0.2
    assert {act for _, act, _ in INIT_RUNS} == set(I.INIT_ACTIVATIONS)


@pytest.mark.parametrize("mistake", list(WRONG_JS))
def test_a_wrong_javascript_formula_for_gates_or_pooling_is_caught(mistake, tmp_path):
    cases = _cases()
    js = _run_in_node(tmp_path, cases, script=_script_with(*WRONG_JS[mistake]))
    with pytest.raises(AssertionError, match=mistake.split()[0]):
        _check_gated_and_pooling(js, cases)


def test_init_explorer_javascript_equals_nnkit_in_node(tmp_path):
    cases = _init_cases()
    _check_init_against_nnkit(_run_in_node(tmp_path, cases, EVALUATE_INIT), cases)


@pytest.mark.parametrize("right, wrong", [
    ("scale = gain / Math.sqrt(nin)", "scale = gain / Math.sqrt(nin + 1)"),  # Var W = gain^2/(n_in+1)
    ("out[t] = r * Math.cos(angle)", "out[t] = r * Math.sin(angle)"),          # Box-Muller mixed up
    ("x ^= x >>> 15;", "x ^= x >>> 14;"),                                      # another hash
])
def test_a_wrong_init_formula_in_the_javascript_is_caught(tmp_path, right, wrong):
    cases = _init_cases()
    js = _run_in_node(tmp_path, cases, EVALUATE_INIT, script=_script_with(right, wrong))
    with pytest.raises(AssertionError):
        _check_init_against_nnkit(js, cases)


def test_a_small_init_error_is_caught():
    cases = _init_cases()
    cfg = cases["config"]
    js = {"hash": I.hash32(np.array(cases["hash"], dtype=np.uint64)).tolist(),
          "normals": [I.counter_normal(a, b, (c,)).tolist() for a, b, c in cases["streams"]],
          "shown": [I.shown_layers(d) for d in cases["depths"]], "runs": []}
    for gain, act, depth in cases["runs"]:
        outs = I.init_layer_outputs(gain, act, depth, cfg)
        js["runs"].append({"std": [a.std() for a in outs], "head": [a.ravel()[:50].tolist() for a in outs],
                           "counts": [I.init_histogram(outs[l - 1], act, cfg)[0].tolist()
                                      for l in I.shown_layers(depth)]})
    _check_init_against_nnkit(js, cases)  # nnkit against itself passes
    js["runs"][4]["std"][-1] *= 1 + 1e-5  # one std off by 1e-5, relative
    with pytest.raises(AssertionError, match="ReLU depth=30: std"):
        _check_init_against_nnkit(js, cases)


# -- in Chromium ---------------------------------------------------------------------------------

EXPLORERS = {
    "init_scale": E.initialization_explorer,
    "activation": E.activation_explorer,
    "neuron": E.neuron_explorer,
    "architecture": E.architecture_explorer,
    "learning_rate": E.learning_rate_explorer,
    "losses": E.loss_explorer,
    "pac_bounds": E.pac_bounds_explorer,
    "gated_gradient": E.gated_gradient_explorer,
    "pooling": E.pooling_explorer,
}
# controls that act only after another one is set (alpha: a function with a slope;
# the width of hidden layer l: at least l hidden layers)
PREPARE = {"alpha": ("activation", "leaky_relu"),
           **{f"width{l}": ("depth", "4") for l in range(1, 5)}}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from tests.conftest import serve

    folder = tmp_path_factory.mktemp("explorers")
    for kind, make in EXPLORERS.items():
        make().save(folder / f"{kind}.html")
    url, server = serve(folder)
    yield url
    server.shutdown()


def _figure_signature(page) -> str:
    """What the figure shows: the data: URLs of its images (SVG markup or PNG pixels)."""
    data = page.evaluate("""() => Array.from(document.querySelectorAll('.nnkit-js-figure img'))
        .map(i => i.src).join('|')""")
    return hashlib.sha256(data.encode()).hexdigest()


def _set(page, name: str, value: str) -> None:
    """Set a control as a reader would: select an option, or drag the slider there."""
    control = page.locator(f"[data-name='{name}']")
    if control.evaluate("e => e.tagName") == "SELECT":
        control.select_option(value)
    else:
        control.evaluate("(e, v) => { e.value = v; e.dispatchEvent(new Event('input', "
                         "{bubbles: true})); }", value)


def _other_value(c) -> str:
    """A value of the control different from its initial one."""
    if isinstance(c, Range):
        target = c.low + 0.37 * (c.high - c.low)
        target = round((target - c.low) / c.step) * c.step + c.low
        if abs(target - c.value) < c.step:
            target = c.high
        return repr(float(target))
    return next(o for o in c.options if o != c.value)


@pytest.mark.browser
@pytest.mark.parametrize("kind", list(EXPLORERS))
def test_every_control_changes_the_figure_at_phone_width(kind, served, browser):
    explorer = EXPLORERS[kind]()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{served}/{kind}.html", wait_until="networkidle")
    readout = page.locator(".nnkit-js-readout").text_content()
    assert "enable it" not in readout, "the script did not draw the explorer"
    for c in explorer.controls:
        if c.name in PREPARE:
            _set(page, *PREPARE[c.name])
        assert page.locator(f"[data-name='{c.name}']").is_enabled(), c.name
        before = _figure_signature(page)
        _set(page, c.name, _other_value(c))
        assert _figure_signature(page) != before, f"moving {c.name!r} did not change the figure"
    # keyboard: one arrow-key step on any slider (from where the loop left it) redraws
    for c in explorer.controls:
        if not isinstance(c, Range):
            continue
        if c.name in PREPARE:
            _set(page, *PREPARE[c.name])
        slider = page.locator(f"[data-name='{c.name}']")
        before = _figure_signature(page)
        slider.focus()
        at_max = slider.evaluate("e => Number(e.value) >= Number(e.max)")
        page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
        assert _figure_signature(page) != before, f"one step of {c.name!r} did not redraw"
    # the page fits a phone: nothing wider than the viewport
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    boxes = page.evaluate("""() => Array.from(document.querySelectorAll(
        '.nnkit-js-figure img')).map(e => [e.getBoundingClientRect().right, e.naturalWidth, e.alt])""")
    assert boxes and max(b[0] for b in boxes) <= 390
    assert all(b[1] > 0 and len(b[2]) > 20 for b in boxes), boxes  # decoded, with alt text
    context.close()
    assert all(u.startswith(served) for u in requests), requests
    assert not errors, errors


@pytest.mark.browser
@pytest.mark.parametrize("page_name, evaluate, make_cases, check", [
    ("activation", EVALUATE, _cases, _check_against_nnkit),
    ("init_scale", EVALUATE_INIT, _init_cases, _check_init_against_nnkit),
], ids=["closed-form kinds", "init explorer"])
def test_javascript_math_equals_nnkit_in_chromium(served, browser, page_name, evaluate, make_cases, check):
    page = browser.new_page()
    page.goto(f"{served}/{page_name}.html")
    cases = make_cases()
    js = page.evaluate(f"(C) => {evaluate}(window.NNKIT, C)", cases)
    page.close()
    check(js, cases)


def test_the_script_is_inlined_once_per_block_and_requests_nothing():
    html = E.activation_explorer().to_html()
    assert script_source().replace("</", "<\\/") in html
    for marker in ("src=", "href=", "fetch(", "XMLHttpRequest", "import("):
        assert marker not in html, marker


# -- in the built book -------------------------------------------------------------------------


@pytest.mark.book
@pytest.mark.browser
def test_every_explorer_in_the_book_draws_itself(book_html, book_url, browser):
    pages = [p for p in sorted(book_html.rglob("*.html"))
             if "nnkit-js-explorer" in p.read_text(encoding="utf-8")]
    if not pages:
        pytest.fail("no page of the built book holds a JavaScript explorer")
    problems = []
    for path in pages:
        rel = path.relative_to(book_html).as_posix()
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        outside = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
            (book_url, "data:", "blob:", "about:")) else None)
        page.goto(f"{book_url}/{rel}", wait_until="networkidle")
        texts = page.locator(".nnkit-js-readout").all_text_contents()
        problems += [f"{rel}: an explorer did not draw" for t in texts if "enable it" in t]
        problems += [f"{rel}: request outside 127.0.0.1: {u}" for u in outside]
        context.close()
    assert not problems, "\n".join(problems)


# -- thebe: no CDN address in the pages ------------------------------------------------------------


def test_sphinx_offline_recognizes_thebe_assets_and_refuses_the_button():
    from types import SimpleNamespace

    from sphinx.errors import ConfigError

    from nnkit.book import sphinx_offline as so

    cdn = SimpleNamespace(filename=None, attributes={"body": 'const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"'})
    script = SimpleNamespace(filename="sphinx-thebe.js", attributes={})
    css = SimpleNamespace(filename="sphinx-thebe.css", attributes={})
    mathjax = SimpleNamespace(filename="mathjax/tex-chtml.js", attributes={})
    assert so.is_thebe_asset(cdn) and so.is_thebe_asset(script) and so.is_thebe_asset(css)
    assert not so.is_thebe_asset(mathjax)
    context = {"script_files": [cdn, mathjax, script], "css_files": [css]}
    so._drop_thebe(None, "page", "page.html", context, None)
    assert context == {"script_files": [mathjax], "css_files": []}
    app = SimpleNamespace(config=SimpleNamespace(html_theme_options={"launch_buttons": {"thebe": True}}))
    with pytest.raises(ConfigError, match="unpkg"):
        so._check(app, app.config)
    app.config.html_theme_options["launch_buttons"]["thebe"] = False
    so._check(app, app.config)


@pytest.mark.book
def test_no_page_of_the_built_book_names_a_cdn(book_html):
    offenders = []
    for path in sorted(book_html.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for cdn in ("unpkg.com", "cdn.jsdelivr.net", "cdnjs.cloudflare.com"):
            if cdn in text:
                offenders.append(f"{path.relative_to(book_html)}: {cdn}")
    assert not offenders, "\n".join(offenders)
