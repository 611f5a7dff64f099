"""Benchmark: grading throughput of two checkouts of this repository, side by side.

    OPENBLAS_NUM_THREADS=1 python benchmarks/compare_checkouts.py --base ../before --head . \
        [--rounds 3] [--n 16] [--assignment ex03_backprop] [--jobs 2]

Each checkout needs its own `.venv` (`make env` there). Rounds alternate base, head, base, head,
...; each round runs that checkout's own `benchmarks/bench_autograder.py --rounds 1` (ours and
stock nbgrader on the same batch), so stock nbgrader is a control measured in every round. It
prints the median seconds per submission of each checkout's grader, their ratio, and the
ratio of each to stock nbgrader in the same rounds. Run by hand, never by tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
from pathlib import Path


def one_round(checkout: Path, args) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    cmd = [str(checkout / ".venv" / "bin" / "python"), str(checkout / "benchmarks" / "bench_autograder.py"),
           "--assignment", args.assignment, "--n", str(args.n), "--rounds", "1", "--jobs", str(args.jobs)]
    subprocess.run(cmd, cwd=checkout, env=env, check=True, capture_output=True, text=True)
    data = json.loads((checkout / "benchmarks" / "results" / "bench_autograder.json").read_text())
    return data["median_seconds_per_submission"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, type=Path)
    parser.add_argument("--head", required=True, type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--assignment", default="ex03_backprop")
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {"base": [], "head": []}
    for i in range(args.rounds):
        for name in ("base", "head") if i % 2 == 0 else ("head", "base"):
            runs[name].append(one_round(getattr(args, name).resolve(), args))
            print(f"round {i + 1} {name}: {runs[name][-1]}", flush=True)
    med = {name: statistics.median(r["ours"] for r in rs) for name, rs in runs.items()}
    stock = {name: statistics.median(r["ours"] / r["stock"] for r in rs) for name, rs in runs.items()}
    print(f"seconds per submission (median of {args.rounds}): base {med['base']:.3f}, head {med['head']:.3f}; "
          f"head / base = {med['head'] / med['base']:.3f}")
    print(f"ours / stock nbgrader in the same rounds (median): base {stock['base']:.3f}, head {stock['head']:.3f}")


if __name__ == "__main__":
    main()
