"""Plain-assert test cells: which forms are hardened, and that a rewritten cell scores as nbgrader.

The rewritten cells run here in this process (as the sandbox would run them) with checks in
record mode; the grader's side (reference adjustment, comparison, cell score) is the real one.
"""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr
from pathlib import Path

import nbformat
import pytest

from autograder.asserts import adjust_reference, rewrite_cell
from autograder.release import instrument
from autograder.scoring import check_points, cell_score
from nnkit import checks


def _run(code: str, namespace: dict, record_dir: Path, monkeypatch) -> bool:
    """Execute like a notebook cell; True when it raised nothing."""
    monkeypatch.setenv(checks.RECORD_ENV, str(record_dir))
    checks._state["seen"].clear()
    try:
        exec(compile(code, "<cell>", "exec"), namespace)
        return True
    except Exception:
        return False
    finally:
        monkeypatch.delenv(checks.RECORD_ENV)
        checks._state["seen"].clear()


def grade(test: str, solution: str, answer: str, tmp_path, monkeypatch, points: float = 1.0) -> float:
    """Score of `answer` on the rewritten `test` cell, with `solution` as the reference."""
    reference_form, plan = rewrite_cell(test, "cell")
    graded, graded_plan = rewrite_cell(test, "cell", graded=True)
    assert graded_plan.hardened == plan.hardened
    for label, code, form in (("ref", solution, reference_form), ("sub", answer, graded)):
        ns: dict = {"__name__": "__main__"}
        exec(code, ns)
        with redirect_stderr(io.StringIO()):
            _run(form, ns, tmp_path / label, monkeypatch)
    reference, _ = checks.load_records(tmp_path / "ref")
    submitted, _ = checks.load_records(tmp_path / "sub")
    hardened = set(plan.hardened) | {n + ".type" for n in plan.hardened}
    assert not adjust_reference(reference, hardened), "the solution fails its own test"
    keys = sorted(reference)
    verdicts = [{"passed": checks.compare(reference[k], submitted.get(k)).passed} for k in keys]
    return cell_score(points, keys, verdicts, reference, submitted)


def test_recognised_forms_are_hardened():
    cases = [
        "assert f(1) == [1]",
        "assert 385 == g(10)",
        "import numpy as np\nassert np.allclose(h(3), [0.5, 0.25], rtol=1e-3)",
        "assert np.all(np.isclose(h(3), 0.5))",
        "assert abs(g(2) - 5) < 1e-9",
        "import math\nassert math.fabs(2.5 - g(2)) <= 0.1",
        "np.testing.assert_allclose(h(3), [1.0, 2.0], atol=1e-6)",
        "from numpy.testing import assert_array_equal\nassert_array_equal(f(3), [1, 4, 9])",
        "np.testing.assert_almost_equal(g(2), 5.0, decimal=3)",
        "expected = np.arange(3) ** 2\nassert np.allclose(f(3), expected)",
        '"""A docstring."""\nx = f(3)\nassert x == [1, 4, 9], "squares are wrong"',
    ]
    for source in cases:
        _, plan = rewrite_cell(source, "c")
        assert plan.mode == "hardened" and plan.hardened, (source, plan)


def test_other_forms_stay_in_process_with_a_reason():
    cases = {
        "try:\n    f(-1)\nexcept ValueError:\n    pass\nelse:\n    raise AssertionError('no')": "try",
        "assert f(1) != 3": "assert of a form",
        "assert f(1) == g(1)": "assert of a form",          # both sides are the student's
        "y = f(2)\nassert f(1) == y": "assert of a form",    # expected value from student code
        "def t():\n    assert f(1) == [1]\nt()": "function",
        "assert isinstance(f(1), list)": "assert of a form",
        "for n in range(1000):\n    assert f(1) == [1]": "assert of a form",   # loops stay as written
    }
    for source, reason in cases.items():
        _, plan = rewrite_cell(source, "c")
        assert plan.mode == "in-process", source
        assert any(reason in r for r in plan.reasons), (source, plan.reasons)


def test_hidden_region_names_and_magics():
    source = ("%time f(1)\n### BEGIN HIDDEN TESTS\nassert f(2) == [1, 4]\n### END HIDDEN TESTS\n"
              "assert f(1) == [1]\n")
    graded, plan = rewrite_cell(source, "c")
    assert plan.hardened == ["c.hidden.assert1", "c.assert2"] and plan.mode == "hardened"
    compile(graded, "<graded>", "exec")
    assert "run_line_magic" in graded


def test_instrument_writes_python_literals():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("%%time\ny = 2", metadata={"nbgrader": {"grade_id": "it's \"q\""}})])
    out = instrument(nb)
    assert "set_cell(None)" in out.cells[0].source
    for cell in out.cells:
        body = cell.source.split("\n", 1)[1] if cell.source.startswith("%%") else cell.source
        compile(body, "<cell>", "exec")


SQUARES = "def f(n):\n    return [i * i for i in range(1, n + 1)]\n"


def test_equal_scores_like_python(tmp_path, monkeypatch):
    test = "assert f(3) == [1, 4, 9]\nassert f(1) == [1]"
    assert grade(test, SQUARES, SQUARES, tmp_path / "a", monkeypatch) == 1.0
    floats = "def f(n):\n    return [float(i * i) for i in range(1, n + 1)]\n"   # 1.0 == 1
    assert grade(test, SQUARES, floats, tmp_path / "b", monkeypatch) == 1.0
    tuples = "def f(n):\n    return tuple(i * i for i in range(1, n + 1))\n"    # (1,) != [1]
    assert grade(test, SQUARES, tuples, tmp_path / "c", monkeypatch) == 0.0
    wrong = "def f(n):\n    return [i * i for i in range(n)]\n"
    assert grade(test, SQUARES, wrong, tmp_path / "d", monkeypatch) == 0.0


def test_hardened_cell_cannot_be_talked_into_passing(tmp_path, monkeypatch):
    """An answer that disables assertions in its own process still fails a hardened test."""
    cheat = ("import builtins\nclass Yes(list):\n    def __eq__(self, other):\n        return True\n"
             "def f(n):\n    return Yes([0])\n")
    assert grade("assert f(3) == [1, 4, 9]", SQUARES, cheat, tmp_path, monkeypatch) == 0.0


def test_tolerances_follow_the_test(tmp_path, monkeypatch):
    sol = "def g(x):\n    return 0.333\n"
    test = "assert abs(g(1) - 0.3) < 0.05"
    assert grade(test, sol, "def g(x):\n    return 0.26\n", tmp_path / "a", monkeypatch) == 1.0
    assert grade(test, sol, "def g(x):\n    return 0.36\n", tmp_path / "b", monkeypatch) == 0.0
    strict = "assert abs(g(1) - 1.0) < 0.5"                                    # 0.5 < 0.5 is False
    assert grade(strict, "def g(x):\n    return 1.25\n", "def g(x):\n    return 1.5\n",
                 tmp_path / "c", monkeypatch) == 0.0
    test = "import numpy as np\nassert np.allclose(g(1), 1.0, rtol=0.1)"
    sol = "def g(x):\n    return [1.0, 1.05]\n"                                   # broadcasting
    assert grade(test, sol, "def g(x):\n    return [0.95, 1.0]\n", tmp_path / "d", monkeypatch) == 1.0
    assert grade(test, sol, "def g(x):\n    return [0.95, 1.2]\n", tmp_path / "e", monkeypatch) == 0.0


def test_in_process_cells_follow_nbgrader_rules(tmp_path, monkeypatch):
    test = "try:\n    f(0)\nexcept ValueError:\n    pass\nelse:\n    raise AssertionError('no error')"
    sol = "def f(n):\n    if n < 1:\n        raise ValueError\n    return n\n"
    assert grade(test, sol, sol, tmp_path / "a", monkeypatch) == 1.0
    assert grade(test, sol, "def f(n):\n    return n\n", tmp_path / "b", monkeypatch) == 0.0
    noisy = "import sys\ndef f(n):\n    print('careful', file=sys.stderr)\n    raise ValueError\n"
    assert grade(test, sol, noisy, tmp_path / "c", monkeypatch) == 0.0   # stderr: no points
    partial = "x = f(2)\nx"                                                  # output = partial credit
    half = "def f(n):\n    return 0.5\n"
    assert grade(partial, half, half, tmp_path / "d", monkeypatch, points=2.0) == 0.5
    text = "def f(n):\n    return 'fine'\n"
    assert grade(partial, half, text, tmp_path / "e", monkeypatch, points=2.0) == 2.0
    big = "def f(n):\n    return 7\n"
    assert grade(partial, half, big, tmp_path / "f", monkeypatch, points=2.0) == 2.0


def test_points_per_check_give_partial_credit(tmp_path, monkeypatch):
    monkeypatch.setenv(checks.RECORD_ENV, str(tmp_path / "ref"))
    checks.set_cell("cell")
    checks.check_close("t.hidden.grad", 1.0, points=1)
    checks.check_close("t.hidden.backward", 2.0, points=2)
    monkeypatch.setenv(checks.RECORD_ENV, str(tmp_path / "sub"))
    checks._state["seen"].clear()
    checks.check_close("t.hidden.grad", 1.5, points=1)        # wrong
    checks.check_close("t.hidden.backward", 2.0, points=2)    # right
    checks.set_cell(None)
    reference, _ = checks.load_records(tmp_path / "ref")
    submitted, _ = checks.load_records(tmp_path / "sub")
    keys = sorted(reference)
    verdicts = [{"passed": checks.compare(reference[k], submitted.get(k)).passed} for k in keys]
    assert cell_score(3.0, keys, verdicts, reference, submitted) == 2.0
    cells = {"cell": [list(k) for k in keys]}
    assert check_points("nb", cells, reference, {"cell": 3.0}) == []
    assert "give 3 points" in check_points("nb", cells, reference, {"cell": 4.0})[0]
    checks._state["seen"].clear()


def test_stderr_wrapper_is_restored():
    from nnkit.checks import plain_asserts

    before = sys.stderr
    plain_asserts.begin("x")
    plain_asserts.begin("x")           # a cell that raised never called end()
    plain_asserts.end("x")
    assert sys.stderr is before


if __name__ == "__main__":
    sys.exit(pytest.main([__file__]))


@pytest.mark.parametrize("test, literals", [
    ("assert f(1) == [17]", ["17"]),
    ("assert 385 == g(10)", ["385"]),
    ("import numpy as np\nassert np.allclose(h(3), [0.5, 0.25], rtol=1e-3)", ["0.5", "0.25", "0.001"]),
    ("assert np.all(np.isclose(h(3), 0.625))", ["0.625"]),
    ("assert abs(g(2) - 5.75) < 1e-9", ["5.75", "1e-09"]),
    ("import numpy as np\nnp.testing.assert_allclose(h(3), [0.5, 0.875], rtol=1e-4)", ["0.875", "0.0001"]),
    ("import numpy as np\nnp.testing.assert_array_equal(f(2), [3, 4])", ["[3, 4]"]),
    ("import numpy as np\nnp.testing.assert_almost_equal(g(2), 2.125, decimal=3)", ["2.125"]),
])
def test_graded_form_holds_no_expected_value(test, literals):
    """Issue 23: what a student's run executes names the value only; the expected literal and the
    tolerance appear in the reference form alone (an input transformer could read them)."""
    reference_form, plan = rewrite_cell(test, "cell")
    graded, graded_plan = rewrite_cell(test, "cell", graded=True)
    assert plan.mode == graded_plan.mode == "hardened"
    for literal in literals:
        assert literal not in graded, (literal, graded)
    assert any(literal in reference_form for literal in literals)


def test_hidden_check_bounds_stay_out_of_the_graded_form():
    from autograder.asserts import strip_hidden_expectations

    src = ("import numpy as np\nfrom nnkit import checks\n"
           "checks.check_between('a.hidden.rate', r, 0.45,\n    0.55, points=1)\n"
           "checks.check_close('a.hidden.z', z, np.array([1.5, 2.5]))\n"
           "checks.check_shape('a.hidden.s', z, expected_shape=(2,))\n"
           "checks.check_between('a.rate', r, 0.3, 0.7)\n"       # visible: left as it is
           "checks.check_close('a.hidden.q', q, reference(x))\n")   # a call: kept (state)
    out = strip_hidden_expectations(src)
    assert out.count("\n") == src.count("\n")
    for gone in ("0.45", "0.55", "1.5", "2.5", "(2,)"):
        assert gone not in out
    assert "0.3, 0.7" in out and "reference(x)" in out
    compile(out, "<cell>", "exec")
