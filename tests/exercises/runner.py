"""Execute a notebook's code cells one by one in a single namespace, without a Jupyter kernel.

Usage: ``python runner.py JOB.json RESULT.json``. The job lists the code cells
(``{"grade_id": str | None, "source": str}``); every cell is compiled and executed in one
shared namespace, each inside its own try/except, so a cell that raises (as the answer cells
of a student version do) is recorded and the next cell still runs, exactly like "Run All"
with errors allowed. A job may carry ``"seed_offset": k``: every integer seed given to
``np.random.default_rng`` is then shifted by k (see `shift_seeds`). Before each cell ``nnkit.checks.set_cell(grade_id)`` attributes the
checks that follow to that cell. Record mode is whatever ``NNKIT_CHECKS_RECORD`` says in
the environment the harness gives this process.

The result is JSON: ``{"cells": [{"grade_id", "ok", "error", "seconds"}], "seconds": total}``.
Only the standard library and nnkit are imported before the first cell.
"""

from __future__ import annotations

import json
import sys
import time
import traceback


def shift_seeds(offset: int) -> None:
    """Make ``np.random.default_rng(s)`` use ``s + offset`` for every integer seed `s`.

    The seed-robustness test runs a notebook in several "seed universes" this way: every
    literal seed of the notebook (data, training, checks) moves together.
    """
    import numpy as np

    original = np.random.default_rng

    def default_rng(seed=None):
        if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            seed = int(seed) + offset
        return original(seed)

    np.random.default_rng = default_rng


def run(cells: list[dict], seed_offset: int = 0) -> dict:
    from nnkit import checks

    if seed_offset:
        shift_seeds(seed_offset)

    namespace: dict = {"__name__": "__main__"}
    results = []
    start = time.perf_counter()
    for index, cell in enumerate(cells):
        grade_id = cell.get("grade_id")
        checks.set_cell(grade_id)
        t0 = time.perf_counter()
        error = None
        try:
            code = compile(cell["source"], f"<cell {index} {grade_id or ''}>", "exec")
            exec(code, namespace)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - record, then go on
            tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
            error = "".join(tb[-3:])[-2000:]
        results.append({
            "grade_id": grade_id, "ok": error is None, "error": error,
            "seconds": time.perf_counter() - t0,
        })
    checks.set_cell(None)
    return {"cells": results, "seconds": time.perf_counter() - start}


def main() -> int:
    job_path, result_path = sys.argv[1], sys.argv[2]
    with open(job_path, encoding="utf-8") as fh:
        job = json.load(fh)
    result = run(job["cells"], int(job.get("seed_offset", 0)))
    with open(result_path, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
