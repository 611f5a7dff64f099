"""The exercises' checks catch bugs early, give no code away, and grade randomness robustly
(issue 13). Uses the runs of conftest.py; the seed-robustness runs happen once per session."""

from __future__ import annotations

import pytest

import exercise_harness as harness
import quality

def test_visible_checks_catch_most_mutations(evaluation):
    """For every part, its visible checks catch >= 80% of the part's counted mutations."""
    rates = quality.catch_rates(evaluation)
    quality.CATCH_REPORT[evaluation.name] = [r.line() for r in rates.values()]
    low = [r.line() for r in rates.values() if r.rate < quality.CATCH_RATE_MIN]
    assert not low, f"{evaluation.name}: parts whose visible checks catch < 80% of their mutations: {low}"


def test_hidden_only_mutations_say_why(assignment):
    for m in harness.load_mutations(assignment):
        if "hidden_only" in m:
            assert isinstance(m["hidden_only"], str) and len(m["hidden_only"]) > 10, (
                f"{m['name']}: hidden_only must give the reason it cannot be caught visibly")


def test_no_solution_code_in_student_version(assignment):
    """No solution line, nor a significant sub-expression of one, appears in what the student
    reads (instructions, hints, given code), after normalising whitespace and comments."""
    nb = harness.read_source(assignment)
    student = harness.student_versions_module().student_notebook(nb)
    leaked = quality.leaked_fragments(nb, student)
    assert not leaked, f"{assignment}: solution code in the student version: {leaked}"


def test_leak_detector_can_fail():
    """The detector finds a hint that spells out a solution expression in other spacing."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    answer = nbformat.v4.new_code_cell("def dense(A, W, b):\n    ### BEGIN SOLUTION\n"
                                       "    return A @ W.T + b  # (n, n_out)\n    ### END SOLUTION\n")
    answer.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "dense"}
    hint = nbformat.v4.new_code_cell('checks.check_shape("ex.x", 1, (), hint="the product is A@W.T")')
    hint.metadata["nbgrader"] = {"solution": False, "grade": True, "grade_id": "test_dense"}
    nb.cells = [answer, hint]
    student = nbformat.v4.new_notebook()
    student.cells = [nbformat.v4.new_code_cell("def dense(A, W, b):\n    raise NotImplementedError()"), hint]
    assert "A@W.T" in quality.leaked_fragments(nb, student)
    hint.source = 'checks.check_shape("ex.x", 1, (), hint="W has shape (n_out, n_in)")'
    assert not quality.leaked_fragments(nb, student)


def _stochastic_assignments():
    return [a for a in harness.assignment_names()
            if quality.stochastic_cells(harness.read_source(a))]


def _variant_plan() -> dict[str, tuple[int, ...]]:
    """Stochastic assignments run in five seed universes; others with VARIANTS in one."""
    stochastic = set(_stochastic_assignments())
    return {a: quality.SEED_OFFSETS if a in stochastic else (0,) for a in harness.assignment_names()
            if a in stochastic or harness.load_variants(a)}


def test_stochastic_answers_have_valid_variants(assignment):
    """Every answer that draws random numbers has a second valid implementation in VARIANTS."""
    nb = harness.read_source(assignment)
    cells = quality.stochastic_cells(nb)
    variants = harness.load_variants(assignment)
    covered = {v["cell"] for v in variants}
    assert set(cells) <= covered, (
        f"{assignment}: stochastic answers without a valid alternative in VARIANTS: "
        f"{sorted(set(cells) - covered)}")
    answers = {harness.grade_id(c): c.source for c in nb.cells if harness.is_answer(c)}
    for v in variants:
        assert set(v) == {"name", "cell", "source"}, v.get("name")
        assert v["cell"] in answers and v["source"].strip() != answers[v["cell"]].strip(), v["name"]


@pytest.fixture(scope="session")
def seed_runs():
    import shutil

    workdir = harness.fresh_workdir()
    yield harness.evaluate_seeds(_variant_plan(), workdir)
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.mark.parametrize("graded", sorted(_variant_plan()))
def test_verdicts_are_seed_and_implementation_robust(seed_runs, graded):
    """Every valid implementation (the solution and each of VARIANTS) passes every check, and
    for an assignment with stochastic answers it does so with every seed shifted by 0..4: the
    verdict never depends on one seed's noise or on how the generator is used."""
    runs = {k: v for k, v in seed_runs.items() if k[0] == graded}
    labels = {k[2] for k in runs}
    assert len(labels) >= 2, f"{graded}: a second valid implementation is needed (VARIANTS)"
    if graded in _stochastic_assignments():
        assert len({k[1] for k in runs}) >= 5
    bad = {}
    for (_, offset, label), (run, reference, records) in sorted(runs.items()):
        failed = [v.message.splitlines()[0] for v in harness.verdicts(reference, records).values()
                  if not v.passed]
        if run.errors() or failed:
            bad[f"seed+{offset} {label}"] = (list(run.errors().values())[:1], failed[:3])
    assert not bad, f"{graded}: verdicts that depend on the seed or the implementation: {bad}"
