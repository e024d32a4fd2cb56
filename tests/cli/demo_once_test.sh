#!/usr/bin/env bash
# demo_once_test.sh: `scripts/demo.sh --once` — four hearthd processes, a synthetic district
# of 200 households (about 1.5 x 10^4 records) submitted in bulk over HTTPS, every node at
# the same height, log size and log root — run against the build under test.
# Usage: demo_once_test.sh <bin dir>
set -euo pipefail
bin=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap '"$bin/hearth" devnet down --dir "$work/net" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
HEARTH_DEMO_DIR="$work/net" HEARTH_BUILD_DIR="$(dirname "$bin")" HEARTH_DEMO_NO_BUILD=1 \
  "$root/scripts/demo.sh" --once >"$work/demo.log" 2>&1 || { tail -n 40 "$work/demo.log"; exit 1; }
grep -q "^all nodes agree: [0-9]* records committed" "$work/demo.log" || { cat "$work/demo.log"; exit 1; }
n=$(sed -n 's/^all nodes agree: \([0-9]*\) records committed/\1/p' "$work/demo.log")
[ "$n" -ge 10000 ] || { echo "only $n records: expected at least 10^4"; exit 1; }
grep -q "^3 of 3 checks answered with receipts that verify offline" "$work/demo.log" || { cat "$work/demo.log"; exit 1; }
[ "$(grep -c '^OK: ' "$work/demo.log")" = 3 ] || { echo "expected three verified receipts"; cat "$work/demo.log"; exit 1; }
echo "ok: demo --once committed $n records on all four nodes and 3 receipts verified offline"
