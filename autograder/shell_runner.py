"""Run one notebook inside the sandbox with IPython's InteractiveShell, without a kernel.

Standalone on purpose (imports IPython in the executing child only, never the `autograder`
package, which is not visible in the sandbox, nor nbformat/nbclient/jsonschema). Usage, with
the notebook JSON on stdin::

    python -I shell_runner.py --channel-fd FD --records DIR --cell-timeout S
           --cell-output-bytes N [--drop-to UID:GID]

Two processes, both inside the sandbox:

- the *supervisor* (this process, non-dumpable, the only holder of the result pipe `FD`)
  parses the notebook, forks the executor, enforces the time limit of each cell, relays the
  check records that nnkit.checks wrote into `DIR` after every cell, and sends the run log;
- the *executor* (the forked child) imports IPython, runs the code cells one by one in one
  `InteractiveShell` (magics, `display` and tracebacks behave as in Jupyter) and reports
  "cell i started / finished with status" on a progress pipe. Output is kept up to
  `N` bytes per cell and then dropped (nothing of it goes back to the grader).

The student's code runs in the executor, so it could write forged progress lines: the
supervisor only accepts them in order (a forged line can end a cell early or skip cells, never
extend a cell's time limit), and the grader uses the log only for statuses and messages.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))   # -I leaves it out
from sandbox_runner import EVALUE_CHARS, Channel, start

STARTUP_SECONDS = 60.0


def code_cells(raw: bytes) -> list[tuple[int, str]]:
    nb = json.loads(raw.decode("utf-8"))
    out = []
    for index, cell in enumerate(nb.get("cells", [])):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            src = cell.get("source", "")
            out.append((index, "".join(src) if isinstance(src, list) else str(src)))
    return out


# ----------------------------------------------------------------------------- executor
class CappedSink:
    """A text stream that keeps at most `cap` characters per cell and drops the rest."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, cap: int):
        self.cap, self.kept = cap, 0

    def write(self, text) -> int:
        n = len(text) if isinstance(text, str) else 0
        self.kept = min(self.cap, self.kept + n)
        return n

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        raise OSError("no file descriptor")


def execute(cells: list[tuple[int, str]], progress: int, cell_output_bytes: int) -> None:
    """In the forked child: run every cell, report on `progress`; never returns."""
    report = os.fdopen(progress, "w", buffering=1)
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):           # no input; output at the fd level is dropped
            os.dup2(devnull, fd)
        os.close(devnull)
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        config = Config()
        config.HistoryManager.enabled = False
        config.InteractiveShell.colors = "NoColor"
        shell = InteractiveShell.instance(config=config)
        _no_input()
        guard = Guard(shell)            # before any of the student's code runs
        sink = CappedSink(cell_output_bytes)
        sys.stdout = sys.stderr = sink
        for index, source in cells:
            sink.kept = 0
            removed = guard.restore()   # what earlier cells installed is gone before this one
            report.write("\n" + json.dumps({"start": index}) + "\n")
            result = shell.run_cell(source, store_history=True)
            error = result.error_before_exec or result.error_in_exec
            entry = {"done": index, "status": "ok"}
            if error is not None:
                entry.update(status="error", ename=type(error).__name__[:100],
                             evalue=_text(error)[:EVALUE_CHARS])
            installed = guard.restore()   # installed while this cell ran: its checks are void
            if removed:
                entry["removed"] = removed[:10]
            if installed:
                entry["tampered"] = installed[:10]
            report.write("\n" + json.dumps(entry) + "\n")
        report.write("\n" + json.dumps({"end": True}) + "\n")
        report.flush()
    except BaseException as exc:  # noqa: BLE001 - reported, then the child ends
        try:
            report.write("\n" + json.dumps({"crash": f"{type(exc).__name__}: {_text(exc)[:EVALUE_CHARS]}"}) + "\n")
            report.flush()
        except BaseException:  # noqa: BLE001
            pass
    finally:
        os._exit(0)


# Audit events of the hooks that let code watch or rewrite other code as it runs.
HOOK_EVENTS = frozenset({"sys.settrace", "sys.setprofile", "sys._settraceallthreads",
                         "sys._setprofileallthreads", "sys.addaudithook",
                         "sys.monitoring.register_callback"})


class Guard:
    """Keeps the student's code from changing how later cells run.

    Tracing, profiling and monitoring hooks and new audit hooks are refused outright (an audit
    hook installed before the student's code raises for them). Input transformers, AST
    transformers, a replaced transformer manager or compiler, and patched methods of
    IPython's shell classes are put back before every cell, and `restore` says what it found,
    so that the grader can flag the run and void the checks of a test cell during which such a
    change was made. This is a second line: the verdicts never depend on the student's process
    (values out, comparisons in the grader), so this only keeps the in-process test cells honest
    and the flags informative.
    """

    def __init__(self, shell):
        import IPython.core.compilerop as compilerop
        import IPython.core.inputtransformer2 as it2
        import IPython.core.interactiveshell as ish

        self.shell = shell
        self.refused: list[str] = []
        self._settrace, self._setprofile = sys.settrace, sys.setprofile
        self._lists = {name: (getattr(shell, name), list(getattr(shell, name)))
                       for name in ("input_transformers_cleanup", "input_transformers_post",
                                    "ast_transformers")}
        self._manager = shell.input_transformer_manager
        self._manager_lists = {name: (getattr(self._manager, name), list(getattr(self._manager, name)))
                               for name in ("cleanup_transforms", "line_transforms", "token_transformers")
                               if isinstance(getattr(self._manager, name, None), list)}
        self._compile = shell.compile
        classes = [c for c in type(shell).__mro__ if c.__module__.startswith("IPython")]
        classes += [it2.TransformerManager, compilerop.CachingCompiler, ish.ExecutionResult]
        self._classes = [(c, dict(vars(c))) for c in classes]
        self._instance_keys = set(vars(shell))
        self._methods = {n for c, d in self._classes for n, v in d.items() if callable(v)}
        guard = self

        def hook(event, args):
            if event in HOOK_EVENTS and not guard._inside:
                guard.refused.append(event)
                raise RuntimeError(f"{event} is not allowed while the notebook is graded")
        self._inside = False
        sys.addaudithook(hook)

    def restore(self) -> list[str]:
        """Put everything back; return what was changed (empty when nothing was)."""
        found = [f"refused {event}" for event in dict.fromkeys(self.refused)]
        self.refused.clear()
        self._inside = True
        try:
            if sys.gettrace() is not None:
                found.append("a tracing function")
                self._settrace(None)
            if sys.getprofile() is not None:
                found.append("a profiling function")
                self._setprofile(None)
            threading = sys.modules.get("threading")
            for name in ("_trace_hook", "_profile_hook"):   # threading.settrace / setprofile
                if threading is not None and getattr(threading, name, None) is not None:
                    found.append(f"threading.{name}")
                    setattr(threading, name, None)
            monitoring = getattr(sys, "monitoring", None)
            if monitoring is not None:
                for tool in range(6):
                    if monitoring.get_tool(tool) is not None:
                        found.append(f"sys.monitoring tool {tool}")
                        monitoring.set_events(tool, 0)
                        monitoring.free_tool_id(tool)
        except Exception as exc:  # noqa: BLE001
            found.append(f"could not remove a hook ({type(exc).__name__})")
        finally:
            self._inside = False
        try:
            self._restore_shell(found)
        except Exception as exc:  # noqa: BLE001 - something the student broke beyond repair
            found.append(f"could not restore the shell ({type(exc).__name__})")
        return found

    def _restore_shell(self, found: list[str]) -> None:
        shell = self.shell
        if shell.input_transformer_manager is not self._manager:
            found.append("shell.input_transformer_manager")
            shell.input_transformer_manager = self._manager
        for name, (obj, items) in self._manager_lists.items():
            if getattr(self._manager, name) is not obj or obj != items:
                found.append(f"input_transformer_manager.{name}")
                obj[:] = items
                setattr(self._manager, name, obj)
        for name, (obj, items) in self._lists.items():
            if getattr(shell, name) is not obj or obj != items:
                found.append(f"shell.{name}")
                obj[:] = items
                if not isinstance(getattr(type(shell), name, None), property):
                    setattr(shell, name, obj)
        if shell.compile is not self._compile:
            found.append("shell.compile")
            shell.compile = self._compile
        for cls, saved in self._classes:
            now = vars(cls)
            for name in set(now) | set(saved):
                if name in ("__doc__", "__weakref__", "__dict__"):
                    continue
                if name not in saved:
                    found.append(f"{cls.__name__}.{name} added")
                    delattr(cls, name)
                elif now.get(name) is not saved[name]:
                    found.append(f"{cls.__name__}.{name} replaced")
                    setattr(cls, name, saved[name])
        for name in set(vars(shell)) - self._instance_keys:
            if name in self._methods:
                found.append(f"shell.{name} replaced")
                delattr(shell, name)


def _no_input() -> None:
    """input() and getpass() raise as in a Jupyter kernel that allows no stdin."""
    import builtins
    import getpass

    from IPython.core.error import StdinNotImplementedError

    def refuse(*args, **kwargs):
        raise StdinNotImplementedError("raw_input was called, but this frontend does not support "
                                       "input requests.")

    builtins.input = refuse
    getpass.getpass = refuse


def _text(exc) -> str:
    try:
        return str(exc)
    except BaseException:  # noqa: BLE001 - a student's exception with a broken __str__
        return "?"


# ----------------------------------------------------------------------------- supervisor
class Progress:
    """Reads the executor's progress lines (bounded), with a deadline."""

    def __init__(self, fd: int):
        self.fd, self.buf = fd, b""

    def next(self, deadline: float):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return "timeout"
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return "eof"
            self.buf += chunk
            if len(self.buf) > 1 << 20 and b"\n" not in self.buf:
                return "eof"
        line, self.buf = self.buf.split(b"\n", 1)
        if not line.strip():
            return {}
        try:
            msg = json.loads(line)
        except ValueError:
            return {}
        return msg if isinstance(msg, dict) else {}


WALL_BACKSTOP = 3.0     # a cell kept off the CPU gets at most this many times its limit in wall time


def _cpu_state(pid: int) -> tuple[float | None, str]:
    """CPU seconds (with waited-for children) and scheduler state of `pid`, from /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rpartition(b")")[2].split()
        ticks = sum(int(f) for f in fields[11:15])          # utime, stime, cutime, cstime
        return ticks / os.sysconf("SC_CLK_TCK"), fields[0].decode()
    except (OSError, ValueError, IndexError):
        return None, ""


def starved_time(pid: int, cpu0: float, wall0: float, cell_timeout: float) -> float:
    """Seconds more for a cell whose wall-clock limit ran out while it was runnable but had
    used less CPU than the limit (other jobs had the cores): 0 when it is out of time.

    So a CPU-bound cell gets the same verdict on a loaded machine as on an idle one; a cell
    that sleeps or waits gets nothing more, and none gets over WALL_BACKSTOP times the limit."""
    cpu, state = _cpu_state(pid)
    if cpu is None or state != "R":
        return 0.0
    left_cpu = cell_timeout - (cpu - cpu0)
    left_wall = cell_timeout * WALL_BACKSTOP - (time.monotonic() - wall0)
    more = min(left_cpu, left_wall)
    return more if more > 0.05 else 0.0


def supervise(cells, channel: Channel, cell_timeout: float, cell_output_bytes: int) -> None:
    log = {"cells": [], "end": "starting"}

    def save(end: str) -> None:
        log["end"] = end
        channel.relay()
        channel.log(log)

    save("starting")
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            os.close(channel.fd)
        except OSError:
            pass
        execute(cells, write_fd, cell_output_bytes)
    os.close(write_fd)
    progress = Progress(read_fd)
    end = "completed"
    position = 0                     # index into `cells` of the next cell expected to start
    current = None
    deadline = time.monotonic() + STARTUP_SECONDS
    save("running")
    cell_cpu = cell_wall = 0.0
    while True:
        msg = progress.next(deadline)
        if msg == "timeout" and current is not None:
            more = starved_time(pid, cell_cpu, cell_wall, cell_timeout)
            if more:                 # a cell kept off the CPU by load: the limit counts its CPU time
                deadline = time.monotonic() + more
                continue
        if msg == "timeout":
            if current is not None:
                current["status"], end = "timeout", "cell_timeout"
            elif log["cells"]:
                end = "cell_timeout"
            else:
                log["error"], end = "the notebook runner did not start in time", "runner_error"
            break
        if msg == "eof":
            if current is not None:
                current["status"] = "died"
            end = "kernel_died"
            break
        if "start" in msg and current is None and position < len(cells) and msg["start"] == cells[position][0]:
            current = {"index": cells[position][0], "status": "running"}
            log["cells"].append(current)
            position += 1
            deadline = time.monotonic() + cell_timeout
            cell_cpu, cell_wall = _cpu_state(pid)[0] or 0.0, time.monotonic()
            save("running")
        elif "done" in msg and current is not None and msg["done"] == current["index"]:
            current["status"] = "ok" if msg.get("status") == "ok" else "error"
            if current["status"] == "error":
                current["ename"] = str(msg.get("ename", ""))[:100]
                current["evalue"] = str(msg.get("evalue", ""))[:EVALUE_CHARS]
            for key in ("removed", "tampered"):   # what the executor's Guard found (strings)
                items = msg.get(key)
                if isinstance(items, list) and items:
                    current[key] = [str(x)[:120] for x in items[:10]]
            current = None
            deadline = time.monotonic() + cell_timeout
            save("running")
        elif "end" in msg and current is None and position == len(cells):
            break
        elif "crash" in msg:
            log["error"] = str(msg["crash"])[:EVALUE_CHARS]
            end = "runner_error" if not log["cells"] else "kernel_died"
            break
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    save(end)


def main() -> int:
    args, channel, raw = start()
    supervise(code_cells(raw), channel, args.cell_timeout, args.cell_output_bytes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
