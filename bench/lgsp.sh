#!/usr/bin/env bash
# LGSP gateway benchmark (issue 6): requests/s and latency of the gateway doing its whole job
# (token, client subsystem, service, allow-list, X-Road headers, message log) against nginx as
# a plain reverse proxy, both in front of the same upstream (an nginx answering a small JSON
# document), driven by wrk with the same connections; then the p99 latency nginx and the gateway
# add to the upstream's own at a steady half of the gateway's peak (wrk pacing each
# connection). Installs nginx and wrk from Debian when missing. SQLite, and with --postgres
# also PostgreSQL (started by scripts/pg-start).
#
#   bench/lgsp.sh [--postgres] [--seconds N] [--connections N]
set -euo pipefail
cd "$(dirname "$0")/.."
pg=0; seconds=10; conns=32
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) pg=1 ;;
    --seconds) seconds=$2; shift ;;
    --connections) conns=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >&2
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
echo "building the benchmark (release) ..." >&2
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --locked -p server --example bench_lgsp >&2
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up=$(free_port); px=$(free_port)
# The upstream and the proxy are two nginx instances, two workers each: the proxy shares no
# process with what it forwards to (as the gateway does not), and each one's CPU is its own.
write_conf() { # NAME SERVER-BLOCKS
  mkdir -p "$work/$1/logs"
  cat > "$work/$1/nginx.conf" <<CONF
worker_processes 2;
pid $work/$1/nginx.pid;
error_log $work/$1/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/$1/body; proxy_temp_path $work/$1/proxy; fastcgi_temp_path $work/$1/fcgi;
  uwsgi_temp_path $work/$1/uwsgi; scgi_temp_path $work/$1/scgi;
$2
}
CONF
}
write_conf upstream "  server {
    listen 127.0.0.1:$up;
    location / { default_type application/json; return 200 '{\"id\":\"1\",\"name\":\"Nguyen Van An\",\"born\":\"1990-01-01\"}'; }
  }"
write_conf proxy "  upstream backend { server 127.0.0.1:$up; keepalive 64; }
  server {
    listen 127.0.0.1:$px;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
  }"
stop() {
  for n in proxy upstream; do "$nginx_bin" -c "$work/$n/nginx.conf" -p "$work/$n" -s stop 2>/dev/null || true; done
  rm -rf "$work"
}
trap stop EXIT
for n in upstream proxy; do "$nginx_bin" -c "$work/$n/nginx.conf" -p "$work/$n"; done
sleep 0.3
bin=target/release/examples/bench_lgsp
"$bin" --upstream "http://127.0.0.1:$up" --nginx "http://127.0.0.1:$px" --seconds "$seconds" --connections "$conns" --nginx-pid "$work/proxy/nginx.pid" --upstream-pid "$work/upstream/nginx.pid"
if [ "$pg" = 1 ]; then
  url=$(scripts/pg-start)
  port=${url##*:}; port=${port%%/*}
  pgdata=$(pg_lsclusters -h | awk -v p="$port" '$3==p {print $6}' | head -1)
  db=tinhso_lgsp_$$
  psql "$url" -qc "CREATE DATABASE $db" >/dev/null
  trap 'psql "$url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null; stop' EXIT
  "$bin" --upstream "http://127.0.0.1:$up" --nginx "http://127.0.0.1:$px" --seconds "$seconds" --connections "$conns" --nginx-pid "$work/proxy/nginx.pid" --upstream-pid "$work/upstream/nginx.pid" --postgres-pid "$pgdata/postmaster.pid" --database-url "${url%/*}/$db"
fi
