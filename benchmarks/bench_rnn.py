"""Time backpropagation through time: nnkit's RNN and LSTM, with PyTorch side by side.

One measurement = forward over the whole sequence + backward (BPTT) with a random upstream
gradient on every output, for a vanilla tanh RNN and an LSTM with input 32, hidden 128,
length 50, batch 32 (the sizes of issue 4). The median of several repeats is reported.

PyTorch runs in a separate process with its own interpreter, so it can live in another
virtual environment::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_rnn.py
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_rnn.py --torch-python PATH

where PATH is e.g. /tmp/torchvenv/bin/python (any interpreter that can import torch).

Both sides use one thread by default (``--threads``), float64 by default (``--dtype``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

SIZES = dict(n=32, T=50, d=32, h=128)


def _median_ms(fn, repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def bench_nnkit(repeats: int, dtype: str) -> dict:
    import numpy as np

    from nnkit import rnn

    rng = np.random.default_rng(0)
    n, T, d, h = SIZES["n"], SIZES["T"], SIZES["d"], SIZES["h"]
    x = rng.normal(size=(n, T, d)).astype(dtype)
    dout = rng.normal(size=(n, T, h)).astype(dtype)
    results = {}
    for name, layer in (("RNN", rnn.RNN(d, h, rng=rng, dtype=dtype)),
                        ("LSTM", rnn.LSTM(d, h, rng=rng, dtype=dtype))):
        def step(layer=layer):
            layer.forward(x)
            layer.backward(dout)
            layer.zero_grad()
        results[name] = _median_ms(step, repeats)
    return results


def bench_torch(repeats: int, dtype: str, threads: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    tdtype = getattr(torch, dtype)
    n, T, d, h = SIZES["n"], SIZES["T"], SIZES["d"], SIZES["h"]
    x = torch.randn(n, T, d, dtype=tdtype, requires_grad=True)
    dout = torch.randn(n, T, h, dtype=tdtype)
    results = {"torch_version": torch.__version__}
    for name, module in (("RNN", torch.nn.RNN(d, h, batch_first=True)),
                         ("LSTM", torch.nn.LSTM(d, h, batch_first=True))):
        module = module.to(tdtype)

        def step(module=module):
            out, _ = module(x)
            out.backward(dout)
            module.zero_grad()
            x.grad = None
        results[name] = _median_ms(step, repeats)
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--threads", type=int, default=1, help="threads for PyTorch")
    parser.add_argument("--torch-python", metavar="PATH",
                        help="interpreter with torch installed, run in a separate process")
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.torch_worker:
        print(json.dumps(bench_torch(args.repeats, args.dtype, args.threads)))
        return

    sizes = ", ".join(f"{k}={v}" for k, v in SIZES.items())
    print(f"BPTT forward+backward, {sizes}, {args.dtype}, median of {args.repeats}")
    ours = bench_nnkit(args.repeats, args.dtype)
    theirs = None
    if args.torch_python:
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
        proc = subprocess.run(
            [args.torch_python, __file__, "--torch-worker", "--repeats", str(args.repeats),
             "--dtype", args.dtype, "--threads", str(args.threads)],
            capture_output=True, text=True, env=env, check=False)
        if proc.returncode == 0:
            theirs = json.loads(proc.stdout.strip().splitlines()[-1])
        else:
            print(f"(PyTorch run failed: {proc.stderr.strip().splitlines()[-1:]})")
    else:
        print("(no --torch-python given: nnkit only)")
    header = f"{'layer':6} {'nnkit ms':>10}"
    if theirs:
        header += f" {'torch ms':>10} {'ratio':>7}   (torch {theirs['torch_version']})"
    print(header)
    for name in ("RNN", "LSTM"):
        line = f"{name:6} {ours[name]:10.2f}"
        if theirs:
            line += f" {theirs[name]:10.2f} {ours[name] / theirs[name]:7.2f}"
        print(line)


if __name__ == "__main__":
    sys.exit(main())
