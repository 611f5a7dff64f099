"""The grader's outputs: per-submission result files, nbgrader's gradebook and grades.csv.

Result files (`course/autograder/<a>/results/<student>.json`, written atomically) are the
source of truth and make a batch resumable. Every CSV this module writes is safe to open in a
spreadsheet: control characters are escaped and a cell that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a leading ``'`` (OWASP's advice against formula
injection), whoever wrote its text. The gradebook is written only by the grader's main
process, the submissions finished at the same moment in one transaction, under an exclusive file lock, so two graders (on
different assignments) never write at once.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import json
import os
import warnings
from pathlib import Path

from autograder import nbgrader_db
from autograder.course import Course

CSV_FIELDS = ["student", "student_id", "assignment", "score", "max_score", "status", "flags",
              "sandbox", "seconds", "key", "timestamp", "seconds_late", "late_penalty", "manual_score",
              "needs_manual_grade"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text: escaped, never read as a formula."""
    from autograder.submissions import display_name

    text = "" if value is None else str(value)
    risky = text[:1] in FORMULA_START or text.lstrip(" \t\r\n")[:1] in FORMULA_START
    text = display_name(text, limit=10_000)
    return "'" + text if risky or text[:1] in FORMULA_START else text


def _write_rows(path: Path, fields: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: safe_cell(row.get(k)) for k in fields})
    os.replace(tmp, path)


def save_result(path: Path, result: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_result(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def locked(course: Course):
    with open(course.root / ".gradebook.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class GradebookWriter:
    """Upserts results into nbgrader's SQLite gradebook (auto scores of the test cells)."""

    def __init__(self, course: Course):
        from nbgrader.api import Gradebook

        self.course = course
        with locked(course):
            self.gb = Gradebook(course.db_url)

    def write(self, result: dict) -> None:
        self.write_many([result])

    def write_many(self, results: list[dict]) -> None:
        """Upsert several results in one transaction (all or none)."""
        from nbgrader.api import MissingEntry

        if not results:
            return
        with locked(self.course), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbgrader's add_submission trips SQLAlchemy warnings
            try:
                for result in results:
                    assignment = result["assignment"]
                    student = result.get("student_id", result["student"])
                    self.gb.update_or_create_student(student)
                    try:
                        self.gb.find_submission(assignment, student)
                    except MissingEntry:
                        self.gb.add_submission(assignment, student)
                    # nbgrader's rules: scores, manual cells, autograded/, timestamp, late penalty
                    nbgrader_db.save(self.gb, self.course, result)
                self.gb.db.commit()
            except Exception:
                self.gb.db.rollback()
                raise

    def close(self) -> None:
        self.gb.close()


def write_csv(path: Path, results: list[dict]) -> None:
    rows = [{**r, "flags": "; ".join(r.get("flags", [])), "score": f"{r['score']:g}",
             "max_score": f"{r['max_score']:g}"}
            for r in sorted(results, key=lambda r: r.get("student_id", r["student"]))]
    _write_rows(path, CSV_FIELDS, rows)


def _names(course: Course) -> dict[str, str]:
    """Student key -> the folder name as submitted, from the grader's result files."""
    names: dict[str, str] = {}
    for path in sorted((course.root / "autograder").glob("*/results/*.json")):
        result = load_result(path)
        if isinstance(result, dict) and isinstance(result.get("student"), str):
            names[str(result.get("student_id", result["student"]))] = result["student"]
    return names


def export_gradebook(course: Course, out: Path) -> int:
    """nbgrader's gradebook as CSV (one row per student and assignment); returns the row count."""
    from nbgrader.api import Gradebook

    names = _names(course)
    rows = []
    with locked(course):
        with Gradebook(course.db_url) as gb:
            for assignment in gb.assignments:
                for student in gb.students:
                    try:
                        sub = gb.find_submission(assignment.name, student.id)
                    except Exception:
                        continue
                    info = nbgrader_db.summary_of(sub)   # automatic, manual, late penalty
                    rows.append({"assignment": assignment.name, "student": names.get(student.id, student.id),
                                 "student_id": student.id,
                                 "score": info["total_score"], "max_score": info["total_max_score"],
                                 "auto_score": info["auto_score"],
                                 "manual_score": "" if info["manual_score"] is None else info["manual_score"],
                                 "extra_credit": info["extra_credit"],
                                 "late_penalty": info["late_penalty"], "timestamp": info["timestamp"],
                                 "seconds_late": info["seconds_late"],
                                 "needs_manual_grade": sub.needs_manual_grade})
    _write_rows(out, ["assignment", "student", "student_id", "score", "max_score", "auto_score",
                      "manual_score", "extra_credit", "late_penalty", "timestamp", "seconds_late",
                      "needs_manual_grade"], rows)
    return len(rows)
