#!/bin/bash
# bench/http_checks.sh: `POST /v1/checks` under concurrent HTTPS load against `GET /healthz`
# on the same node in the same run (issue 6, "Benchmark"; DESIGN.md target: check p99 <= 30 ms
# at 16 connections with 10^6 attestations in the ledger). Real processes, real TLS, real
# LevelDB, on 127.0.0.1.
#
#   bench/http_checks.sh <bin dir> [--households N] [--months M] [--node AGENCY]
#                        [--connections 1,16,64] [--seconds S] [--warmup S] [--perf] [--keep]
#                        [--trace]
#
# Steps: a four-node devnet; `hearth synth` writes a district of N households x M months
# (default 1000 x 12: about 7 x 10^4 records, about 4 minutes in all); the four agencies' files
# are submitted at once and the script waits until every node has committed all of them;
# one check body per household is written from D/synth/households.json (case, members,
# consent, program dibao, as_of = the month after the district's last month), shuffled; then
# bench_http_load (bench/http_load.cc) runs against one node (default civil_affairs) with the
# caseworker's token, trusting only that node's API certificate: at each connection count,
# GET /healthz, then POST /v1/checks with the bodies in rotation, every answer required to be
# 2xx with a Hearth-Access-Record header. The node's CPU (and all four nodes') per request is
# read from /proc. Before the load the script waits until the nodes are quiet (after 10^6
# records the change watch of some nodes catches up for minutes; that work would otherwise
# be counted as the checks' cost) and measures the same-run limit of the access record's durability:
# fdatasync of a 300-byte append in the devnet's folder (p50 / p99 of 200). With --perf, two
# more steps of checks, at 1 and 16 connections, run under `perf trace -s` (the node's syncs:
# count and time), the second also under `perf record` (flat profile of the node, by library
# and by symbol; perf must be allowed to attach).
# With --trace, bench_http_load also writes each timed check's start and latency, and
# bench/trace_summary.py prints per connection count the latency by household size and the
# mean latency of 250 ms windows (are slow answers the large households, or bursts?).
# Stops the devnet and removes its folder on exit, also on failure or ^C; with --keep, sets it up
# (district loaded, nodes quiet, bodies and token written), prints the bench_http_load command
# for it and exits, leaving it running (for profiles by hand).
#
# About 10^6 attestations (as bench/rss.sh loads them): --households 14000 (1.0 x 10^6
# records, 0.98 x 10^6 of them attestations); committing them takes about 20 minutes on an
# idle 2-core machine (PERFORMANCE.md, "Node memory") and each node needs ~1.2 GB of disk
# in /tmp and ~1.6 GiB of memory.
# Exit: the load generator's (0 every answer 2xx; 1 some failed), 1 when the setup failed.
set -u
BIN=${1:?usage: bench/http_checks.sh <bin dir> [--households N] [--months M] [--node AGENCY] [--connections L] [--seconds S] [--warmup S] [--perf]}
shift
HOUSEHOLDS=1000
MONTHS=12
NODE=civil_affairs
CONNECTIONS=1,16,64
SECONDS_PER_STEP=10
WARMUP=2
PERF=0
KEEP=0
TRACE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --households) HOUSEHOLDS=${2:?}; shift 2 ;;
    --months) MONTHS=${2:?}; shift 2 ;;
    --node) NODE=${2:?}; shift 2 ;;
    --connections) CONNECTIONS=${2:?}; shift 2 ;;
    --seconds) SECONDS_PER_STEP=${2:?}; shift 2 ;;
    --warmup) WARMUP=${2:?}; shift 2 ;;
    --perf) PERF=1; shift ;;
    --keep) KEEP=1; shift ;;
    --trace) TRACE=1; shift ;;
    *) echo "http_checks: unknown argument $1" >&2; exit 2 ;;
  esac
done
HEARTH="$BIN/hearth"
LOAD="$BIN/bench_http_load"
for b in "$HEARTH" "$BIN/hearthd" "$LOAD"; do
  [ -x "$b" ] || { echo "http_checks: $b not found (build with -DHEARTH_BENCH=ON)" >&2; exit 1; }
done
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
# shellcheck source=../tests/cli/devnet_lib.sh
. "$(dirname "$0")/../tests/cli/devnet_lib.sh"  # devnet_stop: down, then SIGKILL only this devnet's hearthd
WORK=$(mktemp -d /tmp/hearth-http-checks-XXXXXX)
D="$WORK/net"
cleanup() {
  [ "$KEEP" = 1 ] && return
  devnet_stop "$D" "$HEARTH"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "http_checks: $*"; }
# status_json: every node's status as JSON on stdout (bounded by its own timeout).
status_json() { timeout 30 "$HEARTH" devnet status --dir "$D" --json 2>/dev/null; }

"$HEARTH" devnet up --dir "$D" --nodes 4 >"$WORK/up.out" 2>&1 || { cat "$WORK/up.out" >&2; say "devnet up failed" >&2; exit 1; }
say "synthesising $HOUSEHOLDS households x $MONTHS months ..."
"$HEARTH" synth --dir "$D" --households "$HOUSEHOLDS" --months "$MONTHS" --seed 1 --out "$D/synth" >/dev/null ||
  { say "synth failed" >&2; exit 1; }
total=0
for a in civil_affairs tax social_security disability_federation; do
  total=$((total + $(grep -c . "$D/synth/$a.ndjson")))
done
attestations=$(cat "$D"/synth/*.ndjson | grep -c '"kind": *"attestation"')
say "$total records ($attestations attestations); submitting the four agencies' files at once"
start=$(date +%s)
pids=()
for a in civil_affairs tax social_security disability_federation; do
  "$HEARTH" submit --dir "$D" --agency "$a" --json --stall-timeout-ms 300000 "$D/synth/$a.ndjson" \
    >"$WORK/submit-$a.json" 2>"$WORK/submit-$a.err" &
  pids+=($!)
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { say "submit failed: $(cat "$WORK"/submit-*.json "$WORK"/submit-*.err | head -c 2000)" >&2; exit 1; }
done
# Every node at log size $total; bounded: 10 minutes plus 10 ms per record.
limit=$((600 + total / 100))
while :; do
  ok=$(status_json | "$PY" -c "import json,sys; j=json.load(sys.stdin); print(all(n['up'] and n['log_size'] >= $total for n in j))" 2>/dev/null)
  [ "$ok" = True ] && break
  if [ $(($(date +%s) - start)) -gt "$limit" ]; then say "not every node committed $total records within $limit s" >&2; exit 1; fi
  sleep 2
done
say "committed on all four nodes in $(($(date +%s) - start)) s"

# Wait until the nodes are quiet: after a large load they keep working for minutes (the
# change watch catching up: /v1/alerts shows its processed_height behind the head), which
# would be measured as the checks' cost. Quiet = the four together use under 0.2 cores over 10 s; bounded: 30 minutes, after
# which the load runs anyway and the background is printed.
node_pids=$("$PY" -c "import json; print(' '.join(str(n['pid']) for n in json.load(open('$D/nodes.json'))))")
cpu_ticks() { local t=0 p; for p in $node_pids; do t=$((t + $(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$p/stat"))); done; echo "$t"; }
hz=$(getconf CLK_TCK)
settle_start=$(date +%s)
while :; do
  c0=$(cpu_ticks); sleep 10; c1=$(cpu_ticks)
  background=$(awk -v d=$((c1 - c0)) -v hz="$hz" 'BEGIN {printf "%.2f", d / hz / 10}')
  if awk -v c="$background" 'BEGIN {exit !(c < 0.2)}'; then
    say "nodes quiet after $(($(date +%s) - settle_start)) s: background $background cores (four nodes, last 10 s)"
    break
  fi
  if [ $(($(date +%s) - settle_start)) -gt 1800 ]; then
    say "nodes still busy after 30 minutes: background $background cores (four nodes); measuring anyway"
    break
  fi
done

# One check body per household, shuffled with a fixed seed (0600: it holds ID numbers).
BODIES="$WORK/bodies.ndjson"
(umask 077 && "$PY" - "$D/synth/households.json" "$BODIES" <<'PYEOF'
import json, random, sys
h = json.load(open(sys.argv[1]))
m = h["last_month"]
as_of = m + 89 if m % 100 == 12 else m + 1
lines = [json.dumps({"household_case": x["case"], "members": x["members"], "program": "dibao",
                     "as_of": as_of, "consent": x["consent"]}, separators=(",", ":"))
         for x in h["households"]]
random.Random(1).shuffle(lines)
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print(len(lines), as_of)
PYEOF
) >"$WORK/bodies.out" || { say "cannot write the check bodies" >&2; exit 1; }
read -r nbodies as_of <"$WORK/bodies.out"
(umask 077 && "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['caseworker']['token'])" "$D/tokens.json" >"$WORK/token") ||
  { say "no caseworker token in tokens.json" >&2; exit 1; }
read -r api node_pid other_pids < <("$PY" - "$D/nodes.json" "$NODE" <<'PYEOF'
import json, sys
nodes = json.load(open(sys.argv[1]))
me = [n for n in nodes if n["agency"] == sys.argv[2]]
if not me:
    sys.exit("no node " + sys.argv[2])
print(me[0]["api"], me[0]["pid"], ",".join(str(n["pid"]) for n in nodes if n["agency"] != sys.argv[2]))
PYEOF
)
[ -n "${api:-}" ] || { say "no node $NODE in nodes.json" >&2; exit 1; }
log_before=$(status_json | "$PY" -c "import json,sys; print(min(n['log_size'] for n in json.load(sys.stdin)))")
say "$nbodies check bodies (as_of $as_of); load on $NODE ($api, pid $node_pid); log size $log_before"
say "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" - "$D" <<'PYEOF'
import os, sys, time
path = os.path.join(sys.argv[1], "fsync-probe.bin")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
ms = []
for _ in range(200):
    os.write(fd, b"x" * 300)
    t = time.perf_counter()
    os.fdatasync(fd)
    ms.append((time.perf_counter() - t) * 1000)
os.close(fd)
os.unlink(path)
ms.sort()
print("http_checks: limit: fdatasync of a 300-byte append here: p50 %.2f ms, p99 %.2f ms, max %.2f ms"
      % (ms[99], ms[197], ms[-1]))
PYEOF

if [ "$KEEP" = 1 ]; then
  say "--keep: the devnet stays up in $D (stop it with: $HEARTH devnet down --dir $D; then rm -rf $WORK); load it with:"
  echo "$LOAD --url $api --ca $D/$NODE/api-cert.pem --token-file $WORK/token --body-file $BODIES --expect-header Hearth-Access-Record --pids $node_pid,$other_pids --connections 16 --seconds 10"
  exit 0
fi
TRACE_ARGS=()
[ "$TRACE" = 1 ] && TRACE_ARGS=(--trace "$WORK/trace.txt")
"$LOAD" --url "$api" --ca "$D/$NODE/api-cert.pem" --token-file "$WORK/token" --body-file "$BODIES" \
  --connections "$CONNECTIONS" --seconds "$SECONDS_PER_STEP" --warmup "$WARMUP" \
  --expect-header Hearth-Access-Record --pids "$node_pid,$other_pids" "${TRACE_ARGS[@]}" | tee "$WORK/load.txt"
rc=${PIPESTATUS[0]}
if [ "$TRACE" = 1 ]; then
  "$PY" "$(dirname "$0")/trace_summary.py" "$WORK/trace.txt" "$BODIES" || rc=1
fi

# perf_step CONNECTIONS [record]: one step of checks with the node's syncs traced (count and
# time of fdatasync / fsync over all its threads) and, with "record", its flat CPU profile.
perf_step() {
  local conns=$1 record=${2:-}
  echo
  say "profile: checks at $conns connections for $SECONDS_PER_STEP s, node pid $node_pid under perf"
  "$LOAD" --url "$api" --ca "$D/$NODE/api-cert.pem" --token-file "$WORK/token" --body-file "$BODIES" --no-ref \
    --connections "$conns" --seconds "$SECONDS_PER_STEP" --warmup "$WARMUP" \
    --expect-header Hearth-Access-Record --pids "$node_pid,$other_pids" >"$WORK/perf-load.txt" 2>&1 &
  local load_pid=$!
  sleep "$WARMUP"
  timeout $((SECONDS_PER_STEP + 30)) perf trace -s -e fdatasync,fsync -p "$node_pid" -o "$WORK/perf-trace.txt" \
    -- sleep "$SECONDS_PER_STEP" &
  local trace_pid=$!
  if [ -n "$record" ]; then
    perf record -F 499 -p "$node_pid" -o "$WORK/perf.data" -- sleep "$SECONDS_PER_STEP" >/dev/null 2>&1
  fi
  wait "$trace_pid"
  wait "$load_pid" || rc=1
  grep -E '^(workload|checks|errors)' "$WORK/perf-load.txt"
  echo "--- the node's syncs in those $SECONDS_PER_STEP s (perf trace, all threads) ---"
  awk '$1 == "fdatasync" || $1 == "fsync" {n[$1] += $2; ms[$1] += $4; if ($7 > mx[$1]) mx[$1] = $7}
       END {for (k in n) printf "%s: %d calls, %.1f ms in all, longest %.2f ms\n", k, n[k], ms[k], mx[k]}' "$WORK/perf-trace.txt"
  [ -n "$record" ] || return 0
  echo "--- node profile by library (self time) ---"
  perf report -i "$WORK/perf.data" --stdio --no-children --sort dso 2>/dev/null | grep -v '^#' | grep . | head -12
  echo "--- node profile by symbol (self time, top 40) ---"
  perf report -i "$WORK/perf.data" --stdio --no-children --sort dso,sym 2>/dev/null | grep -v '^#' | grep . | head -40
}
if [ "$PERF" = 1 ]; then
  perf_step 1
  perf_step 16 record
fi

log_after=$(status_json | "$PY" -c "import json,sys; print(min(n['log_size'] for n in json.load(sys.stdin)))" 2>/dev/null)
echo
say "summary: $HOUSEHOLDS households x $MONTHS months = $total records ($attestations attestations) in the ledger;" \
  "load on $NODE; $((${log_after:-0} - log_before)) access records committed on every node so far"
grep -E '^(workload|checks|healthz|ratio|target|errors)' "$WORK/load.txt"
for a in civil_affairs tax social_security disability_federation; do
  n=$(grep -ci 'warn\|error' "$D/$a/hearthd.log")
  [ "$n" -gt 0 ] && say "$a: $n warning/error lines in hearthd.log; last: $(grep -i 'warn\|error' "$D/$a/hearthd.log" | tail -1)"
done
exit "$rc"
