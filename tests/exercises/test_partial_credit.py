"""Partial credit per check (issue 13), for every assignment under exercises/.

A test cell whose checks carry ``points=`` scores the points of its passed checks. These tests
score the harness's runs (made once per session, see conftest.py) with the autograder's own
``autograder.scoring`` and the reference records, so they cost no extra notebook run:

- in a partial-credit cell every check (each iteration of a loop included) carries positive
  points, and they add up exactly to the cell's nbgrader points (what ``autograder release``
  refuses otherwise); the hidden checks carry at least half of them, so answers that only match
  the visible checks (hard-coding, for instance) earn at most half a cell;
- the solution scores every cell in full;
- some mutation of the catalogue earns a fraction of a partial-credit cell: partial credit is
  real, not only declared; a cell without points stays all or nothing;
- a mutation with ``"scores"`` (an unanswered or crashing part, say) earns exactly those cell
  scores: an exception in one group of checks (``checks.section``) costs only that group.
"""

from __future__ import annotations

import exercise_harness as harness
from autograder import scoring
from nnkit import checks


def _partial_cells(reference: dict) -> dict[str, list]:
    return {gid: keys for gid, keys in harness.cell_keys(reference).items()
            if any(reference[k].params.get("points") is not None for k in keys)}


def _scores(evaluation, submitted: dict) -> dict[str, float]:
    """Test cell -> score, as ``autograder grade`` computes it from the verdicts."""
    return harness.point_scores(evaluation.source, evaluation.reference_records, submitted)


def test_partial_credit_points_add_up(evaluation):
    reference = evaluation.reference_records
    points = harness.cell_points(evaluation.source)
    cells = harness.cell_keys(reference)
    problems = scoring.check_points(evaluation.name, cells, reference, points)
    assert not problems, problems
    for gid, keys in _partial_cells(reference).items():
        weights = {k: reference[k].params["points"] for k in keys}
        assert all(w > 0 for w in weights.values()), f"{gid}: a check worth 0 points: {weights}"
        # exact, not within a tolerance: a float sum that falls short would keep the solution
        # below full marks (use halves, quarters, eighths, sixteenths)
        assert sum(weights.values()) == points[gid], f"{gid}: {sum(weights.values())} != {points[gid]}"
        hidden = sum(w for (name, _), w in weights.items() if checks.is_hidden(name))
        assert hidden >= points[gid] / 2, (
            f"{gid}: the hidden checks carry {hidden:g} of {points[gid]:g} points; give them at "
            "least half, so that answers fitted to the visible checks earn at most half the cell")


def test_solution_scores_full_marks(evaluation):
    scores = _scores(evaluation, evaluation.reference_records)
    assert scores == harness.cell_points(evaluation.source)


def test_a_mutation_earns_partial_credit(evaluation):
    partial = _partial_cells(evaluation.reference_records)
    points = harness.cell_points(evaluation.source)
    fractional = []
    for name, run in evaluation.mutation_runs.items():
        for gid, score in _scores(evaluation, evaluation.records_of(run)).items():
            assert 0 <= score <= points[gid], (name, gid, score)
            if gid not in partial:
                assert score in (0, points[gid]), f"{name}: all-or-nothing cell {gid} scored {score}"
            elif 0 < score < points[gid]:
                fractional.append((name, gid, score))
    if partial:
        assert fractional, (f"{evaluation.name}: no mutation earns part of the partial-credit cells "
                            f"{sorted(partial)}")


def test_mutations_earn_their_stated_scores(evaluation):
    stated = [m for m in evaluation.mutations if "scores" in m]
    for m in stated:
        scores = _scores(evaluation, evaluation.records_of(evaluation.mutation_runs[m["name"]]))
        for gid, want in m["scores"].items():
            assert scores[gid] == want, f"{m['name']}: {gid} scored {scores[gid]}, expected {want}"


def test_crash_isolation_is_proven_where_cells_use_sections():
    """Every assignment whose test cells use checks.section has a mutation with stated scores."""
    for name in harness.assignment_names():
        nb = harness.read_source(name)
        if any("checks.section(" in c.source for c in nb.cells if harness.is_test(c)):
            assert any("scores" in m for m in harness.load_mutations(name)), name
