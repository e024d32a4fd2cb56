# devnet_lib.sh: helpers shared by the devnet-based CLI tests (sourced, never run alone;
# the name does not end in _test.sh, so CTest does not pick it up).

# devnet_stop DIR HEARTH: `hearth devnet down`, then SIGKILL every pid of DIR/nodes.json that
# is still a hearthd started with one of DIR's configs (a reused pid is never touched).
devnet_stop() {
  local dir=$1 hearth=$2
  [ -f "$dir/nodes.json" ] || return 0
  timeout 60 "$hearth" devnet down --dir "$dir" --grace-ms 5000 >/dev/null 2>&1 || true
  "${PY:-python3}" - "$dir/nodes.json" <<'PYEOF' || true
import json, os, signal, sys
for n in json.load(open(sys.argv[1])):
    try:
        cmd = open("/proc/%d/cmdline" % n["pid"], "rb").read().split(b"\0")
    except OSError:
        continue
    if cmd and cmd[0].endswith(b"hearthd") and n["config"].encode() in cmd:
        os.kill(n["pid"], signal.SIGKILL)
PYEOF
}

# cli_test_init NAME BIN: checks that BIN holds hearth and hearthd, sets HEARTH, PY, WORK (a
# fresh temporary folder), D (the devnet folder inside it) and fails=0, and installs an EXIT
# trap that stops the devnet and removes WORK whatever happened.
cli_test_init() {
  local name=$1
  BIN=$2
  HEARTH="$BIN/hearth"
  local b
  for b in hearth hearthd; do
    [ -x "$BIN/$b" ] || { echo "FAIL: $BIN/$b not found" >&2; exit 1; }
  done
  PY=/usr/bin/python3
  [ -x "$PY" ] || PY=python3
  WORK=$(mktemp -d "/tmp/hearth-$name-XXXXXX")
  D="$WORK/net"
  fails=0
  trap 'devnet_stop "$D" "$HEARTH"; rm -rf "$WORK"' EXIT
}

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect_rc <code> <description> <command...>: stdout to $WORK/out, stderr to $WORK/err.
expect_rc() {
  local want=$1 what=$2
  shift 2
  timeout 120 "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "$what: exit $rc, want $want (stdout: $(head -c 400 "$WORK/out"), stderr: $(tail -c 600 "$WORK/err"))"
    return 1
  fi
  return 0
}

# json_eval <Python expression over j>: evaluates it on the JSON in $WORK/out.
json_eval() { "$PY" -c "import json,sys; j=json.load(open('$WORK/out')); print($1)"; }
