"""Find and read submissions without ever following a link: DIR/<student>/<assignment>/*.ipynb.

Every level is looked at with `lstat` and opened with ``O_NOFOLLOW`` relative to the descriptor
of the level above, so a symbolic link, a hard link (a notebook with more than one name: it may
be the instructor's file), a FIFO, a device or a socket anywhere on the path to a notebook is
never read: the submission gets status ``rejected``, zero points and a flag that says why.

Student folder names are shown as they are (escaped) but never used as file names: every
student gets a safe internal key (`student_key`), the name itself when it is short and plain,
else a hash.
"""

from __future__ import annotations

import hashlib
import os
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from nnkit.checks import read_fd_capped

MAX_NOTEBOOK_BYTES = 20 * 2**20
MAX_KEY_BYTES = 80
MAX_NOTEBOOKS = 50                   # notebooks looked at in one assignment folder
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)


class Rejected(ValueError):
    """Something on the path to a notebook is not a plain folder or file; the message says what."""


def _plain_name(name: str) -> bool:
    if not name or name.startswith((".", "~", "-", "=", "+", "@")) or name != name.strip():
        return False
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:            # undecodable bytes (surrogate escapes)
        return False
    return (size <= MAX_KEY_BYTES and name.isprintable() and unicodedata.is_normalized("NFC", name)
            and not any(c in name for c in "/\\:*?\"<>|%'`$;,"))


def student_key(name: str) -> str:
    """A safe internal key for a student folder name: the name if plain, else ``~`` + a hash.

    Plain names never start with ``~``, so a hashed key cannot collide with a real name.
    """
    if _plain_name(name):
        return name
    raw = name.encode("utf-8", "surrogateescape")
    return "~" + hashlib.sha256(raw).hexdigest()[:32]


def display_name(text: str, limit: int = 300) -> str:
    """`text` with control, format and undecodable characters escaped (``\\n``, ``\\x1b``, ...)."""
    out = []
    for ch in str(text):
        if ch.isprintable() or ch == " ":
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape", "backslashreplace").decode("ascii")
                       if not 0xDC80 <= ord(ch) <= 0xDCFF else f"\\x{ord(ch) - 0xDC00:02x}")
    shown = "".join(out)
    return shown if len(shown) <= limit else shown[:limit] + f"... ({len(shown)} characters)"


@dataclass
class Submission:
    student: str                         # the folder name as found (may hold anything)
    assignment: str
    directory: Path                      # DIR (the submissions folder)
    files: list[str] = field(default_factory=list)   # notebook file names, all checked
    rejected: str | None = None          # why the submission is not read at all
    problem: str | None = None           # a failure to even look at it (an OSError)

    @property
    def key_name(self) -> str:
        return student_key(self.student)

    @property
    def path(self) -> Path:
        return self.directory / self.student / self.assignment

    def read(self, name: str, limit: int = MAX_NOTEBOOK_BYTES) -> bytes:
        """The bytes of notebook `name`, opened level by level without following anything.

        Raises `Rejected` for a link, hard link or special file, `ValueError` when over `limit`.
        """
        if name not in self.files:
            raise Rejected(f"{display_name(name)} is not one of the submitted notebooks")
        return self.read_other(name, limit)

    def read_other(self, name: str, limit: int) -> bytes:
        """Any file `name` of the submission folder (e.g. timestamp.txt), read as `read` does."""
        if "/" in name or name in ("", ".", ".."):
            raise Rejected(f"{display_name(name)} is not a plain file name")
        root = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        fds = [root]
        try:
            for part in (self.student, self.assignment):
                try:
                    fds.append(os.open(part, _DIR, dir_fd=fds[-1]))
                except OSError as exc:
                    raise Rejected(f"{display_name(part)} is not a plain folder ({exc.strerror})") from None
            try:
                fd = os.open(name, _FILE, dir_fd=fds[-1])
            except OSError as exc:
                raise Rejected(f"{display_name(name)} cannot be opened as a plain file ({exc.strerror})") from None
            fds.append(fd)
            st = os.fstat(fd)
            why = _file_problem(st)
            if why:
                raise Rejected(f"{display_name(name)} {why}")
            if st.st_size > limit:
                raise ValueError(f"{display_name(name)} is {st.st_size / 2**20:.0f} MB, over the "
                                 f"{limit // 2**20} MB limit (clear the outputs and resubmit)")
            try:
                return read_fd_capped(fd, limit)
            except ValueError:
                raise ValueError(f"{display_name(name)} is over the {limit // 2**20} MB limit") from None
        finally:
            for fd in reversed(fds):
                os.close(fd)

    def key(self, reference) -> str:
        """Content hash of the submitted notebooks + grader version + reference answers."""
        from autograder import __version__

        h = hashlib.sha256(f"{__version__}|{reference.manifest.get('reference_hash')}".encode())
        if self.rejected:
            h.update(b"rejected\0" + self.rejected.encode("utf-8", "surrogateescape"))
        for name in sorted(self.files):
            h.update(name.encode("utf-8", "surrogateescape") + b"\0")
            try:
                h.update(hashlib.sha256(self.read(name)).digest())
            except (OSError, ValueError) as exc:
                h.update(f"unreadable {type(exc).__name__}".encode())
            h.update(b"\0")
        return h.hexdigest()[:32]


def _file_problem(st: os.stat_result) -> str | None:
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        return "is a symbolic link"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a file"
    if stat.S_ISDIR(mode):
        return "is a folder, not a notebook file"
    if not stat.S_ISREG(mode):
        return "is not a regular file"
    if st.st_nlink > 1:
        return (f"is a hard link ({st.st_nlink} names for one file; it may be someone else's file): "
                "submit a copy, never a link")
    return None


def _kind(st: os.stat_result) -> str:
    return _file_problem(st) or "is a file"


def find_submissions(directory: Path, assignment: str, only: str | None = None) -> list[Submission]:
    """Every DIR/<student>/<assignment> gives exactly one submission (even with no notebook).

    A student entry that is a symbolic link (or anything on the way that is not a plain folder
    or file) gives a rejected submission; plain files next to the student folders are ignored.
    """
    from autograder.course import CourseError

    directory = Path(directory)
    subs = []
    if not directory.is_dir():
        raise CourseError(f"no submissions directory {directory}; pass --submissions DIR "
                          "(laid out as DIR/<student>/<assignment>/*.ipynb)")
    root = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        names = [only] if only is not None else sorted(os.listdir(root))
        for name in names:
            sub = Submission(name, assignment, directory)
            try:
                st = os.lstat(name, dir_fd=root)
                if stat.S_ISREG(st.st_mode):
                    continue                      # a note or a spreadsheet next to the folders
                if not stat.S_ISDIR(st.st_mode):
                    sub.rejected = f"the student folder {_kind(st)}"
                    subs.append(sub)
                    continue
                sfd = os.open(name, _DIR, dir_fd=root)
                try:
                    try:
                        ast = os.lstat(assignment, dir_fd=sfd)
                    except FileNotFoundError:
                        continue                  # this student has not submitted this assignment
                    if not stat.S_ISDIR(ast.st_mode):
                        sub.rejected = f"the assignment folder {_kind(ast)}"
                        subs.append(sub)
                        continue
                    afd = os.open(assignment, _DIR, dir_fd=sfd)
                    try:
                        bad = []
                        for entry in sorted(os.listdir(afd)):
                            if not entry.endswith(".ipynb"):
                                continue
                            why = _file_problem(os.lstat(entry, dir_fd=afd))
                            if why:
                                bad.append(f"{display_name(entry)} {why}")
                            else:
                                sub.files.append(entry)
                        if len(sub.files) + len(bad) > MAX_NOTEBOOKS:
                            bad.append(f"{len(sub.files) + len(bad)} notebooks in the assignment "
                                       f"folder (at most {MAX_NOTEBOOKS})")
                            sub.files = []
                        if bad:
                            sub.rejected = "; ".join(bad[:5])
                    finally:
                        os.close(afd)
                finally:
                    os.close(sfd)
            except OSError as exc:
                sub.problem = f"could not look at the submission: {type(exc).__name__}: {exc.strerror}"
            subs.append(sub)
    finally:
        os.close(root)
    return subs
