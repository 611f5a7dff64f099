"""Strict build of a small book holding one or a few chapters, for quick checks while writing.

    python tools/build_chapter.py chapters/03_backprop.md [chapters/04_optimizers.md ...]

The book's own _config.yml is used unchanged; the table of contents lists only the intro, the
given chapters and the reference pages. Cross-references into chapters left out will fail here:
the full `make book` is the final word. Output: _build/_partial/<first chapter>/_build/html.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ["_config.yml", "intro.md", "notation.md", "glossary.md", "bibliography.md", "instructors.md",
          "accessibility.md",
          "references", "assets", "_vendor", "_ext", "exercises_student", "nnkit"]


def main(chapters: list[str]) -> int:
    if not chapters:
        print(__doc__)
        return 2
    stems = [Path(c).with_suffix("").as_posix() for c in chapters]
    for stem in stems:
        if not (ROOT / f"{stem}.md").exists():
            print(f"build_chapter: {stem}.md does not exist")
            return 2
    book = ROOT / "_build" / "_partial" / Path(stems[0]).name
    book.mkdir(parents=True, exist_ok=True)
    for link in [*book.iterdir(), *book.glob("chapters/*")]:
        if link.is_symlink() and not link.exists():
            link.unlink()  # a file removed from the project since the last partial build
    for name in SHARED:
        link = book / name
        if not link.exists() and (ROOT / name).exists():
            link.symlink_to(ROOT / name)
    (book / "chapters").mkdir(exist_ok=True)
    for stem in stems:
        link = book / f"{stem}.md"
        if not link.exists():
            link.symlink_to(ROOT / f"{stem}.md")
    entries = "\n".join(f"      - file: {s}" for s in stems)
    exercises = "\n".join(f"      - file: exercises_student/{p.stem}"
                           for p in sorted((ROOT / "exercises_student").glob("*.ipynb")))
    exercise_part = f"  - caption: Exercises\n    chapters:\n{exercises}\n" if exercises else ""
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: Chapters\n    numbered: true\n"
        f"    chapters:\n{entries}\n{exercise_part}  - caption: Reference\n    chapters:\n"
        "      - file: notation\n      - file: glossary\n      - file: instructors\n"
        "      - file: accessibility\n")
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jb), "build", str(book), "--warningiserror", "--nitpick", "--keep-going"]
    code = subprocess.call(cmd, cwd=book)
    print(f"\nbuild_chapter: exit {code}; pages in {book / '_build' / 'html'}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
