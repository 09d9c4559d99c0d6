#!/usr/bin/env bash
# Checks the .deb that scripts/package built, the way a store gets it:
# its control file and contents, then (as root) install, start in DEMO,
# upgrade over an older version keeping the data folder, and removal that
# leaves the data folder. Usage: scripts/lib/check-package.sh FILE.deb
set -euo pipefail
deb="$1"
fail() { echo "package check: $*" >&2; exit 1; }
field() { dpkg-deb -f "$deb" "$1"; }
. "$(dirname "$0")/deb-libs.sh"

echo "==> package check: control file"
[ "$(field Package)" = easyqr-pos ] || fail "Package is $(field Package)"
[ -n "$(field Version)" ] || fail "no Version"
depends="$(field Depends)"
for lib in libwebkit2gtk-4.1-0 libgtk-3-0 libc6; do
    grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
# Every library the binaries load comes from a package it depends on.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/root"
for bin in usr/bin/easyqr-pos usr/bin/easyqr-cli; do
    libs_in_depends "$tmp/root" "$bin" "$depends"
done

echo "==> package check: contents"
desktop="$tmp/root/usr/share/applications/easyqr-pos.desktop"
[ -f "$desktop" ] || fail "no desktop entry"
grep -q '^Exec=easyqr-pos' "$desktop" || fail "desktop entry does not start easyqr-pos"
grep -q '^Name=EasyQR POS' "$desktop" || fail "desktop entry has no name"
icon="$(sed -n 's/^Icon=//p' "$desktop")"
find "$tmp/root/usr/share/icons/hicolor" -name "$icon.png" | grep -q . || fail "no icon $icon"

if [ "$(id -u)" -ne 0 ]; then
    echo "==> package check: install cycle skipped (needs root)"
    exit 0
fi
echo "==> package check: install an older version, start it, upgrade, remove"
# The "older version": this package with a lower version number.
dpkg-deb -R "$deb" "$tmp/old"
sed -i 's/^Version: .*/Version: 0.0.1/' "$tmp/old/DEBIAN/control"
dpkg-deb -b "$tmp/old" "$tmp/old.deb" >/dev/null
dpkg -i "$tmp/old.deb" >/dev/null || apt-get -f install -y -qq
home="$tmp/home"
data="$home/.local/share/easyqr-pos"
mkdir -p "$data"
# An owner's setting, to see it survive the upgrade.
printf '{"storeName": "Package Check"}\n' >"$data/settings.json"
start_once() {
    # No key configured: DEMO. Runs until its DEMO ledger exists.
    HOME="$home" XDG_DATA_HOME= WEBKIT_DISABLE_COMPOSITING_MODE=1 \
        xvfb-run -a easyqr-pos >"$tmp/run.log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 300); do
        grep -q 'EasyQR POS starting' "$tmp/run.log" && [ -f "$data/demo/ledger.sqlite3" ] && break
        sleep 0.1
    done
    pkill -TERM -f '^easyqr-pos$' || true
    wait "$pid" || true
    sed 's/\x1b\[[0-9;]*m//g' "$tmp/run.log" | grep -q 'EasyQR POS starting mode=Demo' ||
        fail "did not start in DEMO: $(cat "$tmp/run.log")"
}
start_once
sums() { (cd "$data" && find . -type f ! -path './logs/*' -print0 | sort -z | xargs -0 sha256sum); }
before="$(sums)"
dpkg -i "$deb" >/dev/null
[ "$(dpkg-query -W -f='${Version}' easyqr-pos)" = "$(field Version)" ] || fail "upgrade did not take"
[ "$(sums)" = "$before" ] || fail "the upgrade changed the data folder"
start_once
grep -q 'Package Check' "$data/settings.json" || fail "the settings were lost"
dpkg -r easyqr-pos >/dev/null
! command -v easyqr-pos >/dev/null || fail "easyqr-pos still installed after removal"
[ -f "$data/demo/ledger.sqlite3" ] || fail "removal took the data folder"
echo "==> package check: ok"
