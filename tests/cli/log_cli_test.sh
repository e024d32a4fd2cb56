#!/bin/bash
# `hearth log ...` end to end: RFC 6962 known answers, prove/verify round trips, exit codes
# (0 ok, 1 failed verification, 2 malformed input), and a cross-check of roots and proofs
# against an independent RFC 9162 implementation in python3 (hashlib: SHA-256 and SM3).
# Usage: log_cli_test.sh <bin dir>
set -u
BIN=${1:?usage: log_cli_test.sh <bin dir>}
HEARTH="$BIN/hearth"
[ -x "$HEARTH" ] || { echo "FAIL: $HEARTH not found" >&2; exit 1; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
WORK=$(mktemp -d /tmp/hearth-log-cli-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect_rc <code> <description> <command...>: runs it with stdin from $WORK/stdin.
expect_rc() {
  local want=$1 what=$2
  shift 2
  "$@" <"$WORK/stdin" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "$what: exit $rc, want $want (stdout: $(head -c 300 "$WORK/out"), stderr: $(head -c 300 "$WORK/err"))"
    return 1
  fi
  return 0
}
set_stdin() { printf '%s' "$1" >"$WORK/stdin"; }

# RFC 6962 reference leaves (the first is the empty leaf) and roots at sizes 1..8.
RFC_LEAVES=$'\n00\n10\n2021\n3031\n40414243\n5051525354555657\n606162636465666768696a6b6c6d6e6f\n'
RFC_ROOTS=(
  6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d
  fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125
  aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77
  d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7
  4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4
  76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef
  ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c
  5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328
)
EMPTY_ROOT=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
ROOT8=${RFC_ROOTS[7]}
LEAF_HASHES=()
while IFS= read -r line; do
  LEAF_HASHES+=("$("$PY" -c 'import hashlib, sys; print(hashlib.sha256(bytes.fromhex("00" + sys.argv[1])).hexdigest())' "$line")")
done < <(printf '%s' "$RFC_LEAVES")

# --- roots -------------------------------------------------------------------------------
for n in 1 2 3 4 5 6 7 8; do
  set_stdin "$(printf '%s' "$RFC_LEAVES" | head -n "$n")"$'\n'
  expect_rc 0 "root of $n RFC leaves" "$HEARTH" log root &&
    { [ "$(cat "$WORK/out")" = "${RFC_ROOTS[$((n - 1))]}" ] || fail "root of $n RFC leaves: $(cat "$WORK/out")"; }
done
set_stdin "$RFC_LEAVES"
expect_rc 0 "root, explicit suite" "$HEARTH" log root --suite ed25519-sha256 &&
  { [ "$(cat "$WORK/out")" = "$ROOT8" ] || fail "root with --suite ed25519-sha256"; }
set_stdin ""
expect_rc 0 "root of no leaves" "$HEARTH" log root &&
  { [ "$(cat "$WORK/out")" = "$EMPTY_ROOT" ] || fail "empty root: $(cat "$WORK/out")"; }
set_stdin "00"  # no final newline: still one leaf
expect_rc 0 "root without final newline" "$HEARTH" log root &&
  { [ "$(cat "$WORK/out")" = "${LEAF_HASHES[1]}" ] || fail "single leaf 00 root"; }

# --- prove then verify, every index and every size pair of the RFC tree ---------------
set_stdin "$RFC_LEAVES"
for n in 1 2 3 4 5 6 7 8; do
  for ((i = 0; i < n; i++)); do
    expect_rc 0 "prove-inclusion $i/$n" "$HEARTH" log prove-inclusion --index "$i" --size "$n" || continue
    proof=$(paste -sd, "$WORK/out")
    expect_rc 0 "verify-inclusion $i/$n" "$HEARTH" log verify-inclusion --leaf-hash "${LEAF_HASHES[$i]}" \
      --index "$i" --size "$n" --root "${RFC_ROOTS[$((n - 1))]}" --proof "$proof" &&
      { [ "$(cat "$WORK/out")" = "ok" ] || fail "verify-inclusion $i/$n printed $(cat "$WORK/out")"; }
  done
  for ((m = 1; m <= n; m++)); do
    expect_rc 0 "prove-consistency $m/$n" "$HEARTH" log prove-consistency --size1 "$m" --size2 "$n" || continue
    proof=$(paste -sd, "$WORK/out")
    expect_rc 0 "verify-consistency $m/$n" "$HEARTH" log verify-consistency --size1 "$m" \
      --root1 "${RFC_ROOTS[$((m - 1))]}" --size2 "$n" --root2 "${RFC_ROOTS[$((n - 1))]}" --proof "$proof" &&
      { [ "$(cat "$WORK/out")" = "ok" ] || fail "verify-consistency $m/$n printed $(cat "$WORK/out")"; }
  done
done

# Known answer: inclusion of leaf 5 in 8 (transparency-dev/merkle proof/verify_test.go).
expect_rc 0 "prove-inclusion 5/8" "$HEARTH" log prove-inclusion --index 5 --size 8
[ "$(paste -sd, "$WORK/out")" = "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b,ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0,d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" ] ||
  fail "inclusion proof 5/8 differs from the RFC 6962 vector"
P58=$(paste -sd, "$WORK/out")

# --- failed verifications exit 1 with a reason ---------------------------------------------
set_stdin ""
TAMPERED=$(printf '%s' "$P58" | sed 's/^b/c/')
expect_rc 1 "tampered inclusion proof" "$HEARTH" log verify-inclusion --leaf-hash "${LEAF_HASHES[5]}" \
  --index 5 --size 8 --root "$ROOT8" --proof "$TAMPERED" &&
  { grep -q "root mismatch" "$WORK/err" || fail "tampered proof: no reason on stderr"; }
expect_rc 1 "wrong index" "$HEARTH" log verify-inclusion --leaf-hash "${LEAF_HASHES[5]}" \
  --index 4 --size 8 --root "$ROOT8" --proof "$P58"
expect_rc 1 "wrong leaf" "$HEARTH" log verify-inclusion --leaf-hash "${LEAF_HASHES[4]}" \
  --index 5 --size 8 --root "$ROOT8" --proof "$P58"
expect_rc 1 "extra element" "$HEARTH" log verify-inclusion --leaf-hash "${LEAF_HASHES[5]}" \
  --index 5 --size 8 --root "$ROOT8" --proof "$P58,$ROOT8" &&
  { grep -q "proof too long: got 4, want 3" "$WORK/err" || fail "extra element: reason $(cat "$WORK/err")"; }
expect_rc 1 "missing element" "$HEARTH" log verify-inclusion --leaf-hash "${LEAF_HASHES[5]}" \
  --index 5 --size 8 --root "$ROOT8" --proof "${P58%,*}"
set_stdin "$RFC_LEAVES"
"$HEARTH" log prove-consistency --size1 6 --size2 8 <"$WORK/stdin" >"$WORK/c68" || fail "prove-consistency 6/8"
C68=$(paste -sd, "$WORK/c68")
set_stdin ""
expect_rc 1 "tampered consistency proof" "$HEARTH" log verify-consistency --size1 6 \
  --root1 "${RFC_ROOTS[5]}" --size2 8 --root2 "$ROOT8" --proof "$(printf '%s' "$C68" | sed 's/,c/,d/')"
expect_rc 1 "swapped roots" "$HEARTH" log verify-consistency --size1 6 \
  --root1 "$ROOT8" --size2 8 --root2 "${RFC_ROOTS[5]}" --proof "$C68"

# --- the empty proof -----------------------------------------------------------------------
expect_rc 0 "empty inclusion proof, size 1" "$HEARTH" log verify-inclusion --leaf-hash "${LEAF_HASHES[0]}" \
  --index 0 --size 1 --root "${RFC_ROOTS[0]}" --proof ''
expect_rc 0 "empty consistency proof, m to m" "$HEARTH" log verify-consistency --size1 4 \
  --root1 "${RFC_ROOTS[3]}" --size2 4 --root2 "${RFC_ROOTS[3]}" --proof ''
expect_rc 1 "m to m with different roots" "$HEARTH" log verify-consistency --size1 4 \
  --root1 "${RFC_ROOTS[3]}" --size2 4 --root2 "$ROOT8" --proof ''
expect_rc 1 "empty proof where one is needed" "$HEARTH" log verify-inclusion --leaf-hash "${LEAF_HASHES[5]}" \
  --index 5 --size 8 --root "$ROOT8" --proof ''

# --- malformed input exits 2 ---------------------------------------------------------------
expect_rc 2 "bad hex root" "$HEARTH" log verify-inclusion --leaf-hash "${LEAF_HASHES[5]}" \
  --index 5 --size 8 --root "zz${ROOT8:2}" --proof "$P58"
expect_rc 2 "short leaf hash" "$HEARTH" log verify-inclusion --leaf-hash "${LEAF_HASHES[5]:2}" \
  --index 5 --size 8 --root "$ROOT8" --proof "$P58"
expect_rc 2 "proof element of 31 bytes" "$HEARTH" log verify-inclusion --leaf-hash "${LEAF_HASHES[5]}" \
  --index 5 --size 8 --root "$ROOT8" --proof "${P58%??}"
expect_rc 2 "trailing comma in proof" "$HEARTH" log verify-inclusion --leaf-hash "${LEAF_HASHES[5]}" \
  --index 5 --size 8 --root "$ROOT8" --proof "$P58,"
expect_rc 2 "non-number index" "$HEARTH" log verify-inclusion --leaf-hash "${LEAF_HASHES[5]}" \
  --index five --size 8 --root "$ROOT8" --proof "$P58"
expect_rc 2 "negative size" "$HEARTH" log verify-inclusion --leaf-hash "${LEAF_HASHES[5]}" \
  --index 5 --size -8 --root "$ROOT8" --proof "$P58"
expect_rc 2 "index not below size" "$HEARTH" log verify-inclusion --leaf-hash "${LEAF_HASHES[5]}" \
  --index 8 --size 8 --root "$ROOT8" --proof "$P58"
expect_rc 2 "missing --root" "$HEARTH" log verify-inclusion --leaf-hash "${LEAF_HASHES[5]}" \
  --index 5 --size 8 --proof "$P58"
expect_rc 2 "consistency from size 0" "$HEARTH" log verify-consistency --size1 0 \
  --root1 "$EMPTY_ROOT" --size2 8 --root2 "$ROOT8" --proof ''
expect_rc 2 "size1 above size2" "$HEARTH" log verify-consistency --size1 8 \
  --root1 "$ROOT8" --size2 6 --root2 "${RFC_ROOTS[5]}" --proof "$C68"
expect_rc 2 "unknown suite" "$HEARTH" log verify-inclusion --suite sha1 --leaf-hash "${LEAF_HASHES[5]}" \
  --index 5 --size 8 --root "$ROOT8" --proof "$P58"
set_stdin $'00\n10\nabc\n20\n'
expect_rc 2 "odd-length stdin hex" "$HEARTH" log root &&
  { grep -q "stdin line 3" "$WORK/err" || fail "bad stdin line not named: $(cat "$WORK/err")"; }
set_stdin $'00\nxy\n'
expect_rc 2 "non-hex stdin" "$HEARTH" log prove-inclusion --index 0 --size 2 &&
  { grep -q "stdin line 2" "$WORK/err" || fail "bad stdin line not named: $(cat "$WORK/err")"; }
set_stdin "$RFC_LEAVES"
expect_rc 2 "size beyond stdin" "$HEARTH" log prove-inclusion --index 0 --size 9
expect_rc 2 "size2 beyond stdin" "$HEARTH" log prove-consistency --size1 1 --size2 9
expect_rc 2 "prove-consistency from 0" "$HEARTH" log prove-consistency --size1 0 --size2 8
expect_rc 2 "prove-inclusion index = size" "$HEARTH" log prove-inclusion --index 8 --size 8

# --- cross-check against an independent python3 implementation ----------------------------
SEED=${HEARTH_TEST_SEED:-$RANDOM}
echo "python cross-check seed $SEED (set HEARTH_TEST_SEED to replay)"
cat >"$WORK/rfc.py" <<'EOF'
# RFC 9162 section 2.1, written from the RFC text.
import hashlib, random, sys

def H(suite, b):
    return hashlib.new("sha256" if suite == "ed25519-sha256" else "sm3", b).digest()

def k_of(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k

def mth(s, d):
    if not d:
        return H(s, b"")
    if len(d) == 1:
        return H(s, b"\x00" + d[0])
    k = k_of(len(d))
    return H(s, b"\x01" + mth(s, d[:k]) + mth(s, d[k:]))

def path(s, m, d):
    if len(d) <= 1:
        return []
    k = k_of(len(d))
    if m < k:
        return path(s, m, d[:k]) + [mth(s, d[k:])]
    return path(s, m - k, d[k:]) + [mth(s, d[:k])]

def subproof(s, m, d, b):
    if m == len(d):
        return [] if b else [mth(s, d)]
    k = k_of(len(d))
    if m <= k:
        return subproof(s, m, d[:k], b) + [mth(s, d[k:])]
    return subproof(s, m - k, d[k:], False) + [mth(s, d[:k])]

suite, seed, case, outdir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
s = suite
rng = random.Random(seed * 100 + case)
n = rng.randint(1, 70)
d = [bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40))) for _ in range(n)]
i = rng.randrange(n)
m = rng.randint(1, n)
with open(outdir + "/leaves", "w") as f:
    f.write("".join(x.hex() + "\n" for x in d))
with open(outdir + "/expect", "w") as f:
    f.write("%d %d %d\n" % (n, i, m))
    f.write(mth(s, d).hex() + "\n")
    f.write(",".join(h.hex() for h in path(s, i, d)) + "\n")
    f.write(",".join(h.hex() for h in subproof(s, m, d, True)) + "\n")
    f.write(H(s, b"\x00" + d[i]).hex() + "\n" + mth(s, d[:m]).hex() + "\n")
EOF
for suite in ed25519-sha256 sm2-sm3; do
  for c in 1 2 3 4; do
    "$PY" "$WORK/rfc.py" "$suite" "$SEED" "$c" "$WORK" || { fail "python reference failed"; continue; }
    cp "$WORK/leaves" "$WORK/stdin"
    { read -r n i m; read -r root; read -r ipath; read -r cproof; read -r leafh; read -r root_m; } <"$WORK/expect"
    what="$suite case $c (n=$n i=$i m=$m)"
    expect_rc 0 "$what root" "$HEARTH" log root --suite "$suite" &&
      { [ "$(cat "$WORK/out")" = "$root" ] || fail "$what: root $(cat "$WORK/out") != python $root"; }
    expect_rc 0 "$what prove-inclusion" "$HEARTH" log prove-inclusion --suite "$suite" --index "$i" --size "$n" &&
      { [ "$(paste -sd, "$WORK/out")" = "$ipath" ] || fail "$what: inclusion proof differs from python"; }
    expect_rc 0 "$what prove-consistency" "$HEARTH" log prove-consistency --suite "$suite" --size1 "$m" --size2 "$n" &&
      { [ "$(paste -sd, "$WORK/out")" = "$cproof" ] || fail "$what: consistency proof differs from python"; }
    set_stdin ""
    expect_rc 0 "$what verify python's inclusion proof" "$HEARTH" log verify-inclusion --suite "$suite" \
      --leaf-hash "$leafh" --index "$i" --size "$n" --root "$root" --proof "$ipath"
    expect_rc 0 "$what verify python's consistency proof" "$HEARTH" log verify-consistency --suite "$suite" \
      --size1 "$m" --root1 "$root_m" --size2 "$n" --root2 "$root" --proof "$cproof"
  done
done

if [ "$fails" -ne 0 ]; then
  echo "log_cli_test: $fails failure(s)" >&2
  exit 1
fi
echo "log_cli_test: all passed"
