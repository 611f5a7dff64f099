"""Grading on a real Dask cluster started by the test: a scheduler and workers on 127.0.0.1.

The cluster's rows must equal a local run's, row for row, also when a worker is killed in the
middle of the batch; a worker that cannot start bubblewrap gets no task. Every process the test
starts is stopped by its PID at the end.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from conftest import TEST_LIMITS, answers, clone_course, fill, requires_bwrap, write_submission  # noqa: E402

distributed = pytest.importorskip("distributed", reason="Dask is not installed: pip install 'nnkit[cluster]'")

pytestmark = [pytest.mark.slow, requires_bwrap()]

BIN = Path(sys.executable).parent
VOLATILE = {"seconds", "worker"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    from autograder.distributed import ProcessCluster

    c = ProcessCluster(tmp_path_factory.mktemp("dask"))
    try:
        c.add_worker("w1")
        c.add_worker("w2")
        # a third worker whose PATH has no bwrap: it must never receive a task
        c.add_worker("nobwrap", env={"PATH": str(BIN)})
        c.wait_for(3)
        yield c
    finally:
        c.stop()
        assert all(p.poll() is not None for p in c.procs.values())


def _batch(released, tmp: Path, n: int = 20) -> Path:
    """n submissions: right, half right, wrong, empty, and two that break their cell."""
    import nbformat

    release_nb = nbformat.read(released.release("fx_relu") / "fx_relu.ipynb", as_version=4)
    kinds = [answers(True, True), answers(True, False), answers(False, False),
             {"relu_answer": "raise ValueError('no')\n", "mean_answer": ""},
             answers(True, True, {"mean_answer": "import os\nos._exit(3)\n"}),
             {}]
    root = tmp / "submitted"
    for i in range(n):
        write_submission(root, f"s{i:02d}", "fx_relu", fill(release_nb, kinds[i % len(kinds)]))
    return root


def _rows(results: list[dict]) -> dict[str, dict]:
    return {r["student"]: {k: v for k, v in r.items() if k not in VOLATILE} for r in results}


@pytest.fixture(scope="module")
def local_rows(released, tmp_path_factory):
    from autograder.batch import grade_assignment

    tmp = tmp_path_factory.mktemp("local")
    subs = _batch(released, tmp)
    course = clone_course(released, tmp / "course")
    results = grade_assignment(course, "fx_relu", submissions=subs, jobs=2, limits=TEST_LIMITS,
                               progress=False, log=lambda *a: None)
    return subs, _rows(results)


def test_cluster_rows_equal_local_rows(cluster, released, local_rows, tmp_path):
    from autograder.batch import grade_assignment

    subs, expected = local_rows
    lines = []
    course = clone_course(released, tmp_path / "course")
    results = grade_assignment(course, "fx_relu", submissions=subs, limits=TEST_LIMITS,
                               progress=False, scheduler=cluster.address, log=lines.append)
    assert len(results) == len(expected) == 20
    assert _rows(results) == expected
    assert len({r["score"] for r in results}) >= 3   # the batch really differs
    assert not any("nobwrap" in r["worker"] for r in results)
    assert any("cannot sandbox" in line for line in lines), lines
    summary = [line for line in lines if "tasks per worker" in line]
    assert summary and "retries" in summary[0]


def test_killed_worker_still_gives_identical_rows(cluster, released, local_rows, tmp_path):
    from autograder.batch import grade_assignment

    subs, expected = local_rows
    course = clone_course(released, tmp_path / "course")
    results_dir = course.results("fx_relu")
    killed = threading.Event()

    def killer():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if results_dir.is_dir() and len(list(results_dir.glob("*.json"))) >= 3:
                cluster.kill("w1")
                killed.set()
                return
            time.sleep(0.05)

    thread = threading.Thread(target=killer)
    thread.start()
    lines = []
    results = grade_assignment(course, "fx_relu", submissions=subs, limits=TEST_LIMITS,
                               progress=False, scheduler=cluster.address, log=lines.append)
    thread.join()
    assert killed.is_set(), "the batch ended before a worker could be killed"
    assert len(results) == 20 and len(list(results_dir.glob("*.json"))) == 20
    assert _rows(results) == expected
    # resuming after the kill grades nothing again and changes nothing
    again = grade_assignment(course, "fx_relu", submissions=subs, limits=TEST_LIMITS,
                             progress=False, scheduler=cluster.address, log=lines.append)
    assert _rows(again) == expected
    assert any("20 already graded, 0 to grade" in line for line in lines)


def test_worker_without_bwrap_refuses_the_task(released, monkeypatch, tmp_path):
    from autograder import distributed as dist
    from autograder import sandbox

    monkeypatch.setattr(sandbox, "bwrap_status", lambda: (False, "bwrap not found (test)"))
    bundle = dist.pack_reference(released, "fx_relu")
    job = {"student": "x", "assignment": "fx_relu", "files": {}}
    with pytest.raises(dist.SandboxUnavailable, match="never uses the weak sandbox"):
        dist.grade_task(bundle, job, TEST_LIMITS)


def test_weak_sandbox_flag_is_refused_with_a_scheduler(released, tmp_path):
    from autograder.batch import grade_assignment
    from autograder.course import CourseError

    with pytest.raises(CourseError, match="cannot be used with --scheduler"):
        grade_assignment(released, "fx_relu", submissions=tmp_path, force_weak=True,
                         scheduler="tcp://127.0.0.1:1", log=lambda *a: None)


def test_unreachable_scheduler_is_a_clear_error(released, tmp_path):
    from autograder.distributed import ClusterRun
    from autograder.course import CourseError

    from autograder.distributed import _free_port

    with pytest.raises(CourseError, match="cannot reach the Dask scheduler"):
        ClusterRun(f"tcp://127.0.0.1:{_free_port()}", connect_timeout=2)


def test_task_carries_no_path_of_the_course(released, tmp_path):
    """The reference bundle holds bytes by relative name; nothing names the course's folder."""
    from autograder.distributed import pack_reference

    bundle = pack_reference(released, "fx_relu")
    assert bundle["files"] and all(not name.startswith("/") and ".." not in name
                                   for name in bundle["files"])
    blob = b"".join(bundle["files"].values())
    assert str(released.root).encode() not in blob
