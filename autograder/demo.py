"""`autograder demo`: release a small assignment, fabricate four submissions, grade them.

The submissions: a correct one, a partly wrong one, an untouched release (scores zero) and a
malicious one (patches NumPy, forges check records, tries the network and the gradebook).
"""

from __future__ import annotations

import shutil
import tempfile
from importlib.resources import files
from pathlib import Path

import nbformat

from autograder.course import Course
from autograder.rebuild import grade_id

DEMO = "demo_relu"
CORRECT = {"relu_answer": "def relu(x):\n    return np.maximum(x, 0.0)",
           "mean_answer": "def batch_mean(x):\n    return x.mean(axis=0)"}
PARTIAL = {**CORRECT, "mean_answer": "def batch_mean(x):\n    return x.mean(axis=1)  # wrong axis"}
MALICIOUS = {
    "relu_answer": (
        "import numpy as np, os, glob, json\n"
        "np.allclose = lambda *a, **k: True            # patched comparisons\n"
        "np.testing.assert_allclose = lambda *a, **k: None\n"
        "print('SCORE: 100/100')                         # a fake result marker\n"
        "try:\n"
        "    open(GRADEBOOK, 'a').write('pwned')          # the gradebook is not in the sandbox\n"
        "except OSError as exc:\n"
        "    print('no gradebook:', type(exc).__name__)\n"
        "try:\n"
        "    __import__('urllib.request').request.urlopen('http://example.com', timeout=2)\n"
        "except Exception as exc:\n"
        "    print('no network:', type(exc).__name__)\n"
        "def relu(x):\n"
        "    return x   # wrong\n"),
    "mean_answer": (
        "def batch_mean(x):\n"
        "    d = os.environ.get('NNKIT_CHECKS_RECORD', '.')\n"
        "    for f in glob.glob(d + '/*'):\n"
        "        os.remove(f)                              # wipe the results channel\n"
        "    return x.sum(axis=0)\n"),
}


def make_submission(release_nb, answers: dict[str, str]):
    """The release notebook with the given answer cells' sources replaced."""
    nb = nbformat.from_dict(release_nb)
    for cell in nb.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return nb


def run_demo(course: Course, jobs: int = 2, log=print) -> list[dict]:
    from autograder.batch import grade_assignment
    from autograder.feedback import write_feedback
    from autograder.release import release

    source = Path(tempfile.mkdtemp(prefix="autograder-demo-"))
    try:
        (source / DEMO).mkdir()
        (source / DEMO / f"{DEMO}.ipynb").write_text(
            files("autograder").joinpath(f"templates/{DEMO}.ipynb").read_text("utf-8"))
        release(course, DEMO, source_dir=source, log=log)
    finally:
        shutil.rmtree(source, ignore_errors=True)
    release_nb = nbformat.read(course.release(DEMO) / f"{DEMO}.ipynb", as_version=4)
    malicious = {**MALICIOUS, "relu_answer": MALICIOUS["relu_answer"].replace(
        "GRADEBOOK", repr(str(course.gradebook)))}
    for student, answers in {"correct": CORRECT, "partial": PARTIAL, "untouched": {},
                             "malicious": malicious}.items():
        folder = course.submitted / student / DEMO
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(make_submission(release_nb, answers), folder / f"{DEMO}.ipynb")
    results = grade_assignment(course, DEMO, jobs=jobs, log=log)
    write_feedback(course, DEMO, log=log)
    log(f"\n{'student':<12}{'score':>8}  status")
    for r in results:
        log(f"{r['student']:<12}{r['score']:>5g}/{r['max_score']:<3g} {r['status']}"
            + (f"  [{'; '.join(r['flags'])[:100]}]" if r["flags"] else ""))
    return results
