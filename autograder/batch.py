"""`autograder grade`: a resumable, parallel batch with a single gradebook writer.

Workers (threads, each driving one sandbox process at a time) grade submissions; the main
thread alone saves each result file and writes the gradebook as results arrive. A submission
whose result file already holds the same key (content hash + grader version + reference) is
not graded again, so a batch killed at any moment finishes on the next run with the same
results and no duplicates.
"""

from __future__ import annotations

import queue
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from autograder.course import Course
from autograder.gradebook import GradebookWriter, load_result, save_result, write_csv
from autograder.grading import crashed_result, find_submissions, grade_submission, load_reference
from autograder.sandbox import Limits, bwrap_status


def grade_assignment(course: Course, assignment: str, *, submissions: Path | None = None,
                     jobs: int = 1, limits: Limits | None = None, force_weak: bool = False,
                     regrade: bool = False, progress: bool = True, log=print) -> list[dict]:
    limits = limits or Limits()
    jobs = max(1, int(jobs))
    ref = load_reference(course, assignment)
    subs = find_submissions(Path(submissions) if submissions else course.submitted, assignment)
    ok, why = bwrap_status()
    if force_weak or not ok:
        log("!" * 78 + f"\n!! WEAK SANDBOX: {'forced by --weak-sandbox' if force_weak else why}.\n"
            "!! Student code can read what this user can read and may reach the network.\n" + "!" * 78)
    results_dir = course.results(assignment)
    scratch = course.work(assignment) / "runs"
    shutil.rmtree(scratch, ignore_errors=True)           # leftovers of a killed batch
    scratch.mkdir(parents=True)

    done: dict[str, dict] = {}
    todo = []
    for sub in subs:
        prev = load_result(results_dir / f"{sub.student}.json")
        if (not regrade and prev and prev.get("key") == sub.key(ref)
                and prev.get("status") != "sandbox error"):
            prev["submission"] = str(sub.directory)   # where its timestamp.txt is read now
            done[sub.student] = prev
        else:
            todo.append(sub)
    log(f"[grade] {assignment}: {len(subs)} submission(s), {len(done)} already graded, "
        f"{len(todo)} to grade with {jobs} worker(s)")

    writer = GradebookWriter(course)
    try:
        for result in done.values():   # idempotent: a crash may have come before this write
            writer.write(result)
        slots: queue.Queue[int] = queue.Queue()
        for i in range(jobs):
            slots.put(i)

        def work(sub):
            slot = slots.get()
            try:
                return grade_submission(sub, ref, limits, scratch, slot=slot, force_weak=force_weak)
            except Exception as exc:  # a bug of ours: one row, the batch goes on
                return crashed_result(sub, ref, exc)
            finally:
                slots.put(slot)

        bar = _progress(len(subs), len(done), progress)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(work, sub) for sub in todo]
            for future in as_completed(futures):
                result = future.result()
                save_result(results_dir / f"{result['student']}.json", result)
                writer.write(result)
                done[result["student"]] = result
                if bar is not None:
                    bar.set_postfix_str(f"{result['student']}: {result['status']}")
                    bar.update()
        if bar is not None:
            bar.close()
    finally:
        writer.close()
        shutil.rmtree(scratch, ignore_errors=True)
    results = [done[s.student] for s in subs]
    write_csv(course.grades_csv(assignment), results)
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    log(f"[grade] {assignment}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        + f"; grades in {course.grades_csv(assignment)}")
    return results


def _progress(total: int, initial: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="nb", desc="grading", file=sys.stderr)
