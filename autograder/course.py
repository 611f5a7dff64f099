"""Where everything lives in a course directory (nbgrader's layout plus `autograder/`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENV_COURSE = "AUTOGRADER_COURSE"


class CourseError(RuntimeError):
    """A problem the instructor must fix; the message says what to do."""


@dataclass(frozen=True)
class Course:
    root: Path

    @classmethod
    def locate(cls, path: str | os.PathLike | None, *, create: bool = True) -> "Course":
        """--course, else $AUTOGRADER_COURSE, else ./course (an uncommitted workspace).

        A path that exists but is not a folder is always refused; a missing folder is created
        only with `create` (the command line creates one for `release` and `demo` only)."""
        given = path or os.environ.get(ENV_COURSE)
        root = Path(given or "course").resolve()
        where = ("--course" if path else f"${ENV_COURSE}") if given else "the default ./course"
        if root.exists() and not root.is_dir():
            raise CourseError(f"the course directory {root} (from {where}) is a file, not a folder; "
                              "pass --course DIR with the course folder")
        if not root.exists():
            if not create:
                raise CourseError(f"the course directory {root} (from {where}) does not exist; pass "
                                  "--course DIR with the course folder (the one that holds "
                                  "gradebook.db and submitted/), or run `autograder release` first, "
                                  "which creates it")
            root.mkdir(parents=True, exist_ok=True)
        return cls(root)

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.gradebook}"

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    def source(self, assignment: str) -> Path:
        return self.root / "source" / assignment

    def release(self, assignment: str) -> Path:
        return self.root / "release" / assignment

    def work(self, assignment: str) -> Path:
        """The grader's private directory for one assignment (never shown to a sandbox)."""
        return self.root / "autograder" / assignment

    def reference(self, assignment: str) -> Path:
        return self.work(assignment) / "reference"

    def results(self, assignment: str) -> Path:
        return self.work(assignment) / "results"

    def grades_csv(self, assignment: str) -> Path:
        return self.work(assignment) / "grades.csv"

    def feedback(self, student: str, assignment: str) -> Path:
        return self.root / "feedback" / student / assignment


def check_name(kind: str, name: str) -> str:
    """Assignment and student names become paths: allow plain names only."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or name.startswith("."):
        raise CourseError(f"{kind} name {name!r} is not a plain directory name")
    return name
