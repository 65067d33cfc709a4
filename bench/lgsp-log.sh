#!/usr/bin/env bash
# The LGSP message log's writing cost alone (issue 6): records like the gateway benchmark's,
# written and sealed as the log's writer does it, at batches of 50, 500 and 2,000; prints
# microseconds per record (wall and CPU) and records/s, then the time to find one exchange's
# evidence among them all. SQLite, and with --postgres also PostgreSQL (started by
# scripts/pg-start).
#
#   bench/lgsp-log.sh [--postgres] [--records N]
set -euo pipefail
cd "$(dirname "$0")/.."
pg=0; records=100000
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) pg=1 ;;
    --records) records=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
echo "building the benchmark (release) ..." >&2
cargo build --release --locked -p server --example bench_lgsp_log >&2
bin=target/release/examples/bench_lgsp_log
"$bin" --records "$records"
if [ "$pg" = 1 ]; then
  url=$(scripts/pg-start)
  db=tinhso_lgsp_log_$$
  psql "$url" -qc "CREATE DATABASE $db" >/dev/null
  trap 'psql "$url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
  "$bin" --records "$records" --database-url "${url%/*}/$db"
fi
