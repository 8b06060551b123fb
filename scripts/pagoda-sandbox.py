#!/usr/bin/env python3
"""The quick start's sandbox (scripts/pagoda-up.sh runs it): pagodad on a
private bridge, N machines made of network namespaces with systemd as PID 1,
nginx and a root filesystem of their own (an overlay: what is installed
there stays there), each joined with the line `pagoda nodes join-command`
prints, then an example deployed: a SystemdService on the web nodes and a
ReverseProxy in front. Ctrl-C (or --down from another shell) tears it all
down. The machinery is the fleet tests' (tests/e2e/fleet.py)."""
import argparse
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from fleet import Fleet, http_get, sh  # noqa: E402

PORT = 8443


def log(msg):
    print(f"pagoda-up: {msg}", flush=True)


class Api:
    def __init__(self, url, ca, token):
        self.url, self.token = url, token
        self.ctx = ssl.create_default_context(cafile=ca)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {self.token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30, context=self.ctx) as r:
                text = r.read()
                return r.status, json.loads(text) if text else {}
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")


def wait(fn, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.3)
    raise SystemExit(f"pagoda-up: gave up waiting for {what}")


def down(run):
    """Tears down what a previous run left (after a kill -9, say)."""
    state = os.path.join(run, "sandbox.json")
    if not os.path.exists(state):
        log("no sandbox to tear down")
        return
    s = json.load(open(state))
    for pid in [s.get("pagodad")] + s.get("systemd", []):
        if pid:
            subprocess.run(["kill", "-9", str(pid)], capture_output=True)
    time.sleep(0.5)
    for ns in s.get("netns", []):
        sh("ip", "netns", "del", ns, check=False)
    for link in s.get("links", []):
        sh("ip", "link", "del", link, check=False)
    shutil.rmtree(s.get("shared", "/nonexistent"), ignore_errors=True)
    os.unlink(state)
    log("sandbox torn down")


def release(api, app_id, what):
    st, rel = api.call("POST", f"/admin/apps/{app_id}/releases", {})
    if st != 201:
        raise SystemExit(f"pagoda-up: cannot create the {what} release: {rel}")
    api.call("POST", f"/admin/releases/{rel['id']}/execute")

    def done():
        r = api.call("GET", f"/admin/releases/{rel['id']}")[1]
        if r.get("status") in ("failed", "rolled_back", "cancelled"):
            raise SystemExit(f"pagoda-up: the {what} release ended {r['status']}: {json.dumps(r)[:2000]}")
        return r.get("status") == "succeeded"
    wait(done, 120, f"the {what} release")
    log(f"released {what} (release {rel['id']})")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--run-dir", required=True)
    p.add_argument("--nodes", type=int, default=3)
    p.add_argument("--pagodad", required=True)
    p.add_argument("--cli", required=True)
    p.add_argument("--packages", required=True, help="directory with pagoda-agent_*.deb")
    p.add_argument("--check", action="store_true", help="deploy, check the answer, tear down, exit")
    p.add_argument("--down", action="store_true")
    a = p.parse_args()
    run = os.path.abspath(a.run_dir)
    if a.down:
        down(run)
        return 0
    if os.path.exists(os.path.join(run, "sandbox.json")):
        log("a previous sandbox was left behind: tearing it down first")
        down(run)
    os.makedirs(run, mode=0o700, exist_ok=True)
    data = os.path.join(run, "sandbox-data")
    shutil.rmtree(data, ignore_errors=True)  # a sandbox starts anew each time
    fleet = Fleet(os.path.join(run, "sandbox"), max(1, min(a.nodes, 8)), fresh=True)
    proc = None
    state = {"netns": [n.ns for n in fleet.nodes], "links": [fleet.bridge] + [n.host_if for n in fleet.nodes],
             "shared": fleet.shared, "systemd": []}

    def save():
        with open(os.path.join(run, "sandbox.json"), "w") as f:
            json.dump(state, f)

    def teardown(*_):
        if proc and proc.poll() is None:
            proc.terminate()
            proc.wait(10)
        fleet.down()
        # a sandbox leaves nothing behind: its machines, bridge and data
        shutil.rmtree(fleet.tmp, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)
        try:
            os.unlink(os.path.join(run, "sandbox.json"))
        except OSError:
            pass

    save()
    try:
        log(f"starting {len(fleet.nodes)} sandbox machines (namespaces with systemd and nginx)")
        fleet.up()
        state["systemd"] = [n.pid for n in fleet.nodes]
        save()
        pkgdir = os.path.join(fleet.shared, "packages")
        os.makedirs(pkgdir)
        for f in os.listdir(a.packages):
            if f.startswith("pagoda-agent_") and f.endswith(".deb"):
                shutil.copy(os.path.join(a.packages, f), pkgdir)
        backend = os.path.join(fleet.shared, "hello.py")
        shutil.copy(os.path.join(REPO, "tests", "e2e", "backend.py"), backend)
        url = f"https://{fleet.host_ip}:{PORT}"
        plog = open(os.path.join(run, "pagodad.log"), "ab")
        proc = subprocess.Popen([a.pagodad, "--listen", f"{fleet.host_ip}:{PORT}", "--data-dir", data,
                                 "--tls", "auto", "--packages-dir", pkgdir, "--upstream-debounce", "500",
                                 "--heartbeat-interval", "2"], stdout=plog, stderr=plog)
        state["pagodad"] = proc.pid
        save()
        ca = os.path.join(data, "tls", "ca.crt")
        token_file = os.path.join(data, "admin.token")
        wait(lambda: proc.poll() is None and os.path.exists(token_file) and os.path.exists(ca), 15,
             "pagodad (see run/pagodad.log)")
        api = Api(url, ca, open(token_file).read().strip())
        wait(lambda: api.call("GET", "/healthz")[0] == 200, 15, "pagodad /healthz")
        cli = [a.cli, "--addr", url, "--ca-file", ca, "--token-file", token_file]
        for i, n in enumerate(fleet.nodes):
            role = "edge" if i == len(fleet.nodes) - 1 and len(fleet.nodes) > 2 else "web"
            r = subprocess.run(cli + ["nodes", "join-command", n.name, "--labels", f"role={role}"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit(f"pagoda-up: join-command: {r.stderr}")
            line = r.stdout.strip().splitlines()[-1]
            j = n.run("sh", "-c", line, check=False)
            if j.returncode != 0:
                raise SystemExit(f"pagoda-up: {n.name} did not join: {j.stderr}")
            log(f"{n.name} ({n.ip}) joined as {'an' if role == 'edge' else 'a'} {role} node")
        wait(lambda: all(x["status"] == "online" for x in api.call("GET", "/admin/nodes")[1]["items"]), 30,
             "every node online")

        # the example: a service on the web nodes, a reverse proxy in front
        edge = fleet.nodes[-1]
        st, hello = api.call("POST", "/admin/apps", {
            "name": "hello", "type": "SystemdService", "selector": {"labels": "role=web"},
            "spec": {"unit": {"exec": "/usr/bin/python3", "args": [backend, "--port", "9000"],
                              "environment": {"VERSION": "v1"}},
                     "listenPort": 9000,
                     "healthCheck": {"type": "http", "path": "/healthz", "retries": 10, "intervalSec": 1}}})
        if st != 201:
            raise SystemExit(f"pagoda-up: cannot create the example service: {hello}")
        release(api, hello["id"], "hello (SystemdService)")
        st, proxy = api.call("POST", "/admin/apps", {"name": "edge", "type": "ReverseProxy",
                                                     "selector": {"nodes": [
                                                         next(x["id"] for x in api.call("GET", "/admin/nodes")[1]
                                                              ["items"] if x["name"] == edge.name)]}})
        if st != 201:
            raise SystemExit(f"pagoda-up: cannot create the example proxy: {proxy}")
        api.call("POST", f"/admin/apps/{proxy['id']}/ingresses",
                 {"domains": ["hello.sandbox"], "paths": [{"path": "/", "service": "hello"}]})
        release(api, proxy["id"], "edge (ReverseProxy)")
        answer = wait(lambda: (r := http_get(edge.ip, host="hello.sandbox"))[0] == 200 and r[1], 30,
                      "an answer through the proxy")
        log(f"through the proxy: {answer.strip()}")
        fp = subprocess.run(["openssl", "x509", "-in", ca, "-noout", "-fingerprint", "-sha256"],
                            capture_output=True, text=True).stdout.strip().split("=")[-1].replace(":", "").lower()
        print(f"""
Pagoda is running, with {len(fleet.nodes)} sandbox machines and an example deployed.
  try:          curl -H 'Host: hello.sandbox' http://{edge.ip}/
  console:      {url}/ui/   (private CA, sha256:{fp}; log in with the admin token)
  admin token:  {token_file}
  CLI:          {' '.join(cli)} nodes ls
  a machine:    nsenter -t {fleet.nodes[0].pid} -a systemctl status hello
Press Ctrl-C to stop and remove the sandbox (or: scripts/pagoda-up.sh --down).
""", flush=True)
        if a.check:
            return 0
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        try:
            while proc.poll() is None:
                time.sleep(1)
            log(f"pagodad exited ({proc.returncode}); see {run}/pagodad.log")
            return 1
        except KeyboardInterrupt:
            return 0
    finally:
        log("tearing the sandbox down")
        teardown()


if __name__ == "__main__":
    sys.exit(main())
