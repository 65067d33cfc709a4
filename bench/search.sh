#!/usr/bin/env bash
# Procedure search benchmark: the demo province plus 2,000 generated procedures, searched
# over HTTP with wrk (from Debian). Prints p50/p99 latency and throughput, on SQLite and, with
# --postgres, also on PostgreSQL. Target (issue 2): p99 under 5 ms.
#
#   bench/search.sh [--postgres] [--procedures N] [--duration 20s]
set -euo pipefail
cd "$(dirname "$0")/.."
pg=0; n=2000; dur=20s
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) pg=1 ;;
    --procedures) n=$2; shift ;;
    --duration) dur=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
echo "building the release binary ..." >&2
cargo build --release --locked -p server >&2
bin=target/release/tinhso
tmp=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
python3 bench/gen_procedures.py "$n" > "$tmp/procedures.json"

run() {
  local label=$1; shift
  local dir="$tmp/$label"; mkdir -p "$dir"
  "$bin" "$@" --data-dir "$dir" demo --listen 127.0.0.1:0 > "$dir/server.log" 2>&1 &
  server=$!
  local base=""
  for _ in $(seq 1 120); do
    base=$(sed -n 's#^  portal: *\(http://[0-9.:]*\)/$#\1#p' "$dir/server.log" | head -1)
    [ -n "$base" ] && break; sleep 0.5
  done
  [ -n "$base" ] || { cat "$dir/server.log"; echo "server did not start" >&2; exit 1; }
  "$bin" "$@" --data-dir "$dir" import procedures "$tmp/procedures.json" >&2
  local total
  total=$(curl -s "$base/api/procedures?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
  for c in 1 8; do
    curl -s "$base/api/procedures?q=cap" >/dev/null
    wrk -t1 -c"$c" -d"$dur" --latency -s bench/search.lua "$base" > "$dir/wrk-$c.txt"
    local p50 p99 rps
    p50=$(awk '/Latency Distribution/{f=1} f && $1=="50%"{print $2; exit}' "$dir/wrk-$c.txt")
    p99=$(awk '/Latency Distribution/{f=1} f && $1=="99%"{print $2; exit}' "$dir/wrk-$c.txt")
    rps=$(awk '/Requests\/sec/{print $2}' "$dir/wrk-$c.txt")
    printf '%-9s procedures=%-5s connections=%-2s p50=%-9s p99=%-9s requests/s=%s\n' "$label" "$total" "$c" "$p50" "$p99" "$rps"
  done
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

echo "procedure search over HTTP (wrk, $dur per run, 12 rotating queries)"
run sqlite
if [ "$pg" = 1 ]; then
  url=$(scripts/pg-start)
  db="tinhso_bench_$$"
  su postgres -c "psql -Atqc 'CREATE DATABASE $db OWNER tinhso'" >/dev/null
  run postgres --database-url "${url%/*}/$db"
  su postgres -c "psql -Atqc 'DROP DATABASE $db WITH (FORCE)'" >/dev/null
fi
