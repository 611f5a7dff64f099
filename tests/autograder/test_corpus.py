"""The adversarial corpus, graded in one batch (--jobs 2): each case gets its honest score,
the right status, one row each, and nothing leaks out of the sandbox."""

from __future__ import annotations

import csv
import socket
import sqlite3
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent / "corpus"))

from catalogue import CASES, write_case  # noqa: E402
from conftest import TEST_LIMITS, clone_course, requires_bwrap  # noqa: E402

pytestmark = [pytest.mark.slow, requires_bwrap()]


class Listener:
    """A TCP server on the host's loopback that counts connections (there must be none)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.hits += 1
                conn.close()
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def corpus(released, release_nb, tmp_path_factory):
    from autograder.batch import grade_assignment

    course = clone_course(released, tmp_path_factory.mktemp("corpus") / "course")
    subs = course.root / "submitted"
    listener = Listener()
    ref = course.reference("fx_relu")
    ctx = {"port": listener.port, "source_nb": str(course.source("fx_relu") / "fx_relu.ipynb"),
           "gradebook": str(course.gradebook), "reference": str(ref),
           "reference_records": str(ref / "fx_relu" / "records"),
           "other_submission": str(subs / "honest_correct" / "fx_relu" / "fx_relu.ipynb"),
           "pwned": str(course.root / "PWNED")}
    for case in CASES:
        write_case(case, release_nb, ctx, subs)
    (subs / "no_notebook" / "fx_relu").mkdir(parents=True)
    try:
        results = grade_assignment(course, "fx_relu", jobs=2, limits=TEST_LIMITS, progress=False,
                                   log=lambda *a: None)
    finally:
        listener.close()
    return course, {r["student"]: r for r in results}, listener


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_outcome(corpus, case):
    _, results, _ = corpus
    r = results[case.name]
    detail = f"{case.name}: {r['score']} {r['status']} {r['flags']}"
    if case.exact:
        assert r["score"] == case.score, detail
    else:
        assert r["score"] <= case.score, detail
    assert r["status"] in case.statuses, detail
    if case.flag:
        assert any(case.flag in f for f in r["flags"]), detail
    assert r["sandbox"] in ("bwrap", "none")


def test_batch_survives_with_one_row_each(corpus):
    course, results, _ = corpus
    names = {c.name for c in CASES} | {"no_notebook"}
    assert set(results) == names
    assert results["no_notebook"]["status"] == "invalid notebook"
    with open(course.grades_csv("fx_relu"), newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["student"] for r in rows) == sorted(names)
    assert {"student", "assignment", "score", "max_score", "status", "flags"} <= set(rows[0])


def test_nothing_leaked(corpus):
    course, results, listener = corpus
    assert listener.hits == 0, "a sandboxed notebook reached the host's network"
    assert not (course.root / "PWNED").exists()
    db = sqlite3.connect(course.gradebook)
    assert db.execute("SELECT COUNT(*) FROM grade WHERE manual_score IS NOT NULL").fetchone()[0] == 0
    auto = dict(db.execute(
        "SELECT student.id, SUM(grade.auto_score) FROM grade "
        "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
        "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id "
        "JOIN student ON submitted_assignment.student_id = student.id GROUP BY student.id").fetchall())
    assert {s: r["score"] for s, r in results.items()} == {s: float(v or 0) for s, v in auto.items()}
