#!/usr/bin/env bash
# Sets up and runs Pagoda on this machine: pagodad on 127.0.0.1:8080 with the
# embedded SQLite store in ./run/data, plus a local pagoda-agent enrolled as
# node "local". The agent writes below ./run/node (its --root), so trying
# Pagoda never touches /etc. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
LISTEN=${PAGODA_LISTEN:-127.0.0.1:8080}
RUN=${PAGODA_RUN_DIR:-$PWD/run}
scripts/install-deps.sh
scripts/build.sh build
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
