"""Grading on a Dask cluster: `autograder grade ASSIGNMENT --scheduler tcp://HOST:PORT`.

The client (the instructor's machine) keeps every duty that touches the course: it finds the
submissions, skips those already graded (resume), reads each submission's files into memory,
and is the only writer of result files and the gradebook. A task carries what it needs:

- the assignment's reference bundle (the `reference/` folder that `autograder release` wrote,
  plus `autograder.json`), a few hundred kilobytes sent once to every worker, and
- the submission's bytes (its files, by name).

A worker writes both into a private temporary course, grades the submission with the same
code as a local run (`grading.grade_submission`, in the worker's bubblewrap sandbox), and
returns the result as plain data. So workers need no shared file system.

Faults: a task whose worker dies is given to another worker by the scheduler (Dask counts
such deaths per task and gives up after `distributed.scheduler.allowed-failures`); a task that
raises is retried (`retries`); a task that fails everywhere becomes a `grader error` row.
Every submission gets exactly one row, as locally.

A worker that cannot start bubblewrap refuses every task with `SandboxUnavailable`; it never
grades in the weaker fallback sandbox. Before sending anything the client asks every worker
whether its sandbox works, and sends tasks only to those that say yes.
"""

from __future__ import annotations

import hashlib
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from autograder.course import Course, CourseError

# Files of a reference bundle larger than this are refused (a bundle is normally < 1 MiB).
MAX_BUNDLE_BYTES = 64 * 2**20
TASK_RETRIES = 2


class SandboxUnavailable(RuntimeError):
    """This worker cannot start bubblewrap, so it refuses to grade (no weak fallback)."""


# ----------------------------------------------------------------------------- client side
def pack_reference(course: Course, assignment: str) -> dict:
    """The assignment's reference folder and config as {relative path: bytes}."""
    root = course.reference(assignment)
    if not (root / "manifest.json").is_file():
        raise CourseError(f"{assignment!r} has no reference answers in {root}; run "
                          f"`autograder release {assignment}` first")
    files, total = {}, 0
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            raise CourseError(f"the reference folder holds a link ({path}); release again")
        if path.is_file():
            data = path.read_bytes()
            total += len(data)
            files[path.relative_to(root).as_posix()] = data
    if total > MAX_BUNDLE_BYTES:
        raise CourseError(f"the reference of {assignment!r} is {total >> 20} MiB, more than a "
                          f"task may carry ({MAX_BUNDLE_BYTES >> 20} MiB)")
    from autograder import datafiles

    try:   # the release folder's data files, shown read-only to the notebooks (issue 18)
        data = dict(datafiles.collect(course.release(assignment)))
    except ValueError as exc:
        raise CourseError(f"{assignment!r}: {exc}") from None
    total += sum(len(raw) for raw in data.values())
    if total > MAX_BUNDLE_BYTES:
        raise CourseError(f"the reference and data files of {assignment!r} are {total >> 20} MiB, "
                          f"more than a task may carry ({MAX_BUNDLE_BYTES >> 20} MiB)")
    config = course.source(assignment) / "autograder.json"
    return {"assignment": assignment, "files": files, "data": data,
            "config": config.read_bytes() if config.is_file() else None}


def pack_submission(sub) -> dict:
    """One submission's files as bytes, read link-free (`Submission.read`); the worker never
    sees the course's folders. Raises what `Submission.read` raises for a file that must not be
    read (a link, a special file, an oversized notebook)."""
    return {"student": sub.student, "student_id": sub.key_name, "assignment": sub.assignment,
            "files": {name: sub.read(name) for name in sub.files}}


# ----------------------------------------------------------------------------- worker side
_slots: queue.Queue[int] | None = None
_slots_lock = threading.Lock()


def _slot_pool() -> queue.Queue[int]:
    """Sandbox slots of this worker process: one per thread that may grade at once."""
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = queue.Queue()
            for i in range(16):
                _slots.put(i)
    return _slots


def sandbox_check() -> tuple[bool, str]:
    """Run on each worker by the client before grading: can this worker start bubblewrap?"""
    from autograder.sandbox import bwrap_status

    ok, why = bwrap_status()
    return ok, f"{socket.gethostname()}: {why}"


def _materialise(root: Path, bundle: dict, job: dict) -> tuple[Course, Path]:
    """Write the reference and the submission into a private course under `root`."""
    course = Course(root / "course")
    ref = course.reference(bundle["assignment"])
    for rel, data in bundle["files"].items():
        target = (ref / rel).resolve()
        if not target.is_relative_to(ref.resolve()):
            raise ValueError(f"reference bundle member {rel!r} points outside its folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if bundle.get("data"):
        from autograder import datafiles

        release = course.release(bundle["assignment"])
        release.mkdir(parents=True, exist_ok=True)
        datafiles.write_tree(sorted(bundle["data"].items()), release, read_only=False)
    if bundle.get("config") is not None:
        source = course.source(bundle["assignment"])
        source.mkdir(parents=True, exist_ok=True)
        (source / "autograder.json").write_bytes(bundle["config"])
    # The student's id never becomes a path here: the folder has a fixed name.
    folder = root / "submitted" / _FOLDER / job["assignment"]
    folder.mkdir(parents=True)
    for name, data in job["files"].items():
        if "/" in name or "\0" in name or name in (".", "..") or not name.endswith(".ipynb"):
            raise ValueError(f"submission file name {name!r} is not a plain notebook name")
        (folder / name).write_bytes(data)
    return course, root / "submitted"


_FOLDER = "student"


def grade_task(bundle: dict, job: dict, limits) -> dict:
    """Grade one submission on this worker (a Dask task); returns the result as plain data."""
    from autograder.grading import grade_submission, load_reference
    from autograder.submissions import Submission

    ok, why = sandbox_check()
    if not ok:
        raise SandboxUnavailable(f"worker {why}: bubblewrap cannot start here, so this worker "
                                 "refuses to grade (it never uses the weak sandbox); install "
                                 "bubblewrap (apt-get install bubblewrap) on the worker host")
    slots = _slot_pool()
    slot = slots.get()
    try:
        with tempfile.TemporaryDirectory(prefix="autograder-task-") as tmp:
            course, submitted = _materialise(Path(tmp), bundle, job)
            ref = load_reference(course, bundle["assignment"])
            from autograder.variants import for_student

            ref = for_student(ref, job["student_id"])   # the worker's folder name is not the student's
            sub = Submission(_FOLDER, job["assignment"], submitted, sorted(job["files"]))
            result = grade_submission(sub, ref, limits, slot=slot)
            # the row belongs to the student, not to the worker's fixed folder name
            result["student"], result["student_id"] = job["student"], job["student_id"]
            result.pop("submission", None)      # a path on this worker; the client sets its own
    finally:
        slots.put(slot)
    try:
        from distributed import get_worker

        result["worker"] = get_worker().address
    except (ImportError, ValueError):
        result["worker"] = socket.gethostname()
    return result


# ----------------------------------------------------------------------------- the batch
class ClusterRun:
    """Sends a batch to a Dask scheduler and yields results as they arrive (client side)."""

    def __init__(self, address: str, *, log=print, connect_timeout: float = 20.0):
        try:
            from distributed import Client
        except ImportError:
            raise CourseError("--scheduler needs Dask: pip install 'nnkit[cluster]' "
                              "(dask and distributed)") from None
        try:
            self.client = Client(address, timeout=connect_timeout, set_as_default=False)
        except OSError as exc:
            raise CourseError(f"cannot reach the Dask scheduler at {address}: {exc}. Start one with "
                              "`dask scheduler` and pass its tcp://HOST:PORT address") from None
        self.log = log
        self.keys: dict[str, str] = {}            # task key -> student
        self.per_worker: Counter[str] = Counter()

    def capable_workers(self) -> list[str]:
        answers = self.client.run(sandbox_check)
        good = [addr for addr, (ok, _) in answers.items() if ok]
        for addr, (ok, why) in sorted(answers.items()):
            if not ok:
                self.log(f"[grade] worker {addr} cannot sandbox and gets no task: {why}")
        if not good:
            raise CourseError("no Dask worker can start bubblewrap, so nothing is graded: install "
                              "bubblewrap on the worker hosts (workers never use the weak sandbox)")
        return good

    def results(self, bundle: dict, todo: list, limits, crashed, local):
        """Yield one result per submission of `todo` (a crash gives a `grader error` row).

        A submission that is rejected, or whose files cannot be read safely, never leaves this
        machine: `local(sub)` gives its row without running anything.
        """
        from distributed import as_completed

        if not todo:
            return
        workers = self.capable_workers()
        jobs = []
        for sub in todo:
            if sub.rejected or sub.problem:
                yield local(sub)
                continue
            try:
                jobs.append((sub, pack_submission(sub)))
            except (OSError, ValueError):   # a link, a special file, an oversized notebook
                yield local(sub)
        self.log(f"[grade] sending {len(jobs)} task(s) to {len(workers)} Dask worker(s)")
        ref_future = self.client.scatter(bundle, broadcast=True, hash=False)
        futures = {}
        for sub, job in jobs:
            future = self.client.submit(grade_task, ref_future, job, limits,
                                        key=f"grade-{task_key(sub)}",
                                        workers=workers, allow_other_workers=False,
                                        retries=TASK_RETRIES, pure=False)
            futures[future] = sub
            self.keys[future.key] = sub.key_name
        for future in as_completed(list(futures), loop=self.client.loop):
            sub = futures[future]
            if future.status == "finished":
                result = future.result()
                self.per_worker[result.get("worker", "?")] += 1
            else:
                exc = future.exception()
                result = crashed(sub, exc)
                self.per_worker["(failed)"] += 1
            yield result
        self.summary()

    def summary(self) -> None:
        def story(dask_scheduler, keys):
            out = {}
            for key in keys:
                ts = dask_scheduler.tasks.get(key)
                if ts is not None:
                    out[key] = {"worker_deaths": ts.suspicious, "retries_left": ts.retries}
            return out

        try:
            info = self.client.run_on_scheduler(story, keys=list(self.keys))
        except Exception:   # the summary is informative only
            info = {}
        deaths = sum(v["worker_deaths"] for v in info.values())
        retried = sum(TASK_RETRIES - v["retries_left"] for v in info.values())
        per = ", ".join(f"{w}: {n}" for w, n in sorted(self.per_worker.items()))
        self.log(f"[grade] tasks per worker: {per or 'none'}; tasks moved after a worker died: "
                 f"{deaths}; retries after an error: {retried}")

    def close(self) -> None:
        self.client.close()


def task_key(sub) -> str:
    """A Dask key for a submission that is safe whatever the student id looks like."""
    return hashlib.sha256(f"{sub.assignment}\0{sub.key_name}".encode()).hexdigest()[:20]



# ----------------------------------------------------------------------------- a local cluster
class ProcessCluster:
    """A `dask scheduler` and `dask worker` processes on 127.0.0.1, each in its own session.

    For trying `--scheduler` on one machine, for the tests and for the benchmark. Workers are
    single-threaded and run without a nanny, so the PID of a worker is the worker: killing it
    kills that worker. `stop()` ends every process it started, by PID.
    """

    def __init__(self, log_dir: Path, *, port: int | None = None):
        self.log_dir = Path(log_dir)
        self.port = port or _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen] = {}
        self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                  "--no-dashboard"])

    def _start(self, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        dask = Path(sys.executable).with_name("dask")
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", **(env or {})}
        with open(self.log_dir / f"{name}.log", "wb") as log:
            proc = subprocess.Popen([str(dask), *args], stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        self.procs[name] = proc
        return proc

    def add_worker(self, name: str, env: dict | None = None) -> subprocess.Popen:
        return self._start(name, ["worker", self.address, "--nthreads", "1", "--no-nanny",
                                  "--no-dashboard", "--name", name, "--host", "127.0.0.1",
                                  "--memory-limit", "0"], env)

    def wait_for(self, n: int, timeout: float = 90.0) -> None:
        from distributed import Client

        with Client(self.address, timeout=timeout, set_as_default=False) as client:
            client.wait_for_workers(n, timeout=timeout)

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop(self) -> None:
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=20)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
