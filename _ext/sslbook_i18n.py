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

import gettext
from html import escape

from sphinx import locale

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


#: The theme's Chinese (sphinx-book-theme's zh_CN catalogue) where it uses Taiwan's
#: wording: mainland Chinese, as the rest of the book.
THEME_WORDING = {"Print to PDF": "打印为 PDF"}


class _Overrides(gettext.NullTranslations):
    """A catalogue that answers for a few messages and passes the rest to the theme's own."""

    def __init__(self, messages: dict[str, str], fallback) -> None:
        super().__init__()
        self.messages = messages
        if fallback is not None:
            self.add_fallback(fallback)

    def gettext(self, message: str) -> str:
        if message in self.messages:
            return self.messages[message]
        return super().gettext(message)


def use_mainland_wording(app) -> None:
    """Put ``THEME_WORDING`` in front of the theme's catalogue, once every extension is set up."""
    if app.config.language != CHINESE:
        return
    key = ("general", "booktheme")
    locale.translators[key] = _Overrides(THEME_WORDING, locale.translators.get(key))


def setup(app) -> dict:
    app.connect("html-page-context", add_language_switch)
    app.connect("builder-inited", use_mainland_wording)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
