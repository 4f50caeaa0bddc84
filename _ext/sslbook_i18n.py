"""The language switch between the English book and its Chinese edition.

Loaded by both ``_config.yml`` and ``zh/_config.yml`` (``sphinx:
local_extensions``). The English site is built into ``_build/html`` and the
Chinese one into ``_build/html/zh``, with the same page names, so every page's
counterpart is a fixed relative link: from ``chapters/06_faq.html`` to
``zh/chapters/06_faq.html`` and back. The extension puts that link at the top
of every page's text, and tells search engines about it with ``<link
rel="alternate" hreflang=...>``. It needs no script, so it works in a reader's
browser with JavaScript off, and in the headless browser of the test suite.
"""

from __future__ import annotations

from html import escape

#: Sphinx's ``language`` of the Chinese edition.
CHINESE = "zh_CN"


def counterpart(pagename: str, language: str | None) -> tuple[str, str, str]:
    """``(relative URL, label, hreflang)`` of the same page in the other language."""
    up = "../" * pagename.count("/")
    if language == CHINESE:
        return f"{up}../{pagename}.html", "English", "en"
    return f"{up}zh/{pagename}.html", "中文", "zh-CN"


def add_language_switch(app, pagename, templatename, context, doctree) -> None:
    if doctree is None:  # genindex, search: pages with no counterpart of their own
        return
    url, label, hreflang = counterpart(pagename, app.config.language)
    link = (
        f'<p class="sslbook-language-switch"><a href="{escape(url)}" hreflang="{hreflang}" '
        f'lang="{hreflang}">{label}</a></p>\n'
    )
    context["body"] = link + context.get("body", "")
    context["metatags"] = context.get("metatags", "") + (
        f'\n<link rel="alternate" hreflang="{hreflang}" href="{escape(url)}" />'
    )


def setup(app) -> dict:
    app.connect("html-page-context", add_language_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
