"""tools/measure_mistakes.py judges an answer the way the harness and `autograder grade` do.

It reuses the session's runs (conftest.py), so it costs no extra notebook run.
"""

from __future__ import annotations

import importlib.util

import exercise_harness as harness

_spec = importlib.util.spec_from_file_location(
    "measure_mistakes", harness.ROOT / "tools" / "measure_mistakes.py")
measure_mistakes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(measure_mistakes)


def test_the_solution_is_judged_at_full_marks(evaluation):
    ref = evaluation.reference_records
    verdict = measure_mistakes.judge(evaluation.source, ref, ref)
    assert verdict["score"] == verdict["full"] > 0
    assert not verdict["visible"] and not verdict["hidden"] and not verdict["lost"]


def test_every_catalogued_mistake_is_judged_caught_and_losing_points(evaluation):
    for mutation in evaluation.mutations:
        run = evaluation.mutation_runs[mutation["name"]]
        verdict = measure_mistakes.judge(evaluation.source, evaluation.reference_records,
                                         evaluation.records_of(run))
        # the catalogue's contract: every mutation fails a hidden check, so it loses points
        assert verdict["hidden"], mutation["name"]
        assert verdict["score"] < verdict["full"], mutation["name"]
        assert sum(verdict["lost"].values()) == verdict["full"] - verdict["score"]
        if mutation["name"] == "hardcode":       # passes every visible check on purpose
            assert not verdict["visible"]
