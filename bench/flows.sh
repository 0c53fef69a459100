#!/usr/bin/env bash
# Sign-in throughput on 127.0.0.1: full authorization-code + PKCE rounds per second (authorize →
# login page → password → consent remembered → token), the same with a live session (no password
# hashing), and refresh-token grants per second. Driven by bench/flows.mjs (Node, no packages).
#
# Run from the repository root:  bench/flows.sh
# Variables (defaults):
#   SECONDS_PER_MODE 10        measured seconds per mode
#   CONCURRENCY      8         concurrent simulated users
#   MODES            "login sso refresh"
#   BUILD            1         cargo build --release first (0: use SESAME_BIN as is)
#   SESAME_BIN       target/release/sesame
#   RESULTS_DIR      mktemp -d config, database, server log
# The argon2id cost per login is measured separately: cargo bench --bench signing -- password.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SECONDS_PER_MODE="${SECONDS_PER_MODE:-10}"
CONCURRENCY="${CONCURRENCY:-8}"
MODES="${MODES:-login sso refresh}"
BUILD="${BUILD:-1}"
SESAME_BIN="${SESAME_BIN:-$REPO/target/release/sesame}"
RESULTS_DIR="${RESULTS_DIR:-$(mktemp -d /tmp/sesame-flows.XXXXXX)}"
SECRET=bench-secret-bench-secret-bench-secret-0123
PASSWORD=bench-password-0123

if [ "$BUILD" = 1 ]; then (cd "$REPO" && cargo build --release --locked); fi
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
ISSUER="http://127.0.0.1:$PORT"
cat > "$RESULTS_DIR/sesame.toml" <<TOML
issuer = "$ISSUER"
listen = "127.0.0.1:$PORT"
database_url = "sqlite://$RESULTS_DIR/sesame.db"
log_level = "warn"

[[clients]]
client_id = "bench-web"
client_secret = "$SECRET"
client_name = "Benchmark web app"
redirect_uris = ["http://127.0.0.1/cb"]
grant_types = ["authorization_code", "refresh_token"]
scope = "openid offline_access"

TOML
# One user per simulated user: eight sign-ins at once to one account are what the per-account
# throttle exists to stop (it counts attempts before checking them), not what users do.
for i in $(seq 1 "$CONCURRENCY"); do
  printf '\n[[users]]\nusername = "bench-%s"\npassword = "%s"\n' "$i" "$PASSWORD" >> "$RESULTS_DIR/sesame.toml"
done

"$SESAME_BIN" serve --config "$RESULTS_DIR/sesame.toml" > "$RESULTS_DIR/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "$ISSUER/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

echo "== sesame $(git -C "$REPO" rev-parse --short HEAD), $(nproc) cores, concurrency $CONCURRENCY, ${SECONDS_PER_MODE}s per mode"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
for mode in $MODES; do
  before="$(cpu_ticks)"
  node "$HERE/flows.mjs" "$(printf '{"issuer":"%s","client_id":"bench-web","client_secret":"%s","redirect_uri":"http://127.0.0.1/cb","username":"bench","password":"%s","mode":"%s","seconds":%s,"concurrency":%s}' \
    "$ISSUER" "$SECRET" "$PASSWORD" "$mode" "$SECONDS_PER_MODE" "$CONCURRENCY")" | tee "$RESULTS_DIR/$mode.json"
  rounds="$(sed -n 's/.*"rounds":\([0-9]*\).*/\1/p' "$RESULTS_DIR/$mode.json")"
  ticks=$(( $(cpu_ticks) - before ))
  # Server CPU per round (utime+stime in clock ticks), the client's share of the cores aside.
  awk -v t="$ticks" -v r="$rounds" -v hz="$(getconf CLK_TCK)" -v m="$mode" \
    'BEGIN { if (r > 0) printf "   %s: server CPU %.2f ms per round\n", m, t * 1000 / hz / r }'
done
echo "== peak RSS $(awk '/VmHWM/ {print $2, $3}' /proc/$SERVER/status); results in $RESULTS_DIR"
