"""Round-2 integrity corpus (issue 23): transformers, tracing hooks and literal readers, graded in
one batch through the real grader and sandbox. Every attack comes with stub answers and must
earn exactly what the stubs earn without it (nothing); honest answers keep full marks."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent / "corpus"))

from conftest import TEST_LIMITS, fill, requires_bwrap, write_submission  # noqa: E402
from round2 import ASSIGNMENT, STUBS, cases, source_notebook  # noqa: E402

pytestmark = [pytest.mark.slow, requires_bwrap()]
CASES = cases()
CORRECT = {"square_answer": "def square(x):\n    return x * x\n",
           "cube_answer": "def cube(x):\n    return x ** 3\n"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from autograder.batch import grade_assignment
    from autograder.course import Course
    from autograder.release import release

    root = tmp_path_factory.mktemp("round2")
    source = root / "source_in" / ASSIGNMENT
    source.mkdir(parents=True)
    nbformat.write(source_notebook(), source / f"{ASSIGNMENT}.ipynb")
    course = Course.locate(root / "course")
    manifest = release(course, ASSIGNMENT, source_dir=root / "source_in", limits=TEST_LIMITS,
                       determinism=False, log=lambda *a: None)
    release_nb = nbformat.read(course.release(ASSIGNMENT) / f"{ASSIGNMENT}.ipynb", as_version=4)
    for case in CASES:
        write_submission(course.submitted, case.name, ASSIGNMENT, fill(release_nb, case.answers))
    write_submission(course.submitted, "stubs", ASSIGNMENT, fill(release_nb, STUBS))
    write_submission(course.submitted, "correct", ASSIGNMENT, fill(release_nb, CORRECT))
    results = grade_assignment(course, ASSIGNMENT, jobs=2, limits=TEST_LIMITS, progress=False,
                               log=lambda *a: None)
    return course, manifest, {r["student"]: r for r in results}


def test_the_fixture_is_hardened_and_fair(graded):
    course, manifest, results = graded
    plain = manifest["notebooks"][ASSIGNMENT]["plain"]
    assert plain["square_test"]["mode"] == "hardened"
    assert results["correct"]["score"] == 4.0, results["correct"]
    assert results["stubs"]["score"] == 0.0, results["stubs"]
    graded_source = (course.reference(ASSIGNMENT) / ASSIGNMENT / "source.ipynb").read_text()
    for literal in ("144", "2.25", "0.25", "26.99", "27.01"):
        assert literal not in graded_source, f"{literal} is in the code a student's run executes"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.klass}-{c.name}" for c in CASES])
def test_attack_earns_nothing(graded, case):
    _, _, results = graded
    r = results[case.name]
    detail = f"{case.name}: {r['score']} {r['status']} {r['flags']}"
    assert r["score"] == 0.0, detail
    if case.flag:
        assert any(case.flag in f for f in r["flags"]), detail


def test_each_class_has_three_variants():
    from collections import Counter

    counts = Counter(c.klass for c in CASES)
    assert all(counts[k] >= 3 for k in ("TRANSFORM", "TRACE", "LITERAL")), counts
