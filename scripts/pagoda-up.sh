#!/usr/bin/env bash
# Sets up and runs Pagoda on this machine.
#
# As root where network namespaces, systemd and nginx are available (a
# Debian machine with the packages install-deps.sh installs): pagodad with
# the embedded SQLite store and three sandbox machines (namespaces with
# systemd as PID 1, nginx and a root filesystem of their own), each joined
# with the one-line installer, and an example deployed: a SystemdService on
# two of them and a ReverseProxy in front (scripts/pagoda-sandbox.py).
# Ctrl-C, or `scripts/pagoda-up.sh --down` from another shell, removes it.
#
# Elsewhere, or with --local: pagodad on 127.0.0.1:8080 with its data in
# ./run/data, plus a local pagoda-agent enrolled as node "local" writing
# below ./run/node (its --root: it touches nothing of the system and runs no
# systemd task). Ctrl-C stops both; running it again reuses the data.
#
# PAGODA_UP_NO_BUILD=1 uses the binaries in build/ as they are (tests).
set -euo pipefail
cd "$(dirname "$0")/.."
LISTEN=${PAGODA_LISTEN:-127.0.0.1:8080}
RUN=${PAGODA_RUN_DIR:-$PWD/run}
mode=sandbox
case "${1:-}" in
--down) exec python3 scripts/pagoda-sandbox.py --run-dir "$RUN" --down --pagodad x --cli x --packages x ;;
--local) mode=local ;;
--check) mode=check ;; # sandbox: deploy, check the answer, tear down (CI)
"") ;;
*) echo "usage: scripts/pagoda-up.sh [--local | --down | --check]" >&2; exit 2 ;;
esac
if [ -z "${PAGODA_UP_NO_BUILD:-}" ]; then
  scripts/install-deps.sh
  scripts/build.sh build
fi
if [ "$mode" != local ]; then
  why=
  [ "$(id -u)" = 0 ] || why="not root"
  command -v unshare >/dev/null && [ -x /lib/systemd/systemd ] && command -v nginx >/dev/null ||
    why=${why:-"no unshare, systemd or nginx"}
  ip netns list >/dev/null 2>&1 || why=${why:-"network namespaces are not available"}
  if [ -n "$why" ]; then
    [ "$mode" = check ] && { echo "pagoda-up: no sandbox here ($why)" >&2; exit 1; }
    echo "pagoda-up: no sandbox machines here ($why): running pagodad with a local agent instead;" >&2
    echo "pagoda-up: that agent runs with --root, so it takes no SystemdService (see README.md)" >&2
    mode=local
  fi
fi
if [ "$mode" != local ]; then
  packages=${PAGODA_PACKAGES:-}
  if [ -z "$packages" ]; then
    echo "pagoda-up: building the agent package the sandbox machines install"
    scripts/package.sh build-pkg >/dev/null
    packages=$PWD/build-pkg/packages
  fi
  extra=()
  [ "$mode" = check ] && extra=(--check)
  exec python3 scripts/pagoda-sandbox.py --run-dir "$RUN" --pagodad "${PAGODAD:-$PWD/build/core/pagodad}" \
    --cli "${PAGODA_CLI:-$PWD/build/cli/pagoda}" --packages "$packages" "${extra[@]}"
fi
mkdir -p "$RUN/agent"
chmod 700 "$RUN"

./build/core/pagodad --listen "$LISTEN" --data-dir "$RUN/data" &
PAGODAD=$!
AGENT=
trap 'kill $AGENT $PAGODAD 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
URL="http://$LISTEN"
for _ in $(seq 50); do
  curl -fs "$URL/healthz" >/dev/null && break
  kill -0 $PAGODAD 2>/dev/null || { echo "pagodad did not start (port in use?)" >&2; exit 1; }
  sleep 0.1
done
ADMIN=$(cat "$RUN/data/admin.token")
api() { curl -fsS -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' "$@"; }

# Enrol the local node once; on later runs reuse it (rotating a lost token).
if [ ! -s "$RUN/agent/node.json" ]; then
  api -X POST "$URL/admin/nodes" -d '{"name":"local","ip":"127.0.0.1","labels":{"role":"local"}}' \
    > "$RUN/agent/node.json"
fi
NODE_ID=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["id"])' "$RUN/agent/node.json")
if [ ! -s "$RUN/agent/token" ]; then
  if grep -q '"token"' "$RUN/agent/node.json"; then
    python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["token"])' "$RUN/agent/node.json" > "$RUN/agent/token"
  else
    api -X POST "$URL/admin/nodes/$NODE_ID/token/rotate" | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])' > "$RUN/agent/token"
  fi
  python3 - "$RUN/agent/node.json" <<'PY'
import json, sys
p = sys.argv[1]; n = json.load(open(p)); n.pop("token", None); json.dump(n, open(p, "w"))
PY
  chmod 600 "$RUN/agent/token"
fi

./build/agent/pagoda-agent --server "$URL" --node-id "$NODE_ID" --token-file "$RUN/agent/token" \
  --state-dir "$RUN/agent/state" --root "$RUN/node" --insecure-http &
AGENT=$!
cat <<MSG

Pagoda is running.
  API:          $URL   (try: curl $URL/healthz)
  console:      $URL/ui/   (log in with the admin token)
  admin token:  $RUN/data/admin.token
  local node:   id $NODE_ID, files it writes land under $RUN/node
  example:      curl -H "Authorization: Bearer \$(cat $RUN/data/admin.token)" $URL/admin/nodes
Press Ctrl-C to stop.
MSG
wait $PAGODAD
