#!/usr/bin/env bash
# `hearth keygen`, `hearth genesis`, `hearth pseudonym-key`: file modes, refusal to
# overwrite, n = 3f+1, both suites, and the genesis hash recomputed by python3 from
# genesis.json following docs/FORMAT.md "Genesis" (an independent implementation).
# Usage: keys_cli_test.sh <bin dir>
set -u
bin=${1:?usage: keys_cli_test.sh <bin dir>}
hearth="$bin/hearth"
tmp=$(mktemp -d /tmp/hearth-keys-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {  # check <description> <condition...>
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}
mode() { stat -c %a "$1"; }
agencies="civil_affairs tax social_security disability_federation"

# ---- keygen ----
for a in $agencies; do
  "$hearth" keygen --out "$tmp/ed/$a" >"$tmp/keygen.out" 2>"$tmp/err"
  check "keygen $a exits 0" test $? -eq 0
done
k="$tmp/ed/tax"
for f in node.pem transport.pem issuer.pem api.pem; do
  check "$f is 0600" test "$(mode "$k/$f")" = 600
done
for f in transport-cert.pem api-cert.pem public.json; do
  check "$f exists" test -s "$k/$f"
done
check "key folder is 0700" test "$(mode "$k")" = 700
check "keygen prints public.json" cmp -s "$tmp/keygen.out" "$tmp/ed/disability_federation/public.json"
check "public.json has the four fields" python3 - "$k/public.json" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
assert sorted(p) == ["issuer_key", "node_key", "suite", "transport_key"], p
assert p["suite"] == "ed25519-sha256"
for f in ("node_key", "issuer_key", "transport_key"):
    assert len(bytes.fromhex(p[f])) == 32, f
assert len({p["node_key"], p["issuer_key"], p["transport_key"]}) == 3
EOF
# The transport certificate carries the transport key; the API certificate names 127.0.0.1.
cert_key=$(openssl x509 -in "$k/transport-cert.pem" -noout -pubkey | openssl pkey -pubin -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
want_key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["transport_key"])' "$k/public.json")
check "transport-cert.pem holds the transport key" test "$cert_key" = "$want_key"
check "transport-cert.pem CN is the name" grep -q "CN *= *tax" <(openssl x509 -in "$k/transport-cert.pem" -noout -subject)
check "api-cert.pem has SAN IP 127.0.0.1 and localhost" grep -q "IP Address:127.0.0.1, DNS:localhost" \
  <(openssl x509 -in "$k/api-cert.pem" -noout -ext subjectAltName)
check "api.pem is an EC P-256 key" grep -q "prime256v1\|P-256" <(openssl pkey -in "$k/api.pem" -noout -text)

sum_before=$(cat "$k"/* | sha256sum)
"$hearth" keygen --out "$k" >/dev/null 2>"$tmp/err"
check "keygen into a non-empty folder exits 2" test $? -eq 2
check "and says it is not empty" grep -q "not empty" "$tmp/err"
check "and leaves the keys alone" test "$(cat "$k"/* | sha256sum)" = "$sum_before"
mkdir "$tmp/empty"
"$hearth" keygen --out "$tmp/empty" --name observer-1 >/dev/null 2>&1
check "keygen into an existing empty folder with --name exits 0" test $? -eq 0
"$hearth" keygen --out "$tmp/bad name" >/dev/null 2>"$tmp/err"
check "keygen with a folder name that is no member name exits 2" test $? -eq 2
check "and asks for --name" grep -q -- "--name" "$tmp/err"
check "and creates nothing" test ! -e "$tmp/bad name"
"$hearth" keygen --out "$tmp/x" --suite md5 >/dev/null 2>&1
check "keygen with an unknown suite exits 2" test $? -eq 2

# ---- genesis ----
members=()
for a in $agencies; do members+=(--member "$a=$tmp/ed/$a"); done
"$hearth" genesis "${members[@]}" --out "$tmp/genesis.json" >"$tmp/genesis.out" 2>"$tmp/err"
check "genesis of 4 members exits 0" test $? -eq 0
check "genesis.json is written" test -s "$tmp/genesis.json"
hash=$(awk '$1 == "genesis_hash" {print $2}' "$tmp/genesis.out")
check "genesis prints a 64-hex hash" grep -Eqx '[0-9a-f]{64}' <<<"$hash"
recompute() {  # recompute <genesis.json> -> hash per docs/FORMAT.md "Genesis"
  python3 - "$1" <<'EOF'
import hashlib, json, struct, sys
g = json.load(open(sys.argv[1]))
agency = {"civil_affairs": 1, "tax": 2, "social_security": 3, "disability_federation": 4,
          "public_security": 5, "property_registry": 6, "financial": 7}
suite = {"ed25519-sha256": 1, "sm2-sm3": 2}[g["suite"]]
def text(s): b = s.encode(); return struct.pack("<I", len(b)) + b
def blob(h): b = bytes.fromhex(h); return struct.pack("<I", len(b)) + b
e = bytes([0x05, 1, suite]) + text(g["chain_id"]) + struct.pack("<QII", g["genesis_time_ms"], g["f"], len(g["members"]))
for m in g["members"]:
    e += text(m["name"]) + bytes([agency[m["agency"]]]) + blob(m["node_key"]) + blob(m["transport_key"])
    e += struct.pack("<I", len(m["issuer_keys"])) + b"".join(blob(k) for k in m["issuer_keys"])
print(hashlib.new("sha256" if suite == 1 else "sm3", e).hexdigest())
EOF
}
check "python3 recomputes the printed genesis hash" test "$(recompute "$tmp/genesis.json")" = "$hash"
check "f is 1, chain id hearth-<16 hex>, default addresses" python3 - "$tmp/genesis.json" <<'EOF'
import json, re, sys
g = json.load(open(sys.argv[1]))
assert g["f"] == 1 and len(g["members"]) == 4
assert re.fullmatch(r"hearth-[0-9a-f]{16}", g["chain_id"]), g["chain_id"]
assert [m["name"] for m in g["members"]] == ["civil_affairs", "tax", "social_security", "disability_federation"]
assert [m["agency"] for m in g["members"]] == [m["name"] for m in g["members"]]
assert g["members"][1]["p2p"] == "127.0.0.1:7002" and g["members"][3]["api"] == "https://127.0.0.1:8004"
EOF

sum_before=$(sha256sum <"$tmp/genesis.json")
"$hearth" genesis "${members[@]}" --out "$tmp/genesis.json" >/dev/null 2>"$tmp/err"
check "genesis refuses to overwrite (exit 2)" test $? -eq 2
check "and says so" grep -q "refusing to overwrite" "$tmp/err"
check "and the file is unchanged" test "$(sha256sum <"$tmp/genesis.json")" = "$sum_before"

"$hearth" genesis "${members[@]:0:6}" --out "$tmp/g3.json" >/dev/null 2>"$tmp/err"
check "genesis of 3 members exits 2" test $? -eq 2
check "and explains n = 3f+1" grep -q "3 members; n must be 3f+1" "$tmp/err"
check "and writes nothing" test ! -e "$tmp/g3.json"
"$hearth" genesis "${members[@]:0:2}" --out "$tmp/g1.json" >/dev/null 2>&1
check "genesis of 1 member (f = 0) exits 0" test $? -eq 0

"$hearth" genesis "${members[@]:0:6}" --member "observer-1=$tmp/empty" --out "$tmp/gx.json" >/dev/null 2>"$tmp/err"
check "a member name that is no agency code needs --agency" grep -q -- "--agency observer-1=AGENCY" "$tmp/err"
"$hearth" genesis "${members[@]:0:6}" --member "observer-1=$tmp/empty" --agency observer-1=financial \
  --out "$tmp/gx.json" >/dev/null 2>&1
check "with --agency it exits 0" test $? -eq 0
"$hearth" genesis "${members[@]:0:6}" --member "police=$tmp/ed/civil_affairs" --agency police=public_security \
  --out "$tmp/gd.json" >/dev/null 2>"$tmp/err"
check "the same keys for two members exit 2" test $? -eq 2
check "naming the reused key" grep -q "genesis.members\[3\].node_key: key already used at genesis.members\[0\].node_key" "$tmp/err"
"$hearth" genesis "${members[@]}" --p2p nobody=127.0.0.1:1 --out "$tmp/gn.json" >/dev/null 2>"$tmp/err"
check "--p2p for an unknown member exits 2" grep -q "no --member named nobody" "$tmp/err"
"$hearth" genesis "${members[@]}" --p2p tax=example.org:1 --out "$tmp/gn.json" >/dev/null 2>"$tmp/err"
check "--p2p with a DNS host exits 2" grep -q -- "--p2p tax" "$tmp/err"
"$hearth" genesis "${members[@]}" --member "tax=$tmp/ed/tax" --out "$tmp/gn.json" >/dev/null 2>"$tmp/err"
check "a member given twice exits 2" grep -q "tax given twice" "$tmp/err"
"$hearth" genesis --member "tax" --out "$tmp/gn.json" >/dev/null 2>"$tmp/err"
check "--member without =DIR exits 2" grep -q "expected NAME=DIR" "$tmp/err"

# Addresses are not part of the hash; the chain id and time are.
same=(--chain-id hearth-fixed --genesis-time-ms 1735689600000)
h1=$("$hearth" genesis "${members[@]}" "${same[@]}" --out "$tmp/a.json" | awk '$1 == "genesis_hash" {print $2}')
h2=$("$hearth" genesis "${members[@]}" "${same[@]}" --p2p tax=10.0.0.2:9000 --api tax=https://tax.example.org:443 \
  --out "$tmp/b.json" | awk '$1 == "genesis_hash" {print $2}')
check "moving a node keeps the genesis hash" test -n "$h1" -a "$h1" = "$h2"
check "and the new addresses are in the file" grep -q '"10.0.0.2:9000"' "$tmp/b.json"
h3=$("$hearth" genesis "${members[@]}" --chain-id hearth-other --genesis-time-ms 1735689600000 \
  --out "$tmp/c.json" | awk '$1 == "genesis_hash" {print $2}')
check "another chain id changes it" test -n "$h3" -a "$h3" != "$h1"

# ---- sm2-sm3 ----
for a in $agencies; do
  "$hearth" keygen --suite sm2-sm3 --out "$tmp/sm/$a" >/dev/null 2>&1
  check "keygen --suite sm2-sm3 $a exits 0" test $? -eq 0
done
check "sm2 public.json: 65-byte node and issuer keys, 32-byte transport key" python3 - "$tmp/sm/tax/public.json" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["suite"] == "sm2-sm3"
for f in ("node_key", "issuer_key"):
    b = bytes.fromhex(p[f]); assert len(b) == 65 and b[0] == 4, f
assert len(bytes.fromhex(p["transport_key"])) == 32
EOF
check "sm2 node.pem is 0600" test "$(mode "$tmp/sm/tax/node.pem")" = 600
sm=()
for a in $agencies; do sm+=(--member "$a=$tmp/sm/$a"); done
"$hearth" genesis "${sm[@]}" --out "$tmp/sm.json" >"$tmp/sm.out" 2>"$tmp/err"
check "sm2-sm3 genesis exits 0" test $? -eq 0
check "and its suite is sm2-sm3" grep -q '"suite": "sm2-sm3"' "$tmp/sm.json"
if python3 -c 'import hashlib; hashlib.new("sm3")' 2>/dev/null; then
  check "python3 recomputes the SM3 genesis hash" \
    test "$(recompute "$tmp/sm.json")" = "$(awk '$1 == "genesis_hash" {print $2}' "$tmp/sm.out")"
fi
"$hearth" genesis "${sm[@]:0:6}" --member "tax2=$tmp/ed/tax" --agency tax2=financial --out "$tmp/mix.json" \
  >/dev/null 2>"$tmp/err"
check "mixing suites exits 2" test $? -eq 2
check "naming the suite" grep -q "has suite ed25519-sha256, the genesis suite is sm2-sm3" "$tmp/err"
"$hearth" genesis "${sm[@]}" --suite ed25519-sha256 --out "$tmp/mix.json" >/dev/null 2>&1
check "--suite that disagrees with the keys exits 2" test $? -eq 2

# ---- pseudonym-key ----
"$hearth" pseudonym-key --out "$tmp/pseudonym.key" >/dev/null 2>"$tmp/err"
check "pseudonym-key exits 0" test $? -eq 0
check "pseudonym key is 0600" test "$(mode "$tmp/pseudonym.key")" = 600
check "pseudonym key is 64 hex digits" grep -Eqx '[0-9a-f]{64}' "$tmp/pseudonym.key"
check "pseudonym-key warns to keep it outside data directories" grep -q "outside every node data directory" "$tmp/err"
check "hearth id accepts the key" grep -Eqx '[0-9a-f]{64}' \
  <("$hearth" id pseudonym --key-file "$tmp/pseudonym.key" --id 11010519491231002X)
sum_before=$(sha256sum <"$tmp/pseudonym.key")
"$hearth" pseudonym-key --out "$tmp/pseudonym.key" >/dev/null 2>&1
check "pseudonym-key refuses to overwrite (exit 2)" test $? -eq 2
check "and the key is unchanged" test "$(sha256sum <"$tmp/pseudonym.key")" = "$sum_before"
"$hearth" pseudonym-key --out "$tmp/second.key" >/dev/null 2>&1
check "two keys differ" test "$(cat "$tmp/second.key")" != "$(cat "$tmp/pseudonym.key")"

exit $fail
