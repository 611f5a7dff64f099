"""The `autograder` command (also `python -m autograder`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder import __version__
from autograder.course import ENV_COURSE, Course, CourseError, check_name
from autograder.sandbox import Limits


def _limits(args) -> Limits:
    base = Limits()
    return Limits(cell_timeout=args.cell_timeout or base.cell_timeout,
                  notebook_timeout=args.notebook_timeout or base.notebook_timeout,
                  memory_bytes=(args.memory_mb * 2**20) if args.memory_mb else base.memory_bytes)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autograder", description="Release, grade (sandboxed), give feedback on and export "
        "the book's nbgrader assignments.")
    parser.add_argument("--version", action="version", version=f"autograder {__version__}")
    parser.add_argument("--course", default=None, help=f"course directory (default: ${ENV_COURSE} "
                        "or ./course, which is not committed)")
    sub = parser.add_subparsers(dest="command", required=True)

    def limits_opts(p):
        p.add_argument("--cell-timeout", type=float, default=None, help="seconds per cell (30)")
        p.add_argument("--notebook-timeout", type=float, default=None, help="seconds per notebook (240)")
        p.add_argument("--memory-mb", type=int, default=None, help="address space per process (3072)")
        p.add_argument("--weak-sandbox", action="store_true",
                       help="run in the weak fallback instead of bubblewrap (without bubblewrap, "
                            "grade refuses to run students' code unless this is given; the rows "
                            "are flagged and grade exits with status 3)")

    p = sub.add_parser("release", help="student version (nbgrader) + trusted reference answers")
    p.add_argument("assignment")
    p.add_argument("--source", default=None, help="folder holding <assignment>/*.ipynb "
                   "(default: the course's source/, else the repository's exercises/)")
    p.add_argument("--no-determinism-check", action="store_true",
                   help="run the solution once instead of twice")
    p.add_argument("--due", default=None, help="due date stored in nbgrader's gradebook, e.g. "
                   "'2026-03-01 17:00:00 Europe/Berlin' (late work: see the instructors' page)")
    p.add_argument("--kernel-map", action="append", default=[], metavar="KERNEL",
                   help="run notebooks whose kernelspec is KERNEL with the grader's Python (a Python "
                        "kernel of any name needs none; repeatable)")
    p.add_argument("--variants", default=None, metavar="ROSTER.csv",
                   help="one variant per student of the roster (column 'id'): own numbers, own "
                        "reference answers (see 'Per-student variants' on the instructors' page)")
    p.add_argument("--exchange", default=None, metavar="DIR",
                   help="with --variants: write the students' notebooks into nbgrader's exchange")
    p.add_argument("--course-id", default=None, help="with --exchange: nbgrader's course id")
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                   help="with --variants: parallel sandboxes for the reference runs")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="with --variants: run the variants' reference answers on this Dask cluster")
    limits_opts(p)

    p = sub.add_parser("collect", help="import submissions from per-student zip files or nbgrader's exchange")
    p.add_argument("assignment")
    p.add_argument("path", help="folder of per-student .zip files, or nbgrader's exchange")
    p.add_argument("--pattern", default=None, help="regular expression with a (?P<student>...) group "
                   "matched against each zip file name (default: the name up to its first '_')")

    p = sub.add_parser("grade", help="grade every submission of an assignment")
    p.add_argument("assignment")
    p.add_argument("--submissions", default=None,
                   help="folder laid out as DIR/<student>/<assignment>/*.ipynb (default: course submitted/)")
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                   help="parallel sandboxes (default: the number of cores)")
    p.add_argument("--regrade", action="store_true", help="grade again even if already graded")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="grade on this Dask scheduler's workers instead of locally "
                        "(see the instructors' page; needs pip install 'nnkit[cluster]')")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    limits_opts(p)

    p = sub.add_parser("feedback", help="an HTML report per student")
    p.add_argument("assignment")
    p.add_argument("--release", action="store_true",
                   help="then run nbgrader's release_feedback (students fetch it from the exchange)")
    p.add_argument("--exchange", default=None, help="nbgrader's exchange folder (default: from the "
                   "course's nbgrader_config.py, else nbgrader's)")
    p.add_argument("--course-id", default=None, help="nbgrader course id (default: from the course's "
                   "nbgrader_config.py)")

    p = sub.add_parser("export", help="nbgrader's gradebook as CSV, or an LMS's grade import file")
    p.add_argument("--output", "-o", default=None, help="CSV file (default: COURSE/grades_export.csv, "
                   "or COURSE/<format>_grades.csv)")
    p.add_argument("--format", default="nbgrader", choices=("nbgrader", "canvas", "moodle"),
                   help="nbgrader (every score), canvas (gradebook import) or moodle (grade import)")
    p.add_argument("--mapping", default=None, help="CSV mapping nbgrader student ids to the LMS's "
                   "(needed for canvas and moodle; see the instructors' page)")
    p.add_argument("--id-column", default="nbgrader_id",
                   help="column of the mapping file that holds nbgrader's student id (nbgrader_id)")
    p.add_argument("--column", action="append", default=[], metavar="ASSIGNMENT=TITLE",
                   help="LMS column title of an assignment, e.g. ps1='Problem set 1 (1234)'")

    p = sub.add_parser("demo", help="release a small assignment, fabricate submissions, grade them")
    p.add_argument("--jobs", "-j", type=int, default=2)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # nbgrader runs `alembic` by name: make this environment's scripts findable
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        given = args.course or os.environ.get(ENV_COURSE) or "course"
        course_created = not Path(given).exists()
        course = Course.locate(args.course, create=args.command in ("release", "demo"))
        if args.command == "release":
            from autograder.release import release

            kwargs = dict(source_dir=args.source, limits=_limits(args),
                          determinism=not args.no_determinism_check, due=args.due,
                          kernel_map=args.kernel_map)
            try:
                if args.variants:
                    from autograder.variants import release_variants

                    release_variants(course, check_name("assignment", args.assignment), args.variants,
                                     jobs=args.jobs, scheduler=args.scheduler, exchange=args.exchange,
                                     course_id=args.course_id, **kwargs)
                elif args.exchange or args.scheduler:
                    raise CourseError("--exchange and --scheduler of `release` go with --variants ROSTER.csv")
                else:
                    release(course, check_name("assignment", args.assignment), **kwargs)
            except BaseException:
                if course_created and not any(course.root.iterdir()):
                    course.root.rmdir()          # a failed release leaves no empty course behind
                raise
        elif args.command == "collect":
            from autograder.collect import collect

            collect(course, check_name("assignment", args.assignment), args.path, pattern=args.pattern)
        elif args.command == "grade":
            from autograder.batch import grade_assignment

            results = grade_assignment(course, check_name("assignment", args.assignment),
                             submissions=Path(args.submissions) if args.submissions else None,
                             jobs=args.jobs, limits=_limits(args), force_weak=args.weak_sandbox,
                             regrade=args.regrade, progress=not args.no_progress,
                             scheduler=args.scheduler)
            failed = sum(r["status"] == "grader error" for r in results)
            if failed:
                print(f"autograder: {failed} submission(s) could not be graded (status 'grader "
                      "error', reason in the flags column); run the same command again",
                      file=sys.stderr)
                return 1
            weak = sum(r.get("sandbox") == "weak" for r in results)
            if weak:
                print(f"autograder: WARNING: {weak} submission(s) were graded in the WEAK sandbox "
                      "(no bubblewrap; flagged in every row); do not publish these grades",
                      file=sys.stderr)
                return 3
        elif args.command == "feedback":
            from autograder.feedback import write_feedback

            write_feedback(course, check_name("assignment", args.assignment), release=args.release,
                           exchange=args.exchange, course_id=args.course_id)
        elif args.command == "export" and args.format != "nbgrader":
            from autograder.lms import export_lms

            if not args.mapping:
                raise CourseError(f"--format {args.format} needs --mapping FILE: a CSV with a column "
                                  f"{args.id_column!r} (nbgrader's student id) and the LMS's ids "
                                  "(see the instructors' page)")
            columns = {}
            for item in args.column:
                name, sep, title = item.partition("=")
                if not sep or not name or not title:
                    raise CourseError(f"--column {item!r}: write it as ASSIGNMENT=TITLE")
                columns[name] = title
            out = Path(args.output) if args.output else course.root / f"{args.format}_grades.csv"
            export_lms(course, out, args.format, Path(args.mapping), id_column=args.id_column,
                       columns=columns)
        elif args.command == "export":
            from autograder.gradebook import export_gradebook

            out = Path(args.output) if args.output else course.root / "grades_export.csv"
            if out.is_dir():
                raise CourseError(f"--output {out} is a folder; give a file name")
            n = export_gradebook(course, out)
            print(f"[export] {n} row(s) written to {out}")
        elif args.command == "demo":
            from autograder.demo import run_demo

            run_demo(course, jobs=args.jobs)
    except CourseError as exc:
        print(f"autograder: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("autograder: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    return 0
