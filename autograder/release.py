"""`autograder release`: the student version (nbgrader) and the trusted reference answers.

The source notebook runs in record mode in the sandbox (twice, to catch unseeded checks); each
check is attributed to the test cell it ran in. The records, a snapshot of the source and of the
release notebooks and `manifest.json` go to `course/autograder/<assignment>/reference/`, which
no sandbox ever sees.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import __version__
from autograder.course import REPO, Course, CourseError, check_name
from autograder.rebuild import grade_id, is_answer, is_test, nbgrader_meta
from autograder.sandbox import Limits, bwrap_status, run_notebook
from nnkit import checks

SKIP_FILES = (".ipynb_checkpoints", "__pycache__")
INSTRUCTOR_ONLY = ("mutations", "solution", "conftest", "test_")  # never copied into a release


def find_source(course: Course, assignment: str, source_dir: str | os.PathLike | None) -> Path:
    candidates = ([Path(source_dir) / assignment] if source_dir else []) + [
        course.source(assignment), REPO / "exercises" / assignment]
    for cand in candidates:
        if cand.is_dir() and any(cand.glob("*.ipynb")):
            return cand
    raise CourseError(f"no source notebook for {assignment!r}: looked in "
                      + ", ".join(str(c) for c in candidates)
                      + f". Put it at exercises/{assignment}/{assignment}.ipynb or pass --source DIR.")


def _copy_source(src: Path, dst: Path) -> None:
    if src.resolve() == dst.resolve():
        return
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for item in src.iterdir():
        if item.name in SKIP_FILES or item.name.startswith(".") or (
                item.suffix == ".py" and item.stem.startswith(INSTRUCTOR_ONLY)):
            continue
        (shutil.copytree if item.is_dir() else shutil.copy2)(item, dst / item.name)


def _validate_metadata(nb, name: str) -> dict[str, float]:
    """Return {test cell grade_id: points}; raise on metadata nbgrader would get wrong."""
    seen: set[str] = set()
    points: dict[str, float] = {}
    for i, cell in enumerate(nb.cells):
        gid = grade_id(cell)
        meta = nbgrader_meta(cell)
        if meta and gid is None:
            raise CourseError(f"{name}: cell {i} has nbgrader metadata but no grade_id")
        if gid is None:
            continue
        if gid in seen:
            raise CourseError(f"{name}: grade_id {gid!r} is used twice; make grade ids unique")
        seen.add(gid)
        if is_test(cell):
            try:
                points[gid] = float(meta.get("points", 0))
            except (TypeError, ValueError):
                raise CourseError(f"{name}: test cell {gid!r} has points {meta.get('points')!r}") from None
    if not points:
        raise CourseError(f"{name}: no graded test cell (nbgrader grade: true, solution: false)")
    return points


def instrument(nb) -> nbformat.NotebookNode:
    """Copy of `nb` where each code cell first tells nnkit.checks which cell is running."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        line = f"__import__('nnkit.checks').checks.set_cell({json.dumps(grade_id(cell))})"
        src = cell.source
        if src.startswith("%%"):  # a cell magic must stay on the first line
            head, _, rest = src.partition("\n")
            cell.source = head + "\n" + line + "\n" + rest
        else:
            cell.source = line + "\n" + src
    return nb


def _run_reference(nb, out: Path, limits: Limits, label: str) -> dict:
    result = run_notebook(nbformat.writes(instrument(nb)).encode(), out, limits)
    try:
        log = json.loads((out / "run.json").read_text())
    except (OSError, ValueError):
        raise CourseError(f"{label}: the reference run did not start (sandbox said: "
                          f"{result.stderr.strip()[-800:]})") from None
    errors = [c for c in log.get("cells", []) if c.get("status") != "ok"]
    if result.timed_out or log.get("end") != "completed" or errors:
        where = "; ".join(f"cell {c['index']} ({grade_id(nb.cells[c['index']])}): {c.get('status')} "
                          f"{c.get('ename', '')} {c.get('evalue', '')}".strip() for c in errors)
        raise CourseError(f"{label}: the solution notebook does not run cleanly "
                          f"(end: {log.get('end')}, timed out: {result.timed_out}). {where}. "
                          "Fix the source notebook so that it runs top to bottom without errors.")
    return log


def release(course: Course, assignment: str, *, source_dir=None, limits: Limits | None = None,
            determinism: bool = True, log=print) -> dict:
    check_name("assignment", assignment)
    limits = limits or Limits()
    src = find_source(course, assignment, source_dir)
    _copy_source(src, course.source(assignment))
    notebooks = sorted(course.source(assignment).glob("*.ipynb"))
    sources = {p.stem: nbformat.read(p, as_version=4) for p in notebooks}
    cell_points = {stem: _validate_metadata(nb, p.name) for (stem, nb), p in zip(sources.items(), notebooks)}

    log(f"[release] {assignment}: generating the student version with nbgrader")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment,
                           "--force", f"--CourseDirectory.root={course.root}",
                           f"--CourseDirectory.db_url={course.db_url}"],
                          cwd=course.root, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CourseError(f"nbgrader generate_assignment failed for {assignment!r}:\n"
                          + (proc.stdout + proc.stderr)[-3000:])

    ok, why = bwrap_status()
    if not ok:
        log(f"[release] WARNING: WEAK SANDBOX for the reference run: {why}")
    ref_root = course.reference(assignment)
    course.work(assignment).mkdir(parents=True, exist_ok=True)
    os.chmod(course.root / "autograder", 0o700)
    tmp_root = Path(tempfile.mkdtemp(prefix="reference-run-", dir=course.work(assignment)))
    manifest: dict = {"assignment": assignment, "grader_version": __version__,
                      "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "notebooks": {}}
    try:
        for stem, nb in sources.items():
            label = f"{assignment}/{stem}.ipynb"
            log(f"[release] {label}: recording the reference answers in the sandbox")
            _run_reference(nb, tmp_root / stem, limits, label)
            records, problems = checks.load_records(tmp_root / stem / "records")
            if problems:
                raise CourseError(f"{label}: unreadable reference records: {problems[:3]}")
            if determinism:
                _run_reference(nb, tmp_root / (stem + ".again"), limits, label)
                again, _ = checks.load_records(tmp_root / (stem + ".again") / "records")
                unstable = sorted(k[0] for k, r in records.items()
                                  if r.kind != "between" and not checks.compare(r, again.get(k)).passed)
                if unstable or set(again) != set(records):
                    raise CourseError(f"{label}: checks differ between two runs of the solution "
                                      f"({', '.join(unstable) or 'different checks ran'}); seed "
                                      "every random draw with np.random.default_rng(seed).")
            manifest["notebooks"][stem] = _describe(label, nb, records, cell_points[stem])
            release_nb = course.release(assignment) / f"{stem}.ipynb"
            dest = tmp_root / "final" / stem
            dest.mkdir(parents=True)
            shutil.copytree(tmp_root / stem / "records", dest / "records")
            shutil.copy2(notebooks[list(sources).index(stem)], dest / "source.ipynb")
            shutil.copy2(release_nb, dest / "release.ipynb")
        blob = json.dumps(manifest, sort_keys=True).encode()
        manifest["reference_hash"] = hashlib.sha256(blob).hexdigest()[:16]
        (tmp_root / "final" / "manifest.json").write_text(json.dumps(manifest, indent=1))
        if ref_root.exists():
            shutil.rmtree(ref_root)
        ref_root.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_root / "final", ref_root)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    total = sum(sum(n["points"].values()) for n in manifest["notebooks"].values())
    n_checks = sum(len(n["checks"]) for n in manifest["notebooks"].values())
    log(f"[release] {assignment}: {n_checks} checks, {total:g} points; student version in "
        f"{course.release(assignment)}")
    return manifest


def _describe(label: str, nb, records: dict, points: dict[str, float]) -> dict:
    """Map each check to its test cell; refuse anything that could grade wrongly."""
    cell_checks: dict[str, list] = {gid: [] for gid in points}
    answer_ids = {grade_id(c) for c in nb.cells if is_answer(c)}
    for (name, occ), rec in sorted(records.items()):
        if rec.error:
            raise CourseError(f"{label}: check {name!r} of the solution is not plain data: {rec.error}")
        if rec.cell not in cell_checks:
            where = "an answer cell" if rec.cell in answer_ids else f"cell {rec.cell!r}"
            raise CourseError(f"{label}: check {name!r} runs in {where}, not in a graded test "
                              "cell; move it into a test cell (grade: true) with points")
        if rec.expected is not None:
            passed, message = checks._judge(rec.kind, name, rec.value, rec.expected, rec.params, rec.hint)
            if not passed:
                raise CourseError(f"{label}: the solution fails its own visible check: {message}")
        if rec.kind == "between":
            passed, message = checks._judge("between", name, rec.value, None, rec.params, rec.hint)
            if not passed:
                raise CourseError(f"{label}: the solution fails its own check: {message}")
        cell_checks[rec.cell].append([name, occ])
    names_in: dict[str, str] = {}
    for gid, keys in cell_checks.items():
        for name, _ in keys:
            if names_in.setdefault(name, gid) != gid:
                raise CourseError(f"{label}: check name {name!r} is used in two cells; names must be unique")
    empty = [gid for gid, keys in cell_checks.items() if not keys and points[gid] > 0]
    if empty:
        raise CourseError(f"{label}: test cell(s) {empty} have points but call no nnkit.checks "
                          "function; graded tests must use checks.check_close/check_equal/check_between")
    return {"points": points, "cells": cell_checks,
            "checks": {name: gid for name, gid in names_in.items()}}
