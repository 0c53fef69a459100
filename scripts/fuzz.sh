#!/usr/bin/env bash
# Runs every fuzz target for a bounded time: `scripts/fuzz.sh [seconds per target] [target...]`.
# Stable Rust without a sanitizer (`-s none`), so no nightly is needed. New inputs go to a
# temporary directory, never into fuzz/corpus (the seeds kept in the repository); a crash
# leaves its input in fuzz/artifacts/<target>/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
shift || true
if ! command -v cargo-fuzz >/dev/null; then
  cargo install cargo-fuzz --locked --version 0.13.2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi
# Built once; the binaries then run directly (`cargo fuzz run` would check the build again
# for every target).
cargo fuzz build -s none --fuzz-dir fuzz
bin="fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in "${targets[@]}"; do
  echo "== fuzz $target (${seconds}s)"
  mkdir -p "$scratch/$target" "fuzz/artifacts/$target"
  if ! "$bin/$target" "$scratch/$target" "fuzz/corpus/$target" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$target/" >"$scratch/$target.log" 2>&1; then
    tail -n 40 "$scratch/$target.log" >&2
    echo "fuzz target $target crashed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E "^(Done|stat::number_of_executed_units)" "$scratch/$target.log" || true
done
