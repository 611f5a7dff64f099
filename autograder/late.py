"""Late work: nbgrader's ``timestamp.txt``, the assignment's due date and its late penalty.

The timestamp of a submission is the first line of ``timestamp.txt`` in its folder, in the
format nbgrader writes (``2015-02-02 14:58:23.948203 America/Los_Angeles``; any time zone or
UTC offset nbgrader understands). The due date lives in nbgrader's gradebook (set it with
``autograder release A --due DATE`` or ``nbgrader db assignment add A --duedate DATE``). The
penalty is nbgrader's own: the ``AssignLatePenalties.plugin_class`` of the course's
``nbgrader_config.py`` (default: no penalty), applied per notebook as ``nbgrader autograde``
does, when the gradebook is written (see autograder.nbgrader_db).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from autograder.course import Course, CourseError

TIMESTAMP_FILE = "timestamp.txt"
MAX_TIMESTAMP_BYTES = 200


def parse_timestamp(text: str) -> dt.datetime:
    """A naive UTC datetime from nbgrader's timestamp text; ValueError when unreadable."""
    from nbgrader.utils import parse_utc

    text = text.strip()
    if not text or len(text) > MAX_TIMESTAMP_BYTES:
        raise ValueError("empty or overlong timestamp")
    try:
        value = parse_utc(text)
    except Exception as exc:  # dateutil raises several kinds
        raise ValueError(f"unreadable timestamp {text[:60]!r} ({type(exc).__name__})") from None
    if value is None:
        raise ValueError(f"unreadable timestamp {text[:60]!r}")
    return value


def read_timestamp(folder: Path, sub=None) -> tuple[dt.datetime | None, str | None]:
    """(timestamp, problem) of a submission; (None, None) without a timestamp file.

    With `sub` (an autograder.submissions.Submission) the file is opened level by level without
    following any link, and must be a small regular file with one name; `folder` is then unused.
    """
    from autograder.submissions import Rejected

    if sub is None:
        from autograder.submissions import Submission

        folder = Path(folder)
        sub = Submission(folder.parent.name, folder.name, folder.parent.parent)
    try:
        raw = sub.read_other(TIMESTAMP_FILE, MAX_TIMESTAMP_BYTES)
    except FileNotFoundError:
        return None, None
    except Rejected as exc:
        if "No such file" in str(exc):
            return None, None
        return None, f"{TIMESTAMP_FILE} ignored: {exc}"
    except (OSError, ValueError) as exc:
        return None, f"{TIMESTAMP_FILE} ignored: {exc}"
    try:
        return parse_timestamp(raw.decode("utf-8", errors="replace").splitlines()[0] if raw else ""), None
    except (ValueError, IndexError) as exc:
        return None, f"{TIMESTAMP_FILE} ignored: {exc}"


def set_due_date(course: Course, assignment: str, due: str) -> str:
    """Store `due` (nbgrader's formats) as the assignment's due date in the gradebook."""
    from nbgrader.api import Gradebook

    from autograder.gradebook import locked

    try:
        when = parse_timestamp(due)
    except ValueError as exc:
        raise CourseError(f"--due {due!r}: {exc}; write it like '2026-03-01 17:00:00 Europe/Berlin'") from None
    with locked(course), Gradebook(course.db_url) as gb:
        gb.update_or_create_assignment(assignment, duedate=when)
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def seconds_late(timestamp: dt.datetime | None, due: dt.datetime | None) -> float:
    if timestamp is None or due is None:
        return 0.0
    return max(0.0, (timestamp - due).total_seconds())
