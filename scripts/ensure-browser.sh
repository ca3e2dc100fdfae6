#!/usr/bin/env bash
# Make sure the browser tests have a Chromium at /usr/bin/chromium (and a CJK font, so Chinese pages render
# as text, not boxes, in screenshots). Never fails: without a browser, tests/browser skip and say why.
# We use the distribution's Chromium, never `playwright install` (no downloads outside the package manager).
CHROMIUM=/usr/bin/chromium

can_apt() { [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; }

install_cjk_font() {
  if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null | head -n1)" ]; then
    return 0
  fi
  can_apt && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 \
    || echo "ensure-browser: no CJK font installed; Chinese text in screenshots may show as boxes" >&2
}

if [ -x "$CHROMIUM" ]; then
  install_cjk_font
  exit 0
fi

if ! can_apt; then
  echo "ensure-browser: $CHROMIUM is missing and cannot be installed here (needs root and apt-get);" \
       "the browser tests (tests/browser) will be skipped." >&2
  exit 0
fi

echo "ensure-browser: installing chromium with apt-get ..." >&2
if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; then
  install_cjk_font
else
  echo "ensure-browser: installing chromium failed; the browser tests (tests/browser) will be skipped." >&2
fi
exit 0
