#!/bin/sh
# Redocly's recommended OpenAPI rules over docs/openapi.yaml (every
# operation with a summary, an operationId, 2xx and 4xx answers, ...);
# docs/.redocly.lint-ignore.yaml lists the deliberate exceptions and why.
# Redocly comes from npm with the console's test tools (tests/ui); nothing
# it runs leaves the machine (telemetry and the update check are off).
root=$1
bin="$root/tests/ui/node_modules/.bin/redocly"
if [ ! -x "$bin" ]; then
	echo "redocly is not installed: scripts/install-deps.sh installs it with npm"
	[ "${CI:-}" = true ] && exit 1
	exit 77
fi
cd "$root/docs" || exit 1
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true exec "$bin" lint openapi.yaml \
	--extends recommended --max-problems 1000
