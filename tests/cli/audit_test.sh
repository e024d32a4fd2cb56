#!/bin/bash
# `hearth export` and `hearth audit verify` end to end: a four-node devnet on 127.0.0.1, a
# small synthetic district submitted and committed, the chain exported over HTTPS from one
# node and audited offline against genesis alone; a copy with one flipped byte, a truncated
# copy and the wrong genesis fail with a message; argument errors; devnet down.
# Usage: audit_test.sh <bin dir>
set -u
BIN=${1:?usage: audit_test.sh <bin dir>}
# shellcheck source=devnet_lib.sh
. "$(dirname "$0")/devnet_lib.sh"
cli_test_init audit-cli "$BIN"  # HEARTH, PY, WORK, D, fails; stops the devnet on exit

# ---- argument errors (no network) ----
expect_rc 2 "audit verify without --genesis" "$HEARTH" audit verify "$WORK/none.bin"
echo '{}' >"$WORK/bad-genesis.json"
expect_rc 2 "audit verify with a bad genesis" "$HEARTH" audit verify "$WORK/none.bin" --genesis "$WORK/bad-genesis.json"
expect_rc 2 "export without a devnet" "$HEARTH" export --dir "$WORK/nonet" --node tax --out "$WORK/x.bin"

# ---- a devnet with a committed district ----
if ! expect_rc 0 "devnet up" "$HEARTH" devnet up --dir "$D" --nodes 4; then
  echo "devnet up failed; giving up" >&2
  exit 1
fi
G="$D/genesis.json"
expect_rc 2 "audit verify of a missing file" "$HEARTH" audit verify "$WORK/none.bin" --genesis "$G"
expect_rc 0 "synth" "$HEARTH" synth --dir "$D" --households 6 --months 2 --seed 11 --out "$D/synth"
total=0
for a in civil_affairs tax social_security disability_federation; do
  expect_rc 0 "submit $a" "$HEARTH" submit --dir "$D" --agency "$a" --json \
    --stall-timeout-ms 30000 --request-timeout-ms 30000 "$D/synth/$a.ndjson" || continue
  total=$((total + $(json_eval 'j["accepted"]')))
done
[ "$total" -gt 0 ] || fail "nothing accepted"
committed=""
for _ in $(seq 1 120); do
  timeout 30 "$HEARTH" devnet status --dir "$D" --json >"$WORK/out" 2>/dev/null
  committed=$(json_eval "all(n['up'] and n['log_size'] == $total for n in j)" 2>/dev/null)
  [ "$committed" = True ] && break
  sleep 0.5
done
[ "$committed" = True ] || fail "not all $total records committed: $(cat "$WORK/out")"
height=$(json_eval 'j[1]["height"]')
[ "$height" -ge 2 ] || fail "only $height block(s) committed; the range tests need 2"

# ---- export and audit ----
C="$WORK/chain.bin"
expect_rc 0 "export" "$HEARTH" export --dir "$D" --node tax --out "$C" --to "$height"
grep -q "exported heights 1..$height" "$WORK/out" || fail "export summary: $(cat "$WORK/out")"
expect_rc 0 "audit verify" "$HEARTH" audit verify "$C" --genesis "$G"
grep -q "^ok: $height blocks, $total transactions" "$WORK/out" || fail "audit summary: $(cat "$WORK/out")"
expect_rc 0 "audit verify --json --threads 1" "$HEARTH" audit verify "$C" --genesis "$G" --json --threads 1
[ "$(json_eval "j['ok'] and j['blocks'] == $height and j['transactions'] == $total")" = True ] ||
  fail "audit --json: $(cat "$WORK/out")"
audit_root=$(json_eval 'j["log_root"]')
timeout 30 "$HEARTH" devnet status --dir "$D" --json >"$WORK/status.json" 2>/dev/null
"$PY" -c "import json,sys; j=json.load(open('$WORK/status.json')); sys.exit(0 if j[1]['height'] != $height or j[1]['log_root'] == '$audit_root' else 1)" ||
  fail "audit log root $audit_root differs from the node's"

# A range from another node, and a range past the head.
expect_rc 0 "export heights 2..head from civil_affairs" "$HEARTH" export --dir "$D" --node civil_affairs \
  --out "$WORK/part.bin" --from 2
expect_rc 1 "audit of an export starting at height 2" "$HEARTH" audit verify "$WORK/part.bin" --genesis "$G"
grep -q "starts at height 2" "$WORK/err" || fail "partial export: $(cat "$WORK/err")"
expect_rc 2 "export past the head" "$HEARTH" export --dir "$D" --node tax --out "$WORK/y.bin" --from 1 --to 1000000
expect_rc 2 "export with an unknown principal" "$HEARTH" export --dir "$D" --node tax --out "$WORK/y.bin" --principal nobody

# One flipped byte (in the last block's transactions), a truncated copy, another genesis.
size=$(stat -c %s "$C")
"$PY" - "$C" "$WORK/flipped.bin" "$((size - 100))" <<'PYEOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[int(sys.argv[3])] ^= 0x10
open(sys.argv[2], "wb").write(b)
PYEOF
expect_rc 1 "audit of a flipped byte" "$HEARTH" audit verify "$WORK/flipped.bin" --genesis "$G"
grep -q "^audit failed: height [0-9]*: " "$WORK/err" || fail "flipped byte: no height in: $(cat "$WORK/err")"
head -c "$((size - 7))" "$C" >"$WORK/short.bin"
expect_rc 1 "audit of a truncated file" "$HEARTH" audit verify "$WORK/short.bin" --genesis "$G"
grep -q "audit failed: height $height: " "$WORK/err" || fail "truncated: $(cat "$WORK/err")"
# Another chain: the same members under another chain id (a valid genesis, another hash).
"$PY" -c "import json; g=json.load(open('$G')); g['chain_id']='another-chain'; json.dump(g, open('$WORK/other-genesis.json','w'))"
expect_rc 1 "audit against another genesis" "$HEARTH" audit verify "$C" --genesis "$WORK/other-genesis.json"
grep -q "genesis hash" "$WORK/err" || fail "wrong genesis: $(cat "$WORK/err")"

expect_rc 0 "devnet down" "$HEARTH" devnet down --dir "$D"
if [ "$fails" -ne 0 ]; then
  echo "audit_test: $fails failure(s)" >&2
  exit 1
fi
echo "audit_test: ok ($total records in $height blocks exported and audited)"
