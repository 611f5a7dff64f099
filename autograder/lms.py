"""`autograder export --format canvas|moodle`: the gradebook as an LMS grade-import CSV.

nbgrader knows students by its own ids (folder names); an LMS knows them by its own. A mapping
file (CSV, one row per student) joins the two: the column `nbgrader_id` (or the one named with
`--id-column`) holds nbgrader's id, the other columns the LMS's, under the LMS's own headers:

- **Canvas** (gradebook import): `Student`, `ID`, `SIS User ID`, `SIS Login ID`, `Section`, as in
  a gradebook exported from Canvas, so that export itself, with one more column, can be the
  mapping. Canvas matches a row by `ID`, `SIS User ID` or `SIS Login ID`; one of them is needed.
  The file has those five columns, then one per assignment, and a `Points Possible` row first.
- **Moodle** (Import > CSV file): one identifying column, `ID number`, `Email address` or
  `Username` (Moodle's export headers; pick it under "Map from" / "Map to" when importing), then
  one numeric column per assignment.

The score of an assignment is nbgrader's total (automatic + manual + extra credit - late
penalty). A student without a submission gets an empty cell (the LMS leaves that grade alone).
Every nbgrader student must be in the mapping: an unmapped one stops the export and is named.
Cells are written with the same formula-injection guard as every other CSV of the grader.
"""

from __future__ import annotations

import csv
from pathlib import Path

from autograder.course import Course, CourseError

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_KEYS = ["ID", "SIS User ID", "SIS Login ID"]
CANVAS_POINTS_ROW = "    Points Possible"          # the second row of a Canvas gradebook export
MOODLE_KEYS = ["ID number", "Email address", "Username"]
FORMATS = ("canvas", "moodle")


def read_mapping(path: Path, id_column: str, fmt: str) -> tuple[list[dict], dict[str, dict]]:
    """(rows in file order, nbgrader id -> row); every problem raises a CourseError naming it."""
    if not path.is_file():
        raise CourseError(f"mapping file {path} does not exist or is not a file; pass --mapping "
                          f"FILE, a CSV with a column {id_column!r} (nbgrader's student id) and the "
                          f"{fmt.title()} columns ({', '.join(CANVAS_COLUMNS if fmt == 'canvas' else MOODLE_KEYS)})")
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
                    for row in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CourseError(f"mapping file {path} is not a UTF-8 CSV file ({exc})") from None
    if id_column not in header:
        raise CourseError(f"mapping file {path} has no column {id_column!r} (its columns: "
                          f"{', '.join(header) or 'none'}); add it, or name the column that holds "
                          "nbgrader's student ids with --id-column")
    keys = CANVAS_KEYS if fmt == "canvas" else MOODLE_KEYS
    present = [k for k in keys if k in header]
    if not present:
        raise CourseError(f"mapping file {path} has none of the columns {fmt.title()} identifies "
                          f"students by ({', '.join(repr(k) for k in keys)}); add one")
    by_id: dict[str, dict] = {}
    kept = []
    for line, row in enumerate(rows, start=2):
        if row.get("Student", "").strip() == CANVAS_POINTS_ROW.strip():
            continue                     # a Canvas export used as the mapping: its points row
        kept.append(row)
        sid = row.get(id_column, "")
        if not sid:
            raise CourseError(f"mapping file {path}, line {line}: the column {id_column!r} is empty")
        if sid in by_id:
            raise CourseError(f"mapping file {path}, line {line}: nbgrader id {sid!r} appears twice")
        if not any(row.get(k) for k in present):
            raise CourseError(f"mapping file {path}, line {line} ({sid}): no {fmt.title()} id "
                              f"(fill one of {', '.join(present)})")
        by_id[sid] = row
    return kept, by_id


def gradebook_scores(course: Course) -> tuple[list[str], dict[str, float], dict[tuple[str, str], float], list[str], int]:
    """(assignments, max score per assignment, (student, assignment) -> score, students,
    number of submissions still needing manual grading), from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    from autograder import nbgrader_db
    from autograder.gradebook import locked

    if not course.gradebook.is_file():
        raise CourseError(f"no gradebook in {course.root}; run `autograder release` and "
                          "`autograder grade` first")
    scores: dict[tuple[str, str], float] = {}
    maxima: dict[str, float] = {}
    pending = 0
    with locked(course), Gradebook(course.db_url) as gb:
        assignments = sorted(a.name for a in gb.assignments)
        students = sorted(s.id for s in gb.students)
        for assignment in gb.assignments:
            maxima[assignment.name] = float(assignment.max_score)
            for sub in assignment.submissions:
                info = nbgrader_db.summary_of(sub)
                scores[(sub.student.id, assignment.name)] = info["total_score"]
                pending += bool(sub.needs_manual_grade)
    return assignments, maxima, scores, students, pending


def export_lms(course: Course, out: Path, fmt: str, mapping: Path, *, id_column: str = "nbgrader_id",
               columns: dict[str, str] | None = None, log=print) -> int:
    """Write the LMS's grade-import CSV; return the number of student rows."""
    from autograder.gradebook import _write_rows

    if fmt not in FORMATS:
        raise CourseError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    if out.is_dir():
        raise CourseError(f"--output {out} is a folder; give a file name, e.g. {out / f'{fmt}.csv'}")
    rows, by_id = read_mapping(mapping, id_column, fmt)
    assignments, maxima, scores, students, pending = gradebook_scores(course)
    columns = dict(columns or {})
    unknown = sorted(set(columns) - set(assignments))
    if unknown:
        raise CourseError(f"--column names assignment(s) {unknown} that the gradebook does not have "
                          f"(it has: {', '.join(assignments) or 'none'})")
    unmapped = [s for s in students if s not in by_id]
    if unmapped:
        shown = ", ".join(repr(s) for s in unmapped[:20]) + (" ..." if len(unmapped) > 20 else "")
        raise CourseError(f"{len(unmapped)} student(s) of the gradebook are not in the mapping file "
                          f"{mapping}: {shown}. Add a row for each (column {id_column!r}) with their "
                          f"{fmt.title()} id; nothing was written")
    titles = [columns.get(a, a) for a in assignments]
    if len(set(titles)) != len(titles):
        raise CourseError("two assignments would get the same column title; rename one with --column")

    def score(sid: str, assignment: str) -> str:
        value = scores.get((sid, assignment))
        return "" if value is None else f"{value:g}"

    out_rows = []
    if fmt == "canvas":
        fields = CANVAS_COLUMNS + titles
        out_rows.append({"Student": CANVAS_POINTS_ROW, **{t: f"{maxima[a]:g}" for a, t in zip(assignments, titles)}})
        for row in rows:
            sid = row[id_column]
            out_rows.append({**{c: row.get(c, "") for c in CANVAS_COLUMNS},
                             **{t: score(sid, a) for a, t in zip(assignments, titles)}})
    else:
        key = next(k for k in MOODLE_KEYS if k in rows[0]) if rows else MOODLE_KEYS[0]
        fields = [key] + titles
        for row in rows:
            sid = row[id_column]
            if not row.get(key):
                raise CourseError(f"mapping file {mapping}: {sid!r} has no {key!r}; Moodle matches every "
                                  f"row by one column, so fill {key!r} for every student")
            out_rows.append({key: row[key], **{t: score(sid, a) for a, t in zip(assignments, titles)}})
    _write_rows(out, fields, out_rows)
    if pending:
        log(f"[export] WARNING: {pending} submission(s) still have cells to grade by hand; their "
            "scores are the points given so far")
    n = len(out_rows) - (fmt == "canvas")
    log(f"[export] {fmt}: {n} student row(s), {len(assignments)} assignment column(s) written to {out}")
    return n
