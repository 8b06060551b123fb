#!/bin/sh
# Pagoda's agent installer, served by pagodad at /install/agent.sh. The line
# `pagoda nodes join-command` prints runs it on a new machine, as root:
#   sh agent.sh --server https://CP:8443 --token pgj_... --ca-fingerprint sha256:HEX [--name NAME]
# It checks everything it can before it changes anything (not enrolled yet,
# the CA's fingerprint, the join token), then installs the agent package
# pagodad serves for this architecture, writes /etc/pagoda/agent.conf and
# starts pagoda-agent.service, which trades the token for the node's own.
set -eu

CONF=/etc/pagoda/agent.conf
STATE=/var/lib/pagoda-agent
server= token= fp= name= insecure=

die() {
	echo "pagoda-join: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--server | --token | --ca-fingerprint | --name)
		[ $# -ge 2 ] || die "$1 needs a value"
		case $1 in
		--server) server=$2 ;;
		--token) token=$2 ;;
		--ca-fingerprint) fp=$2 ;;
		--name) name=$2 ;;
		esac
		shift 2
		;;
	--insecure-http)
		insecure=1
		shift
		;;
	*) die "unknown option $1 (--server URL --token T --ca-fingerprint sha256:HEX [--name NAME] [--insecure-http])" ;;
	esac
done
[ -n "$server" ] && [ -n "$token" ] || die "usage: agent.sh --server URL --token T --ca-fingerprint sha256:HEX [--name NAME]"
server=${server%/}
case $token in
pgj_*) ;;
*) die "--token takes a join token (pgj_...; pagoda nodes join-command makes one)" ;;
esac
case $token$name in
*[!A-Za-z0-9_.-]*) die "--token and --name take letters, digits, '_', '.' and '-' only" ;;
esac
[ "$(id -u)" = 0 ] || die "run me as root: I install a package and a systemd unit"
[ ! -e "$CONF" ] || die "this machine is already enrolled ($CONF exists); to join it again: apt-get purge pagoda-agent"
[ ! -e "$STATE/node-id" ] || die "this machine is already enrolled ($STATE/node-id exists); to join it again: apt-get purge pagoda-agent"
command -v curl >/dev/null || die "curl is needed (apt-get install curl)"
command -v dpkg >/dev/null || die "this installer is for Debian and its derivatives (no dpkg here)"
[ -d /run/systemd/system ] || die "systemd is not running here: start pagoda-agent by hand (pagoda-agent --help)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
case $server in
https://*)
	[ -n "$fp" ] || die "--ca-fingerprint sha256:HEX is needed with https (pagodad prints it; so does join-command)"
	want=$(printf '%s' "${fp#sha256:}" | tr 'A-F' 'a-f' | tr -d ':')
	# fetched without verification, then trusted only if it is the CA pinned above
	curl -fsSk --max-time 30 -o "$tmp/ca.pem" "$server/ca.pem" || die "cannot fetch $server/ca.pem"
	got=$(sed -e '/-----/d' "$tmp/ca.pem" | base64 -d 2>/dev/null | sha256sum | cut -d' ' -f1)
	[ "$got" = "$want" ] || die "the CA at $server has fingerprint sha256:$got, not sha256:$want: not joining (wrong server or address, or someone in between)"
	trust="--cacert $tmp/ca.pem"
	;;
http://127.* | http://localhost:* | http://localhost | http://\[::1\]*)
	[ -n "$insecure" ] || die "plain http needs --insecure-http (and is for loopback only)"
	trust=
	;;
*) die "--server must be https://HOST:PORT (or http:// on loopback with --insecure-http)" ;;
esac

# The token before anything changes: a used, revoked or expired one stops here.
# shellcheck disable=SC2086 # $trust is two words or none
status=$(curl -sS --max-time 30 $trust -o "$tmp/check" -w '%{http_code}' \
	-H 'Content-Type: application/json' -d "{\"joinToken\":\"$token\"}" "$server/agent/join/check" 2>/dev/null || true)
if [ "$status" != 200 ]; then
	why=$(sed -n 's/.*"message":"\([^"]*\)".*/\1/p' "$tmp/check" 2>/dev/null || true)
	die "pagodad refused the join token (${status:-no answer}): ${why:-see pagodad's log}"
fi

arch=$(dpkg --print-architecture)
# shellcheck disable=SC2086
curl -fsS --max-time 300 $trust -o "$tmp/pagoda-agent.deb" "$server/install/agent.deb?arch=$arch" ||
	die "pagodad has no pagoda-agent package for $arch (put pagoda-agent_VERSION_$arch.deb in its packages-dir)"
version=$(dpkg-deb -f "$tmp/pagoda-agent.deb" Version) || die "what pagodad served is not a Debian package"
echo "pagoda-join: installing pagoda-agent $version ($arch)"
if command -v apt-get >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$tmp/pagoda-agent.deb" >"$tmp/apt.log" 2>&1 ||
		{ tail -20 "$tmp/apt.log" >&2; die "installing the package failed"; }
else
	dpkg -i "$tmp/pagoda-agent.deb" || die "installing the package failed"
fi

umask 077
install -d -m 0700 "$STATE" "$STATE/packages"
# the package it runs, kept so an upgrade that fails can go back to it
cp "$tmp/pagoda-agent.deb" "$STATE/packages/pagoda-agent_${version}_$arch.deb"
printf '%s\n' "$token" >"$STATE/join-token"
mkdir -p /etc/pagoda
{
	echo "; written by pagoda-join on $(date -u +%Y-%m-%dT%H:%M:%SZ); pagoda-agent --help lists every key"
	echo "server = $server"
	[ -z "$fp" ] || echo "ca-fingerprint = sha256:$want"
	[ -z "$insecure" ] || echo "insecure-http = true"
	echo "token-file = $STATE/token"
	echo "state-dir = $STATE"
	echo "join-token-file = $STATE/join-token"
	[ -z "$name" ] || echo "node-name = $name"
} >"$CONF.tmp"
mv "$CONF.tmp" "$CONF"

systemctl daemon-reload
systemctl enable pagoda-agent.service >/dev/null 2>&1 || true
# Type=notify: this returns once the agent has joined, or fails
if ! systemctl restart pagoda-agent.service; then
	journalctl -u pagoda-agent.service -n 20 --no-pager >&2 || true
	die "pagoda-agent did not start (its log is above)"
fi
rm -f "$STATE/join-token"
echo "pagoda-join: this machine is node $(cat "$STATE/node-id") of $server"
