"""Record every `claim()` of the book while it builds, for the perturbation test.

Just before Sphinx reads a page, this sets ``NNKIT_CLAIMS_FILE`` to
``<book>/_build/claims/<page>.json``; the page's kernel, started while the page is read,
inherits it, and `nnkit.book.claims.claim` appends each claim it checks there (see
`tests/book/test_claims_perturbed.py`). `<book>` is the directory of the project's
`_config.yml` above the page's real file, so the partial builds of `make chapter` record into
the same place as `make book`.
"""

from __future__ import annotations

import os
from pathlib import Path

from nnkit.book.claims import RECORD_ENV


def claims_file(source: Path) -> Path:
    """Where the claims of the page whose source file is `source` are recorded."""
    real = source.resolve()
    for folder in real.parents:
        if (folder / "_config.yml").exists():
            return folder / "_build" / "claims" / real.relative_to(folder).with_suffix(".json")
    return real.parent / "_build" / "claims" / real.with_suffix(".json").name


def _point_kernel_at_record(app, docname, source):
    os.environ[RECORD_ENV] = str(claims_file(Path(app.env.doc2path(docname))))


def setup(app):
    app.connect("source-read", _point_kernel_at_record)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
