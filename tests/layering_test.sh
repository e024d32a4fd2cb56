#!/usr/bin/env bash
# Fails when a pure folder includes something its layer may not know (STYLE.md, Layering):
#  - base/ and consensus/: no Boost, OpenSSL, LevelDB, cereal, threads, clocks, randomness, files.
#  - ledger/ and verify/: no sockets, threads or Boost.Asio (deterministic libraries).
set -u
root=${1:?usage: layering_test.sh <source dir>}
cd "$root" || exit 2
fail=0
check() {
  local folder=$1 pattern=$2
  [ -d "$folder" ] || return 0
  local hits
  hits=$(grep -rnE "$pattern" "$folder" --include='*.h' --include='*.cc' || true)
  if [ -n "$hits" ]; then
    echo "layering: forbidden include or call in $folder/:"
    echo "$hits"
    fail=1
  fi
}
pure='#include <(boost|openssl|leveldb|cereal)/|#include <(thread|mutex|future|chrono|random|fstream|filesystem)>|system_clock|steady_clock|std::rand|random_device'
check base "$pure"
check consensus "$pure"
det='#include <(boost/asio|boost/beast|thread|future)|#include <sys/socket.h>|steady_clock|system_clock'
check ledger "$det"
check verify "$det"
exit $fail
