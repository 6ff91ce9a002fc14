#!/usr/bin/env bash
# Opens a generated attention page (index.html of `vittrain eval --dump-attention` or
# `vittrain report`) in headless chromium: saves a screenshot, fails on console errors, and runs
# the page's #selftest hook (moves the layer slider; the title then reports the new image).
# Usage: Scripts/check_report.sh DIR/index.html [screenshot.png]
set -euo pipefail
page="${1:?usage: check_report.sh INDEX_HTML [SCREENSHOT_PNG]}"
shot="${2:-$(dirname "$page")/screenshot.png}"
[ -f "$page" ] || { echo "check_report: $page: no such file" >&2; exit 2; }
browser="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$browser" ] || { echo "check_report: chromium is not installed (apt-get install -y chromium)" >&2; exit 3; }
url="file://$(cd "$(dirname "$page")" && pwd)/$(basename "$page")"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars
       --user-data-dir="$profile" --no-first-run --allow-file-access-from-files)

"$browser" "${flags[@]}" --window-size=1280,1100 --virtual-time-budget=4000 \
    --screenshot="$shot" "$url" >/dev/null 2>"$profile/shot.log" || true
[ -s "$shot" ] || { echo "check_report: no screenshot written"; cat "$profile/shot.log"; exit 1; }

"$browser" "${flags[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=4000 \
    --dump-dom "$url#selftest" >"$profile/dom.html" 2>"$profile/console.log" || true
title="$(sed -n 's:.*<title>\(.*\)</title>.*:\1:p' "$profile/dom.html" | head -1)"
echo "title: $title"
echo "screenshot: $shot"
if grep -E "CONSOLE|Uncaught" "$profile/console.log" | grep -qiE "error|uncaught"; then
    echo "check_report: console errors:"; grep -E "CONSOLE|Uncaught" "$profile/console.log"; exit 1
fi
case "$title" in
    "selftest ok errors=0 "*) echo "selftest ok: the slider changed the image and it loaded" ;;
    *) echo "check_report: self-test failed (title: ${title:-none})"; exit 1 ;;
esac
