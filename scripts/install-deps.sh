#!/usr/bin/env bash
# Installs the Debian packages Pagoda builds and tests with. Idempotent:
# does nothing when everything is present already.
set -euo pipefail
PACKAGES=(
  build-essential cmake pkg-config patch dpkg-dev clang-format
  libmicrohttpd-dev libgnutls28-dev libsqlite3-dev libjansson-dev libcurl4-openssl-dev libssl-dev
  liblua5.4-dev lua-cjson lua-cjson-dev libcmocka-dev libyaml-dev libinih-dev libarchive-dev
  python3 python3-prometheus-client python3-yaml python3-jsonschema sqlite3 curl ca-certificates iproute2 procps nginx-light openssl
  systemd pebble postgresql libpq-dev clang libclang-rt-14-dev chromium chromium-driver
  prometheus python3-aiosmtpd bind9 bind9-dnsutils fonts-wqy-microhei
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The console's browser test drives Debian's chromium with playwright-core, and
# openapi_lint runs Redocly's linter: both from npm (tests/ui/package-lock.json
# pins them). Without node and npm those
# tests are skipped, so the rest of the suite still runs.
if command -v npm >/dev/null && [ ! -f tests/ui/node_modules/.package-lock.json -o \
     tests/ui/package-lock.json -nt tests/ui/node_modules/.package-lock.json ]; then
  (cd tests/ui && npm ci --no-audit --no-fund --loglevel=error)
fi
