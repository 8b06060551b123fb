#!/usr/bin/env bash
# Runs every test: unit (cmocka) and end-to-end (real pagodad and agents),
# once on a normal build and once on an ASan+UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
(cd build && ctest --output-on-failure -j2)
scripts/build.sh build-asan -DPAGODA_SANITIZE=ON
(cd build-asan && ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j2)
