"""The book's side of nnkit: plots, checked sentences, diagrams and explorers.

- `viz`: the chapters' plot helpers; `style`: the palette of named roles and matplotlib settings.
- `claims`: `claim()`, a sentence about a computed result checked while the book builds.
- `diagrams/`: structure diagrams (SVG with alt text) drawn from nnkit objects, one module per
  subject (networks, computation graph, recurrent cells, shattering, convolution and pooling).
- `widgets`: `Explorer`, a frame explorer over precomputed frames (static HTML, live ipywidgets).
- `explorers/`: the explorers' machinery (controls, HTML, the page's JavaScript in `assets/`)
  and the chapters' prebuilt explorers, one module per subject.
- `sphinx_offline`: a Sphinx extension keeping CDN addresses out of the pages.

Imports inside the package run one way: `widgets` and the prebuilt explorers use
`explorers.controls`, `explorers.html` and `explorers.jsexplorer`; explorers may draw with
`diagrams`; diagrams and plots use `style` and `viz`. The package depends on the core and
`nnkit.theory`, and nothing in the core or theory imports it. matplotlib and ipywidgets are
imported inside the functions that use them.
"""
