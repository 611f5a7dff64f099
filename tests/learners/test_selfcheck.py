"""nnkit-check: a student's self-check runs the notebook in a fresh kernel and reports each part.

Small nbgrader-style notebooks are written here (a passing, a failing and an erroring one), so
the tests do not depend on the content of the exercises; one test runs a real exercise source.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nnkit.checks import selfcheck

ROOT = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")


def _cell(kind: str, source: str, grade_id: str | None = None, *, grade: bool = False,
          solution: bool = False, points: float | None = None):
    cell = (nbformat.v4.new_code_cell(source) if kind == "code"
            else nbformat.v4.new_markdown_cell(source))
    if grade_id:
        meta = {"grade": grade, "grade_id": grade_id, "locked": not solution,
                "schema_version": 3, "solution": solution, "task": False}
        if points is not None:
            meta["points"] = points
        cell.metadata["nbgrader"] = meta
    return cell


def exercise(answer_double: str, answer_mean: str) -> nbformat.NotebookNode:
    """Two parts: `double` (2 points, with a hidden-test block) and `mean` (1 point)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        _cell("code", "import numpy as np\nfrom nnkit import checks", "setup"),
        _cell("markdown", "## Part A: doubling (2 points)", "part_a"),
        _cell("code", answer_double, "double", solution=True),
        _cell("code",
              'checks.check_shape("t.double_shape", double(np.ones(3)), (3,), hint="same shape as x.")\n'
              'checks.check_close("t.double_values", double(np.array([1.0, -2.0])), np.array([2.0, -4.0]),\n'
              '                   hint="multiply every entry by two.")\n'
              "### BEGIN HIDDEN TESTS\n"
              "secret_input_for_grading = np.arange(7.0)\n"
              'checks.check_close("t.hidden.double_fresh", double(secret_input_for_grading))\n'
              "### END HIDDEN TESTS",
              "test_double", grade=True, points=2),
        _cell("markdown", "## Part B: the mean (1 point)", "part_b"),
        _cell("code", answer_mean, "mean", solution=True),
        _cell("code",
              'checks.check_close("t.mean_value", mean(np.array([1.0, 2.0, 6.0])), 3.0, hint="sum / count.")\n'
              'checks.check_between("t.mean_range", mean(np.array([0.0, 1.0])), 0.0, 1.0)',
              "test_mean", grade=True, points=1),
    ]
    return nb


def write(tmp_path: Path, nb: nbformat.NotebookNode, name: str = "ex_test.ipynb") -> Path:
    path = tmp_path / name
    nbformat.write(nb, str(path))
    return path


def run_cli(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nnkit.checks.selfcheck", str(path)], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=300)


GOOD = exercise("def double(x):\n    return 2 * x", "def mean(x):\n    return float(np.mean(x))")


def test_passing_notebook_lists_every_check_and_points(tmp_path):
    out = run_cli(write(tmp_path, GOOD))
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    for name in ("t.double_shape", "t.double_values", "t.mean_value", "t.mean_range"):
        assert f"pass     {name}" in text, text
    assert "Part A: doubling (2 points)  [test_double, 2 points]" in text
    assert "[test_mean, 1 point]" in text
    assert "pass in 2 of 2 parts (3 of 3 points within reach)" in text
    # hidden tests: said to exist, never shown, never run
    assert "hidden checks exist for this part" in text
    assert "Hidden checks:" in text
    assert "secret_input_for_grading" not in text and "t.hidden." not in text


def _own_message(call) -> str:
    """The message a check raises in Jupyter (default mode), to compare with nnkit-check's."""
    with pytest.raises(AssertionError) as info:
        call()
    return str(info.value)


def test_failing_notebook_shows_the_checks_own_messages(tmp_path, monkeypatch):
    import numpy as np

    from nnkit import checks

    nb = exercise("def double(x):\n    return x + 2", "def mean(x):\n    return float(np.sum(x))")
    nb.cells[6].source = nb.cells[6].source.replace("np.array([0.0, 1.0])", "np.array([1.0, 2.0])")
    out = run_cli(write(tmp_path, nb))
    assert out.returncode == 1, out.stdout + out.stderr
    text = out.stdout
    assert "pass     t.double_shape" in text
    assert "FAIL     t.double_values" in text and "FAIL     t.mean_value" in text
    assert "FAIL     t.mean_range" in text
    monkeypatch.delenv(checks.RECORD_ENV, raising=False)
    expected = [
        _own_message(lambda: checks.check_close("t.double_values", np.array([1.0, -2.0]) + 2,
                                                np.array([2.0, -4.0]), hint="multiply every entry by two.")),
        _own_message(lambda: checks.check_close("t.mean_value", 9.0, 3.0, hint="sum / count.")),
        _own_message(lambda: checks.check_between("t.mean_range", 3.0, 0.0, 1.0)),
    ]
    for message in expected:
        indented = "\n".join("           " + line for line in message.splitlines())
        assert indented in text, f"{message!r} not in\n{text}"
    assert "0 of 2 points as it stands" in text and "0 of 1 point as it stands" in text
    assert "pass in 0 of 2 parts" in text


def test_erroring_notebook_reports_the_error_and_the_checks_that_never_ran(tmp_path):
    nb = exercise("def double(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
                  "def mean(x):\n    return float(np.mean(x))\nundefined_name_here")
    out = run_cli(write(tmp_path, nb))
    assert out.returncode == 1, out.stdout + out.stderr
    text = out.stdout
    assert "ERROR    the cell raised NotImplementedError: not answered yet" in text
    assert "not run  t.double_shape, t.double_values" in text, text
    # the error in a solution cell is listed, and grading carries on after it: part B still runs
    assert "(mean): NameError: name 'undefined_name_here' is not defined" in text
    assert "pass     t.mean_value" in text
    assert "pass in 1 of 2 parts (1 of 3 points within reach)" in text


def test_hidden_checks_outside_blocks_are_counted_not_shown(tmp_path):
    nb = exercise("def double(x):\n    return 2 * x", "def mean(x):\n    return float(np.mean(x))")
    nb.cells[6].source += '\nchecks.check_close("t.hidden.mean_again", mean(np.arange(4.0)))'
    report = selfcheck.check_notebook(write(tmp_path, nb))
    mean_part = report.parts[1]
    assert mean_part.hidden_checks == 1 and mean_part.hidden_blocks == 0
    text = selfcheck.format_report(report)
    assert "t.hidden" not in text and "hidden checks exist for this part" in text


def test_a_real_exercise_source_passes_its_visible_checks(tmp_path):
    sources = sorted(ROOT.glob("exercises/ex*/ex*.ipynb"))
    assert sources, "no exercise sources"
    source = sources[0]
    nb = nbformat.read(str(source), as_version=4)
    out = run_cli(write(tmp_path, nb, source.name))
    hidden_lines = set()
    for cell in nb.cells:
        inside = False
        for line in "".join(cell.source).splitlines():
            if line.strip() == selfcheck.HIDDEN_BEGIN:
                inside = True
            elif line.strip() == selfcheck.HIDDEN_END:
                inside = False
            elif inside and len(line.strip()) > 12:
                hidden_lines.add(line.strip())
    assert out.returncode == 0, out.stdout + out.stderr
    assert hidden_lines, "the exercise source has no hidden tests to keep out"
    assert not [line for line in hidden_lines if line in out.stdout]


def test_usage_problems_exit_2_with_a_clear_message(tmp_path):
    out = run_cli(tmp_path / "missing.ipynb")
    assert out.returncode == 2 and "no such file" in out.stderr
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    out = run_cli(bad)
    assert out.returncode == 2 and "not a readable Jupyter notebook" in out.stderr


def test_console_script_is_declared_and_documented():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["nnkit-check"] == "nnkit.checks.selfcheck:main"
    for dep in ("nbclient", "nbformat", "ipykernel"):
        assert any(d.startswith(dep) for d in project["optional-dependencies"]["student"]), dep
    assert "nnkit-check" in (ROOT / "README.md").read_text()


def test_import_nnkit_stays_light():
    code = ("import sys, nnkit; heavy = [m for m in ('nnkit.checks.selfcheck', 'nbclient', 'nbformat', "
            "'jupyter_client') if m in sys.modules]; print(json.dumps(heavy))")
    out = subprocess.run([sys.executable, "-c", "import json; " + code], env=ENV,
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_partial_credit_parts_show_each_checks_points(tmp_path):
    """A part whose checks carry points= is reported check by check, with what it earns."""
    nb = exercise("def double(x):\n    return 2 * x + (x < 0)", "def mean(x):\n    return float(np.mean(x))")
    nb.cells[3].source = (
        'checks.check_shape("t.double_shape", double(np.ones(3)), (3,), points=0.5)\n'
        'checks.check_close("t.double_values", double(np.array([1.0, -2.0])), np.array([2.0, -4.0]),\n'
        '                   hint="multiply every entry by two.", points=0.5)\n'
        "### BEGIN HIDDEN TESTS\n"
        'checks.check_close("t.hidden.double_fresh", double(np.arange(7.0)), points=1)\n'
        "### END HIDDEN TESTS")
    out = run_cli(write(tmp_path, nb))
    assert out.returncode == 1, out.stdout + out.stderr
    text = out.stdout
    assert "pass     t.double_shape  (0.5 points)" in text
    assert "FAIL     t.double_values  (0.5 points)" in text
    assert ("partial credit: the visible checks earn 0.5 of their 1 as it stands (the hidden checks "
            "carry the other 1 of 2 points)") in text
    # within reach: 0.5 visible + 1 hidden of part A, and part B's 1 point
    assert "(2.5 of 3 points within reach)" in text
    assert "A part marked partial credit earns the points of each check that passes" in text
    # a crash before the checks: the points of the checks that never ran are still known
    nb.cells[2].source = "def double(x):\n    raise NotImplementedError()"
    report = selfcheck.check_notebook(write(tmp_path, nb, "ex_crash.ipynb"))
    part = report.parts[0]
    assert part.partial and part.visible_points == 1.0 and part.within_reach == 1.0


def test_an_error_caught_by_a_section_is_reported_and_later_groups_still_run(tmp_path):
    nb = exercise("def double(x):\n    raise NotImplementedError()", "def mean(x):\n    return float(np.mean(x))")
    nb.cells[3].source = (
        'with checks.section("t.double"):\n'
        '    checks.check_close("t.double_values", double(np.array([1.0])), np.array([2.0]), points=1)\n'
        'with checks.section("t.other"):\n'
        '    checks.check_equal("t.independent", 2 + 2, 4, points=1)')
    report = selfcheck.check_notebook(write(tmp_path, nb))
    text = selfcheck.format_report(report)
    assert "ERROR    section 't.double' stopped: NotImplementedError" in text, text
    assert "pass     t.independent  (1 point)" in text and "t.double_values" in text
    assert report.parts[0].visible_earned == 1.0
