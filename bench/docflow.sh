#!/usr/bin/env bash
# Document exchange benchmark (issue 7): end-to-end latency between two deployments on
# loopback, from the clerk's "issue" at province A to the incoming document at province B
# (package built, signed, sent, taken in, signature checked) and to B's "01 arrived" back at
# A, with a 10 kB and a 1 MB main file. SQLite, and with --postgres also PostgreSQL (started
# by scripts/pg-start). Packages built/parsed per second and memory: bench/edxml.sh.
#
#   bench/docflow.sh [--postgres] [--n N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=30
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) export TINHSO_TEST_PG_URL=$(scripts/pg-start) ;;
    --n) n=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
echo "building the benchmark (release) ..." >&2
cargo build --release --locked -p docflow --example bench_exchange >&2
N=$n RUST_LOG=warn target/release/examples/bench_exchange
