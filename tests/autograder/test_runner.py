"""Issue 16: the in-process runner (IPython's InteractiveShell) and the pre-loaded parents.

The fast runners must behave like the Jupyter-kernel runner (statuses, time limits) and keep
submissions apart exactly as a fresh sandbox does: nothing one submission leaves behind (files,
processes, module state) is visible to the next one graded by the same worker."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from conftest import TEST_LIMITS, requires_bwrap  # noqa: E402

from autograder.sandbox import run_notebook  # noqa: E402

pytestmark = [pytest.mark.slow]

MIXED = ["import numpy as np\nfrom nnkit import checks\nchecks.check_close('r.a', np.arange(3.0), np.arange(3.0))",
         "raise ValueError('boom')", "import sys\nsys.exit(0)", "1/0", "input('name? ')",
         "def f(:\n    pass", "raise KeyboardInterrupt", "checks.check_equal('r.b', 3)",
         "from IPython.display import display, HTML\ndisplay(HTML('<b>x</b>'))\nprint('y' * 10**6)"]


def _nb(cells):
    return nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])).encode()


def _statuses(run):
    return [(c["index"], c["status"], c.get("ename")) for c in run.log["cells"]], run.log["end"]


@requires_bwrap()
@pytest.mark.parametrize("runner", ["shell", "fork"])
def test_fast_runners_match_the_kernel_runner(runner):
    kernel = run_notebook(_nb(MIXED), None, dataclasses.replace(TEST_LIMITS, runner="nbclient"))
    fast = run_notebook(_nb(MIXED), None, dataclasses.replace(TEST_LIMITS, runner=runner))
    assert _statuses(fast) == _statuses(kernel)
    assert set(fast.records) == set(kernel.records) == {("r.a", 0), ("r.b", 0)}


@requires_bwrap()
@pytest.mark.parametrize("runner", ["shell", "fork"])
@pytest.mark.parametrize("loop", ["while True:\n    pass\n",
                                  "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n"
                                  "    except BaseException:\n        pass\n"])
def test_cell_time_limit(runner, loop):
    limits = dataclasses.replace(TEST_LIMITS, runner=runner, cell_timeout=2)
    run = run_notebook(_nb(["x = 1", loop, "y = 2"]), None, limits)
    assert run.log["end"] == "cell_timeout"
    assert [c["status"] for c in run.log["cells"]] == ["ok", "timeout"]


@requires_bwrap()
@pytest.mark.parametrize("runner", ["shell", "fork"])
def test_notebook_time_limit(runner):
    limits = dataclasses.replace(TEST_LIMITS, runner=runner, cell_timeout=3, notebook_timeout=5)
    run = run_notebook(_nb(["import time\ntime.sleep(2)"] * 6), None, limits)
    assert run.timed_out and run.wall_seconds < 20
    assert len(run.log["cells"]) < 6


LEAVE = '''
import os, numpy as np, nnkit
open("/tmp/left-behind", "w").write("x")
open(os.path.expanduser("~/left-behind"), "w").write("x")
np.LEFT_BEHIND = 1
nnkit.LEFT_BEHIND = 1
import sys
sys.modules["left_behind"] = sys
if os.fork() == 0:
    import time
    os.setsid()
    time.sleep(60)
    os._exit(0)
'''

FIND = '''
import os, numpy as np, nnkit, sys
from nnkit import checks
mine = {os.getpid(), os.getppid()}
others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in mine and int(p) != 1]
found = [os.path.exists("/tmp/left-behind"), os.path.exists(os.path.expanduser("~/left-behind")),
         hasattr(np, "LEFT_BEHIND"), hasattr(nnkit, "LEFT_BEHIND"), "left_behind" in sys.modules]
checks.check_equal("leak.found", np.array(found))
checks.check_equal("leak.procs", len(others))
'''


@requires_bwrap()
@pytest.mark.parametrize("runner", ["shell", "fork"])
def test_nothing_carries_over_between_submissions(runner):
    limits = dataclasses.replace(TEST_LIMITS, runner=runner)
    run_notebook(_nb([LEAVE]), None, limits, slot=0)
    run = run_notebook(_nb([FIND]), None, limits, slot=0)
    assert run.log["end"] == "completed", run.log
    assert not run.records[("leak.found", 0)].value.any()
    assert int(run.records[("leak.procs", 0)].value) == 0


@requires_bwrap()
def test_pre_loaded_parent_never_runs_student_code():
    """The student's process is neither the parent nor root, and holds no capability."""
    if os.geteuid() != 0:
        pytest.skip("the pre-loaded parents are used when the grader runs as root")
    code = ('import os\nfrom nnkit import checks\nst = open("/proc/self/status").read()\n'
            'cap = int(st.split("CapEff:")[1].split()[0], 16)\n'
            'checks.check_equal("p.ids", [os.getuid(), os.geteuid(), cap, os.getpid()])\n')
    run = run_notebook(_nb([code]), None, dataclasses.replace(TEST_LIMITS, runner="fork"))
    uid, euid, cap, pid = run.records[("p.ids", 0)].value.tolist()
    assert uid != 0 and euid != 0 and cap == 0
    assert pid != 1                       # PID 1 of the submission's namespace is the supervisor


def test_jobs_default_is_the_number_of_cores():
    from autograder.cli import build_parser

    assert build_parser().parse_args(["grade", "x"]).jobs == (os.cpu_count() or 1)
