"""`autograder feedback`: one HTML page per student from the grader's verdicts.

Only verdict messages are shown (they never contain a hidden check's expected value) and the
cell names and points: no cell source, hence no hidden-test code.
"""

from __future__ import annotations

import html
from importlib.resources import files
from string import Template

from autograder.course import Course, CourseError
from autograder.gradebook import load_result
from autograder.submissions import display_name, student_key


def render(result: dict) -> str:
    rows = []
    for stem, cells in result.get("notebooks", {}).items():
        for gid, cell in cells.items():
            rows.append(f'<tr class="cell"><th colspan="2">{html.escape(stem)} &middot; '
                        f'{html.escape(gid)}</th><th>{cell["score"]:g} / {cell["points"]:g}</th></tr>')
            for check in cell["checks"]:
                mark = "passed" if check["passed"] else "failed"
                rows.append(f'<tr class="{mark}"><td>{html.escape(check["name"])}</td>'
                            f'<td><pre>{html.escape(check["message"])}</pre></td><td>{mark}</td></tr>')
    notes = [f for f in result.get("flags", []) if not f.startswith("WEAK SANDBOX")]
    template = Template(files("autograder").joinpath("templates/feedback.html").read_text("utf-8"))
    return template.substitute(
        student=html.escape(display_name(result["student"])), assignment=html.escape(result["assignment"]),
        score=f'{result["score"]:g}', max_score=f'{result["max_score"]:g}',
        status=html.escape(result["status"]), rows="\n".join(rows),
        notes="".join(f"<li>{html.escape(display_name(n, 2000))}</li>" for n in notes) or "<li>none</li>")


def write_feedback(course: Course, assignment: str, log=print) -> int:
    results_dir = course.results(assignment)
    paths = sorted(results_dir.glob("*.json")) if results_dir.is_dir() else []
    if not paths:
        raise CourseError(f"no graded submissions for {assignment!r}; run `autograder grade {assignment}` first")
    count = 0
    for path in paths:
        result = load_result(path)
        if result is None:
            log(f"[feedback] skipping unreadable {path}")
            continue
        out = course.feedback(student_key(str(result["student"])), assignment)
        out.mkdir(parents=True, exist_ok=True)
        (out / "feedback.html").write_text(render(result), encoding="utf-8")
        count += 1
    log(f"[feedback] {assignment}: {count} report(s) in {course.root / 'feedback'}")
    return count
