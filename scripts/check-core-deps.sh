#!/usr/bin/env bash
# The dependency rule (ARCHITECTURE.md): the protocol core knows nothing of HTTP, SQL or the
# async runtime. Fails if sesame-core's normal dependency tree contains any of them.
set -euo pipefail
cd "$(dirname "$0")/.."

forbidden='^(axum|axum-core|hyper|http|sqlx|sqlx-core|tokio) '
tree="$(cargo tree -p sesame-core -e normal --prefix none --locked)"
if offenders="$(printf '%s\n' "$tree" | grep -E "$forbidden" | sort -u)" && [ -n "$offenders" ]; then
  echo "sesame-core must not depend on HTTP, SQL or tokio crates, but its tree has:" >&2
  printf '  %s\n' "$offenders" >&2
  exit 1
fi
echo "dependency rule holds: sesame-core has no axum, hyper, http, sqlx or tokio"
