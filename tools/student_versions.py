"""Generate the student version of every assignment with nbgrader's own preprocessors.

For each ``exercises/<assignment>/<assignment>.ipynb`` (the instructor's source, with
solutions and hidden tests) this writes ``exercises_student/<assignment>.ipynb``: the same
notebook passed through the preprocessors that ``nbgrader generate_assignment`` runs
(lock cells, clear solutions, clear outputs, check metadata, checksums, clear hidden tests,
clear the marking scheme, checksums again, check metadata again). The two steps of
``generate_assignment`` that need a course directory are left out: ``SaveCells`` (it writes
the gradebook; ``autograder release`` does that) and ``IncludeHeaderFooter`` (we use none).

The result is what a student downloads, and what the book shows (unexecuted). The written
files start with one more cell (`learner_notebook`): it installs nnkit when it is missing (on
Colab, say) and says how to check the notebook with ``nnkit-check``. The cell has no nbgrader
metadata, so grading ignores it. A notebook is rewritten only when its content changed, so
running this twice is cheap and leaves the files' modification times alone.

Usage::

    python tools/student_versions.py              # every assignment
    python tools/student_versions.py ex01_forward  # only some
    python tools/student_versions.py --out DIR    # somewhere else

From Python, ``student_notebook(path)`` returns the student version as a notebook node.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
DEFAULT_OUT = ROOT / "exercises_student"


def assignments(exercises_dir: Path = EXERCISES) -> list[str]:
    """Names of the assignments: every ``exercises/<a>/`` holding ``<a>.ipynb``."""
    return sorted(
        d.name for d in exercises_dir.iterdir()
        if d.is_dir() and (d / f"{d.name}.ipynb").is_file()
    )


def _preprocessors():
    # imported here: nbgrader pulls in a lot, and `assignments()` should stay cheap
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )
    from traitlets.config import Config

    config = Config()
    # the same stub nbgrader writes by default, spelled out so the contract is visible here
    config.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    config.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    # the order of nbgrader's GenerateAssignment, minus IncludeHeaderFooter and SaveCells
    classes = [
        LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums,
        ClearHiddenTests, ClearMarkScheme, ComputeChecksums, CheckCellMetadata,
    ]
    return [cls(config=config) for cls in classes]


def student_notebook(source: Path | str | nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version of one source notebook (a path or an already-read notebook)."""
    if isinstance(source, nbformat.NotebookNode):
        nb = copy.deepcopy(source)
    else:
        nb = nbformat.read(str(source), as_version=4)
    resources: dict = {}
    for pre in _preprocessors():
        nb, resources = pre.preprocess(nb, resources)
    from autograder.variants import render_default_variant

    # per-student variants (issue 27): the markdown quotes the default variant's values
    return render_default_variant(nb, getattr(source, "name", "notebook"))


def _setup_module():
    spec = importlib.util.spec_from_file_location("_notebook_setup", Path(__file__).with_name("notebook_setup.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def learner_notebook(student: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The student version as published: an install cell that also documents nnkit-check, first."""
    comments = [
        "Set-up: installs nnkit, the book's package, if this Python does not have it (on Colab,",
        "for example). Where nnkit is installed already (Binder, the README's set-up) it does nothing.",
        "",
        "Check your work before you submit: in a terminal, in this notebook's folder, run",
        f"    nnkit-check {name}.ipynb",
        "It runs the saved notebook in a fresh kernel and lists every graded part with its visible",
        "checks (passed or failed, with their hints) and its points. Further hidden checks are not",
        "shown there: they run when your instructor grades the notebook.",
    ]
    nb = copy.deepcopy(student)
    nb.cells.insert(0, _setup_module().install_cell("viz", ["nnkit", "matplotlib"], comments))
    return nb


def write_student_versions(names: list[str] | None = None, out: Path = DEFAULT_OUT) -> list[Path]:
    """Write ``out/<a>.ipynb`` for each assignment; return the paths written or unchanged."""
    names = names or assignments()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        source = EXERCISES / name / f"{name}.ipynb"
        if not source.is_file():
            raise SystemExit(f"no source notebook {source.relative_to(ROOT)}")
        nb = learner_notebook(student_notebook(source), name)
        written.append(_setup_module().write_if_changed(nb, out / f"{name}.ipynb"))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="assignments (default: all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    for path in write_student_versions(args.names or None, args.out):
        try:
            shown = path.relative_to(ROOT)
        except ValueError:
            shown = path
        print(shown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
