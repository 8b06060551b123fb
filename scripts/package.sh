#!/usr/bin/env bash
# Builds the Debian packages into ${1:-build-pkg}/packages: pagoda-server
# (pagodad, pagoda-lua, unit, config, and the agent package it serves to
# joining machines), pagoda-agent and pagoda-cli. Extra cmake arguments
# follow the directory (-DPAGODA_VERSION=0.2.1 builds another version).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-pkg}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr -DPAGODA_E2E=OFF "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
rm -rf "$dir/agent-packages" "$dir/packages" && mkdir -p "$dir/agent-packages" "$dir/packages"
(cd "$dir" && cpack -G DEB -D CPACK_COMPONENTS_ALL="agent;cli" >/dev/null)
cp "$dir"/pagoda-agent_*.deb "$dir/agent-packages/"
(cd "$dir" && cpack -G DEB -D CPACK_COMPONENTS_ALL=server >/dev/null)
mv "$dir"/pagoda-*.deb "$dir/packages/"
ls -1 "$dir/packages"
