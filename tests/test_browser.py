"""The website as a reader sees it: every page of _toc.yml opened in headless
Chromium.

The site is the one ``tests/conftest.py::site`` builds (with warnings as
errors), served on localhost. Chromium is Debian's (``make test`` installs it
with apt-get when it is missing and it can), driven by Playwright with no
download of its own. The machine has no network, so a page that needed one (a
CDN for MathJax, say) fails here as it would for an offline reader.

Each chapter's full-page screenshot goes to ``test-artifacts/screenshots/``
(ignored by git) for a person to look at.

Set ``SSLBOOK_CHROMIUM`` to a Chromium or Chrome binary elsewhere than on
the PATH, or ``SSLBOOK_BROWSER_TESTS=0`` to skip these tests where no Chromium
can be installed.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import ROOT, read_toc_files

from nbtools import repository

pytestmark = pytest.mark.browser

ENGLISH_PAGES = read_toc_files()
ENGLISH_NOTEBOOKS = [
    stem for stem in ENGLISH_PAGES if (ROOT / f"{stem}.ipynb").is_file()
]
# The Chinese edition (tools/i18n.py), built into the site's zh/ folder.
CHINESE_PAGES = [f"zh/{stem}" for stem in ENGLISH_PAGES]
PAGES = ENGLISH_PAGES + CHINESE_PAGES
NOTEBOOK_PAGES = ENGLISH_NOTEBOOKS + [
    f"zh/{stem}" for stem in ENGLISH_NOTEBOOKS
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"

# The flags the machine needs: no sandbox (root), no GPU, and none of
# Chromium's own background connections, which this closed network refuses.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

# Raw TeX that MathJax should have typeset; code blocks are removed before the
# search.
RAW_TEX = re.compile(
    r"\$\$|\\frac|\\\(|\\\[|\\(?:mathbb|sum|nabla|theta|log|exp|sigma)\b"
)

# What the page reports about itself once MathJax has finished.
PAGE_REPORT_JS = """
async () => {
  if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
  const article = document.querySelector("article.bd-article") || \
document.body;
  const prose = article.cloneNode(true);
  prose.querySelectorAll("pre, code, script, style, mjx-container")\
.forEach(e => e.remove());
  const maths = [...article.querySelectorAll(".math")];
  return {
    text: prose.innerText,
    maths: maths.length,
    typeset: maths.filter(e => e.querySelector("mjx-container")).length,
    tex_errors: article.querySelectorAll("mjx-merror").length,
    images: [...article.querySelectorAll("img")].map(i => ({
      src: i.getAttribute("src"), loaded: i.complete && i.naturalWidth > 0})),
    colab: [...document.querySelectorAll(\
'a[href*="colab.research.google.com"]')]
      .map(a => a.href),
    citations: document.querySelectorAll("div.citation").length,
    glossary_terms: [...document.querySelectorAll("dl.glossary > dt")]\
.map(e => e.id),
    language: document.documentElement.lang,
    switch: [...document.querySelectorAll(".sslbook-language-switch a")]\
.map(a => a.href),
  };
}
"""


def find_chromium() -> str | None:
    candidates = [
        os.environ.get("SSLBOOK_CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        shutil.which("google-chrome"),
    ]
    return next((c for c in candidates if c and Path(c).is_file()), None)


@dataclass
class PageVisit:
    """What one page showed: its console errors and PAGE_REPORT_JS's report."""

    errors: list[str] = field(default_factory=list)
    report: dict = field(default_factory=dict)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="module")
def server(site):
    assert site.returncode == 0, site.log[-3000:]
    handler = functools.partial(_QuietHandler, directory=str(site.html))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A Chromium context with a fresh, empty user-data directory."""
    if os.environ.get("SSLBOOK_BROWSER_TESTS") == "0":
        pytest.skip("SSLBOOK_BROWSER_TESTS=0")
    executable = find_chromium()
    if executable is None:
        pytest.fail(
            "the browser test needs Chromium: `make test` installs Debian's "
            "`chromium` with apt-get when it runs as root; otherwise install "
            "it yourself, set SSLBOOK_CHROMIUM=/path/to/chromium, or set "
            "SSLBOOK_BROWSER_TESTS=0 to skip"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


@pytest.fixture(scope="module")
def visit(server, browser):
    """visit(stem) opens a page once, records its errors, and screenshots
    chapters.
    """
    visits: dict[str, PageVisit] = {}

    def _visit(stem: str) -> PageVisit:
        if stem in visits:
            return visits[stem]
        result = visits[stem] = PageVisit()
        page = browser.new_page()
        page.on(
            "console",
            lambda m: m.type == "error" and result.errors.append(
                f"console: {m.text} ({m.location.get('url')})"
            ),
        )  # fmt: skip
        page.on("pageerror", lambda e: result.errors.append(f"uncaught: {e}"))
        page.on(
            "requestfailed",
            lambda r: result.errors.append(f"request failed: {r.url}"),
        )
        page.on(
            "response",
            lambda r: r.status >= 400 and result.errors.append(
                f"HTTP {r.status}: {r.url}"
            ),
        )  # fmt: skip
        response = page.goto(f"{server}/{stem}.html", wait_until="load")
        if response is None or not response.ok:
            result.errors.append(
                f"page itself: {response and response.status}"
            )
        result.report = page.evaluate(PAGE_REPORT_JS)
        if stem.startswith(("chapters/", "zh/chapters/")):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = stem.removeprefix("chapters/").replace("/", "__")
            page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
        page.close()
        return result

    return _visit


@pytest.mark.parametrize("stem", PAGES)
def test_page_loads_without_console_errors(visit, stem):
    assert visit(stem).errors == []


@pytest.mark.parametrize("stem", PAGES)
def test_maths_is_typeset_and_no_raw_tex_shows(visit, stem):
    report = visit(stem).report
    assert report["typeset"] == report["maths"], "maths left untypeset"
    assert report["tex_errors"] == 0, "MathJax reported a TeX error"
    assert RAW_TEX.findall(report["text"]) == []


@pytest.mark.parametrize("prefix", ["", "zh/"])
def test_the_chapters_have_maths_to_typeset(visit, prefix):
    # Guards the test above against passing because it found nothing to check.
    assert visit(f"{prefix}chapters/02_core_concepts").report["maths"] >= 20


@pytest.mark.parametrize("stem", PAGES)
def test_every_image_loads(visit, stem):
    images = visit(stem).report["images"]
    assert [i["src"] for i in images if not i["loaded"]] == []


@pytest.mark.parametrize(
    "stem", ["chapters/02_core_concepts", "chapters/04_code/04_3_simclr"]
)
def test_chapters_with_figures_show_them(visit, stem):
    # Guards test_every_image_loads against passing because it found no image.
    assert len(visit(stem).report["images"]) > 0


@pytest.mark.parametrize("stem", NOTEBOOK_PAGES)
def test_notebook_page_launches_its_own_notebook_in_colab(visit, stem):
    # The button opens the page's notebook edition (tools/editions.py), plain
    # Markdown with its numbers pasted: editions/en/<stem>.ipynb, or
    # editions/zh/... for a zh/ page.
    url, branch = repository()
    repo = url.removeprefix("https://github.com/")
    edition = (
        f"editions/{stem}" if stem.startswith("zh/") else f"editions/en/{stem}"
    )
    expected = f"https://colab.research.google.com/github/{repo}/blob/{branch}/{edition}.ipynb"
    assert visit(stem).report["colab"] == [expected]
    assert (ROOT / f"{edition}.ipynb").is_file()


@pytest.mark.parametrize("stem", ENGLISH_PAGES)
def test_the_language_switch_leads_to_the_same_page_both_ways(
    server, visit, stem
):
    english, chinese = visit(stem).report, visit(f"zh/{stem}").report
    assert english["language"] == "en" and chinese["language"] == "zh-CN"
    assert english["switch"] == [f"{server}/zh/{stem}.html"]
    assert chinese["switch"] == [f"{server}/{stem}.html"]


def test_clicking_the_language_switch_opens_the_chinese_page_and_back(
    server, browser
):
    page = browser.new_page()
    page.goto(f"{server}/chapters/04_code/04_3_simclr.html")
    page.locator(".sslbook-language-switch a").click()
    page.wait_for_url(f"{server}/zh/chapters/04_code/04_3_simclr.html")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.locator(".sslbook-language-switch a").click()
    page.wait_for_url(f"{server}/chapters/04_code/04_3_simclr.html")
    page.close()


def test_a_cjk_font_is_installed_for_the_chinese_pages():
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        pytest.skip("no fc-list to ask for fonts")
    import subprocess

    fonts = subprocess.run(
        [fc_list, ":lang=zh"], capture_output=True, text=True
    ).stdout
    assert fonts.strip(), (
        "install a CJK font (Debian: fonts-wqy-microhei) "
        "to read the Chinese pages"
    )


def test_menu_button_hides_the_navigation(server, browser):
    # sphinx-book-theme 1.3 with a navbar search field binds this button's
    # handler to a hidden twin, and the click did nothing
    # (executablebooks/sphinx-book-theme#917).
    page = browser.new_page()
    page.goto(f"{server}/chapters/05_future/05_1_efficiency.html")
    sidebar = page.locator(".bd-sidebar-primary")
    assert sidebar.is_visible()
    page.locator(".bd-header-article .primary-toggle").click()
    page.wait_for_function(
        "() => getComputedStyle("
        "document.querySelector('.bd-sidebar-primary')"
        ").visibility === 'hidden'"
    )
    page.close()


def test_bibliography_lists_every_entry(visit):
    entries = re.findall(
        r"^@\w+\{", (ROOT / "references.bib").read_text(encoding="utf-8"), re.M
    )
    assert (
        visit("appendix/bibliography").report["citations"] == len(entries) > 0
    )


def test_glossary_lists_every_term(visit):
    source = (ROOT / "appendix" / "glossary.md").read_text(encoding="utf-8")
    block = source.split("```{glossary}", 1)[1].split("```", 1)[0]
    terms = [
        line
        for line in block.splitlines()
        if line and not line.startswith(" ")
    ]
    shown = visit("appendix/glossary").report["glossary_terms"]
    assert len(shown) == len(terms) > 0 and all(shown)


@pytest.mark.parametrize("stem", NOTEBOOK_PAGES)
def test_exercises_render_and_their_solutions_unfold(server, browser, stem):
    """Every notebook page ends with exercises; each solution is folded until
    its button is clicked.
    """
    page = browser.new_page()
    page.goto(f"{server}/{stem}.html", wait_until="load")
    exercises = page.locator("div.exercise.admonition")
    solutions = page.locator("div.solution.admonition")
    assert (
        3 <= exercises.count() <= 5 and solutions.count() == exercises.count()
    )
    for i in range(solutions.count()):
        solution = solutions.nth(i)
        body = solution.locator("section").first
        assert not body.is_visible(), f"solution {i + 1} is not folded"
        solution.locator("button.toggle-button").click()
        body.wait_for(state="visible")
    page.close()
