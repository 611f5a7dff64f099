"""Time one training step of an MLP in nnkit and (if available) in PyTorch.

One step = zero_grad, forward, cross-entropy loss, backward, Adam step (the loop of `fit`,
which never computes the gradient with respect to the data; neither does torch), for

    2-16-16-2 at batch 32, 784-256-128-10 at batch 128, 784-1024-1024-10 at batch 512

(ReLU hidden layers), in float32 and float64. Each framework runs in its own process (their
thread pools would fight in one process), the thread count is fixed before NumPy or torch is
imported, and the reported time per step is the median over repeated timing runs.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_mlp_step.py                      # nnkit only
    .venv/bin/python benchmarks/bench_mlp_step.py --torch-python /tmp/torchvenv/bin/python
    .venv/bin/python benchmarks/bench_mlp_step.py --threads 1 --save   # single-threaded, JSON

``--torch-python`` names an interpreter with torch installed (PyTorch is not a dependency of
nnkit); without it the script tries the current interpreter. ``--save`` writes
``benchmarks/results/mlp_step-<threads>-<date>.json``. Run it by hand, not from the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

CONFIGS = [  # (layer sizes, batch size)
    ((2, 16, 16, 2), 32),
    ((784, 256, 128, 10), 128),
    ((784, 1024, 1024, 10), 512),
]
DTYPES = ("float32", "float64")
TARGETS = {  # (layer sizes, batch) -> largest acceptable nnkit time / torch time, both dtypes
    ((2, 16, 16, 2), 32): 0.25,
    ((784, 256, 128, 10), 128): 1.0,
}
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


# -- workers: one framework per process ------------------------------------------------------
def _time_steps(step, repeats: int, min_time: float) -> float:
    """Median seconds per step: warm up, pick a step count taking ~min_time, repeat."""
    for _ in range(3):
        step()
    n, elapsed = 1, 0.0
    while True:                                              # calibrate the inner loop
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time or n >= 1 << 16:
            break
        n *= 2
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        runs.append((time.perf_counter() - t0) / n)
    runs.sort()
    return runs[len(runs) // 2]


def _data(sizes, batch, dtype):
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, sizes[0])).astype(dtype)          # (batch, n_in)
    y = rng.integers(0, sizes[-1], batch)                              # (batch,)
    return X, y


def worker_nnkit(repeats, min_time):
    import numpy as np

    import nnkit

    results = []
    for sizes, batch in CONFIGS:
        for dtype in DTYPES:
            rng = np.random.default_rng(0)
            layers = []
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                layers.append(nnkit.Dense(a, b, rng=rng, dtype=getattr(np, dtype)))
                if i < len(sizes) - 2:
                    layers.append(nnkit.ReLU())
            model = nnkit.Sequential(*layers)
            model.needs_input_grad = False  # the input is data, as in fit
            loss_fn = nnkit.CrossEntropyLoss()
            opt = nnkit.Adam(model.parameters(), lr=1e-3)
            X, y = _data(sizes, batch, dtype)

            X = model.check_input(X)  # checked once, as fit does

            def step():
                opt.zero_grad()
                out = model.forward(X, training=True)
                loss_fn(out, y)
                model.backward(loss_fn.backward())
                opt.step()

            step()
            bad = [n for n, p in model.named_parameters()
                   if p.value.dtype != np.dtype(dtype) or p.grad.dtype != np.dtype(dtype)]
            bad += [f"Adam state of {n}" for n, p in model.named_parameters()
                    if any(getattr(v, "dtype", np.dtype(dtype)) != np.dtype(dtype)
                           for v in opt.state[p].values())]
            if bad:
                raise SystemExit(f"nnkit {dtype} model left {dtype}: {bad}")
            results.append(dict(sizes=list(sizes), batch=batch, dtype=dtype,
                                seconds=_time_steps(step, repeats, min_time)))
    return {"framework": "nnkit", "numpy": np.__version__, "results": results}


def worker_torch(repeats, min_time, threads):
    import torch

    if threads:
        torch.set_num_threads(threads)
    results = []
    for sizes, batch in CONFIGS:
        for dtype in DTYPES:
            torch.manual_seed(0)
            tdtype = getattr(torch, dtype)
            layers = []
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                layers.append(torch.nn.Linear(a, b, dtype=tdtype))
                if i < len(sizes) - 2:
                    layers.append(torch.nn.ReLU())
            model = torch.nn.Sequential(*layers)
            loss_fn = torch.nn.CrossEntropyLoss()
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            X_np, y_np = _data(sizes, batch, dtype)
            X, y = torch.from_numpy(X_np), torch.from_numpy(y_np)

            def step():
                opt.zero_grad()
                loss = loss_fn(model(X), y)
                loss.backward()
                opt.step()

            results.append(dict(sizes=list(sizes), batch=batch, dtype=dtype,
                                seconds=_time_steps(step, repeats, min_time)))
    return {"framework": "torch", "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(), "results": results}


# -- driver ----------------------------------------------------------------------------------
def _run_worker(python, framework, args):
    env = dict(os.environ)
    if args.threads:
        for var in THREAD_VARS:
            env[var] = str(args.threads)
    root = Path(__file__).resolve().parent.parent
    env["PYTHONPATH"] = str(root) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [python, str(Path(__file__).resolve()), "--worker", framework,
           "--repeats", str(args.repeats), "--min-time", str(args.min_time)]
    if args.sizes:
        cmd += ["--sizes", args.sizes]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"the {framework} worker failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _median_rounds(rounds):
    """One worker report whose times are the medians over the rounds, case by case."""
    merged = dict(rounds[0], results=[dict(r) for r in rounds[0]["results"]])
    for i, row in enumerate(merged["results"]):
        times = sorted(rnd["results"][i]["seconds"] for rnd in rounds)
        row["seconds"] = times[len(times) // 2]
    return merged


def _torch_available(python):
    probe = subprocess.run([python, "-c", "import torch"], capture_output=True)
    return probe.returncode == 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=0,
                        help="threads for BLAS/torch in each worker (0: library default)")
    parser.add_argument("--torch-python", default=None,
                        help="python interpreter with torch installed (default: this one)")
    parser.add_argument("--no-torch", action="store_true", help="time nnkit only")
    parser.add_argument("--repeats", type=int, default=7, help="timing runs per case (median)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating nnkit/torch worker runs; the median round is reported")
    parser.add_argument("--min-time", type=float, default=0.2,
                        help="seconds each timing run lasts at least")
    parser.add_argument("--save", action="store_true", help="write JSON to benchmarks/results/")
    parser.add_argument("--json", default=None, help="write JSON to this path")
    parser.add_argument("--sizes", default=None,
                        help="time only these models, e.g. 2-16-16-2,784-256-128-10")
    parser.add_argument("--worker", choices=("nnkit", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sizes:
        wanted = set(args.sizes.split(","))
        CONFIGS[:] = [c for c in CONFIGS if "-".join(map(str, c[0])) in wanted]
        if not CONFIGS:
            raise SystemExit(f"--sizes {args.sizes}: no such model")

    if args.worker == "nnkit":
        print(json.dumps(worker_nnkit(args.repeats, args.min_time)))
        return
    if args.worker == "torch":
        print(json.dumps(worker_torch(args.repeats, args.min_time, args.threads)))
        return

    torch_python = args.torch_python or sys.executable
    use_torch = not args.no_torch and _torch_available(torch_python)
    if not args.no_torch and not use_torch:
        print(f"(torch not importable from {torch_python}: timing nnkit only; "
              "pass --torch-python)\n")
    # alternate the two workers round by round, so that a change in the machine's load
    # affects both; each case's time is the median over the rounds
    nn_rounds, th_rounds = [], []
    for _ in range(args.rounds):
        nn_rounds.append(_run_worker(sys.executable, "nnkit", args))
        if use_torch:
            th_rounds.append(_run_worker(torch_python, "torch", args))
    nn = _median_rounds(nn_rounds)
    th = _median_rounds(th_rounds) if th_rounds else None

    header = f"{'model':<20} {'batch':>5} {'dtype':<8} {'nnkit ms':>9}"
    if th:
        header += f" {'torch ms':>9} {'nnkit/torch':>11} {'target':>7}"
    print(f"threads: {args.threads or 'library default'}; numpy {nn['numpy']}"
          + (f"; torch {th['torch']} ({th['torch_threads']} threads)" if th else ""))
    print(header)
    print("-" * len(header))
    rows = []
    for i, r in enumerate(nn["results"]):
        name = "-".join(map(str, r["sizes"]))
        line = f"{name:<20} {r['batch']:>5} {r['dtype']:<8} {1e3 * r['seconds']:>9.3f}"
        row = dict(r, nnkit_seconds=r["seconds"])
        del row["seconds"]
        if th:
            t = th["results"][i]["seconds"]
            target = TARGETS.get((tuple(r["sizes"]), r["batch"]))
            ratio = r["seconds"] / t
            verdict = "" if target is None else ("met" if ratio <= target else "MISSED")
            line += f" {1e3 * t:>9.3f} {ratio:>11.2f} {verdict:>7}"
            row.update(torch_seconds=t, nnkit_over_torch=ratio, target=target)
        print(line)
        rows.append(row)
    print("\nnnkit/torch < 1 means nnkit is faster; targets (issue #19): at most "
          + ", ".join(f"{t}x for {'-'.join(map(str, k[0]))} at batch {k[1]}"
                      for k, t in TARGETS.items()) + ".")

    if args.save or args.json:
        report = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "threads": args.threads,
                  "machine": platform.machine(), "cpus": os.cpu_count(),
                  "python": platform.python_version(), "numpy": nn["numpy"],
                  "torch": th["torch"] if th else None, "rows": rows}
        path = Path(args.json) if args.json else (
            Path(__file__).resolve().parent / "results"
            / f"mlp_step-t{args.threads or 'default'}-{time.strftime('%Y%m%d-%H%M%S')}.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
