"""`autograder collect`: per-student zips and nbgrader's exchange, safely."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.collect import collect
from autograder.course import Course, CourseError

NB = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def make_zip(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return path


def no_links(root: Path) -> bool:
    return not any(p.is_symlink() for p in root.rglob("*"))


@pytest.fixture
def course(tmp_path):
    return Course.locate(tmp_path / "course")


def test_zips_land_by_the_documented_rule(course, tmp_path):
    inbox = tmp_path / "lms"
    inbox.mkdir()
    make_zip(inbox / "hacker_ps1_attempt.zip", {"ps1/problem1.ipynb": NB, "ps1/data/x.csv": b"1,2\n",
                                                "ps1/timestamp.txt": b"2015-02-01 09:28:58 America/Los_Angeles\n"})
    make_zip(inbox / "bitdiddle.zip", {"problem1.ipynb": NB})
    report = collect(course, "ps1", inbox, log=lambda *a: None)
    assert sorted(s.split(":")[0] for s in report.imported) == ["bitdiddle", "hacker"]
    hacker = course.submitted / "hacker" / "ps1"
    assert (hacker / "problem1.ipynb").read_bytes() == NB and (hacker / "data" / "x.csv").is_file()
    assert (hacker / "timestamp.txt").read_text().startswith("2015-02-01 17:28:58")   # in UTC
    assert (course.submitted / "bitdiddle" / "ps1" / "timestamp.txt").is_file()
    assert no_links(course.submitted)
    assert "imported hacker" in (course.work("ps1") / "collect.log").read_text()


def test_pattern_option(course, tmp_path):
    inbox = tmp_path / "lms"
    inbox.mkdir()
    make_zip(inbox / "Submission-42-amy.zip", {"a.ipynb": NB})
    report = collect(course, "ps1", inbox, pattern=r"Submission-\d+-(?P<student>\w+)\.zip", log=lambda *a: None)
    assert report.imported and (course.submitted / "amy" / "ps1" / "a.ipynb").is_file()
    with pytest.raises(CourseError, match="student"):
        collect(course, "ps1", inbox, pattern=r".*\.zip", log=lambda *a: None)


@pytest.mark.parametrize("members,links,reason", [
    ({"../evil.ipynb": NB}, None, "zip-slip"),
    ({"ps1/../../evil.ipynb": NB}, None, "zip-slip"),
    ({"/etc/evil.ipynb": NB}, None, "absolute"),
    ({"C:/evil.ipynb": NB}, None, "absolute"),
    ({"a.ipynb": NB}, {"link.ipynb": "/etc/passwd"}, "symbolic link"),
    ({"a.ipynb": NB, "A.ipynb": NB}, None, "twice"),
])
def test_dangerous_archives_are_rejected_whole(course, tmp_path, members, links, reason):
    inbox = tmp_path / "lms"
    inbox.mkdir()
    make_zip(inbox / "mallory.zip", members, links)
    report = collect(course, "ps1", inbox, log=lambda *a: None)
    assert not report.imported and any(reason in r for r in report.rejected), report.rejected
    assert not (course.submitted / "mallory").exists()
    assert not (tmp_path / "evil.ipynb").exists() and not (course.root / "evil.ipynb").exists()
    assert no_links(course.root)


def test_duplicates_keep_the_newest_and_resubmission_replaces(course, tmp_path):
    inbox = tmp_path / "lms"
    inbox.mkdir()
    make_zip(inbox / "amy_1.zip", {"a.ipynb": b"old", "timestamp.txt": b"2026-01-01 10:00:00 UTC"})
    make_zip(inbox / "amy_2.zip", {"a.ipynb": b"new", "timestamp.txt": b"2026-01-02 10:00:00 UTC"})
    report = collect(course, "ps1", inbox, log=lambda *a: None)
    assert len(report.duplicates) == 1 and "the newest, amy_2.zip, is kept" in report.duplicates[0]
    assert (course.submitted / "amy" / "ps1" / "a.ipynb").read_bytes() == b"new"
    later = tmp_path / "later"
    later.mkdir()
    make_zip(later / "amy.zip", {"a.ipynb": b"newest", "timestamp.txt": b"2026-01-03 10:00:00 UTC"})
    assert collect(course, "ps1", later, log=lambda *a: None).replaced
    assert (course.submitted / "amy" / "ps1" / "a.ipynb").read_bytes() == b"newest"
    older = tmp_path / "older"
    older.mkdir()
    make_zip(older / "amy.zip", {"a.ipynb": b"stale", "timestamp.txt": b"2025-12-01 10:00:00 UTC"})
    assert collect(course, "ps1", older, log=lambda *a: None).kept
    assert (course.submitted / "amy" / "ps1" / "a.ipynb").read_bytes() == b"newest"
    log = (course.work("ps1") / "collect.log").read_text()
    assert "DUPLICATE amy" in log and "replaced amy" in log and "kept amy" in log


def test_nbgrader_exchange(course, tmp_path):
    inbound = tmp_path / "exchange" / "course101" / "inbound"
    for name, body in (("hacker+ps1+2026-01-01 10:00:00.000000 UTC", b"first"),
                       ("hacker+ps1+2026-01-02 10:00:00.000000 UTC+abc", b"second"),
                       ("amy+ps1+2026-01-01 09:00:00.000000 UTC", b"amy"),
                       ("amy+other+2026-01-01 09:00:00.000000 UTC", b"other assignment")):
        folder = inbound / name
        folder.mkdir(parents=True)
        (folder / "problem1.ipynb").write_bytes(body)
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy")
    os.symlink(secret, inbound / "amy+ps1+2026-01-01 09:00:00.000000 UTC" / "leak.txt")
    report = collect(course, "ps1", tmp_path / "exchange", log=lambda *a: None)
    assert (course.submitted / "hacker" / "ps1" / "problem1.ipynb").read_bytes() == b"second"
    assert report.duplicates and "hacker" in report.duplicates[0]
    amy = course.submitted / "amy" / "ps1"
    assert (amy / "problem1.ipynb").read_bytes() == b"amy" and not (amy / "leak.txt").exists()
    assert no_links(course.submitted)


def test_cli_collect(tmp_path):
    inbox = tmp_path / "lms"
    inbox.mkdir()
    make_zip(inbox / "amy.zip", {"a.ipynb": NB})
    (tmp_path / "c").mkdir()          # only `release` creates a course folder
    proc = subprocess.run([sys.executable, "-m", "autograder", "--course", str(tmp_path / "c"),
                           "collect", "ps1", str(inbox)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "1 imported" in proc.stdout
