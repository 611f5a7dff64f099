"""Benchmark: seconds per submission and submissions per minute of `autograder grade`
(--jobs 1 and --jobs 2) next to stock `nbgrader autograde` on the same batch.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_autograder.py [--n 40]
        [--assignment fx_relu | ex02_activations] [--skip-nbgrader]

The batch mixes correct, partly wrong and untouched submissions. Results are printed and
saved to benchmarks/results/bench_autograder.json (not committed). Run by hand, never by the
test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

from autograder.batch import grade_assignment  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.demo import make_submission  # noqa: E402
from autograder.rebuild import grade_id, is_answer  # noqa: E402
from autograder.release import release  # noqa: E402
from autograder.sandbox import bwrap_status  # noqa: E402


def fabricate(course: Course, assignment: str, n: int) -> None:
    source = nbformat.read(course.source(assignment) / f"{assignment}.ipynb", as_version=4)
    rel = nbformat.read(course.release(assignment) / f"{assignment}.ipynb", as_version=4)
    solution = {grade_id(c): c.source for c in source.cells if is_answer(c)}
    first = next(iter(solution))
    kinds = [solution, {**solution, first: "raise ValueError('wrong')"}, {}]
    for i in range(n):
        folder = course.submitted / f"student{i:03d}" / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(make_submission(rel, kinds[i % 3]), folder / f"{assignment}.ipynb")


def run_ours(course: Course, assignment: str, jobs: int) -> float:
    shutil.rmtree(course.results(assignment), ignore_errors=True)
    start = time.monotonic()
    results = grade_assignment(course, assignment, jobs=jobs, progress=False, log=lambda *a: None)
    elapsed = time.monotonic() - start
    statuses = {r["status"] for r in results}
    print(f"  autograder --jobs {jobs}: {elapsed:.1f} s, statuses {sorted(statuses)}")
    return elapsed


def run_nbgrader(course: Course, assignment: str) -> float:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force",
                           f"--CourseDirectory.root={course.root}"], cwd=course.root,
                          capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        print("  nbgrader autograde reported errors (expected for wrong answers):",
              proc.stderr.strip().splitlines()[-1:] if proc.stderr else "")
    print(f"  nbgrader autograde: {elapsed:.1f} s")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--assignment", default="fx_relu")
    parser.add_argument("--skip-nbgrader", action="store_true")
    args = parser.parse_args()
    src = (REPO / "tests" / "autograder" / "fixtures" if args.assignment.startswith("fx_")
           else REPO / "exercises")
    work = Path(tempfile.mkdtemp(prefix="bench-autograder-"))
    try:
        course = Course.locate(work / "course")
        print(f"sandbox: {bwrap_status()[1]}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}")
        release(course, args.assignment, source_dir=src, determinism=False, log=lambda *a: None)
        fabricate(course, args.assignment, args.n)
        timings = {"autograder_jobs1": run_ours(course, args.assignment, 1),
                   "autograder_jobs2": run_ours(course, args.assignment, 2)}
        if not args.skip_nbgrader:
            timings["nbgrader_autograde"] = run_nbgrader(course, args.assignment)
        report = {"assignment": args.assignment, "submissions": args.n, "results": {
            name: {"seconds": round(t, 1), "seconds_per_submission": round(t / args.n, 2),
                   "submissions_per_minute": round(60 * args.n / t, 1)} for name, t in timings.items()}}
        print(f"\n{'runner':<22}{'s/submission':>14}{'submissions/min':>17}")
        for name, r in report["results"].items():
            print(f"{name:<22}{r['seconds_per_submission']:>14}{r['submissions_per_minute']:>17}")
        out = REPO / "benchmarks" / "results"
        out.mkdir(parents=True, exist_ok=True)
        (out / "bench_autograder.json").write_text(json.dumps(report, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
