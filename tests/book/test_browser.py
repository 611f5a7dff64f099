"""Open every page of the built book in headless Chromium, as a reader would.

For each page: no console errors, no failed requests, no request leaves 127.0.0.1, math is
typeset where the page has math, every image loads, and a screenshot is saved under the test's
temporary folder. Then the search page must find a word taught in a chapter.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.book, pytest.mark.browser]

MATH_MARKER = re.compile(r'class="[^"]*\bmath\b')


def book_pages(book_html: Path) -> list[Path]:
    pages = []
    for path in sorted(book_html.rglob("*.html")):
        rel = path.relative_to(book_html)
        if any(part.startswith("_") for part in rel.parts):
            continue  # _static, _sources, _images
        pages.append(rel)
    return pages


def visit(page, url: str, base: str) -> dict:
    """Load `url`, wait until the network is idle, and return what went wrong."""
    seen = {"console": [], "failed": [], "outside": []}

    def on_request(req):
        if not (req.url.startswith(base) or req.url.startswith(("data:", "blob:", "about:"))):
            seen["outside"].append(req.url)

    page.on("console", lambda m: m.type == "error" and seen["console"].append(m.text))
    page.on("pageerror", lambda e: seen["console"].append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: seen["failed"].append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and seen["failed"].append(f"{r.url} (HTTP {r.status})"))
    page.on("request", on_request)
    page.goto(url, wait_until="networkidle")
    return seen


def test_every_page_loads_cleanly_offline(book_html, book_url, browser, tmp_path):
    pages = book_pages(book_html)
    assert len(pages) >= 5, f"expected the intro, chapters and reference pages, found {pages}"
    problems = []
    shots = tmp_path / "screenshots"
    shots.mkdir()
    for rel in pages:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        seen = visit(page, f"{book_url}/{rel.as_posix()}", book_url)
        html = (book_html / rel).read_text(encoding="utf-8")
        if MATH_MARKER.search(html):
            try:
                page.wait_for_selector("mjx-container", state="attached", timeout=60_000)
            except Exception:
                problems.append(f"{rel}: has math but MathJax typeset nothing")
        broken = page.evaluate("""async () => {
            const imgs = Array.from(document.images);
            imgs.forEach(i => { i.loading = 'eager'; });
            await Promise.all(imgs.map(i => i.complete ? null :
                new Promise(r => { i.onload = i.onerror = r; })));
            return imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src);
        }""")
        page.wait_for_load_state("networkidle")
        for kind, label in (("console", "console error"), ("failed", "failed request"),
                            ("outside", "request leaving 127.0.0.1")):
            problems += [f"{rel}: {label}: {item}" for item in seen[kind]]
        problems += [f"{rel}: image did not load: {src}" for src in broken]
        page.screenshot(path=str(shots / (rel.as_posix().replace("/", "__") + ".png")))
        context.close()
    assert not problems, "\n".join(problems)
    assert len(list(shots.glob("*.png"))) == len(pages)


def test_search_finds_a_word_from_a_chapter(book_url, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{book_url}/search.html?q=perceptron", wait_until="networkidle")
    page.wait_for_selector("#search-results ul.search li", timeout=20_000)
    links = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.href)")
    context.close()
    assert any("chapters/01_neurons" in link for link in links), links


def test_every_explorer_responds_without_a_kernel(book_html, book_url, browser):
    """Each chapter's explorers are interactive in the static page: moving a control swaps the figure."""
    chapters = sorted((book_html / "chapters").glob("*.html"))
    assert chapters, "no chapter pages were built"
    problems, n_explorers = [], 0
    for path in chapters:
        rel = path.relative_to(book_html).as_posix()
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{book_url}/{rel}", wait_until="networkidle")
        explorers = page.locator(".nnkit-explorer")
        if explorers.count() == 0:
            problems.append(f"{rel}: no explorer")
        for i in range(explorers.count()):
            n_explorers += 1
            explorer = explorers.nth(i)
            explorer.scroll_into_view_if_needed()
            image = explorer.locator("img").first
            before = image.get_attribute("src")
            control = explorer.locator("input[type=range], select").first
            if control.evaluate("e => e.tagName") == "SELECT":
                n_options = control.locator("option").count()
                current = control.evaluate("e => e.selectedIndex")
                control.select_option(index=(current + 1) % n_options)
            else:
                control.focus()
                at_max = control.evaluate("e => Number(e.value) >= Number(e.max)")
                page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
            page.wait_for_timeout(100)
            if image.get_attribute("src") == before:
                problems.append(f"{rel}: explorer {i} did not change its figure")
        context.close()
    assert not problems, "\n".join(problems)
    assert n_explorers >= len(chapters)


PHONE = {"width": 390, "height": 844}

# Which display equations are cut off (or stick out of the page), and does the page scroll
# sideways? A formula wider than the screen is fine only inside a box that scrolls.
PHONE_LAYOUT_JS = """() => {
    const width = document.documentElement.clientWidth;
    const page = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
    const bad = [];
    const equations = document.querySelectorAll('mjx-container[display="true"]');
    for (const eq of equations) {
        const math = eq.querySelector('mjx-math') || eq;
        const right = math.getBoundingClientRect().right;      // where the formula really ends
        let clipper = null;                                     // nearest box that clips it
        for (let box = eq; box && box !== document.body; box = box.parentElement) {
            if (getComputedStyle(box).overflowX !== 'visible') { clipper = box; break; }
        }
        const edge = clipper ? Math.min(width, clipper.getBoundingClientRect().right) : width;
        if (right <= edge + 1) continue;                        // fits
        const scrolls = clipper && ['auto', 'scroll'].includes(getComputedStyle(clipper).overflowX)
            && clipper.getBoundingClientRect().right <= width + 1;
        if (!scrolls) bad.push(eq.textContent.slice(0, 60));   // cut off, or widens the page
    }
    return {width: width, page: page, equations: bad, displayed: equations.length};
}"""


def test_every_page_fits_a_phone(book_html, book_url, browser):
    """At 390 px no page scrolls sideways; a long display equation scrolls inside its own box."""
    problems = []
    for rel in book_pages(book_html):
        context = browser.new_context(viewport=PHONE, device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{book_url}/{rel.as_posix()}", wait_until="networkidle")
        html = (book_html / rel).read_text(encoding="utf-8")
        if MATH_MARKER.search(html):
            try:
                page.wait_for_selector("mjx-container", state="attached", timeout=60_000)
                page.wait_for_timeout(300)  # the last typeset equations settle
            except Exception:
                problems.append(f"{rel}: has math but MathJax typeset nothing")
        layout = page.evaluate(PHONE_LAYOUT_JS)
        if layout["page"] > layout["width"] + 1:
            problems.append(f"{rel}: the page is {layout['page']} px wide on a "
                            f"{layout['width']} px screen (it scrolls sideways)")
        problems += [f"{rel}: display equation cut off at phone width: {eq!r}"
                     for eq in layout["equations"]]
        context.close()
    assert not problems, "\n".join(problems)


def _plain(text: str) -> str:
    """A caption's text as the alt text carries it: inline math as its TeX source."""
    return " ".join(text.replace("\\(", "").replace("\\)", "").split())


PATH_LIKE = re.compile(r"^[\w./\\-]+\.(png|jpe?g|svg|gif|webp)$|_images/|^data:", re.I)


def test_every_figure_has_its_caption_as_alt_text(book_html):
    """The alt text of a figure's image is the caption's text, never an image path."""
    from bs4 import BeautifulSoup

    problems, n_figures = [], 0
    for rel in book_pages(book_html):
        soup = BeautifulSoup((book_html / rel).read_text(encoding="utf-8"), "html.parser")
        for figure in soup.select("main figure"):
            caption = figure.select_one("figcaption .caption-text")
            for img in figure.select("img"):
                n_figures += 1
                alt = " ".join((img.get("alt") or "").split())
                where = f"{rel}#{figure.get('id')}"
                if not alt or PATH_LIKE.search(alt):
                    problems.append(f"{where}: alt text {alt!r} is empty or a path")
                elif caption is not None and alt != _plain(caption.get_text()):
                    problems.append(f"{where}: alt text {alt[:60]!r} is not the caption")
    assert n_figures > 0, "no figures found in the built book"
    assert not problems, "\n".join(problems)


def test_the_site_root_has_the_favicon_browsers_ask_for(book_html):
    """index.html (Jupyter Book's redirect) names no icon, so a browser fetches /favicon.ico:
    the build writes it (_ext/book_fixes.py), otherwise that request is a 404 in the console."""
    from PIL import Image

    ico = book_html / "favicon.ico"
    assert ico.is_file(), "_build/html/favicon.ico is missing"
    with Image.open(ico) as image:
        assert image.format == "ICO" and {(16, 16), (32, 32)} <= set(image.info["sizes"])


# Does every display equation fit its box, or, when it cannot, show that it scrolls? The box
# is the equation's scrolling container (mjx-container, _ext/static/book_layout.css); its cue is
# the scroll shadow drawn by its background (gradients, the covers attached "local").
EQUATION_FIT_JS = """() => {
    const out = [];
    for (const eq of document.querySelectorAll('mjx-container[display="true"]')) {
        let box = eq;
        while (box && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) {
            box = box.parentElement;
        }
        box = box || eq;
        const math = eq.querySelector('mjx-math') || eq;
        const style = getComputedStyle(box);
        const eqno = eq.closest('div.math') && eq.closest('div.math').querySelector(':scope > .eqno');
        const a = math.getBoundingClientRect(), b = eqno ? eqno.getBoundingClientRect() : null;
        const overlap = b && b.width > 0 && a.left < b.right && b.left < a.right
                        && a.top < b.bottom && b.top < a.bottom;
        out.push({tex: (eq.closest('div.math') || eq).id || eq.textContent.slice(0, 50),
                  width: Math.ceil(a.width), room: box.clientWidth,
                  overflows: box.scrollWidth > box.clientWidth + 1 || a.width > box.clientWidth + 1,
                  cue: style.backgroundImage.includes('gradient') &&
                       style.backgroundAttachment.includes('local'),
                  overlap: Boolean(overlap)});
    }
    return out;
}"""


def equation_fits(book_html, book_url, browser, viewport):
    """[(page, equation)] measured at `viewport` on every page with math."""
    found = []
    for rel in book_pages(book_html):
        if not MATH_MARKER.search((book_html / rel).read_text(encoding="utf-8")):
            continue
        context = browser.new_context(viewport=viewport, device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{book_url}/{rel.as_posix()}", wait_until="networkidle")
        page.wait_for_selector("mjx-container", state="attached", timeout=60_000)
        page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.wait_for_timeout(300)
        found += [(rel.as_posix(), eq) for eq in page.evaluate(EQUATION_FIT_JS)]
        context.close()
    return found


def test_every_display_equation_fits_a_phone_column(book_html, book_url, browser):
    """At 390 px every display equation fits its column: nothing to scroll, nothing hidden
    under its equation number (long ones are broken into aligned lines)."""
    found = equation_fits(book_html, book_url, browser, PHONE)
    assert len(found) >= 50, f"only {len(found)} display equations were found"
    too_wide = [f"{rel}: {eq['tex']} is {eq['width']} px wide in a {eq['room']} px box"
                for rel, eq in found if eq["overflows"]]
    covered = [f"{rel}: {eq['tex']} overlaps its equation number" for rel, eq in found if eq["overlap"]]
    assert not too_wide + covered, (f"{len(too_wide)} of {len(found)} display equations do not fit "
                                    "at 390 px:\n" + "\n".join(too_wide + covered))


def test_a_display_equation_too_wide_for_a_small_phone_shows_that_it_scrolls(book_html, book_url,
                                                                               browser):
    """At 300 px some formulas cannot fit: each of them scrolls in its own box with a visible
    cue (a shadow at the hidden edge), and the page itself does not scroll sideways."""
    found = equation_fits(book_html, book_url, browser, {"width": 300, "height": 700})
    wide = [(rel, eq) for rel, eq in found if eq["overflows"]]
    assert wide, "no equation is wider than a 300 px column: this test checks nothing"
    silent = [f"{rel}: {eq['tex']} scrolls without a cue" for rel, eq in wide if not eq["cue"]]
    assert not silent, "\n".join(silent)
