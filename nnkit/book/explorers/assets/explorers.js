/* The book's closed-form explorers, computed in the page (nnkit/book/explorers/jsexplorer.py).
 *
 * NNKIT.math mirrors nnkit (activations and their derivatives, a dense network's forward
 * pass, gradient descent with momentum on a quadratic, the PAC sample-size bounds); a test
 * compares it with nnkit at the same points (tests/book/test_explorers_browser.py).
 * NNKIT.mount(root) wires one explorer block: it reads the block's JSON configuration and
 * its controls (<input>/<select> with data-name) and redraws its figure on every input.
 * No request, no library: plain SVG and canvas. Loaded once per page (each block carries
 * this file; later copies return at once).
 */
(function (global) {
  "use strict";
  var VERSION = 1;
  if (global.NNKIT && global.NNKIT.version === VERSION) { return; }
  var SVGNS = "http://www.w3.org/2000/svg";

  // -- math ---------------------------------------------------------------------------------
  var SQRT_HALF = Math.sqrt(0.5), INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

  function erf(x) {
    // |x| < 2.5: the Maclaurin series (alternating, terms below 1e-17 relative);
    // beyond: 1 - erfc(x) from its continued fraction (Lentz), both to ~1e-15.
    var ax = Math.abs(x), s;
    if (ax < 2.5) {
      var term = x, sum = x, x2 = x * x;
      for (var n = 1; n < 80; n++) {
        term *= -x2 / n;
        var add = term / (2 * n + 1);
        sum += add;
        if (Math.abs(add) < 1e-17 * Math.abs(sum)) { break; }
      }
      return 2 / Math.sqrt(Math.PI) * sum;
    }
    // erfc(ax) = exp(-ax^2)/sqrt(pi) * 1/(ax + 1/2/(ax + 1/(ax + 3/2/(ax + ...))))
    var tiny = 1e-300, f = ax, C = ax, D = 0, k;
    for (k = 1; k < 200; k++) {
      var a = k / 2;
      D = ax + a * D; D = Math.abs(D) < tiny ? tiny : D; D = 1 / D;
      C = ax + a / C; C = Math.abs(C) < tiny ? tiny : C;
      var delta = C * D;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) { break; }
    }
    s = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
    return x > 0 ? 1 - s : s - 1;
  }

  function sigmoid(z) {
    var e = Math.exp(-Math.abs(z)), r = 1 / (1 + e);
    return z < 0 ? e * r : r;
  }
  function normalCdf(z) { return 0.5 * (1 + erf(z * SQRT_HALF)); }
  function normalPdf(z) { var c = Math.max(-40, Math.min(40, z)); return Math.exp(-0.5 * c * c) * INV_SQRT_2PI; }

  // name -> [phi(z, alpha), phi'(z, alpha), takes alpha]; the same conventions as
  // nnkit.functional (relu'(0) = 0, step(0) = 1, gelu exact with erf).
  var ACT = {
    identity: [function (z) { return z; }, function () { return 1; }, false],
    step: [function (z) { return z >= 0 ? 1 : 0; }, function () { return 0; }, false],
    sigmoid: [sigmoid, function (z) { var sg = sigmoid(z); return sg * (1 - sg); }, false],
    tanh: [function (z) { return 2 * sigmoid(2 * z) - 1; },
           function (z) { var t = 2 * sigmoid(2 * z) - 1; return 1 - t * t; }, false],
    relu: [function (z) { return z > 0 ? z : 0; }, function (z) { return z > 0 ? 1 : 0; }, false],
    leaky_relu: [function (z, a) { return z > 0 ? z : a * z; },
                 function (z, a) { return z > 0 ? 1 : a; }, true],
    prelu: [function (z, a) { return z > 0 ? z : a * z; },
            function (z, a) { return z > 0 ? 1 : a; }, true],
    elu: [function (z, a) { return z > 0 ? z : a * Math.expm1(z); },
          function (z, a) { return z > 0 ? 1 : a * Math.exp(z); }, true],
    gelu: [function (z) { return z * normalCdf(z); },
           function (z) { return normalCdf(z) + z * normalPdf(z); }, false],
    swish: [function (z) { return z * sigmoid(z); },
            function (z) { var sg = sigmoid(z); return sg * (1 + z * (1 - sg)); }, false]
  };

  function activation(name, z, alpha) { return ACT[name][0](z, alpha); }
  function activationGrad(name, z, alpha) { return ACT[name][1](z, alpha); }

  // A dense network: layers [{W: rows (n_out x n_in), b, act}], x a vector.
  // Returns {out, pattern}: the output vector and the signs of every hidden pre-activation.
  function forward(layers, x, alpha) {
    var a = x, pattern = "";
    for (var l = 0; l < layers.length; l++) {
      var L = layers[l], z = new Array(L.b.length);
      for (var i = 0; i < L.b.length; i++) {
        var s = L.b[i], row = L.W[i];
        for (var j = 0; j < a.length; j++) { s += row[j] * a[j]; }
        z[i] = s;
      }
      if (L.act) {
        for (i = 0; i < z.length; i++) {
          pattern += z[i] > 0 ? "1" : "0";
          z[i] = activation(L.act, z[i], alpha);
        }
      }
      a = z;
    }
    return {out: a, pattern: pattern};
  }

  // The layers of the architecture explorer: the stored standard normal draws Z (max size)
  // cut to the chosen widths and scaled like He initialization, W = Z sqrt(2 / n_in),
  // b = bscale * Zb (nnkit.book.explorers.architecture_network builds the same network).
  function architectureLayers(cfg, widths, act) {
    var sizes = [cfg.n_in].concat(widths, [cfg.n_out]), layers = [];
    for (var l = 0; l + 1 < sizes.length; l++) {
      var nin = sizes[l], nout = sizes[l + 1], last = l + 2 === sizes.length;
      var Z = cfg.Z[last ? cfg.Z.length - 1 : l], Zb = cfg.Zb[last ? cfg.Zb.length - 1 : l];
      var scale = Math.sqrt(2 / nin), W = [], b = [];
      for (var i = 0; i < nout; i++) {
        var row = [];
        for (var j = 0; j < nin; j++) { row.push(Z[i][j] * scale); }
        W.push(row);
        b.push(cfg.bscale * Zb[i]);
      }
      layers.push({W: W, b: b, act: last ? null : act});
    }
    return layers;
  }

  // nnkit.optim.SGD on f(theta) = 1/2 theta^T A theta: v <- m v + g, theta <- theta - lr v.
  function gdPath(A, theta0, lr, steps, momentum) {
    var t = theta0.slice(), v = [0, 0], path = [t.slice()];
    for (var k = 0; k < steps; k++) {
      var g = [A[0][0] * t[0] + A[0][1] * t[1], A[1][0] * t[0] + A[1][1] * t[1]];
      if (momentum) {
        v = k === 0 ? g : [momentum * v[0] + g[0], momentum * v[1] + g[1]];
        g = v;
      }
      t = [t[0] - lr * g[0], t[1] - lr * g[1]];
      path.push(t.slice());
      if (!(Math.abs(t[0]) < 1e6 && Math.abs(t[1]) < 1e6)) { break; }
    }
    return path;
  }

  // nnkit.theory.pac, before rounding up.
  var log2 = function (x) { return Math.log(x) / Math.LN2; };
  var bounds = {
    blumer: function (d, eps, delta) {
      return Math.max(4 / eps * log2(2 / delta), 8 * d / eps * log2(13 / eps));
    },
    anthony_biggs: function (d, eps, delta) {
      return 4 / eps * (d * log2(12 / eps) + log2(2 / delta));
    },
    finite: function (lnH, eps, delta) { return (lnH + Math.log(1 / delta)) / eps; }
  };

  // Chapter 3: a sigmoid output p = sigma(z) against a target y in [0, 1]. The squared error
  // with the factor 1/2 and the binary cross-entropy written from the logit, and the sizes of
  // their derivatives with respect to z.
  function softplus(x) { return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)); }
  function sigmoidLosses(z, y) {
    var p = sigmoid(z);
    return {mse: 0.5 * (p - y) * (p - y), bce: y * softplus(-z) + (1 - y) * softplus(z),
            dmse: (p - y) * p * (1 - p), dbce: p - y};
  }

  // -- drawing ------------------------------------------------------------------------------
  function el(name, attrs, parent) {
    var e = document.createElementNS(SVGNS, name);
    for (var k in attrs) { if (attrs.hasOwnProperty(k)) { e.setAttribute(k, attrs[k]); } }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function label(parent, x, y, s, attrs) {
    var t = el("text", Object.assign({x: x, y: y, "font-size": 13, fill: "#222",
                                      "font-family": "sans-serif"}, attrs || {}), parent);
    t.textContent = s;
    return t;
  }
  function fmtNum(v, digits) {
    if (!isFinite(v)) { return String(v); }
    var a = Math.abs(v);
    var s = (a !== 0 && (a >= 1e5 || a < 1e-3)) ? v.toExponential(1) : v.toFixed(digits === undefined ? 2 : digits);
    return s.replace("-", "\u2212");
  }
  function niceTicks(lo, hi, n) {
    var span = hi - lo, step = Math.pow(10, Math.floor(Math.log10(span / n)));
    var err = span / n / step;
    step *= err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) { out.push(Math.abs(v) < 1e-12 ? 0 : v); }
    return out;
  }

  // A plot panel: an <svg> with axes; returns {svg, x(v), y(v), ...}. Log axes take log10.
  function panel(box, opts) {
    var W = 340, H = 250, m = {l: 48, r: 10, t: 26, b: 40};
    var svg = el("svg", {viewBox: "0 0 " + W + " " + H, width: "100%", role: "img",
                         style: "max-width:420px;flex:1 1 300px;background:#fff"}, box);
    var tx = opts.logx ? Math.log10 : function (v) { return v; };
    var ty = opts.logy ? Math.log10 : function (v) { return v; };
    var x0 = tx(opts.x[0]), x1 = tx(opts.x[1]), y0 = ty(opts.y[0]), y1 = ty(opts.y[1]);
    var X = function (v) { return m.l + (tx(v) - x0) / (x1 - x0) * (W - m.l - m.r); };
    var Y = function (v) { return H - m.b - (ty(v) - y0) / (y1 - y0) * (H - m.t - m.b); };
    el("rect", {x: m.l, y: m.t, width: W - m.l - m.r, height: H - m.t - m.b, fill: "none",
                stroke: "#bbb"}, svg);
    var xt = opts.logx ? decades(opts.x) : niceTicks(opts.x[0], opts.x[1], 5);
    var yt = opts.logy ? decades(opts.y) : niceTicks(opts.y[0], opts.y[1], 4);
    xt.forEach(function (v) {
      el("line", {x1: X(v), x2: X(v), y1: H - m.b, y2: H - m.b + 4, stroke: "#222"}, svg);
      label(svg, X(v), H - m.b + 17, opts.logx ? "1e" + Math.round(Math.log10(v)) : fmtNum(v, v % 1 ? 1 : 0), {"text-anchor": "middle", "font-size": 12});
    });
    yt.forEach(function (v) {
      el("line", {x1: m.l - 4, x2: m.l, y1: Y(v), y2: Y(v), stroke: "#222"}, svg);
      label(svg, m.l - 6, Y(v) + 4, opts.logy ? "1e" + Math.round(Math.log10(v)) : fmtNum(v, v % 1 ? 1 : 0), {"text-anchor": "end", "font-size": 12});
    });
    if (opts.xlabel) { label(svg, (m.l + W - m.r) / 2, H - 4, opts.xlabel, {"text-anchor": "middle"}); }
    if (opts.title) { label(svg, (m.l + W - m.r) / 2, 17, opts.title, {"text-anchor": "middle"}); }
    var clipId = "nnkit-clip-" + Math.random().toString(36).slice(2);
    var clip = el("clipPath", {id: clipId}, el("defs", {}, svg));
    el("rect", {x: m.l, y: m.t, width: W - m.l - m.r, height: H - m.t - m.b}, clip);
    var g = el("g", {"clip-path": "url(#" + clipId + ")"}, svg);
    return {svg: svg, g: g, X: X, Y: Y, m: m, W: W, H: H};
  }
  function decades(r) {
    var out = [];
    for (var e = Math.ceil(Math.log10(r[0]) - 1e-9); e <= Math.floor(Math.log10(r[1]) + 1e-9); e++) { out.push(Math.pow(10, e)); }
    var stride = Math.ceil(out.length / 6);  // at most 6 labelled decades
    if (stride > 1) { out = out.filter(function (v, i) { return i % stride === 0; }); }
    return out;
  }
  function polyline(p, xs, ys, attrs) {
    var pts = [];
    for (var i = 0; i < xs.length; i++) {
      if (isFinite(ys[i])) { pts.push(p.X(xs[i]).toFixed(2) + "," + p.Y(ys[i]).toFixed(2)); }
    }
    return el("polyline", Object.assign({points: pts.join(" "), fill: "none", "stroke-width": 2}, attrs), p.g);
  }
  function bands(p, xs, mask, y0, y1) {
    // grey rectangles over the runs where mask is true
    for (var i = 0; i < xs.length; i++) {
      if (!mask[i]) { continue; }
      var j = i;
      while (j + 1 < xs.length && mask[j + 1]) { j++; }
      var a = i > 0 ? (xs[i - 1] + xs[i]) / 2 : xs[i], b = j + 1 < xs.length ? (xs[j] + xs[j + 1]) / 2 : xs[j];
      el("rect", {x: p.X(a), y: p.Y(y1), width: Math.max(0, p.X(b) - p.X(a)), height: p.Y(y0) - p.Y(y1),
                  fill: "#d9d9d9", "class": "nnkit-saturated"}, p.g);
      i = j;
    }
  }
  function linspace(a, b, n) { var out = []; for (var i = 0; i < n; i++) { out.push(a + (b - a) * i / (n - 1)); } return out; }

  // -- the explorers --------------------------------------------------------------------------
  var KINDS = {};

  // -- chapter 5: the scale of the initial weights (nnkit/book/explorers/initialization.py) ---
  // A stateless counter-based generator, written identically in NumPy
  // (nnkit.book.explorers.initialization.counter_normal): normal number t of stream s under
  // seed k is Box-Muller on the uniforms number 2p and 2p + 1 (p = floor(t / 2)), the uniform number i
  // being (hash32(key ^ hash32(i)) + 0.5) / 2^32 with key = hash32(hash32(k) + s). hash32 is
  // the "lowbias32" integer hash (xor-shift, multiply, xor-shift, multiply, xor-shift).
  function hash32(x) {
    x = x >>> 0;
    x ^= x >>> 16; x = Math.imul(x, 0x7feb352d);
    x ^= x >>> 15; x = Math.imul(x, 0x846ca68b);
    x ^= x >>> 16;
    return x >>> 0;
  }
  function counterNormal(seed, stream, count) {
    var key = hash32((hash32(seed) + stream) >>> 0), out = new Float64Array(count);
    var unit = function (i) { return ((hash32((key ^ hash32(i)) >>> 0)) + 0.5) / 4294967296; };
    for (var t = 0; t < count; t += 2) {
      var r = Math.sqrt(-2 * Math.log(unit(t))), angle = 2 * Math.PI * unit(t + 1);
      out[t] = r * Math.cos(angle);
      if (t + 1 < count) { out[t + 1] = r * Math.sin(angle); }
    }
    return out;
  }
  // Inputs X (samples x n_in) are stream 0, the weights Z of layer l (width x n_in, rows
  // first) stream l; layer l computes a = phi(gain / sqrt(n_in) * Z a_prev), no bias.
  // Returns the outputs of layers 1..depth (each samples x width, rows first) and their stds.
  var INIT_ACT = {tanh: ACT.tanh[0], ReLU: ACT.relu[0], sigmoid: sigmoid, linear: ACT.identity[0]};
  function initDraws(cfg, depth) {
    var cache = cfg._draws || (cfg._draws = {X: counterNormal(cfg.seed, 0, cfg.samples * cfg.n_in), Z: []});
    for (var l = cache.Z.length + 1; l <= depth; l++) {
      cache.Z.push(counterNormal(cfg.seed, l, cfg.width * (l === 1 ? cfg.n_in : cfg.width)));
    }
    return cache;
  }
  function initLayerOutputs(cfg, gain, act, depth) {
    var draws = initDraws(cfg, depth), phi = INIT_ACT[act], N = cfg.samples, a = draws.X, nin = cfg.n_in;
    var outs = [], stds = [];
    for (var l = 0; l < depth; l++) {
      var Z = draws.Z[l], n = cfg.width, scale = gain / Math.sqrt(nin), z = new Float64Array(N * n);
      var sum = 0, sum2 = 0;
      for (var s = 0; s < N; s++) {
        var base = s * nin;
        for (var i = 0; i < n; i++) {
          var acc = 0, row = i * nin;
          for (var j = 0; j < nin; j++) { acc += Z[row + j] * a[base + j]; }
          var v = phi(scale * acc);
          z[s * n + i] = v; sum += v;
        }
      }
      var mean = sum / z.length;
      for (var k = 0; k < z.length; k++) { var d = z[k] - mean; sum2 += d * d; }
      outs.push(z); stds.push(Math.sqrt(sum2 / z.length));
      a = z; nin = n;
    }
    return {outs: outs, stds: stds};
  }
  // What the histogram counts: the outputs themselves for tanh and sigmoid; log10 of the
  // positive outputs for ReLU and of |a| for linear (their sizes span many decades). Values
  // beyond the range go to the end bins; bins like numpy.histogram (the last one closed).
  function initHistogram(values, act, cfg) {
    var range = cfg.ranges[act], lo = range[0], hi = range[1], bins = cfg.bins;
    var step = (hi - lo) / bins, edges = [], counts = [];
    for (var b = 0; b <= bins; b++) { edges.push(b === bins ? hi : b * step + lo); counts.push(0); }
    counts.pop();
    var logs = act === "ReLU" || act === "linear";
    for (var k = 0; k < values.length; k++) {
      var v = values[k];
      if (logs) { if (act === "ReLU" && !(v > 0)) { continue; } v = Math.log10(Math.abs(v)); }
      v = Math.min(hi, Math.max(lo, v));
      var idx = Math.min(bins - 1, Math.floor((v - lo) / step));
      if (v < edges[idx]) { idx--; } else if (idx + 1 < bins && v >= edges[idx + 1]) { idx++; }
      counts[idx]++;
    }
    return {counts: counts, edges: edges};
  }
  function initShownLayers(depth) {
    var out = [1, Math.max(1, Math.floor(depth / 2)), depth];
    return out.filter(function (l, i) { return out.indexOf(l) === i; });
  }
  function saturatedShare(values, act) {
    if (act !== "tanh" && act !== "sigmoid") { return null; }
    var n = 0;
    for (var k = 0; k < values.length; k++) {
      var v = values[k];
      if (act === "tanh" ? Math.abs(v) > 0.99 : (v < 0.01 || v > 0.99)) { n++; }
    }
    return n / values.length;
  }

  var INIT_COLORS = ["#0072B2", "#E69F00", "#D55E00"], INIT_DASH = ["", "6 3", "2 2"];
  KINDS.init_scale = function (v, cfg, fig) {
    var depth = Math.round(v.depth), act = v.activation, gain = v.gain;
    var res = initLayerOutputs(cfg, gain, act, depth), shown = initShownLayers(depth);
    var total = cfg.samples * cfg.width, hists = shown.map(function (l) {
      return initHistogram(res.outs[l - 1], act, cfg);
    });
    var top = 0;
    hists.forEach(function (h) { h.counts.forEach(function (c) { top = Math.max(top, c / total); }); });
    var logs = act === "ReLU" || act === "linear", range = cfg.ranges[act];
    var p1 = panel(fig, {x: range, y: [0, 108 * top || 100],
                         xlabel: logs ? (act === "ReLU" ? "log10 of positive outputs" : "log10 |output|") : act + " output"});
    // the title names the layers in their colours (the legend)
    var title = label(p1.svg, (p1.m.l + p1.W - p1.m.r) / 2, 17, "% of units per bin, layer ", {"text-anchor": "middle"});
    hists.forEach(function (h, k) {
      var xs = [], ys = [];
      h.counts.forEach(function (c, b) { xs.push(h.edges[b], h.edges[b + 1]); ys.push(100 * c / total, 100 * c / total); });
      polyline(p1, xs, ys, {stroke: INIT_COLORS[k], "stroke-dasharray": INIT_DASH[k], "class": "nnkit-curve"});
      if (k) { el("tspan", {}, title).textContent = ", "; }
      el("tspan", {fill: INIT_COLORS[k], "font-weight": "bold"}, title).textContent = String(shown[k]);
    });
    var lo = Math.max(1e-300, Math.min.apply(null, res.stds)), hi = Math.max(1e-300, Math.max.apply(null, res.stds));
    var ylo = Math.pow(10, Math.floor(Math.log10(lo))), yhi = Math.pow(10, Math.ceil(Math.log10(hi)));
    if (yhi / ylo < 100) { ylo = Math.min(ylo, 0.1); yhi = Math.max(yhi, 10); }
    var p2 = panel(fig, {x: [0.5, depth + 0.5], y: [ylo, yhi], logy: true, xlabel: "layer",
                         title: "std of the activations per layer"});
    var layersIdx = res.stds.map(function (_, k) { return k + 1; });
    polyline(p2, layersIdx, res.stds, {stroke: "#0072B2", "class": "nnkit-curve"});
    shown.forEach(function (l, k) {
      el("circle", {cx: p2.X(l), cy: p2.Y(Math.max(res.stds[l - 1], 1e-300)), r: 4, fill: INIT_COLORS[k]}, p2.g);
    });
    var sat = saturatedShare(res.outs[depth - 1], act);
    return act + ", gain " + fmtNum(gain) + " (weights N(0, gain\u00b2/" + cfg.n_in + ")), " + depth + " layers of width " +
      cfg.width + ", " + cfg.samples + " standard normal inputs: std of the activations " +
      shown.map(function (l) { return fmtNum(res.stds[l - 1], 3) + " in layer " + l; }).join(", ") +
      (sat === null ? "" : "; " + Math.round(100 * sat) + "% of layer " + depth + " saturated (" +
       (act === "tanh" ? "|a| > 0.99" : "a < 0.01 or a > 0.99") + ")") + ".";
  };

  KINDS.activation = function (v, cfg, fig) {
    var name = v.activation, alpha = v.alpha, thr = v.threshold, r = v.range;
    var zs = linspace(-r, r, cfg.points || 401);
    var f = zs.map(function (z) { return activation(name, z, alpha); });
    var df = zs.map(function (z) { return activationGrad(name, z, alpha); });
    var sat = df.map(function (d) { return Math.abs(d) < thr; });
    var frac = sat.filter(Boolean).length / sat.length;
    var lo = Math.min.apply(null, f), hi = Math.max.apply(null, f), pad = 0.08 * (hi - lo || 1);
    var p1 = panel(fig, {x: [-r, r], y: [lo - pad, hi + pad], xlabel: "z",
                         title: "\u03c6(z): " + name + (ACT[name][2] ? ", \u03b1 = " + fmtNum(alpha) : "")});
    bands(p1, zs, sat, lo - pad, hi + pad);
    polyline(p1, zs, f, {stroke: "#0072B2", "class": "nnkit-curve"});
    var dlo = Math.min(-0.1, Math.min.apply(null, df) - 0.1), dhi = Math.max(1.1, Math.max.apply(null, df) + 0.1);
    var p2 = panel(fig, {x: [-r, r], y: [dlo, dhi], xlabel: "z",
                         title: "\u03c6\u2032(z); grey: |\u03c6\u2032| < " + fmtNum(thr, 3)});
    bands(p2, zs, sat, dlo, dhi);
    [-thr, thr].forEach(function (t) {
      el("line", {x1: p2.X(-r), x2: p2.X(r), y1: p2.Y(t), y2: p2.Y(t), stroke: "#666", "stroke-dasharray": "3 3"}, p2.g);
    });
    polyline(p2, zs, df, {stroke: "#D55E00", "class": "nnkit-curve"});
    return name + (ACT[name][2] ? " (\u03b1 = " + fmtNum(alpha) + ")" : "") + " saturates (|\u03c6\u2032(z)| < " +
      fmtNum(thr, 3) + ") on " + Math.round(100 * frac) + "% of [" + fmtNum(-r, 1) + ", " + fmtNum(r, 1) + "].";
  };

  function heat(fig, n, lim, value, color) {
    var c = document.createElement("canvas");
    c.width = n; c.height = n;
    c.setAttribute("role", "img");
    c.style.cssText = "width:100%;max-width:320px;image-rendering:pixelated;border:1px solid #bbb;flex:1 1 260px";
    var ctx = c.getContext("2d"), img = ctx.createImageData(n, n);
    for (var r = 0; r < n; r++) {
      for (var q = 0; q < n; q++) {
        var x = [-lim + (q + 0.5) * 2 * lim / n, lim - (r + 0.5) * 2 * lim / n];
        var rgb = color(value(x));
        var o = 4 * (r * n + q);
        img.data[o] = rgb[0]; img.data[o + 1] = rgb[1]; img.data[o + 2] = rgb[2]; img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    fig.appendChild(c);
    return {canvas: c, ctx: ctx, px: function (x) { return [(x[0] + lim) / (2 * lim) * n, (lim - x[1]) / (2 * lim) * n]; }};
  }
  function blues(t) { t = Math.max(0, Math.min(1, t)); return [Math.round(255 - 200 * t), Math.round(255 - 140 * t), Math.round(255 - 45 * t)]; }
  function diverging(t) {
    t = Math.max(-1, Math.min(1, t));
    return t >= 0 ? [Math.round(255 - 200 * t), Math.round(255 - 140 * t), Math.round(255 - 45 * t)]
                  : [Math.round(255 + 42 * t), Math.round(255 + 160 * t), Math.round(255 + 255 * t)];
  }

  KINDS.neuron = function (v, cfg, fig) {
    var t = v.angle * Math.PI / 180, w = [v.norm * Math.cos(t), v.norm * Math.sin(t)], b = v.bias;
    var lim = cfg.lim, act = v.activation || "relu";
    var layer = [{W: [w], b: [b], act: act}];
    // a fixed colour scale, so that the length of w shows as the steepness of the ramp
    var h = heat(fig, cfg.pixels || 160, lim, function (x) { return forward(layer, x, 0.01).out[0]; },
                 function (a) { return act === "tanh" ? diverging(a) : blues(act === "relu" ? a / cfg.vmax : a); });
    var ctx = h.ctx, n = cfg.pixels || 160;
    // boundary w.x + b = 0 and the arrow w from its closest point to the origin
    var foot = [-b * w[0] / (v.norm * v.norm), -b * w[1] / (v.norm * v.norm)];
    var dir = [-w[1] / v.norm, w[0] / v.norm], L = 4 * lim;
    var p = h.px([foot[0] - L * dir[0], foot[1] - L * dir[1]]), q = h.px([foot[0] + L * dir[0], foot[1] + L * dir[1]]);
    ctx.strokeStyle = "#D55E00"; ctx.lineWidth = n / 100;
    ctx.beginPath(); ctx.moveTo(p[0], p[1]); ctx.lineTo(q[0], q[1]); ctx.stroke();
    var a0 = h.px(foot), a1 = h.px([foot[0] + w[0] / v.norm, foot[1] + w[1] / v.norm]);
    ctx.strokeStyle = "#222"; ctx.beginPath(); ctx.moveTo(a0[0], a0[1]); ctx.lineTo(a1[0], a1[1]); ctx.stroke();
    ctx.beginPath(); ctx.arc(a1[0], a1[1], n / 60, 0, 2 * Math.PI); ctx.fillStyle = "#222"; ctx.fill();
    return "w = (" + fmtNum(w[0]) + ", " + fmtNum(w[1]) + "), b = " + fmtNum(b) + ": output a = " + act +
      "(w\u00b7x + b)" + (act === "relu" ? ", white where 0, darker blue as it grows (scale 0 to " + cfg.vmax + ")" :
      act === "tanh" ? ", orange below 0, blue above" : ", white near 0, blue near 1") +
      "; orange line w\u00b7x + b = 0, black stroke from it along w.";
  };

  function networkSvg(fig, sizes) {
    var W = 340, H = 210, maxShown = 9, svg = el("svg", {viewBox: "0 0 " + W + " " + H, width: "100%", role: "img",
                                                 style: "max-width:420px;flex:1 1 300px;background:#fff"}, fig);
    var xs = sizes.map(function (_, i) { return 25 + i * (W - 50) / Math.max(1, sizes.length - 1); });
    var ys = sizes.map(function (n) {
      var k = Math.min(n, maxShown), out = [];
      for (var i = 0; i < k; i++) { out.push(95 + (i - (k - 1) / 2) * 18); }
      return out;
    });
    for (var c = 0; c + 1 < sizes.length; c++) {
      ys[c].forEach(function (y0) { ys[c + 1].forEach(function (y1) {
        el("line", {x1: xs[c], y1: y0, x2: xs[c + 1], y2: y1, stroke: "#999", "stroke-width": 0.5}, svg);
      }); });
    }
    ys.forEach(function (col, c) {
      var fill = c === 0 ? "#E8F1FA" : c === sizes.length - 1 ? "#E6F5EE" : "#FFF4E0";
      col.forEach(function (y) { el("circle", {cx: xs[c], cy: y, r: 6, fill: fill, stroke: "#222"}, svg); });
      label(svg, xs[c], 200, String(sizes[c]) + (sizes[c] > maxShown ? "*" : ""), {"text-anchor": "middle"});
    });
    return svg;
  }

  KINDS.architecture = function (v, cfg, fig, root) {
    var depth = Math.round(v.depth), widths = [];
    for (var l = 1; l <= cfg.max_depth; l++) {
      var ctl = root.querySelector("[data-name='width" + l + "']");
      if (ctl) { ctl.disabled = l > depth; }
      if (l <= depth) { widths.push(Math.round(v["width" + l])); }
    }
    var layers = architectureLayers(cfg, widths, v.activation);
    var sizes = [cfg.n_in].concat(widths, [cfg.n_out]);
    networkSvg(fig, sizes);
    var n = cfg.pixels, lim = cfg.lim, ids = {}, count = 0, vals = [];
    for (var r = 0; r < n; r++) {
      for (var q = 0; q < n; q++) {
        var res = forward(layers, [-lim + (q + 0.5) * 2 * lim / n, lim - (r + 0.5) * 2 * lim / n], cfg.alpha);
        if (!(res.pattern in ids)) { ids[res.pattern] = count++; }
        vals.push(v.view === "regions" ? ids[res.pattern] : res.out[0]);
      }
    }
    var scale = Math.max.apply(null, vals.map(Math.abs)) || 1, k = 0;
    if (v.view !== "regions") {
      // the decision boundary: pixels whose output has another sign than a right or lower neighbour
      var edge = vals.map(function (a, i) {
        var q = i % n, r = (i - q) / n;
        return (q + 1 < n && (a > 0) !== (vals[i + 1] > 0)) || (r + 1 < n && (a > 0) !== (vals[i + n] > 0));
      });
      vals = vals.map(function (a, i) { return edge[i] ? NaN : a; });
    }
    heat(fig, n, lim, function () { return vals[k++]; }, v.view === "regions" ? function (id) {
      var hue = (id * 137.508) % 360, c = 0.55, x = c * (1 - Math.abs((hue / 60) % 2 - 1)), m = 0.4;
      var rgb = hue < 60 ? [c, x, 0] : hue < 120 ? [x, c, 0] : hue < 180 ? [0, c, x] : hue < 240 ? [0, x, c] : hue < 300 ? [x, 0, c] : [c, 0, x];
      return rgb.map(function (u) { return Math.round(255 * (u + m)); });
    } : function (a) { return isNaN(a) ? [0, 0, 0] : diverging(a / scale); });
    var rows = [], total = 0;
    for (l = 0; l + 1 < sizes.length; l++) {
      var p = sizes[l + 1] * sizes[l] + sizes[l + 1];
      total += p;
      rows.push("W(" + (l + 1) + ") " + sizes[l + 1] + "\u00d7" + sizes[l] + " + " + sizes[l + 1] + " = " + p);
    }
    var table = root.querySelector(".nnkit-js-params");
    if (table) { table.textContent = rows.join("; ") + ". Total " + total + " parameters."; }
    return sizes.join("-") + " network, " + v.activation + ": " + total + " parameters; " + count +
      (v.view === "regions" ? " activation patterns (colours) on the square [" : " activation patterns; colour = output (blue > 0, orange < 0, black line = 0) on [") +
      fmtNum(-lim, 0) + ", " + fmtNum(lim, 0) + "]\u00b2.";
  };

  KINDS.learning_rate = function (v, cfg, fig) {
    var a = cfg.curvatures[0], b = v.curvature, A = [[a, 0], [0, b]];
    var path = gdPath(A, cfg.theta0, v.lr, cfg.steps, v.momentum);
    var loss = function (t) { return 0.5 * (a * t[0] * t[0] + b * t[1] * t[1]); };
    var lim = 1.3 * Math.max(Math.abs(cfg.theta0[0]), Math.abs(cfg.theta0[1]));
    var p1 = panel(fig, {x: [-lim, lim], y: [-lim, lim], xlabel: "\u03b8\u2081", title: "lr = " + fmtNum(v.lr, 3) +
                         (v.momentum ? ", momentum " + fmtNum(v.momentum) : "")});
    var f0 = loss(cfg.theta0);
    for (var k = 1; k <= 8; k++) {
      var lev = f0 * Math.pow(0.45, k - 1);
      el("ellipse", {cx: p1.X(0), cy: p1.Y(0), rx: p1.X(Math.sqrt(2 * lev / a)) - p1.X(0),
                     ry: p1.Y(0) - p1.Y(Math.sqrt(2 * lev / b)), fill: "none", stroke: "#ccc"}, p1.g);
    }
    polyline(p1, path.map(function (t) { return t[0]; }), path.map(function (t) { return t[1]; }),
             {stroke: "#D55E00", "stroke-width": 1.5, "class": "nnkit-curve"});
    var losses = path.map(loss);
    var p2 = panel(fig, {x: [0, cfg.steps], y: [1e-6, 1e4], logy: true, xlabel: "step", title: "loss"});
    polyline(p2, losses.map(function (_, i) { return i; }), losses.map(function (l) { return Math.max(l, 1e-12); }),
             {stroke: "#0072B2", "class": "nnkit-curve"});
    var last = losses[losses.length - 1];
    return "Curvatures " + fmtNum(a, 0) + " and " + fmtNum(b, 1) + ": plain gradient descent converges iff lr < 2/" +
      fmtNum(b, 1) + " = " + fmtNum(2 / b, 3) + ". " + (last > losses[0] ? "This run diverges." :
      "Loss after " + (losses.length - 1) + " steps: " + fmtNum(last) + ".");
  };

  KINDS.losses = function (v, cfg, fig) {
    var y = v.target, log = v.scale === "log", zs = linspace(-cfg.zmax, cfg.zmax, cfg.points || 401);
    var L = zs.map(function (z) { return sigmoidLosses(z, y); });
    var pick = function (key, abs) { return L.map(function (r) { return abs ? Math.abs(r[key]) : r[key]; }); };
    var floor = function (a) { return log ? a.map(function (u) { return Math.max(u, 1e-7); }) : a; };
    var lossMax = Math.max.apply(null, pick("bce")), panels = [
      {title: "loss, target y = " + fmtNum(y), a: pick("mse"), b: pick("bce"), top: log ? 10 : 1.05 * lossMax},
      {title: "|d\u2113/dz|: MSE (blue), BCE (orange)", a: pick("dmse", true), b: pick("dbce", true), top: log ? 10 : 1.05}];
    panels.forEach(function (q) {
      var p = panel(fig, {x: [-cfg.zmax, cfg.zmax], y: [log ? 1e-6 : 0, q.top], logy: log, xlabel: "pre-activation z", title: q.title});
      polyline(p, zs, floor(q.a), {stroke: "#0072B2", "class": "nnkit-curve"});
      polyline(p, zs, floor(q.b), {stroke: "#D55E00", "stroke-dasharray": "6 3", "class": "nnkit-curve"});
    });
    var worst = sigmoidLosses(y >= 0.5 ? -cfg.zmax : cfg.zmax, y);
    return "Target y = " + fmtNum(y) + ". Blue: squared error (with 1/2); orange, dashed: cross-entropy. At the wrong end z = " +
      fmtNum(y >= 0.5 ? -cfg.zmax : cfg.zmax, 0) + " the gradients are " + fmtNum(Math.abs(worst.dmse), 4) + " (MSE) and " +
      fmtNum(Math.abs(worst.dbce), 4) + " (BCE).";
  };

  KINDS.pac_bounds = function (v, cfg, fig) {
    var d = Math.round(v.d_vc), delta = Math.pow(10, v.log_delta);
    var eps = [], n = 60;
    for (var i = 0; i < n; i++) { eps.push(Math.pow(10, Math.log10(cfg.eps[0]) + i / (n - 1) * Math.log10(cfg.eps[1] / cfg.eps[0]))); }
    var p = panel(fig, {x: cfg.eps, y: [1, 1e8], logx: true, logy: true, xlabel: "accuracy \u03b5",
                        title: "d_VC = " + d + ", \u03b4 = " + fmtNum(delta, 3)});
    polyline(p, eps, eps.map(function (e) { return Math.ceil(bounds.blumer(d, e, delta)); }), {stroke: "#0072B2", "class": "nnkit-curve"});
    polyline(p, eps, eps.map(function (e) { return Math.ceil(bounds.anthony_biggs(d, e, delta)); }), {stroke: "#D55E00", "class": "nnkit-curve"});
    polyline(p, eps, eps.map(function (e) { return (d + Math.log(1 / delta)) / e; }), {stroke: "#666", "stroke-dasharray": "3 3", "class": "nnkit-curve"});
    var e0 = cfg.eps_mark;
    return "At \u03b5 = " + e0 + ": Blumer et al. need m = " + Math.ceil(bounds.blumer(d, e0, delta)) +
      " samples (blue), Anthony & Biggs " + Math.ceil(bounds.anthony_biggs(d, e0, delta)) +
      " (orange); dashed: (d + ln(1/\u03b4))/\u03b5, the shape of the lower bound.";
  };

  // Chapter 7: the gated recurrence with fixed gates, h_t = f h_{t-1} + (1 - f) tanh(a_t),
  // a_t = W h_{t-1} + U x_t + b, and ||dL/dh_{T-k}|| for L = <ones/sqrt(h), h_T>, the row
  // vector g <- f g + ((1 - f) tanh'(a_t) g) W (nnkit.theory.fixed_gate_grad_norms).
  function gatedWeights(cfg, rho) {
    var s = rho / cfg.radius;
    return cfg.W.map(function (row) { return row.map(function (w) { return w * s; }); });
  }
  function fixedGateGradNorms(W, U, b, x, f) {
    var H = b.length, h = [], slopes = [], i, j, t;
    for (i = 0; i < H; i++) { h.push(0); }
    for (t = 0; t < x.length; t++) {
      var next = [], slope = [];
      for (i = 0; i < H; i++) {
        var s = 0, u = 0;
        for (j = 0; j < H; j++) { s += W[i][j] * h[j]; }
        for (j = 0; j < x[t].length; j++) { u += U[i][j] * x[t][j]; }
        var th = Math.tanh(s + u + b[i]);
        next.push(f * h[i] + (1 - f) * th);
        slope.push((1 - f) * (1 - th * th));
      }
      h = next;
      slopes.push(slope);
    }
    var g = [], norms = [];
    for (i = 0; i < H; i++) { g.push(1 / Math.sqrt(H)); }
    var norm = function (v) { var q = 0; for (var k = 0; k < v.length; k++) { q += v[k] * v[k]; } return Math.sqrt(q); };
    norms.push(norm(g));
    for (t = slopes.length - 1; t >= 0; t--) {
      var gs = g.map(function (v, k) { return v * slopes[t][k]; }), out = [];
      for (j = 0; j < H; j++) {
        var acc = 0;
        for (i = 0; i < H; i++) { acc += gs[i] * W[i][j]; }
        out.push(f * g[j] + acc);
      }
      g = out;
      norms.push(norm(g));
    }
    return norms;
  }

  KINDS.gated_gradient = function (v, cfg, fig) {
    var T = Math.round(v.steps), f = 1 - Math.pow(10, v.log_one_minus_f);
    var W = gatedWeights(cfg, v.rho), x = cfg.x.slice(0, T);
    var vanilla = fixedGateGradNorms(W, cfg.U, cfg.b, x, 0), gated = fixedGateGradNorms(W, cfg.U, cfg.b, x, f);
    var ks = vanilla.map(function (_, k) { return k; });
    var clip = function (a) { return a.map(function (u) { return Math.min(1e8, Math.max(1e-14, u)); }); };
    var p = panel(fig, {x: [0, T], y: [1e-12, 1e6], logy: true, xlabel: "distance in time k",
                        title: "\u03c1(W) = " + fmtNum(v.rho) + ", f = " + fmtNum(f, 3) + ", T = " + T});
    el("line", {x1: p.X(0), x2: p.X(T), y1: p.Y(1), y2: p.Y(1), stroke: "#009E73", "stroke-width": 1}, p.g);
    polyline(p, ks, clip(vanilla), {stroke: "#888", "stroke-dasharray": "6 3", "class": "nnkit-curve"});
    polyline(p, ks, clip(gated), {stroke: "#0072B2", "class": "nnkit-curve"});
    var fmtE = function (u) { return u.toExponential(1).replace("-", "\u2212"); };
    return "\u2016\u2202L/\u2202h\u2016 against the distance k, log scale, for \u03c1(W) = " + fmtNum(v.rho) +
      " and T = " + T + ". At distance " + T + " the gradient norm is " + fmtE(gated[T]) + " with the forget gate f = " +
      fmtNum(f, 3) + " (blue) and " + fmtE(vanilla[T]) + " for the vanilla network, f = 0 (grey, dashed); green: 1, the identity path.";
  };

  // Chapter 9: a bar image, the ReLU of its valid convolution with a 2x2 kernel, and p x p
  // pooling at a stride (nnkit.book.explorers.pooling_maps).
  function barImage(cfg, shift, width) {
    var n = cfg.size, x0 = cfg.left + shift, x1 = x0 + width, img = [];
    for (var r = 0; r < n; r++) {
      var row = [];
      for (var c = 0; c < n; c++) {
        var inside = r >= cfg.rows[0] && r < cfg.rows[1];
        row.push(inside ? Math.max(0, Math.min(1, Math.min(c + 1, x1) - Math.max(c, x0))) : 0);
      }
      img.push(row);
    }
    return img;
  }
  function conv2dValid(X, K) {
    var out = [], k = K.length;
    for (var i = 0; i + k <= X.length; i++) {
      var row = [];
      for (var j = 0; j + k <= X[0].length; j++) {
        var s = 0;
        for (var u = 0; u < k; u++) { for (var w = 0; w < k; w++) { s += K[u][w] * X[i + u][j + w]; } }
        row.push(s);
      }
      out.push(row);
    }
    return out;
  }
  function pool2d(A, p, stride, reduce) {
    var out = [];
    for (var i = 0; i + p <= A.length; i += stride) {
      var row = [];
      for (var j = 0; j + p <= A[0].length; j += stride) {
        var m = -Infinity, s = 0;
        for (var u = 0; u < p; u++) { for (var w = 0; w < p; w++) { m = Math.max(m, A[i + u][j + w]); s += A[i + u][j + w]; } }
        row.push(reduce === "max" ? m : s / (p * p));
      }
      out.push(row);
    }
    return out;
  }
  function poolingMaps(cfg, shift, width, kernel, pooling, p, stride) {
    var img = barImage(cfg, shift, width);
    var fmap = conv2dValid(img, cfg.kernels[kernel]).map(function (row) { return row.map(function (a) { return Math.max(a, 0); }); });
    return {image: img, fmap: fmap, pooled: pool2d(fmap, p, stride, pooling)};
  }
  // a matrix as a grid of grey cells with its non-zero values written in them
  function gridPanel(fig, M, title, vmax, windows, p) {
    // the same cell size in every panel (8 cells across), the height as the matrix needs
    var c = 20, pad = 4, top = 24, side = 8 * c + 2 * pad, height = top + M.length * c + pad;
    var svg = el("svg", {viewBox: "0 0 " + side + " " + height, width: "100%", role: "img",
                         style: "min-width:0;flex:0 1 172px;background:#fff"}, fig);
    label(svg, side / 2, 16, title, {"text-anchor": "middle", "font-size": 12});
    M.forEach(function (row, i) {
      row.forEach(function (a, j) {
        var t = Math.max(0, Math.min(1, a / vmax)), grey = Math.round(255 * (1 - t));
        el("rect", {x: pad + j * c, y: top + i * c, width: c, height: c, stroke: "#bbb", "stroke-width": 0.5,
                    fill: "rgb(" + grey + "," + grey + "," + grey + ")"}, svg);
        if (a > 0) {
          label(svg, pad + (j + 0.5) * c, top + (i + 0.5) * c + 3.5, String(Math.round(a * 100) / 100),
                {"text-anchor": "middle", "font-size": 9.5, fill: t > 0.5 ? "#fff" : "#000"});
        }
      });
    });
    (windows || []).forEach(function (w) {
      el("rect", {x: pad + w[1] * c, y: top + w[0] * c, width: p * c, height: p * c, fill: "none",
                  stroke: "#D55E00", "stroke-width": 2}, svg);
    });
  }

  KINDS.pooling = function (v, cfg, fig) {
    var p = parseInt(v.p, 10), s = v.stride === "p" ? p : parseInt(v.stride, 10);
    var maps = poolingMaps(cfg, v.shift, v.width, v.kernel, v.pooling, p, s);
    var most = function (M) { return Math.max.apply(null, M.map(function (r) { return Math.max.apply(null, r); })); };
    var fmax = most(maps.fmap), top = Math.max(1, fmax), big = most(maps.pooled);
    var n = maps.pooled.length, m = maps.pooled[0].length, windows = [], where = [];
    for (var i = 0; i < (s < p ? 1 : n); i++) { for (var j = 0; j < (s < p ? 1 : m); j++) { windows.push([s * i, s * j]); } }
    gridPanel(fig, maps.image, "input image", 1);
    gridPanel(fig, maps.fmap, v.kernel + " feature map", top, windows, p);
    gridPanel(fig, maps.pooled, v.pooling + " pooling " + p + "\u00d7" + p + ", stride " + s, top);
    maps.pooled.forEach(function (r, a) { r.forEach(function (u, b) { if (u === big) { where.push("(" + a + ", " + b + ")"); } }); });
    return "A bar of width " + fmtNum(v.width, 1) + " shifted by " + fmtNum(v.shift, 1) + " pixels; the " + v.kernel +
      " kernel gives a " + maps.fmap.length + "\u00d7" + maps.fmap[0].length + " feature map, largest value " + fmtNum(fmax) +
      "; " + v.pooling + " pooling with " + p + "\u00d7" + p + " windows (orange) at stride " + s + " gives a " + n + "\u00d7" + m +
      " map" + (big > 0 ? ", largest value " + fmtNum(big) + " at (row, column) " + where.join(", ") + "." : " of zeros.");
  };

  // -- wiring ---------------------------------------------------------------------------------

  // Each drawn panel (an <svg> or a <canvas>) becomes an <img> with a data: URL, so the
  // explorer's figure is a plain image like every other figure of the book (alt text,
  // "save image", and the same checks as the precomputed explorers).
  function toImages(scratch, fig, said) {
    var panels = Array.prototype.slice.call(scratch.children);
    panels.forEach(function (panel, k) {
      var img = document.createElement("img");
      if (panel.tagName.toLowerCase() === "canvas") {
        img.src = panel.toDataURL("image/png");
      } else {
        panel.setAttribute("xmlns", SVGNS);
        img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(new XMLSerializer().serializeToString(panel));
      }
      img.alt = (panels.length > 1 ? "Panel " + (k + 1) + " of " + panels.length + ". " : "") + said;
      img.style.cssText = panel.style.cssText + ";height:auto;display:block";
      fig.appendChild(img);
    });
  }
  function values(root) {
    var out = {}, controls = root.querySelectorAll("[data-name]");
    for (var i = 0; i < controls.length; i++) {
      var c = controls[i], name = c.getAttribute("data-name");
      out[name] = c.tagName === "SELECT" ? c.value : parseFloat(c.value);
    }
    return out;
  }

  function mount(root) {
    if (!root || root.getAttribute("data-ready")) { return; }
    root.setAttribute("data-ready", "1");
    var cfg = JSON.parse(root.querySelector("script[type='application/json']").textContent);
    var fig = root.querySelector(".nnkit-js-figure"), readout = root.querySelector(".nnkit-js-readout");
    var draw = KINDS[root.getAttribute("data-kind")];
    function update() {
      var v = values(root);
      var controls = root.querySelectorAll("[data-name]"), settings = [];
      var alphaCtl = root.querySelector("[data-name='alpha']");
      if (alphaCtl && v.activation && ACT[v.activation]) { alphaCtl.disabled = !ACT[v.activation][2]; }
      for (var i = 0; i < controls.length; i++) {
        var c = controls[i], out = root.querySelector("output[data-for='" + c.getAttribute("data-name") + "']");
        var text = c.value;
        if (c.type === "range") {
          var shown = c.getAttribute("data-show") === "pow10" ? Math.pow(10, parseFloat(c.value)) : parseFloat(c.value);
          text = fmtNum(shown, c.getAttribute("data-digits") ? parseInt(c.getAttribute("data-digits"), 10) : 2);
          c.setAttribute("aria-valuetext", text);
        }
        if (out) { out.textContent = text; }
        // the readout (an aria-live region) starts with every setting, so each change is announced
        var label = c.parentNode && c.parentNode.querySelector("span");
        if (!c.disabled) { settings.push((label ? label.textContent : c.getAttribute("data-name")) + " = " + text); }
      }
      var scratch = document.createElement("div");
      var said = draw(v, cfg, scratch, root);
      while (fig.firstChild) { fig.removeChild(fig.firstChild); }
      toImages(scratch, fig, said);
      readout.textContent = (settings.length ? "Settings: " + settings.join(", ") + ". " : "") + said;
      fig.setAttribute("aria-label", said);
    }
    var controls = root.querySelectorAll("[data-name]");
    for (var i = 0; i < controls.length; i++) {
      controls[i].addEventListener("input", update);
      controls[i].addEventListener("change", update);
    }
    update();
  }

  global.NNKIT = {
    version: VERSION,
    mount: mount,
    math: {erf: erf, sigmoid: sigmoid, activation: activation, activationGrad: activationGrad,
           ACTIVATIONS: Object.keys(ACT), takesAlpha: function (n) { return ACT[n][2]; },
           forward: forward, architectureLayers: architectureLayers, gdPath: gdPath, bounds: bounds,
           sigmoidLosses: sigmoidLosses,
           gatedWeights: gatedWeights, fixedGateGradNorms: fixedGateGradNorms,
           poolingMaps: poolingMaps, pool2d: pool2d,
           hash32: hash32, counterNormal: counterNormal, initLayerOutputs: initLayerOutputs,
           initHistogram: initHistogram, initShownLayers: initShownLayers}
  };
  if (typeof module !== "undefined" && module.exports) { module.exports = global.NNKIT; }
})(typeof window !== "undefined" ? window : globalThis);
