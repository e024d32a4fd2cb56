#!/usr/bin/env bash
# The simulator's seed sweep: >= 2000 seeds across n = 4 and n = 7, with the default faults
# (drops, duplicates, delays, partitions, crashes and restarts including mid-output, clock
# skew) and f Byzantine replicas, every 4th seed with real Ed25519 signatures (the others
# with the simulator's fake scheme, for speed). Under HEARTH_SANITIZED=1 (the ASan+UBSan
# stage) a tenth of the seeds run. The two sizes run in parallel.
# usage: seeds_test.sh <bin dir>
set -u
bin=${1:?usage: seeds_test.sh <bin dir>}
sim="$bin/hearth-sim"
[ -x "$sim" ] || { echo "seeds_test: $sim not built"; exit 1; }
share=1
[ "${HEARTH_SANITIZED:-0}" = 1 ] && share=10
n4=$((1500 / share))
n7=$((600 / share))
tmp=$(mktemp -d /tmp/hearth-seeds-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s.%N)
"$sim" --seeds "$n4" --first-seed 1 --nodes 4 --signatures mixed --quiet >"$tmp/n4" 2>&1 &
p4=$!
"$sim" --seeds "$n7" --first-seed 1 --nodes 7 --signatures mixed --quiet >"$tmp/n7" 2>&1 &
p7=$!
wait $p4; rc4=$?
wait $p7; rc7=$?
end=$(date +%s.%N)
fail=0
for n in 4 7; do
  rc=$([ $n = 4 ] && echo $rc4 || echo $rc7)
  want=$([ $n = 4 ] && echo $n4 || echo $n7)
  last=$(tail -n 1 "$tmp/n$n")
  echo "n=$n: $last"
  if [ "$rc" != 0 ] || ! echo "$last" | grep -Eq "^seeds=$want violations=0 liveness_failures=0 decided=[0-9]+$"; then
    echo "seeds_test: n=$n failed (exit $rc):"
    grep -A1 FAILED "$tmp/n$n" | head -20
    fail=1
  fi
done
awk -v a="$start" -v b="$end" -v s=$((n4 + n7)) \
  'BEGIN { t = b - a; printf "seeds_test: %d seeds in %.1f s wall (%.1f seeds/s)\n", s, t, s / t }'
exit $fail
