#!/usr/bin/env bash
# Runs every test: unit (cmocka), Lua, and end-to-end (real pagodad and
# agents) on a normal build against both stores (SQLite, and PostgreSQL in a
# throwaway cluster), then unit, Lua and SQLite end-to-end on an ASan+UBSan
# build (less the scale and browser tests, label no_sanitizer), then the
# libFuzzer targets (tests/fuzz) for a bounded time each.
# The Debian packages are built first (scripts/package.sh): the packaging
# test installs them on fresh test nodes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# the format is enforced: `git ls-files '*.c' '*.h' | xargs clang-format -i` fixes it
git ls-files '*.c' '*.h' | xargs clang-format --dry-run -Werror
scripts/build.sh build
scripts/package.sh build-pkg >/dev/null
export PAGODA_PACKAGES=$PWD/build-pkg/packages
# the same tree as another version, for the agent-upgrade test
version=$(sed -n 's/^project(pagoda VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
scripts/package.sh build-pkg-next -DPAGODA_VERSION="$version+test1" >/dev/null
export PAGODA_PACKAGES_NEXT=$PWD/build-pkg-next/packages
pgdir=$(mktemp -d /tmp/pagoda-pg-XXXXXX)
trap 'scripts/pg-test.sh stop "$pgdir"' EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PAGODA_TEST_PG_URL=$(scripts/pg-test.sh start "$pgdir" "$port")
(cd build && ctest --output-on-failure -j2)
scripts/build.sh build-asan -DPAGODA_SANITIZE=ON
# (the packaging test runs once, above: its programs are the packages')
(cd build-asan && env -u PAGODA_PACKAGES -u PAGODA_PACKAGES_NEXT ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j2 -LE 'e2e_pg|no_sanitizer')
# libFuzzer: every target for a bounded time over its corpus (crashes fail)
scripts/fuzz.sh "${PAGODA_FUZZ_SECONDS:-10}"
