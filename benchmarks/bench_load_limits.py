"""Benchmark: do time limits and verdicts hold when grading jobs outnumber the cores two to one?

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_load_limits.py [--rounds 3]
        [--cell-timeout 10] [--copies 2] [--save]

The batch is the `lab1` test course (tests/autograder/fixtures/lab_course) with, per copy, its
four submissions plus two made for this measurement: `slow` burns 2 s of CPU time inside an
answer cell (well under the cell limit on an idle core; twice as long in wall time when two
jobs share a core) and `loop` never ends its answer cell, so the cell limit must stop it.
Each round grades the whole batch (a fresh `grade --regrade` in this process, real sandbox)
with `--jobs` = the number of cores and then with twice that, alternating: A B A B.

Printed per setting (medians over rounds): seconds of the whole batch, seconds per normal
submission, the seconds after which the `loop` submission was stopped (against the cell limit),
and whether every row's status and score equal those of the first round at `--jobs` = cores.
Results go to benchmarks/results/bench_load_limits.json with --save. Run by hand, never by tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

LAB = REPO / "tests" / "autograder" / "fixtures" / "lab_course"
SLOW = ("import time\n_t0 = time.process_time()\nwhile time.process_time() - _t0 < 2.0:\n    pass\n")
LOOP = "while True:\n    pass\n"


def build(root: Path, copies: int, limits) -> "Course":
    import nbformat

    from autograder.course import Course
    from autograder.release import release

    course = Course.locate(root / "course")
    release(course, "lab1", source_dir=LAB / "source", limits=limits, determinism=False, log=lambda *a: None)
    for c in range(copies):
        for student in sorted(p.name for p in (LAB / "submitted").iterdir()):
            shutil.copytree(LAB / "submitted" / student, course.submitted / f"{student}{c}")
        for name, prefix in (("slow", SLOW), ("loop", LOOP)):
            src = LAB / "submitted" / "ada" / "lab1"
            dest = course.submitted / f"{name}{c}" / "lab1"
            shutil.copytree(src, dest)
            nb = nbformat.read(dest / "lab1.ipynb", as_version=4)
            cell = next(x for x in nb.cells if x.metadata.get("nbgrader", {}).get("grade_id") == "normalize")
            cell.source = prefix + cell.source
            nbformat.write(nb, dest / "lab1.ipynb")
    return course


def run(course, jobs: int, limits) -> dict:
    from autograder.batch import grade_assignment

    start = time.monotonic()
    results = grade_assignment(course, "lab1", jobs=jobs, limits=limits, regrade=True, progress=False,
                               log=lambda *a: None)
    total = time.monotonic() - start
    rows = {r["student"]: (r["status"], r["score"]) for r in results}
    normal = [r["seconds"] for r in results if not r["student"].startswith(("loop", "slow"))]
    loops = [r["seconds"] for r in results if r["student"].startswith("loop")]
    slows = [r["seconds"] for r in results if r["student"].startswith("slow")]
    return {"batch_s": total, "per_submission_s": statistics.median(normal), "loop_stopped_after_s": max(loops),
            "slow_s": max(slows), "rows": rows}


def main() -> int:
    from autograder.sandbox import Limits, bwrap_status

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--copies", type=int, default=2, help="copies of the six submissions")
    parser.add_argument("--cell-timeout", type=float, default=10.0)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    limits = Limits(cell_timeout=args.cell_timeout, notebook_timeout=8 * args.cell_timeout)
    ok, why = bwrap_status()
    print(f"sandbox: {'bwrap' if ok else 'WEAK (' + why + ')'}; cores: {cores}; cell limit {args.cell_timeout:g} s")
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        course = build(tmp, args.copies, limits)
        n = len(list(course.submitted.iterdir()))
        settings = {"jobs = cores": cores, "jobs = 2 x cores": 2 * cores}
        runs: dict[str, list[dict]] = {k: [] for k in settings}
        for r in range(args.rounds):
            for label, jobs in settings.items():
                runs[label].append(run(course, jobs, limits))
                print(f"round {r + 1} {label}: {runs[label][-1]['batch_s']:.1f} s", flush=True)
        baseline = runs["jobs = cores"][0]["rows"]
        expected = {s: v for s, v in baseline.items()}
        assert all(v[0] == "timeout" for s, v in expected.items() if s.startswith("loop")), expected
        summary = {}
        print(f"\n{n} submissions per batch, {args.rounds} round(s), medians:")
        print(f"{'setting':<18}{'batch s':>9}{'s/submission':>14}{'loop stopped s':>16}{'slow s':>8}  verdicts as at jobs = cores")
        for label, items in runs.items():
            same = all(item["rows"] == expected for item in items)
            row = {"jobs": settings[label],
                   "batch_s": statistics.median(i["batch_s"] for i in items),
                   "per_submission_s": statistics.median(i["per_submission_s"] for i in items),
                   "loop_stopped_after_s": statistics.median(i["loop_stopped_after_s"] for i in items),
                   "slow_s": statistics.median(i["slow_s"] for i in items),
                   "verdicts_identical": same}
            row["differences"] = sorted({f"{s}: {expected.get(s)} -> {v}" for item in items
                                         for s, v in item["rows"].items() if expected.get(s) != v})
            summary[label] = row
            print(f"{label:<18}{row['batch_s']:>9.1f}{row['per_submission_s']:>14.2f}"
                  f"{row['loop_stopped_after_s']:>16.1f}{row['slow_s']:>8.1f}  {'yes' if same else 'NO'}")
            for line in row["differences"]:
                print(f"    {line}")
        print("verdicts at jobs = cores: " + ", ".join(f"{s} {v[0]} {v[1]:g}" for s, v in sorted(expected.items())))
        if args.save:
            out = REPO / "benchmarks" / "results" / "bench_load_limits.json"
            out.parent.mkdir(exist_ok=True)
            out.write_text(json.dumps({"cores": cores, "cell_timeout": args.cell_timeout, "submissions": n,
                                       "rounds": args.rounds, "settings": summary}, indent=1))
            print(f"saved {out}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
