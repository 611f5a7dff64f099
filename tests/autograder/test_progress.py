"""Progress of a grading run: done/total, submissions per minute and the time left (tqdm),
locally and on a Dask cluster; `--no-progress` keeps the log free of it."""

from __future__ import annotations

import io
import re
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from conftest import TEST_LIMITS, clone_course  # noqa: E402

BAR = re.compile(r"grading: (\d+)/(\d+) [^\r\n]*?\[\S+ elapsed, (\S+) left, ([0-9.?]+) submissions/min\]")


def _bars(text: str) -> list[tuple[int, int, str, str]]:
    return [(int(m[1]), int(m[2]), m[3], m[4]) for m in BAR.finditer(text)]


def test_the_bar_estimates_the_rate_and_the_time_left():
    from autograder.batch import _progress

    out = io.StringIO()
    bar = _progress(10, 4, True, file=out)          # 4 found graded already: not in the rate
    for _ in range(3):
        time.sleep(0.6)
        bar.update(1)
        bar.refresh()
    bar.close()
    done, total, left, rate = _bars(out.getvalue())[-1]
    assert (done, total) == (7, 10)
    assert 60 <= float(rate) <= 110                 # 3 submissions in ~1.8 s, about 100 a minute
    minutes, seconds = map(int, left.split(":"))
    assert 1 <= minutes * 60 + seconds <= 5         # 3 left at that rate: about 2 s
    assert _progress(10, 0, False) is None


@pytest.mark.slow
def test_local_run_shows_progress_and_no_progress_is_clean(lab_graded, tmp_path, capfd):
    from autograder.cli import main

    course = clone_course(lab_graded[0], tmp_path / "course")
    args = ["--course", str(course.root), "grade", "lab1", "--regrade", "--jobs", "2",
            "--cell-timeout", "12", "--notebook-timeout", "75"]
    assert main(args) == 0
    err = capfd.readouterr().err
    bars = _bars(err)
    assert bars and bars[-1][:2] == (4, 4), err[-500:]
    assert any(rate != "?" for *_, rate in bars)
    assert main(args + ["--no-progress"]) == 0
    captured = capfd.readouterr()
    assert "submissions/min" not in captured.err + captured.out and "\r" not in captured.err + captured.out


@pytest.mark.slow
def test_dask_run_shows_progress(lab_graded, tmp_path, capfd):
    pytest.importorskip("distributed", reason="Dask is not installed: pip install 'nnkit[cluster]'")
    from autograder.sandbox import bwrap_status

    if not bwrap_status()[0]:
        pytest.skip(f"cluster workers need bubblewrap: {bwrap_status()[1]}")
    from autograder.batch import grade_assignment
    from autograder.distributed import ProcessCluster

    course = clone_course(lab_graded[0], tmp_path / "course")
    (tmp_path / "dask").mkdir()
    cluster = ProcessCluster(tmp_path / "dask")
    try:
        cluster.add_worker("w1")
        cluster.wait_for(1)
        results = grade_assignment(course, "lab1", limits=TEST_LIMITS, regrade=True, progress=True,
                                   scheduler=cluster.address, log=lambda *a: None)
    finally:
        cluster.stop()
    assert {r["student"]: r["score"] for r in results} == {"ada": 6.0, "bob": 2.0, "cy": 6.0, "dee": 4.0}
    bars = _bars(capfd.readouterr().err)
    assert bars and bars[-1][:2] == (4, 4)
    assert any(rate != "?" for *_, rate in bars)
