#!/usr/bin/env bash
# Renders a report in headless Chromium (Debian's `chromium`) to a PNG, and checks it rendered.
#   scripts/screenshot-report.sh OUT_DIR/report.html report.png
# Installs chromium and a CJK font (for 调峰/调频/备用) where either is missing (Debian, as
# root): each is checked on its own, so a machine with Chromium but no CJK font gets the font.
set -euo pipefail
html=$(realpath "$1"); png=$2
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; }; then
  missing+=(fonts-noto-cjk)
fi
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size=1100,"${HEIGHT:-6000}" \
  --screenshot="$png" "file://$html" 2>/dev/null
# A rendered page is a PNG of real size, not an error stub.
size=$(stat -c %s "$png")
if [ "$size" -lt 20000 ]; then
  echo "screenshot $png is only $size bytes: the report did not render" >&2
  exit 1
fi
echo "rendered $html to $png ($size bytes)"
