# Sourced by the loopback benchmarks (bench/gateway_vs_nginx.sh,
# bench/tls_loopback.sh).
#   work                  a fresh directory under /var/tmp, removed on exit
#                         with the gateway ($gw_pid) and nginx
#   free_port, median     a free loopback port; the median of numbers on stdin
#   start_nginx WORK LISTEN...  nginx (Debian nginx-full) as the reference server
# serves WORK/www with WebDAV PUT and static GET (sendfile), no access log,
# 2 workers, pid in WORK/nginx.pid, on each LISTEN given ("127.0.0.1:8080",
# or "127.0.0.1:8443 ssl" with WORK/tls/server.pem and server-key.pem).
work=$(mktemp -d /var/tmp/haul-bench.XXXXXX)
cleanup() {
  [ -n "${gw_pid:-}" ] && kill "$gw_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  sleep 0.2
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

start_nginx() {
  local work=$1 listen
  shift
  mkdir -p "$work/www" "$work/nginx-tmp"
  {
    cat <<NGINX
user root;
daemon on;
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  client_max_body_size 0;
  client_body_temp_path $work/nginx-tmp;
  ssl_protocols TLSv1.2 TLSv1.3;
  server {
NGINX
    for listen in "$@"; do echo "    listen $listen;"; done
    case "$*" in
      *ssl*) printf '    ssl_certificate %s;\n    ssl_certificate_key %s;\n' "$work/tls/server.pem" \
               "$work/tls/server-key.pem" ;;
    esac
    cat <<NGINX
    root $work/www;
    location / { dav_methods PUT; create_full_put_path on; }
  }
}
NGINX
  } > "$work/nginx.conf"
  nginx -c "$work/nginx.conf"
}
