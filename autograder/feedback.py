"""`autograder feedback`: one HTML page per student from the grader's verdicts.

Only verdict messages are shown (they never contain a hidden check's expected value) and the
cell names and points: no cell source, hence no hidden-test code.
"""

from __future__ import annotations

import html
from importlib.resources import files
from pathlib import Path
from string import Template

from autograder import nbgrader_db
from autograder.course import Course, CourseError
from autograder.gradebook import load_result
from autograder.submissions import display_name, student_key


def _manual_rows(manual: list[dict]) -> str:
    rows = []
    for cell in manual:
        score = "not graded yet" if cell.get("score") is None else f'{cell["score"]:g}'
        rows.append(f'<tr class="cell"><th>{html.escape(cell["notebook"])} &middot; '
                    f'{html.escape(cell["cell"])} ({html.escape(cell["kind"])})</th>'
                    f'<td><pre>{html.escape(cell.get("comment") or "")}</pre></td>'
                    f'<td>{score} / {cell["points"]:g}</td></tr>')
    return "\n".join(rows) or '<tr><td colspan="3">none</td></tr>'


def _summary(summary: dict | None) -> str:
    if not summary:
        return "Automatic part only (the gradebook has no entry yet)."
    parts = [f'submitted {html.escape(summary["timestamp"] or "(no timestamp)")}']
    if summary["seconds_late"] > 0:
        parts.append(f'{summary["seconds_late"] / 3600:.2f} hours late, penalty {summary["late_penalty"]:g}')
    manual = "not graded yet" if summary["manual_score"] is None else f'{summary["manual_score"]:g}'
    parts.append(f'automatic {summary["auto_score"]:g}, by hand {manual}')
    parts.append(f'total <strong>{summary["total_score"]:g} / {summary["total_max_score"]:g}</strong>'
                 + (" (cells still to grade by hand)" if summary["needs_manual_grade"] else ""))
    return " &middot; ".join(parts)


def render(result: dict, manual: list[dict] | None = None, summary: dict | None = None) -> str:
    rows = []
    for stem, cells in result.get("notebooks", {}).items():
        for gid, cell in cells.items():
            note = (' <span class="in-process">(an in-process test: it ran in your notebook\'s own '
                    'process, for example because it expects an error, so its verdict is the '
                    'weaker kind)</span>') if cell.get("in_process") else ""
            rows.append(f'<tr class="cell"><th colspan="2">{html.escape(stem)} &middot; '
                        f'{html.escape(gid)}{note}</th><th>{cell["score"]:g} / {cell["points"]:g}</th></tr>')
            for check in cell["checks"]:
                if check["passed"] and ".nbgrader." in check["name"]:
                    continue          # bookkeeping of rewritten plain-assert cells
                mark = "passed" if check["passed"] else "failed"
                rows.append(f'<tr class="{mark}"><td>{html.escape(check["name"])}</td>'
                            f'<td><pre>{html.escape(check["message"])}</pre></td><td>{mark}</td></tr>')
    notes = [f for f in result.get("flags", []) if not f.startswith("WEAK SANDBOX")]
    template = Template(files("autograder").joinpath("templates/feedback.html").read_text("utf-8"))
    return template.substitute(
        student=html.escape(display_name(result["student"])), assignment=html.escape(result["assignment"]),
        score=f'{result["score"]:g}', max_score=f'{result["max_score"]:g}',
        status=html.escape(result["status"]), rows="\n".join(rows),
        manual=_manual_rows(manual or []), summary=_summary(summary),
        notes="".join(f"<li>{html.escape(display_name(n, 2000))}</li>" for n in notes) or "<li>none</li>")


def write_feedback(course: Course, assignment: str, log=print, *, release: bool = False,
                   exchange: str | None = None, course_id: str | None = None) -> int:
    if release and exchange is not None and not Path(exchange).is_dir():
        raise CourseError(f"--exchange {exchange} is not a folder; give nbgrader's exchange folder "
                          "(the one that holds <course id>/outbound and inbound)")
    results_dir = course.results(assignment)
    paths = sorted(results_dir.glob("*.json")) if results_dir.is_dir() else []
    if not paths:
        raise CourseError(f"no graded submissions for {assignment!r}; run `autograder grade {assignment}` first")
    ok, why = nbgrader_db.generate_feedback(course, assignment)   # nbgrader's pages first (it
    if ok:                                                         # replaces feedback/<s>/<a>/)
        log(f"[feedback] {assignment}: nbgrader's per-notebook HTML feedback written")
    elif why != "no autograded notebooks":
        log(f"[feedback] {assignment}: nbgrader generate_feedback failed: {why}")
    count = 0
    for path in paths:
        result = load_result(path)
        if result is None:
            log(f"[feedback] skipping unreadable {path}")
            continue
        student_id = result.get("student_id") or student_key(str(result["student"]))
        out = course.feedback(student_id, assignment)
        out.mkdir(parents=True, exist_ok=True)
        manual = nbgrader_db.manual_cells(course, assignment, student_id)
        summary = nbgrader_db.submission_summary(course, assignment, student_id)
        (out / "feedback.html").write_text(render(result, manual, summary), encoding="utf-8")
        nbgrader_db.complete_feedback_folder(course, assignment, student_id, summary)
        count += 1
    log(f"[feedback] {assignment}: {count} report(s) in {course.root / 'feedback'}")
    if release:
        text = nbgrader_db.release_feedback(course, assignment, exchange=exchange, course_id=course_id)
        released = text.count("Feedback released to")
        log(f"[feedback] {assignment}: nbgrader release_feedback put {released} page(s) into the exchange")
    return count
