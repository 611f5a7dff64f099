"""What every notebook a learner opens starts with: a cell that installs nnkit when it is missing.

The chapter notebooks (`tools/chapter_notebooks.py`) and the student versions of the exercises
(`tools/student_versions.py`) both begin with `install_cell(...)`. On Colab, or in any Python
that lacks nnkit, the cell installs it with pip from the repository; where nnkit is installed
already (Binder, or the README's set-up) it does nothing.

The repository URL has one home: ``repository.url`` in ``_config.yml`` (the same URL the
book's repository, Binder and Colab buttons use). `repository_url()` reads it from there.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "_config.yml"


def book_config(config: Path = CONFIG) -> dict:
    """The parsed ``_config.yml``."""
    import yaml

    return yaml.safe_load(config.read_text(encoding="utf-8")) or {}


def repository_url(config: Path = CONFIG) -> str:
    """The repository URL (``repository.url`` in ``_config.yml``), without a trailing slash."""
    url = (book_config(config).get("repository") or {}).get("url")
    if not isinstance(url, str) or not url.startswith("https://"):
        raise SystemExit(f"{config.name}: repository.url must be an https:// URL, got {url!r}")
    return url.rstrip("/")


def pip_requirement(extra: str, config: Path = CONFIG) -> str:
    """The pip requirement that installs nnkit with `extra` straight from the repository."""
    return f"nnkit[{extra}] @ git+{repository_url(config)}"


def install_cell(extra: str, modules: list[str], comments: list[str], cell_id: str = "install-nnkit",
                 config: Path = CONFIG) -> nbformat.NotebookNode:
    """A code cell that pip-installs ``nnkit[extra]`` from the repository if a module is missing.

    `modules` are the import names whose absence triggers the install (nnkit first);
    `comments` are the lines (without ``#``) that explain the cell to the reader.
    """
    lines = [f"# {c}".rstrip() for c in comments]
    lines += [
        "import importlib",
        "import importlib.util",
        "import subprocess",
        "import sys",
        "",
        f"if any(importlib.util.find_spec(m) is None for m in {json.dumps(modules)}):",
        "    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"--quiet\",",
        f"                    {json.dumps(pip_requirement(extra, config))}], check=True)",
        "    importlib.invalidate_caches()",
    ]
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.id = cell_id
    cell.metadata = {"tags": ["nnkit-install"]}
    return cell


def write_if_changed(nb: nbformat.NotebookNode, target: Path) -> Path:
    """Write `nb` to `target` unless the file already holds exactly that text (keeps mtimes)."""
    text = nbformat.writes(nb) + "\n"
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return target
