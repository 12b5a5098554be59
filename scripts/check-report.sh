#!/usr/bin/env bash
# check-report.sh FILE.html OUT.png
#
# Checks an HTML report made by internal/htmlreport in a real browser:
#   1. statically: the file loads nothing and runs nothing (no <script>,
#      <link>, <img>, <iframe>, src=, url(), @import);
#   2. renders it in headless Chromium from disk, with every host name
#      unresolvable, saves a screenshot to OUT.png and fails on any console
#      message (the page has no script, so any message is an error: a
#      blocked resource, a CSP violation, an invalid SVG attribute...);
#   3. dumps the DOM after parsing and checks the charts are there: at least
#      one <svg class="chart">, as many as the file holds, and EXPECT_CHARTS
#      of them when that variable is set.
#
# Environment: CHROMIUM (default /usr/bin/chromium), WINDOW (default
# 1280,2400), EXPECT_CHARTS (optional). Without Chromium it installs the
# Debian package when run as root, and fails otherwise.
# Exit status: 0 all good, 1 a check failed, 2 usage or environment error.
set -euo pipefail

if [ "$#" -ne 2 ]; then
	echo "usage: $0 FILE.html OUT.png" >&2
	exit 2
fi
html=$1
png=$2
chromium=${CHROMIUM:-/usr/bin/chromium}
window=${WINDOW:-1280,2400}

fail() {
	echo "check-report: FAIL: $*" >&2
	exit 1
}

[ -f "$html" ] || { echo "check-report: no such file: $html" >&2; exit 2; }

if [ ! -x "$chromium" ]; then
	if [ "$(id -u)" = 0 ]; then
		echo "check-report: installing chromium" >&2
		apt-get update >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2
	fi
	[ -x "$chromium" ] || { echo "check-report: $chromium not found (install the chromium package)" >&2; exit 2; }
fi

# 1. static checks
# (text is escaped, so these can only match markup; url() and @import only
# matter inside the style sheet)
markup='<script|<link[ >]|<img[ >]|<image[ >]|<iframe|<object|<embed|<audio|<video|<use[ >]|(src|href)="[a-z]+:'
if grep -Eqi "$markup" "$html"; then
	grep -Eoi ".{0,40}($markup).{0,40}" "$html" | head -5 >&2
	fail "$html references a script or an external resource"
fi
if sed -n '/<style/,/<\/style>/p' "$html" | grep -Eqi 'url\(|@import'; then
	fail "$html's style sheet loads an external resource"
fi
want=$(grep -o '<svg[^>]*class="chart"' "$html" | wc -l)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
url="file://$(realpath "$html")"
mkdir -p "$(dirname "$png")"
png_abs="$(realpath "$(dirname "$png")")/$(basename "$png")"
rm -f "$png_abs"

flags() {
	# $1: a fresh profile directory
	printf '%s\n' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$1" --hide-scrollbars --force-device-scale-factor=1 \
		'--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost'
}

# 2. screenshot and console
mapfile -t f1 < <(flags "$(mktemp -d -p "$tmp")")
if ! timeout 180 "$chromium" "${f1[@]}" --enable-logging=stderr --v=0 \
	--screenshot="$png_abs" --window-size="$window" "$url" >"$tmp/shot.out" 2>"$tmp/shot.err"; then
	tail -20 "$tmp/shot.err" >&2
	fail "chromium exited with an error while taking the screenshot"
fi
[ -s "$png_abs" ] || { tail -20 "$tmp/shot.err" >&2; fail "no screenshot written to $png"; }
if grep -E 'CONSOLE|Uncaught|Refused to|net::ERR_|Error: <' "$tmp/shot.err" >"$tmp/console.txt"; then
	cat "$tmp/console.txt" >&2
	fail "console messages while rendering $html"
fi

# 3. DOM
mapfile -t f2 < <(flags "$(mktemp -d -p "$tmp")")
if ! timeout 180 "$chromium" "${f2[@]}" --dump-dom "$url" >"$tmp/dom.html" 2>"$tmp/dom.err"; then
	tail -20 "$tmp/dom.err" >&2
	fail "chromium exited with an error while dumping the DOM"
fi
got=$(grep -o '<svg[^>]*class="chart"' "$tmp/dom.html" | wc -l)
[ "$got" -ge 1 ] || fail "no <svg class=\"chart\"> in the rendered DOM"
[ "$got" -eq "$want" ] || fail "the rendered DOM has $got charts, the file $want"
if [ -n "${EXPECT_CHARTS:-}" ] && [ "$got" -ne "$EXPECT_CHARTS" ]; then
	fail "the rendered DOM has $got charts, expected $EXPECT_CHARTS"
fi
series=$(grep -o '<path[^>]*class="series"' "$tmp/dom.html" | wc -l)
[ "$series" -ge 1 ] || fail "no series path in the rendered DOM"

echo "check-report: ok: $got charts, $series series, no console messages; screenshot $png"
