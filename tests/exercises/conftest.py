"""Fixtures for the exercise harness: every assignment's runs happen once per session.

The first test that asks for an assignment's evaluation triggers the runs of *every*
assignment selected in this session (so ``-k ex03`` runs only ex03), two processes at a
time; later tests read the cached results.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import exercise_harness as harness  # noqa: E402

ASSIGNMENTS = harness.assignment_names()


def pytest_generate_tests(metafunc):
    if "assignment" in metafunc.fixturenames and "mutation" not in metafunc.fixturenames:
        metafunc.parametrize("assignment", ASSIGNMENTS)


@pytest.fixture(scope="session")
def _evaluations(request):
    wanted = set()
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "assignment" in callspec.params:
            wanted.add(callspec.params["assignment"])
    workdir = harness.fresh_workdir()
    cache: dict = {}

    def get(name: str):
        if name not in cache:
            todo = sorted((wanted | {name}) - set(cache))
            cache.update(harness.evaluate_many(todo, workdir))
        return cache[name]

    yield get
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def evaluation(_evaluations, assignment):
    return _evaluations(assignment)


def pytest_terminal_summary(terminalreporter):
    """Report the visible-check catch rate of every part measured in this session."""
    rates = getattr(sys.modules.get("quality"), "CATCH_REPORT", None)
    if not rates:
        return
    terminalreporter.section("visible-check catch rate per part (issue 13: at least 80%)")
    for name in sorted(rates):
        terminalreporter.write_line(name)
        for line in rates[name]:
            terminalreporter.write_line("    " + line)
