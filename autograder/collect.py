"""`autograder collect ASSIGNMENT PATH`: import submissions into ``submitted/<student>/<assignment>/``.

PATH is either

- a folder of per-student **zip files**, as learning-management systems export them. The
  student id is the file name up to its first underscore (``hacker.zip``, ``hacker_ps1.zip``
  and ``hacker_2026-01-30.zip`` all belong to ``hacker``), or the ``student`` group of
  ``--pattern REGEX`` matched against the whole file name. Student ids are plain names
  (letters, digits, ``.``, ``-``, ``_``, ``@``). If every member of a zip lies in one folder,
  that folder is dropped (repeatedly), so ``hacker/ps1/problem1.ipynb`` lands as
  ``problem1.ipynb``. The submission's time is the zip's ``timestamp.txt`` when it has a
  plausible one, else the time of collection (never the dates of the members, which the
  student's machine sets), and is written to ``timestamp.txt`` as nbgrader does; or
- nbgrader's **exchange** (its root, a course folder in it or its ``inbound`` folder): every
  ``<student>+<assignment>+<timestamp>[+<random>]`` folder is a submission.

Archives are read, never extracted blindly: a zip with a member that is absolute, climbs out
with ``..``, is a symbolic link or other special file, is encrypted, repeats a name or is too
large is rejected as a whole, with the reason. Files are written one by one with
``O_EXCL | O_NOFOLLOW`` into a fresh folder, so no link is ever created or followed; folders
in the exchange that are links are skipped. When one student has several submissions (two
zips, two exchange folders, or an existing one), the newest is kept and the others are
reported; every change is logged in ``autograder/<assignment>/collect.log``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder import late
from autograder.course import Course, CourseError, check_name

STUDENT_RE = re.compile(r"[A-Za-z0-9@][A-Za-z0-9._@-]{0,99}")
DEFAULT_PATTERN = r"(?P<student>[^_]+?)(?:_.*)?\.zip"
MAX_MEMBERS = 2000
MAX_BYTES = 200 * 2**20
EXCHANGE_RE = re.compile(r"(?P<student>[^+]+)\+(?P<assignment>[^+]+)\+(?P<timestamp>[^+]+)(?:\+.*)?")


class Rejected(ValueError):
    """An archive or folder that is not imported; the message says why."""


@dataclass
class Candidate:
    student: str
    origin: str
    timestamp: dt.datetime | None
    load: object                      # callable(dest: Path) writing the files into dest
    note: str | None = None           # why the timestamp is the time of collection


@dataclass
class Report:
    imported: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"imported {s}" for s in self.imported] + [f"replaced {s}" for s in self.replaced]
        out += [f"kept {s}" for s in self.kept] + [f"DUPLICATE {s}" for s in self.duplicates]
        return out + [f"REJECTED {s}" for s in self.rejected]


# ----------------------------------------------------------------------------- writing safely
def _write_file(dest_root: Path, rel: PurePosixPath, chunks) -> int:
    """Create dest_root/rel (parents as real folders), refusing to follow or replace anything."""
    folder = dest_root
    for part in rel.parts[:-1]:
        folder = folder / part
        try:
            os.mkdir(folder, 0o755)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                raise Rejected(f"{rel}: {part} is both a file and a folder") from None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(folder / rel.name, flags, 0o644)
    except FileExistsError:
        raise Rejected(f"{rel}: the name occurs twice") from None
    total = 0
    with os.fdopen(fd, "wb") as fh:
        for chunk in chunks:
            total += len(chunk)
            if total > MAX_BYTES:
                raise Rejected(f"{rel}: more than {MAX_BYTES // 2**20} MB")
            fh.write(chunk)
    return total


def _safe_rel(name: str) -> PurePosixPath:
    if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name) or "\0" in name:
        raise Rejected(f"member {name!r} has an absolute or Windows path")
    rel = PurePosixPath(name)
    if any(part == ".." for part in rel.parts):
        raise Rejected(f"member {name!r} would land outside the submission folder (zip-slip)")
    parts = [p for p in rel.parts if p not in (".", "")]
    if not parts:
        raise Rejected(f"member {name!r} has no file name")
    return PurePosixPath(*parts)


# ----------------------------------------------------------------------------- zip files
def _zip_members(path: Path) -> tuple[list[tuple[zipfile.ZipInfo, PurePosixPath]], dt.datetime | None]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Rejected(f"{path.name}: not a readable zip file ({exc})") from None
    with archive:
        infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise Rejected(f"{path.name}: {len(infos)} members, more than {MAX_MEMBERS}")
    members, seen, total, newest = [], set(), 0, None
    for info in infos:
        mode = info.external_attr >> 16
        if info.is_dir():
            _safe_rel(info.filename)
            continue
        rel = _safe_rel(info.filename)
        if stat.S_IFMT(mode) and not stat.S_ISREG(mode):   # no type bits: a plain file
            kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
            raise Rejected(f"{path.name}: member {info.filename!r} is {kind}")
        if info.flag_bits & 0x1:
            raise Rejected(f"{path.name}: member {info.filename!r} is encrypted")
        key = str(rel).lower()
        if key in seen:
            raise Rejected(f"{path.name}: member {info.filename!r} occurs twice")
        seen.add(key)
        total += info.file_size
        if total > MAX_BYTES:
            raise Rejected(f"{path.name}: more than {MAX_BYTES // 2**20} MB uncompressed")
        members.append((info, rel))
        when = dt.datetime(*info.date_time)
        newest = when if newest is None or when > newest else newest
    if not members:
        raise Rejected(f"{path.name}: the archive is empty")
    while len({m[1].parts[0] for m in members}) == 1 and all(len(m[1].parts) > 1 for m in members):
        members = [(i, PurePosixPath(*r.parts[1:])) for i, r in members]
    return members, newest


def _zip_candidate(path: Path, pattern: re.Pattern) -> Candidate:
    match = pattern.fullmatch(path.name)
    if not match or not match.groupdict().get("student"):
        raise Rejected(f"{path.name}: the file name does not give a student id "
                       f"(rule: {pattern.pattern!r})")
    student = match.group("student")
    if not STUDENT_RE.fullmatch(student):
        raise Rejected(f"{path.name}: student id {student!r} is not a plain name")
    members, _newest = _zip_members(path)
    # the dates of zip members are whatever the student's machine set: never the submission time
    timestamp, note = None, f"no {late.TIMESTAMP_FILE} in the archive: the time of collection is used"
    for info, rel in members:
        if str(rel) == late.TIMESTAMP_FILE:
            if info.file_size > late.MAX_TIMESTAMP_BYTES:
                note = f"{late.TIMESTAMP_FILE} is too large: the time of collection is used"
                break
            with zipfile.ZipFile(path) as archive:
                raw = archive.read(info)
            timestamp, note = _plausible(raw)
            break
    if timestamp is None:
        timestamp = late.now_utc()

    def load(dest: Path) -> None:
        with zipfile.ZipFile(path) as archive:
            for info, rel in members:
                with archive.open(info) as fh:
                    _write_file(dest, rel, iter(lambda: fh.read(1 << 20), b""))

    return Candidate(student, path.name, timestamp, load, note)


def _plausible(raw: bytes) -> tuple[dt.datetime | None, str | None]:
    """(timestamp, None) for a trustworthy timestamp text, else (None, why)."""
    try:
        when = late.parse_timestamp(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return None, f"{late.TIMESTAMP_FILE} is unreadable ({exc}): the time of collection is used"
    if when > late.now_utc() + late.FUTURE_SLACK:
        return None, (f"{late.TIMESTAMP_FILE} says {when:%Y-%m-%d %H:%M:%S} UTC, in the future: "
                      "the time of collection is used")
    return when, None


# ----------------------------------------------------------------------------- nbgrader exchange
def _inbound(path: Path) -> Path | None:
    for cand in (path, path / "inbound", *sorted(path.glob("*/inbound"))):
        if cand.name == "inbound" and cand.is_dir() and not cand.is_symlink():
            return cand
    return None


def _exchange_candidate(folder: Path, assignment: str) -> Candidate | None:
    match = EXCHANGE_RE.fullmatch(folder.name)
    if not match or match.group("assignment") != assignment:
        return None
    student = match.group("student")
    if not STUDENT_RE.fullmatch(student):
        raise Rejected(f"{folder.name}: student id {student!r} is not a plain name")
    if folder.is_symlink() or not folder.is_dir():
        raise Rejected(f"{folder.name}: a link or not a folder")
    # nbgrader's exchange timestamp: its timestamp.txt, else the one in the folder's name;
    # neither readable (or in the future): the time of collection, never earlier
    timestamp, problem = late.read_timestamp(folder)
    note = None
    if timestamp is None or problem:
        timestamp, note = _plausible(match.group("timestamp").encode())
        if timestamp is None:
            timestamp = late.now_utc()
            note = (f"{problem or 'no ' + late.TIMESTAMP_FILE}; the folder name holds no plausible "
                    "timestamp either: the time of collection is used").replace(
                ": graded as submitted at the time of grading (the latest plausible time)", "")

    def load(dest: Path) -> None:
        for root, dirs, files in os.walk(folder):           # os.walk never follows links
            for name in sorted(files):
                src = Path(root) / name
                if not stat.S_ISREG(os.lstat(src).st_mode):
                    continue                                  # links and special files: skipped
                rel = PurePosixPath(src.relative_to(folder).as_posix())
                fd = os.open(src, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
                with os.fdopen(fd, "rb") as fh:
                    _write_file(dest, rel, iter(lambda: fh.read(1 << 20), b""))
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]

    return Candidate(student, folder.name, timestamp, load, note)


# ----------------------------------------------------------------------------- collecting
def _stamp(when: dt.datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S.%f UTC") if when else "no timestamp"


def collect(course: Course, assignment: str, path: str | os.PathLike, *, pattern: str | None = None,
            log=print) -> Report:
    check_name("assignment", assignment)
    source = Path(path)
    if not source.is_dir():
        raise CourseError(f"{source} is not a folder; pass a folder of per-student zip files or "
                          "nbgrader's exchange")
    report = Report()
    candidates: list[Candidate] = []
    inbound = _inbound(source)
    if inbound is not None:
        for folder in sorted(inbound.iterdir()):
            try:
                cand = _exchange_candidate(folder, assignment)
            except Rejected as exc:
                report.rejected.append(str(exc))
                continue
            if cand is not None:
                candidates.append(cand)
    else:
        try:
            regex = re.compile(pattern or DEFAULT_PATTERN)
        except re.error as exc:
            raise CourseError(f"--pattern {pattern!r} is not a regular expression: {exc}") from None
        if "student" not in regex.groupindex:
            raise CourseError("--pattern needs a named group (?P<student>...)")
        zips = sorted(p for p in source.iterdir() if p.suffix.lower() == ".zip")
        if not zips:
            raise CourseError(f"no .zip files and no nbgrader exchange (inbound/) in {source}")
        for zpath in zips:
            if zpath.is_symlink() or not zpath.is_file():
                report.rejected.append(f"{zpath.name}: a link or not a regular file")
                continue
            try:
                candidates.append(_zip_candidate(zpath, regex))
            except Rejected as exc:
                report.rejected.append(str(exc))

    newest: dict[str, Candidate] = {}
    minimum = dt.datetime.min
    for cand in candidates:
        other = newest.get(cand.student)
        if other is not None:
            keep, drop = sorted((cand, other), key=lambda c: (c.timestamp or minimum, c.origin))[::-1]
            report.duplicates.append(f"{cand.student}: {drop.origin} ({_stamp(drop.timestamp)}) and "
                                     f"{keep.origin} ({_stamp(keep.timestamp)}); the newest, "
                                     f"{keep.origin}, is kept")
            newest[cand.student] = keep
        else:
            newest[cand.student] = cand

    course.submitted.mkdir(parents=True, exist_ok=True)
    for student, cand in sorted(newest.items()):
        target = course.submitted / student / assignment
        existing, _ = late.read_timestamp(target) if target.is_dir() else (None, None)
        if target.exists() and existing is not None and cand.timestamp is not None \
                and cand.timestamp <= existing:
            report.kept.append(f"{student}: the submission in place ({_stamp(existing)}) is not "
                               f"older than {cand.origin} ({_stamp(cand.timestamp)})")
            continue
        tmp = Path(tempfile.mkdtemp(prefix=f".collect-{student}-", dir=course.submitted))
        try:
            cand.load(tmp)
            if cand.timestamp is not None:
                (tmp / late.TIMESTAMP_FILE).unlink(missing_ok=True)
                _write_file(tmp, PurePosixPath(late.TIMESTAMP_FILE),
                            [(cand.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC") + "\n").encode()])
        except (Rejected, OSError) as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            report.rejected.append(f"{cand.origin}: {exc}")
            continue
        (course.submitted / student).mkdir(exist_ok=True)
        if target.exists():
            old = target.with_name(f".{assignment}.replaced")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
            report.replaced.append(f"{student}: {_stamp(existing)} -> {cand.origin} ({_stamp(cand.timestamp)})"
                                   + (f"; {cand.note}" if cand.note else ""))
        else:
            os.replace(tmp, target)
            report.imported.append(f"{student}: {cand.origin} ({_stamp(cand.timestamp)})"
                                   + (f"; {cand.note}" if cand.note else ""))
    course.work(assignment).mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    with open(course.work(assignment) / "collect.log", "a", encoding="utf-8") as fh:
        for line in report.lines():
            fh.write(f"{now} {line}\n")
    for line in report.lines():
        log(f"[collect] {assignment}: {line}")
    log(f"[collect] {assignment}: {len(report.imported)} imported, {len(report.replaced)} replaced, "
        f"{len(report.kept)} kept, {len(report.duplicates)} duplicate(s), {len(report.rejected)} rejected")
    return report
