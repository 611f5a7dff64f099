"""nnkit runs on any current Python (3.11 and newer), as far as can be checked on this machine.

Only Python 3.11 is installed here, so the newer versions are checked without running them:
pyproject allows them, no source imports a module or name that 3.12 or 3.13 removed, and pip
resolves every dependency a student installs to binary wheels for 3.12 and 3.13.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
NEWER = ["3.12", "3.13"]

# standard-library modules removed in 3.12 (PEP 594 and earlier deprecations) and 3.13 (PEP 594),
# and setuptools' pkg_resources, which a 3.12 virtual environment no longer contains
REMOVED_MODULES = {
    "distutils", "imp", "asynchat", "asyncore", "smtpd",
    "aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "mailcap", "msilib", "nis",
    "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib",
    "lib2to3", "pkg_resources",
}
# names removed from modules that remain
REMOVED_NAMES = {
    ("unittest", "makeSuite"), ("unittest", "findTestCases"), ("unittest", "getTestCaseNames"),
    ("configparser", "SafeConfigParser"), ("configparser", "readfp"), ("locale", "resetlocale"),
    ("pkgutil", "ImpImporter"), ("pkgutil", "ImpLoader"), ("typing", "io"), ("typing", "re"),
    ("pathlib", "link_to"), ("ssl", "wrap_socket"), ("gettext", "lgettext"),
}


def python_sources() -> list[Path]:
    files = []
    for folder in ("nnkit", "autograder", "tools", "_ext", "tests", "benchmarks"):
        files += sorted((ROOT / folder).rglob("*.py"))
    return [f for f in files if ".venv" not in f.parts and "_build" not in f.parts]


def test_pyproject_allows_every_current_python():
    spec = SpecifierSet(PYPROJECT["requires-python"])
    for version in ["3.11", *NEWER, "3.14"]:
        assert version in spec, f"requires-python {spec} excludes {version}"
    assert "3.10" not in spec
    classifiers = " ".join(PYPROJECT.get("classifiers", []))
    for version in ["3.11", *NEWER]:
        assert f"Python :: {version}" in classifiers, version


def test_no_source_uses_what_newer_pythons_removed():
    problems = []
    for path in python_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            modules = []
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module]
                problems += [f"{path.relative_to(ROOT)}:{node.lineno}: from {node.module} import {a.name}"
                             for a in node.names if (node.module, a.name) in REMOVED_NAMES]
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and (node.value.id, node.attr) in REMOVED_NAMES:
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value.id}.{node.attr}")
            problems += [f"{path.relative_to(ROOT)}:{node.lineno}: import {m}" for m in modules
                         if m.split(".")[0] in REMOVED_MODULES]
    assert not problems, "removed in Python 3.12/3.13:\n" + "\n".join(problems)


def test_no_source_pins_one_minor_version():
    """No `sys.version_info == (3, 11)`-style test that would take another path on 3.12."""
    problems = []
    for path in python_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
                text = ast.unparse(node)
                if "version_info" in text or "python_version" in text:
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text}")
    assert not problems, "\n".join(problems)


def student_requirements() -> list[str]:
    """The core dependencies and those of the student, viz and chapters extras (not nnkit itself)."""
    extras = PYPROJECT["optional-dependencies"]
    reqs = list(PYPROJECT["dependencies"])
    for extra in ("viz", "student", "chapters"):
        reqs += [r for r in extras[extra] if Requirement(r).name != "nnkit"]
    return sorted(set(reqs))


@pytest.mark.slow
@pytest.mark.parametrize("version", NEWER)
def test_student_dependencies_resolve_to_wheels_on_newer_pythons(version, tmp_path):
    report = tmp_path / "report.json"
    out = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--report", str(report),
         "--python-version", version, "--only-binary=:all:", "--target", str(tmp_path / "t"),
         *student_requirements()],
        capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, f"Python {version}: {out.stderr[-3000:]}"
    names = {item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]}
    for needed in ("numpy", "scipy", "matplotlib", "ipywidgets", "jupyterlab", "nbclient", "ipykernel"):
        assert needed in names, (version, needed)
