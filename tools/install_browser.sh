#!/bin/sh
# Debian's Chromium (and a font for the book's Chinese terms) for the browser test,
# tests/test_browser.py. `make test` runs this first; it does nothing when a Chromium
# is already there or the browser test is switched off (SSLBOOK_BROWSER_TESTS=0).
# Playwright drives this Chromium; it never downloads a browser of its own.
set -eu

if [ "${SSLBOOK_BROWSER_TESTS:-1}" = 0 ] || [ -n "${SSLBOOK_CHROMIUM:-}" ] \
    || command -v chromium >/dev/null 2>&1; then
    exit 0
fi

packages="chromium fonts-wqy-microhei"
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "Installing $packages for the browser test (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q $packages >/dev/null \
        || { apt-get update -q >/dev/null && apt-get install -y -q $packages >/dev/null; }
else
    echo "The browser test needs Chromium. Install it (Debian/Ubuntu: sudo apt-get install" \
         "$packages), or set SSLBOOK_CHROMIUM=/path/to/chromium, or set" \
         "SSLBOOK_BROWSER_TESTS=0 to skip the browser test." >&2
fi
