"""End to end on the real exercises: the solution scores full, the release scores zero, and
every mutation of the exercises' catalogue (exercises/<a>/mutations.py) scores below full; the
fast runner (the default) and the Jupyter-kernel runner give every submission the same score,
status and verdicts."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from conftest import REPO, TEST_LIMITS, requires_bwrap, write_submission  # noqa: E402

EXERCISES = sorted(p.parent.name for p in (REPO / "exercises").glob("ex*/ex*.ipynb")
                   if p.stem == p.parent.name)
pytestmark = [pytest.mark.slow, requires_bwrap()]


def _verdicts(result):
    return (result["score"], result["status"],
            sorted((gid, c["score"], tuple(v["passed"] for v in c["checks"]))
                   for nb in result["notebooks"].values() for gid, c in nb.items()))


def _mutations(assignment):
    path = REPO / "exercises" / assignment / "mutations.py"
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location(f"mutations_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(getattr(module, "MUTATIONS", []))


@pytest.mark.skipif(not EXERCISES, reason="no exercises/<assignment>/<assignment>.ipynb yet")
@pytest.mark.parametrize("assignment", EXERCISES)
def test_exercise_end_to_end(assignment, tmp_path):
    from autograder.batch import grade_assignment
    from autograder.course import Course
    from autograder.demo import make_submission
    from autograder.rebuild import grade_id, is_answer, is_test
    from autograder.release import release

    course = Course.locate(tmp_path / "course")
    release(course, assignment, source_dir=REPO / "exercises", limits=TEST_LIMITS,
            determinism=False, log=lambda *a: None)
    source = nbformat.read(course.source(assignment) / f"{assignment}.ipynb", as_version=4)
    rel = nbformat.read(course.release(assignment) / f"{assignment}.ipynb", as_version=4)
    solution = {grade_id(c): c.source for c in source.cells if is_answer(c)}
    write_submission(course.submitted, "solution", assignment, make_submission(rel, solution))
    write_submission(course.submitted, "release", assignment, rel)
    mutations = _mutations(assignment)
    for m in mutations:
        write_submission(course.submitted, f"mut_{m['name']}", assignment,
                         make_submission(rel, {**solution, m["cell"]: m["source"]}))
    results = {r["student"]: r for r in grade_assignment(
        course, assignment, jobs=2, limits=TEST_LIMITS, progress=False, log=lambda *a: None)}
    kernel = {r["student"]: r for r in grade_assignment(
        course, assignment, jobs=2, limits=dataclasses.replace(TEST_LIMITS, runner="nbclient"),
        regrade=True, progress=False, log=lambda *a: None)}
    # a mutation that draws from NumPy's unseeded global generator has verdicts that vary from
    # run to run (mutations.py marks it "unseeded"): the runners are compared on the others
    unseeded = {f"mut_{m['name']}" for m in mutations if m.get("unseeded")}
    assert ({s: _verdicts(r) for s, r in results.items() if s not in unseeded}
            == {s: _verdicts(r) for s, r in kernel.items() if s not in unseeded})
    full = results["solution"]["max_score"]
    assert results["solution"]["score"] == full, results["solution"]
    assert results["release"]["score"] == 0, results["release"]
    survivors = [n for n, r in [*results.items(), *kernel.items()]
                 if n.startswith("mut_") and r["score"] >= full]
    assert not survivors, f"mutations scoring full: {survivors}"
    # partial credit per check: the solution earns every cell in full, a cell whose checks give
    # points= earns a fraction for some mutation, and a cell without them stays all or nothing
    partial = {grade_id(c) for c in source.cells if is_test(c) and "points=" in c.source}
    fractional = []
    for student, result in [*results.items(), *kernel.items()]:
        for gid, cell in result["notebooks"][assignment].items():
            if student == "solution":
                assert cell["score"] == cell["points"], (gid, cell)
            elif gid in partial and 0 < cell["score"] < cell["points"]:
                fractional.append((student, gid))
            else:
                assert cell["score"] in (0, cell["points"]), (student, gid, cell)
    if partial and mutations:
        assert fractional, f"no mutation earns part of the partial-credit cells {sorted(partial)}"
    # a mutation that states its scores (an unanswered part inside checks.section, say) earns
    # exactly those through the real grader, with both runners
    for m in mutations:
        for student_results in (results, kernel):
            cells = student_results[f"mut_{m['name']}"]["notebooks"][assignment]
            for gid, want in m.get("scores", {}).items():
                assert cells[gid]["score"] == want, (m["name"], gid, cells[gid])
    if assignment == "ex03_backprop":
        # one bug costs one part: a wrong mse_grad costs the backward cell nothing (its checks
        # draw dL/dY themselves), so a correct backward keeps all its points
        cell = results["mut_mse_grad_sign_flip"]["notebooks"][assignment]["test_backward"]
        assert cell["score"] == cell["points"], cell
    if not mutations:
        pytest.skip(f"{assignment} has no mutation catalogue (exercises/{assignment}/mutations.py)")
