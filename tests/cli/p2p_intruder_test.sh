#!/usr/bin/env bash
# p2p_intruder_test.sh: a running hearthd's peer port against strangers. A TLS client whose
# Ed25519 transport key is not in genesis cannot complete a handshake; plain-TCP garbage
# ending in a huge length prefix is dropped; both are counted in /metrics; the network keeps
# committing afterwards. (Oversized and zero-length frames inside an authenticated TLS
# connection are covered by tests/node/transport_test.cc.) Usage: p2p_intruder_test.sh <bin dir>
set -euo pipefail
bin=$(cd "$1" && pwd)
work=$(mktemp -d)
net=$work/net
cleanup() {
  "$bin/hearth" devnet down --dir "$net" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in openssl curl python3; do
  command -v "$tool" >/dev/null || fail "$tool missing (scripts/setup.sh installs it)"
done

"$bin/hearth" devnet up --dir "$net" >/dev/null || fail "devnet up"
read -r p2p api < <(python3 -c '
import json, sys
n = [x for x in json.load(open(sys.argv[1])) if x["agency"] == "tax"][0]
print(n["p2p"].split(":")[1], n["api"])' "$net/nodes.json")
metric() {
  curl -fsS --cacert "$net/tax/api-cert.pem" "$api/metrics" |
    awk -v m="$1" '$1 == m { print $2 }'
}
failures0=$(metric hearth_p2p_handshake_failures_total)

# 1. A stranger with its own Ed25519 key and certificate.
openssl genpkey -algorithm ed25519 -out "$work/k.pem" 2>/dev/null
openssl req -new -x509 -key "$work/k.pem" -out "$work/c.pem" -subj /CN=intruder -days 1 2>/dev/null
out=$(timeout 10 openssl s_client -connect "127.0.0.1:$p2p" -tls1_3 -cert "$work/c.pem" \
        -key "$work/k.pem" -servername x </dev/null 2>&1 || true)
echo "$out" | grep -q "Verification: OK" && fail "stranger's handshake verified the node: $out"
# 2. Plain-TCP garbage and an oversized length prefix, without TLS.
# (in a subshell: the node may close the socket first, and SIGPIPE must not end the test)
(exec 3<>"/dev/tcp/127.0.0.1/$p2p"; printf 'GET / HTTP/1.1\r\n\r\n\xff\xff\xff\xff' >&3) 2>/dev/null || true

end=$((SECONDS + 20))
until [ "$(metric hearth_p2p_handshake_failures_total)" -ge $((failures0 + 2)) ]; do
  [ $SECONDS -lt $end ] || fail "handshake failures not counted: $(metric hearth_p2p_handshake_failures_total) (was $failures0)"
  sleep 0.2
done
echo "ok: stranger and garbage refused and counted ($(metric hearth_p2p_handshake_failures_total) handshake failures)"

# 3. The members still talk to each other: a small bulk commits everywhere.
"$bin/hearth" synth --dir "$net" --households 10 --months 2 --seed 3 --out "$work/s" >/dev/null
"$bin/hearth" submit --dir "$net" --agency civil_affairs "$work/s/civil_affairs.ndjson" >/dev/null || fail submit
want=$(wc -l <"$work/s/civil_affairs.ndjson" | tr -d ' ')
end=$((SECONDS + 60))
until "$bin/hearth" devnet status --dir "$net" --json | python3 -c '
import json, sys
nodes = json.load(sys.stdin)
sys.exit(0 if all(n["up"] and n["log_size"] == int(sys.argv[1]) for n in nodes)
         and len({n["log_root"] for n in nodes}) == 1 else 1)' "$want"; do
  [ $SECONDS -lt $end ] || fail "network did not commit after the intrusion attempts"
  sleep 0.5
done
echo "ok: all four nodes committed $want records after the intrusion attempts"
