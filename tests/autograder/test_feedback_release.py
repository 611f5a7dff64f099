"""Feedback release for every way a submission arrives, with nbgrader's own exchange.

The `lab1` course is released to a real nbgrader exchange (in the test's folder); `ada` and
`bob` fetch it and submit with nbgrader's student commands. `ada` comes in with
`autograder collect`, `bob` with `nbgrader collect`, `cy` as a plain copy into submitted/ (no
submission_secret.txt). Feedback is released with nbgrader's `release_feedback` and with
`autograder feedback --release`, and the students fetch it with `nbgrader fetch_feedback`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from conftest import LAB, TEST_LIMITS  # noqa: E402

pytestmark = pytest.mark.slow


def _run(args, cwd: Path, home: Path | None = None) -> str:
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
               OPENBLAS_NUM_THREADS="1")
    if home is not None:
        env["HOME"] = str(home)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (args, proc.stdout[-1500:], proc.stderr[-1500:])
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def exchange_course(tmp_path_factory):
    from autograder.batch import grade_assignment
    from autograder.collect import collect
    from autograder.course import Course
    from autograder.release import release

    tmp = tmp_path_factory.mktemp("exchange")
    exchange = tmp / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    course = Course.locate(tmp / "course")
    release(course, "lab1", source_dir=LAB / "source", limits=TEST_LIMITS, determinism=False,
            log=lambda *a: None)
    (course.root / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.course_id = 'lab'\nc.Exchange.root = {str(exchange)!r}\n")
    _run(["release_assignment", "lab1"], course.root)
    students = {}
    for student in ("ada", "bob"):
        work, home = tmp / f"work-{student}", tmp / f"home-{student}"
        work.mkdir()
        (work / "nbgrader_config.py").write_text(f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n")
        _run(["fetch_assignment", "lab1", "--course", "lab"], work, home)
        shutil.copy(LAB / "submitted" / student / "lab1" / "lab1.ipynb", work / "lab1" / "lab1.ipynb")
        _run(["submit", "lab1", "--course", "lab", f"--student={student}"], work, home)
        students[student] = (work, home)
    _run(["collect", "lab1", "--student=bob"], course.root)               # nbgrader's own collect
    report = collect(course, "lab1", exchange / "lab", log=lambda *a: None)   # ours: imports ada
    assert [line.split(":")[0] for line in report.imported] == ["ada"]
    shutil.copytree(LAB / "submitted" / "cy", course.submitted / "cy")       # a plain copy
    assert not (course.submitted / "cy" / "lab1" / "submission_secret.txt").exists()
    results = grade_assignment(course, "lab1", limits=TEST_LIMITS, jobs=2, progress=False, log=lambda *a: None)
    assert {r["student"]: r["score"] for r in results} == {"ada": 6.0, "bob": 2.0, "cy": 6.0}
    return course, exchange, students


def _secret(course, student: str) -> str:
    return (course.feedback(student, "lab1") / "submission_secret.txt").read_text().strip()


def _released(exchange: Path) -> set[str]:
    return {p.name for p in (exchange / "lab" / "feedback").glob("*.html")}


def test_nbgrader_release_feedback_and_fetch_feedback(exchange_course):
    from nbgrader.utils import notebook_hash

    from autograder.feedback import write_feedback

    course, exchange, students = exchange_course
    write_feedback(course, "lab1", log=lambda *a: None)
    _run(["release_feedback", "lab1"], course.root)                     # stock nbgrader, unchanged
    released = _released(exchange)
    for student in ("ada", "bob", "cy"):
        page = f"{notebook_hash(secret=_secret(course, student), notebook_id='lab1')}.html"
        assert page in released, student
        assert (exchange / "lab" / "feedback" / page).read_bytes() == \
            (course.feedback(student, "lab1") / "lab1.html").read_bytes()
    inbound = {p.name.split("+")[0]: (p / "submission_secret.txt").read_text().strip()
               for p in (exchange / "lab" / "inbound").iterdir()}
    assert _secret(course, "ada") == inbound["ada"] and _secret(course, "bob") == inbound["bob"]
    for student, (work, home) in students.items():                     # the students' own command
        _run(["fetch_feedback", "lab1", "--course", "lab", f"--student={student}"], work, home)
        pages = [p.read_bytes() for p in (work / "lab1" / "feedback").glob("*/lab1.html")]
        assert (course.feedback(student, "lab1") / "lab1.html").read_bytes() in pages, student


def test_autograder_feedback_release(exchange_course, capsys):
    from autograder.cli import main

    course, exchange, _ = exchange_course
    shutil.rmtree(exchange / "lab" / "feedback", ignore_errors=True)
    assert main(["--course", str(course.root), "feedback", "lab1", "--release"]) == 0
    out = capsys.readouterr().out
    assert "nbgrader release_feedback put" in out
    assert len(_released(exchange)) >= 3
    secret = _secret(course, "cy")           # made once for the plain copy, kept on the next run
    assert main(["--course", str(course.root), "feedback", "lab1"]) == 0
    assert _secret(course, "cy") == secret


def test_release_without_a_course_id_says_what_to_give(exchange_course, tmp_path, capsys):
    from autograder.cli import main

    course = exchange_course[0]
    clone = tmp_path / "course"
    shutil.copytree(course.root, clone, symlinks=True)
    (clone / "nbgrader_config.py").write_text("c = get_config()\n")
    missing = tmp_path / "no-exchange"
    assert main(["--course", str(clone), "feedback", "lab1", "--release", "--exchange", str(missing)]) == 2
    assert f"--exchange {missing} is not a folder" in capsys.readouterr().err
    missing.mkdir()
    assert main(["--course", str(clone), "feedback", "lab1", "--release", "--exchange", str(missing)]) == 2
    assert "--course-id" in capsys.readouterr().err
