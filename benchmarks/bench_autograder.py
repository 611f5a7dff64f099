"""Benchmark: `autograder grade` against stock `nbgrader autograde` on the same batch.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_autograder.py
        [--assignment ex03_backprop] [--n 24] [--rounds 2] [--jobs 2] [--runner shell] [--dask]

The batch (issue 16): a third correct answers, the mutations of the exercise's catalogue
(exercises/<a>/mutations.py) and untouched release notebooks. Each round runs ours (a fresh
`autograder grade --regrade` process, sandbox on) and then stock nbgrader (a fresh
`nbgrader autograde --force` process) on the same notebooks: A B A B. It prints seconds per
submission, the ratio of throughputs and the peak memory (summed resident memory of each
command's whole process tree, sampled every 50 ms), with the median over rounds. Results are
saved to benchmarks/results/bench_autograder.json (not committed). Run by hand, never by tests.

With --dask (issue 17) the comparison is ours against ours: the local pool (`--jobs`) against
the same batch sent with `--scheduler` to a Dask cluster of 1 and then 2 single-threaded workers
on this machine (`dask scheduler` and `dask worker` processes, autograder.distributed
.ProcessCluster), alternating local and cluster runs; stock nbgrader is not run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

from autograder.course import Course  # noqa: E402
from autograder.demo import make_submission  # noqa: E402
from autograder.rebuild import grade_id, is_answer  # noqa: E402
from autograder.release import release  # noqa: E402
from autograder.sandbox import bwrap_status  # noqa: E402


def _mutations(assignment: str) -> list[dict]:
    path = REPO / "exercises" / assignment / "mutations.py"
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location("mutations", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.MUTATIONS)


def fabricate(course: Course, assignment: str, n: int) -> dict[str, int]:
    source = nbformat.read(course.source(assignment) / f"{assignment}.ipynb", as_version=4)
    rel = nbformat.read(course.release(assignment) / f"{assignment}.ipynb", as_version=4)
    solution = {grade_id(c): c.source for c in source.cells if is_answer(c)}
    mutations = _mutations(assignment) or [
        {"cell": next(iter(solution)), "source": "raise ValueError('wrong')"}]
    n_right, n_untouched = n // 3, n // 4
    kinds = {"correct": 0, "mutation": 0, "untouched": 0}
    for i in range(n):
        if i < n_right:
            answers, kind = solution, "correct"
        elif i < n - n_untouched:
            m = mutations[(i - n_right) % len(mutations)]
            answers, kind = {**solution, m["cell"]: m["source"]}, "mutation"
        else:
            answers, kind = {}, "untouched"
        kinds[kind] += 1
        folder = course.submitted / f"student{i:03d}" / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(make_submission(rel, answers), folder / f"{assignment}.ipynb")
    return kinds


def timed(cmd: list[str], cwd: Path) -> tuple[float, int, str]:
    """Wall seconds, peak summed RSS (bytes) of the process tree, and stderr's tail."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0]
    stop = threading.Event()

    def sample():
        root = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                total = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
                peak[0] = max(peak[0], total)
            except psutil.Error:
                pass
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    elapsed = time.monotonic() - start
    stop.set()
    sampler.join()
    return elapsed, peak[0], (err or "").strip()[-300:] if proc.returncode else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="ex03_backprop")
    parser.add_argument("--n", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runner", default=None, help="AUTOGRADER_RUNNER for ours (shell, nbclient)")
    parser.add_argument("--dask", action="store_true",
                        help="local pool against a Dask cluster of 1 and 2 workers (no stock run)")
    args = parser.parse_args()
    src = (REPO / "tests" / "autograder" / "fixtures" if args.assignment.startswith("fx_")
           else REPO / "exercises")
    work = Path(tempfile.mkdtemp(prefix="bench-autograder-"))
    env_note = f"runner {args.runner or os.environ.get('AUTOGRADER_RUNNER', 'default')}"
    if args.runner:
        os.environ["AUTOGRADER_RUNNER"] = args.runner
    try:
        course = Course.locate(work / "course")
        print(f"sandbox: {bwrap_status()[1]}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}; {env_note}")
        release(course, args.assignment, source_dir=src, determinism=False, log=lambda *a: None)
        kinds = fabricate(course, args.assignment, args.n)
        print(f"{args.n} submissions of {args.assignment}: {kinds}")
        ours_cmd = [sys.executable, "-m", "autograder", "--course", str(course.root), "grade",
                    args.assignment, "--jobs", str(args.jobs), "--regrade", "--no-progress"]
        stock_cmd = [sys.executable, "-m", "nbgrader", "autograde", args.assignment, "--force",
                     f"--CourseDirectory.root={course.root}"]
        if args.dask:
            return dask_mode(args, ours_cmd, work)
        runs: dict[str, list] = {"ours": [], "stock": []}
        for r in range(args.rounds):
            # A B A B; ours runs from the repository (`-m autograder` from the course folder
            # would import the course's own autograder/ folder), stock from the course folder
            for name, cmd, cwd in (("ours", ours_cmd, REPO), ("stock", stock_cmd, course.root)):
                seconds, peak, err = timed(cmd, cwd)
                if err and name == "ours":
                    raise SystemExit(f"autograder grade failed: {err}")
                runs[name].append((seconds, peak))
                print(f"  round {r + 1} {name:<6} {seconds:7.1f} s  {seconds / args.n:6.3f} s/submission  "
                      f"peak {peak / 2**20:7.0f} MiB")
        med = {name: (statistics.median(s for s, _ in v) / args.n, statistics.median(p for _, p in v))
               for name, v in runs.items()}
        ratio = med["stock"][0] / med["ours"][0]
        print(f"\n{'runner':<28}{'s/submission':>14}{'peak MiB':>10}")
        print(f"{'ours --jobs ' + str(args.jobs):<28}{med['ours'][0]:>14.3f}{med['ours'][1] / 2**20:>10.0f}")
        print(f"{'stock nbgrader autograde':<28}{med['stock'][0]:>14.3f}{med['stock'][1] / 2**20:>10.0f}")
        print(f"throughput ratio (ours / stock): {ratio:.2f}x (medians of {args.rounds} alternating rounds)")
        out = REPO / "benchmarks" / "results"
        out.mkdir(parents=True, exist_ok=True)
        (out / "bench_autograder.json").write_text(json.dumps({
            "assignment": args.assignment, "submissions": args.n, "kinds": kinds, "jobs": args.jobs,
            "note": env_note, "rounds": runs, "median_seconds_per_submission":
            {k: v[0] for k, v in med.items()}, "median_peak_bytes": {k: v[1] for k, v in med.items()},
            "ratio": ratio}, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def dask_mode(args, ours_cmd: list[str], work: Path) -> None:
    """Local pool against 1 and 2 Dask workers on the same batch (alternating, medians)."""
    from autograder.distributed import ProcessCluster

    runs: dict[str, list] = {}
    for n_workers in (1, 2):
        logs = work / f"dask{n_workers}"
        logs.mkdir()
        with ProcessCluster(logs) as cluster:
            for i in range(n_workers):
                cluster.add_worker(f"w{i}")
            cluster.wait_for(n_workers)
            cluster_cmd = [*ours_cmd, "--scheduler", cluster.address]
            for r in range(args.rounds):
                for name, cmd in ((f"local --jobs {args.jobs}", ours_cmd),
                                  (f"dask, {n_workers} worker(s)", cluster_cmd)):
                    seconds, peak, err = timed(cmd, REPO)
                    if err:
                        raise SystemExit(f"{name} failed: {err}")
                    runs.setdefault(name, []).append(seconds)
                    print(f"  round {r + 1} {name:<24} {seconds:7.1f} s  "
                          f"{60 * args.n / seconds:7.1f} submissions/min")
    med = {name: statistics.median(v) for name, v in runs.items()}
    local = med[f"local --jobs {args.jobs}"]
    print(f"\n{'runner':<28}{'s/submission':>14}{'subs/min':>10}{'vs local':>10}")
    for name, seconds in med.items():
        print(f"{name:<28}{seconds / args.n:>14.3f}{60 * args.n / seconds:>10.1f}"
              f"{local / seconds:>9.2f}x")
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_autograder_dask.json").write_text(json.dumps({
        "assignment": args.assignment, "submissions": args.n, "rounds": runs,
        "median_seconds": med}, indent=1))


if __name__ == "__main__":
    main()
