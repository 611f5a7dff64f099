"""`autograder export --format canvas|moodle`, checked against the documented import formats.

Canvas's gradebook import reads a CSV whose header starts with Student, ID, SIS User ID, SIS
Login ID and Section, then one column per assignment; a row whose Student cell is "Points
Possible" gives the assignments' points; a student is matched by ID, SIS User ID or SIS Login
ID. Moodle's CSV grade import reads a header row, one column that identifies the user (mapped to
ID number, email address or username) and numeric grade columns. The checks below read the
files with those rules; the scores come from the graded `lab1` course.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from autograder.cli import main  # noqa: E402

pytestmark = pytest.mark.slow
SCORES = {"ada": 6.0, "bob": 2.0, "cy": 6.0, "dee": 4.0}
CANVAS_HEAD = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def _mapping(path: Path, students=tuple(SCORES), extra_header=()) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["nbgrader_id", "Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                    "Email address", *extra_header])
        for i, s in enumerate(students):
            w.writerow([s, f"{s.title()}, Student", 1000 + i, f"S{i:04d}", f"{s}@uni.example",
                        "Lab A" if i % 2 else "Lab B", f"{s}@uni.example"])
    return path


def _numeric_or_empty(value: str) -> bool:
    if value == "":
        return True
    try:
        float(value)
        return True
    except ValueError:
        return False


def test_canvas_gradebook_import(lab_graded, tmp_path):
    course = lab_graded[0]
    out = tmp_path / "canvas.csv"
    code = main(["--course", str(course.root), "export", "--format", "canvas",
                 "--mapping", str(_mapping(tmp_path / "map.csv")), "-o", str(out)])
    assert code == 0
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert rows[0] == CANVAS_HEAD + ["lab1"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][5] == "6"
    by_login = {r[3]: r for r in rows[2:]}
    assert len(by_login) == len(SCORES)
    for s, score in SCORES.items():
        row = by_login[f"{s}@uni.example"]
        assert row[1] and row[2]                                   # Canvas ID and SIS User ID
        assert _numeric_or_empty(row[5]) and float(row[5]) == score
        assert row[0] == f"{s.title()}, Student"


def test_canvas_column_titles_and_students_without_a_submission(lab_graded, tmp_path):
    course = lab_graded[0]
    out = tmp_path / "canvas.csv"
    mapping = _mapping(tmp_path / "map.csv", students=(*SCORES, "zoe"))    # in Canvas, nothing handed in
    assert main(["--course", str(course.root), "export", "--format", "canvas", "--mapping", str(mapping),
                 "-o", str(out), "--column", "lab1=Lab 1 (4711)"]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert "Lab 1 (4711)" in rows[0]
    zoe = next(r for r in rows if r["SIS Login ID"] == "zoe@uni.example")
    assert zoe["Lab 1 (4711)"] == ""                               # Canvas leaves that grade alone


def test_moodle_grade_import(lab_graded, tmp_path):
    course = lab_graded[0]
    out = tmp_path / "moodle.csv"
    mapping = tmp_path / "map.csv"
    with open(mapping, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["nbgrader_id", "Email address"])
        for s in SCORES:
            w.writerow([s, f"{s}@uni.example"])
    assert main(["--course", str(course.root), "export", "--format", "moodle", "--mapping", str(mapping),
                 "-o", str(out)]) == 0
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    header, body = rows[0], rows[1:]
    assert header == ["Email address", "lab1"]
    ids = [r[0] for r in body]
    assert len(set(ids)) == len(ids) == len(SCORES) and all("@" in i for i in ids)
    for r in body:
        assert len(r) == len(header) and all(_numeric_or_empty(v) for v in r[1:])
    assert {r[0]: float(r[1]) for r in body} == {f"{s}@uni.example": v for s, v in SCORES.items()}


def test_an_unmapped_student_stops_the_export_and_is_named(lab_graded, tmp_path, capsys):
    course = lab_graded[0]
    out = tmp_path / "canvas.csv"
    mapping = _mapping(tmp_path / "map.csv", students=("ada", "bob", "cy"))
    assert main(["--course", str(course.root), "export", "--format", "canvas", "--mapping", str(mapping),
                 "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "1 student(s)" in err and "'dee'" in err and str(mapping) in err and "nothing was written" in err
    assert not out.exists()


@pytest.mark.parametrize("content, message", [
    ("Student,ID\nAda,1\n", "no column 'nbgrader_id'"),
    ("nbgrader_id,Student,Section\nada,Ada,A\n", "none of the columns"),
    ("nbgrader_id,ID\nada,1\nada,2\n", "appears twice"),
    ("nbgrader_id,ID\nada,\n", "no Canvas id"),
])
def test_a_bad_mapping_file_is_explained(lab_graded, tmp_path, capsys, content, message):
    course = lab_graded[0]
    mapping = tmp_path / "map.csv"
    mapping.write_text(content)
    assert main(["--course", str(course.root), "export", "--format", "canvas", "--mapping", str(mapping),
                 "-o", str(tmp_path / "x.csv")]) == 2
    assert message in capsys.readouterr().err


def test_the_nbgrader_id_may_be_a_column_of_the_lms_export(lab_graded, tmp_path):
    """A Canvas gradebook export whose SIS Login ID is the nbgrader id is itself a mapping."""
    course = lab_graded[0]
    mapping = tmp_path / "canvas_export.csv"
    with open(mapping, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CANVAS_HEAD + ["Lab 1 (4711)"])
        w.writerow(["    Points Possible", "", "", "", "", "6"])
        for i, s in enumerate(SCORES):
            w.writerow([s.title(), 10 + i, f"S{i}", s, "Lab A", ""])
    out = tmp_path / "canvas.csv"
    assert main(["--course", str(course.root), "export", "--format", "canvas", "--mapping", str(mapping),
                 "--id-column", "SIS Login ID", "--column", "lab1=Lab 1 (4711)", "-o", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert rows[0]["Student"].strip() == "Points Possible" and rows[0]["Lab 1 (4711)"] == "6"
    assert {r["SIS Login ID"]: float(r["Lab 1 (4711)"]) for r in rows[1:]} == SCORES
