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

from autograder import __version__, asserts, scoring
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
    return points   # may be empty: a notebook graded only by hand is fine


def instrument(nb) -> nbformat.NotebookNode:
    """Copy of `nb` where each code cell first tells nnkit.checks which cell is running."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        line = f"__import__('nnkit.checks').checks.set_cell({grade_id(cell)!r})"  # a Python literal
        src = cell.source
        if src.startswith("%%"):  # a cell magic must stay on the first line
            head, _, rest = src.partition("\n")
            cell.source = head + "\n" + line + "\n" + rest
        else:
            cell.source = line + "\n" + src
    return nb


def _run_reference(nb, out: Path, limits: Limits, label: str, data_dir: Path | None = None) -> dict:
    result = run_notebook(nbformat.writes(instrument(nb)).encode(), out, limits, data_dir=data_dir)
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


def _record(nb, stem: str, label: str, tmp_root: Path, limits: Limits, determinism: bool,
            data_dir: Path, log) -> tuple:
    """Rewrite plain test cells, run the solution, return (graded nb, plans, records, hardened)."""
    keep: frozenset[str] = frozenset()
    for _attempt in range(3):
        graded, plans = asserts.rewrite_notebook(nb, keep)
        run_dir = tmp_root / stem
        shutil.rmtree(run_dir, ignore_errors=True)
        _run_reference(graded, run_dir, limits, label, data_dir)
        records, problems = checks.load_records(run_dir / "records")
        if problems:
            raise CourseError(f"{label}: unreadable reference records: {problems[:3]}")
        rewritten = {n for p in plans.values() for n in p.hardened}
        unusable = {r.name for r in records.values() if r.error and r.name.split(".type")[0] in rewritten}
        if not unusable:
            break
        keep |= {n.split(".type")[0] for n in unusable}   # their values are not plain data
    else:
        raise CourseError(f"{label}: could not record the values of {sorted(unusable)}")
    if determinism:
        again_dir = tmp_root / (stem + ".again")
        _run_reference(graded, again_dir, limits, label, data_dir)
        again, _ = checks.load_records(again_dir / "records")
        unstable = sorted(k[0] for k, r in records.items()
                          if r.kind != "between" and not checks.compare(r, again.get(k)).passed)
        if unstable or set(again) != set(records):
            raise CourseError(f"{label}: checks differ between two runs of the solution "
                              f"({', '.join(unstable) or 'different checks ran'}); seed "
                              "every random draw with np.random.default_rng(seed).")
    recorded = {r.name for r in records.values()}
    for plan in plans.values():   # an assertion whose expected value was not plain data ran as written
        missing = [n for n in plan.hardened if n not in recorded]
        plan.hardened = [n for n in plan.hardened if n in recorded]
        plan.reasons += [f"{n}: its expected value is not plain data" for n in missing]
        if plan.mode == "hardened" and missing:
            plan.mode = "in-process"
    hardened = {n for p in plans.values() for n in p.hardened}
    hardened |= {n + ".type" for n in hardened}
    problems = asserts.adjust_reference(records, hardened)
    if problems:
        raise CourseError(f"{label}: the solution fails its own test: {problems[0]}")
    return graded, plans, records, hardened


def _report(label: str, info: dict, log) -> None:
    plans = info["plain"]
    hardened = [g for g, p in plans.items() if p["mode"] == "hardened"]
    inproc = {g: p for g, p in plans.items() if p["mode"] == "in-process"}
    if plans:
        log(f"[release] {label}: {len(plans)} plain-assert test cell(s): {len(hardened)} hardened "
            f"({', '.join(hardened) or 'none'}), {len(inproc)} in-process")
    for gid, plan in inproc.items():
        log(f"[release]   IN-PROCESS {gid}: " + "; ".join(plan["reasons"][:4]))
    if inproc:
        log("[release]   An in-process verdict is what stock nbgrader gives: the test passes if the "
            "student's process says it ran without an exception. Student code in that process can "
            "fake this (catch or replace AssertionError, patch numpy); a hardened test instead "
            "records the value and the grader compares it with the solution's in its own process.")
    for gid, cell in info["manual"].items():
        log(f"[release]   NEEDS MANUAL GRADING {gid}: {cell['kind']}, {cell['points']:g} point(s) "
            "(grade it in nbgrader's formgrader after `autograder grade`)")


def release(course: Course, assignment: str, *, source_dir=None, limits: Limits | None = None,
            determinism: bool = True, due: str | None = None, log=print) -> dict:
    check_name("assignment", assignment)
    limits = limits or Limits()
    src = find_source(course, assignment, source_dir)
    _copy_source(src, course.source(assignment))
    notebooks = sorted(course.source(assignment).glob("*.ipynb"))
    sources = {p.stem: nbformat.read(p, as_version=4) for p in notebooks}
    cell_points = {stem: _validate_metadata(nb, p.name) for (stem, nb), p in zip(sources.items(), notebooks)}
    if not any(cell_points.values()) and not any(asserts.manual_cells(nb) for nb in sources.values()):
        raise CourseError(f"{assignment}: no notebook has a graded cell (nbgrader grade: true, "
                          "or a task); mark the cells to grade in the source notebooks")

    log(f"[release] {assignment}: generating the student version with nbgrader")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment,
                           "--force", f"--CourseDirectory.root={course.root}",
                           f"--CourseDirectory.db_url={course.db_url}"],
                          cwd=course.root, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CourseError(f"nbgrader generate_assignment failed for {assignment!r}:\n"
                          + (proc.stdout + proc.stderr)[-3000:])
    from autograder.variants import render_release

    render_release(course, assignment)   # issue 27: markdown quotes the default variant's values
    if due is not None:
        from autograder.late import set_due_date

        log(f"[release] {assignment}: due {set_due_date(course, assignment, due)}")

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
            graded, plans, records, hardened = _record(
                nb, stem, label, tmp_root, limits, determinism, course.release(assignment), log)
            info = _describe(label, nb, records, cell_points[stem])
            info["manual"] = asserts.manual_cells(nb)
            info["plain"] = {g: {"mode": p.mode, "hardened": p.hardened, "reasons": p.reasons}
                             for g, p in plans.items() if p.mode != "checks"}
            info["reference_is_expected"] = sorted(hardened)
            manifest["notebooks"][stem] = info
            _report(label, info, log)
            release_nb = course.release(assignment) / f"{stem}.ipynb"
            dest = tmp_root / "final" / stem
            dest.mkdir(parents=True)
            shutil.copytree(tmp_root / stem / "records", dest / "records")
            nbformat.write(graded, dest / "source.ipynb")        # what grading runs
            shutil.copy2(notebooks[list(sources).index(stem)], dest / "original.ipynb")
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
    manual = sum(c["points"] for n in manifest["notebooks"].values() for c in n["manual"].values())
    n_checks = sum(len(n["checks"]) for n in manifest["notebooks"].values())
    plain = [p for n in manifest["notebooks"].values() for p in n["plain"].values()]
    log(f"[release] {assignment}: {n_checks} checks, {total:g} automatic points, {manual:g} points "
        f"graded by hand; {sum(p['mode'] == 'hardened' for p in plain)} of {len(plain)} plain-assert "
        f"test cells hardened; student version in {course.release(assignment)}")
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
    problems = scoring.check_points(label, cell_checks, records, points)
    if problems:
        raise CourseError(problems[0])
    empty = [gid for gid, keys in cell_checks.items() if not keys and points[gid] > 0]
    if empty:
        raise CourseError(f"{label}: test cell(s) {empty} have points but call no nnkit.checks "
                          "function; graded tests must use checks.check_close/check_equal/check_between")
    return {"points": points, "cells": cell_checks,
            "checks": {name: gid for name, gid in names_in.items()}}
