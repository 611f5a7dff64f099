"""Execute a notebook's code cells one by one in a single namespace, without a Jupyter kernel.

Usage: ``python runner.py JOB.json RESULT.json``. The job lists the code cells
(``{"grade_id": str | None, "source": str}``); every cell is compiled and executed in one
shared namespace, each inside its own try/except, so a cell that raises (as the answer cells
of a student version do) is recorded and the next cell still runs, exactly like "Run All"
with errors allowed. Before each cell ``nnkit.checks.set_cell(grade_id)`` attributes the
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


def run(cells: list[dict]) -> dict:
    from nnkit import checks

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
    result = run(job["cells"])
    with open(result_path, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
