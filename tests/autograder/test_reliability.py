"""Reliability: kill -9 mid-batch then resume; two graders on two assignments at once."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from conftest import FIXTURES, answers, clone_course, fill, requires_bwrap, write_submission

pytestmark = [pytest.mark.slow, requires_bwrap()]
LIMIT_ARGS = ["--cell-timeout", "12", "--notebook-timeout", "75", "--no-progress"]
PLAN = {"s1": (True, True, 5.0), "s2": (True, False, 2.0), "s3": (False, True, 3.0),
        "s4": (False, False, 0.0), "s5": (True, True, 5.0), "s6": (True, False, 2.0)}


def _grade_cmd(course, assignment):
    return [sys.executable, "-m", "autograder", "--course", str(course.root), "grade", assignment,
            "--jobs", "2", *LIMIT_ARGS]


def _gradebook_scores(course, assignment):
    db = sqlite3.connect(course.gradebook)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = db.execute(
        "SELECT student.id, SUM(grade.auto_score), COUNT(DISTINCT submitted_assignment.id) FROM grade "
        "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
        "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id "
        "JOIN assignment ON submitted_assignment.assignment_id = assignment.id "
        "JOIN student ON submitted_assignment.student_id = student.id "
        "WHERE assignment.name = ? GROUP BY student.id", (assignment,)).fetchall()
    assert all(n == 1 for _, _, n in rows), "duplicate submissions in the gradebook"
    return {s: float(v) for s, v, _ in rows}


def _csv_scores(course, assignment):
    with open(course.grades_csv(assignment), newline="") as fh:
        rows = list(csv.DictReader(fh))
    students = [r["student"] for r in rows]
    assert len(students) == len(set(students)), "duplicate rows in grades.csv"
    return {r["student"]: float(r["score"]) for r in rows}


def test_kill_dash_nine_then_resume(released, release_nb, tmp_path):
    course = clone_course(released, tmp_path / "course")
    for student, (relu, mean, _) in PLAN.items():
        write_submission(course.submitted, student, "fx_relu", fill(release_nb, answers(relu, mean)))
    proc = subprocess.Popen(_grade_cmd(course, "fx_relu"), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = course.results("fx_relu")
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if results.is_dir() and len(list(results.glob("*.json"))) >= 1:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the batch finished before it could be killed; make it longer"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    graded_before = len(list(results.glob("*.json")))
    assert graded_before < len(PLAN)
    done = subprocess.run(_grade_cmd(course, "fx_relu"), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"{graded_before} already graded" in done.stdout
    expected = {s: score for s, (_, _, score) in PLAN.items()}
    assert _csv_scores(course, "fx_relu") == expected
    assert _gradebook_scores(course, "fx_relu") == expected
    # a third run grades nothing and changes nothing
    again = subprocess.run(_grade_cmd(course, "fx_relu"), capture_output=True, text=True, timeout=300)
    assert f"{len(PLAN)} already graded, 0 to grade" in again.stdout
    assert _gradebook_scores(course, "fx_relu") == expected


def test_two_graders_on_two_assignments(released, release_nb, tmp_path):
    from autograder.release import release

    course = clone_course(released, tmp_path / "course")
    src = tmp_path / "src" / "fx_two"
    src.mkdir(parents=True)
    shutil.copy(FIXTURES / "fx_relu" / "fx_relu.ipynb", src / "fx_two.ipynb")
    release(course, "fx_two", source_dir=tmp_path / "src", determinism=False, log=lambda *a: None)
    release_two = nbformat.read(course.release("fx_two") / "fx_two.ipynb", as_version=4)
    plan = dict(list(PLAN.items())[:4])
    for student, (relu, mean, _) in plan.items():
        write_submission(course.submitted, student, "fx_relu", fill(release_nb, answers(relu, mean)))
        write_submission(course.submitted, student, "fx_two", fill(release_two, answers(mean, relu)))
    procs = [subprocess.Popen(_grade_cmd(course, a), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for a in ("fx_relu", "fx_two")]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-2000:]
    one = {s: score for s, (_, _, score) in plan.items()}
    two = {s: (2.0 if mean else 0.0) + (3.0 if relu else 0.0) for s, (relu, mean, _) in plan.items()}
    assert _gradebook_scores(course, "fx_relu") == one == _csv_scores(course, "fx_relu")
    assert _gradebook_scores(course, "fx_two") == two == _csv_scores(course, "fx_two")


def test_kill_during_a_hostile_batch_then_resume(released, release_nb, tmp_path):
    """Kill -9 a batch full of hostile submissions at several moments; the resumed grades are
    identical to an uninterrupted run's, with exactly one row per folder."""
    sys.path.insert(0, str(Path(__file__).parent / "corpus"))
    from integrity import NAME_CASES, NB_CASES, TREE_CASES, write_all

    from autograder.gradebook import safe_cell

    course = clone_course(released, tmp_path / "course")
    write_submission(course.submitted, "honest_correct", "fx_relu", fill(release_nb, answers(True, True)))
    ref = course.reference("fx_relu")
    ctx = {"source_nb": str(course.source("fx_relu") / "fx_relu.ipynb"),
           "reference_records": str(ref / "fx_relu" / "records"),
           "other_submission": str(course.submitted / "honest_correct" / "fx_relu" / "fx_relu.ipynb"),
           "course_root": str(course.root)}
    picked = ([c for c in NB_CASES if c.name in ("ch_link_records_dir", "ch_forge_streams", "ch_flood_records")]
              + [c for c in TREE_CASES if c.name in ("tree_link_to_source", "tree_fifo", "tree_hard_link")]
              + NAME_CASES[:6])
    made = write_all(picked, course.submitted, release_nb, ctx)
    expected = {safe_cell(c.name): c.score for c in made} | {"honest_correct": 5.0}
    results = course.results("fx_relu")
    for wait_for in (1, 5):           # kill early, then again later in the same batch
        proc = subprocess.Popen(_grade_cmd(course, "fx_relu"), start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            if results.is_dir() and len(list(results.glob("*.json"))) >= wait_for:
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the batch finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    graded_before = len(list(results.glob("*.json")))
    assert 0 < graded_before < len(expected)
    done = subprocess.run(_grade_cmd(course, "fx_relu"), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"{graded_before} already graded" in done.stdout
    assert _csv_scores(course, "fx_relu") == expected
    by_key = _gradebook_scores(course, "fx_relu")
    assert len(by_key) == len(expected)
    assert sorted(by_key.values()) == sorted(expected.values())
    again = subprocess.run(_grade_cmd(course, "fx_relu"), capture_output=True, text=True, timeout=300)
    assert f"{len(expected)} already graded, 0 to grade" in again.stdout
    assert _gradebook_scores(course, "fx_relu") == by_key
    assert len(list(results.glob("*.json"))) == len(expected)
