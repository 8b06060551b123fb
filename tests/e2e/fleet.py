"""Real nodes on one machine (DESIGN.md "A node on one machine"): each node
is a network namespace on a private bridge, with its own pid/mount/uts
namespaces where systemd runs as PID 1 with private /run, unit directory,
nginx configuration and Pagoda directories. nginx and pagoda-agent run as
units inside the node. Needs root. Traffic stays on the bridge the test
made."""
import os
import random
import shutil
import subprocess
import time
import urllib.error
import urllib.request

from harness import PAGODA_AGENT, wait_until

BOOT = """#!/bin/sh
mount --make-rprivate /
hostname {name}
for d in /run /etc/systemd/system /etc/nginx/conf.d /etc/nginx/sites-enabled /var/log/nginx \\
         /tmp /etc/pagoda /etc/ssl/pagoda /var/lib/pagoda; do
  mkdir -p $d && mount -t tmpfs tmpfs $d
done
mkdir -p /run/systemd /run/lock
exec /lib/systemd/systemd --system --unit=multi-user.target
"""


# A node with a root of its own: an overlay whose lower layer is the host's
# root and whose upper layer is a tmpfs, so installing packages in the node
# (dpkg, /usr, /etc, /var/lib) changes nothing on the host and a node starts
# with nothing of Pagoda's installed. The fleet's shared directory is bound
# in at the same path.
FRESH_BOOT = """#!/bin/sh
set -e
mount --make-rprivate /
hostname {name}
W={work}
mkdir -p $W && mount -t tmpfs tmpfs $W
mkdir -p $W/upper $W/work $W/root
mount -t overlay overlay -o lowerdir=/,upperdir=$W/upper,workdir=$W/work $W/root
R=$W/root
mount -t proc proc $R/proc
mount --rbind /sys $R/sys
mount --rbind /dev $R/dev
for d in /run /tmp /var/tmp /var/log/nginx; do mkdir -p $R$d && mount -t tmpfs tmpfs $R$d; done
mkdir -p $R/run/systemd $R/run/lock
mkdir -p $R{shared} && mount --bind {shared} $R{shared}
cd $R
mkdir -p .oldroot
pivot_root . .oldroot
umount -l /.oldroot
exec /lib/systemd/systemd --system --unit=multi-user.target
"""


def http_get(ip, host="app.test", path="/", timeout=3):
    req = urllib.request.Request(f"http://{ip}{path}", headers={"Host": host})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


def sh(*args, check=True):
    r = subprocess.run(args, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited with {r.returncode}: {r.stderr.strip()[-2000:]}")
    return r


class Node:
    def __init__(self, fleet, index, fresh=False):
        self.fleet = fleet
        self.fresh = fresh
        self.index = index
        self.name = f"node-{chr(ord('a') + index)}"
        self.ip = f"{fleet.prefix}.{10 + index}"
        self.ns = f"pg{fleet.tag}{index}"
        self.host_if = f"pgh{fleet.tag}{index}"
        self.node_if = f"pgn{fleet.tag}{index}"
        self.dir = os.path.join(fleet.tmp, self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.pid = None
        self.boot_proc = None
        self.info = None  # the node as pagodad created it

    def up(self):
        sh("ip", "netns", "add", self.ns)
        sh("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.node_if)
        sh("ip", "link", "set", self.node_if, "netns", self.ns)
        sh("ip", "link", "set", self.host_if, "master", self.fleet.bridge, "up")
        sh("ip", "netns", "exec", self.ns, "ip", "addr", "add", f"{self.ip}/24", "dev", self.node_if)
        sh("ip", "netns", "exec", self.ns, "ip", "link", "set", self.node_if, "up")
        sh("ip", "netns", "exec", self.ns, "ip", "link", "set", "lo", "up")
        boot = os.path.join(self.dir, "boot.sh")
        with open(boot, "w") as f:
            if self.fresh:
                f.write(FRESH_BOOT.format(name=self.name, work=os.path.join(self.dir, "root"),
                                          shared=self.fleet.shared))
            else:
                f.write(BOOT.format(name=self.name))
        os.chmod(boot, 0o755)
        self.boot_proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "unshare", "--pid", "--fork", "--mount", "--mount-proc",
             "--uts", "--ipc", boot], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL, start_new_session=True)

        def systemd_pid():
            r = sh("pgrep", "-P", str(self.boot_proc.pid), check=False)
            return r.stdout.split()[0] if r.stdout.split() else None
        self.pid = wait_until(systemd_pid, 15, what=f"{self.name} systemd")
        wait_until(lambda: self.run("systemctl", "is-system-running", check=False).stdout.strip()
                   in ("running", "degraded"), self.fleet.boot_timeout, what=f"{self.name} booted")
        self.run("systemctl", "start", "nginx")
        return self

    def run(self, *cmd, check=True):
        return sh("nsenter", "-t", self.pid, "-m", "-p", "-n", "-u", *cmd, check=check)

    def start_agent(self, url, token, *extra, props=()):
        agent = self.fleet.visible(PAGODA_AGENT)
        token_file = os.path.join(self.dir, "token")
        with open(token_file, "w") as f:
            f.write(token + "\n")
        os.chmod(token_file, 0o600)
        log = os.path.join(self.dir, "agent.log")
        self.run("systemd-run", "--unit", "pagoda-agent", "--collect",
                 "-p", f"StandardOutput=append:{log}", "-p", f"StandardError=append:{log}",
                 *[a for p in props for a in ("-p", p)], agent, "--server", url, "--node-id", str(self.info["id"]),
                 "--token-file", token_file, "--state-dir", "/run/pagoda-agent", *extra)

    def stop_agent(self, kill=False):
        if kill:
            self.run("systemctl", "kill", "-s", "KILL", "pagoda-agent", check=False)
        self.run("systemctl", "stop", "pagoda-agent", check=False)
        # a transient unit is collected a moment after it stops; until then
        # systemd-run refuses the name
        self.run("systemctl", "reset-failed", "pagoda-agent", check=False)
        try:
            wait_until(lambda: self.run("systemctl", "show", "-p", "LoadState", "--value", "pagoda-agent",
                                        check=False).stdout.strip() in ("not-found", ""), 30,
                       what="pagoda-agent unit gone")
        except AssertionError as e:
            status = self.run("systemctl", "status", "--no-pager", "pagoda-agent", check=False)
            raise AssertionError(f"{e}: {status.stdout[-1500:]}") from None

    def agent_log(self):
        try:
            with open(os.path.join(self.dir, "agent.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def down(self):
        if self.pid:
            sh("kill", "-9", str(self.pid), check=False)
        if self.boot_proc:
            try:
                self.boot_proc.wait(10)
            except subprocess.TimeoutExpired:
                self.boot_proc.kill()
        sh("ip", "netns", "del", self.ns, check=False)
        sh("ip", "link", "del", self.host_if, check=False)


def free_prefix():
    """A 10.77.X /24 no interface of this machine has: the kernel takes the
    same subnet on two bridges (a fleet another run left behind) and then
    routes to either."""
    used = sh("ip", "-4", "-o", "addr", "show").stdout
    for _ in range(200):
        prefix = f"10.77.{random.randrange(100, 250)}"
        if f" {prefix}." not in used:
            return prefix
    raise RuntimeError("no free 10.77.X.0/24 for a test fleet: remove stale pgb* bridges")


class Fleet:
    """n nodes on a bridge; the host side has the bridge address .1, where
    pagodad listens."""

    def __init__(self, tmp, n, fresh=False, boot_timeout=30):
        self.tmp = tmp
        self.boot_timeout = boot_timeout
        self.tag = "%04x" % random.randrange(0x10000)
        self.prefix = free_prefix()
        self.bridge = f"pgb{self.tag}"
        self.host_ip = f"{self.prefix}.1"
        self.nodes = [Node(self, i, fresh) for i in range(n)]
        self.shared = f"/var/lib/pagoda-tests/{self.tag}"

    def visible(self, path):
        """A copy of path that nodes and their units can see: a node's /tmp
        is its own, units get a private /tmp and /var/tmp (PrivateTmp), and
        a checkout may live under the host's /tmp."""
        dest = os.path.join(self.shared, os.path.basename(path))
        if not os.path.exists(dest):
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy2(path, dest)
        return dest

    def up(self):
        os.makedirs(self.shared, exist_ok=True)
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        sh("ip", "addr", "add", f"{self.host_ip}/24", "dev", self.bridge)
        sh("ip", "link", "set", self.bridge, "up")
        try:
            for n in self.nodes:
                n.up()
        except Exception:
            self.down()
            raise
        return self

    def join(self, d, labels, *agent_args, state_interval=2, props=()):
        """Registers every node with pagodad d (labels(node) -> its labels),
        starts its agent over HTTPS trusting d's CA, and waits until all are
        online."""
        for n in self.nodes:
            n.info = d.create_node(n.name, n.ip, labels(n))
            n.start_agent(d.url, n.info["token"], "--state-interval", str(state_interval),
                          "--ca-file", self.visible(d.ca_file), *agent_args, props=props)
        for n in self.nodes:
            wait_until(lambda: d.node(n.info["id"])["status"] == "online", 20,
                       what=f"{n.name} online; agent log: {n.agent_log()[-500:]}")

    def down(self):
        for n in self.nodes:
            n.down()
        sh("ip", "link", "del", self.bridge, check=False)
        shutil.rmtree(self.shared, ignore_errors=True)


def fleet_supported():
    return os.geteuid() == 0 and shutil.which("unshare") and os.path.exists("/lib/systemd/systemd") \
        and shutil.which("nginx")
