#!/bin/bash
# `hearth devnet up|status|down` and `hearth submit` end to end: four hearthd processes on
# 127.0.0.1, a small synthetic district submitted through the HTTPS API, every node agreeing
# on height, log size and log root; idempotent resubmission; another agency's token, a
# non-agency token and malformed lines refused; a wrong pinned certificate; argument
# errors; restart with the data kept.
# Usage: devnet_cli_test.sh <bin dir>
set -u
BIN=${1:?usage: devnet_cli_test.sh <bin dir>}
# shellcheck source=devnet_lib.sh
. "$(dirname "$0")/devnet_lib.sh"
cli_test_init devnet-cli "$BIN"  # HEARTH, PY, WORK, D, fails; stops the devnet on exit

# ---- argument and input errors (no network needed) ----
expect_rc 2 "up --nodes 3" "$HEARTH" devnet up --dir "$WORK/three" --nodes 3
[ -e "$WORK/three" ] && fail "up --nodes 3 created $WORK/three"
mkdir -p "$WORK/other" && echo x >"$WORK/other/file"
expect_rc 2 "up in a non-empty non-devnet folder" "$HEARTH" devnet up --dir "$WORK/other"
expect_rc 2 "status of a folder without a devnet" "$HEARTH" devnet status --dir "$WORK/other"
expect_rc 2 "down of a folder without a devnet" "$HEARTH" devnet down --dir "$WORK/other"
expect_rc 2 "up with a missing hearthd" "$HEARTH" devnet up --dir "$WORK/nohearthd" --hearthd "$WORK/none"

# ---- up ----
if ! expect_rc 0 "devnet up" "$HEARTH" devnet up --dir "$D" --nodes 4; then
  echo "devnet up failed; giving up" >&2
  exit 1
fi
for f in genesis.json pseudonym.key tokens.json nodes.json civil_affairs/node.json \
         tax/api-cert.pem social_security/issuer.pem disability_federation/hearthd.log; do
  [ -f "$D/$f" ] || fail "devnet up did not write $f"
done
[ "$(stat -c %a "$D/tokens.json")" = 600 ] || fail "tokens.json is not 0600"
[ "$(stat -c %a "$D/pseudonym.key")" = 600 ] || fail "pseudonym.key is not 0600"
grep -q '"token"' "$D/civil_affairs/node.json" && fail "node.json holds a token, not only hashes"
expect_rc 2 "second up while running" "$HEARTH" devnet up --dir "$D"
grep -q "is up" "$WORK/err" || fail "second up: no 'is up' in: $(cat "$WORK/err")"

expect_rc 0 "status --json" "$HEARTH" devnet status --dir "$D" --json
[ "$(json_eval 'sum(1 for n in j if n["up"])')" = 4 ] || fail "status --json: not 4 nodes up: $(cat "$WORK/out")"
expect_rc 0 "status" "$HEARTH" devnet status --dir "$D"
[ "$(grep -c ' up ' "$WORK/out")" = 4 ] || fail "status table: not 4 up lines: $(cat "$WORK/out")"

# ---- records ----
expect_rc 0 "synth" "$HEARTH" synth --dir "$D" --households 8 --months 3 --seed 7 --out "$D/synth"
S="$D/synth"

# Another agency's token: every line rejected (before tax's own submission, so not duplicates).
expect_rc 1 "tax records with civil_affairs' token" \
  "$HEARTH" submit --dir "$D" --agency civil_affairs --json "$S/tax.ndjson"
[ "$(json_eval 'j["rejected"] == j["lines"] > 0 and j["accepted"] == 0')" = True ] ||
  fail "wrong agency: not every line rejected: $(cat "$WORK/out")"
expect_rc 1 "auditor token on /v1/records" \
  "$HEARTH" submit --dir "$D" --agency tax --principal auditor "$S/tax.ndjson"
grep -q "403" "$WORK/err" || fail "auditor: no 403 in: $(cat "$WORK/err")"
expect_rc 2 "unknown principal" "$HEARTH" submit --dir "$D" --agency tax --principal nobody "$S/tax.ndjson"
expect_rc 2 "unknown agency" "$HEARTH" submit --dir "$D" --agency nobody "$S/tax.ndjson"
expect_rc 2 "missing file" "$HEARTH" submit --dir "$D" --agency tax "$WORK/none.ndjson"
printf '\n \n' >"$WORK/blank.ndjson"
expect_rc 2 "blank file" "$HEARTH" submit --dir "$D" --agency tax "$WORK/blank.ndjson"
expect_rc 2 "--chunk-lines 0" "$HEARTH" submit --dir "$D" --agency tax --chunk-lines 0 "$S/tax.ndjson"
printf '{"kind":"attestation"}\n\nnot json\n' >"$WORK/bad.ndjson"
expect_rc 1 "malformed lines" "$HEARTH" submit --dir "$D" --agency tax "$WORK/bad.ndjson"
grep -q "line 1: rejected" "$WORK/out" && grep -q "line 3: rejected" "$WORK/out" ||
  fail "malformed lines: rejections not reported with file line numbers: $(cat "$WORK/out")"

total=0
for a in civil_affairs tax social_security disability_federation; do
  chunk=()
  [ "$a" = tax ] && chunk=(--chunk-lines 50)  # several requests
  expect_rc 0 "submit $a" "$HEARTH" submit --dir "$D" --agency "$a" --json "${chunk[@]}" \
    --stall-timeout-ms 30000 --request-timeout-ms 30000 "$S/$a.ndjson" || continue
  [ "$(json_eval 'j["accepted"] == j["lines"] == '"$(grep -c . "$S/$a.ndjson")")" = True ] ||
    fail "submit $a: not every line accepted: $(cat "$WORK/out")"
  total=$((total + $(json_eval 'j["accepted"]')))
done
[ "$total" -gt 0 ] || fail "nothing accepted"

# Every node commits all of it (bounded poll), then all agree on one head.
agree=""
for _ in $(seq 1 120); do
  timeout 30 "$HEARTH" devnet status --dir "$D" --json >"$WORK/out" 2>/dev/null
  agree=$(json_eval "len({(n['height'], n['log_size'], n['log_root']) for n in j}) == 1 and all(n['up'] and n['log_size'] == $total for n in j)" 2>/dev/null)
  [ "$agree" = True ] && break
  sleep 0.5
done
[ "$agree" = True ] || fail "nodes do not agree on height/log_size/log_root at log size $total: $(cat "$WORK/out")"
root=$(json_eval 'j[0]["log_root"]')

expect_rc 0 "resubmit tax" "$HEARTH" submit --dir "$D" --agency tax --json "$S/tax.ndjson"
[ "$(json_eval 'j["duplicate"] == j["lines"] and j["accepted"] == 0')" = True ] ||
  fail "resubmit: not all duplicates: $(cat "$WORK/out")"

# Status trusts exactly each node's own API certificate: with another node's certificate in
# its place, that node is reported down (TLS verification fails), the others stay up.
cp "$D/civil_affairs/api-cert.pem" "$WORK/ca-cert.pem"
cp "$D/tax/api-cert.pem" "$D/civil_affairs/api-cert.pem"
expect_rc 1 "status with a wrong certificate" "$HEARTH" devnet status --dir "$D" --json
[ "$(json_eval '[n["up"] for n in j]')" = "[False, True, True, True]" ] ||
  fail "wrong certificate: civil_affairs not the only node down: $(cat "$WORK/out")"
grep -qi "certificate" "$WORK/out" || fail "wrong certificate: no certificate error in: $(cat "$WORK/out")"
cp "$WORK/ca-cert.pem" "$D/civil_affairs/api-cert.pem"

# ---- down, restart with the data kept, down ----
pids=$("$PY" -c "import json; print(' '.join(str(n['pid']) for n in json.load(open('$D/nodes.json'))))")
expect_rc 0 "devnet down" "$HEARTH" devnet down --dir "$D"
for p in $pids; do
  [ -e "/proc/$p" ] && grep -q hearthd "/proc/$p/cmdline" 2>/dev/null && fail "pid $p still running after down"
done
expect_rc 1 "status after down" "$HEARTH" devnet status --dir "$D" --json
[ "$(json_eval 'sum(1 for n in j if n["up"])')" = 0 ] || fail "status after down: a node is up"
expect_rc 0 "down when already down" "$HEARTH" devnet down --dir "$D"

expect_rc 0 "restart" "$HEARTH" devnet up --dir "$D"
expect_rc 0 "status after restart" "$HEARTH" devnet status --dir "$D" --json
[ "$(json_eval "all(n['log_size'] == $total and n['height'] > 0 for n in j)")" = True ] ||
  fail "restart lost data: $(cat "$WORK/out")"
[ "$(json_eval 'j[0]["log_root"]')" = "$root" ] || fail "restart: log root changed"
expect_rc 0 "down after restart" "$HEARTH" devnet down --dir "$D"

if [ "$fails" -ne 0 ]; then
  echo "devnet_cli_test: $fails failure(s)" >&2
  exit 1
fi
echo "devnet_cli_test: ok ($total records on 4 nodes)"
