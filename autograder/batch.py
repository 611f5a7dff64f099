"""`autograder grade`: a resumable, parallel batch with a single gradebook writer.

Workers (threads, each driving one sandbox process at a time) grade submissions; the main
thread alone saves each result file and writes the gradebook as results arrive. A submission
whose result file already holds the same key (content hash + grader version + reference) is
not graded again, so a batch killed at any moment finishes on the next run with the same
results and no duplicates. Result files are named by the student's safe key (never by the raw
folder name). A failure while grading one submission gives that row `grader error` and the
batch goes on; such rows are graded again on the next run.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

from autograder import forkserver
from autograder.course import Course, CourseError
from autograder.gradebook import GradebookWriter, load_result, save_result, write_csv
from autograder.grading import (RETRIED, crashed_result, find_submissions, grade_submission,
                                load_reference)
from autograder.sandbox import Limits, bwrap_status
from autograder.submissions import display_name


def grade_assignment(course: Course, assignment: str, *, submissions: Path | None = None,
                     jobs: int | None = None, limits: Limits | None = None, force_weak: bool = False,
                     regrade: bool = False, progress: bool = True, scheduler: str | None = None,
                     log=print) -> list[dict]:
    """Grade every submission: locally in `jobs` sandboxes, or on the Dask cluster whose
    scheduler is at `scheduler` (see autograder.distributed). Either way this process is the
    one writer of result files and the gradebook."""
    limits = limits or Limits()
    if scheduler and force_weak:
        raise CourseError("--weak-sandbox cannot be used with --scheduler: cluster workers "
                          "always grade in bubblewrap")
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    ref = load_reference(course, assignment)
    subs = find_submissions(Path(submissions) if submissions else course.submitted, assignment)
    ok, why = bwrap_status()
    if not scheduler and not ok and not force_weak:
        raise CourseError(f"refusing to run students' code: the bubblewrap sandbox does not work "
                          f"here ({why}). Install bubblewrap (Debian/Ubuntu: apt-get install "
                          "bubblewrap), or pass --weak-sandbox to grade in the weak fallback, where "
                          "student code can read whatever an unprivileged user can read and reach "
                          "the network (for trying the grader out, not for a course)")
    if not scheduler and (force_weak or not ok):
        log("!" * 78 + f"\n!! WEAK SANDBOX: {'forced by --weak-sandbox' if force_weak else why}.\n"
            "!! Student code can read what this user can read and may reach the network.\n" + "!" * 78)
    results_dir = course.results(assignment)

    done: dict[str, dict] = {}
    todo = []
    for sub in subs:
        try:
            prev = load_result(results_dir / f"{sub.key_name}.json")
            if (not regrade and prev and prev.get("student") == sub.student
                    and prev.get("key") == sub.key(ref) and prev.get("status") not in RETRIED):
                prev["submission"] = str(sub.path)   # where its timestamp.txt is read now
                done[sub.key_name] = prev
                continue
        except Exception:  # noqa: BLE001 - an unreadable previous result: grade again
            pass
        todo.append(sub)
    for stem, nbref in ref.notebooks.items():     # which Python runs the notebook's kernel
        if nbref.info.get("kernel"):
            from autograder.release import describe_kernel

            log(f"[grade] {assignment}/{stem}.ipynb: {describe_kernel(nbref.info['kernel'])}")
    where = f"on the Dask cluster at {scheduler}" if scheduler else f"with {jobs} worker(s)"
    log(f"[grade] {assignment}: {len(subs)} submission(s), {len(done)} already graded, "
        f"{len(todo)} to grade {where}")

    by_key = {sub.key_name: sub for sub in subs}
    writer = None
    unwritten: list[dict] = []

    def save(batch: list[dict]) -> None:
        """Save each result file as soon as it is known (a failure: that row only)."""
        for result in batch:
            if result.get("student_id") in by_key:   # where nbgrader_db reads timestamp.txt
                result["submission"] = str(by_key[result["student_id"]].path)
            try:
                save_result(results_dir / f"{result['student_id']}.json", result)
                unwritten.append(result)
            except Exception as exc:  # noqa: BLE001
                done[result["student_id"]] = _failed(result, exc)

    def flush() -> None:
        """Write the saved results to the gradebook in one transaction (row by row on failure)."""
        batch = unwritten[:]
        unwritten.clear()
        try:
            writer.write_many(batch)
            done.update((r["student_id"], r) for r in batch)
        except Exception:  # noqa: BLE001 - find the rows that fail, one at a time
            for result in batch:
                try:
                    writer.write(result)
                    done[result["student_id"]] = result
                except Exception as exc:  # noqa: BLE001
                    done[result["student_id"]] = _failed(result, exc)

    def _failed(result: dict, exc: Exception) -> dict:
        failed = crashed_result(by_key[result["student_id"]], ref, exc)
        if writer is not None:
            try:
                writer.write(failed)
            except Exception:  # noqa: BLE001 - the CSV still gets the row
                pass
        return failed

    slots: queue.Queue[int] = queue.Queue()
    for i in range(jobs):
        slots.put(i)

    def work(sub):
        slot = slots.get()
        try:
            return grade_submission(sub, ref, limits, slot=slot, force_weak=force_weak)
        except Exception as exc:  # a bug of ours: one row, the batch goes on
            return crashed_result(sub, ref, exc)
        finally:
            slots.put(slot)

    unwritten.extend(done.values())   # idempotent: a crash may have come before this write
    done.clear()
    bar = _progress(len(subs), len(unwritten), progress)
    # importing nbgrader's gradebook takes seconds: do it while the first submissions run
    importer = threading.Thread(target=_import_gradebook, daemon=True)
    importer.start()

    def local_batches():
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            pending = {pool.submit(work, sub) for sub in todo}
            while pending:
                finished, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                yield [f.result() for f in finished]

    cluster = None
    if scheduler:
        from autograder.distributed import ClusterRun, pack_reference

        cluster = ClusterRun(scheduler, log=log)
        stream = ([r] for r in cluster.results(
            pack_reference(course, assignment), todo, limits,
            crashed=lambda sub, exc: crashed_result(sub, ref, exc), local=work))
    else:
        stream = local_batches()
    try:
        for batch in stream:
            save(batch)
            if writer is None and not importer.is_alive():
                writer = GradebookWriter(course)
            if writer is not None and unwritten:
                flush()
            if bar is not None and batch:
                last = batch[-1]
                bar.set_postfix_str(f"{display_name(last['student'], 40)}: {last['status']}")
                bar.update(len(batch))
        if writer is None:
            importer.join()
            writer = GradebookWriter(course)
        if unwritten:
            flush()
        if bar is not None:
            bar.close()
    finally:
        if writer is not None:
            writer.close()
        if cluster is not None:
            cluster.close()
        forkserver.shutdown()
    results = [done[s.key_name] for s in subs]
    write_csv(course.grades_csv(assignment), results)
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    log(f"[grade] {assignment}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        + f"; grades in {course.grades_csv(assignment)}")
    return results


def _import_gradebook() -> None:
    try:
        import nbgrader.api  # noqa: F401
    except Exception:  # noqa: BLE001 - the main thread imports it again and reports the error
        pass


PROGRESS_FORMAT = ("{desc}: {n_fmt}/{total_fmt} |{bar}| {percentage:3.0f}% "
                   "[{elapsed} elapsed, {remaining} left, {per_minute} submissions/min]{postfix}")


def _progress(total: int, initial: int, enabled: bool, file=None):
    """tqdm's bar: done/total, submissions per minute and the time left (tqdm's estimate from
    the submissions graded in this run, not those found already graded)."""
    if not enabled:
        return None
    from tqdm import tqdm

    class Bar(tqdm):
        @property
        def format_dict(self):
            d = super().format_dict
            done = d["n"] - d.get("initial", 0)
            rate = d.get("rate") or (done / d["elapsed"] if d["elapsed"] and done > 0 else None)
            d["per_minute"] = f"{rate * 60:.1f}" if rate else "?"
            return d

    return Bar(total=total, initial=initial, unit="submission", desc="grading",
               file=file or sys.stderr, bar_format=PROGRESS_FORMAT, mininterval=0.5)
