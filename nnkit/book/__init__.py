"""The book's side of nnkit: plotting helpers, explorers and their HTML/JavaScript.

- `viz`: matplotlib helpers and the book's style.
- `widgets`: the explorer machinery (static HTML with precomputed frames, live ipywidgets).
- `explorers`: the chapters' prebuilt explorers.

Depends on the core and `nnkit.theory`; nothing in the core or theory imports it.
matplotlib and ipywidgets are imported inside the functions that use them.
"""
