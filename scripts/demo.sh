#!/usr/bin/env bash
# scripts/demo.sh [--once]: builds hearth and hearthd, starts a four-agency devnet, fills it
# with a synthetic district (200 households, 12 months) through the HTTPS API, waits until
# every node has committed it, runs three dibao checks (hearth check) and verifies their
# receipts offline (hearth verify-receipt), and shows where to look.
#   --once   also stops the network and exits 0 only if all nodes agreed on height, log
#            size and log root and all three receipts verified (for CI).
# Environment: HEARTH_DEMO_DIR (default demo-net, relative to the repository) is the devnet
# folder; an old stopped devnet there is removed first, a running one is left alone (stop it
# with `build/bin/hearth devnet down --dir DIR`). HEARTH_BUILD_DIR (default build) is the
# CMake build folder; HEARTH_DEMO_HOUSEHOLDS (default 200) the size of the district;
# HEARTH_DEMO_NO_BUILD=1 skips set-up and build (tests/cli/demo_once_test.sh: already built).
set -euo pipefail
cd "$(dirname "$0")/.."

once=0
case "${1:-}" in
  "") ;;
  --once) once=1 ;;
  *) echo "usage: scripts/demo.sh [--once]" >&2; exit 2 ;;
esac
D=${HEARTH_DEMO_DIR:-demo-net}
B=${HEARTH_BUILD_DIR:-build}
HEARTH=$B/bin/hearth
COMMIT_WAIT_S=180

if [ "${HEARTH_DEMO_NO_BUILD:-}" = 1 ]; then
  [ -x "$HEARTH" ] || { echo "HEARTH_DEMO_NO_BUILD=1 but $HEARTH is not built" >&2; exit 2; }
else
scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
[ -f "$B/CMakeCache.txt" ] && generator=()  # keep the generator an existing build uses
export CCACHE_BASEDIR="$(pwd)" CCACHE_NOHASHDIR=1
echo "=== building hearth and hearthd"
cmake -S . -B "$B" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEARTH_WERROR=ON >/dev/null
cmake --build "$B" -j "$jobs" --target hearth hearthd
fi

# Never remove a running devnet or a folder that is not a devnet.
if [ -e "$D" ]; then
  if [ ! -f "$D/genesis.json" ]; then
    echo "$D exists and is not a devnet; set HEARTH_DEMO_DIR to another folder" >&2
    exit 2
  fi
  if [ -f "$D/nodes.json" ] &&
     "$HEARTH" devnet status --dir "$D" --json 2>/dev/null |
       python3 -c 'import json,sys; sys.exit(0 if any(n["up"] for n in json.load(sys.stdin)) else 1)'; then
    echo "a devnet is running in $D; stop it first: $HEARTH devnet down --dir $D" >&2
    exit 2
  fi
  echo "=== removing the old stopped devnet in $D"
  rm -rf "$D"
fi

echo "=== starting four nodes in $D"
"$HEARTH" devnet up --dir "$D" --nodes 4
if [ "$once" = 1 ]; then
  trap '"$HEARTH" devnet down --dir "$D" >/dev/null 2>&1 || true' EXIT
fi

echo "=== generating the synthetic district"
"$HEARTH" synth --dir "$D" --households "${HEARTH_DEMO_HOUSEHOLDS:-200}" --months 12 --seed 1 --out "$D/synth"

echo "=== submitting (civil affairs first: declarations and consents come before income records)"
total=0
for agency in civil_affairs tax social_security disability_federation; do
  grep -q . "$D/synth/$agency.ndjson" 2>/dev/null || continue  # missing or empty
  summary=$("$HEARTH" submit --dir "$D" --agency "$agency" --json "$D/synth/$agency.ndjson") || {
    echo "submit $agency failed (see above): $summary" >&2
    exit 1
  }
  accepted=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["accepted"])' "$summary")
  echo "$agency: $summary"
  total=$((total + accepted))
done

echo "=== waiting until every node has committed $total records"
agree=0
for _ in $(seq 1 $((COMMIT_WAIT_S * 2))); do
  if "$HEARTH" devnet status --dir "$D" --json 2>/dev/null >"$D/status.json" &&
     python3 - "$D/status.json" "$total" <<'EOF'
import json, sys
nodes = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
heads = {(n["height"], n["log_size"], n["log_root"]) for n in nodes}
sys.exit(0 if all(n["up"] and n["log_size"] == want for n in nodes) and len(heads) == 1 else 1)
EOF
  then
    agree=1
    break
  fi
  sleep 0.5
done
rm -f "$D/status.json"

echo "=== status"
"$HEARTH" devnet status --dir "$D" || true
if [ "$agree" = 1 ]; then
  echo "all nodes agree: $total records committed"
else
  echo "nodes did not agree on height, log size and log root within ${COMMIT_WAIT_S}s" >&2
fi

checked=0
if [ "$agree" = 1 ]; then
  echo "=== running eligibility checks (dibao, the month after the window) and verifying the receipts offline"
  as_of=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["last_month"]; print(m + 89 if m % 100 == 12 else m + 1)' "$D/synth/households.json")
  for i in 0 1 2; do
    mapfile -t args < <(python3 - "$D/synth/households.json" "$i" <<'EOF'
import json, sys
h = json.load(open(sys.argv[1]))["households"][int(sys.argv[2])]
parts = ["--household-case", h["case"], "--consent", h["consent"]]
for m in h["members"]:
    parts += ["--member", m]
print("\n".join(parts))
EOF
)
    receipt="$D/receipt-$i.json"
    if "$HEARTH" check --dir "$D" --node civil_affairs --program dibao --as-of "$as_of" --out "$receipt" "${args[@]}" &&
       "$HEARTH" verify-receipt "$receipt" --genesis "$D/genesis.json"; then
      checked=$((checked + 1))
    else
      echo "check or receipt verification failed for household $i" >&2
    fi
  done
  echo "$checked of 3 checks answered with receipts that verify offline (receipts: $D/receipt-*.json)"
fi

if [ "$once" = 1 ]; then
  "$HEARTH" devnet down --dir "$D"
  trap - EXIT
  [ "$agree" = 1 ] && [ "$checked" = 3 ] || exit 1
  echo "demo: ok"
  exit 0
fi

cat <<EOF

The devnet keeps running.
  APIs:        $(python3 -c 'import json,sys; print(", ".join(n["agency"] + " " + n["api"] for n in json.load(open(sys.argv[1]))))' "$D/nodes.json")
  tokens:      $D/tokens.json (bearer tokens per principal: agencies, caseworker, auditor, admin)
  web console: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["api"] + "/")' "$D/nodes.json") (sign in with the caseworker's or the auditor's token from tokens.json;
               the certificate is self-signed: accept it in the browser, or import $D/civil_affairs/api-cert.pem)
  certificate: $D/<agency>/api-cert.pem (self-signed; e.g. curl --cacert $D/tax/api-cert.pem <api>/healthz)
  who looked:  $HEARTH audit access --dir $D --household-case <case>
  tokens:      $HEARTH token issue --dir $D --node civil_affairs --name cw-2 --role caseworker --agency civil_affairs
  records:     $D/synth/*.ndjson, households: $D/synth/households.json
  a check:     $HEARTH check --dir $D --node tax --household-case <case> --member <ID> ... --program dibao --as-of <YYYYMM> --consent <id> --out r.json
  its receipt: $HEARTH verify-receipt r.json --genesis $D/genesis.json
  node logs:   $D/<agency>/hearthd.log
  status:      $HEARTH devnet status --dir $D
  stop:        $HEARTH devnet down --dir $D
EOF
[ "$agree" = 1 ]
