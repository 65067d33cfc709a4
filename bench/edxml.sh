#!/usr/bin/env bash
# edXML benchmark (crates/edxml): signed packages built per second and packages parsed and
# verified per second, with a 1 MB and a 20 MB attachment, and the peak resident memory of each
# case (VmHWM, each case in a fresh process). Prints a markdown table.
#
#   bench/edxml.sh [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."
echo "building the benchmark (release) ..." >&2
cargo build --release --locked -p edxml --example bench_edxml >&2
cargo run --release --locked -q -p edxml --example bench_edxml -- "$@"
