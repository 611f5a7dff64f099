"""Shared fixtures of the autograder tests: a released fixture course and submission makers."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
REPO = HERE.parent.parent

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# nbgrader runs `alembic` by name
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

from autograder.sandbox import Limits, bwrap_status  # noqa: E402

# short limits keep the suite fast; generous enough for a loaded 2-core CI machine
TEST_LIMITS = Limits(cell_timeout=12, notebook_timeout=75, memory_bytes=2 * 2**30,
                     cpu_seconds=90, processes=96)

CORRECT = {"relu_answer": "def relu(x):\n    return np.maximum(x, 0.0)\n",
           "mean_answer": "def batch_mean(x):\n    return x.mean(axis=0)\n"}
WRONG = {"relu_answer": "def relu(x):\n    return np.abs(x)\n",
         "mean_answer": "def batch_mean(x):\n    return x.mean(axis=1)\n"}


def requires_bwrap():
    ok, why = bwrap_status()
    return pytest.mark.skipif(not ok, reason=f"needs a working bubblewrap sandbox: {why}")


def answers(relu: bool, mean: bool, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Honest answers (right or wrong per part) with optional code prepended per cell."""
    out = {"relu_answer": (CORRECT if relu else WRONG)["relu_answer"],
           "mean_answer": (CORRECT if mean else WRONG)["mean_answer"]}
    for gid, code in (extra or {}).items():
        out[gid] = code + "\n" + out[gid]
    return out


def fill(release_nb, answer_sources: dict[str, str]):
    from autograder.demo import make_submission

    return make_submission(release_nb, answer_sources)


def write_submission(root: Path, student: str, assignment: str, nb) -> Path:
    folder = root / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="session")
def released(tmp_path_factory):
    """A course with the fixture assignment fx_relu released (reference answers recorded)."""
    from autograder.course import Course
    from autograder.release import release

    course = Course.locate(tmp_path_factory.mktemp("course"))
    release(course, "fx_relu", source_dir=FIXTURES, limits=TEST_LIMITS, determinism=False,
            log=lambda *a: None)
    return course


@pytest.fixture(scope="session")
def release_nb(released):
    return nbformat.read(released.release("fx_relu") / "fx_relu.ipynb", as_version=4)


def clone_course(course, dest: Path):
    from autograder.course import Course

    shutil.copytree(course.root, dest, symlinks=True)
    return Course.locate(dest)


LAB = FIXTURES / "lab_course"


@pytest.fixture(scope="session")
def lab_graded(tmp_path_factory):
    """The `lab1` course (fixtures/lab_course) released and its four submissions graded."""
    from autograder.batch import grade_assignment
    from autograder.course import Course
    from autograder.release import release

    course = Course.locate(tmp_path_factory.mktemp("lab") / "course")
    logs: list[str] = []
    manifest = release(course, "lab1", source_dir=LAB / "source", limits=TEST_LIMITS,
                       determinism=False, log=logs.append)
    shutil.copytree(LAB / "submitted", course.submitted)
    results = grade_assignment(course, "lab1", limits=TEST_LIMITS, jobs=2, progress=False,
                               log=logs.append)
    return course, manifest, logs, {r["student"]: r for r in results}
