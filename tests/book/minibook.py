"""Build a tiny book with the project's own configuration, to test the build settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
JB = Path(sys.executable).parent / "jupyter-book"

NOTEBOOK_HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def jb_flags() -> list[str]:
    """The strictness flags, read from the Makefile so that the test checks what `make book` runs."""
    for line in (ROOT / "Makefile").read_text().splitlines():
        if line.startswith("JB_FLAGS"):
            return line.split(":=", 1)[1].split()
    raise AssertionError("Makefile defines no JB_FLAGS")


def build(tmp: Path, pages: dict[str, str]) -> subprocess.CompletedProcess:
    """Write `pages` (name -> MyST text) as a book in `tmp` and build it like `make book` does."""
    for name in ("_config.yml", "_ext", "assets", "references", "_vendor"):
        (tmp / name).symlink_to(ROOT / name)
    names = list(pages)
    for name, text in pages.items():
        (tmp / f"{name}.md").write_text(text)
    chapters = "".join(f"  - file: {n}\n" for n in names[1:])
    toc = f"format: jb-book\nroot: {names[0]}\n" + (f"chapters:\n{chapters}" if chapters else "")
    (tmp / "_toc.yml").write_text(toc)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    return subprocess.run([str(JB), "build", str(tmp), *jb_flags()], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=600)
