"""Tests that prove the exercises' tests (issue 7), for every assignment under exercises/.

Static tests read the notebooks only; the others use the runs made once per session by
``exercise_harness.evaluate_many`` (see conftest.py).
"""

from __future__ import annotations

import fnmatch
import re

import nbformat
import pytest

import exercise_harness as harness

HARDCODE = "hardcode"


def _all_mutations():
    return [(a, m["name"]) for a in harness.assignment_names()
            for m in harness.load_mutations(a) if m["name"] != HARDCODE]


# ---------------------------------------------------------------------------- static
def test_notebook_metadata(assignment):
    nb = harness.read_source(assignment)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    number = int(re.match(r"ex(\d+)_", assignment).group(1))
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    assert re.match(rf"# Exercise {number}: \S", first.source), first.source[:80]

    ids = []
    for i, cell in enumerate(nb.cells):
        meta = harness.nbgrader_meta(cell)
        where = f"{assignment} cell {i} ({meta.get('grade_id')})"
        assert meta, f"{where}: no nbgrader metadata"
        assert meta.get("schema_version") == 3, where
        assert isinstance(meta.get("grade_id"), str) and meta["grade_id"], where
        ids.append(meta["grade_id"])
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{where}: outputs committed"
        text = cell.source
        if harness.is_manual(cell):
            # a written answer graded by hand (nbgrader "manually graded answer")
            assert not meta.get("locked") and meta["grade_id"].startswith("think_"), where
            assert isinstance(meta.get("points"), (int, float)) and meta["points"] > 0, where
            assert "### BEGIN" not in text and text.strip(), f"{where}: a model answer, no markers"
        elif meta.get("solution"):
            assert cell.cell_type == "code" and not meta.get("grade") and not meta.get("locked"), where
            n_begin = text.count("### BEGIN SOLUTION")
            assert n_begin >= 1 and text.count("### END SOLUTION") == n_begin, where
        elif meta.get("grade"):
            assert cell.cell_type == "code" and meta.get("locked") is True, where
            assert meta["grade_id"].startswith("test_"), where
            assert isinstance(meta.get("points"), (int, float)) and meta["points"] > 0, where
            assert text.count("### BEGIN HIDDEN TESTS") == 1 and text.count("### END HIDDEN TESTS") == 1, where
            assert not re.search(r"^\s*assert\b", text, re.M), f"{where}: plain assert in a test cell"
        else:
            assert meta.get("locked") is True, f"{where}: instruction cells are locked"
            assert "### BEGIN" not in text, where
    assert len(ids) == len(set(ids)), f"duplicate grade_ids in {assignment}"
    assert any(harness.is_answer(c) for c in nb.cells)
    assert any(harness.is_test(c) for c in nb.cells)


def test_checks_contract(assignment):
    """Check names are unique and prefixed; hidden checks are hidden and pass no expected."""
    nb = harness.read_source(assignment)
    short = assignment.split("_")[0]
    names = []
    for cell in nb.cells:
        if not harness.is_test(cell):
            if cell.cell_type == "code" and not harness.is_answer(cell):
                assert not harness.check_calls(cell.source), (
                    f"{assignment}: checks outside a test cell ({harness.grade_id(cell)})")
            continue
        visible, hidden = harness.split_hidden(cell.source)
        vis_calls, hid_calls = harness.check_calls(visible), harness.check_calls(hidden)
        assert vis_calls, f"{harness.grade_id(cell)}: no visible check"
        assert hid_calls, f"{harness.grade_id(cell)}: no hidden check"
        for func, name, n_pos, line in vis_calls + hid_calls:
            assert name and name.startswith(short + "."), f"check name {name!r} needs prefix {short}."
            names.append(name)
        for func, name, n_pos, line in vis_calls:
            assert ".hidden." not in name, f"{name}: a visible check named hidden"
        for func, name, n_pos, line in hid_calls:
            assert ".hidden." in name, f"{name}: hidden checks are named <short>.hidden.<what>"
            limit = 4 if func == "check_between" else 2
            assert n_pos <= limit, f"{name}: a hidden check passes no expected value"
        assert "expected" not in hidden, f"{harness.grade_id(cell)}: 'expected' in hidden tests"
    dupes = {n for n in names if names.count(n) > 1}
    assert not dupes, f"check names used twice: {dupes}"


def test_mutation_catalogue(assignment):
    nb = harness.read_source(assignment)
    answers = {harness.grade_id(c): c.source for c in nb.cells if harness.is_answer(c)}
    mutations = harness.load_mutations(assignment)
    names = [m["name"] for m in mutations]
    assert len(names) == len(set(names)), "mutation names are unique"
    assert names.count(HARDCODE) == 1, "exactly one 'hardcode' mutation"
    assert len(names) - 1 >= 5, "at least five typical wrong implementations"
    for m in mutations:
        assert {"name", "cell", "source"} <= set(m) <= {"name", "cell", "source", "hidden_only", "unseeded", "scores"}, m.get("name")
        assert m.get("unseeded", True) is True, f"{m['name']}: unseeded is True or absent"
        assert m["cell"] in answers, f"{m['name']}: {m['cell']!r} is not an answer cell"
        assert m["source"].strip() != answers[m["cell"]].strip(), f"{m['name']}: unchanged"
        assert "### BEGIN" not in m["source"], m["name"]
        compile(m["source"], m["name"], "exec")


def test_student_version_has_no_secrets(assignment):
    nb = harness.read_source(assignment)
    student = harness.student_versions_module().student_notebook(nb)
    text = "\n".join(c.source for c in student.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN", "END HIDDEN", ".hidden."):
        assert marker not in text, f"{marker!r} survives in the student version"
    lines = {line.strip() for line in text.splitlines()}
    leaked = sorted(harness.secret_lines(nb) & lines)
    assert not leaked, f"solution or hidden-test lines in the student version: {leaked}"
    assert student.cells[0].source == nb.cells[0].source  # the book page's title
    for cell in student.cells:
        if harness.is_answer(cell):
            assert "raise NotImplementedError()" in cell.source
        if harness.is_manual(cell):
            assert cell.source.strip() == "YOUR ANSWER HERE", "a model answer survives"
        if cell.cell_type == "code":
            assert cell.outputs == []
    assert harness.test_cell_ids(student) == harness.test_cell_ids(nb)


# ---------------------------------------------------------------------------- dynamic
def test_solution_passes_in_local_mode(evaluation):
    """Executing the source notebook raises nothing but the hidden checks' NoReference.

    Visible expected values agree; a hidden check has no reference outside the autograder and
    must refuse to pass (so that stock `nbgrader autograde` never awards it).
    """
    errors = {k: e for k, e in evaluation.solution.errors().items() if "NoReference" not in e}
    assert not errors, errors


def test_solution_passes_its_own_records(evaluation):
    ref = evaluation.reference_records
    assert not evaluation.reference.errors(), evaluation.reference.errors()
    failing = {k: v.message for k, v in harness.verdicts(ref, ref).items() if not v.passed}
    assert not failing, failing
    # every check of the notebook was recorded, and attributed to its test cell
    static = {name for c in evaluation.source.cells if harness.is_test(c)
              for _, name, _, _ in harness.check_calls(c.source)}
    recorded = {name for name, _ in ref}
    never = {pattern for pattern in static
             if not any(fnmatch.fnmatchcase(name, pattern.replace("{}", "*")) for name in recorded)}
    assert not never, f"checks never recorded: {never}"
    cells = set(harness.test_cell_ids(evaluation.source))
    assert {r.cell for r in ref.values()} <= cells
    scores = harness.cell_scores(evaluation.source, evaluation.reference, ref, ref)
    assert all(scores.values()), scores


def test_student_version_scores_zero(evaluation):
    failed = evaluation.student_run.failed_cells()
    tests = harness.test_cell_ids(evaluation.student)
    passing = [gid for gid in tests if gid not in failed]
    assert not passing, f"test cells that pass on the untouched release: {passing}"


@pytest.mark.parametrize("assignment, mutation", _all_mutations())
def test_mutation_fails_a_hidden_check(_evaluations, assignment, mutation):
    ev = _evaluations(assignment)
    run = ev.mutation_runs[mutation]
    vs = harness.verdicts(ev.reference_records, ev.records_of(run))
    hidden_failed = [k for k, v in vs.items() if ".hidden." in k[0] and not v.passed]
    assert hidden_failed, f"{assignment}/{mutation} passes every hidden check"


def test_hardcode_passes_visible_fails_hidden(evaluation):
    run = evaluation.mutation_runs[HARDCODE]
    vs = harness.verdicts(evaluation.reference_records, evaluation.records_of(run))
    visible_failed = {k[0]: v.message for k, v in vs.items() if ".hidden." not in k[0] and not v.passed}
    assert not visible_failed, f"the hard-coded answers should pass the visible checks: {visible_failed}"
    hidden_failed = [k for k, v in vs.items() if ".hidden." in k[0] and not v.passed]
    assert hidden_failed, "hard-coding the visible answers passes the hidden checks"


def test_notebook_runs_under_budget(evaluation):
    assert evaluation.solution.seconds < harness.NOTEBOOK_BUDGET, (
        f"{evaluation.name} took {evaluation.solution.seconds:.1f} s")
