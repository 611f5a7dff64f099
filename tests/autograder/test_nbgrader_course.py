"""nbgrader's documentation course `ps1`, unchanged: release, grade, manual grading, feedback, export.

The scores must equal stock `nbgrader autograde`'s, cell by cell (the comparison runs stock
nbgrader on a copy of the course). Manual cells reach nbgrader's formgrader (checked through
nbgrader's API and in a browser against a Jupyter server started here on 127.0.0.1).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from conftest import FIXTURES, TEST_LIMITS, clone_course, requires_bwrap  # noqa: E402

PS1 = FIXTURES / "nbgrader_ps1"
MANUAL = {"problem1": {"sum_of_squares_equation", "sum_of_squares_application", "cell-938593c4a215c6cc"},
          "problem2": {"part-a", "part-b"}}
STOCK_TOTALS = {"hacker": 3.0, "bitdiddle": 1.5}      # nbgrader's user guide, grades.csv
pytestmark = pytest.mark.slow


def _env():
    return dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
                OPENBLAS_NUM_THREADS="1")


@pytest.fixture(scope="module")
def ps1(tmp_path_factory):
    from autograder.batch import grade_assignment
    from autograder.course import Course
    from autograder.release import release

    course = Course.locate(tmp_path_factory.mktemp("ps1") / "course")
    logs: list[str] = []
    manifest = release(course, "ps1", source_dir=PS1 / "source", limits=TEST_LIMITS,
                       determinism=False, log=logs.append)
    shutil.copytree(PS1 / "submitted", course.submitted)
    results = grade_assignment(course, "ps1", limits=TEST_LIMITS, progress=False, log=lambda *a: None)
    return course, manifest, logs, {r["student"]: r for r in results}


def _grades(db_url: str) -> dict:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(db_url) as gb:
        for student in ("hacker", "bitdiddle"):
            sub = gb.find_submission("ps1", student)
            for nb in sub.notebooks:
                for grade in nb.grades:
                    out[(student, nb.name, grade.name)] = (grade.auto_score, grade.needs_manual_grade)
                for comment in nb.comments:
                    out[(student, nb.name, comment.name, "comment")] = comment.auto_comment
    return out


def test_release_accepts_manual_cells_and_explains_plain_asserts(ps1):
    course, manifest, logs, _ = ps1
    text = "\n".join(logs)
    for stem, cells in MANUAL.items():
        assert set(manifest["notebooks"][stem]["manual"]) == cells
        for gid in cells:
            assert f"NEEDS MANUAL GRADING {gid}" in text
    plain = manifest["notebooks"]["problem1"]["plain"]
    assert {g for g, p in plain.items() if p["mode"] == "hardened"} == {"correct_squares", "correct_sum_of_squares"}
    assert "IN-PROCESS squares_invalid_input" in text and "weaker" not in text.lower() or "can fake" in text
    assert "2 of 4 plain-assert test cells hardened" in text
    assert not manifest["notebooks"]["problem2"]["points"]        # graded only by hand
    assert (course.release("ps1") / "jupyter.png").is_file()


def test_scores_equal_stock_nbgrader(ps1, tmp_path):
    course, _, _, results = ps1
    assert {s: r["score"] for s, r in results.items()} == STOCK_TOTALS
    stock = tmp_path / "stock"
    shutil.copytree(PS1 / "source", stock / "source")
    shutil.copytree(PS1 / "submitted", stock / "submitted")
    for cmd in (["generate_assignment", "ps1"], ["autograde", "ps1", "--create"]):
        proc = subprocess.run([sys.executable, "-m", "nbgrader", *cmd, f"--CourseDirectory.root={stock}"],
                              cwd=stock, env=_env(), capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
    ours, theirs = _grades(course.db_url), _grades(f"sqlite:///{stock / 'gradebook.db'}")
    assert ours == theirs
    assert sum(1 for k in theirs if len(k) == 3) == 18


def test_nbgrader_api_lists_the_manual_cells(ps1):
    from nbgrader.api import Gradebook

    course = ps1[0]
    with Gradebook(course.db_url) as gb:
        for student in ("hacker", "bitdiddle"):
            sub = gb.find_submission("ps1", student)
            assert sub.needs_manual_grade
            listed = {(nb.name, g.name) for nb in sub.notebooks for g in nb.grades if g.needs_manual_grade}
            expected = {(stem, gid) for stem, ids in MANUAL.items() for gid in ids}
            if student == "bitdiddle":   # left the code answer as released: nbgrader's automatic zero
                expected.discard(("problem1", "sum_of_squares_application"))
            assert listed == expected
    autograded = course.root / "autograded" / "hacker" / "ps1"
    assert {p.name for p in autograded.iterdir()} >= {"problem1.ipynb", "problem2.ipynb", "timestamp.txt",
                                                      "jupyter.png"}


def test_manual_scores_and_comments_reach_feedback_and_export(ps1, tmp_path):
    from nbgrader.api import Gradebook

    from autograder.feedback import write_feedback
    from autograder.gradebook import export_gradebook

    course = clone_course(ps1[0], tmp_path / "course")
    with Gradebook(course.db_url) as gb:
        grade = gb.find_grade("part-a", "problem2", "ps1", "hacker")
        grade.manual_score = 1.0
        gb.find_comment("part-a", "problem2", "ps1", "hacker").manual_comment = "Right: two base cases."
        gb.find_grade("correct_squares", "problem1", "ps1", "hacker").extra_credit = 0.5
        gb.db.commit()
    write_feedback(course, "ps1", log=lambda *a: None)
    folder = course.feedback("hacker", "ps1")
    ours = (folder / "feedback.html").read_text()
    assert "Right: two base cases." in ours and "by hand 1" in ours and "not graded yet" in ours
    assert "Right: two base cases." in (folder / "problem2.html").read_text()   # nbgrader's own page
    assert (folder / "problem1.html").is_file()
    out = tmp_path / "export.csv"
    export_gradebook(course, out)
    rows = {r["student"]: r for r in csv.DictReader(out.open())}
    assert float(rows["hacker"]["manual_score"]) == 1.0 and float(rows["hacker"]["auto_score"]) == 3.0
    assert float(rows["hacker"]["extra_credit"]) == 0.5 and float(rows["hacker"]["score"]) == 4.5
    assert rows["bitdiddle"]["manual_score"] == "" and float(rows["bitdiddle"]["auto_score"]) == 1.5
    assert rows["hacker"]["timestamp"].startswith("2015-02-01 17:28:58")


def test_late_work_penalty_and_newest_submission(ps1, tmp_path):
    from autograder.batch import grade_assignment
    from autograder.gradebook import export_gradebook
    from autograder.late import set_due_date

    course = clone_course(ps1[0], tmp_path / "course")
    (course.root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.LateSubmissionPlugin.penalty_method = 'zero'\n")
    set_due_date(course, "ps1", "2015-02-02 00:00:00 UTC")      # hacker on time, bitdiddle late
    (course.submitted / "hacker" / "ps1" / "timestamp.txt").write_text("2099-01-01 00:00:00 UTC\n")
    results = {r["student"]: r for r in grade_assignment(course, "ps1", limits=TEST_LIMITS, progress=False,
                                                         log=lambda *a: None)}
    hacker, bitdiddle = results["hacker"], results["bitdiddle"]
    # a timestamp in the future is implausible: graded as submitted at the time of grading
    years = (dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.datetime(2015, 2, 2)).days / 365.25
    assert hacker["seconds_late"] > (years - 0.1) * 365.25 * 86400 and hacker["late_penalty"] == 3.0
    assert bitdiddle["seconds_late"] == pytest.approx(22 * 3600 + 58 * 60 + 23.948203)
    assert bitdiddle["late_penalty"] == 1.5
    assert any("replacing the one of 2015-02-01" in f for f in hacker["flags"])
    assert any("2099-01-01 00:00:00 UTC, in the future" in f and "time of grading" in f
               for f in hacker["flags"])
    rows = {r["student"]: r for r in csv.DictReader(course.grades_csv("ps1").open())}
    assert rows["hacker"]["timestamp"].startswith(str(dt.date.today().year)) and \
        float(rows["hacker"]["late_penalty"]) == 3
    out = tmp_path / "export.csv"
    export_gradebook(course, out)
    rows = {r["student"]: r for r in csv.DictReader(out.open())}
    assert float(rows["hacker"]["late_penalty"]) == 3.0 and float(rows["hacker"]["score"]) == 0.0


def test_timestamps_read_link_free_and_safe_student_ids(ps1, tmp_path):
    """timestamp.txt is never followed through a link nor blocked on a FIFO; an unsafe folder
    name reaches nbgrader's gradebook and autograded/ folder only as its safe key."""
    from nbgrader.api import Gradebook

    from autograder.batch import grade_assignment
    from autograder.submissions import student_key

    course = clone_course(ps1[0], tmp_path / "course")
    outside = tmp_path / "outside.txt"
    outside.write_text("2030-01-01 00:00:00 UTC\n")
    stamp = course.submitted / "hacker" / "ps1" / "timestamp.txt"
    stamp.unlink()
    stamp.symlink_to(outside)
    odd = "=cmd|' -C calc'!A0 x"
    shutil.copytree(course.submitted / "bitdiddle", course.submitted / odd, symlinks=True)
    fifo = course.submitted / "bitdiddle" / "ps1" / "timestamp.txt"
    fifo.unlink()
    os.mkfifo(fifo)
    (course.submitted / odd / "ps1" / "timestamp.txt").unlink()
    os.link(outside, course.submitted / odd / "ps1" / "timestamp.txt")   # a hard link
    results = {r["student"]: r for r in grade_assignment(course, "ps1", limits=TEST_LIMITS, progress=False,
                                                         log=lambda *a: None)}
    for name in ("hacker", "bitdiddle", odd):
        assert name in results, sorted(results)
        result = results[name]
        assert not str(result["timestamp"]).startswith("2030"), (name, result["timestamp"])
        assert any(f.startswith("timestamp.txt is unreadable") for f in result["flags"]), result["flags"]
    key = student_key(odd)
    assert key != odd and results[odd]["student_id"] == key
    assert (course.root / "autograded" / key / "ps1" / "problem1.ipynb").is_file()
    assert not (course.root / "autograded" / odd).exists()
    with Gradebook(course.db_url) as gb:
        ids = {s.id for s in gb.students}
        assert key in ids and odd not in ids
        assert gb.find_submission("ps1", key).score == pytest.approx(results[odd]["total_score"])


# Issue 23: ways to make late work unreadable so that it would pass as on time. Each is a
# copy of bitdiddle's late submission (22:58 after a midnight due date) with timestamp.txt
# replaced; every one must stay late (penalty "zero": score 0) and carry a flag.
LATE = "2015-02-02 22:58:23.948203 UTC"
BAD_TIMESTAMPS = {
    "bom": ("\ufeff" + LATE + "\n").encode(),
    "epoch": b"1422917903\n",
    "epoch_float": b"1422917903.948203\n",
    "huge": (LATE + "\n" + " " * 5000 + "\n").encode(),
    "two_lines": (LATE + "\n2015-02-01 00:00:00 UTC\n").encode(),
    "not_utf8": b"\xff\xfe" + LATE.encode(),
    "garbage": b"yesterday at noon\n",
    "nul_byte": (LATE[:10] + "\x00" + LATE[10:]).encode(),
    "future": b"2099-01-01 00:00:00 UTC\n",
    "symlink": None, "fifo": None, "folder": None,
}


def test_untrustworthy_timestamps_never_make_late_work_on_time(ps1, tmp_path):
    from autograder.batch import grade_assignment
    from autograder.late import set_due_date

    course = clone_course(ps1[0], tmp_path / "course")
    (course.root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.LateSubmissionPlugin.penalty_method = 'zero'\n")
    set_due_date(course, "ps1", "2015-02-02 00:00:00 UTC")
    on_time = tmp_path / "on_time.txt"
    on_time.write_text("2015-02-01 00:00:00 UTC\n")
    for kind, raw in BAD_TIMESTAMPS.items():
        folder = course.submitted / f"late_{kind}" / "ps1"
        shutil.copytree(course.submitted / "bitdiddle" / "ps1", folder)
        stamp = folder / "timestamp.txt"
        stamp.unlink()
        if kind == "symlink":
            stamp.symlink_to(on_time)
        elif kind == "fifo":
            os.mkfifo(stamp)
        elif kind == "folder":
            stamp.mkdir()
        else:
            stamp.write_bytes(raw)
    blank = course.submitted / "late_blank_first_line" / "ps1"     # nbgrader reads this one
    shutil.copytree(course.submitted / "bitdiddle" / "ps1", blank)
    (blank / "timestamp.txt").write_text("\n" + LATE + "\n")
    results = {r["student"]: r for r in grade_assignment(course, "ps1", limits=TEST_LIMITS,
                                                         progress=False, log=lambda *a: None)}
    for kind in BAD_TIMESTAMPS:
        r = results[f"late_{kind}"]
        assert r["seconds_late"] > 0 and r["late_penalty"] == 1.5 and r["total_score"] == 0, (kind, r)
        assert any("timestamp.txt" in f and "time of grading" in f for f in r["flags"]), (kind, r["flags"])
    r = results["late_blank_first_line"]
    assert r["seconds_late"] == pytest.approx(22 * 3600 + 58 * 60 + 23.948203), r
    assert results["hacker"]["late_penalty"] == 0


def test_timestamp_before_the_release_is_implausible(ps1, tmp_path):
    """Released here (the fixture's release) with a due date after it: a timestamp before the
    release cannot be true, so the work counts as submitted at the time of grading."""
    from autograder.batch import grade_assignment
    from autograder.late import set_due_date

    course = clone_course(ps1[0], tmp_path / "course")
    (course.root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.LateSubmissionPlugin.penalty_method = 'zero'\n")
    when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30)
    set_due_date(course, "ps1", when.strftime("%Y-%m-%d %H:%M:%S UTC"))
    results = {r["student"]: r for r in grade_assignment(course, "ps1", limits=TEST_LIMITS,
                                                         progress=False, log=lambda *a: None)}
    for name in ("hacker", "bitdiddle"):      # their 2015 timestamps predate the release
        r = results[name]
        assert any("before the assignment was released" in f for f in r["flags"]), r["flags"]
        assert str(r["timestamp"]).startswith(str(dt.date.today().year)), r["timestamp"]
        assert r["late_penalty"] == 0          # due in 30 minutes: graded now, so on time


@pytest.mark.parametrize("mode", ["fork", "shell", "nbclient", "weak"])
def test_data_files_are_visible_read_only(tmp_path, mode):
    """Every runner mode shows the data files read-only and never names the release folder."""
    import dataclasses

    from autograder.sandbox import bwrap_status, run_notebook

    if mode != "weak" and not bwrap_status()[0]:
        pytest.skip(f"bubblewrap unavailable: {bwrap_status()[1]}")
    if mode == "fork" and os.geteuid() != 0:
        pytest.skip("the fork-parent runner is used only when the grader runs as root")
    data = tmp_path / "release_folder_xyz"
    (data / "sub").mkdir(parents=True)
    (data / "values.csv").write_text("1,2,3\n")
    (data / "sub" / "more.txt").write_text("more\n")
    (data / "answers.ipynb").write_text("{}")
    (data / "link.csv").symlink_to(data / "values.csv")
    read_only = mode != "weak" or os.geteuid() != 0   # root ignores file modes without bwrap
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("assert open('values.csv').read() == '1,2,3\\n'\n"
                                  "assert open('sub/more.txt').read() == 'more\\n'"),
        nbformat.v4.new_code_cell("import os\nassert not os.path.exists('answers.ipynb')\n"
                                  "assert not os.path.exists('link.csv')"),
        nbformat.v4.new_code_cell("open('values.csv', 'w').write('x')"),
        nbformat.v4.new_code_cell("open('sub/more.txt', 'a').write('x')"),
        nbformat.v4.new_code_cell("open('scratch.txt', 'w').write('fine')"),
        nbformat.v4.new_code_cell("import glob\n"
                                  "texts = [open(p, errors='replace').read() for p in\n"
                                  "         ['/proc/self/mountinfo', '/proc/self/mounts']]\n"
                                  "assert not any('release_folder_xyz' in t for t in texts)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    limits = dataclasses.replace(TEST_LIMITS, runner="fork" if mode == "weak" else mode)
    run_notebook(nbformat.writes(nb).encode(), tmp_path / "out", limits, data_dir=data,
                 force_weak=mode == "weak")
    cells = json.loads((tmp_path / "out" / "run.json").read_text())["cells"]
    writes = ["error", "error"] if read_only else ["ok", "ok"]
    assert [c["status"] for c in cells] == ["ok", "ok", *writes, "ok", "ok"], cells
    assert (data / "values.csv").read_text() == "1,2,3\n"
    assert (data / "sub" / "more.txt").read_text() == "more\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_formgrader_shows_the_submission(ps1, browser, tmp_path):
    course = clone_course(ps1[0], tmp_path / "course")
    (course.root / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course.root)!r}\n"
        f"c.Exchange.root = {str(tmp_path / 'exchange')!r}\n")
    port, token = _free_port(), "formgrader-test"
    cmd = [sys.executable, "-m", "jupyter", "server", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--ServerApp.root_dir={course.root}", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    env = dict(_env(), JUPYTER_CONFIG_DIR=str(tmp_path / "jcfg"), JUPYTER_RUNTIME_DIR=str(tmp_path / "jrt"))
    server = subprocess.Popen(cmd, cwd=course.root, env=env, stdout=subprocess.DEVNULL,
                              stderr=open(tmp_path / "server.log", "w"))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail("jupyter server exited: " + (tmp_path / "server.log").read_text()[-2000:])
                time.sleep(0.5)
        context = browser.new_context(extra_http_headers={"Authorization": f"token {token}"})
        page = context.new_page()
        page.goto(f"{base}/formgrader/manage_submissions/ps1")
        page.wait_for_selector("text=hacker", timeout=60_000)
        page.wait_for_selector("text=bitdiddle", timeout=60_000)
        with urllib.request.urlopen(f"{base}/formgrader/api/submitted_notebooks/ps1/problem1?token={token}") as r:
            notebooks = {n["student"]: n for n in json.load(r)}
        assert notebooks["hacker"]["needs_manual_grade"]
        page.goto(f"{base}/formgrader/submissions/{notebooks['hacker']['id']}/")
        page.wait_for_selector("text=hypotenuse", timeout=60_000)    # hacker's Part D answer
        text = page.inner_text("body")
        assert "Student's answer" in text and "pyramidal_number" not in text   # not the solution
        assert "autograder: passed" in text and "Part E" in text
        # a score box per graded cell: 4 test cells + 2 answers graded by hand + the task
        assert page.locator("input.score").count() == 7
        context.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_stock_nbgrader_never_passes_our_hidden_checks(tmp_path):
    """Our own ex03 under stock `nbgrader autograde`: no cell with hidden checks earns a point."""
    from autograder.course import REPO
    from autograder.rebuild import grade_id, is_test

    stock = tmp_path / "stock"
    (stock / "source" / "ex03_backprop").mkdir(parents=True)
    source = REPO / "exercises" / "ex03_backprop" / "ex03_backprop.ipynb"
    shutil.copy(source, stock / "source" / "ex03_backprop")
    sub = stock / "submitted" / "amy" / "ex03_backprop"
    sub.mkdir(parents=True)
    shutil.copy(source, sub)               # the solution itself: even right answers cannot pass
    for cmd in (["generate_assignment", "ex03_backprop"], ["autograde", "ex03_backprop", "--create"]):
        proc = subprocess.run([sys.executable, "-m", "nbgrader", *cmd, f"--CourseDirectory.root={stock}"],
                              cwd=stock, env=_env(), capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
    from nbgrader.api import Gradebook

    nb = nbformat.read(source, as_version=4)
    hidden = {grade_id(c) for c in nb.cells if is_test(c) and ".hidden." in c.source}
    assert hidden
    with Gradebook(f"sqlite:///{stock / 'gradebook.db'}") as gb:
        scores = {g.name: g.auto_score for g in gb.find_submission_notebook(
            "ex03_backprop", "ex03_backprop", "amy").grades}
    assert all(scores[g] == 0 for g in hidden), scores
    autograded = nbformat.read(stock / "autograded" / "amy" / "ex03_backprop" / "ex03_backprop.ipynb", 4)
    assert "autograder grade" in json.dumps([c.get("outputs", []) for c in autograded.cells])


def test_in_process_cells_are_marked_in_results_and_feedback(ps1):
    """Issue 23: a test cell whose verdict stays in the student's process (ps1's two cells that
    expect an exception) says so in the result and in the student's feedback."""
    from autograder.feedback import render

    course, manifest, _, results = ps1
    in_process = {(stem, gid) for stem, info in manifest["notebooks"].items()
                  for gid, plan in info["plain"].items() if plan["mode"] == "in-process"}
    assert len(in_process) == 2
    for result in results.values():
        for stem, cells in result["notebooks"].items():
            for gid, cell in cells.items():
                assert cell.get("in_process", False) == ((stem, gid) in in_process), (stem, gid)
    assert render(results["hacker"]).count("an in-process test") == 2
