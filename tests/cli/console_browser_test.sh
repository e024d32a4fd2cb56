#!/bin/bash
# The web console in a real browser: a four-node devnet on 127.0.0.1 with a synthetic district
# of 12 households over 12 months; `hearth check` finds one household that is eligible for
# dibao and one that is not (its receipts are the expected figures); then
# tests/browser/console_test.mjs drives Debian's headless Chromium (playwright-core) against
# the tax node's HTTPS console: sign-in, both checks (decision, chart, member table, evidence
# proofs), print view, alerts, the auditor's blocks, certificate, checkpoint, receipt
# verification (valid and tampered), access log, the English switch; screenshots into
# <bin>/../console-browser-test/screenshots, or $HEARTH_SCREENSHOT_DIR (set it to
# docs/screenshots to refresh the documentation's; a test run leaves the tree clean). The receipt the page showed must then verify
# offline with `hearth verify-receipt`.
# Without Chromium, node or tests/browser/node_modules (scripts/setup.sh installs them) the
# test is skipped (exit 77), except under CI=true or HEARTH_REQUIRE_TOOLS=1, where it fails.
# Usage: console_browser_test.sh <bin dir>
set -u
BIN=${1:?usage: console_browser_test.sh <bin dir>}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
browser_dir="$root/tests/browser"
chromium=${HEARTH_CHROMIUM:-/usr/bin/chromium}

require=0
if [ "${CI:-}" = true ] || [ "${HEARTH_REQUIRE_TOOLS:-0}" = 1 ]; then require=1; fi
skip() {
  if [ "$require" = 1 ]; then
    echo "FAIL: $* (CI=true: a missing browser fails the run)" >&2
    exit 1
  fi
  echo "SKIP: $*"
  exit 77
}
[ -x "$chromium" ] || skip "no Chromium at $chromium (scripts/setup.sh installs Debian's chromium)"
command -v node >/dev/null 2>&1 || skip "node is not installed (scripts/setup.sh installs Debian's nodejs)"
[ -f "$browser_dir/node_modules/playwright-core/package.json" ] ||
  skip "tests/browser/node_modules is missing (scripts/setup.sh runs npm ci --prefix tests/browser)"

# shellcheck source=devnet_lib.sh
. "$here/devnet_lib.sh"
cli_test_init console-browser "$BIN"  # HEARTH, PY, WORK, D, fails; stops the devnet on exit

# all_at_log_size N: every node up with log size N (polled, bounded: about 60 s).
all_at_log_size() {
  for _ in $(seq 1 120); do
    timeout 30 "$HEARTH" devnet status --dir "$D" --json >"$WORK/out" 2>/dev/null
    [ "$(json_eval "all(n['up'] and n['log_size'] == $1 for n in j)" 2>/dev/null)" = True ] && return 0
    sleep 0.5
  done
  fail "not every node reached log size $1: $(cat "$WORK/out")"
  return 1
}

echo "setup: devnet of 4 nodes, synthetic district of 12 households x 12 months"
expect_rc 0 "devnet up" "$HEARTH" devnet up --dir "$D" --nodes 4 || exit 1
expect_rc 0 "synth" "$HEARTH" synth --dir "$D" --households 12 --months 12 --seed 5 --out "$D/synth" || exit 1
total=0
for a in civil_affairs tax social_security disability_federation; do
  [ -s "$D/synth/$a.ndjson" ] || continue
  expect_rc 0 "submit $a" "$HEARTH" submit --dir "$D" --agency "$a" --json \
    --stall-timeout-ms 30000 --request-timeout-ms 30000 "$D/synth/$a.ndjson" || exit 1
  total=$((total + $(json_eval 'j["accepted"]')))
done
all_at_log_size "$total" || exit 1

# as_of: the month after the district's last month.
H="$D/synth/households.json"
as_of=$("$PY" -c "import json; m=json.load(open('$H'))['last_month']; print(m + 89 if m % 100 == 12 else m + 1)")

# Candidates in order: when households.json carries the generator's expected notes, the
# households it expects to be below / above the dibao line first; then every household.
mapfile -t order < <("$PY" - "$H" <<'PYEOF'
import json, sys
hs = json.load(open(sys.argv[1]))["households"]
def note(h): return h.get("expected_note", "")
first = [i for i, h in enumerate(hs) if note(h).startswith("dibao-eligible") and "gap=" not in note(h)]
first += [i for i, h in enumerate(hs) if note(h).startswith("above-low-income") and "gap=" not in note(h)]
print("\n".join(str(i) for i in first + [i for i in range(len(hs)) if i not in first]))
PYEOF
)
# check_args <index>: --household-case, --consent and --member arguments of household i.
check_args() {
  "$PY" - "$H" "$1" <<'PYEOF'
import json, sys
h = json.load(open(sys.argv[1]))["households"][int(sys.argv[2])]
args = ["--household-case", h["case"], "--consent", h["consent"]]
for m in h["members"]:
    args += ["--member", m]
print("\n".join(args))
PYEOF
}
eligible="" ineligible=""
for i in "${order[@]}"; do
  [ -n "$eligible" ] && [ -n "$ineligible" ] && break
  mapfile -t args < <(check_args "$i")
  expect_rc 0 "check of household $i" "$HEARTH" check --dir "$D" --node civil_affairs "${args[@]}" \
    --program dibao --as-of "$as_of" --out "$WORK/r$i.json" || continue
  d=$("$PY" -c "import json; print(json.load(open('$WORK/r$i.json'))['decision'])")
  if [ "$d" = eligible ] && [ -z "$eligible" ]; then eligible=$i; fi
  if [ "$d" = ineligible ] && [ -z "$ineligible" ]; then ineligible=$i; fi
done
if [ -z "$eligible" ] || [ -z "$ineligible" ]; then
  fail "the district has no eligible ($eligible) or no ineligible ($ineligible) household for dibao at $as_of"
  exit 1
fi
echo "setup: household $eligible is eligible, household $ineligible is not (as of $as_of)"
"$PY" - "$H" "$eligible" "$ineligible" "$as_of" "$WORK" >"$WORK/cases.json" <<'PYEOF'
import json, sys
hs = json.load(open(sys.argv[1]))["households"]
work = sys.argv[5]
def case(i):
    h = hs[int(i)]
    return {"case": h["case"], "members": h["members"], "consent": h["consent"],
            "receipt": "%s/r%s.json" % (work, i)}
print(json.dumps({"as_of": int(sys.argv[4]), "eligible": case(sys.argv[2]), "ineligible": case(sys.argv[3])}))
PYEOF

# The tax node's console (any node serves it).
url=$("$PY" -c "import json; print([n for n in json.load(open('$D/nodes.json')) if n['agency'] == 'tax'][0]['api'])")
artifacts="$BIN/../console-browser-test"
rm -rf "$artifacts"
mkdir -p "$artifacts"
shots=${HEARTH_SCREENSHOT_DIR:-$artifacts/screenshots}
mkdir -p "$shots"
echo "browser: $chromium against $url; screenshots into $shots"
HEARTH_URL="$url" HEARTH_TOKENS="$D/tokens.json" HEARTH_CASES="$WORK/cases.json" \
  HEARTH_SCREENSHOTS="$shots" HEARTH_ARTIFACTS="$artifacts" HEARTH_CHROMIUM="$chromium" \
  timeout 600 node "$browser_dir/console_test.mjs"
rc=$?
[ "$rc" -eq 0 ] || fail "console_test.mjs exited $rc (failure screenshots in $artifacts)"

# The receipt the page showed is the node's signed receipt: it verifies offline.
if [ -f "$artifacts/receipt-eligible.json" ]; then
  expect_rc 0 "verify-receipt of the receipt shown in the browser" \
    "$HEARTH" verify-receipt "$artifacts/receipt-eligible.json" --genesis "$D/genesis.json"
  # The page holds no raw ID number after the check; the receipt never does.
  grep -q "$("$PY" -c "import json; print(json.load(open('$H'))['households'][$eligible]['members'][0])")" \
    "$artifacts/receipt-eligible.json" && fail "the receipt holds a raw ID number"
elif [ "$rc" -eq 0 ]; then
  fail "the browser test saved no receipt"
fi

expect_rc 0 "devnet down" "$HEARTH" devnet down --dir "$D"
if [ "$fails" -ne 0 ]; then
  echo "console_browser_test: $fails failure(s)" >&2
  exit 1
fi
echo "console_browser_test: ok"
