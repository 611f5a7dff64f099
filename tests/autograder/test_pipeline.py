"""Pipeline pieces: rebuild flags, static flags, the weak fallback, feedback, CLI errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from conftest import TEST_LIMITS, answers, clone_course, fill, requires_bwrap, write_submission  # noqa: E402

from autograder.rebuild import InvalidNotebook, read_submission, rebuild  # noqa: E402
from autograder.static_flags import nnkit_uses  # noqa: E402


def test_rebuild_keeps_instructor_cells_and_flags_changes(released, release_nb):
    source = nbformat.read(released.reference("fx_relu") / "fx_relu" / "source.ipynb", as_version=4)
    student = fill(release_nb, answers(True, False))
    for cell in student.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "mean_test":
            cell.source = "pass"
    student.cells.append(nbformat.v4.new_code_cell("helper = 1"))
    built = rebuild(source, release_nb, student)
    text = "\n".join(c.source for c in built.notebook.cells)
    assert "### BEGIN HIDDEN TESTS" in text and "x.mean(axis=1)" in text and "helper = 1" in text
    assert any("edited test cell 'mean_test'" in f for f in built.flags)
    assert any("1 extra code cell" in f for f in built.flags)
    assert len(built.cell_ids) == len(built.notebook.cells)


def test_read_submission_refuses_garbage(tmp_path):
    bad = tmp_path / "x.ipynb"
    for content in (b"\xff\xfe", b"[1, 2]", b'{"cells": 3, "nbformat": 4}'):
        bad.write_bytes(content)
        with pytest.raises(InvalidNotebook):
            read_submission(bad)


def test_static_flags_find_reference_calls():
    used, defined = nnkit_uses("import nnkit.functional as F\ndef relu(x):\n    return F.relu(x)\n")
    assert "nnkit.functional.relu" in used and "relu" in defined
    used, _ = nnkit_uses("from nnkit.functional import relu as r\n")
    assert "nnkit.functional.relu" in used
    assert nnkit_uses("def f(:\n") == (set(), set())


def _grade(course, jobs=1, **kw):
    from autograder.batch import grade_assignment

    return {r["student"]: r for r in grade_assignment(course, "fx_relu", jobs=jobs, limits=TEST_LIMITS,
                                                      progress=False, log=lambda *a: None, **kw)}


@pytest.mark.slow
def test_weak_fallback_says_so_and_grades(released, release_nb, tmp_path):
    course = clone_course(released, tmp_path / "course")
    write_submission(course.submitted, "ok", "fx_relu", fill(release_nb, answers(True, False)))
    messages = []
    from autograder.batch import grade_assignment

    results = grade_assignment(course, "fx_relu", limits=TEST_LIMITS, progress=False,
                               force_weak=True, log=messages.append)
    assert results[0]["score"] == 2.0 and results[0]["sandbox"] == "weak"
    assert results[0]["flags"][0].startswith("WEAK SANDBOX")
    assert any("WEAK SANDBOX" in m for m in messages)
    assert "WEAK SANDBOX" in course.grades_csv("fx_relu").read_text()


@requires_bwrap()
@pytest.mark.slow
def test_feedback_has_messages_but_no_hidden_values(released, release_nb, tmp_path):
    from autograder.feedback import write_feedback
    from nnkit import checks

    course = clone_course(released, tmp_path / "course")
    write_submission(course.submitted, "amy", "fx_relu", fill(release_nb, answers(False, False)))
    _grade(course)
    write_feedback(course, "fx_relu", log=lambda *a: None)
    page = (course.feedback("amy", "fx_relu") / "feedback.html").read_text()
    assert "fx.hidden.relu" in page and "failed" in page and "0 / 5" in page
    assert "average over axis 0" in page                     # a hidden check's hint
    assert "BEGIN HIDDEN" not in page and "default_rng" not in page
    refs, _ = checks.load_records(course.reference("fx_relu") / "fx_relu" / "records")
    for (name, _), rec in refs.items():
        if checks.is_hidden(name) and rec.value is not None:
            for v in rec.value.ravel()[:5]:
                assert f"{v:.4f}" not in page and repr(float(v)) not in page


def test_cli_errors_are_clear(tmp_path):
    run = subprocess.run([sys.executable, "-m", "autograder", "--course", str(tmp_path), "grade",
                          "nothing_here"], capture_output=True, text=True)
    assert run.returncode == 2 and "autograder release nothing_here" in run.stderr
    run = subprocess.run([sys.executable, "-m", "autograder", "--course", str(tmp_path), "release",
                          "../evil"], capture_output=True, text=True)
    assert run.returncode == 2 and "not a plain directory name" in run.stderr


def test_release_refuses_a_graded_test_cell_that_records_nothing(tmp_path):
    """(Plain-assert cells are rewritten at release and always record; see test_plain_asserts.)"""
    from autograder.course import CourseError
    from autograder.release import _describe

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("assert True", metadata={"nbgrader": {
        "grade": True, "grade_id": "t", "locked": True, "points": 1, "solution": False}})]
    with pytest.raises(CourseError, match="call no nnkit.checks"):
        _describe("x", nb, {}, {"t": 1.0})
