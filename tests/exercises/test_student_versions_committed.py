"""The student versions in exercises_student/ are committed (so the book's launch buttons open
them on Binder/Colab from the repository) and must equal what nbgrader generates from the
sources in exercises/: edit a source, run `make students` (or `make book`), commit both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_committed_student_versions_match_the_sources(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "tools" / "student_versions.py"), "--out",
                    str(tmp_path)], check=True, capture_output=True, text=True)
    generated = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    committed = sorted(p.name for p in (ROOT / "exercises_student").glob("*.ipynb"))
    assert generated == committed, (generated, committed)
    stale = [name for name in generated
             if (tmp_path / name).read_bytes() != (ROOT / "exercises_student" / name).read_bytes()]
    assert not stale, f"exercises_student/ is out of date for {stale}: run `make students` and commit"
