# Sourced by the test scripts that run against a live `tinhso demo` (browser-test, api-test):
# starts it on a free loopback port with a fresh data directory in $tmp, waits until it is
# ready, and sets $base. On exit the server and $child_pid (the tests, when set) are stopped
# and $tmp removed; when the run failed, the server log's last lines are shown.
# Needs: TINHSO_BIN (an absolute path) and a log function.

tmp=$(mktemp -d)
server_log="$tmp/server.log"
server_pid=""
child_pid=""
cleanup() {
  local status=$?
  if [[ -n "$child_pid" ]] && kill -0 "$child_pid" 2>/dev/null; then
    kill "$child_pid" 2>/dev/null || true
    wait "$child_pid" 2>/dev/null || true
  fi
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -s "$server_log" ]]; then
    log "last lines of the server log:"
    tail -n 40 "$server_log" >&2 || true
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The server reads TINHSO_* variables as settings and refuses unknown ones (TINHSO_BIN, ...),
# and reads ./tinhso.toml: start it with neither, so the demo is the same on every machine.
server_env=()
while IFS= read -r name; do server_env+=(-u "$name"); done < <(compgen -e | grep '^TINHSO_' || true)
# Every browser test signs in from 127.0.0.1: more sign-ins a minute than the default 30 per
# address happen in a run, so the limit is raised for this server (the limit itself is tested
# in the Rust tests).
log "starting $TINHSO_BIN demo"
(cd "$tmp" && exec env "${server_env[@]}" TINHSO_LOGIN_ATTEMPTS_PER_MINUTE=600 "$TINHSO_BIN" demo --listen 127.0.0.1:0 --data-dir "$tmp") >"$server_log" 2>&1 &
server_pid=$!

base=""
for _ in $(seq 1 600); do
  base=$(sed -n 's#^  portal: *\(http://[^ ]*\)/ *$#\1#p' "$server_log" | head -n 1)
  if [[ -n "$base" ]]; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    log "the server exited before printing its address"
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$base" ]]; then
  log "the server printed no 'portal:' address within 60 s"
  exit 1
fi

ready=""
for _ in $(seq 1 300); do
  if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' "$base/readyz"; then
    ready=1
    break
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    log "the server exited before it was ready"
    exit 1
  fi
  sleep 0.2
done
if [[ -z "$ready" ]]; then
  log "$base/readyz did not answer 200 within 60 s"
  exit 1
fi
log "server ready at $base"
