#!/usr/bin/env bash
# The store comparison: bench.sh on SQLite with one node, on PostgreSQL with one node, and on
# PostgreSQL with two nodes (two `sesame serve` on one database, one wrk per node at the same
# time), then one table of all the runs.
#
# Run from the repository root:  bench/stores.sh
#
# Variables (defaults); the others (THREADS, CONNECTIONS, DURATION, WARMUP, PGHOST...) reach bench.sh as they are:
#   CONFIGS      "sqlite:1 postgres:1 postgres:2"   DB:NODES pairs, in this order
#   RUNS         1                                  rounds over CONFIGS; interleaved, so that a change in
#                                                   the machine's load touches every configuration alike
#   CASES        "cc_jwt cc_opaque introspect"      cc_jwt does not touch the database: a reference
#   BUILD        as in bench.sh                     applies to the first run; the later ones reuse its binary
#   RESULTS_DIR  mktemp -d                          one bench.sh results dir per run, DB-NODES.RUN
#
# SQLite with two nodes is left out on purpose: two processes on one SQLite file is not a
# supported deployment (bench.sh refuses it). No anchor and no signing micro-benchmark here.
# The exit status is 1 if any run failed (a response >= 400, a bad body, a case that could not run).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CONFIGS="${CONFIGS:-sqlite:1 postgres:1 postgres:2}"
RUNS="${RUNS:-1}"
RESULTS_DIR="${RESULTS_DIR:-$(mktemp -d /tmp/sesame-stores.XXXXXX)}"
export CASES="${CASES:-cc_jwt cc_opaque introspect}" ANCHOR=0 SIGNING=0
CHILD=""
FAILED=""

# bench.sh runs in the background so that a signal here reaches it at once; it stops its own
# servers and wrk runs and drops its database on TERM.
trap '[ -z "$CHILD" ] || kill -TERM "$CHILD" 2>/dev/null; wait; exit 130' INT TERM

# run_one DB NODES RUN: one bench.sh run into RESULTS_DIR/DB-NODES.RUN.
run_one() {
  local dir="$RESULTS_DIR/$1-$2.$3" rc=0
  echo "=== $1, $2 node(s), run $3: $dir"
  DB="$1" NODES="$2" RESULTS_DIR="$dir" "$HERE/bench.sh" >"$dir.log" 2>&1 &
  CHILD=$!
  wait "$CHILD" || rc=$?
  CHILD=""
  grep -E '^(-- |   wrk:|   FAILED|bench:)' "$dir.log" || true
  [ "$rc" = 0 ] || { echo "=== FAILED (exit $rc), see $dir.log" >&2; FAILED="$FAILED $1-$2.$3"; }
  export BUILD=0
}

# The rows of every run's sesame.txt (written by bench.sh) as one table, and its load averages.
summary() {
  local run cfg dir
  echo
  echo "Sesame by store and number of nodes: wrk -c${CONNECTIONS:-32} -d${DURATION:-10s} in total," \
    "$(nproc) CPUs shared by wrk, Sesame and PostgreSQL"
  echo "| store, nodes | run | case | req/s | p50 ms | p99 ms | Sesame CPU µs/req | PostgreSQL CPU µs/req | >=400 / bad / socket errors |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for run in $(seq 1 "$RUNS"); do
    for cfg in $CONFIGS; do
      dir="$RESULTS_DIR/${cfg%:*}-${cfg#*:}.$run"
      [ -f "$dir/sesame.txt" ] || { echo "| ${cfg%:*}, ${cfg#*:} | $run | (no result, see $dir.log) |"; continue; }
      awk -F'|' -v cfg="${cfg%:*}, ${cfg#*:}" -v run="$run" '
        function t(s) { gsub(/ /, "", s); return s }
        /^\| / && t($2) != "case" && t($2) !~ /^-/ {
          printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s |\n", cfg, run, t($2), t($3), t($4), t($5),
            t($8), t($9), t($11), t($12), t($13)
        }' "$dir/sesame.txt"
    done
  done
  echo
  echo "load average (1, 5, 15 min) before and after each run's cases:"
  for run in $(seq 1 "$RUNS"); do
    for cfg in $CONFIGS; do
      dir="$RESULTS_DIR/${cfg%:*}-${cfg#*:}.$run"
      printf '  %-12s run %s: %s\n' "${cfg%:*}, ${cfg#*:}" "$run" \
        "$(sed -n 's/.*load average \(before .*\)/\1/p' "$dir/sesame.txt" 2>/dev/null | head -1)"
    done
  done
}

main() {
  local run cfg
  mkdir -p "$RESULTS_DIR"
  for run in $(seq 1 "$RUNS"); do
    for cfg in $CONFIGS; do
      run_one "${cfg%:*}" "${cfg#*:}" "$run"
    done
  done
  summary | tee "$RESULTS_DIR/stores.txt"
  echo "results: $RESULTS_DIR"
  if [ -n "$FAILED" ]; then
    echo "FAILED:$FAILED" >&2
    exit 1
  fi
}

main "$@"
