#!/bin/bash
# `hearth check` and `hearth verify-receipt` end to end: a four-node devnet on 127.0.0.1, a
# synthetic district of 12 households over 12 months submitted and committed on every node;
# checks of several households on two nodes (as of the month after the district's last
# month) answer a decision and a receipt that verifies offline against genesis; a copy with
# one figure changed, one with an evidence item removed and the receipt against another
# chain's genesis fail naming the field; a wrong member ID is exit 2 naming the member; the
# access records the checks made commit, and the chain holding them exports and audits.
# Usage: check_cli_test.sh <bin dir>
set -u
BIN=${1:?usage: check_cli_test.sh <bin dir>}
# shellcheck source=devnet_lib.sh
. "$(dirname "$0")/devnet_lib.sh"
cli_test_init check-cli "$BIN"  # HEARTH, PY, WORK, D, fails; stops the devnet on exit
# all_at_log_size N: every node up with log size N (polled, bounded: about 60 s).
all_at_log_size() {
  local ok=""
  for _ in $(seq 1 120); do
    timeout 30 "$HEARTH" devnet status --dir "$D" --json >"$WORK/out" 2>/dev/null
    ok=$(json_eval "all(n['up'] and n['log_size'] == $1 for n in j)" 2>/dev/null)
    [ "$ok" = True ] && return 0
    sleep 0.5
  done
  fail "not every node reached log size $1: $(cat "$WORK/out")"
  return 1
}

# ---- a devnet with a committed district ----
if ! expect_rc 0 "devnet up" "$HEARTH" devnet up --dir "$D" --nodes 4; then
  echo "devnet up failed; giving up" >&2
  exit 1
fi
G="$D/genesis.json"
expect_rc 0 "synth" "$HEARTH" synth --dir "$D" --households 12 --months 12 --seed 5 --out "$D/synth" ||
  exit 1
total=0
for a in civil_affairs tax social_security disability_federation; do
  [ -s "$D/synth/$a.ndjson" ] || continue
  expect_rc 0 "submit $a" "$HEARTH" submit --dir "$D" --agency "$a" --json \
    --stall-timeout-ms 30000 --request-timeout-ms 30000 "$D/synth/$a.ndjson" || continue
  total=$((total + $(json_eval 'j["accepted"]')))
done
lines=$(cat "$D"/synth/*.ndjson | grep -c .)
[ "$total" -eq "$lines" ] || fail "accepted $total of $lines records"
all_at_log_size "$total" || exit 1

# as_of: the month after the district's last month.
H="$D/synth/households.json"
as_of=$("$PY" -c "import json; m=json.load(open('$H'))['last_month']; print(m + 89 if m % 100 == 12 else m + 1)")
nh=$("$PY" -c "import json; print(len(json.load(open('$H'))['households']))")
[ "$nh" -eq 12 ] || fail "households.json lists $nh households, want 12"

# check_args <index>: the --household-case, --member and --consent arguments of household i.
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

# ---- checks of several households on two nodes ----
checks=0
decisions=""
for i in 0 1 2 3 5 8 11; do
  node=civil_affairs
  [ $((i % 2)) -eq 1 ] && node=tax
  mapfile -t args < <(check_args "$i")
  R="$WORK/r$i.json"
  expect_rc 0 "check of household $i on $node" "$HEARTH" check --dir "$D" --node "$node" "${args[@]}" \
    --program dibao --as-of "$as_of" --out "$R" || continue
  checks=$((checks + 1))
  grep -Eq "^decision (eligible|ineligible|insufficient_evidence), per-capita monthly income \(fen\) [-0-9n].*, access record [0-9a-f]{64}; receipt written to " "$WORK/out" ||
    fail "check of household $i: summary: $(cat "$WORK/out")"
  d=$("$PY" -c "import json; print(json.load(open('$R'))['decision'])")
  decisions="$decisions $d"
  [ "$("$PY" -c "import json; r=json.load(open('$R')); print(r['request']['as_of'] == $as_of and r['request']['programme'] == 'dibao')")" = True ] ||
    fail "receipt $i: request does not match"
  grep -q "$("$PY" -c "import json; print(json.load(open('$H'))['households'][$i]['members'][0])")" "$R" &&
    fail "receipt $i holds a raw ID number"
  expect_rc 0 "verify-receipt $i" "$HEARTH" verify-receipt "$R" --genesis "$G" || continue
  grep -q "^OK: $d at checkpoint height [0-9]*$" "$WORK/out" || fail "verify-receipt $i summary: $(cat "$WORK/out")"
done
[ "$checks" -ge 5 ] || fail "only $checks checks answered"
echo "decisions:$decisions"

# ---- tampered receipts ----
R="$WORK/r0.json"
if [ -f "$R" ]; then
  # One figure changed: per_capita_monthly_fen + 1 (income_total_fen + 1 when it is null).
  field=$("$PY" - "$R" "$WORK/figure.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
k = "per_capita_monthly_fen" if r["per_capita_monthly_fen"] is not None else "income_total_fen"
r[k] += 1
json.dump(r, open(sys.argv[2], "w"))
print(k)
PYEOF
  )
  expect_rc 1 "verify-receipt of a changed figure" "$HEARTH" verify-receipt "$WORK/figure.json" --genesis "$G"
  grep -q "^verification failed: receipt\.$field" "$WORK/err" || fail "changed figure: field not named: $(cat "$WORK/err")"
  # One evidence item removed (the last one: an attestation or key event, not the rule set).
  "$PY" - "$R" "$WORK/evidence.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["evidence"]) > 1
del r["evidence"][-1]
json.dump(r, open(sys.argv[2], "w"), indent=1)
PYEOF
  expect_rc 1 "verify-receipt with an evidence item removed" "$HEARTH" verify-receipt "$WORK/evidence.json" --genesis "$G"
  grep -q "^verification failed: receipt\.\(evidence\|index\)" "$WORK/err" || fail "evidence removed: $(cat "$WORK/err")"
  # The signature changed in one digit.
  "$PY" -c "
import json; r=json.load(open('$R')); s=r['signature']; r['signature']=s[:-1]+('0' if s[-1]!='0' else '1')
json.dump(r, open('$WORK/sig.json','w'))"
  expect_rc 1 "verify-receipt with a changed signature" "$HEARTH" verify-receipt "$WORK/sig.json" --genesis "$G"
  grep -q "^verification failed: receipt\.signature" "$WORK/err" || fail "signature: $(cat "$WORK/err")"
  # Pretty-printed, the receipt still verifies (the canonical form is a function of the value).
  "$PY" -c "import json; json.dump(json.load(open('$R')), open('$WORK/pretty.json','w'), indent=2)"
  expect_rc 0 "verify-receipt of a pretty-printed copy" "$HEARTH" verify-receipt "$WORK/pretty.json" --genesis "$G"
  # Another chain: the same members under another chain id (a valid genesis, another hash).
  "$PY" -c "import json; g=json.load(open('$G')); g['chain_id']='another-chain'; json.dump(g, open('$WORK/other-genesis.json','w'))"
  expect_rc 1 "verify-receipt against another genesis" "$HEARTH" verify-receipt "$R" --genesis "$WORK/other-genesis.json"
  grep -q "^verification failed: receipt\.\(chain_id\|genesis_hash\)" "$WORK/err" || fail "other genesis: $(cat "$WORK/err")"
  # Unreadable input: exit 2.
  expect_rc 2 "verify-receipt of a missing file" "$HEARTH" verify-receipt "$WORK/none.json" --genesis "$G"
  echo '{}' >"$WORK/bad-genesis.json"
  expect_rc 2 "verify-receipt with a malformed genesis" "$HEARTH" verify-receipt "$R" --genesis "$WORK/bad-genesis.json"
else
  fail "no receipt for household 0: the tamper tests did not run"
fi

# ---- bad input to hearth check: exit 2, the field named, no access record ----
mapfile -t args < <(check_args 0)
# The first member's ID with another check character.
bad_args=()
swapped=""
for ((k = 0; k < ${#args[@]}; k++)); do
  if [ "${args[$k]}" = --member ] && [ -z "$swapped" ]; then
    m=${args[$((k + 1))]}
    c=${m:17:1}
    if [ "$c" = 0 ]; then c=1; else c=0; fi
    bad_args+=(--member "${m:0:17}$c")
    swapped=1
    k=$((k + 1))
  else
    bad_args+=("${args[$k]}")
  fi
done
expect_rc 2 "check with a wrong member ID" "$HEARTH" check --dir "$D" --node civil_affairs "${bad_args[@]}" \
  --program dibao --as-of "$as_of" --out "$WORK/bad.json"
grep -q "members\[0\]" "$WORK/err" || fail "wrong member ID: member not named: $(cat "$WORK/err")"
grep -q "${m:0:17}" "$WORK/err" && fail "wrong member ID: the error repeats the ID number"
[ -e "$WORK/bad.json" ] && fail "a refused check wrote a receipt"
expect_rc 2 "check with as_of month 13" "$HEARTH" check --dir "$D" --node civil_affairs "${args[@]}" \
  --program dibao --as-of 202513 --out "$WORK/bad.json"
grep -q "as_of" "$WORK/err" || fail "as_of 13: $(cat "$WORK/err")"
expect_rc 2 "check with an unknown programme" "$HEARTH" check --dir "$D" --node civil_affairs "${args[@]}" \
  --program free_money --as-of "$as_of"
expect_rc 1 "check of an undeclared household" "$HEARTH" check --dir "$D" --node civil_affairs \
  --household-case TZ-NEVER-0000001 "${args[@]:2}" --program dibao --as-of "$as_of"
grep -q "404" "$WORK/err" || fail "undeclared household: $(cat "$WORK/err")"
expect_rc 1 "check with the tax agency's token" "$HEARTH" check --dir "$D" --node civil_affairs --principal tax \
  "${args[@]}" --program dibao --as-of "$as_of"
grep -q "403" "$WORK/err" || fail "agency token: $(cat "$WORK/err")"
expect_rc 2 "check with an unknown principal" "$HEARTH" check --dir "$D" --node civil_affairs --principal nobody \
  "${args[@]}" --program dibao --as-of "$as_of"

# ---- the access records commit; the chain holding them exports and audits ----
want=$((total + checks))
all_at_log_size "$want"
height=$(json_eval 'j[1]["height"]')
C="$WORK/chain.bin"
expect_rc 0 "export" "$HEARTH" export --dir "$D" --node tax --out "$C" --to "$height"
expect_rc 0 "audit verify" "$HEARTH" audit verify "$C" --genesis "$G" --json
[ "$(json_eval "j['ok'] and j['blocks'] == $height and j['transactions'] == $want")" = True ] ||
  fail "audit: $(cat "$WORK/out") (want $height blocks, $want transactions)"

# ---- hearth audit access: the looks at household 0, checked against genesis ----
case0=$("$PY" -c "import json; print(json.load(open('$H'))['households'][0]['case'])")
expect_rc 0 "audit access" "$HEARTH" audit access --dir "$D" --node social_security --household-case "$case0" --json
looks=$(json_eval 'len(j["records"])')
[ "$looks" -ge 1 ] || fail "audit access: no record of the checks of household 0: $(cat "$WORK/out")"
[ "$(json_eval 'j["failures"] == 0 and all(r["verified"] and r["purpose"] == "eligibility_check" and r["caseworker"] == "caseworker" for r in j["records"])')" = True ] ||
  fail "audit access: $(cat "$WORK/out")"
expect_rc 0 "audit access (text)" "$HEARTH" audit access --dir "$D" --household-case "$case0"
grep -q "all verified" "$WORK/out" || fail "audit access text: $(cat "$WORK/out")"
expect_rc 1 "audit access as a caseworker" "$HEARTH" audit access --dir "$D" --principal caseworker --household-case "$case0"
grep -q "403" "$WORK/err" || fail "audit access as caseworker: $(cat "$WORK/err")"
expect_rc 2 "audit access without a household" "$HEARTH" audit access --dir "$D"

# ---- hearth token: an admin issues a caseworker token, it works, it is revoked ----
expect_rc 0 "token issue" "$HEARTH" token issue --dir "$D" --node civil_affairs --name cw-9 --role caseworker \
  --agency civil_affairs --ttl-days 2 --json
new_token=$(json_eval 'j["token"]')
[ ${#new_token} -eq 64 ] || fail "token issue: $(cat "$WORK/out")"
expect_rc 0 "token list" "$HEARTH" token list --dir "$D" --node civil_affairs
grep -q "^cw-9	caseworker	civil_affairs	.*	issued$" "$WORK/out" || fail "token list: $(cat "$WORK/out")"
expect_rc 1 "token issue twice" "$HEARTH" token issue --dir "$D" --node civil_affairs --name cw-9 --role auditor
grep -q "409" "$WORK/err" || fail "token issued twice: $(cat "$WORK/err")"
expect_rc 2 "token issue with a bad role" "$HEARTH" token issue --dir "$D" --node civil_affairs --name cw-10 --role boss
expect_rc 1 "token issue by a caseworker" "$HEARTH" token issue --dir "$D" --node civil_affairs --principal caseworker \
  --name cw-11 --role auditor
grep -q "403" "$WORK/err" || fail "token issue by a caseworker: $(cat "$WORK/err")"
cw9_port=$("$PY" -c "
import json
for n in json.load(open('$D/nodes.json')):
    if n['agency'] == 'civil_affairs': print(n['api'].rsplit(':', 1)[1])")
whoami() {
  curl -s -o /dev/null -w '%{http_code}' --cacert "$D/civil_affairs/api-cert.pem" \
    -H "Authorization: Bearer $new_token" "https://127.0.0.1:$cw9_port/v1/whoami"
}
[ "$(whoami)" = 200 ] || fail "the issued token is refused: $(whoami)"
expect_rc 0 "token revoke" "$HEARTH" token revoke --dir "$D" --node civil_affairs --name cw-9
[ "$(whoami)" = 401 ] || fail "the revoked token is still accepted: $(whoami)"
expect_rc 1 "token revoke twice" "$HEARTH" token revoke --dir "$D" --node civil_affairs --name cw-9

expect_rc 0 "devnet down" "$HEARTH" devnet down --dir "$D"
if [ "$fails" -ne 0 ]; then
  echo "check_cli_test: $fails failure(s)" >&2
  exit 1
fi
echo "check_cli_test: ok ($checks checks; $want records in $height blocks exported and audited)"
