"""Fixes for the book's website, loaded by ``_config.yml`` (``sphinx: local_extensions``).

One fix, for a Sphinx 7 bug that the headless-browser test (``tests/test_browser.py``)
found: an inline script added after the builder starts, such as sphinx-thebe's
``const THEBE_JS_URL = ...``, is written into every page twice, and the second copy
throws ``SyntaxError: Identifier 'THEBE_JS_URL' has already been declared`` in the
reader's console. Sphinx registers the script once with the file name ``None`` and
once with ``''`` and so does not see that the two are the same. Sphinx 8.2 fixes this
(sphinx-doc/sphinx#13402); jupyter-book 1.x keeps Sphinx 7, so this extension drops
the second copy from each page's script list.
"""

from __future__ import annotations

from typing import Any


def _script_key(script: Any) -> tuple:
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {})
    return (str(filename), getattr(script, "priority", 500), tuple(sorted(attributes.items())))


def drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    """Keep the first of any scripts that are the same up to ``None`` versus ``''``."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app) -> dict:
    # Late priority: runs after the handlers that add page-specific scripts.
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
