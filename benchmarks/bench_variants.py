"""Benchmark: `autograder release ASSIGNMENT --variants roster.csv` for a large roster (issue 27).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_variants.py
        [--assignment ex01_forward] [--n 500] [--jobs 2] [--rounds 1] [--scheduler tcp://...]

Each round releases the assignment into a fresh temporary course for a roster of `--n`
students (ids s0000, s0001, ...): nbgrader's student version and the default reference first,
then one reference run per student in the sandbox (`--jobs` local sandboxes, or the Dask
workers of `--scheduler`), the checks of every variant against the default's structure, and one
notebook per student. It prints the wall time of the whole command, of the reference runs (read
from the release's own log line), and of a second release into the same course, which finds
every variant in the cache. The median over rounds is reported. The target of issue 27 is under
10 minutes for 500 variants on 2 cores. Results go to benchmarks/results/bench_variants.json (not
committed). Run by hand, never by tests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")


def one_round(assignment: str, n: int, jobs: int, scheduler: str | None) -> dict:
    from autograder import variants
    from autograder.course import Course

    with tempfile.TemporaryDirectory(prefix="bench-variants-") as tmp:
        roster = Path(tmp) / "roster.csv"
        roster.write_text("id\n" + "".join(f"s{i:04d}\n" for i in range(n)))
        course = Course.locate(Path(tmp) / "course")
        lines: list[str] = []
        start = time.perf_counter()
        table = variants.release_variants(course, assignment, roster, jobs=jobs, scheduler=scheduler,
                                          log=lines.append)
        total = time.perf_counter() - start
        runs = next((float(m.group(1)) for line in lines
                     if (m := re.search(r"reference run\(s\) in ([0-9.]+) s", line))), float("nan"))
        written = sum(1 for _ in (course.root / "variants").glob(f"*/{assignment}/*.ipynb"))
        assert written == n, f"{written} student notebooks written, expected {n}"
        assert len({e["seed"] for e in table["students"].values()}) == n
        start = time.perf_counter()
        again: list[str] = []
        variants.release_variants(course, assignment, roster, jobs=jobs, scheduler=scheduler,
                                  log=again.append)
        cached = time.perf_counter() - start
        assert any(f"0 reference run(s) to do, {n} cached" in line for line in again), again
        return {"total_s": total, "reference_runs_s": runs, "cached_release_s": cached,
                "dependent_checks": sum(len(v) for v in table["dependent"].values())}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="ex01_forward")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--scheduler", default=None)
    args = parser.parse_args(argv)
    rounds = [one_round(args.assignment, args.n, args.jobs, args.scheduler) for _ in range(args.rounds)]
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    where = f"Dask at {args.scheduler}" if args.scheduler else f"{args.jobs} local sandbox(es)"
    print(f"\n{args.assignment}: {args.n} variants, {where}, {os.cpu_count()} core(s), "
          f"median of {len(rounds)} round(s)")
    print(f"  whole release (nbgrader + default reference + {args.n} variant runs + notebooks): "
          f"{med['total_s']:.1f} s ({med['total_s'] / 60:.2f} min; target < 10 min)")
    print(f"  the {args.n} reference runs alone: {med['reference_runs_s']:.1f} s "
          f"({med['reference_runs_s'] / args.n * 1000:.0f} ms per variant)")
    print(f"  release again, every variant cached: {med['cached_release_s']:.1f} s")
    print(f"  parameter-dependent checks: {med['dependent_checks']:.0f}")
    out = REPO / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_variants.json").write_text(json.dumps(
        {"args": vars(args), "rounds": rounds, "median": med, "cores": os.cpu_count(),
         "ok": med["total_s"] < 600}, indent=1))
    return 0 if med["total_s"] < 600 else 1


if __name__ == "__main__":
    sys.exit(main())
