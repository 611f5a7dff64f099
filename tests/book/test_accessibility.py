"""Accessibility of the built book, measured in Chromium (what accessibility.md reports).

- axe-core (vendored from npm for the tests only, tests/_vendor/axe.min.js, pinned in
  package.json) finds no violation of WCAG 2.1 level A and AA on any page, at 390 and 1280 px.
- Every explorer works with the keyboard alone: Tab reaches each of its controls, the arrow
  keys change them, and its aria-live line says the new state in words.
- Every formula carries MathJax's assistive MathML (what a screen reader reads).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.book.test_browser import MATH_MARKER, book_pages

pytestmark = [pytest.mark.book, pytest.mark.browser]

AXE = Path(__file__).resolve().parents[1] / "_vendor" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(AXE.parents[2])} is missing: run `make vendor` "
                    "(tools/vendor_js.py fetches axe-core from the npm registry).")
    return AXE.read_text(encoding="utf-8")


def open_page(browser, url: str, viewport: dict, has_math: bool):
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    if has_math:
        page.wait_for_selector("mjx-container", state="attached", timeout=60_000)
        page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    return context, page


def axe_violations(page, axe_source: str) -> list[dict]:
    page.add_script_tag(content=axe_source)
    result = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                           resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.length, targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
            summary: (v.nodes[0] && v.nodes[0].failureSummary || '').slice(0, 200)}));
    }""", WCAG_AA)
    return result


@pytest.mark.parametrize("width", list(WIDTHS))
def test_axe_finds_no_wcag21_aa_violation_on_any_page(book_html, book_url, browser, axe_source,
                                                       width, tmp_path):
    pages = book_pages(book_html)
    assert len(pages) >= 5, pages
    problems, report = [], {}
    for rel in pages:
        has_math = bool(MATH_MARKER.search((book_html / rel).read_text(encoding="utf-8")))
        context, page = open_page(browser, f"{book_url}/{rel.as_posix()}", WIDTHS[width], has_math)
        violations = axe_violations(page, axe_source)
        context.close()
        report[rel.as_posix()] = violations
        problems += [f"{rel} at {width} width: {v['id']} ({v['impact']}, {v['nodes']} elements: "
                     f"{v['help']}) e.g. {v['targets']} {v['summary']}" for v in violations]
    (tmp_path / f"axe-{width}.json").write_text(json.dumps(report, indent=1))
    assert not problems, f"{len(problems)} axe violations:\n" + "\n".join(problems)


# Put a focusable marker just before the explorer, focus it, then Tab from there: each of the
# explorer's controls must be reached in order, by the keyboard alone.
MARK_JS = """(i) => {
    const root = document.querySelectorAll('.nnkit-explorer')[i];
    const mark = document.createElement('span');
    mark.tabIndex = 0; mark.id = 'kbd-start';
    root.parentNode.insertBefore(mark, root);
    mark.focus();
    return root.querySelectorAll('input:not([disabled]), select:not([disabled])').length;
}"""
ACTIVE_JS = """(i) => {
    const root = document.querySelectorAll('.nnkit-explorer')[i];
    const a = document.activeElement;
    if (!a || !root.contains(a)) return null;
    const style = getComputedStyle(a);
    return {tag: a.tagName, type: a.type || '', disabled: a.disabled,
            value: a.value, max: a.max || '', atMax: a.type === 'range' && Number(a.value) >= Number(a.max),
            last: a.tagName === 'SELECT' && a.selectedIndex === a.options.length - 1,
            ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
                  || style.boxShadow !== 'none',
            live: Array.from(root.querySelectorAll('[aria-live=polite],[aria-live=assertive]'))
                       .map(e => e.textContent.trim()).join(' | ')};
}"""


def test_every_explorer_works_with_the_keyboard_alone(book_html, book_url, browser):
    chapters = sorted((book_html / "chapters").glob("*.html"))
    assert chapters, "no chapter pages were built"
    problems, n_controls = [], 0
    for path in chapters:
        rel = path.relative_to(book_html).as_posix()
        context, page = open_page(browser, f"{book_url}/{rel}", WIDTHS["desktop"], False)
        for i in range(page.locator(".nnkit-explorer").count()):
            n = page.evaluate(MARK_JS, i)
            where = f"{rel} explorer {i}"
            reached = 0
            for _ in range(4 * n + 4):
                page.keyboard.press("Tab")
                state = page.evaluate(ACTIVE_JS, i)
                if state is None:
                    break  # Tab left the explorer
                reached += 1
                n_controls += 1
                if not state["ring"]:
                    problems.append(f"{where}: a focused {state['tag'].lower()} shows no focus ring")
                if not state["live"]:
                    problems.append(f"{where}: no aria-live text says the explorer's state")
                    continue
                if state["disabled"]:
                    continue
                before = state["live"]
                if state["tag"] == "SELECT":
                    key = "ArrowUp" if state["last"] else "ArrowDown"
                else:
                    key = "ArrowLeft" if state["atMax"] else "ArrowRight"
                page.keyboard.press(key)
                page.wait_for_timeout(50)
                after = page.evaluate(ACTIVE_JS, i)
                if after is None or after["value"] == state["value"]:
                    problems.append(f"{where}: {key} did not change the {state['tag'].lower()}")
                elif after["live"] == before:
                    problems.append(f"{where}: after {key} on a {state['tag'].lower()} the "
                                    f"aria-live text still says {before[:80]!r}")
            if reached < n:
                problems.append(f"{where}: Tab reached {reached} of its {n} controls")
        context.close()
    assert n_controls >= len(chapters), f"only {n_controls} explorer controls were reached"
    assert not problems, "\n".join(problems)


def test_every_formula_carries_assistive_mathml(book_html, book_url, browser):
    problems, n_math = [], 0
    for rel in book_pages(book_html):
        if not MATH_MARKER.search((book_html / rel).read_text(encoding="utf-8")):
            continue
        context, page = open_page(browser, f"{book_url}/{rel.as_posix()}", WIDTHS["desktop"], True)
        counts = page.evaluate("""() => {
            const all = Array.from(document.querySelectorAll('mjx-container'));
            return {all: all.length,
                    mml: all.filter(c => c.querySelector('mjx-assistive-mml math')).length};
        }""")
        context.close()
        n_math += counts["all"]
        if counts["mml"] != counts["all"]:
            problems.append(f"{rel}: {counts['all'] - counts['mml']} of {counts['all']} formulas "
                            "have no assistive MathML")
    assert n_math > 0, "no formula was typeset"
    assert not problems, "\n".join(problems)
