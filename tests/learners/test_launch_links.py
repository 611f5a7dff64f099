"""Launch buttons (Colab, Binder, JupyterHub) open notebooks that exist in the repository.

The expected link shapes are computed from the book's own _config.yml (repository URL, branch,
launch settings). A small book with a real chapter's name is built here with the project's
configuration, so the check runs without the full book; with the full book built
(`make book`), every page of it is checked too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
JB = Path(sys.executable).parent / "jupyter-book"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def _repo_parts() -> tuple[str, str, str]:
    repo = CONFIG["repository"]
    org, name = urlsplit(repo["url"]).path.strip("/").split("/")[:2]
    return org, name, repo.get("branch", "main")


def launch_targets(html: str) -> list[tuple[str, str]]:
    """(service, repository-relative path) of every launch link in a page."""
    org, name, branch = _repo_parts()
    launch = CONFIG["launch_buttons"]
    found = []
    for href in re.findall(r'href="([^"]+)"', html):
        href = href.replace("&amp;", "&")
        colab = (launch.get("colab_url") or "").rstrip("/")
        binder = (launch.get("binderhub_url") or "").rstrip("/")
        hub = (launch.get("jupyterhub_url") or "").rstrip("/")
        if colab and href.startswith(colab + "/"):
            prefix = f"{colab}/github/{org}/{name}/blob/{branch}/"
            assert href.startswith(prefix), f"Colab link for another repository or branch: {href}"
            found.append(("colab", unquote(href[len(prefix):])))
        elif binder and href.startswith(binder + "/"):
            prefix = f"{binder}/v2/gh/{org}/{name}/{branch}?"
            assert href.startswith(prefix), f"Binder link for another repository or branch: {href}"
            urlpath = parse_qs(urlsplit(href).query)["urlpath"][0]
            found.append(("binder", re.sub(r"^(lab/tree|tree)/", "", urlpath)))
        elif hub and href.startswith(hub + "/"):
            urlpath = parse_qs(urlsplit(href).query)["urlpath"][0]
            found.append(("jupyterhub", re.sub(rf"^(lab/tree|tree)/{re.escape(name)}/", "", urlpath)))
    return found


def assert_exists_in_repository(service: str, path: str, page: str) -> None:
    target = ROOT / path
    assert path.endswith(".ipynb"), f"{page}: {service} opens {path}, which is not a notebook"
    assert target.is_file(), f"{page}: {service} opens {path}, which does not exist (make notebooks?)"
    ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0
    assert not ignored, f"{page}: {service} opens {path}, which git ignores (never in the repository)"


@pytest.fixture(scope="module")
def small_book(tmp_path_factory) -> Path:
    """A two-page book: an intro and a chapter page named like the first chapter of _toc.yml."""
    tmp = tmp_path_factory.mktemp("launch_book")
    for name in ("_config.yml", "_ext", "assets", "references", "_vendor"):
        if (ROOT / name).exists():
            (tmp / name).symlink_to(ROOT / name)
    chapter = sorted((ROOT / "chapters").glob("*.md"))[0]
    (tmp / "chapters").mkdir()
    (tmp / "chapters" / chapter.name).write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n"
        "# A chapter\n\nSome text.\n\n```{code-cell} ipython3\n1 + 1\n```\n")
    (tmp / "intro.md").write_text("# Intro\n\nThe start.\n")
    (tmp / "_toc.yml").write_text(f"format: jb-book\nroot: intro\nchapters:\n  - file: chapters/{chapter.stem}\n")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([str(JB), "build", str(tmp), "--warningiserror", "--nitpick", "--keep-going"],
                         cwd=tmp, env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return tmp / "_build" / "html"


@pytest.mark.slow
def test_chapter_launch_buttons_open_the_generated_notebook(small_book):
    chapter = sorted((ROOT / "chapters").glob("*.md"))[0]
    page = small_book / "chapters" / f"{chapter.stem}.html"
    targets = launch_targets(page.read_text(encoding="utf-8"))
    services = {s for s, _ in targets}
    assert {"colab", "binder"} <= services, targets
    for service, path in targets:
        assert path == f"notebooks/{chapter.stem}.ipynb", (service, path)
        assert_exists_in_repository(service, path, page.name)


@pytest.mark.book
def test_every_launch_link_of_the_built_book_opens_a_notebook_of_the_repository(book_html):
    checked = 0
    for page in sorted(book_html.rglob("*.html")):
        if "_static" in page.parts or "_sources" in page.parts:
            continue
        for service, path in launch_targets(page.read_text(encoding="utf-8")):
            assert_exists_in_repository(service, path, str(page.relative_to(book_html)))
            checked += 1
    # every chapter and every exercise page has (at least) a Colab and a Binder button
    assert checked >= 2 * (9 + 9), checked


def test_binder_environment_installs_this_repository():
    """environment.yml: a Python that pyproject allows, and the local package with extras that exist."""
    import tomllib

    from packaging.specifiers import SpecifierSet

    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python="))
    version = python.split("=", 1)[1]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert version in SpecifierSet(project["requires-python"]), (version, project["requires-python"])
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    local = [p for p in pip if p.startswith(".")]
    assert local, f"Binder must install this repository itself: {pip}"
    extras = re.findall(r"\[([^\]]*)\]", local[0])[0].split(",")
    for extra in extras:
        assert extra.strip() in project["optional-dependencies"], extra
    assert {"student", "chapters"} <= {e.strip() for e in extras}
