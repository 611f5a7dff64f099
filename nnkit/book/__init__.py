"""The book's side of nnkit: plotting helpers, diagrams, explorers and their HTML/JavaScript.

- `viz`: matplotlib helpers and the book's style; `claims`: checked sentences.
- `diagrams`, `diagrams_graph`, `diagrams_recurrent`, `diagrams_grid`: structure diagrams (SVG,
  with alt text) drawn from nnkit objects.
- `widgets`: explorers over precomputed frames (static HTML, live ipywidgets), built on
  `_grid` (parameter specs) and `_explorer_html` (the HTML block).
- `jsexplorer`: closed-form explorers computed by the page's JavaScript (`assets/explorers.js`).
- `explorers`: the chapters' prebuilt explorers, some in their own modules (`architecture`,
  `init_explorer`, `explorers_recurrent`, `explorers_grid`).
- `sphinx_offline`: a Sphinx extension keeping CDN addresses out of the pages.

Imports inside the package run one way (explorers -> architecture, init_explorer,
explorers_recurrent, explorers_grid -> jsexplorer ->
_explorer_html -> _grid; widgets -> _explorer_html; diagrams_* -> diagrams -> viz); it depends
on the core and `nnkit.theory`, and nothing in the core or theory imports it. matplotlib and
ipywidgets are imported inside the functions that use them.
"""
