"""An assignment's data files, shown read-only to the notebook running in the sandbox.

nbgrader copies every non-notebook file of the source folder into the release (``data.csv``,
images, helper modules); the students have them, so the tests may read them. The sandbox sees
the released copies in its working directory: bind-mounted read-only under bubblewrap, copied
(files made read-only) in the weak fallback. Notebooks, hidden files and symbolic links are
never shown.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

SKIP = {"__pycache__", ".ipynb_checkpoints", "records", "run.json", "work"}


def data_entries(data_dir: Path | None) -> list[Path]:
    """Top-level files and folders of `data_dir` to show (no notebooks, dot files or links)."""
    if data_dir is None or not Path(data_dir).is_dir():
        return []
    out = []
    for entry in sorted(Path(data_dir).iterdir()):
        if entry.name.startswith(".") or entry.name in SKIP or entry.suffix == ".ipynb":
            continue
        mode = os.lstat(entry).st_mode
        if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
            out.append(entry)
    return out


def bwrap_args(data_dir: Path | None, workdir: str) -> list[str]:
    """bwrap options binding each data entry read-only into `workdir` (after it is created)."""
    args: list[str] = []
    for entry in data_entries(data_dir):
        args += ["--ro-bind", str(entry), f"{workdir}/{entry.name}"]
    return args


def copy_in(data_dir: Path | None, workdir: Path) -> None:
    """Weak sandbox: copy the data entries into `workdir`, files read-only, links skipped."""
    for entry in data_entries(data_dir):
        dest = workdir / entry.name
        if dest.exists():
            continue
        if entry.is_dir():
            shutil.copytree(entry, dest, symlinks=True,
                            ignore=lambda d, names: [n for n in names if os.path.islink(os.path.join(d, n))])
        else:
            shutil.copyfile(entry, dest, follow_symlinks=False)
        for path in [dest, *dest.rglob("*")] if dest.is_dir() else [dest]:
            if path.is_file():
                path.chmod(0o444)


MAX_DATA_BYTES = 64 * 2**20


def collect(data_dir: Path | None, cap: int = MAX_DATA_BYTES) -> list[tuple[str, bytes]]:
    """The data files as (relative posix path, bytes): regular files only, read without following
    links (a link, FIFO or device anywhere below is skipped). ValueError when over `cap` bytes.

    The runners write these bytes into the sandbox's own /tmp, so no folder of the course is
    ever mounted or named inside it.
    """
    out: list[tuple[str, bytes]] = []
    total = 0

    from nnkit.checks import read_fd_capped

    def add(path: Path, rel: str) -> None:
        nonlocal total
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return
            try:
                data = read_fd_capped(fd, cap - total)
            except ValueError:
                raise ValueError(f"the assignment's data files are over {cap >> 20} MiB; "
                                 "keep large data sets out of the release folder") from None
            total += len(data)
            out.append((rel, data))
        finally:
            os.close(fd)

    def walk(folder: Path, rel: str) -> None:
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name.startswith(".") or entry.name in SKIP:
                continue
            if entry.is_dir(follow_symlinks=False):
                walk(Path(entry.path), f"{rel}{entry.name}/")
            elif entry.is_file(follow_symlinks=False) and not entry.name.endswith(".ipynb"):
                add(Path(entry.path), rel + entry.name)

    for entry in data_entries(data_dir):
        if stat.S_ISDIR(os.lstat(entry).st_mode):
            walk(entry, entry.name + "/")
        else:
            add(entry, entry.name)
    return out


def write_tree(files: list[tuple[str, bytes]], workdir: Path, read_only: bool = True) -> None:
    """Write `collect()`'s files under `workdir`: files 0444, and with `read_only` their folders
    0555 (made by the caller's user, typically root before the sandbox drops privileges)."""
    workdir = Path(workdir)
    made: list[Path] = []
    for rel, raw in files:
        parts = rel.split("/")
        if any(p in ("", ".", "..") for p in parts) or "\0" in rel:
            raise ValueError(f"data file name {rel!r} is not a plain relative path")
        folder = workdir
        for part in parts[:-1]:
            folder = folder / part
            if not folder.is_dir():
                folder.mkdir()
                made.append(folder)
        fd = os.open(folder / parts[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.chmod(folder / parts[-1], 0o444)
    if read_only:
        for folder in reversed(made):
            os.chmod(folder, 0o555)
