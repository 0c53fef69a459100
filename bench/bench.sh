#!/usr/bin/env bash
# Load benchmark of Sesame on 127.0.0.1 with wrk, the same five cases as the oidc-provider anchor
# (../shared/anchors/oidc-provider, relative to the repository root), optionally run back to back with it.
#
# Run from the repository root:  bench/bench.sh
# bench/stores.sh runs it on SQLite and PostgreSQL, with one and two nodes, and prints one table.
#
# Variables (defaults):
#   DB               sqlite         sqlite, or postgres: a fresh database made with createdb, dropped on exit
#   PGHOST PGPORT PGUSER  127.0.0.1 5432 postgres   where DB=postgres creates it (no password)
#   NODES            1              sesame serve processes on the one database (more than 1 needs DB=postgres);
#                                   one wrk per node runs at the same time, with THREADS and CONNECTIONS
#                                   shared out between them; req/s add up, latencies are the worst node's
#   PORT             a free port    the first node's port on 127.0.0.1 (the others take free ports)
#   ANCHOR_PORT      a free port    oidc-provider's port (must differ from PORT)
#   THREADS          2              wrk threads
#   CONNECTIONS      32             wrk connections
#   DURATION         10s            measured wrk run per case
#   WARMUP           3s             unmeasured wrk run per case before it (0 to skip)
#   CASES            "discovery jwks cc_jwt cc_opaque introspect"
#   WRK_CHECK        1              bench.lua checks every response's status and body (0: status only)
#   SERVER_CPUS      (unset)        optional taskset CPU list for the server (passed to the anchor too)
#   WRK_CPUS         (unset)        optional taskset CPU list for wrk (passed to the anchor too)
#   SIGNING          1              run the criterion signing micro-benchmark (0 to skip)
#   ANCHOR           1 if the anchor is installed, else 0   run the anchor's bench.sh after Sesame
#   OIDC_ANCHOR_DIR  /tmp/anchors/oidc-provider   the anchor's install directory (see its install.sh)
#   BUILD            1 (0 with SESAME_BIN)   cargo build --release first (0: use the binary as is)
#   SESAME_BIN       target/release/sesame   the binary to run, e.g. one built from a clean checkout
#   RESULTS_DIR      mktemp -d      config, database, server log, raw wrk/criterion/anchor output
#
# Any response >= 400, any body that fails its check, or a failing anchor run makes the exit status 1.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
ANCHOR_SRC="$(cd "$REPO/.." && pwd)/shared/anchors/oidc-provider"
BENCH_LUA="$ANCHOR_SRC/bench.lua"

THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-3s}"
CASES="${CASES:-discovery jwks cc_jwt cc_opaque introspect}"
export WRK_CHECK="${WRK_CHECK:-1}"
SIGNING="${SIGNING:-1}"
SESAME_BIN="${SESAME_BIN:-}"
if [ -n "$SESAME_BIN" ]; then BUILD="${BUILD:-0}"; else BUILD="${BUILD:-1}"; fi
OIDC_ANCHOR_DIR="${OIDC_ANCHOR_DIR:-/tmp/anchors/oidc-provider}"
RESULTS_DIR="${RESULTS_DIR:-$(mktemp -d /tmp/sesame-bench.XXXXXX)}"
DB="${DB:-sqlite}"
NODES="${NODES:-1}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
mkdir -p "$RESULTS_DIR"

# The two clients. Secrets are >= 32 characters (Sesame refuses shorter ones); they only ever
# reach 127.0.0.1 and a throw-away database.
JWT_CLIENT=bench-cc
OPAQUE_CLIENT=bench-opaque
SECRET=bench-secret-bench-secret-bench-secret-0123
SCOPE="api:read api:write"

CLK_TCK="$(getconf CLK_TCK)"
SERVER_PIDS=()   # one per node, in order
NODE_URLS=()     # http://127.0.0.1:PORT per node; the first is the issuer (BASE)
SERVER_LOGS=()
WRK_PIDS=()      # the wrk runs under way (their `timeout` processes)
DATABASE_URL=""
PG_DB=""         # the database DB=postgres created, dropped on exit
FAILED=""
MAX_RSS_KB=0
ANCHOR_FAILED=""

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "== $*"; }

# ------------------------------------------------------------------ small helpers

# Seconds in a wrk duration (10, 10s, 2m, 1h): used to bound every wrk run with `timeout`.
seconds_of() {
  local d="$1"
  case "$d" in
    *h) echo $(( ${d%h} * 3600 )) ;;
    *m) echo $(( ${d%m} * 60 )) ;;
    *s) echo "${d%s}" ;;
    *) echo "$d" ;;
  esac
}

# A TCP port on 127.0.0.1 nobody listens on (a connect that fails means free; the small race
# with other processes is acceptable for a benchmark). Taken below the kernel's ephemeral range,
# so neither the probe nor wrk's own connections can end up using it as a local port.
free_port() {
  local p low
  low="$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
  [ "$low" -gt 12000 ] || low=32768
  for _ in $(seq 1 50); do
    p=$(( 10000 + RANDOM % (low - 10000) ))
    [[ " ${PORT:-} ${NODE_URLS[*]##*:} " == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  die "no free port found"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

basic_auth() { printf 'Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"; }

# base64url without padding, as in a JWT.
b64url() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }

# Decodes one base64url JWT segment.
b64url_decode() {
  local s
  s="$(printf '%s' "$1" | tr -- '-_' '+/')"
  while [ $(( ${#s} % 4 )) != 0 ]; do s="$s="; done
  printf '%s' "$s" | base64 -d 2>/dev/null
}

# /proc readings of the servers: a status field in kB (the largest over the nodes), and
# utime+stime of all their threads in ticks (the sum over the nodes).
proc_status() {
  local p
  for p in "${SERVER_PIDS[@]}"; do awk -v k="$1:" '$1==k {print $2}' "/proc/$p/status"; done | sort -n | tail -1
}
cpu_ticks() {
  local p
  for p in "${SERVER_PIDS[@]}"; do awk '{print $14 + $15}' "/proc/$p/stat"; done | awk '{s += $1} END {print s}'
}
# "TID NAME TICKS" per server thread; NAME is the thread name (at most 15 characters in Linux) cut
# before any digit, so the tokio workers and sqlx's SQLite connection threads each add up to one figure.
thread_ticks() {
  local p t name
  for p in "${SERVER_PIDS[@]}"; do
    for t in /proc/"$p"/task/*; do
      name="$(cat "$t/comm" 2>/dev/null)" || continue
      name="${name%%[0-9]*}"; name="${name// /_}"
      # comm may contain spaces: the fields after the closing parenthesis are counted from state (3rd).
      sed 's/.*) //' "$t/stat" 2>/dev/null | awk -v tid="${t##*/}" -v n="${name%-}" '{print tid, n, $12 + $13}'
    done
  done
}
# "PID TICKS" of every PostgreSQL server process (the oldest `postgres` process of PGUSER's uid and
# its children: backends, WAL writer, checkpointer...), when it runs on this machine; empty otherwise.
# It counts whatever else uses that PostgreSQL at the time, too.
pg_ticks() {
  local pm p
  [ "$DB" = postgres ] || return 0
  pm="$(pgrep -o -x -u "$PGUSER" postgres 2>/dev/null)" || return 0
  for p in "$pm" $(pgrep -P "$pm"); do
    sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk -v p="$p" '{print p, $12 + $13}'
  done
}
# CPU µs per request of those processes between two pg_ticks snapshots ("-" without them).
pg_us_per_req() {
  awk -v h="$CLK_TCK" -v n="$3" 'NR==FNR {before[$1]=$2; next} {t += $2 - before[$1]; seen = 1}
    END {if (seen && n > 0) printf "%.0f", t/h*1e6/n; else print "-"}' "$1" "$2"
}
# Server CPU seconds per thread name between two thread_ticks snapshots, largest first.
thread_split() {
  awk -v h="$CLK_TCK" 'NR==FNR {before[$1]=$3; next} {cpu[$2] += $3 - before[$1]}
    END {for (n in cpu) if (cpu[n] > 0) printf "%.2f %s\n", cpu[n]/h, n}' "$1" "$2" \
    | sort -rn | awk '{printf "%s%s %ss", (NR>1 ? ", " : ""), $2, $1} END {print ""}'
}
mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }

# sample METHOD PATH [BODY [AUTH]] -> SAMPLE_STATUS, SAMPLE_BODY (one request, outside wrk)
sample() {
  local method="$1" path="$2" body="${3:-}" auth="${4:-}" out
  if [ "$method" = POST ]; then
    out="$(curl -s --max-time 5 -w '\n%{http_code}' -X POST -H "Authorization: $auth" \
      -H 'Content-Type: application/x-www-form-urlencoded' --data "$body" "$BASE$path")" || true
  else
    out="$(curl -s --max-time 5 -w '\n%{http_code}' "$BASE$path")" || true
  fi
  SAMPLE_STATUS="${out##*$'\n'}"
  SAMPLE_BODY="${out%$'\n'*}"
}

show_sample() {
  local b="$SAMPLE_BODY"
  [ "${#b}" -gt 400 ] && b="${b:0:400}... (${#SAMPLE_BODY} bytes)"
  echo "   sample: HTTP $SAMPLE_STATUS $b"
}

fail_case() { echo "   FAILED ($CASE): $*" >&2; FAILED="$FAILED $CASE"; }

# ------------------------------------------------------------------ preconditions

check_tools() {
  local t
  for t in cargo curl wrk jq awk timeout; do
    command -v "$t" >/dev/null || die "$t not found (wrk: apt-get install wrk or the anchor's install.sh; jq: apt-get install jq)"
  done
  if [ "$DB" = postgres ]; then
    for t in createdb dropdb psql pgrep; do command -v "$t" >/dev/null || die "$t not found (DB=postgres: apt-get install postgresql-client)"; done
  fi
  [ -f "$BENCH_LUA" ] || die "the anchor's wrk script is missing: $BENCH_LUA (expected ../shared/anchors/oidc-provider/bench.lua next to the repository)"
  [ "$(uname -s)" = Linux ] || die "needs Linux (/proc is read for CPU time and RSS)"
}

build() {
  if [ "$BUILD" = 1 ]; then
    note "cargo build --release"
    (cd "$REPO" && cargo build --release --quiet)
    # Compile the criterion benchmark now too, so no compiler competes with the load test later.
    if [ "$SIGNING" = 1 ]; then
      note "cargo bench --no-run (signing)"
      (cd "$REPO" && cargo bench --bench signing --no-run --quiet)
    fi
  fi
  SESAME_BIN="${SESAME_BIN:-$REPO/target/release/sesame}"
  [ -x "$SESAME_BIN" ] || die "$SESAME_BIN not found (BUILD=0 needs a prior cargo build --release)"
}

# ------------------------------------------------------------------ the server

# A fresh database: a SQLite file in RESULTS_DIR, or a PostgreSQL database dropped on exit.
create_database() {
  case "$DB" in
    sqlite)
      [ "$NODES" = 1 ] || die "NODES=$NODES needs DB=postgres: several processes on one SQLite file is not a supported deployment"
      mkdir -p "$RESULTS_DIR/db"
      DATABASE_URL="sqlite://$RESULTS_DIR/db/sesame.db" ;;
    postgres)
      PG_DB="sesame_bench_$(date +%s)_$$"
      createdb "$PG_DB" || { PG_DB=""; die "createdb failed (PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER)"; }
      DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$PG_DB" ;;
    *) die "DB must be sqlite or postgres, not $DB" ;;
  esac
}

drop_database() {
  [ -n "$PG_DB" ] || return 0
  dropdb --force "$PG_DB" || echo "bench: WARNING: dropdb $PG_DB failed; drop it by hand" >&2
  PG_DB=""
}

database_size() {
  if [ "$DB" = postgres ]; then
    psql -d "$PG_DB" -tAc "SELECT pg_size_pretty(pg_database_size(current_database()))" 2>/dev/null || echo '?'
  else
    echo "$(du -sm "$RESULTS_DIR/db" | cut -f1) MiB"
  fi
}

# Files of node N (1-based): sesame.toml/.log for the first, sesame-node2.toml/.log and so on.
node_file() { if [ "$1" = 1 ]; then echo "$RESULTS_DIR/sesame.$2"; else echo "$RESULTS_DIR/sesame-node$1.$2"; fi; }

# write_config FILE PORT: every node has the same config but for `listen`; the issuer is BASE.
write_config() {
  # log_level warn: a log line per request would be part of what is measured.
  # shutdown_timeout 5: the exit trap must not wait 30 s for keep-alive connections.
  cat >"$1" <<TOML
issuer = "$BASE"
listen = "127.0.0.1:$2"
database_url = "$DATABASE_URL"
log_level = "warn"
access_token_ttl = 600
shutdown_timeout = 5

[[clients]]
client_id = "$JWT_CLIENT"
client_secret = "$SECRET"
grant_types = ["client_credentials"]
scope = "$SCOPE"
access_token_format = "jwt"

[[clients]]
client_id = "$OPAQUE_CLIENT"
client_secret = "$SECRET"
grant_types = ["client_credentials"]
scope = "$SCOPE"
access_token_format = "opaque"
TOML
}

any_alive() { local p; for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }

# Stops every node: SIGTERM to all, up to 8 s to exit, then SIGKILL.
stop_servers() {
  local p
  [ "${#SERVER_PIDS[@]}" -gt 0 ] || return 0
  kill -TERM "${SERVER_PIDS[@]}" 2>/dev/null || true
  for _ in $(seq 1 80); do any_alive "${SERVER_PIDS[@]}" || break; sleep 0.1; done
  kill -KILL "${SERVER_PIDS[@]}" 2>/dev/null || true
  for p in "${SERVER_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  SERVER_PIDS=()
}

# wrk first (timeout passes the signal on to it), then the nodes, then the database.
cleanup() {
  [ "${#WRK_PIDS[@]}" = 0 ] || kill -TERM "${WRK_PIDS[@]}" 2>/dev/null || true
  WRK_PIDS=()
  stop_servers
  drop_database
}

# start_node N PORT: writes node N's config, starts it and waits for /healthz.
start_node() {
  local n="$1" url="http://127.0.0.1:$2" config log pid pin=() unset_env=() v
  [ -n "${SERVER_CPUS:-}" ] && pin=(taskset -c "$SERVER_CPUS")
  # SESAME_* variables in the caller's environment would override the generated config.
  for v in $(compgen -e SESAME_ || true); do unset_env+=(-u "$v"); done
  config="$(node_file "$n" toml)"; log="$(node_file "$n" log)"
  write_config "$config" "$2"
  env "${unset_env[@]}" "${pin[@]}" "$SESAME_BIN" serve --config "$config" >"$log" 2>&1 &
  pid=$!
  SERVER_PIDS+=("$pid"); NODE_URLS+=("$url"); SERVER_LOGS+=("$log")
  for i in $(seq 1 150); do
    if curl -sf -o /dev/null --max-time 1 "$url/healthz"; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "sesame (node $n) exited during start"; }
    sleep 0.2
    [ "$i" = 150 ] && { cat "$log" >&2; die "sesame (node $n) not healthy after 30 s"; }
  done
}

# One node after the other, so they do not race to create the first signing keys.
start_servers() {
  local n
  start_node 1 "$PORT"
  for n in $(seq 2 "$NODES"); do start_node "$n" "$(free_port)"; done
}

# A few requests of every kind to each node, so idle RSS includes what the first requests allocate
# (pools, caches, the SQLite page cache) and not just the empty process.
short_warmup() {
  local tok url
  for url in "${NODE_URLS[@]}"; do
    for _ in $(seq 1 20); do
      curl -s -o /dev/null --max-time 5 "$url/.well-known/openid-configuration"
      curl -s -o /dev/null --max-time 5 "$url/jwks"
      curl -s -o /dev/null --max-time 5 -u "$JWT_CLIENT:$SECRET" -d grant_type=client_credentials -d scope=api:read "$url/token"
      tok="$(curl -s --max-time 5 -u "$OPAQUE_CLIENT:$SECRET" -d grant_type=client_credentials -d scope=api:read "$url/token" | jq -r '.access_token // empty')"
      curl -s -o /dev/null --max-time 5 -u "$OPAQUE_CLIENT:$SECRET" --data "token=$tok" "$url/introspect"
    done
  done
  sleep 1
}

# ------------------------------------------------------------------ one wrk case

declare -A ROW RPS CPU_US P99 SPLIT

# wrk_nodes OUT PATH DURATION [WRK OPTIONS]: one wrk per node, all at the same time, each with
# its share of THREADS and CONNECTIONS; their outputs go one after the other into OUT.
wrk_nodes() {
  local out="$1" path="$2" dur="$3" n pin=() limit
  shift 3
  [ -n "${WRK_CPUS:-}" ] && pin=(taskset -c "$WRK_CPUS")
  limit=$(( $(seconds_of "$dur") + 30 ))
  for n in $(seq 1 "$NODES"); do
    timeout -k 5 "$limit" "${pin[@]}" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$dur" "$@" -s "$BENCH_LUA" \
      "${NODE_URLS[n-1]}$path" >"$out.node$n" 2>&1 &
    WRK_PIDS+=($!)
  done
  for n in $(seq 1 "$NODES"); do
    wait "${WRK_PIDS[n-1]}" || true
    { echo "## node $n: ${NODE_URLS[n-1]}$path"; cat "$out.node$n"; } >>"$out"
    rm -f "$out.node$n"
  done
  WRK_PIDS=()
}

# The RESULT lines of bench.lua, one per node, as one: counts and req/s add up; duration and
# latencies are the largest (the worst node's).
merged_result() {
  awk '/^RESULT / {
      nodes++
      for (i = 2; i <= NF; i++) {
        k = substr($i, 1, index($i, "=") - 1); v = substr($i, index($i, "=") + 1)
        if (!(k in val)) { keys[++nk] = k; val[k] = v; continue }
        if (k ~ /_ms$|^duration_s$/) { if (v + 0 > val[k] + 0) val[k] = v }
        else if (k == "rps") val[k] = sprintf("%.1f", val[k] + v)
        else val[k] += v
      }
    }
    END {
      if (!nodes) exit
      printf "RESULT"; for (i = 1; i <= nk; i++) printf " %s=%s", keys[i], val[keys[i]]
      print (nodes > 1 ? " nodes=" nodes : "")
    }' "$1"
}

# run_wrk CASE PATH  (WRK_METHOD/BODY/AUTH/EXPECT/REJECT exported by the caller, read by bench.lua)
run_wrk() {
  local case="$1" path="$2" t0 t1 line kv errs cpu_s cpu_us rss_kb
  rm -f "$RESULTS_DIR/$case.warmup.txt" "$RESULTS_DIR/$case.wrk.txt"
  if [ "$WARMUP" != 0 ] && [ "$WARMUP" != 0s ]; then
    wrk_nodes "$RESULTS_DIR/$case.warmup.txt" "$path" "$WARMUP"
  fi
  thread_ticks >"$RESULTS_DIR/$case.threads0"
  pg_ticks >"$RESULTS_DIR/$case.pg0"
  t0="$(cpu_ticks)"
  wrk_nodes "$RESULTS_DIR/$case.wrk.txt" "$path" "$DURATION" --latency
  t1="$(cpu_ticks)"
  pg_ticks >"$RESULTS_DIR/$case.pg1"
  thread_ticks >"$RESULTS_DIR/$case.threads1"
  line="$(merged_result "$RESULTS_DIR/$case.wrk.txt")"
  [ -n "$line" ] || { cat "$RESULTS_DIR/$case.wrk.txt" >&2; fail_case "no wrk RESULT line"; return; }
  local -A r
  for kv in ${line#RESULT }; do r["${kv%%=*}"]="${kv#*=}"; done
  cpu_s="$(awk -v a="$t0" -v b="$t1" -v h="$CLK_TCK" 'BEGIN{printf "%.2f", (b-a)/h}')"
  cpu_us="$(awk -v a="$t0" -v b="$t1" -v h="$CLK_TCK" -v n="${r[requests]}" 'BEGIN{ if (n>0) printf "%.0f", (b-a)/h*1e6/n; else print "-"}')"
  errs=$(( r[err_connect] + r[err_read] + r[err_write] + r[err_timeout] ))
  RPS[$case]="${r[rps]}"; CPU_US[$case]="$cpu_us"; P99[$case]="${r[p99_ms]}"
  rss_kb="$(proc_status VmRSS)"
  [ "$rss_kb" -gt "$MAX_RSS_KB" ] && MAX_RSS_KB="$rss_kb"
  ROW[$case]="$(printf '| %-10s | %9s | %7s | %7s | %8s | %9s | %10s | %13s | %7s | %5s | %4s | %8s |' \
    "$case" "${r[rps]}" "${r[p50_ms]}" "${r[p99_ms]}" "${r[requests]}" "$cpu_s" "$cpu_us" \
    "$(pg_us_per_req "$RESULTS_DIR/$case.pg0" "$RESULTS_DIR/$case.pg1" "${r[requests]}")" \
    "$(mib "$rss_kb")" "${r[status_ge400]}" "${r[bad]}" "$errs")"
  echo "   wrk: ${line#RESULT }"
  SPLIT[$case]="$(thread_split "$RESULTS_DIR/$case.threads0" "$RESULTS_DIR/$case.threads1")"
  echo "   server CPU by thread: ${SPLIT[$case]}"
  if [ "${r[status_ge400]}" != 0 ] || [ "${r[bad]}" != 0 ]; then
    fail_case "${r[status_ge400]} responses >= 400 and ${r[bad]} responses failed the body check"
  fi
  if [ "$WRK_CHECK" != 0 ] && [ "${r[checked]}" = 0 ]; then fail_case "no response was checked"; fi
}

# ------------------------------------------------------------------ the five cases
# Each first checks one sample response by hand (so a misconfiguration fails loudly, not as
# a fast stream of errors), then sets what bench.lua must find in every response.

case_discovery() {
  echo "-- discovery: GET /.well-known/openid-configuration"
  sample GET /.well-known/openid-configuration; show_sample
  if [ "$SAMPLE_STATUS" != 200 ] || [ "$(jq -r .issuer <<<"$SAMPLE_BODY")" != "$BASE" ]; then
    fail_case "bad discovery document"; return
  fi
  export WRK_EXPECT="\"issuer\":\"$BASE\""
  run_wrk discovery /.well-known/openid-configuration
}

case_jwks() {
  local path algs
  path="$(curl -s --max-time 5 "$BASE/.well-known/openid-configuration" | jq -r .jwks_uri)"; path="${path#"$BASE"}"
  echo "-- jwks: GET $path"
  sample GET "$path"; show_sample
  algs="$(jq -r '[.keys[].alg] | sort | join(",")' <<<"$SAMPLE_BODY" 2>/dev/null || true)"
  echo "   keys: $algs, private parts: $(jq -r '[.keys[] | select(has("d") or has("p"))] | length' <<<"$SAMPLE_BODY" 2>/dev/null || echo '?')"
  if [ "$SAMPLE_STATUS" != 200 ] || [[ ",$algs," != *,ES256,* ]] \
    || [ "$(jq '[.keys[] | select(has("d") or has("p"))] | length' <<<"$SAMPLE_BODY")" != 0 ]; then
    fail_case "bad jwks (an ES256 key is required, no private parts allowed)"; return
  fi
  export WRK_EXPECT='"kty":"EC"'
  run_wrk jwks "$path"
}

case_cc_jwt() {
  local at hdr prefix
  echo "-- cc_jwt: POST /token client_credentials as $JWT_CLIENT -> JWT access token (ES256, at+jwt)"
  WRK_AUTH="$(basic_auth "$JWT_CLIENT" "$SECRET")"
  export WRK_METHOD=POST WRK_AUTH WRK_BODY="grant_type=client_credentials&scope=api%3Aread"
  sample POST /token "$WRK_BODY" "$WRK_AUTH"; show_sample
  at="$(jq -r '.access_token // empty' <<<"$SAMPLE_BODY" 2>/dev/null || true)"
  hdr="$(b64url_decode "${at%%.*}" || true)"
  echo "   jwt header: $hdr"
  if [ "$SAMPLE_STATUS" != 200 ] || [[ "$hdr" != '{"alg":"ES256","typ":"at+jwt",'* ]]; then
    fail_case "no ES256 at+jwt access token"; return
  fi
  # Every response must carry a token whose header starts {"alg":"ES256","typ":"at+jwt", ;
  # 40 base64url characters encode 30 bytes, all inside that fixed prefix.
  prefix="$(b64url '{"alg":"ES256","typ":"at+jwt",' | cut -c1-40)"
  export WRK_EXPECT="\"access_token\":\"$prefix"
  run_wrk cc_jwt /token
}

case_cc_opaque() {
  local at
  echo "-- cc_opaque: POST /token client_credentials as $OPAQUE_CLIENT -> opaque access token (stored in $DB)"
  WRK_AUTH="$(basic_auth "$OPAQUE_CLIENT" "$SECRET")"
  export WRK_METHOD=POST WRK_AUTH WRK_BODY="grant_type=client_credentials&scope=api%3Aread"
  sample POST /token "$WRK_BODY" "$WRK_AUTH"; show_sample
  at="$(jq -r '.access_token // empty' <<<"$SAMPLE_BODY" 2>/dev/null || true)"
  if [ "$SAMPLE_STATUS" != 200 ] || [ -z "$at" ] || [[ "$at" == *.* ]]; then
    fail_case "no opaque access token"; return
  fi
  export WRK_EXPECT='"token_type":"Bearer"' WRK_REJECT='"access_token":"eyJ'
  run_wrk cc_opaque /token
}

case_introspect() {
  local tok auth url
  echo "-- introspect: POST /introspect of an opaque token issued just before, by its own client ($OPAQUE_CLIENT)"
  auth="$(basic_auth "$OPAQUE_CLIENT" "$SECRET")"
  sample POST /token "grant_type=client_credentials&scope=api%3Aread" "$auth"
  tok="$(jq -r '.access_token // empty' <<<"$SAMPLE_BODY" 2>/dev/null || true)"
  [ -n "$tok" ] || { show_sample; fail_case "could not get a token to introspect"; return; }
  # Opaque tokens are URL-safe (sat_ + base64url), so the form body needs no escaping;
  # token_type_hint as the anchor sends it.
  export WRK_METHOD=POST WRK_AUTH="$auth" WRK_BODY="token=$tok&token_type_hint=access_token"
  # The token comes from the first node; every node must find it in the shared database.
  for url in "${NODE_URLS[@]}"; do
    BASE="$url" sample POST /introspect "$WRK_BODY" "$auth"; show_sample
    if [ "$SAMPLE_STATUS" != 200 ] || [ "$(jq -r .active <<<"$SAMPLE_BODY")" != true ]; then
      fail_case "token not active at $url"; return
    fi
  done
  export WRK_EXPECT='"active":true'
  run_wrk introspect /introspect
  sample POST /introspect "$WRK_BODY" "$auth"
  [ "$(jq -r .active <<<"$SAMPLE_BODY" 2>/dev/null || true)" = true ] || fail_case "token no longer active after the run"
}

run_cases() {
  for CASE in $CASES; do
    export WRK_METHOD=GET WRK_BODY="" WRK_AUTH="" WRK_EXPECT="" WRK_REJECT=""
    case "$CASE" in
      discovery|jwks|cc_jwt|cc_opaque|introspect) "case_$CASE" ;;
      *) die "unknown case $CASE" ;;
    esac
  done
}

print_sesame_table() {
  local c
  echo
  echo "Sesame $("$SESAME_BIN" --version 2>/dev/null | awk '{print $2}'), $DB, $NODES node(s), wrk -t$THREADS -c$CONNECTIONS -d$DURATION (after $WARMUP warm-up), $(date -u +%Y-%m-%dT%H:%MZ), load average before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "| case       |     req/s |  p50 ms |  p99 ms | requests | srv CPU s | CPU us/req | PG CPU us/req | RSS MiB | >=400 |  bad | sock err |"
  echo "|------------|-----------|---------|---------|----------|-----------|------------|---------------|---------|-------|------|----------|"
  for c in $CASES; do echo "${ROW[$c]:-| $c | failed | | | | | | | | | | |}"; done
  echo "idle RSS: $(mib "$IDLE_START_KB") MiB after start, $(mib "$IDLE_KB") MiB after a short warm-up;" \
    "peak RSS: VmHWM $(mib "$HWM_KB") MiB, largest VmRSS read after a case $(mib "$MAX_RSS_KB") MiB (VmHWM can lag a little);" \
    "OS threads: $THREADS_AT_END; database size: $(database_size);" \
    "error lines in the server log(s): $(cat "${SERVER_LOGS[@]}" | grep -ciE 'error|panic' || true)"
  echo "(srv CPU s = user+sys of all server threads during the measured run; CPU us/req = srv CPU / requests;"
  echo " PG CPU us/req = the same for the PostgreSQL server processes; with several nodes, CPU adds up over them,"
  echo " RSS and threads are the largest node's, req/s and requests add up over the wrk runs, p50/p99 are the worst one's)"
  echo "server CPU by thread name during each run:"
  for c in $CASES; do printf '  %-10s %s\n' "$c" "${SPLIT[$c]:-}"; done
}

# ------------------------------------------------------------------ signing micro-benchmark

# Criterion prints "thrpt:  [low mid high]" with units elem/s, Kelem/s, Melem/s; the middle value,
# in elem/s, for one benchmark id.
criterion_rate() {
  awk -v id="$1" '
    $1 == id { found = 1 }
    found && /thrpt:/ {
      sub(/.*\[/, ""); v = $3; u = $4
      m = (u ~ /^Kelem/) ? 1e3 : (u ~ /^Melem/) ? 1e6 : (u ~ /^Gelem/) ? 1e9 : 1
      printf "%.0f", v * m; exit
    }' "$2"
}

run_signing() {
  RAW_ES256=""
  [ "$SIGNING" = 1 ] || { note "signing micro-benchmark skipped (SIGNING=0)"; return; }
  note "cargo bench --bench signing -- --noplot (single core, server stopped)"
  local out="$RESULTS_DIR/signing.txt" id
  (cd "$REPO" && timeout -k 5 600 cargo bench --quiet --bench signing -- --noplot) >"$out" 2>&1 \
    || { tail -20 "$out" >&2; FAILED="$FAILED signing"; return; }
  for id in signing/es256_raw_aws_lc_rs signing/ES256_access_token_jwt signing/EdDSA_access_token_jwt signing/RS256_access_token_jwt; do
    printf '   %-34s %9s signatures/s\n' "$id" "$(criterion_rate "$id" "$out")"
  done
  RAW_ES256="$(criterion_rate signing/es256_raw_aws_lc_rs "$out")"
  JWT_ES256="$(criterion_rate signing/ES256_access_token_jwt "$out")"
  echo "raw ES256 single-core rate: $RAW_ES256 signatures/s ($(awk -v r="$RAW_ES256" 'BEGIN{printf "%.1f", 1e6/r}') us each);" \
    "through Sesame's JWT path: $JWT_ES256/s"
}

# ------------------------------------------------------------------ the anchor, back to back

run_anchor() {
  if [ "${ANCHOR:-}" = "" ]; then
    if [ -f "$OIDC_ANCHOR_DIR/node_modules/oidc-provider/package.json" ]; then ANCHOR=1; else ANCHOR=0; fi
  fi
  if [ "$ANCHOR" != 1 ]; then
    note "anchor skipped (ANCHOR=0, or not installed in $OIDC_ANCHOR_DIR: run $ANCHOR_SRC/install.sh)"
    return
  fi
  local port; port="${ANCHOR_PORT:-$(free_port)}"
  note "anchor: oidc-provider bench.sh on port $port (same THREADS/CONNECTIONS/DURATION/WARMUP)"
  # Its own limit: 5 cases x (warm-up + run) plus smoke test and start-up, generously.
  local limit=$(( 5 * ( $(seconds_of "$DURATION") + $(seconds_of "$WARMUP") + 40 ) + 120 ))
  if ! CASES="$CASES" PORT="$port" THREADS="$THREADS" CONNECTIONS="$CONNECTIONS" DURATION="$DURATION" WARMUP="$WARMUP" \
      OIDC_ANCHOR_DIR="$OIDC_ANCHOR_DIR" RESULTS_DIR="$RESULTS_DIR/anchor" WRK_CHECK="$WRK_CHECK" \
      timeout -k 10 "$limit" "$ANCHOR_SRC/bench.sh" 2>&1 | tee "$RESULTS_DIR/anchor.txt"; then
    # The anchor's own failures are the reference's problem, not Sesame's: its cases that
    # failed are marked with * in the ratios; only a run that printed no table fails ours.
    ANCHOR_FAILED="$(sed -n 's/^FAILED cases://p' "$RESULTS_DIR/anchor.txt" | tail -1)"
    echo "   WARNING: the anchor's bench.sh failed (cases:${ANCHOR_FAILED:- none named}); see $RESULTS_DIR/anchor.txt" >&2
    grep -q '^| discovery \|^| jwks \|^| cc_' "$RESULTS_DIR/anchor.txt" || FAILED="$FAILED anchor"
  fi
}

# The anchor's table: | case | req/s | p50 | p99 | requests | srv CPU s | JS thread s | CPU us/req | ...
anchor_field() { awk -F'|' -v c="$1" -v f="$2" '{g=$2; gsub(/ /,"",g)} g==c {v=$f; gsub(/ /,"",v); print v; exit}' "$RESULTS_DIR/anchor.txt"; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a+0>0 && b+0>0) printf "%.1f", a/b; else print "-" }'; }

print_ratios() {
  [ -f "$RESULTS_DIR/anchor.txt" ] || return 0
  local c a_rps a_cpu mark
  echo
  echo "Sesame / oidc-provider (back to back, same machine and wrk settings)"
  echo "| case       | Sesame req/s | oidc-provider req/s | req/s ratio | Sesame CPU us/req | oidc-provider CPU us/req | CPU/req ratio (anchor / Sesame) |"
  echo "|------------|--------------|---------------------|-------------|-------------------|--------------------------|---------------------------------|"
  for c in $CASES; do
    a_rps="$(anchor_field "$c" 3)"; a_cpu="$(anchor_field "$c" 9)"
    mark=""; [[ " ${ANCHOR_FAILED:-} " == *" $c "* ]] && mark="*"
    printf '| %-10s | %12s | %19s | %10sx | %17s | %24s | %30sx |\n' "$c$mark" "${RPS[$c]:--}" "${a_rps:--}" \
      "$(ratio "${RPS[$c]:-0}" "${a_rps:-0}")" "${CPU_US[$c]:--}" "${a_cpu:--}" "$(ratio "${a_cpu:-0}" "${CPU_US[$c]:-0}")"
  done
  echo "anchor: $(grep -m1 '^server peak RSS' "$RESULTS_DIR/anchor.txt" || echo 'no summary line')"
  [ -z "${ANCHOR_FAILED:-}" ] || echo "* the anchor's own checks failed for this case (>=400 or bad bodies on its side); see its output above"
}

# ------------------------------------------------------------------ targets (informative)

print_targets() {
  local c worst_ratio="" worst_p99="" tok_rps
  echo
  echo "Targets"
  if [ -f "$RESULTS_DIR/anchor.txt" ]; then
    worst_ratio="$(for c in $CASES; do ratio "${RPS[$c]:-0}" "$(anchor_field "$c" 3)"; echo; done | sort -g | head -1)"
    echo "  >= 5x oidc-provider req/s on every case: lowest ratio ${worst_ratio}x -> $(awk -v r="$worst_ratio" 'BEGIN{print (r+0>=5) ? "met" : "NOT met"}')"
  fi
  if [ -n "${RAW_ES256:-}" ] && [ -n "${RPS[cc_jwt]:-}" ]; then
    tok_rps="${RPS[cc_jwt]}"
    echo "  cc_jwt >= half the raw ES256 rate: $tok_rps req/s vs $RAW_ES256/2 = $(( RAW_ES256 / 2 ))" \
      "($(awk -v a="$tok_rps" -v b="$RAW_ES256" 'BEGIN{printf "%.2f", a/b}') of raw) ->" \
      "$(awk -v a="$tok_rps" -v b="$RAW_ES256" 'BEGIN{print (a >= b/2) ? "met" : "NOT met"}')"
  fi
  worst_p99="$(for c in $CASES; do echo "${P99[$c]:-999999}"; done | sort -g | tail -1)"
  echo "  p99 < 5 ms at $CONNECTIONS connections: worst p99 $worst_p99 ms -> $(awk -v p="$worst_p99" 'BEGIN{print (p<5) ? "met" : "NOT met"}')"
  echo "  idle RSS < 20 MB: $(mib "$IDLE_KB") MiB ($(awk -v k="$IDLE_KB" 'BEGIN{printf "%.1f", k*1024/1e6}') MB) -> $(awk -v k="$IDLE_KB" 'BEGIN{print (k*1024<20e6) ? "met" : "NOT met"}')"
}

# ------------------------------------------------------------------ main

main() {
  check_tools
  PORT="${PORT:-$(free_port)}"
  if port_in_use "$PORT"; then die "port $PORT on 127.0.0.1 is already in use; set PORT"; fi
  BASE="http://127.0.0.1:$PORT"
  case "$NODES" in ''|*[!0-9]*|0) die "NODES must be a positive number, not '$NODES'" ;; esac
  [ $(( CONNECTIONS % NODES )) = 0 ] || die "CONNECTIONS ($CONNECTIONS) must be a multiple of NODES ($NODES)"
  WRK_CONNECTIONS=$(( CONNECTIONS / NODES ))
  WRK_THREADS=$(( THREADS / NODES )); [ "$WRK_THREADS" -ge 1 ] || WRK_THREADS=1
  build

  trap cleanup EXIT
  trap 'cleanup; exit 130' INT TERM
  create_database
  start_servers
  IDLE_START_KB="$(proc_status VmRSS)"
  short_warmup
  IDLE_KB="$(proc_status VmRSS)"
  note "$SESAME_BIN on $DB ($DATABASE_URL): $NODES node(s), pid ${SERVER_PIDS[*]} on ${NODE_URLS[*]}; idle RSS $(mib "$IDLE_KB") MiB"
  LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
  note "wrk: $NODES x (threads=$WRK_THREADS connections=$WRK_CONNECTIONS) duration=$DURATION warmup=$WARMUP check=$WRK_CHECK; $(nproc) CPUs, load average $LOAD_BEFORE; server cpus=${SERVER_CPUS:-any} wrk cpus=${WRK_CPUS:-any}"
  note "results dir: $RESULTS_DIR"

  run_cases
  HWM_KB="$(proc_status VmHWM)"
  THREADS_AT_END="$(proc_status Threads)"
  print_sesame_table | tee "$RESULTS_DIR/sesame.txt"
  # Stopped before the anchor and the micro-benchmark, so neither shares the machine with it.
  cleanup

  run_anchor
  run_signing
  print_ratios | tee -a "$RESULTS_DIR/sesame.txt"
  print_targets | tee -a "$RESULTS_DIR/sesame.txt"

  if [ -n "$FAILED" ]; then
    echo "FAILED:$FAILED" >&2
    exit 1
  fi
}

main "$@"
