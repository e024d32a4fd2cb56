#!/usr/bin/env bash
# observer_test.sh: a non-voting observer node (hearthd with "role": "observer", issue
# "Node") against a real four-node devnet on 127.0.0.1:
#  - `hearth devnet observer` writes its files; it follows the members' HTTPS APIs and reaches
#    the members' log size, log root and index root (GET /v1/checkpoint), block hashes equal;
#  - it serves GET /v1/tx/{id} with an inclusion proof that this script checks (RFC 9162),
#    /v1/proof/*, /healthz (role observer) and /metrics; it refuses POST /v1/records (409);
#  - kill -9 and restart: it keeps what it had and catches up with records committed while
#    it was down;
#  - pointed at a member with the wrong pinned certificate it refuses to follow (height 0,
#    the TLS failure logged and counted);
#  - following members that serve a block with a forged certificate vote, then one with a
#    forged transaction signature, it logs and counts each bad block, goes on with the next
#    member and still reaches the members' roots.
# Usage: observer_test.sh <bin dir>. Bounded: every wait has a deadline; only processes this
# script started are stopped, by pid.
set -euo pipefail
bin=$(cd "$1" && pwd)
work=$(mktemp -d /tmp/hearth-observer-test-XXXXXX)
net=$work/net
PY=python3
# shellcheck source=devnet_lib.sh
. "$(dirname "$0")/devnet_lib.sh"  # devnet_stop (this script keeps its own fail)
declare -a started=()  # pids of hearthd observers and helper processes started here
cleanup() {
  for p in "${started[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  devnet_stop "$net" "$bin/hearth"
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for l in "$net"/observers/*/hearthd.log "$net/civil_affairs/hearthd.log"; do
    [ -f "$l" ] && { echo "--- tail of $l" >&2; tail -n 15 "$l" >&2; }
  done
  exit 1
}

# ---- a small HTTPS client: q.py get|post URL PATH CERT TOKEN [BODY] -> "STATUS\nBODY" ----
cat >"$work/q.py" <<'EOF'
import ssl, sys, urllib.request, urllib.error
op, url, path, cert, token = sys.argv[1:6]
body = sys.argv[6].encode() if len(sys.argv) > 6 else None
ctx = ssl.create_default_context(cafile=cert) if url.startswith("https") else None
req = urllib.request.Request(url + path, data=body if op == "post" else None,
                             method="POST" if op == "post" else "GET")
if token != "-":
    req.add_header("Authorization", "Bearer " + token)
try:
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        print(r.status); sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); sys.stdout.write(e.read().decode())
except Exception as e:
    print(0); sys.stdout.write(str(e))
EOF
# call get|post BASE PATH CERT TOKEN [BODY]: sets $status and $body.
call() {
  local out
  out=$("$PY" "$work/q.py" "$@")
  status=$(head -n 1 <<<"$out")
  body=$(tail -n +2 <<<"$out")
}
jq_() { "$PY" -c "import json,sys; j=json.loads(sys.argv[1]); print($2)" "$1"; }
token_of() { "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]['token'])" "$net/tokens.json" "$1"; }
api_of() { "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['api_listen'])" "$1"; }

"$bin/hearth" devnet up --dir "$net" >/dev/null 2>"$work/up.err" || { cat "$work/up.err"; fail "devnet up"; }
auditor=$(token_of auditor)
tax_token=$(token_of tax)
member_url() { "$PY" -c "import json,sys; print([n['api'] for n in json.load(open(sys.argv[1])) if n['agency']==sys.argv[2]][0])" "$net/nodes.json" "$1"; }
ca_url=$(member_url civil_affairs)
ca_cert=$net/civil_affairs/api-cert.pem

# ---- observer files ----
obs_cfg=$("$bin/hearth" devnet observer --dir "$net" --name obs1) || fail "devnet observer"
[ "$obs_cfg" = "$net/observers/obs1/node.json" ] || fail "devnet observer printed $obs_cfg"
[ "$(stat -c %a "$net/observers/obs1/follow.token")" = 600 ] || fail "follow.token is not 0600"
grep -q "$auditor" "$net/observers/obs1/node.json" && fail "node.json holds the follow token"
grep -q '"role": "observer"' "$obs_cfg" || fail "no observer role in $obs_cfg"
"$bin/hearth" devnet observer --dir "$net" --name obs1 >/dev/null 2>"$work/err" && fail "second observer obs1 accepted"
grep -q "exists already" "$work/err" || fail "second obs1: $(cat "$work/err")"
"$bin/hearth" devnet observer --dir "$net" --name obs2 --follow tax,nobody >/dev/null 2>"$work/err" \
  && fail "--follow nobody accepted"
grep -q -- "--follow: no member nobody" "$work/err" || fail "--follow nobody: $(cat "$work/err")"

declare -A obs_pid
# start_observer NAME: runs hearthd for observers/NAME and waits for its /healthz.
start_observer() {
  local n=$1 d=$net/observers/$1
  setsid "$bin/hearthd" --config "$d/node.json" >>"$d/hearthd.log" 2>&1 &
  obs_pid[$n]=$!
  started+=($!)
  disown
  local url="https://$(api_of "$d/node.json")" end=$((SECONDS + 30))
  while :; do
    call get "$url" /healthz "$d/api-cert.pem" -
    [ "$status" = 200 ] && break
    kill -0 "${obs_pid[$n]}" 2>/dev/null || fail "observer $n exited"
    [ $SECONDS -lt $end ] || fail "observer $n /healthz does not answer: $body"
    sleep 0.2
  done
}
obs_url() { echo "https://$(api_of "$net/observers/$1/node.json")"; }
obs_get() { call get "$(obs_url "$1")" "$2" "$net/observers/$1/api-cert.pem" "$auditor"; }
mem_get() { call get "$ca_url" "$1" "$ca_cert" "$auditor"; }

start_observer obs1
obs_get obs1 /healthz
[ "$(jq_ "$body" 'j["role"]')" = observer ] || fail "healthz role: $body"
obs_get obs1 /metrics
grep -q "^hearth_observer_blocks_applied_total" <<<"$body" || fail "no observer metrics: $body"
grep -q "^hearth_peers_connected" <<<"$body" && fail "observer reports P2P peers (it has no transport)"

# ---- load on the members ----
"$bin/hearth" synth --dir "$net" --households 40 --months 3 --seed 5 --out "$work/s" >/dev/null || fail "synth"
total=0
lines() { wc -l <"$1" | tr -d ' '; }
for a in civil_affairs tax; do
  "$bin/hearth" submit --dir "$net" --agency "$a" "$work/s/$a.ndjson" >/dev/null 2>>"$work/submit.err" \
    || fail "submit $a: $(tail -n 5 "$work/submit.err")"
  total=$((total + $(lines "$work/s/$a.ndjson")))
done

cat >"$work/same.py" <<'EOF'
import json, sys
m, o, size = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
mh, oh = m["header"], o["header"]
ok = mh["log_size"] == size and oh["log_size"] == size and oh["height"] >= mh["height"]
ok = ok and mh["log_root"] == oh["log_root"] and mh["index_root"] == oh["index_root"]
print("yes" if ok else "no")
EOF
# wait_same NAME SIZE SECONDS: the members and observer NAME all at log size SIZE with one
# log root and index root; the observer's block at the member's height has the same hash.
wait_same() {
  local n=$1 size=$2 end=$((SECONDS + $3))
  while :; do
    mem_get /v1/checkpoint
    local m=$body
    obs_get "$n" /v1/checkpoint
    local o=$body
    if [ "$status" = 200 ] && [ "$("$PY" "$work/same.py" "$m" "$o" "$size" 2>/dev/null)" = yes ]; then
      local h; h=$(jq_ "$m" 'j["header"]["height"]')
      local mhash; mhash=$(jq_ "$m" 'j["header"]["hash"]')
      obs_get "$n" "/v1/blocks/$h"
      [ "$status" = 200 ] || fail "observer $n has no block $h: $body"
      [ "$(jq_ "$body" 'j["header"]["hash"]')" = "$mhash" ] || fail "observer $n block $h differs from the member's"
      return 0
    fi
    [ $SECONDS -lt $end ] || fail "observer $n did not reach log size $size with the members' roots (member: $m; observer: $o)"
    sleep 0.5
  done
}
wait_same obs1 "$total" 120
obs_get obs1 /metrics
applied=$(sed -n 's/^hearth_observer_blocks_applied_total \([0-9]*\)$/\1/p' <<<"$body")
[ "${applied:-0}" -ge 1 ] || fail "observer metrics count no applied block: $(grep observer <<<"$body")"
echo "ok: observer at log size $total with the members' log and index roots ($applied blocks applied)"

# ---- reads from the observer's own store ----
id=""
for h in $(seq 1 400); do
  mem_get "/v1/blocks/$h"
  [ "$status" = 200 ] || break
  id=$(jq_ "$body" '(j["tx_ids"] or [""])[0]')
  [ -n "$id" ] && break
done
[ -n "$id" ] || fail "no committed transaction found on the member"
obs_get obs1 "/v1/tx/$id"
[ "$status" = 200 ] || fail "observer GET /v1/tx/$id: $status $body"
"$PY" - "$body" "$id" <<'EOF' || fail "observer's inclusion proof for $id does not verify: $body"
import hashlib, json, sys
j, tid = json.loads(sys.argv[1]), sys.argv[2]
assert j["state"] == "committed" and j["id"] == tid, j
H = lambda b: hashlib.sha256(b).digest()
r = H(b"\x00" + bytes.fromhex(tid))
fn, sn = j["log_index"], j["log_size"] - 1
assert fn <= sn
for p in j["inclusion_proof"]:
    p = bytes.fromhex(p)
    assert sn != 0
    if fn & 1 or fn == sn:
        r = H(b"\x01" + p + r)
        while not fn & 1 and fn != 0:
            fn >>= 1; sn >>= 1
    else:
        r = H(b"\x01" + r + p)
    fn >>= 1; sn >>= 1
assert sn == 0 and r.hex() == j["log_root"], (r.hex(), j["log_root"])
EOF
obs_get obs1 "/v1/tx/$(printf '%064d' 0)"
[ "$status" = 404 ] || fail "observer GET of an unknown id: $status"
obs_get obs1 "/v1/proof/inclusion?id=$id"
[ "$status" = 200 ] || fail "observer inclusion proof route: $status $body"
obs_get obs1 "/v1/proof/consistency?from=1&to=$total"
[ "$status" = 200 ] || fail "observer consistency proof route: $status $body"
call get "$(obs_url obs1)" /v1/checkpoint "$net/observers/obs1/api-cert.pem" -
[ "$status" = 401 ] || fail "observer checkpoint without a token: $status"
echo "ok: observer serves tx $id with a verifying inclusion proof, proofs and checkpoint"

# ---- the observer refuses records ----
rec=$(head -n 1 "$work/s/tax.ndjson")
call post "$(obs_url obs1)" /v1/records "$net/observers/obs1/api-cert.pem" "$tax_token" "$rec"
[ "$status" = 409 ] || fail "observer POST /v1/records: $status $body"
[ "$(jq_ "$body" 'j["error"]')" = observer ] || fail "observer refusal body: $body"
grep -q "submit records to a member node" <<<"$body" || fail "observer refusal message: $body"
call post "$(obs_url obs1)" /v1/records "$net/observers/obs1/api-cert.pem" - "$rec"
[ "$status" = 409 ] || fail "observer POST /v1/records without a token: $status $body"
echo "ok: observer answers POST /v1/records with 409 observer"

# ---- kill -9 and restart: catches up with what committed meanwhile ----
obs_get obs1 /v1/checkpoint
before=$(jq_ "$body" 'j["header"]["height"]')
kill -9 "${obs_pid[obs1]}"
end=$((SECONDS + 10))
while kill -0 "${obs_pid[obs1]}" 2>/dev/null; do [ $SECONDS -lt $end ] || fail "observer survived kill -9"; sleep 0.1; done
"$bin/hearth" submit --dir "$net" --agency social_security "$work/s/social_security.ndjson" >/dev/null \
  2>>"$work/submit.err" || fail "submit social_security: $(tail -n 5 "$work/submit.err")"
total=$((total + $(lines "$work/s/social_security.ndjson")))
start_observer obs1
obs_get obs1 /healthz
after=$(jq_ "$body" 'j["height"]')
[ "$after" -ge "$before" ] || fail "observer restarted at height $after < $before before kill -9"
wait_same obs1 "$total" 120
echo "ok: observer killed at height $before, restarted at $after, caught up at log size $total"

# ---- a wrong pinned certificate: the observer refuses to follow ----
"$bin/hearth" devnet observer --dir "$net" --name badcert --follow tax >/dev/null || fail "devnet observer badcert"
"$PY" - "$net/observers/badcert/node.json" "$net/social_security/api-cert.pem" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["follow"][0]["api_cert_path"] = sys.argv[2]  # tax's URL, social_security's certificate
open(sys.argv[1], "w").write(json.dumps(c, indent=2))
EOF
start_observer badcert
end=$((SECONDS + 30))
while :; do
  obs_get badcert /metrics
  n=$(sed -n 's/^hearth_observer_member_failures_total{member="[^"]*",reason="unreachable"} \([0-9]*\)$/\1/p' <<<"$body")
  [ "${n:-0}" -ge 2 ] && break
  [ $SECONDS -lt $end ] || fail "badcert: failures not counted: $body"
  sleep 0.5
done
obs_get badcert /healthz
[ "$(jq_ "$body" 'j["height"]')" = 0 ] || fail "badcert followed a member it cannot authenticate: $body"
grep -q "reason=unreachable.*TLS handshake" "$net/observers/badcert/hearthd.log" \
  || fail "badcert: no TLS failure logged"
kill -9 "${obs_pid[badcert]}"
echo "ok: an observer pinned to the wrong certificate stays at height 0, failures logged and counted"

# ---- members serving tampered blocks: logged, counted, the next member is used ----
cat >"$work/tamper.py" <<'EOF'
# Plain-HTTP proxy on 127.0.0.1 in front of a member's API: answers GET /v1/blocks like the
# member, but flips the last hex digit of (mode "cert") the certificate of the first block
# served, i.e. a byte of its last precommit signature, or (mode "tx") the first block that
# holds transactions, i.e. a byte of its last transaction's signature.
import http.server, json, ssl, sys, urllib.request
member, cert, portfile, mode = sys.argv[1:5]
def flip(h):
    return h[:-1] + ("0" if h[-1] != "0" else "1")
ctx = ssl.create_default_context(cafile=cert)
def fetch(path, auth):
    req = urllib.request.Request(member + path, headers={"Authorization": auth})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        return r.read()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        body = fetch(self.path, auth)
        if self.path.startswith("/v1/blocks?"):
            j = json.loads(body)
            if mode == "cert" and j["blocks"]:
                j["blocks"][0]["certificate"] = flip(j["blocks"][0]["certificate"])
            for b in j["blocks"] if mode == "tx" else []:
                if json.loads(fetch("/v1/blocks/%d" % b["height"], auth))["header"]["tx_count"] > 0:
                    b["block"] = flip(b["block"])
                    break
            body = json.dumps(j).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile, "w").write(str(s.server_address[1]))
s.timeout = 1
import time
deadline = time.time() + 600  # stops by itself
while time.time() < deadline:
    s.handle_request()
EOF
declare -A proxy
for mode in cert tx; do
  "$PY" "$work/tamper.py" "$ca_url" "$ca_cert" "$work/tamper-$mode.port" "$mode" &
  started+=($!)
  disown
  end=$((SECONDS + 10))
  until [ -s "$work/tamper-$mode.port" ]; do [ $SECONDS -lt $end ] || fail "tamper proxy $mode did not start"; sleep 0.1; done
  proxy[$mode]="http://127.0.0.1:$(cat "$work/tamper-$mode.port")"
done
"$bin/hearth" devnet observer --dir "$net" --name tampered --follow civil_affairs,social_security,tax >/dev/null \
  || fail "devnet observer tampered"
"$PY" - "$net/observers/tampered/node.json" "${proxy[cert]}" "${proxy[tx]}" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
for i in (0, 1):
    c["follow"][i] = {"url": sys.argv[2 + i], "token_path": c["follow"][i]["token_path"]}
open(sys.argv[1], "w").write(json.dumps(c, indent=2))
EOF
start_observer tampered
wait_same tampered "$total" 120
obs_get tampered /metrics
tlog=$net/observers/tampered/hearthd.log
for mode in cert tx; do
  p=${proxy[$mode]}
  grep -q "^hearth_observer_member_failures_total{member=\"$p\",reason=\"bad_block\"} [1-9]" <<<"$body" \
    || fail "tampered $mode: bad block not counted: $(grep observer <<<"$body")"
  grep -q "member=$p height=[0-9]* reason=bad_block" "$tlog" || fail "tampered $mode: bad block not logged"
done
grep -q "member=${proxy[cert]} height=1 reason=bad_block: .*certificate: the vote of member [0-9]* does not verify" "$tlog" \
  || fail "forged certificate vote: not refused for that reason: $(grep bad_block "$tlog")"
grep -q "member=${proxy[tx]} height=[0-9]* reason=bad_block: .*block.txs\[[0-9]*\]: .*signature" "$tlog" \
  || fail "forged transaction signature: not refused for that reason: $(grep bad_block "$tlog")"
grep -q "^hearth_observer_following{member=\"$(member_url tax)\"} 1" <<<"$body" \
  || fail "tampered: not following tax after the bad blocks: $(grep observer <<<"$body")"
echo "ok: a forged certificate vote and a forged transaction signature were refused, logged and counted; the next member followed"

# ---- hearthd rejects an observer config without members to follow ----
"$PY" - "$net/observers/obs1/node.json" "$work/nofollow.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["follow"] = []
open(sys.argv[2], "w").write(json.dumps(c))
EOF
rc=0
timeout 30 "$bin/hearthd" --config "$work/nofollow.json" >"$work/nofollow.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "hearthd with follow: [] exited $rc, want 2"
grep -q "follow: 0 URLs, expected 1..256" "$work/nofollow.out" || fail "follow: [] error: $(cat "$work/nofollow.out")"
echo "ok: an observer config without members is refused naming follow"
