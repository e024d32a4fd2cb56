#!/bin/bash
# bench/rss.sh: resident memory of each hearthd process of a four-agency devnet while a
# synthetic district is loaded (DESIGN.md "Targets": <= 1 GiB resident per node at 10^6
# attestations, growing sub-linearly). Real processes, real TLS, real LevelDB, on 127.0.0.1.
#
#   bench/rss.sh <bin dir> [households (14000: about 10^6 records)] [months (12)]
#
# Prints, every ~10 s while the records commit, the committed log size and each node's
# VmRSS; at the end each node's peak (VmHWM), its data folder size, and the peak against the
# 1 GiB target. Memory per record at two points of the load shows how it grows. Stops the
# devnet and removes its folder on exit. Not a test: nothing here has a pass/fail threshold
# except the printed ratio.
set -u
BIN=${1:?usage: bench/rss.sh <bin dir> [households] [months]}
HOUSEHOLDS=${2:-14000}
MONTHS=${3:-12}
HEARTH="$BIN/hearth"
WORK=$(mktemp -d /tmp/hearth-rss-XXXXXX)
D="$WORK/net"
cleanup() {
  [ -f "$D/nodes.json" ] && timeout 60 "$HEARTH" devnet down --dir "$D" --grace-ms 10000 >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

"$HEARTH" devnet up --dir "$D" --nodes 4 >/dev/null || { echo "devnet up failed" >&2; exit 1; }
echo "rss: synthesising $HOUSEHOLDS households x $MONTHS months ..."
"$HEARTH" synth --dir "$D" --households "$HOUSEHOLDS" --months "$MONTHS" --seed 1 --out "$D/synth" >/dev/null ||
  { echo "synth failed" >&2; exit 1; }
total=0
for a in civil_affairs tax social_security disability_federation; do
  total=$((total + $(grep -c . "$D/synth/$a.ndjson")))
done
echo "rss: $total records; submitting the four agencies' files at once"
pids=$(python3 -c "import json; print(' '.join(str(n['pid']) for n in json.load(open('$D/nodes.json'))))")
start=$(date +%s)
for a in civil_affairs tax social_security disability_federation; do
  "$HEARTH" submit --dir "$D" --agency "$a" --json --stall-timeout-ms 300000 "$D/synth/$a.ndjson" \
    >"$WORK/submit-$a.json" 2>"$WORK/submit-$a.err" &
done

rss_of() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null; }
log_size() {
  "$HEARTH" devnet status --dir "$D" --json 2>/dev/null |
    python3 -c "import json,sys; print(min(n['log_size'] for n in json.load(sys.stdin)))" 2>/dev/null || echo 0
}
printf "%8s %10s" "seconds" "committed"
for p in $pids; do printf " %14s" "VmRSS(pid $p)"; done
echo
last=0
while :; do
  n=$(log_size)
  printf "%8d %10d" $(( $(date +%s) - start )) "$n"
  for p in $pids; do printf " %11.1f MiB" "$(awk -v k="$(rss_of "$p" VmRSS)" 'BEGIN {print k / 1024}')"; done
  echo
  [ "$n" -ge "$total" ] && break
  if [ $(( $(date +%s) - start )) -gt 3600 ]; then echo "rss: gave up after an hour at $n" >&2; exit 1; fi
  sleep 10
done
wait
echo "rss: $total records committed in $(( $(date +%s) - start )) s"
attestations=$(cat "$D"/synth/*.ndjson | grep -c '"kind": *"attestation"')
echo "rss: attestations in the ledger: $attestations"
for p in $pids; do
  cfg=$(tr '\0' ' ' <"/proc/$p/cmdline" | awk '{print $3}')
  dir=$(dirname "$cfg")
  hwm=$(rss_of "$p" VmHWM)
  printf "rss: %-24s anon %7.1f MiB  file-backed (mapped tables) %7.1f MiB\n" "$(basename "$dir")" \
    "$(awk -v k="$(rss_of "$p" RssAnon)" 'BEGIN {print k / 1024}')" "$(awk -v k="$(rss_of "$p" RssFile)" 'BEGIN {print k / 1024}')"
  printf "rss: %-24s peak %7.1f MiB  now %7.1f MiB  data %s  peak/1GiB %.2f\n" "$(basename "$dir")" \
    "$(awk -v k="$hwm" 'BEGIN {print k / 1024}')" "$(awk -v k="$(rss_of "$p" VmRSS)" 'BEGIN {print k / 1024}')" \
    "$(du -sh "$dir/data" | cut -f1)" "$(awk -v k="$hwm" 'BEGIN {print k / 1048576}')"
done
