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
