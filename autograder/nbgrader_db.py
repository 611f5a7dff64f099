"""Write our verdicts the way `nbgrader autograde` does, so nbgrader's own tools take over.

For each graded submission this module

- writes ``autograded/<student>/<assignment>/<notebook>.ipynb``: the notebook that ran (the
  instructor's cells, the student's answers) with nbgrader's cell metadata and checksums, plus
  the assignment's data files and the ``timestamp.txt``. Test cells carry no output of the
  student's process (nothing they print reaches the instructor's browser): a passed cell shows
  a line of text, a failed one an ``AutograderCheckFailed`` error listing the failed checks,
  a partly passed one its score as the cell's result;
- fills nbgrader's gradebook with nbgrader's own rules (``nbgrader.utils.determine_grade`` on
  that notebook, as its ``SaveAutoGrades`` does): automatic scores of test cells, "needs manual
  grading" for written and code answers and tasks, an automatic zero and the comment "No
  response." for an answer left as released, zeros for a notebook that was not submitted;
- records the submission's timestamp and applies the late penalty of the course's
  ``nbgrader_config.py`` (``AssignLatePenalties.plugin_class``), per notebook, as nbgrader does.

So ``nbgrader formgrader`` lists the manual cells and ``nbgrader generate_feedback`` works.
`summary` reads the scores back (manual scores and comments included) for our feedback and
export.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import nbformat

from autograder import datafiles, late
from autograder.course import Course, CourseError
from autograder.rebuild import InvalidNotebook, grade_id, nbgrader_meta, parse_submission, rebuild

FAILED = "AutograderCheckFailed"


@lru_cache(maxsize=8)
def _reference(ref_root: str, stamp: float):
    root = Path(ref_root)
    manifest = json.loads((root / "manifest.json").read_text())
    notebooks = {}
    for stem in manifest["notebooks"]:
        original = root / stem / "original.ipynb"
        source = original if original.is_file() else root / stem / "source.ipynb"
        notebooks[stem] = (nbformat.read(source, as_version=4),
                           nbformat.read(root / stem / "release.ipynb", as_version=4))
    return manifest, notebooks


def load(course: Course, assignment: str):
    root = course.reference(assignment)
    return _reference(str(root), (root / "manifest.json").stat().st_mtime)


def late_penalties(course: Course):
    """nbgrader's AssignLatePenalties configured from the course's nbgrader_config.py."""
    from nbgrader.preprocessors import AssignLatePenalties
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    if (course.root / "nbgrader_config.py").is_file():
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
    pp = AssignLatePenalties(config=config)
    pp.init_plugin()
    return pp


def _outputs(cell_result: dict) -> list:
    from nbformat.v4 import new_output

    score, points = cell_result["score"], cell_result["points"]
    failed = [c["message"] for c in cell_result["checks"] if not c["passed"]]
    if score >= points:
        return [new_output("stream", name="stdout",
                           text=f"autograder: passed ({len(cell_result['checks'])} check(s))\n")]
    if score <= 0:
        text = "\n".join(failed) or "no check ran"
        return [new_output("error", ename=FAILED, evalue=text.splitlines()[0][:300],
                           traceback=[f"{FAILED}: {line}" for line in text.splitlines()[:40]])]
    return [new_output("stream", name="stdout", text="\n".join(failed)[:4000] + "\n"),
            new_output("execute_result", data={"text/plain": repr(float(score))}, execution_count=None)]


def autograded_notebook(original, release, student_nb, cells: dict):
    """The notebook nbgrader's tools read: metadata from the release, our verdicts as outputs."""
    built = rebuild(original, release, student_nb).notebook
    released = {grade_id(c): c for c in release.cells if grade_id(c)}
    for cell in built.cells:
        gid = grade_id(cell)
        if gid in released:
            cell.metadata["nbgrader"] = copy.deepcopy(nbgrader_meta(released[gid]))
        if cell.cell_type == "code":
            cell.outputs = _outputs(cells[gid]) if gid in cells else []
    built.metadata = copy.deepcopy(release.metadata)
    return built


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _save_grades(gb, nb, stem: str, assignment: str, student: str) -> None:
    """nbgrader's SaveAutoGrades, on our session (one transaction per submission)."""
    from nbgrader import utils

    for cell in nb.cells:
        if utils.is_grade(cell):
            grade = gb.find_grade(grade_id(cell), stem, assignment, student)
            grade.auto_score, _ = utils.determine_grade(cell)
            grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
        if utils.is_solution(cell) or utils.is_task(cell):
            comment = gb.find_comment(grade_id(cell), stem, assignment, student)
            unchanged = cell.metadata.nbgrader.get("checksum") == utils.compute_checksum(cell)
            comment.auto_comment = "No response." if unchanged and not utils.is_task(cell) else None


def _notebook_names(sub) -> list[str]:
    """The submission's plain notebook files (links and special files left out), link-free."""
    from autograder.submissions import find_submissions

    try:
        found = find_submissions(sub.directory, sub.assignment, only=sub.student)
    except Exception:  # noqa: BLE001 - a folder that vanished: nothing submitted
        return []
    return list(found[0].files) if found and not found[0].rejected and not found[0].problem else []


def _released(gb, manifest: dict, assignment: str):
    """When students got the assignment, as far as the grader knows: the first release time,
    when a due date after it says that the course runs through this grader. Without a due date
    (nothing can be late) or with one before it (the course was released elsewhere and imported
    later, as when old submissions are graded again) the time is unknown."""
    released = late.released_at(manifest)
    try:
        due = gb.find_assignment(assignment).duedate
    except Exception:  # noqa: BLE001 - no such assignment yet
        due = None
    return released if released is not None and due is not None and due >= released else None


def save(gb, course: Course, result: dict) -> dict:
    """Gradebook entries, autograded/ folder and late penalty of one result (no commit)."""
    from autograder.submissions import Submission, student_key

    assignment, name = result["assignment"], result["student"]
    student = result.get("student_id") or student_key(str(name))   # the safe gradebook id
    manifest, notebooks = load(course, assignment)
    folder = Path(result.get("submission") or course.submitted / name / assignment)
    # read link-free, level by level (autograder.submissions), never following anything
    sub = Submission(name, assignment, folder.parent.parent)
    timestamp, problem = late.read_timestamp(folder, sub, released=_released(gb, manifest, assignment))
    if problem and problem not in result["flags"]:   # never on time: late at the latest time
        result["flags"].append(problem)
    gb.update_or_create_student(student)
    try:
        before = gb.find_submission(assignment, student).timestamp
    except Exception:
        before = None
    if before is not None and timestamp is not None and before != timestamp:
        note = (f"graded the submission of {timestamp:%Y-%m-%d %H:%M:%S} UTC, replacing the one of "
                f"{before:%Y-%m-%d %H:%M:%S} UTC")
        if note not in result["flags"]:
            result["flags"].append(note)
    if timestamp is not None:
        submission = gb.update_or_create_submission(assignment, student, timestamp=timestamp)
    else:
        submission = gb.update_or_create_submission(assignment, student)
    out_dir = course.root / "autograded" / student / assignment
    out_dir.mkdir(parents=True, exist_ok=True)
    datafiles.copy_in(course.release(assignment), out_dir)
    if timestamp is not None:    # the time graded with (nbgrader's format), not the raw file
        _write_atomic(out_dir / late.TIMESTAMP_FILE, late.format_timestamp(timestamp) + "\n")
    _submission_secret(sub, out_dir)
    files = _notebook_names(sub) if result.get("status") != "rejected" else []
    sub.files = files
    for stem, (original, release) in notebooks.items():
        fname = f"{stem}.ipynb"
        if fname not in files and len(notebooks) == 1 and len(files) == 1:
            fname = files[0]
        try:
            student_nb = parse_submission(sub.read(fname), fname)[0] if fname in files else None
        except (InvalidNotebook, OSError, ValueError):
            student_nb = None
        if student_nb is None:       # nbgrader: a missing notebook scores zero everywhere
            for grade in gb.find_submission_notebook(stem, assignment, student).grades:
                grade.auto_score, grade.needs_manual_grade = 0, False
            (out_dir / f"{stem}.ipynb").unlink(missing_ok=True)
            continue
        cells = result["notebooks"].get(stem, {})
        try:
            nb = autograded_notebook(original, release, student_nb, cells)
            _save_grades(gb, nb, stem, assignment, student)
            _write_atomic(out_dir / f"{stem}.ipynb", nbformat.writes(nb))
        except Exception as exc:   # never lose the scores over the formgrader copy
            for gid, cell in cells.items():
                gb.find_grade(gid, stem, assignment, student).auto_score = float(cell["score"])
            note = f"{stem}: autograded notebook not written ({type(exc).__name__}: {str(exc)[:200]})"
            if note not in result["flags"]:
                result["flags"].append(note)
    gb.db.flush()
    penalties = late_penalties(course)
    for stem in notebooks:
        notebook = gb.find_submission_notebook(stem, assignment, student)
        notebook.late_submission_penalty = None
        if submission.total_seconds_late > 0:
            penalty = penalties.plugin_inst.late_submission_penalty(
                student, notebook.score, submission.total_seconds_late)
            if penalty is not None:
                notebook.late_submission_penalty = penalties._check_late_penalty(notebook, penalty)
    gb.db.flush()
    info = summary_of(submission)
    if problem and problem not in result["flags"]:
        result["flags"].append(problem)
    result.update(info)
    return info


SECRET_FILE = "submission_secret.txt"        # nbgrader's release_feedback hashes feedback with it


def _submission_secret(sub, out_dir: Path) -> None:
    """autograded/<s>/<a>/submission_secret.txt, as nbgrader's exchange would have left it.

    A submission that came through the exchange (nbgrader submit, then `autograder collect` or
    `nbgrader collect`) has the student's secret: it is copied, read link-free. One copied in by
    hand has none: a new random secret is made once and kept, so that nbgrader's
    release_feedback can run (such a student fetches feedback from you, not from the exchange)."""
    import secrets

    from autograder.submissions import Rejected

    try:
        text = sub.read_other(SECRET_FILE, 4096).decode("ascii").strip()
    except (Rejected, OSError, ValueError, UnicodeDecodeError):
        text = ""
    if not text or not all(c.isalnum() for c in text):
        target = out_dir / SECRET_FILE
        if target.is_file() and not target.is_symlink():
            return
        text = secrets.token_hex(64)
    _write_atomic(out_dir / SECRET_FILE, text)


def summary_of(submission) -> dict:
    """Scores of one nbgrader submission: automatic, manual, penalty, timestamp."""
    auto = manual = extra = 0.0
    any_manual = False
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            if grade.manual_score is not None:
                manual += grade.manual_score
                any_manual = True
            auto += grade.auto_score or 0.0
            extra += grade.extra_credit or 0.0
    timestamp = submission.timestamp
    return {"timestamp": timestamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC") if timestamp else "",
            "seconds_late": float(submission.total_seconds_late),
            "late_penalty": float(submission.late_submission_penalty or 0.0),
            "auto_score": auto, "manual_score": manual if any_manual else None,
            "extra_credit": extra, "needs_manual_grade": bool(submission.needs_manual_grade),
            "total_score": float(submission.score) - float(submission.late_submission_penalty or 0.0),
            "total_max_score": float(submission.max_score)}


def manual_cells(course: Course, assignment: str, student: str) -> list[dict]:
    """Per manual cell (answers and tasks): points, scores and comments from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    from autograder.gradebook import locked

    manifest, _ = load(course, assignment)
    rows = []
    with locked(course), Gradebook(course.db_url) as gb:
        for stem, info in manifest["notebooks"].items():
            for gid, cell in info.get("manual", {}).items():
                row = {"notebook": stem, "cell": gid, "kind": cell["kind"], "points": cell["points"],
                       "score": None, "needs_manual_grade": True, "comment": ""}
                try:
                    grade = gb.find_grade(gid, stem, assignment, student)
                    row["score"] = grade.manual_score if grade.manual_score is not None else grade.auto_score
                    row["needs_manual_grade"] = bool(grade.needs_manual_grade)
                    row["extra_credit"] = grade.extra_credit
                except MissingEntry:
                    pass
                try:
                    comment = gb.find_comment(gid, stem, assignment, student)
                    row["comment"] = comment.comment or ""
                except MissingEntry:
                    pass
                rows.append(row)
    return rows


def submission_summary(course: Course, assignment: str, student: str) -> dict | None:
    from nbgrader.api import Gradebook, MissingEntry

    from autograder.gradebook import locked

    with locked(course), Gradebook(course.db_url) as gb:
        try:
            return summary_of(gb.find_submission(assignment, student))
        except MissingEntry:
            return None


def generate_feedback(course: Course, assignment: str) -> tuple[bool, str]:
    """nbgrader's own HTML feedback from autograded/ (hidden tests cleared), into feedback/."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.apps import NbGraderAPI
    from nbgrader.preprocessors import ClearHiddenTests, GetGrades
    from traitlets.config import Config

    if not any((course.root / "autograded").glob(f"*/{assignment}/*.ipynb")):
        return False, "no autograded notebooks"
    config = Config()
    config.CourseDirectory.root = str(course.root)
    config.CourseDirectory.db_url = course.db_url
    config.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
    result = NbGraderAPI(config=config).generate_feedback(assignment, force=True)
    return bool(result.get("success")), (result.get("error") or result.get("log") or "")[-2000:]


def complete_feedback_folder(course: Course, assignment: str, student: str, summary: dict | None) -> None:
    """feedback/<s>/<a>/ gets what nbgrader's release_feedback reads besides the HTML: the
    submission's secret and its timestamp (the gradebook's, else the time of this feedback)."""
    folder = course.feedback(student, assignment)
    graded = course.root / "autograded" / student / assignment
    for name in (SECRET_FILE, late.TIMESTAMP_FILE):
        target = folder / name
        if target.is_file() and not target.is_symlink():
            continue
        source = graded / name
        if source.is_file() and not source.is_symlink():
            _write_atomic(target, source.read_text(encoding="utf-8", errors="replace"))
        elif name == late.TIMESTAMP_FILE:
            stamp = (summary or {}).get("timestamp") or dt.datetime.now(dt.timezone.utc).strftime(
                "%Y-%m-%d %H:%M:%S.%f UTC")
            _write_atomic(target, stamp + "\n")
        else:
            _write_atomic(target, __import__("secrets").token_hex(64))


def release_feedback(course: Course, assignment: str, *, exchange: str | None = None,
                     course_id: str | None = None) -> str:
    """nbgrader's own `release_feedback` on the course (its nbgrader_config.py is read)."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "nbgrader", "release_feedback", assignment,
           f"--CourseDirectory.root={course.root}", f"--CourseDirectory.db_url={course.db_url}"]
    if exchange:
        cmd.append(f"--Exchange.root={exchange}")
    if course_id:
        cmd.append(f"--CourseDirectory.course_id={course_id}")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run(cmd, cwd=course.root, env=env, capture_output=True, text=True)
    text = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        hint = ""
        if "unwritable directory" in text.lower():
            hint = (" The exchange folder is missing or not writable: give it with --exchange DIR "
                    "(or c.Exchange.root in the course's nbgrader_config.py).")
        if "course id" in text.lower():
            hint = (" Give the course id with --course-id ID (or c.CourseDirectory.course_id in the "
                    "course's nbgrader_config.py).")
        raise CourseError(f"nbgrader release_feedback failed for {assignment!r}:{hint}\n{text[-2000:]}")
    return text
