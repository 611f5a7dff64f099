"""Errors that say what to do: every command checks its inputs before it touches anything.

One test per case: a course folder that does not exist (only `release` creates one), a course
path that is a file, a release that fails half-way (it removes what it wrote), a due date that
cannot be read, and a syntax error reported in the author's own line numbers.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from conftest import FIXTURES, TEST_LIMITS, clone_course  # noqa: E402

from autograder.cli import main  # noqa: E402

COMMANDS = [["grade", "fx_relu"], ["collect", "fx_relu", "."], ["feedback", "fx_relu"], ["export"],
            ["export", "--format", "canvas", "--mapping", "m.csv"]]


def _tree(root: Path) -> dict[str, str]:
    """Every file under root with a hash of its content (the course as it is)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:3]))
def test_a_missing_course_folder_is_refused_and_not_created(command, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "typo" / "course"
    assert main(["--course", str(missing), *command]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "does not exist" in err and "--course" in err
    assert "autograder release" in err            # the one command that creates a course
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize("command", [["release", "fx_relu"], *COMMANDS], ids=lambda c: " ".join(c[:3]))
def test_a_course_path_that_is_a_file_is_refused(command, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "course.txt"
    path.write_text("not a course\n")
    assert main(["--course", str(path), *command]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "is a file" in err and "Traceback" not in err
    assert path.read_text() == "not a course\n"


def _broken_source(tmp_path: Path) -> Path:
    """fx_relu whose solution breaks its own test cell (found only by the reference run)."""
    src = tmp_path / "broken" / "fx_relu"
    src.mkdir(parents=True)
    nb = nbformat.read(FIXTURES / "fx_relu" / "fx_relu.ipynb", as_version=4)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "relu_answer")
    answer.source = "def relu(x):\n    ### BEGIN SOLUTION\n    return np.maximum(x, 0.0\n    ### END SOLUTION\n"
    nbformat.write(nb, src / "fx_relu.ipynb")
    return src.parent


@pytest.mark.slow
def test_a_failed_release_in_a_new_course_leaves_nothing(tmp_path, capsys):
    course = tmp_path / "new-course"
    code = main(["--course", str(course), "release", "fx_relu", "--source", str(_broken_source(tmp_path)),
                 "--no-determinism-check", "--cell-timeout", "12", "--notebook-timeout", "75"])
    assert code == 2
    text = capsys.readouterr()
    # the syntax error of the solution is named with the cell's own line numbers (line 3, not 4)
    assert "relu_answer" in text.err and "SyntaxError at line 3 of the cell" in text.err, text.err
    assert "everything this release wrote was removed" in text.out
    assert not course.exists()


@pytest.mark.slow
def test_a_failed_release_puts_a_released_course_back_as_it_was(released, tmp_path):
    from autograder.course import CourseError
    from autograder.release import release

    course = clone_course(released, tmp_path / "course")
    before = _tree(course.root)
    with pytest.raises(CourseError, match="does not run cleanly"):
        release(course, "fx_relu", source_dir=_broken_source(tmp_path), limits=TEST_LIMITS,
                determinism=False, log=lambda *a: None)
    assert _tree(course.root) == before


def test_an_unreadable_due_date_is_refused_before_anything_is_written(tmp_path, capsys):
    course = tmp_path / "course"
    assert main(["--course", str(course), "release", "fx_relu", "--source", str(FIXTURES),
                 "--due", "next Tuesday-ish"]) == 2
    assert "--due 'next Tuesday-ish'" in capsys.readouterr().err
    assert not course.exists()


def test_syntax_errors_are_reported_in_the_cells_own_lines():
    from autograder.rebuild import syntax_problem

    assert syntax_problem("x = 1\ny = (2,\n") .startswith("SyntaxError at line 2 of the cell")
    # IPython syntax (magics, top-level await) is not an error, and keeps the lines in place
    assert syntax_problem("%time x = 1\nawait something()\n") is None
    assert syntax_problem("%time x = 1\ndef f(:\n    pass\n").startswith("SyntaxError at line 2")
    assert syntax_problem("if True:\n  a = 1\n    b = 2\n").startswith("IndentationError at line 3")
    assert syntax_problem("def ok():\n    return 1\n") is None


def test_a_plain_copy_without_any_course_is_refused_by_grade_with_the_path(tmp_path, capsys, monkeypatch):
    """The default ./course is not created by a command that only reads it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUTOGRADER_COURSE", raising=False)
    assert main(["grade", "fx_relu"]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "course") in err and "the default ./course" in err
    assert not (tmp_path / "course").exists()
    shutil.rmtree(tmp_path / "course", ignore_errors=True)
