"""A course of our own shaped like a university lab (fixtures/lab_course), as it is.

Failing demonstration cells, a kernelspec that is not `python3`, a data file and hidden tests
written with plain asserts: release accepts it and says what it found, grading gives the scores
of stock nbgrader cell by cell, and no submission gets a flag it did not earn.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from conftest import LAB, REPO, TEST_LIMITS  # noqa: E402

pytestmark = pytest.mark.slow
DEMO_ERRORS = ["ValueError", "NameError", "ZeroDivisionError"]


def _env():
    return dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
                OPENBLAS_NUM_THREADS="1")


def _stock(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={root}"],
                          cwd=root, env=_env(), capture_output=True, text=True, timeout=600)


def _grades(db_url: str, students) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return {(s, nb.name, g.name): g.auto_score
                for s in students for nb in gb.find_submission("lab1", s).notebooks for g in nb.grades}


def test_release_records_the_failing_demonstration_cells_and_the_kernel(lab_graded):
    course, manifest, logs, _ = lab_graded
    info = manifest["notebooks"]["lab1"]
    source = nbformat.read(LAB / "source" / "lab1" / "lab1.ipynb", as_version=4)
    errors = info["ungraded_errors"]
    assert [e["ename"] for e in errors] == DEMO_ERRORS
    for e in errors:      # each one is a cell that nbgrader does not grade
        assert not source.cells[e["index"]].metadata.get("nbgrader", {}).get("grade")
    text = "\n".join(logs)
    assert "3 ungraded cell(s) raise an error" in text and "ZeroDivisionError" in text
    assert info["kernel"]["name"] == "lab-python311" and not info["kernel"]["mapped"]
    assert "kernel 'lab-python311'" in text and sys.executable in text
    assert (course.release("lab1") / "measurements.csv").is_file()


def test_scores_equal_stock_nbgrader_cell_by_cell(lab_graded, tmp_path):
    course, _, _, results = lab_graded
    stock = tmp_path / "stock"
    shutil.copytree(LAB / "source", stock / "source")
    shutil.copytree(LAB / "submitted", stock / "submitted")
    assert _stock(stock, "generate_assignment", "lab1").returncode == 0
    refused = _stock(stock, "autograde", "lab1", "--create")      # stock needs the kernel configured
    assert "No such kernel named lab-python311" in refused.stdout + refused.stderr
    proc = _stock(stock, "autograde", "lab1", "--create", "--force", "--Execute.kernel_name=python3")
    assert proc.returncode == 0, proc.stderr[-2000:]
    students = sorted(results)
    ours = _grades(course.db_url, students)
    theirs = _grades(f"sqlite:///{stock / 'gradebook.db'}", students)
    assert len(theirs) == 3 * len(students)
    assert ours == theirs
    assert {s: r["score"] for s, r in results.items()} == {"ada": 6.0, "bob": 2.0, "cy": 6.0, "dee": 4.0}


def test_no_flag_that_was_not_earned(lab_graded):
    results = lab_graded[3]
    for student in ("ada", "bob", "dee"):
        assert not any("extra" in f or "edited" in f or "moved" in f or "kernelspec" in f
                       for f in results[student]["flags"]), (student, results[student]["flags"])
    cy = results["cy"]["flags"]
    assert any(f.startswith("1 extra code cell") for f in cy), cy
    assert any("edited unmarked cell 3 (the student's version runs" in f for f in cy), cy


def test_syntax_error_shows_the_students_own_line(lab_graded):
    flags = lab_graded[3]["dee"]["flags"]
    assert any("answer cell 'column_means': SyntaxError at line 2 of the cell" in f for f in flags), flags


def test_a_test_cell_that_raises_in_the_solution_still_stops_the_release(tmp_path):
    from autograder.course import Course, CourseError
    from autograder.release import release

    src = tmp_path / "src" / "lab1"
    shutil.copytree(LAB / "source" / "lab1", src)
    nb = nbformat.read(src / "lab1.ipynb", as_version=4)
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_normalize")
    test.source = "raise RuntimeError('broken test')\n" + test.source
    nbformat.write(nb, src / "lab1.ipynb")
    course = Course.locate(tmp_path / "course")
    with pytest.raises(CourseError, match=r"test_normalize\): error RuntimeError"):
        release(course, "lab1", source_dir=tmp_path / "src", limits=TEST_LIMITS, determinism=False,
                log=lambda *a: None)


def test_kernel_from_the_metadata_and_the_kernel_map():
    from autograder.course import CourseError
    from autograder.release import describe_kernel, kernel_of

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "conda-env-ds-py", "display_name": "ds", "language": "python"}
    assert "conda-env-ds-py" in describe_kernel(kernel_of(nb, "a.ipynb"))
    nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    with pytest.raises(CourseError, match=r"--kernel-map ir"):
        kernel_of(nb, "a.ipynb")
    mapped = kernel_of(nb, "a.ipynb", ["ir"])
    assert mapped["mapped"] and "mapped by --kernel-map" in describe_kernel(mapped)


def test_the_books_download_is_not_flagged_for_its_install_cell():
    """The book's student copy starts with an install cell the course release has not."""
    import importlib.util

    from autograder.rebuild import rebuild

    spec = importlib.util.spec_from_file_location("student_versions", REPO / "tools" / "student_versions.py")
    tools = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tools)
    for name in ("ex01_forward", "ex07_dropout"):
        source_path = REPO / "exercises" / name / f"{name}.ipynb"
        source = nbformat.read(source_path, as_version=4)
        course_release = tools.student_notebook(source_path)          # what `release` hands out
        download = nbformat.read(REPO / "exercises_student" / f"{name}.ipynb", as_version=4)
        assert len(download.cells) == len(course_release.cells) + 1
        built = rebuild(source, course_release, download)
        assert not any("extra" in f for f in built.flags), built.flags
        assert "pip" not in json.dumps([c.source for c in built.notebook.cells])
        download.cells.append(nbformat.v4.new_code_cell("print('mine')"))   # a real extra cell still counts
        assert any(f.startswith("1 extra code cell") for f in rebuild(source, course_release, download).flags)
