"""Issue 11: the integrity corpus graded in one batch, plus the pieces that close each class
(the capped result channel, safe names, safe CSV cells, rejected trees, grader errors)."""

from __future__ import annotations

import csv
import io
import os
import struct
import sys
import tempfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent / "corpus"))

from conftest import TEST_LIMITS, answers, clone_course, fill, requires_bwrap, write_submission  # noqa: E402
from integrity import NAME_CASES, NB_CASES, TREE_CASES, write_all  # noqa: E402

from autograder import channel  # noqa: E402
from autograder.gradebook import FORMULA_START, safe_cell  # noqa: E402
from autograder.submissions import Rejected, display_name, find_submissions, student_key  # noqa: E402

ALL = NB_CASES + TREE_CASES + NAME_CASES


def _du(root: Path) -> int:
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + dirnames:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                pass
    return total


@pytest.fixture(scope="module")
def graded(released, release_nb, tmp_path_factory):
    from autograder.batch import grade_assignment
    from autograder.feedback import write_feedback

    course = clone_course(released, tmp_path_factory.mktemp("integrity") / "course")
    subs = course.submitted
    write_submission(subs, "honest_correct", "fx_relu", fill(release_nb, answers(True, True)))
    ref = course.reference("fx_relu")
    ctx = {"source_nb": str(course.source("fx_relu") / "fx_relu.ipynb"),
           "reference_records": str(ref / "fx_relu" / "records"),
           "other_submission": str(subs / "honest_correct" / "fx_relu" / "fx_relu.ipynb"),
           "course_root": str(course.root)}
    made = write_all(ALL, subs, release_nb, ctx)
    (subs / "README.txt").write_text("a plain file next to the student folders is not a student")
    before = _du(course.root)
    tmp_before = set(os.listdir(tempfile.gettempdir()))
    results = grade_assignment(course, "fx_relu", jobs=2, limits=TEST_LIMITS, progress=False,
                               log=lambda *a: None)
    grown = _du(course.root) - before
    leftovers = {n for n in set(os.listdir(tempfile.gettempdir())) - tmp_before
                 if n.startswith("autograder-weak-")}
    write_feedback(course, "fx_relu", log=lambda *a: None)
    return course, made, {r["student"]: r for r in results}, grown, leftovers


def _check(graded, case):
    _, made, results, _, _ = graded
    if case not in made:
        pytest.skip(f"{case.name!r} needs {case.needs}, which this machine does not permit")
    r = results[case.name]
    detail = f"{display_name(case.name)[:80]}: {r['score']} {r['status']} {r['flags']}"
    if case.exact:
        assert r["score"] == case.score, detail
    else:
        assert r["score"] <= case.score, detail
    assert r["status"] in case.statuses, detail
    if case.flag:
        assert any(case.flag in f for f in r["flags"]), detail


@requires_bwrap()
@pytest.mark.slow
@pytest.mark.parametrize("case", NB_CASES, ids=[c.name for c in NB_CASES])
def test_channel_output_and_path_attacks(graded, case):
    _check(graded, case)


@requires_bwrap()
@pytest.mark.slow
@pytest.mark.parametrize("case", TREE_CASES, ids=[c.name for c in TREE_CASES])
def test_shaped_trees_are_rejected_unread(graded, case):
    _check(graded, case)
    course, _, results, _, _ = graded
    r = results[case.name]
    assert r["score"] == 0 and r["status"] == "rejected"
    assert all(c["score"] == 0 for nb in r["notebooks"].values() for c in nb.values())
    page = (course.feedback(student_key(case.name), "fx_relu") / "feedback.html").read_text()
    assert "rejected" in page and case.flag in page


@requires_bwrap()
@pytest.mark.slow
@pytest.mark.parametrize("case", NAME_CASES, ids=[repr(c.name)[:40] for c in NAME_CASES])
def test_any_name_gets_its_row(graded, case):
    _check(graded, case)


@requires_bwrap()
@pytest.mark.slow
def test_one_safe_row_each_in_csv_and_export(graded):
    from autograder.gradebook import export_gradebook

    course, made, results, _, _ = graded
    names = {c.name for c in made} | {"honest_correct"}
    assert set(results) == names
    keys = [r["student_id"] for r in results.values()]
    assert len(set(keys)) == len(keys)
    for key in keys:
        assert len(key.encode()) <= 80 and "/" not in key and not key.startswith(".")
        assert key.isprintable() and safe_cell(key) == key
    with open(course.grades_csv("fx_relu"), newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(names)
    assert sorted(r["student"] for r in rows) == sorted(safe_cell(n) for n in names)
    out = course.root / "export.csv"
    n = export_gradebook(course, out)
    with open(out, newline="", encoding="utf-8") as fh:
        exported = list(csv.DictReader(fh))
    assert n == len(exported) == len(names)
    assert sorted(r["student"] for r in exported) == sorted(safe_cell(n) for n in names)
    for row in rows + exported:
        for value in row.values():
            assert value[:1] not in FORMULA_START, row
            assert value.isprintable() or value == "", row
    scores = {r["student_id"]: float(r["score"]) for r in exported}
    assert scores == {r["student_id"]: r["score"] for r in results.values()}


@requires_bwrap()
@pytest.mark.slow
def test_host_disk_and_tmp_untouched(graded):
    _, _, results, grown, leftovers = graded
    # results, gradebook and feedback of ~40 students: far below one flood
    assert grown < 16 * 2**20, f"the course folder grew by {grown / 2**20:.1f} MiB"
    assert not leftovers
    assert results["out_big_records"]["score"] == 2          # the flood was cut at the cap


# ------------------------------------------------------------------ the channel, unit by unit
def _npy(a) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(a), allow_pickle=True)
    return buf.getvalue()


def _meta(name, **kw) -> bytes:
    import json

    meta = {"schema": 1, "name": name, "occurrence": 0, "kind": "close", "params": {},
            "hint": None, "cell": "t", "error": None, "value": "value.npy", "expected": None}
    meta.update(kw)
    return json.dumps(meta).encode()


def test_channel_parses_records_and_refuses_garbage():
    good = channel.encode_record(_meta("a.x"), _npy([1.0, 2.0]))
    pickled = channel.encode_record(_meta("a.p"), _npy(np.array([object()], dtype=object)))
    path_named = channel.encode_record(_meta("a.q", value="/etc/passwd"), _npy([1.0]))
    missing = channel.encode_record(_meta("a.m"))
    dup = channel.encode_record(_meta("a.d"), _npy([1.0])) * 2
    log = channel.encode_log({"cells": [{"index": 0, "status": "ok"}], "end": "completed"})
    got = channel.parse(good + pickled + path_named + missing + dup + log + b"\x00\x01")
    assert set(got.records) == {("a.x", 0), ("a.d", 0)}
    np.testing.assert_array_equal(got.records[("a.x", 0)].value, [1.0, 2.0])
    assert got.records[("a.d", 0)].error and "twice" in got.records[("a.d", 0)].error
    assert got.log["end"] == "completed"
    assert len(got.problems) == 5, got.problems            # 3 unreadable, 1 duplicate, 1 truncated
    # an unknown frame kind stops the parse; a frame longer than the stream is truncated
    got = channel.parse(struct.pack(">cI", b"X", 1) + b"z" + good)
    assert not got.records and "unknown frame" in got.problems[0]
    got = channel.parse(struct.pack(">cI", b"R", 2**31) + good)
    assert not got.records and "inside a frame" in got.problems[0]


def test_channel_survives_random_bytes():
    rng = np.random.default_rng(0)
    good = channel.encode_record(_meta("a.x"), _npy([1.0]))
    for _ in range(300):
        blob = bytearray(good * 3)
        for i in rng.integers(0, len(blob), size=rng.integers(1, 8)):
            blob[i] = int(rng.integers(0, 256))
        channel.parse(bytes(blob[: rng.integers(0, len(blob) + 1)]))   # never raises


def test_channel_caps_records():
    from nnkit import checks

    frames = b"".join(channel.encode_record(_meta(f"a.{i}"), _npy([float(i)]))
                      for i in range(checks.MAX_RECORDS + 5))
    got = channel.parse(frames)
    assert len(got.records) == checks.MAX_RECORDS
    assert any("more than" in p for p in got.problems)


def test_stream_reader_keeps_at_most_the_cap():
    import threading

    r, w = os.pipe()
    calls = []
    reader = channel.StreamReader(r, cap=100_000, on_overflow=lambda: calls.append(1))
    reader.start()
    failed = []

    def write():
        try:
            for _ in range(20):
                os.write(w, b"z" * 65536)
        except BrokenPipeError:        # the reader stopped at the cap: the writer's run ends
            failed.append(True)
        finally:
            os.close(w)

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(10)
    reader.join(10)
    assert len(reader.data) == 100_000 and reader.overflow and calls == [1]
    assert failed == [True]


@pytest.mark.slow
@pytest.mark.parametrize("weak", [False, True], ids=["bwrap", "weak"])
def test_run_is_stopped_at_the_channel_cap(weak):
    from autograder.sandbox import bwrap_status, run_notebook

    if not weak and not bwrap_status()[0]:
        pytest.skip(f"needs a working bubblewrap sandbox: {bwrap_status()[1]}")
    import dataclasses

    limits = dataclasses.replace(TEST_LIMITS, channel_bytes=3 * 2**20)
    code = ("import numpy as np\nfrom nnkit import checks\n"
            "for i in range(8):\n    checks.check_close('a.%d' % i, np.zeros(2**17))\n")  # 1 MiB each
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code),
                                         nbformat.v4.new_code_cell("x = 1")])
    run = run_notebook(nbformat.writes(nb).encode(), None, limits, force_weak=weak)
    assert run.channel_bytes <= 3 * 2**20
    assert any("more than 3 MiB of results" in n for n in run.notes), run.notes
    assert 0 < len(run.records) < 8


@pytest.mark.slow
def test_weak_sandbox_stops_a_file_flood():
    import dataclasses

    from autograder.sandbox import run_notebook

    limits = dataclasses.replace(TEST_LIMITS, tmp_bytes=8 * 2**20)
    code = ("import os, time\nfor i in range(64):\n    open('f%d' % i, 'wb').write(b'x' * 2**20)\n"
            "time.sleep(30)\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    before = {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("autograder-weak-")}
    run = run_notebook(nbformat.writes(nb).encode(), None, limits, force_weak=True)
    assert any("more than 8 MiB of files" in n for n in run.notes), run.notes
    assert run.wall_seconds < 25
    after = {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("autograder-weak-")}
    assert after == before


# ------------------------------------------------------------------ names, cells, trees
@pytest.mark.parametrize("prefix", list(FORMULA_START) + [" =", " \t+"])
def test_safe_cell_neutralises_formulas(prefix):
    cell = safe_cell(prefix + "SUM(A1:A9)")
    assert cell == "'" + display_name(prefix + "SUM(A1:A9)")
    assert cell.isprintable()
    assert safe_cell("amy") == "amy" and safe_cell(3.5) == "3.5"
    assert safe_cell("a\nb") == "a\\nb"


def test_student_keys_are_safe_and_distinct():
    names = ["amy", "a" * 300, "line\nbreak", "=1+1", "é", "e\u0301", os.fsdecode(b"\xff"),
             "~" + "0" * 32, ".hidden", "-x", " amy", "amy "]
    keys = [student_key(n) for n in names]
    assert len(set(keys)) == len(keys)
    assert keys[0] == "amy"
    for key in keys:
        assert len(key.encode()) <= 80 and key.isprintable() and not key.startswith((".", "-"))
        assert "/" not in key and safe_cell(key) == key
    assert display_name("a\nb\x1b") == "a\\nb\\x1b"
    assert display_name(os.fsdecode(b"x\xff")) == "x\\xff"


def test_read_refuses_a_link_swapped_in_after_discovery(tmp_path, release_nb):
    path = write_submission(tmp_path, "amy", "fx_relu", fill(release_nb, answers(True, True)))
    (sub,) = find_submissions(tmp_path, "fx_relu")
    assert sub.rejected is None and sub.files == ["fx_relu.ipynb"]
    assert sub.read("fx_relu.ipynb") == path.read_bytes()
    secret = tmp_path / "secret.ipynb"
    secret.write_text("{}")
    path.unlink()
    os.symlink(secret, path)
    with pytest.raises(Rejected, match="cannot be opened"):
        sub.read("fx_relu.ipynb")
    path.unlink()
    os.link(secret, path)
    with pytest.raises(Rejected, match="hard link"):
        sub.read("fx_relu.ipynb")
    folder = tmp_path / "amy" / "fx_relu"
    os.rename(folder, tmp_path / "moved")
    os.symlink(tmp_path / "moved", folder)
    with pytest.raises(Rejected, match="not a plain folder"):
        sub.read("fx_relu.ipynb")


@requires_bwrap()
@pytest.mark.slow
def test_a_grader_failure_costs_one_row_and_a_nonzero_exit(released, release_nb, tmp_path, monkeypatch):
    import autograder.batch as batch
    from autograder.cli import main

    course = clone_course(released, tmp_path / "course")
    for student, (relu, mean) in {"amy": (True, True), "bob": (True, False), "cy": (False, True)}.items():
        write_submission(course.submitted, student, "fx_relu", fill(release_nb, answers(relu, mean)))
    real = batch.grade_submission

    def flaky(sub, *a, **k):
        if sub.student == "bob":
            raise RuntimeError("disk on fire\nsecond line")
        return real(sub, *a, **k)

    monkeypatch.setattr(batch, "grade_submission", flaky)
    args = ["--course", str(course.root), "grade", "fx_relu", "--no-progress", "--jobs", "2",
            "--cell-timeout", "12", "--notebook-timeout", "75"]
    assert main(args) == 1
    with open(course.grades_csv("fx_relu"), newline="") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {"amy", "bob", "cy"}
    assert rows["bob"]["status"] == "grader error" and "disk on fire\\nsecond line" in rows["bob"]["flags"]
    assert float(rows["amy"]["score"]) == 5 and float(rows["cy"]["score"]) == 3
    monkeypatch.setattr(batch, "grade_submission", real)
    assert main(args) == 0                                    # the failed row is graded again
    with open(course.grades_csv("fx_relu"), newline="") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert rows["bob"]["status"] == "graded" and float(rows["bob"]["score"]) == 2
