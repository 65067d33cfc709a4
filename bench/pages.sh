#!/usr/bin/env bash
# Page benchmark (issue 5): server time of the five busiest pages — home, a procedure, "my
# dossiers", the officer's inbox, a dossier — with a year of dossiers loaded (490,060 by
# default), over loopback HTTP with 4 clients; prints p50/p99 per page. SQLite, and with
# --postgres also PostgreSQL (started by scripts/pg-start).
#
#   bench/pages.sh [--postgres] [--year-rows N] [--requests N]
set -euo pipefail
cd "$(dirname "$0")/.."
pg=0; year=490060; requests=2000
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) pg=1 ;;
    --year-rows) year=$2; shift ;;
    --requests) requests=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
echo "building the benchmark (release) ..." >&2
cargo build --release --locked -p server --example bench_pages >&2
bin=target/release/examples/bench_pages
"$bin" --year-rows "$year" --requests "$requests"
if [ "$pg" = 1 ]; then
  url=$(scripts/pg-start)
  db=tinhso_pages_$$
  psql "$url" -qc "CREATE DATABASE $db" >/dev/null
  trap 'psql "$url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
  "$bin" --year-rows "$year" --requests "$requests" --database-url "${url%/*}/$db"
fi
