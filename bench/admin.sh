#!/usr/bin/env bash
# The admin API at 100,000 users: a first page, a deep page by cursor, a search that finds many,
# a search that finds one (a scan), and one user by id, each with wrk on 127.0.0.1.
#
# Run from the repository root:  bench/admin.sh            (SQLite)
#                                 DB=postgres bench/admin.sh
# Variables (defaults):
#   DB          sqlite          sqlite or postgres (a fresh database, dropped at the end)
#   USERS       100000          users inserted before the run
#   DURATION    10s             wrk run per case; CONNECTIONS 4, THREADS 2
#   BUILD       1               cargo build --release first (0: use SESAME_BIN as is)
#   SESAME_BIN  target/release/sesame
#   PGHOST PGPORT PGUSER        127.0.0.1 5432 postgres
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
DB="${DB:-sqlite}"
USERS="${USERS:-100000}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-4}"
THREADS="${THREADS:-2}"
BUILD="${BUILD:-1}"
SESAME_BIN="${SESAME_BIN:-$REPO/target/release/sesame}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
SECRET=bench-admin-secret-bench-admin-secret-01
DIR="$(mktemp -d /tmp/sesame-admin.XXXXXX)"
die() { echo "bench/admin.sh: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"

if [ "$BUILD" = 1 ]; then (cd "$REPO" && cargo build --release --locked); fi
PG_DB=""
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  [ -n "$PG_DB" ] && dropdb --if-exists "$PG_DB" 2>/dev/null || true
}
trap cleanup EXIT
case "$DB" in
  sqlite) DATABASE_URL="sqlite://$DIR/sesame.db" ;;
  postgres)
    PG_DB="sesame_admin_bench_$$"
    createdb "$PG_DB" || die "createdb failed (PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER)"
    DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$PG_DB" ;;
  *) die "DB must be sqlite or postgres" ;;
esac
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
cat > "$DIR/sesame.toml" <<TOML
issuer = "$BASE"
listen = "127.0.0.1:$PORT"
database_url = "$DATABASE_URL"
log_level = "warn"

[[clients]]
client_id = "bench-ops"
client_secret = "$SECRET"
admin = true
grant_types = ["client_credentials"]
scope = "sesame:admin"
TOML

"$SESAME_BIN" migrate --config "$DIR/sesame.toml" >/dev/null
# One statement both databases accept: users user1..userN with an email and a name.
SEED="WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $USERS)
INSERT INTO users (id, username, password_hash, disabled, claims, created_at, updated_at, email)
SELECT 'usr_bench' || i, 'user' || i, NULL, false,
       '{\"email\":\"user' || i || '@bench.example\",\"name\":\"User ' || i || '\"}',
       1700000000, 1700000000, 'user' || i || '@bench.example' FROM n"
started=$(date +%s)
if [ "$DB" = sqlite ]; then
  python3 - "$DIR/sesame.db" "$SEED" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); db.execute(sys.argv[2]); db.commit()
PY
else
  psql -q -d "$PG_DB" -c "$SEED" -c "ANALYZE users"
fi
echo "seeded $USERS users on $DB in $(( $(date +%s) - started )) s"

"$SESAME_BIN" serve --config "$DIR/sesame.toml" > "$DIR/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
TOKEN="$(curl -sf -u "bench-ops:$SECRET" -d grant_type=client_credentials "$BASE/token" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
DEEP="$(python3 -c 'import base64; print(base64.urlsafe_b64encode(b"user50000").decode().rstrip("="))')"

run() { # name path
  local out
  curl -sf -H "Authorization: Bearer $TOKEN" "$BASE$2" >/dev/null || die "$1: $2 did not answer 200"
  out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
    -H "Authorization: Bearer $TOKEN" "$BASE$2")"
  printf '%-14s %10s req/s   p50 %8s   p99 %8s\n' "$1" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" \
    "$(awk '$1 == "99%" {print $2}' <<<"$out")"
}
echo "admin API on $DB, $USERS users, wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
run first_page "/admin/v1/users?limit=50"
run deep_page "/admin/v1/users?limit=50&after=$DEEP"
run search_many "/admin/v1/users?limit=50&search=bench.example"
run search_one "/admin/v1/users?limit=50&search=user99999@"
run one_user "/admin/v1/users/usr_bench77777"
