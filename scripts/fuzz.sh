#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) into build-fuzz and runs
# each for SECONDS (default 20) over its seed corpus in tests/fuzz/corpus/.
# New inputs go to a scratch directory, not the repository; a crash stops
# the run with the input saved under $work (add it to the corpus as a
# regression input once fixed).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
CC=clang scripts/build.sh build-fuzz -DPAGODA_FUZZ=ON -DPAGODA_E2E=OFF >/dev/null
work=$(mktemp -d /tmp/pagoda-fuzz-XXXXXX)
for t in router task template acme pem pattern range unpack; do
  mkdir -p "$work/$t"
  echo "== fuzz_$t ($secs s)"
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
    build-fuzz/tests/fuzz/fuzz_$t -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$work/$t-" -print_final_stats=1 "$work/$t" "tests/fuzz/corpus/$t" 2>"$work/$t.log" ||
    { tail -60 "$work/$t.log"; echo "fuzz_$t failed; input and log in $work"; exit 1; }
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$t.log" | tr '\n' ' '
  echo
done
rm -rf "$work"
