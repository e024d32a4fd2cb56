#!/usr/bin/env bash
# `hearth id pseudonym` and `hearth id household`: output checked against python3's hmac
# module (an independent implementation), exit 2 and no echo of the ID on bad input.
# Usage: id_cli_test.sh <bin dir>
set -u
bin=${1:?usage: id_cli_test.sh <bin dir>}
hearth="$bin/hearth"
tmp=$(mktemp -d /tmp/hearth-id-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {  # check <description> <condition...>
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}

key_hex=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
printf '%s\n' "$key_hex" > "$tmp/key"
chmod 600 "$tmp/key"
id=11010519491231002X

expected() {  # expected <context> <input> [sha256|sm3]
  python3 - "$key_hex" "$1" "$2" <<'EOF'
import hashlib, hmac, sys
key = bytes.fromhex(sys.argv[1])
print(hmac.new(key, sys.argv[2].encode() + sys.argv[3].encode(), hashlib.sha256).hexdigest())
EOF
}

out=$("$hearth" id pseudonym --key-file "$tmp/key" --id "$id")
rc=$?
check "valid ID exits 0" test "$rc" -eq 0
check "prints 64 hex digits" grep -Eqx '[0-9a-f]{64}' <<<"$out"
want=$(expected hearth/subject/v1 "$id")
check "equals HMAC-SHA256 from python3 ($want)" test "$out" = "$want"

out_lower=$("$hearth" id pseudonym --key-file "$tmp/key" --id " 11010519491231002x ")
check "lower-case x and spaces normalise to the same id" test "$out_lower" = "$want"

out_stdin=$(printf '%s\n' "$id" | "$hearth" id pseudonym --key-file "$tmp/key" --id -)
check "--id - reads stdin" test "$out_stdin" = "$want"

out_sm3=$("$hearth" id pseudonym --key-file "$tmp/key" --id "$id" --suite sm2-sm3)
check "sm2-sm3 gives another 64-hex id" test "$out_sm3" != "$want" -a "${#out_sm3}" -eq 64

bad=110105194912310021
err=$("$hearth" id pseudonym --key-file "$tmp/key" --id "$bad" 2>&1 >/dev/null)
rc=$?
check "bad check digit exits 2" test "$rc" -eq 2
check "bad check digit says so" grep -q "check character" <<<"$err"
check "the message does not contain the ID" test "${err#*"$bad"}" = "$err"
check "nor its first 17 digits" test "${err#*"${bad:0:17}"}" = "$err"

err=$("$hearth" id pseudonym --key-file "$tmp/key" --id 1101051949123100 2>&1 >/dev/null)
rc=$?
check "short ID exits 2 with its length" test "$rc" -eq 2 -a -n "$(grep 'length 16' <<<"$err")"

err=$("$hearth" id pseudonym --key-file "$tmp/key" --id 11010519491331002X 2>&1 >/dev/null)
check "bad month is named" grep -q "month of birth" <<<"$err"

printf 'not a key\n' > "$tmp/badkey"
chmod 600 "$tmp/badkey"
"$hearth" id pseudonym --key-file "$tmp/badkey" --id "$id" >/dev/null 2>"$tmp/err"
rc=$?
check "malformed key file exits 2" test "$rc" -eq 2
check "malformed key file is explained" grep -q "64 hex digits" "$tmp/err"

cp "$tmp/key" "$tmp/openkey"
chmod 644 "$tmp/openkey"
"$hearth" id pseudonym --key-file "$tmp/openkey" --id "$id" >/dev/null 2>"$tmp/err"
rc=$?
check "world-readable key file exits 2" test "$rc" -eq 2
check "world-readable key file is explained" grep -q "too open" "$tmp/err"

"$hearth" id pseudonym --key-file "$tmp/missing" --id "$id" >/dev/null 2>&1
check "missing key file exits 2" test $? -eq 2

"$hearth" id pseudonym --key-file "$tmp/key" --id "$id" --suite md5 >/dev/null 2>&1
check "unknown suite exits 2" test $? -eq 2

case_no=TZ-2024-000123
out=$("$hearth" id household --key-file "$tmp/key" --case "$case_no")
check "household id equals HMAC-SHA256 from python3" test "$out" = "$(expected hearth/household/v1 "$case_no")"
"$hearth" id household --key-file "$tmp/key" --case "TZ 1" >/dev/null 2>&1
check "bad case number exits 2" test $? -eq 2

exit $fail
