#!/usr/bin/env bash
# Loopback benchmark of the tunnel (issue 2, "Performance").
#
# nginx serves a 1 KiB and a 1 MiB file on 127.0.0.1; wrk measures, in the same run,
#   - 1 KiB GET at 1 and 64 connections: requests/s, p50, p99
#   - 1 MiB GET at 8 connections: MiB/s
# once direct to nginx and once through `wstunnel srv` + `wstunnel cli` (X-Token header), and prints
# each figure, the non-2xx count and the ratio tunnel/direct. For the 1 MiB case it also prints the
# CPU each process used per MiB transferred (from /proc), which shows where the machine's time goes.
#
# Usage: bench/run.sh
# Environment:
#   DURATION=10s     wrk duration of each measurement
#   WARMUP=auto      warm-up through the tunnel before measuring: "auto" (default) repeats rounds of
#                    the measured loads (5 s of 1 KiB at 64 connections, 3 s of 1 MiB at 8) until the
#                    JIT compilers of both JVMs have gone quiet (under 0.2 s of compiler CPU in a
#                    round), at most WARMUP_MAX seconds (default 90); a duration (e.g. 5s) warms up
#                    for that long at each load instead; 0 skips it
#   DIRECT_ONLY=1    measure nginx alone (no tunnel)
#   CASES="..."      subset of "1k_c1 1k_c64 1m_c8" to measure (default: all three)
#   REFERENCE=0      skip the reference relays (nginx reverse-proxying itself, once and twice in a
#                    chain: what one and two extra HTTP hops cost on this machine, measured in the
#                    same run; the chain of two has the tunnel's topology; default 1)
#   JAVA_OPTS=...    JVM options for srv and cli
#   WSTUNNEL_OPTS=.. extra options for both srv and cli (default: none, i.e. default settings,
#                    including INFO logging of every request), e.g. "-log-level warn"
#   KEEP=1           keep the temp dir (logs) after the run
# Needs: Debian/Ubuntu (installs nginx, wrk and curl with apt-get if missing), JDK 17+ and Maven
# (the jar is built if missing). Everything runs on 127.0.0.1 with free ports; everything it starts
# is stopped on exit.
set -euo pipefail

DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-auto}"
WARMUP_MAX="${WARMUP_MAX:-90}"
DIRECT_ONLY="${DIRECT_ONLY:-0}"
CASES="${CASES:-1k_c1 1k_c64 1m_c8}"
REFERENCE="${REFERENCE:-1}"
root="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/wstunnel-app/target/wstunnel.jar"

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] FAILED: %s\n' "$*" >&2; exit 1; }

# ---- tools ------------------------------------------------------------------------------------
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]} (apt-get)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
command -v java >/dev/null 2>&1 || die "java not found (JDK 17+ needed)"

if [ "$DIRECT_ONLY" != 1 ] && [ ! -f "$jar" ]; then
  log "building $jar"
  (cd "$root" && mvn -q -B -Dstyle.color=never -DskipTests package) >&2 || die "could not build the jar"
fi

# ---- temp dir, cleanup ------------------------------------------------------------------------
work="$(mktemp -d /tmp/wstunnel-bench.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
  local rc=$?
  for pid in "${pids[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  if [ "${KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    log "logs kept in $work"
  else
    rm -rf "$work"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  die "no free port found"
}

wait_for() { # wait_for <seconds> <description> <command...>
  local secs=$1 what=$2
  shift 2
  local deadline=$(( SECONDS + secs ))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# ---- nginx ------------------------------------------------------------------------------------
mkdir -p "$work/www" "$work/nginx"
chmod 755 "$work/www"
head -c 1024 /dev/urandom > "$work/www/1k.bin"
head -c 1048576 /dev/urandom > "$work/www/1m.bin"
chmod 644 "$work/www/"*
nport=$(free_port)
pport=$(free_port)
while [ "$pport" = "$nport" ]; do pport=$(free_port); done
qport=$(free_port)
while [ "$qport" = "$nport" ] || [ "$qport" = "$pport" ]; do qport=$(free_port); done
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
cat > "$work/nginx/nginx.conf" <<NGINX
$user_line
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$nport;
    root $work/www;
  }
  # reference relays: nginx reverse-proxying the server above (kept-alive upstream, streaming, 256 KiB
  # buffers: with the default 8 KiB ones a relay moves 1 MiB bodies at half the speed), and a second
  # relay in front of the first: caller -> relay -> relay -> origin, the tunnel's topology
  # (caller -> srv -> agent -> origin)
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_buffering off;
  proxy_buffer_size 256k;
  proxy_buffers 4 256k;
  proxy_busy_buffers_size 256k;
  upstream origin { server 127.0.0.1:$nport; keepalive 64; }
  server {
    listen 127.0.0.1:$pport;
    location / { proxy_pass http://origin; }
  }
  upstream relay { server 127.0.0.1:$pport; keepalive 64; }
  server {
    listen 127.0.0.1:$qport;
    location / { proxy_pass http://relay; }
  }
}
NGINX
"$NGINX" -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' &
pids+=($!)
nginx_pid=$!
wait_for 10 nginx curl -sf -o /dev/null "http://127.0.0.1:$nport/1k.bin" || die "nginx did not start (see $work/nginx/error.log)"
cmp -s <(curl -sf "http://127.0.0.1:$qport/1m.bin") "$work/www/1m.bin" || die "1 MiB file through the nginx relays differs"
log "nginx on 127.0.0.1:$nport"

# ---- srv + cli ----------------------------------------------------------------------------------
token="bench-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 24)"
if [ "$DIRECT_ONLY" != 1 ]; then
  sport=$(free_port)
  # shellcheck disable=SC2086
  java ${JAVA_OPTS:-} -jar "$jar" srv -host 127.0.0.1 -port "$sport" ${WSTUNNEL_OPTS:-} > "$work/srv.log" 2>&1 &
  pids+=($!)
  srv_pid=$!
  # shellcheck disable=SC2086
  java ${JAVA_OPTS:-} -jar "$jar" cli -tunnel "ws://127.0.0.1:$sport" -server "http://127.0.0.1:$nport" \
    -token "$token" ${WSTUNNEL_OPTS:-} > "$work/cli.log" 2>&1 &
  pids+=($!)
  cli_pid=$!
  if ! wait_for 20 tunnel curl -sf -o /dev/null -H "X-Token: $token" "http://127.0.0.1:$sport/1k.bin"; then
    log "srv log:"; tail -n 20 "$work/srv.log" >&2 || true
    log "cli log:"; tail -n 20 "$work/cli.log" >&2 || true
    die "the tunnel did not come up within 20 s (srv on 127.0.0.1:$sport, nginx on 127.0.0.1:$nport)"
  fi
  cmp -s <(curl -sf -H "X-Token: $token" "http://127.0.0.1:$sport/1m.bin") "$work/www/1m.bin" \
    || die "1 MiB file through the tunnel differs from the original"
  log "tunnel up: srv on 127.0.0.1:$sport, agent serving http://127.0.0.1:$nport"
fi

# ---- wrk ----------------------------------------------------------------------------------------
cat > "$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT rps=%.1f mibps=%.1f mib=%.1f p50=%.3f p99=%.3f max=%.3f requests=%d non2xx=%d sockerr=%d\n",
    summary.requests / secs, summary.bytes / secs / 1048576, summary.bytes / 1048576,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
LUA

declare -A R CPU
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
stat_ticks() { # stat_ticks <dir>: CPU clock ticks (user + system) of the process or thread /proc/.../<dir>
  local stat f
  stat=$(cat "$1/stat" 2>/dev/null) || { echo 0; return; }
  read -r -a f <<<"${stat##*) }"   # fields after the name: state (field 3) first, utime 14, stime 15
  echo $(( f[11] + f[12] ))
}
ticks() { # ticks <pid...>: CPU clock ticks used so far by these processes
  local total=0 pid
  for pid in "$@"; do
    total=$(( total + $(stat_ticks "/proc/$pid") ))
  done
  echo "$total"
}
busy_ticks() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 }' /proc/stat; } # user nice system irq softirq
nginx_pids() { echo "$nginx_pid $(pgrep -P "$nginx_pid" | tr '\n' ' ')"; }
measure() { # measure <key> <url> <connections> [extra wrk args...]
  local key=$1 url=$2 conns=$3
  shift 3
  [[ " $CASES " == *" ${key#*_} "* ]] || return 0
  local threads=2
  [ "$conns" -lt 2 ] && threads=1
  local out m0 n0 s0 c0 m1 n1 s1 c1
  m0=$(busy_ticks); n0=$(ticks $(nginx_pids)); s0=$(ticks ${srv_pid:-}); c0=$(ticks ${cli_pid:-})
  out=$(wrk -t"$threads" -c"$conns" -d"$DURATION" --latency -s "$work/report.lua" "$@" "$url" 2>&1) \
    || die "wrk failed for $key: $out"
  m1=$(busy_ticks); n1=$(ticks $(nginx_pids)); s1=$(ticks ${srv_pid:-}); c1=$(ticks ${cli_pid:-})
  local line
  line=$(grep '^RESULT ' <<<"$out") || die "no result from wrk for $key: $out"
  R[$key]="$line"
  # CPU milliseconds per MiB moved: whole machine, nginx (all relays), srv, agent; the rest is wrk's and
  # kernel work not charged to a process (these processes only run during the measurement)
  CPU[$key]=$(awk -v mib="$(field "$key" mib)" -v hz="$CLK_TCK" -v m=$((m1 - m0)) -v n=$((n1 - n0)) \
    -v s=$((s1 - s0)) -v c=$((c1 - c0)) 'BEGIN { k = 1000 / hz / mib;
      printf "%.2f %.2f %.2f %.2f %.2f", m * k, n * k, s * k, c * k, (m - n - s - c) * k }')
  log "$key: ${line#RESULT }"
}
field() { # field <key> <name>
  local line="${R[$1]:-}"
  sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" ${line#RESULT }"
}
jit_ticks() { # jit_ticks <pid...>: CPU clock ticks used so far by the JIT compiler threads of the JVMs
  local total=0 pid task comm
  for pid in "$@"; do
    for task in /proc/"$pid"/task/*; do
      comm=$(cat "$task/comm" 2>/dev/null) || continue
      case "$comm" in
        C1\ Compiler*|C2\ Compiler*) total=$(( total + $(stat_ticks "$task") )) ;;
      esac
    done
  done
  echo "$total"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

direct="http://127.0.0.1:$nport"
log "measuring, $DURATION each"
measure direct_1k_c1 "$direct/1k.bin" 1
measure direct_1k_c64 "$direct/1k.bin" 64
measure direct_1m_c8 "$direct/1m.bin" 8
if [ "$REFERENCE" = 1 ]; then
  measure proxy_1k_c64 "http://127.0.0.1:$pport/1k.bin" 64
  measure proxy_1m_c8 "http://127.0.0.1:$pport/1m.bin" 8
  measure proxy2_1k_c64 "http://127.0.0.1:$qport/1k.bin" 64
  measure proxy2_1m_c8 "http://127.0.0.1:$qport/1m.bin" 8
fi
if [ "$DIRECT_ONLY" != 1 ]; then
  tunnel="http://127.0.0.1:$sport"
  if [ "$WARMUP" = auto ]; then
    # Steady state, not start-up: a freshly started JVM spends seconds of CPU in its JIT compilers,
    # which on a small machine compete with the load itself.
    log "warming up the tunnel until the JIT compilers of srv and cli go quiet (at most ${WARMUP_MAX}s)"
    start=$SECONDS
    before=$(jit_ticks "$srv_pid" "$cli_pid")
    while :; do
      wrk -t2 -c64 -d5s -H "X-Token: $token" "$tunnel/1k.bin" >/dev/null 2>&1 || true
      wrk -t2 -c8 -d3s -H "X-Token: $token" "$tunnel/1m.bin" >/dev/null 2>&1 || true
      after=$(jit_ticks "$srv_pid" "$cli_pid")
      spent=$(( (after - before) * 1000 / CLK_TCK ))
      before=$after
      if [ "$spent" -lt 200 ]; then
        log "JIT quiet after $(( SECONDS - start ))s of warm-up (${spent} ms of compiler CPU in the last round)"
        break
      fi
      if [ $(( SECONDS - start )) -ge "$WARMUP_MAX" ]; then
        log "JIT still busy after $(( SECONDS - start ))s (${spent} ms of compiler CPU in the last round); measuring anyway"
        break
      fi
    done
  elif [ "$WARMUP" != 0 ]; then
    log "warming up the tunnel ($WARMUP)"
    wrk -t2 -c64 -d"$WARMUP" -H "X-Token: $token" "$tunnel/1k.bin" >/dev/null 2>&1 || true
    wrk -t2 -c8 -d"$WARMUP" -H "X-Token: $token" "$tunnel/1m.bin" >/dev/null 2>&1 || true
  fi
  measure tunnel_1k_c1 "$tunnel/1k.bin" 1 -H "X-Token: $token"
  measure tunnel_1k_c64 "$tunnel/1k.bin" 64 -H "X-Token: $token"
  measure tunnel_1m_c8 "$tunnel/1m.bin" 8 -H "X-Token: $token"
fi

# ---- report -------------------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n1)
echo
echo "wstunnel loopback benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPU(s) ${cpu:+($cpu)}, $(java -version 2>&1 | head -n1), $("$NGINX" -v 2>&1 | sed "s#.*: ##"), wrk $DURATION per figure"
echo
printf '| %-26s | %-34s | %-34s | %-13s |\n' "measurement" "direct (nginx)" "through the tunnel" "tunnel/direct"
printf '|%s|%s|%s|%s|\n' "----------------------------" "------------------------------------" "------------------------------------" "---------------"
row() { # row <label> <size_conns> <metric: rps|mibps>
  local label=$1 k=$2 metric=$3 d t dv tv rt
  [[ " $CASES " == *" $k "* ]] || return 0
  if [ "$metric" = rps ]; then
    d="$(field direct_$k rps) req/s, p50 $(field direct_$k p50) ms, p99 $(field direct_$k p99) ms"
  else
    d="$(field direct_$k mibps) MiB/s, p99 $(field direct_$k p99) ms"
  fi
  d="$d, non-2xx $(field direct_$k non2xx)"
  if [ "$DIRECT_ONLY" = 1 ]; then
    t="-"; rt="-"
  else
    if [ "$metric" = rps ]; then
      t="$(field tunnel_$k rps) req/s, p50 $(field tunnel_$k p50) ms, p99 $(field tunnel_$k p99) ms"
    else
      t="$(field tunnel_$k mibps) MiB/s, p99 $(field tunnel_$k p99) ms"
    fi
    t="$t, non-2xx $(field tunnel_$k non2xx)"
    rt=$(ratio "$(field tunnel_$k $metric)" "$(field direct_$k $metric)")
  fi
  printf '| %-26s | %-34s | %-34s | %-13s |\n' "$label" "$d" "$t" "$rt"
}
row "1 KiB GET, 1 connection" 1k_c1 rps
row "1 KiB GET, 64 connections" 1k_c64 rps
row "1 MiB GET, 8 connections" 1m_c8 mibps
if [ "$REFERENCE" = 1 ]; then
  echo
  echo "reference relays, same run: nginx reverse-proxying the same nginx, 256 KiB buffers, no tunnel"
  for k in 1k_c64 1m_c8; do
    [[ " $CASES " == *" $k "* ]] || continue
    if [ "$k" = 1k_c64 ]; then m=rps; u="req/s"; else m=mibps; u="MiB/s"; fi
    echo "  $k, one relay (one extra hop):             $(field proxy_$k $m) $u, p99 $(field proxy_$k p99) ms = $(ratio "$(field proxy_$k $m)" "$(field direct_$k $m)") of direct"
    echo "  $k, two relays (the tunnel's three hops):  $(field proxy2_$k $m) $u, p99 $(field proxy2_$k p99) ms = $(ratio "$(field proxy2_$k $m)" "$(field direct_$k $m)") of direct"
  done
fi
if [[ " $CASES " == *" 1m_c8 "* ]]; then
  echo
  echo "CPU per MiB moved, 1 MiB GETs at 8 connections (ms; machine = all $(nproc) CPUs, busy time from /proc/stat;"
  echo "rest = wrk and kernel work not charged to nginx, srv or agent):"
  printf '  %-24s %8s %8s %8s %8s %8s %8s\n' "" machine nginx srv agent rest "busy %"
  for k in direct_1m_c8 proxy_1m_c8 proxy2_1m_c8 tunnel_1m_c8; do
    [ -n "${CPU[$k]:-}" ] || continue
    read -r m n s c o <<<"${CPU[$k]}"
    case $k in
      direct_*) label="direct";;
      proxy_*) label="one nginx relay";;
      proxy2_*) label="two nginx relays";;
      *) label="tunnel";;
    esac
    # busy share of the machine during the run: machine ms per MiB x MiB/s / (CPUs x 1000)
    b=$(awk -v m="$m" -v r="$(field "$k" mibps)" -v n="$(nproc)" 'BEGIN { printf "%.0f", m * r / n / 10 }')
    printf '  %-24s %8s %8s %8s %8s %8s %8s\n' "$label" "$m" "$n" "$s" "$c" "$o" "$b"
  done
fi
echo
bad=0
for k in "${!R[@]}"; do
  n=$(field "$k" non2xx); s=$(field "$k" sockerr)
  if [ "${n:-0}" != 0 ] || [ "${s:-0}" != 0 ]; then
    echo "WARNING: $k had $n non-2xx responses and $s socket errors"
    bad=1
  fi
done
[ $bad -eq 0 ] && echo "non-2xx responses: 0 in every measurement"
if [ "$DIRECT_ONLY" != 1 ]; then
  echo "targets (issue 2): 1 KiB @64 ratio >= 0.20, 1 MiB ratio >= 0.5, tunnel p99 at 64 connections <= 10 ms"
fi
