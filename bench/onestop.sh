#!/usr/bin/env bash
# One-stop engine benchmark: full dossier lifecycles through the engine (submit at the counter
# → accept → process → review → approve → number → pay → return, 8 actions each) by concurrent
# workers with the dossiers spread over a year; then statistics for the year; then lookup by
# dossier code over HTTP at a fixed rate (p50/p99). On SQLite, and with --postgres also on
# PostgreSQL (started by scripts/pg-start). Target (issue 4): 490,060 lifecycles < 10 min.
#
# The statistics run over the lifecycle dossiers plus --year-rows generated ones (default:
# Sóc Trăng's 490,060 of 2020), spread over 2026.
#
#   bench/onestop.sh [--postgres] [--dossiers N] [--workers W] [--lookup-rate R] [--year-rows N]
set -euo pipefail
cd "$(dirname "$0")/.."
pg=0; n=5000; workers=32; rate=1000; year=490060
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) pg=1 ;;
    --dossiers) n=$2; shift ;;
    --workers) workers=$2; shift ;;
    --lookup-rate) rate=$2; shift ;;
    --year-rows) year=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
echo "building the benchmark (release) ..." >&2
cargo build --release --locked -p server --example bench_onestop >&2
bin=target/release/examples/bench_onestop
"$bin" --dossiers "$n" --workers "$workers" --lookup-rate "$rate" --year-rows "$year"
if [ "$pg" = 1 ]; then
  url=$(scripts/pg-start)
  db=tinhso_bench_$$
  psql "$url" -qc "CREATE DATABASE $db" >/dev/null
  trap 'psql "$url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
  "$bin" --dossiers "$n" --workers "$workers" --lookup-rate "$rate" --year-rows "$year" --database-url "${url%/*}/$db"
fi
