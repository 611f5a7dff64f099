"""Per-student variants (issue 27): own numbers, own reference, copied numbers flagged.

End-to-end tests release the fixture `fx_variant` (tests/autograder/fixtures) for a roster of
three students with the real sandbox, then grade honest, copied and outside-the-roster
submissions; the unit tests cover seeds, the roster and the parameter cell.
"""

from __future__ import annotations

import copy
import os

import nbformat
import numpy as np
import pytest

from autograder import variants
from autograder.course import Course, CourseError
from nnkit import checks

from .conftest import FIXTURES, TEST_LIMITS, fill, requires_bwrap, write_submission

SECRET = "test-secret-" + "5f1c" * 8
ROSTER = ["alice", "bob", "carol"]
HONEST = "s = float(w @ x + b)\na = max(s, 0.0)\n"
SCALE = "def scale(v, c):\n    return c * np.asarray(v)\n"


# ----------------------------------------------------------------------------- unit tests
def test_seed_comes_from_secret_and_id_alone():
    seed = variants.derive_seed(SECRET.encode(), "fx_variant", "alice")
    assert seed == variants.derive_seed(SECRET.encode(), "fx_variant", "alice")
    others = {variants.derive_seed(SECRET.encode(), "fx_variant", "bob"),
              variants.derive_seed(b"another-secret-of-16+", "fx_variant", "alice"),
              variants.derive_seed(SECRET.encode(), "ex01_forward", "alice")}
    assert seed not in others and len(others) == 3
    assert 0 <= seed < 2**63


def test_roster_errors_name_the_problem(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("name\nalice\n")
    with pytest.raises(CourseError, match="no 'id' column"):
        variants.read_roster(path)
    path.write_text("id\nalice\nalice\n")
    with pytest.raises(CourseError, match="listed twice"):
        variants.read_roster(path)
    path.write_text("id,email\nalice,a@x\n../bob,b@x\n")
    with pytest.raises(CourseError, match="not a plain directory name"):
        variants.read_roster(path)
    path.write_text("\ufeffid,first_name\nalice,A\nbob,B\n")
    assert variants.read_roster(path) == ["alice", "bob"]


def test_parameter_cell_is_checked_and_seeded():
    nb = nbformat.read(FIXTURES / "fx_variant" / "fx_variant.ipynb", as_version=4)
    i = variants.check_parameter_cell(nb, "fx")
    seeded = variants.with_seed(nb, 12345)
    assert variants.seed_of(seeded) == 12345 and variants.seed_of(nb) is None
    changed = [j for j, (a, b) in enumerate(zip(nb.cells, seeded.cells)) if a.source != b.source]
    assert changed == [i]
    # the same seed, the same values; the default (None) is the book's numbers
    assert np.array_equal(variants.parameter_values(nb, 12345)["w"],
                          variants.parameter_values(seeded)["w"])
    np.testing.assert_array_equal(variants.parameter_values(nb)["w"], [1.0, -2.0, 0.5])
    bad = variants.with_seed(nb, 1)
    bad.cells[i].source += "\nVARIANT_SEED = 2\n"
    with pytest.raises(CourseError, match="exactly once"):
        variants.check_parameter_cell(bad, "fx")
    bad.cells[i].source = bad.cells[i].source.replace("VARIANT_SEED = 2\n", "")
    bad.cells[i].metadata.nbgrader["solution"] = True
    with pytest.raises(CourseError, match="locked code cell"):
        variants.check_parameter_cell(bad, "fx")
    templated = variants.with_seed(nb, 3)
    _cell(templated, "part_a").source = "{{ nope }}"
    with pytest.raises(CourseError, match="nope"):
        variants.render_default_variant(templated, "fx")


# ----------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("variants")
    roster = root / "roster.csv"
    roster.write_text("id,first_name\n" + "".join(f"{s},{s.title()}\n" for s in ROSTER))
    course = Course.locate(root / "course")
    logs: list[str] = []
    old = os.environ.get(variants.SECRET_ENV)
    os.environ[variants.SECRET_ENV] = SECRET
    try:
        table = variants.release_variants(course, "fx_variant", roster, source_dir=FIXTURES,
                                          limits=TEST_LIMITS, determinism=False, jobs=2,
                                          log=logs.append)
        again: list[str] = []
        variants.release_variants(course, "fx_variant", roster, source_dir=FIXTURES,
                                  limits=TEST_LIMITS, determinism=False, jobs=2, log=again.append)
        yield course, table, logs, again
    finally:
        if old is None:
            os.environ.pop(variants.SECRET_ENV, None)
        else:
            os.environ[variants.SECRET_ENV] = old


def _cell(nb, gid):
    return next(c for c in nb.cells if variants.grade_id(c) == gid)


def _student_nb(course, student):
    path = variants.variant_folder(course, student, "fx_variant") / "fx_variant.ipynb"
    return nbformat.read(path, as_version=4)


@requires_bwrap()
def test_release_writes_one_variant_per_student(course):
    course, table, logs, again = course
    nbs = {s: _student_nb(course, s) for s in ROSTER}
    default = nbformat.read(course.release("fx_variant") / "fx_variant.ipynb", as_version=4)
    ids = [[(c.cell_type, variants.grade_id(c)) for c in nb.cells] for nb in [default, *nbs.values()]]
    assert all(i == ids[0] for i in ids)                     # same cells and grade ids for all
    values = {s: variants.parameter_values(nb) for s, nb in nbs.items()}
    assert len({values[s]["w"].tobytes() + values[s]["x"].tobytes() for s in ROSTER}) == 3
    for s, nb in nbs.items():
        assert variants.seed_of(nb) == variants.derive_seed(SECRET.encode(), "fx_variant", s)
        assert table["students"][s]["seed"] == variants.seed_of(nb)
        part_a = _cell(nb, "part_a").source                   # quotes this student's values
        assert variants._pmatrix(values[s]["w"]) in part_a and "{{" not in part_a
        assert f"$b = {variants._num(values[s]['b'])}$" in part_a
    assert r"w = \begin{pmatrix} 1 \\ -2 \\ 0.5 \end{pmatrix}" in _cell(default, "part_a").source
    assert set(table["dependent"]["fx_variant"]) >= {"fxv.hidden.s", "fxv.hidden.a", "fxv.hidden.scale_w"}
    assert "fxv.hidden.scale_fixed" not in table["dependent"]["fx_variant"]
    assert table["independent"]["fx_variant"] == ["test_scale"]     # not rerun per variant
    assert any("3 reference run(s) to do" in line for line in logs)
    assert any("0 reference run(s) to do, 3 cached" in line for line in again)   # cached


@requires_bwrap()
def test_secret_never_reaches_a_notebook_or_the_sandbox(course, monkeypatch):
    course, table, _, _ = course
    secret_file = course.root / "autograder" / "variant_secret"
    for path in course.root.rglob("*"):
        if path.is_file() and path != secret_file:
            assert SECRET.encode() not in path.read_bytes(), path
    # a submission that sends back everything its process can see of the environment
    from autograder import grading
    from autograder.grading import grade_submission, load_reference
    from autograder.submissions import find_submissions

    seen = []
    real = grading.run_notebook

    def spy(nb_bytes, *args, **kwargs):
        seen.append(nb_bytes)
        run = real(nb_bytes, *args, **kwargs)
        seen.extend(str(r.value) for r in run.records.values())
        return run

    monkeypatch.setattr(grading, "run_notebook", spy)
    monkeypatch.setenv(variants.SECRET_ENV, SECRET)
    leak = "import os\ndef scale(v, c):\n    return np.array(repr(dict(os.environ)))\n"
    sub_root = course.root / "spy"
    write_submission(sub_root, "alice", "fx_variant",
                     fill(_student_nb(course, "alice"), {"by_hand": HONEST, "scale": leak}))
    [sub] = find_submissions(sub_root, "fx_variant")
    result = grade_submission(sub, load_reference(course, "fx_variant"), TEST_LIMITS)
    assert result["status"] == "graded"
    assert any("PATH" in str(v) for v in seen[1:])            # the environment did come back
    assert not any(SECRET in (v.decode() if isinstance(v, bytes) else v) for v in seen)


@requires_bwrap()
def test_grading_uses_each_students_own_variant_and_flags_copies(course):
    course, table, _, _ = course
    from autograder.batch import grade_assignment

    alice = variants.parameter_values(_student_nb(course, "alice"))
    s_alice = float(alice["w"] @ alice["x"] + alice["b"])
    copied = f"s = {s_alice!r}\na = {max(s_alice, 0.0)!r}\n"
    subs = course.root / "submitted"
    for student in ("alice", "bob"):
        write_submission(subs, student, "fx_variant",
                         fill(_student_nb(course, student), {"by_hand": HONEST, "scale": SCALE}))
    # carol types in alice's numbers (her own code for Part B)
    write_submission(subs, "carol", "fx_variant",
                     fill(_student_nb(course, "carol"), {"by_hand": copied, "scale": SCALE}))
    # dave hands in alice's whole notebook; erin is not on the roster and has the book's notebook
    write_submission(subs, "dave", "fx_variant",
                     fill(_student_nb(course, "alice"), {"by_hand": copied, "scale": SCALE}))
    write_submission(subs, "erin", "fx_variant",
                     fill(nbformat.read(course.release("fx_variant") / "fx_variant.ipynb", as_version=4),
                          {"by_hand": HONEST, "scale": SCALE}))
    results = {r["student"]: r for r in grade_assignment(course, "fx_variant", jobs=2,
                                                         limits=TEST_LIMITS, progress=False,
                                                         log=lambda *a: None)}
    for student in ("alice", "bob"):
        assert results[student]["score"] == results[student]["max_score"] == 4.0, results[student]
        assert not [f for f in results[student]["flags"] if f.startswith("variants")]
    carol = results["carol"]
    part_a = {c["name"]: c["passed"] for c in carol["notebooks"]["fx_variant"]["test_by_hand"]["checks"]}
    assert not part_a["fxv.hidden.s"] and not part_a["fxv.hidden.a"]
    assert carol["notebooks"]["fx_variant"]["test_by_hand"]["score"] <= 0.5
    assert carol["notebooks"]["fx_variant"]["test_scale"]["score"] == 2.0       # her own code
    assert any("COPIED?" in f and "alice" in f for f in carol["flags"]), carol["flags"]
    dave = results["dave"]
    assert any("parameter cell of another variant (alice)" in f for f in dave["flags"])
    assert any("COPIED?" in f for f in dave["flags"]) and dave["score"] < 4.0
    erin = results["erin"]
    assert erin["score"] == 4.0 and any("not in the roster" in f for f in erin["flags"])


@requires_bwrap()
def test_self_check_works_offline_on_the_students_own_variant(course, tmp_path, monkeypatch):
    """nnkit-check on a student's notebook: no secret, no course, only the notebook."""
    pytest.importorskip("nbclient")
    from nnkit.checks.selfcheck import check_notebook

    course, _, _, _ = course
    monkeypatch.delenv(variants.SECRET_ENV, raising=False)
    nb = fill(_student_nb(course, "bob"), {"by_hand": HONEST, "scale": SCALE})
    bob = variants.parameter_values(nb)
    path = tmp_path / "fx_variant.ipynb"
    nbformat.write(nb, path)
    report = check_notebook(path)
    assert report.ok, [(p.grade_id, [(c.name, c.status) for c in p.checks]) for p in report.parts]
    wrong = float(bob["w"] @ bob["x"] + bob["b"]) + 1.0
    nbformat.write(fill(_student_nb(course, "bob"), {"by_hand": f"s = {wrong!r}\na = max(s, 0.0)\n",
                                                     "scale": SCALE}), path)
    report = check_notebook(path)
    failed = {c.name for p in report.parts for c in p.checks if c.status == "failed"}
    assert failed == {"fxv.s_agrees"}



@requires_bwrap()
@pytest.mark.slow
def test_release_and_grade_on_a_dask_cluster(course, tmp_path, monkeypatch):
    """The cluster computes the same per-variant references as the local run, and grades each
    submission against its student's own variant."""
    pytest.importorskip("distributed", reason="Dask is not installed: pip install 'nnkit[cluster]'")
    from autograder.batch import grade_assignment
    from autograder.distributed import ProcessCluster

    local, local_table, _, _ = course
    monkeypatch.setenv(variants.SECRET_ENV, SECRET)
    roster = tmp_path / "roster.csv"
    roster.write_text("id\n" + "".join(f"{s}\n" for s in ROSTER))
    remote = Course.locate(tmp_path / "course")
    (tmp_path / "dask").mkdir()
    with ProcessCluster(tmp_path / "dask") as cluster:
        cluster.add_worker("w1")
        cluster.wait_for(1)
        logs: list[str] = []
        table = variants.release_variants(remote, "fx_variant", roster, source_dir=FIXTURES,
                                          limits=TEST_LIMITS, determinism=False,
                                          scheduler=cluster.address, log=logs.append)
        assert any("sent 3 reference run(s) to 1 Dask worker(s)" in line for line in logs)
        assert table["students"] == local_table["students"]
        assert table["dependent"] == local_table["dependent"]
        for entry in table["students"].values():
            digest = entry["notebooks"]["fx_variant"]
            a, b = (c.reference("fx_variant") / "fx_variant" / "variants" / digest / "records"
                    for c in (remote, local))
            ra, _ = checks.load_records(a)
            rb, _ = checks.load_records(b)
            assert {k: r.value.tolist() for k, r in ra.items()} == {k: r.value.tolist() for k, r in rb.items()}
        alice = variants.parameter_values(_student_nb(remote, "alice"))
        s_alice = float(alice["w"] @ alice["x"] + alice["b"])
        subs = remote.root / "submitted"
        write_submission(subs, "alice", "fx_variant",
                         fill(_student_nb(remote, "alice"), {"by_hand": HONEST, "scale": SCALE}))
        write_submission(subs, "bob", "fx_variant",
                         fill(_student_nb(remote, "bob"), {"by_hand": f"s = {s_alice!r}\na = "
                                                           f"{max(s_alice, 0.0)!r}\n", "scale": SCALE}))
        results = {r["student"]: r for r in grade_assignment(
            remote, "fx_variant", limits=TEST_LIMITS, progress=False, scheduler=cluster.address,
            log=lambda *a: None)}
    assert results["alice"]["score"] == 4.0 and results["alice"]["worker"]
    assert any("COPIED?" in f and "alice" in f for f in results["bob"]["flags"]), results["bob"]


def test_only_test_cells_that_cannot_see_the_parameters_are_left_out():
    nb = nbformat.read(FIXTURES / "fx_variant" / "fx_variant.ipynb", as_version=4)
    assert variants.independent_tests(nb) == {"test_scale"}

    def variant_of(helper_code: str, test_code: str):
        changed = copy.deepcopy(nb)
        for cell in changed.cells:
            if variants.grade_id(cell) == "scale":
                cell.source = helper_code + "\n" + cell.source
            if variants.grade_id(cell) == "test_scale":
                cell.source += "\n" + test_code
        return variants.independent_tests(changed)

    assert variant_of("box = [1.0]\nother = [2.0]", "_ = other") == {"test_scale"}
    for sneaky in ("box = []\nbox.append(w)",           # an object changed by a method call
                   "box = {}\nbox['k'] = b",            # an item assignment
                   "import math\nbox = []\nmath.fsum(box)\nlen(box, x)",  # passed to a call with x
                   "def f():\n    return x\nbox = f"):  # a function body reading a parameter
        assert variant_of(sneaky, "_ = box") == set(), sneaky


@requires_bwrap()
def test_variants_can_go_to_nbgraders_exchange(course, tmp_path):
    course, table, _, _ = course
    variants._write_student_notebooks(course, "fx_variant", table, tmp_path, "course101", lambda *a: None)
    outbound = tmp_path / "course101" / "outbound" / "fx_variant" / "fx_variant.ipynb"
    assert variants.seed_of(nbformat.read(outbound, as_version=4)) is None       # the default
    for s in ROSTER:
        nb = nbformat.read(tmp_path / "course101" / "variants" / "fx_variant" / s / "fx_variant.ipynb",
                           as_version=4)
        assert variants.seed_of(nb) == table["students"][s]["seed"]
    with pytest.raises(CourseError, match="--course-id"):
        variants._write_student_notebooks(course, "fx_variant", table, tmp_path, None, lambda *a: None)
