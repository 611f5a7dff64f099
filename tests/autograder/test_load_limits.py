"""The cell time limit on a loaded machine: it counts the CPU time of a cell that other jobs kept
off the cores (so its verdict is the one an idle machine gives), never extends a cell that
sleeps, and never goes past WALL_BACKSTOP times the limit. benchmarks/bench_load_limits.py
measures the whole batch at twice as many jobs as cores."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "autograder"))

from conftest import TEST_LIMITS  # noqa: E402

import shell_runner  # noqa: E402


def _child(code: str) -> subprocess.Popen:
    """A Python process running `code`, returned once it has started (it says so first)."""
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdout.write('go\\n'); sys.stdout.flush()\n"
                             + code], stdout=subprocess.PIPE)
    assert proc.stdout.readline() == b"go\n"
    return proc


def test_a_sleeping_cell_gets_no_more_time():
    proc = _child("import time; time.sleep(30)")
    try:
        time.sleep(0.3)
        cpu, _ = shell_runner._cpu_state(proc.pid)
        assert cpu is not None
        assert shell_runner.starved_time(proc.pid, cpu, time.monotonic() - 1.0, 1.0) == 0.0
    finally:
        proc.kill()
        proc.wait()


def test_a_runnable_cell_with_cpu_time_left_gets_it_within_the_backstop():
    proc = _child("while True:\n    pass\n")
    try:
        time.sleep(0.3)
        cpu, state = shell_runner._cpu_state(proc.pid)
        assert state == "R"
        now = time.monotonic()
        # as if the cell had started 1 s ago and had had no CPU since: 5 s of CPU are left
        more = shell_runner.starved_time(proc.pid, cpu, now - 1.0, 5.0)
        assert 4.0 < more <= 5.0
        # ... but the wall-clock backstop (3 x 5 s) is nearly used up: only what is left of it
        assert 0.0 < shell_runner.starved_time(proc.pid, cpu, now - 14.5, 5.0) <= 0.5
        assert shell_runner.starved_time(proc.pid, cpu, now - 16.0, 5.0) == 0.0
        # a cell that has had its CPU seconds is out of time
        assert shell_runner.starved_time(proc.pid, cpu - 5.0, now - 6.0, 5.0) == 0.0
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
@pytest.mark.parametrize("weak", [True, False], ids=["weak", "bwrap"])
@pytest.mark.parametrize("code", ["while True:\n    pass\n", "import time\ntime.sleep(60)\n"])
def test_endless_cells_still_time_out(tmp_path, code, weak):
    from autograder.sandbox import bwrap_status, run_notebook

    if not weak and not bwrap_status()[0]:
        pytest.skip(f"bubblewrap unavailable: {bwrap_status()[1]}")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    limits = dataclasses.replace(TEST_LIMITS, cell_timeout=2.0, notebook_timeout=30.0)
    start = time.monotonic()
    run_notebook(nbformat.writes(nb).encode(), tmp_path / "out", limits, force_weak=weak)
    took = time.monotonic() - start
    log = json.loads((tmp_path / "out" / "run.json").read_text())
    assert log["end"] == "cell_timeout" and log["cells"][-1]["status"] == "timeout", log
    assert took < 2.0 * shell_runner.WALL_BACKSTOP + 15, took
