#!/bin/sh
# pagoda-agent's upgrade guard, started by the agent's UpgradeAgent task as
# a unit of its own (systemd-run), so restarting the agent does not end it:
#   agent-upgrade.sh NEW.deb OLD.deb VERSION DEADLINE-SEC STATE-DIR
# Installs NEW, restarts the agent and waits for it to heartbeat as VERSION
# (the agent writes STATE-DIR/running-version after a heartbeat pagodad
# accepted); otherwise installs OLD again and restarts that.
set -u
new=$1 old=$2 version=$3 deadline=$4 state=$5

log() { echo "pagoda-agent-upgrade: $*"; }

rollback() {
	log "$1: rolling back to $old"
	dpkg -i "$old" || log "reinstalling $old failed"
	systemctl restart pagoda-agent.service || log "restarting the old agent failed"
	exit 1
}

sleep 2 # the agent reports its task before it is restarted
rm -f "$state/running-version"
log "installing $new"
DEBIAN_FRONTEND=noninteractive dpkg -i "$new" || rollback "installing $new failed"
systemctl restart pagoda-agent.service || log "pagoda-agent $version did not start"
end=$(($(date +%s) + deadline))
while [ "$(date +%s)" -lt "$end" ]; do
	if [ "$(cat "$state/running-version" 2>/dev/null)" = "$version" ]; then
		log "pagoda-agent $version is up and heartbeating"
		exit 0
	fi
	sleep 1
done
rollback "pagoda-agent $version did not heartbeat within ${deadline}s"
