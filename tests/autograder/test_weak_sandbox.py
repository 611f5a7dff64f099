"""No silent weak sandbox (issue 23): without a working bubblewrap, `grade` refuses to run the
students' code unless --weak-sandbox is given; with it, every row carries the warning and the
command exits non-zero. A root grader's weak runs still drop to an unprivileged uid."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import TEST_LIMITS, CORRECT, clone_course, fill, write_submission  # noqa: E402

from autograder.course import CourseError  # noqa: E402


def _no_bwrap(monkeypatch):
    import autograder.batch
    import autograder.grading
    import autograder.sandbox

    broken = lambda: (False, "bwrap not found (install the Debian/Ubuntu package 'bubblewrap')")  # noqa: E731
    for module in (autograder.batch, autograder.grading, autograder.sandbox):
        monkeypatch.setattr(module, "bwrap_status", broken, raising=False)


def test_grade_refuses_without_bubblewrap(released, release_nb, tmp_path, monkeypatch):
    from autograder.batch import grade_assignment
    from autograder.cli import main

    course = clone_course(released, tmp_path / "course")
    write_submission(course.submitted, "alice", "fx_relu", fill(release_nb, CORRECT))
    _no_bwrap(monkeypatch)
    with pytest.raises(CourseError, match="--weak-sandbox"):
        grade_assignment(course, "fx_relu", limits=TEST_LIMITS, progress=False, log=lambda *a: None)
    assert not course.results("fx_relu").exists() or not any(course.results("fx_relu").iterdir())
    assert main(["--course", str(course.root), "grade", "fx_relu", "--no-progress"]) == 2


def test_weak_sandbox_is_flagged_in_every_row_and_exits_non_zero(released, release_nb, tmp_path,
                                                                 monkeypatch, capsys):
    from autograder.cli import main

    course = clone_course(released, tmp_path / "course")
    for student in ("alice", "bob"):
        write_submission(course.submitted, student, "fx_relu", fill(release_nb, CORRECT))
    _no_bwrap(monkeypatch)
    code = main(["--course", str(course.root), "grade", "fx_relu", "--weak-sandbox", "--no-progress",
                 "--cell-timeout", "12", "--notebook-timeout", "75"])
    assert code == 3
    assert "WEAK sandbox" in capsys.readouterr().err
    with open(course.grades_csv("fx_relu"), newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 and all("WEAK SANDBOX" in r["flags"] for r in rows), rows
    assert all(float(r["score"]) == 5.0 for r in rows)


@pytest.mark.skipif(os.geteuid() != 0, reason="only a root grader drops privileges itself")
def test_weak_child_setup_drops_root_to_the_sandbox_uid():
    import subprocess

    from autograder.sandbox import Limits, _child_setup, sandbox_uid

    uid = sandbox_uid(3)
    read_end, write_end = os.pipe()
    try:
        out = subprocess.run(["/usr/bin/id", "-u"], capture_output=True, text=True, pass_fds=(write_end,),
                             preexec_fn=_child_setup(Limits(), 64, write_end, None, uid), timeout=30)
    finally:
        os.close(read_end)
        os.close(write_end)
    assert out.stdout.strip() == str(uid), out


@pytest.mark.skipif(os.geteuid() != 0, reason="only a root grader drops privileges itself")
def test_weak_sandbox_never_runs_student_code_as_root_where_it_can_drop():
    """Where an unprivileged user can run this Python, the student's code runs as one; where it
    cannot (an interpreter under /root), the run says so in its notes."""
    from autograder.sandbox import HERE, Limits, _python_paths, _reachable_by_others, run_notebook

    code = "import os\nfrom nnkit import checks\nchecks.check_equal('uid', [os.getuid(), os.geteuid()], [0, 0])"
    nb = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])).encode()
    result = run_notebook(nb, None, Limits(runner="shell"), force_weak=True)
    values = [r.value for r in result.records.values() if r.name == "uid"]
    assert values, (result.log, result.stderr[-500:])
    if _reachable_by_others([sys.executable, *_python_paths(), str(HERE)]):
        assert 0 not in values[0].tolist(), values
    else:
        assert any("ran as root" in n for n in result.notes), result.notes
