#!/usr/bin/env bash
# Install the Debian/Ubuntu packages a group needs, if missing: with apt when root, otherwise print
# the exact command and fail.
#
#   scripts/system-packages.sh [--dry-run] GROUP...
#
# Groups: server (PostgreSQL, the PostGIS extension of that server's major version, npm, tilemaker
# which builds the base map from an OpenStreetMap extract), browser
# (Chromium and its fonts, for the test suite).
#
# The PostGIS extension must match the server the embedded cluster runs on (chosen_major below),
# else the version Debian's `postgresql` package would install. The Debian package `postgis` holds only command-line tools;
# the server extension is `postgresql-<major>-postgis-3`.
#
# --dry-run prints `packages: NAME...` (nothing when all is there) and installs nothing.
# IOC_SYSROOT (tests only) checks files under another root, as if it were the machine's.
set -euo pipefail

dry_run=0
if [ "${1:-}" = "--dry-run" ]; then dry_run=1; shift; fi
root=${IOC_SYSROOT:-}
var_dir=${IOC_VAR_DIR:-$(cd "$(dirname "$0")/.." && pwd)/var}

have_cmd() {
  if [ -n "$root" ]; then
    test -x "$root/usr/bin/$1" || test -x "$root/usr/local/bin/$1"
  else
    command -v "$1" >/dev/null
  fi
}

# The server major versions installed, newest first.
installed_majors() {
  local d
  for d in "$root"/usr/lib/postgresql/*/bin/pg_ctl; do
    [ -x "$d" ] || continue
    d=${d%/bin/pg_ctl}; d=${d##*/}
    case "$d" in *[!0-9]*|"") continue ;; esac
    echo "$d"
  done | sort -rn
}

# The server version Debian would install: postgresql depends on postgresql-<major>.
candidate_major() {
  apt-cache depends postgresql 2>/dev/null \
    | sed -n 's/^ *Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n 1
}

# The major version of an existing embedded cluster, which fixes the server it needs.
cluster_major() {
  local file="$var_dir/db/pgdata/PG_VERSION"
  [ -r "$file" ] && tr -dc '0-9' < "$file" || true
}

has_postgis() {
  test -f "$root/usr/share/postgresql/$1/extension/postgis.control" \
    && test -f "$root/usr/lib/postgresql/$1/lib/postgis-3.so"
}

# The server the embedded cluster will run on, as ioc/system/pgcluster.py chooses it: an existing cluster's
# own version; else the newest installed server with PostGIS, else the newest installed server.
chosen_major() {
  local major v
  major=$(cluster_major)
  [ -n "$major" ] && { echo "$major"; return; }
  for v in $(installed_majors); do
    has_postgis "$v" && { echo "$v"; return; }
  done
  installed_majors | head -n 1
}

server_packages() {
  local major
  major=$(chosen_major)
  [ -n "$major" ] || major=$(candidate_major)
  if [ -z "$major" ]; then
    # No package lists to ask: Debian's metapackages follow its default server version.
    missing+=(postgresql postgresql-postgis)
    return
  fi
  test -x "$root/usr/lib/postgresql/$major/bin/pg_ctl" || missing+=("postgresql-$major")
  has_postgis "$major" || missing+=("postgresql-$major-postgis-3")
}

missing=()
for group in "$@"; do
  case "$group" in
    server)
      server_packages
      have_cmd npm || missing+=(npm)
      have_cmd tilemaker || missing+=(tilemaker)
      ;;
    browser)
      test -x "$root/usr/bin/chromium" || missing+=(chromium)
      test -f "$root/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" || missing+=(fonts-dejavu-core)
      test -f "$root/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf" \
        || missing+=(fonts-noto-color-emoji)
      ;;
    *) echo "unknown group: $group" >&2; exit 2 ;;
  esac
done

if [ "$dry_run" = 1 ]; then
  [ ${#missing[@]} -eq 0 ] || echo "packages: ${missing[*]}"
  exit 0
fi
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
