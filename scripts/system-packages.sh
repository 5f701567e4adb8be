#!/usr/bin/env bash
# Install the Debian/Ubuntu packages a group needs, if missing: with apt when root, otherwise
# print the exact command and fail. Groups: server (PostgreSQL, PostGIS, npm), browser (Chromium
# and fonts, for the test suite). Checks look for the programs, so an npm that came with another
# Node.js is not replaced.
set -euo pipefail
missing=()
for group in "$@"; do
  case "$group" in
    server)
      ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null \
        || missing+=(postgresql)
      ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || missing+=(postgis)
      command -v npm >/dev/null || missing+=(npm)
      ;;
    browser)
      test -x /usr/bin/chromium || missing+=(chromium fonts-dejavu-core)
      test -d /usr/share/fonts/truetype/noto || missing+=(fonts-noto-color-emoji)
      ;;
    *) echo "unknown group: $group" >&2; exit 2 ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "Missing system packages: ${missing[*]}. Run:"
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
  exit 1
fi
