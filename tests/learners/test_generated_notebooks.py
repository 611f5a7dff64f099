"""The chapter notebooks in notebooks/ are committed (Colab and Binder open them from the
repository) and must equal what tools/chapter_notebooks.py makes from the chapters: edit a chapter,
run `make notebooks` (or `make book`), commit both. Every chapter and student notebook starts with
the cell that installs nnkit from the one repository URL in _config.yml."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(f"_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def repository_url() -> str:
    return yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")


def test_committed_chapter_notebooks_match_the_chapters(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "tools" / "chapter_notebooks.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True, text=True)
    generated = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    committed = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert generated == committed, (generated, committed)
    stale = [n for n in generated if (tmp_path / n).read_bytes() != (ROOT / "notebooks" / n).read_bytes()]
    assert not stale, f"notebooks/ is out of date for {stale}: run `make notebooks` and commit"


def test_every_chapter_of_the_toc_has_a_notebook():
    chapters = _tool("chapter_notebooks").chapter_sources()
    assert len(chapters) >= 9, chapters
    for md in chapters:
        nb = nbformat.read(str(ROOT / "notebooks" / f"{md.stem}.ipynb"), as_version=4)
        nbformat.validate(nb)
        code = [c.source for c in nb.cells[1:] if c.cell_type == "code"]
        assert code and all(not c.outputs for c in nb.cells if c.cell_type == "code"), md
        # every code cell of the chapter is there, in order
        import jupytext

        original = [c.source for c in jupytext.read(md).cells if c.cell_type == "code"]
        assert code == original, md


def _install_cells():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "exercises_student").glob("*.ipynb")):
        yield path, nbformat.read(str(path), as_version=4).cells[0]


def test_every_learner_notebook_starts_with_the_install_cell():
    url = repository_url()
    seen = 0
    for path, first in _install_cells():
        seen += 1
        assert first.cell_type == "code", path
        assert "nbgrader" not in first.metadata, f"{path.name}: grading must ignore the install cell"
        assert f"@ git+{url}" in first.source, f"{path.name}: install cell does not use {url}"
        assert "pip" in first.source and "find_spec" in first.source
        if path.parent.name == "exercises_student":
            assert f"nnkit-check {path.name}" in first.source, f"{path.name}: nnkit-check not documented"
    assert seen >= 18


def test_the_repository_url_has_one_home():
    """No generator or generated notebook spells the URL itself: they all read _config.yml."""
    url = repository_url()
    for tool in ("notebook_setup.py", "chapter_notebooks.py", "student_versions.py"):
        assert url not in (ROOT / "tools" / tool).read_text(), tool
    setup = _tool("notebook_setup")
    other = tmp_config = None
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        tmp_config = Path(tmp) / "_config.yml"
        tmp_config.write_text("repository:\n  url: https://github.com/someone/fork\n")
        other = setup.install_cell("viz", ["nnkit"], ["x"], config=tmp_config).source
    assert "git+https://github.com/someone/fork" in other and url not in other


def test_install_cell_does_nothing_where_nnkit_is_installed():
    """Run the cell as the kernel would: nnkit is importable here, so pip must not be called."""
    _, first = next(_install_cells())
    code = ("import subprocess\n"
            "def refuse(*a, **k):\n    raise SystemExit('pip was called')\n"
            "subprocess.run = refuse\n" + first.source)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_install_cell_installs_when_a_module_is_missing():
    """With nnkit missing, the cell runs `python -m pip install` with the repository requirement."""
    firsts = {}
    for path, first in _install_cells():
        firsts.setdefault(path.parent.name, first)
    assert set(firsts) == {"notebooks", "exercises_student"}
    for folder, extra in (("notebooks", "chapters"), ("exercises_student", "viz")):
        code = ("import importlib.util, json, subprocess, sys\n"
                "real = importlib.util.find_spec\n"
                "importlib.util.find_spec = lambda m, *a: None if m == 'nnkit' else real(m, *a)\n"
                "calls = []\n"
                "subprocess.run = lambda cmd, **k: calls.append(cmd)\n" + firsts[folder].source +
                "\nprint(json.dumps(calls))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        (cmd,) = json.loads(out.stdout.strip().splitlines()[-1])
        assert cmd[1:4] == ["-m", "pip", "install"], cmd
        assert cmd[-1] == f"nnkit[{extra}] @ git+{repository_url()}", (folder, cmd)


def test_install_extras_exist_in_pyproject():
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for path, first in _install_cells():
        extra = first.source.split("nnkit[", 1)[1].split("]", 1)[0]
        assert extra in extras, f"{path.name}: nnkit[{extra}] is no extra of pyproject.toml"
    # the chapters import these; the `chapters` extra must bring them
    chapter_needs = {"matplotlib", "myst-nb", "scikit-learn"}
    text = " ".join(extras["chapters"] + extras["viz"])
    assert all(need in text for need in chapter_needs), extras["chapters"]
