#!/usr/bin/env bash
# The checker can fail: each planted bug must be reported as a violation within 200 seeds at
# default flags (n = 4, f = 1 Byzantine, real Ed25519 signatures). --stop-on-failure only
# ends the run at the first failing seed; it changes nothing in the runs themselves.
# usage: planted_bugs_test.sh <bin dir>
set -u
bin=${1:?usage: planted_bugs_test.sh <bin dir>}
sim="$bin/hearth-sim"
[ -x "$sim" ] || { echo "planted_bugs_test: $sim not built"; exit 1; }
fail=0
for bug in lock quorum2f no-persist; do
  out=$("$sim" --seeds 200 --plant-bug "$bug" --quiet --stop-on-failure 2>&1)
  rc=$?
  last=$(echo "$out" | tail -n 1)
  if [ "$rc" = 1 ] && echo "$last" | grep -Eq '^seeds=[0-9]+ violations=[1-9][0-9]* liveness_failures=[0-9]+ decided=[0-9]+$'; then
    echo "planted bug $bug found: $last"
    echo "$out" | grep FAILED | head -1 | sed 's/^/  /'
  else
    echo "planted_bugs_test: --plant-bug $bug NOT found within 200 seeds (exit $rc): $last"
    fail=1
  fi
done
# And the replay command of a failing seed reproduces it, with a trace.
cmd=$("$sim" --seeds 200 --plant-bug quorum2f --quiet --stop-on-failure | grep 'replay:' | head -1 |
      sed 's/.*replay: hearth-sim //')
if ! "$sim" $cmd | grep -q "DECIDES"; then
  echo "planted_bugs_test: replay command '$cmd' did not print a trace"
  fail=1
fi
if "$sim" $cmd >/dev/null; then
  echo "planted_bugs_test: replay command '$cmd' did not fail again"
  fail=1
fi
exit $fail
