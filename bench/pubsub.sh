#!/usr/bin/env bash
# LGSP pub/sub benchmark (issue 6): events published through the gateway's Information
# Mediator path and delivered to a push subscriber (a webhook) and a pull subscriber (taking
# and acknowledging each), all at once; prints events per second end to end and the time from
# publishing to the push's arrival. SQLite, and with --postgres also PostgreSQL (started by
# scripts/pg-start).
#
#   bench/pubsub.sh [--postgres] [--events N] [--publishers N]
set -euo pipefail
cd "$(dirname "$0")/.."
pg=0; events=5000; publishers=8
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) pg=1 ;;
    --events) events=$2; shift ;;
    --publishers) publishers=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
echo "building the benchmark (release) ..." >&2
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --locked -p server --example bench_pubsub >&2
bin=target/release/examples/bench_pubsub
"$bin" --events "$events" --publishers "$publishers"
if [ "$pg" = 1 ]; then
  url=$(scripts/pg-start)
  db=tinhso_pubsub_$$
  psql "$url" -qc "CREATE DATABASE $db" >/dev/null
  trap 'psql "$url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
  "$bin" --events "$events" --publishers "$publishers" --database-url "${url%/*}/$db"
fi
