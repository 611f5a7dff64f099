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
FUTURE_SLACK = dt.timedelta(minutes=5)     # clocks of the exchange and the grader may differ


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def parse_timestamp(text: str) -> dt.datetime:
    """A naive UTC datetime from nbgrader's timestamp text; ValueError when unreadable.

    As nbgrader reads ``timestamp.txt`` (`CourseDirectory.get_existing_timestamp`): the whole
    text, stripped of white space, must be one timestamp (a blank first line is fine, a second
    line is not). A byte-order mark or a bare number (an epoch) is not a timestamp.
    """
    from nbgrader.utils import parse_utc

    text = text.strip()
    if not text or len(text) > MAX_TIMESTAMP_BYTES:
        raise ValueError("empty or overlong timestamp")
    if "\n" in text or "\r" in text:
        raise ValueError(f"more than one line in the timestamp {text[:60]!r}")
    if text.lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError(f"a bare number is not a timestamp ({text[:60]!r}); nbgrader writes "
                         "'2026-03-01 17:00:00.000000 UTC'")
    if not text.isprintable():
        raise ValueError(f"the timestamp {text[:60]!r} holds invisible characters")
    try:
        value = parse_utc(text)
    except Exception as exc:  # dateutil raises several kinds (ValueError, OverflowError, ...)
        raise ValueError(f"unreadable timestamp {text[:60]!r} ({type(exc).__name__})") from None
    if value is None:
        raise ValueError(f"unreadable timestamp {text[:60]!r}")
    return value


def read_timestamp(folder: Path, sub=None, *, released: dt.datetime | None = None,
                   now: dt.datetime | None = None) -> tuple[dt.datetime | None, str | None]:
    """(timestamp, problem) of a submission; (None, None) without a timestamp file.

    A missing ``timestamp.txt`` means "no timestamp", as in nbgrader (never late). A file that
    is there but cannot be trusted never makes the work on time: unreadable (a link, a FIFO, too
    large, undecodable, not one timestamp), in the future, or before the assignment was
    `released`. nbgrader refuses to grade such a submission; here it is graded as submitted at
    the latest plausible time, `now` (the time of grading), and `problem` says why, for a flag.

    With `sub` (an autograder.submissions.Submission) the file is opened level by level without
    following any link, and must be a small regular file with one name; `folder` is then unused.
    """
    from autograder.submissions import Rejected

    now = now or now_utc()
    if sub is None:
        from autograder.submissions import Submission

        folder = Path(folder)
        sub = Submission(folder.parent.name, folder.name, folder.parent.parent)

    def late_now(why: str) -> tuple[dt.datetime, str]:
        return now, (f"{TIMESTAMP_FILE} {why}: graded as submitted at the time of grading "
                     "(the latest plausible time)")

    try:
        raw = sub.read_other(TIMESTAMP_FILE, MAX_TIMESTAMP_BYTES)
    except FileNotFoundError:
        return None, None
    except Rejected as exc:
        if "No such file" in str(exc):
            return None, None
        return late_now(f"is unreadable ({exc})")
    except (OSError, ValueError) as exc:
        return late_now(f"is unreadable ({exc})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return late_now("is not UTF-8 text")
    try:
        when = parse_timestamp(text)
    except ValueError as exc:
        return late_now(f"is unreadable ({exc})")
    if when > now + FUTURE_SLACK:
        return late_now(f"says {when:%Y-%m-%d %H:%M:%S} UTC, in the future")
    if released is not None and when < released - FUTURE_SLACK:
        return late_now(f"says {when:%Y-%m-%d %H:%M:%S} UTC, before the assignment was released "
                        f"({released:%Y-%m-%d %H:%M:%S} UTC)")
    return when, None


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


def format_timestamp(when: dt.datetime) -> str:
    """nbgrader's timestamp format, in UTC."""
    return when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def released_at(manifest: dict | None) -> dt.datetime | None:
    """The release time of a reference manifest (UTC), when it records one."""
    text = (manifest or {}).get("released_utc")
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S") if text else None
    except (TypeError, ValueError):
        return None
