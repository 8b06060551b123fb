#!/usr/bin/env python3
"""The same 50 MiB artifact (a tar.gz) to 20 nodes, through Pagoda and
through Ansible, in one run; prints both times and the ratio.

Pagoda: 20 sandbox machines (network namespaces with systemd as PID 1, the
real pagoda-agent in each, tests/e2e/fleet.py), one SystemdService whose
spec names the uploaded blob, released in one batch of 20. Measured from
`execute` until the last node's FetchArtifact task finished (download,
digest check, unpack, `current` switched), and until the release succeeded.

Ansible: `copy` + `unarchive` (remote_src) to 20 inventory hosts on the
local connection with forks 20, each into its own directory: the same bytes
moved and unpacked 20 times.

Run as root from the repository, after scripts/build.sh build:
    python3 tests/bench/artifact_vs_ansible.py [--nodes 20] [--size-mib 50]
Needs ansible-core (apt-get install ansible-core)."""
import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
os.environ.setdefault("PAGODAD", os.path.join(HERE, "..", "..", "build", "core", "pagodad"))
os.environ.setdefault("PAGODA_AGENT", os.path.join(HERE, "..", "..", "build", "agent", "pagoda-agent"))
os.environ.setdefault("PAGODA_API_CHECK", "0")

from fleet import Fleet  # noqa: E402
from harness import Pagodad, wait_until  # noqa: E402


def iso_ms(t):
    from datetime import datetime
    return datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1000


def make_archive(path, size):
    with tarfile.open(path, "w:gz", compresslevel=1) as t:
        data = os.urandom(size)  # random: it does not compress, the bytes really move
        info = tarfile.TarInfo("app/payload.bin")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
        prog = b"#!/bin/sh\nexec sleep infinity\n"
        info = tarfile.TarInfo("app/bin/run")
        info.size, info.mode = len(prog), 0o755
        t.addfile(info, io.BytesIO(prog))


def pagoda(tmp, archive, n):
    fleet = Fleet(tmp, n, boot_timeout=180).up()
    d = Pagodad(tmp, "--poll-wait", "5", host=fleet.host_ip, tls=True)
    try:
        d.start()
        for node in fleet.nodes:
            node.info = d.create_node(node.name, node.ip, {"role": "bench"})
            node.start_agent(d.url, node.info["token"], "--ca-file", fleet.visible(d.ca_file))
        wait_until(lambda: all(d.node(x.info["id"])["status"] == "online" for x in fleet.nodes), 60,
                   what="agents online")
        data = open(archive, "rb").read()
        sha = hashlib.sha256(data).hexdigest()
        t0 = time.time()
        r = d.call("POST", f"/admin/blobs?sha256={sha}", raw=data,
                   headers={"Content-Type": "application/octet-stream"})
        upload = time.time() - t0
        assert r.status == 201, r
        spec = {"unit": {"exec": "bin/run"},
                "artifacts": [{"source": "blob", "sha256": sha, "unpack": "tar.gz", "stripComponents": 1}]}
        r = d.call("POST", "/admin/apps", {"name": "bench", "type": "SystemdService", "spec": spec,
                                           "selector": {"labels": "role=bench"},
                                           "strategy": {"batchSize": n, "maxParallel": n}})
        assert r.status == 201, r
        app = r.json()["id"]
        rel = d.call("POST", f"/admin/apps/{app}/releases", {}).json()
        t0 = time.time()
        d.call("POST", f"/admin/releases/{rel['id']}/execute")
        rel = wait_until(lambda: (lambda x: x["status"] in ("succeeded", "failed") and x)(
            d.call("GET", f"/admin/releases/{rel['id']}").json()), 600, interval=0.2, what="release")
        released = time.time() - t0
        assert rel["status"] == "succeeded", json.dumps(rel)[:2000]
        fetch_ids = [t["id"] for x in rel["nodes"] for t in x["tasks"] if t["type"] == "FetchArtifact"]
        tasks = [d.call("GET", f"/admin/tasks/{i}").json() for i in fetch_ids]
        started = iso_ms(rel["startedAt"])
        fetched = max(iso_ms(t["finishedAt"]) for t in tasks) - started
        return {"upload_s": upload, "fetched_s": fetched / 1000.0, "release_s": released,
                "downloads": sum(t["result"]["downloads"] for t in tasks)}
    finally:
        d.stop()
        fleet.down()


def ansible(tmp, archive, n):
    root = os.path.join(tmp, "ansible")
    os.makedirs(root)
    inv = os.path.join(root, "hosts.ini")
    with open(inv, "w") as f:
        f.write("[nodes]\n")
        for i in range(n):
            f.write(f"node{i} ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    play = os.path.join(root, "play.yml")
    with open(play, "w") as f:
        f.write(f"""- hosts: nodes
  gather_facts: false
  tasks:
    - file: {{path: "{root}/{{{{ inventory_hostname }}}}/releases", state: directory}}
    - copy: {{src: "{archive}", dest: "{root}/{{{{ inventory_hostname }}}}/app.tar.gz"}}
    - unarchive: {{src: "{root}/{{{{ inventory_hostname }}}}/app.tar.gz", remote_src: true,
                   dest: "{root}/{{{{ inventory_hostname }}}}/releases", extra_opts: ["--strip-components=1"]}}
""")
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_FORKS=str(n),
               ANSIBLE_LOCAL_TEMP=os.path.join(root, "tmp"), ANSIBLE_NOCOLOR="1")
    t0 = time.time()
    r = subprocess.run(["ansible-playbook", "-i", inv, "-f", str(n), play], env=env,
                       capture_output=True, text=True)
    took = time.time() - t0
    if r.returncode != 0:
        raise SystemExit("ansible-playbook failed:\n" + r.stdout[-3000:] + r.stderr[-2000:])
    return {"playbook_s": took}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=20)
    ap.add_argument("--size-mib", type=int, default=50)
    args = ap.parse_args()
    if not shutil.which("ansible-playbook"):
        raise SystemExit("needs ansible-core: apt-get install ansible-core")
    # each node's systemd holds several inotify instances; the default 128
    # per user stops at about 18 nodes
    limit = "/proc/sys/fs/inotify/max_user_instances"
    old_limit = open(limit).read().strip()
    if int(old_limit) < 1024:
        open(limit, "w").write("1024")
    tmp = tempfile.mkdtemp(prefix="pagoda-artbench-", dir="/var/tmp")
    archive = os.path.join(tmp, "app.tar.gz")
    make_archive(archive, args.size_mib << 20)
    size = os.path.getsize(archive)
    try:
        a = ansible(tmp, archive, args.nodes)
        p = pagoda(tmp, archive, args.nodes)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        open(limit, "w").write(old_limit)
    print(f"artifact: {size / 1048576:.1f} MiB tar.gz to {args.nodes} nodes")
    print(f"ansible copy+unarchive (local, forks {args.nodes}): {a['playbook_s']:.2f} s")
    print(f"pagoda upload (once): {p['upload_s']:.2f} s")
    print(f"pagoda execute -> every FetchArtifact done: {p['fetched_s']:.2f} s ({p['downloads']} downloads)")
    print(f"pagoda execute -> release succeeded (unit installed, started): {p['release_s']:.2f} s")
    print(f"ratio ansible / pagoda (fetch): {a['playbook_s'] / p['fetched_s']:.1f}x")


if __name__ == "__main__":
    main()
