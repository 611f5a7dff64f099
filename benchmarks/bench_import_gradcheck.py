"""Two budgets of issue 3, measured (not asserted by the test suite):

- `import nnkit` (and the core modules) stays under 150 ms;
- `check_gradients` on 100 sampled parameters of a 784-256-128-10 MLP (batch 64) takes under 0.5 s.

    python benchmarks/bench_import_gradcheck.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

IMPORT_CODE = (
    "import time, numpy; t = time.perf_counter(); import nnkit; "
    "import nnkit.core, nnkit.functional, nnkit.activations, nnkit.layers, nnkit.losses, "
    "nnkit.init, nnkit.gradcheck, nnkit.optim, nnkit.train; print(time.perf_counter() - t)"
)


def import_seconds(repeat: int) -> list[float]:
    return [float(subprocess.run([sys.executable, "-c", IMPORT_CODE], capture_output=True,
                                 text=True, check=True).stdout) for _ in range(repeat)]


def gradcheck_seconds(repeat: int) -> list[float]:
    import numpy as np

    from nnkit import CrossEntropyLoss, Dense, ReLU, Sequential, check_gradients

    rng = np.random.default_rng(0)
    model = Sequential(Dense(784, 256, rng=rng), ReLU(), Dense(256, 128, rng=rng), ReLU(),
                       Dense(128, 10, rng=rng))
    X, y = rng.normal(size=(64, 784)), rng.integers(0, 10, size=64)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        report = check_gradients(model, CrossEntropyLoss(), X, y, n_samples=100, rng=rng)
        times.append(time.perf_counter() - t)
        assert report.ok, str(report)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    imp = import_seconds(args.repeat)
    gc = gradcheck_seconds(args.repeat)
    print(f"import nnkit (numpy already loaded): median {1e3 * statistics.median(imp):.1f} ms "
          f"(budget 150 ms)")
    print(f"check_gradients, 100 sampled parameters, 784-256-128-10: median "
          f"{statistics.median(gc):.3f} s (budget 0.5 s)")


if __name__ == "__main__":
    main()
