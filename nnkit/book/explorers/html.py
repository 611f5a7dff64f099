"""The HTML of an explorer: the block of an `nnkit.book.widgets.Explorer` (controls, picture,
frames and a little script), and the JSON and PNG pieces a `JSExplorer` shares with it.

Self-contained on purpose: plain inline JavaScript (no require.js, no CDN, no request), so an
explorer stays interactive in the static book, in a trusted notebook and in a saved page.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
from collections.abc import Sequence

from nnkit.book.explorers.controls import Frames, Slider, _initial_index, _Param

__all__ = ["explorer_html"]


def _json_for_script(data) -> str:
    """JSON that is safe inside a <script> element (no '</script>', no '<!--')."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _explorer_id(explorer, frames: Frames) -> str:
    """A deterministic id: a hash of the title, the parameter grid and the pictures."""
    h = hashlib.sha256()
    h.update(explorer.title.encode())
    h.update(explorer.description.encode())
    for p in explorer.params:
        h.update(json.dumps([p.name, p.label, p.labels]).encode())
    for image in frames.images:
        h.update(hashlib.sha256(image).digest())
    h.update(json.dumps(frames.index).encode())
    return "nnkit-explorer-" + h.hexdigest()[:12]


def _alt_text(explorer, labels: Sequence[str]) -> str:
    settings = ", ".join(f"{p.label} = {v}" for p, v in zip(explorer.params, labels))
    return f"{explorer.title or 'Figure'}: {settings}"


def _control_html(k: int, param: _Param) -> str:
    """One labelled control; its `value` is the index into the parameter's values."""
    i0 = _initial_index(param.spec)
    labels = param.labels
    label = html.escape(param.label)
    style = 'style="display:inline-flex;align-items:center;gap:0.4em;margin-right:1.2em"'
    if isinstance(param.spec, Slider):
        return (
            f'<label {style}><span>{label}</span>'
            f'<input type="range" data-param="{k}" min="0" max="{len(labels) - 1}" step="1" '
            f'value="{i0}" aria-valuetext="{html.escape(labels[i0])}">'
            f'<output data-param-value="{k}" style="min-width:3.5em;font-family:monospace">'
            f"{html.escape(labels[i0])}</output></label>"
        )
    options = "".join(
        f'<option value="{i}"{" selected" if i == i0 else ""}>{html.escape(text)}</option>'
        for i, text in enumerate(labels)
    )
    return f'<label {style}><span>{label}</span><select data-param="{k}">{options}</select></label>'


# The script finds its explorer through document.currentScript (so two identical explorers
# on one page both work) and falls back to the id. Frames are base64 strings; the one
# shown at load time sits in the <img> only ("" in the list) so it is not stored twice.
_SCRIPT = """(function () {
  var root = (document.currentScript && document.currentScript.parentNode) ||
             document.getElementById(%(id)s);
  if (!root || root.getAttribute("data-ready")) { return; }
  root.setAttribute("data-ready", "1");
  var data = JSON.parse(root.querySelector("script[type='application/json']").textContent);
  var img = root.querySelector("img");
  var first = img.getAttribute("src");
  var controls = root.querySelectorAll("[data-param]");
  var state = root.querySelector(".nnkit-explorer-state");
  function update() {
    var flat = 0, parts = [];
    for (var k = 0; k < controls.length; k++) {
      var i = parseInt(controls[k].value, 10);
      var text = data.labels[k][i];
      flat = flat * data.shape[k] + i;
      parts.push(data.names[k] + " = " + text);
      if (controls[k].type === "range") {
        controls[k].setAttribute("aria-valuetext", text);
        root.querySelector("[data-param-value='" + k + "']").textContent = text;
      }
    }
    var b64 = data.frames[data.index[flat]];
    img.setAttribute("src", b64 ? "data:" + data.mime + ";base64," + b64 : first);
    img.setAttribute("alt", data.title + ": " + parts.join(", "));
    state.textContent = "Showing " + parts.join(", ") + ".";
  }
  for (var k = 0; k < controls.length; k++) {
    controls[k].addEventListener("input", update);
    controls[k].addEventListener("change", update);
  }
})();"""


def explorer_html(explorer, frames: Frames) -> str:
    """Assemble the HTML block of `explorer` (an `nnkit.book.widgets.Explorer`, duck-typed:
    `title`, `description`, `params`): controls, image, frame data and the inline script."""
    uid = _explorer_id(explorer, frames)
    start = [_initial_index(p.spec) for p in explorer.params]
    flat0 = 0
    for i, n in zip(start, frames.shape):
        flat0 = flat0 * n + i
    shown = frames.index[flat0]
    b64 = [base64.b64encode(img).decode("ascii") for img in frames.images]
    src0 = f"data:{frames.mime};base64,{b64[shown]}"
    b64[shown] = ""
    data = {
        "title": explorer.title or "Figure",
        "names": [p.label for p in explorer.params],
        "labels": [p.labels for p in explorer.params],
        "shape": list(frames.shape),
        "index": frames.index,
        "mime": frames.mime,
        "frames": b64,
    }
    alt = _alt_text(explorer, [p.labels[i] for p, i in zip(explorer.params, start)])
    aria_label = html.escape(explorer.title or "Interactive figure")
    parts = [
        (f'<div id="{uid}" class="nnkit-explorer" role="group" aria-label="{aria_label}" '
         'style="margin:1em 0;max-width:100%">'),
    ]
    if explorer.title:
        parts.append(f'<div style="font-weight:bold">{html.escape(explorer.title)}</div>')
    if explorer.description:
        parts.append(f'<div style="margin:0.2em 0">{html.escape(explorer.description)}</div>')
    parts.append('<div style="margin:0.4em 0">')
    parts.extend(_control_html(k, p) for k, p in enumerate(explorer.params))
    parts.append("</div>")
    parts.append(
        f'<img src="{src0}" alt="{html.escape(alt)}" '
        'style="max-width:100%;height:auto;background:#fff;display:block">'
    )
    # the settings in words, announced by screen readers when a control moves (aria-live)
    settings = ", ".join(f"{p.label} = {p.labels[i]}" for p, i in zip(explorer.params, start))
    parts.append(f'<p class="nnkit-explorer-state" aria-live="polite" style="margin:0.3em 0">'
                 f"Showing {html.escape(settings)}.</p>")
    parts.append(f'<script type="application/json">{_json_for_script(data)}</script>')
    parts.append(f"<script>{_SCRIPT % {'id': json.dumps(uid)}}</script>")
    parts.append("</div>")
    return "\n".join(parts)


# -- pictures ------------------------------------------------------------------------------


def _rgb_pixels(fig, dpi: int):
    """Rasterize a Figure with Agg; return its (height, width, 3) uint8 pixels."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()  # (h, w, 3)


def _palette_png(pixels) -> bytes:
    """PNG with an adaptive 256-colour palette: about 3x smaller than RGB, same look."""
    from PIL import Image

    image = Image.fromarray(pixels)
    palette = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()
