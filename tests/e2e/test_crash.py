"""kill -9, many times, at random points: pagodad in the middle of releases
and config publishes (and certificate issuance when Pebble is here), the
agent in the middle of its tasks. Nothing acknowledged is lost, nothing is
half-applied, every operation completes or fails cleanly, no file is left
half-written and no command outlives its agent."""
import hashlib
import os
import random
import shutil
import signal
import threading
import time
import unittest
import urllib.error

from acme_ca import Pebble
from harness import Cluster, FakeAgentThread, request, wait_until

ROUNDS = int(os.environ.get("PAGODA_CRASH_ROUNDS", "5"))
UNIT = {"exec": "/usr/bin/python3", "args": ["-m", "http.server", "9000"]}


def integrity(d):
    if not d.store_url:
        return d.sql("PRAGMA integrity_check")[0][0]
    return "ok"


class ControlPlaneKill9(unittest.TestCase):
    def test_releases_complete_after_kill9_at_random_points(self):
        rnd = random.Random(7)
        with Cluster("--heartbeat-interval", "30") as c:
            d = c.daemon
            nodes = [d.create_node(f"web-{i}", f"10.0.0.{i + 1}", {"role": "web"}) for i in range(4)]
            app = d.call("POST", "/admin/apps", {"name": "shop", "type": "SystemdService",
                                                 "selector": {"labels": "role=web"}, "strategy": {"batchSize": 1},
                                                 "spec": {"unit": dict(UNIT), "listenPort": 9000}}).json()
            agents = FakeAgentThread(d, nodes)
            agents.start()
            try:
                wait_until(lambda: all(d.node(n["id"])["status"] == "online" for n in nodes), 10, what="online")
                acked = []
                for i in range(ROUNDS):
                    unit = dict(UNIT, args=["-m", "http.server", str(9000 + i)])
                    r = d.call("PUT", f"/admin/apps/{app['id']}", {"spec": {"unit": unit, "listenPort": 9000}})
                    self.assertEqual(r.status, 200, r)
                    rel = d.call("POST", f"/admin/apps/{app['id']}/releases", {})
                    self.assertEqual(rel.status, 201, rel)
                    rid = rel.json()["id"]
                    r = d.call("POST", f"/admin/releases/{rid}/execute")
                    self.assertEqual(r.status, 200, r)
                    acked.append(rid)
                    time.sleep(rnd.uniform(0, 0.8))
                    d.stop(signal.SIGKILL)
                    d.start()
                    self.assertEqual(integrity(d), "ok")
                    final = wait_until(lambda: (s := d.call("GET", f"/admin/releases/{rid}").json())["status"]
                                       in ("succeeded", "failed", "rolled_back") and s, 60,
                                       what=f"release {rid} finished after kill -9 (round {i})")
                    self.assertEqual(final["status"], "succeeded", final)
                    # every node got this release's tasks, each finished once
                    for n in final["nodes"]:
                        self.assertEqual(n["status"], "succeeded", n)
                    tasks = d.call("GET", f"/admin/tasks?limit=200").json()["items"]
                    self.assertFalse([t for t in tasks if t["status"] in ("pending", "running")], tasks[:3])
                # nothing acknowledged was lost
                for rid in acked:
                    self.assertEqual(d.call("GET", f"/admin/releases/{rid}").status, 200)
                execs = [int(e["targetId"]) for e in d.audit(action="release.execute")]
                self.assertEqual(sorted(execs), sorted(acked))
            finally:
                agents.stopping = True
                agents.join(5)

    def test_config_publishes_after_kill9_at_random_points(self):
        rnd = random.Random(11)
        with Cluster() as c:
            d = c.daemon
            cfg = d.call("POST", "/admin/configs", {"name": "app.conf", "format": "text", "content": "v = 0\n"}).json()
            cid = cfg["id"]
            versions_acked, published_acked = {1: "v = 0\n"}, []
            counter = [0]

            def writer(stop):
                while not stop.is_set():
                    counter[0] += 1
                    content = f"v = {counter[0]}\n"
                    try:
                        r = d.call("PUT", f"/admin/configs/{cid}", {"content": content}, timeout=3)
                        if r.status != 200:
                            continue
                        versions_acked[r.json()["latestVersion"]] = content
                        r = d.call("POST", f"/admin/configs/{cid}/publish", {}, timeout=3)
                        if r.status == 200:
                            published_acked.append(r.json()["version"])
                    except (OSError, urllib.error.URLError):
                        time.sleep(0.05)

            for i in range(ROUNDS):
                stop = threading.Event()
                t = threading.Thread(target=writer, args=(stop,), daemon=True)
                t.start()
                time.sleep(rnd.uniform(0.1, 0.6))
                d.stop(signal.SIGKILL)
                stop.set()
                t.join(5)
                d.start()
                self.assertEqual(integrity(d), "ok")
                item = d.call("GET", f"/admin/configs/{cid}").json()
                numbers = sorted(v["version"] for v in
                                 d.call("GET", f"/admin/configs/{cid}/versions?limit=1000").json()["items"])
                self.assertEqual(numbers, list(range(1, item["latestVersion"] + 1)), "versions are contiguous")
                for v, content in versions_acked.items():
                    got = d.call("GET", f"/admin/configs/{cid}/versions/{v}").json()
                    self.assertEqual(got["current"]["content"], content, f"acknowledged version {v} (round {i})")
                releases = d.call("GET", f"/admin/configs/{cid}/releases?limit=1000").json()["items"]
                released = [x["version"] for x in releases]
                for v in published_acked:
                    self.assertIn(v, released, f"acknowledged publish of {v} (round {i})")
                # whole, not half: the item's released version is its newest release record's
                self.assertEqual(item["releasedVersion"], releases[0]["version"] if releases else None)
            self.assertGreater(len(published_acked), 0)


    @unittest.skipUnless(shutil.which("pebble") and shutil.which("pebble-challtestsrv"), "needs the pebble package")
    def test_certificate_issuance_completes_after_kill9(self):
        rnd = random.Random(5)
        with Cluster("--cert-scan", "500", "--cert-retry", "1000") as c:
            d = c.daemon
            pebble = Pebble(c.tmp).start()
            try:
                issuer = {"directoryUrl": pebble.directory, "caFile": pebble.ca, "email": "ops@example.test"}
                for i in range(ROUNDS):
                    r = d.call("POST", "/admin/certificates/acme",
                               {"domains": [f"crash{i}.test"], "challenge": "dns-01", "issuer": issuer,
                                "dns": {"plugin": "challtestsrv", "config": {"url": pebble.challtestsrv},
                                        "resolvers": [f"127.0.0.1:{pebble.dns}"]}})
                    self.assertEqual(r.status, 202, r)
                    cid = r.json()["id"]
                    time.sleep(rnd.uniform(0, 1.5))
                    d.stop(signal.SIGKILL)
                    d.start()
                    self.assertEqual(integrity(d), "ok")
                    cert = wait_until(lambda: (x := d.call("GET", f"/admin/certificates/{cid}").json())["status"]
                                      == "valid" and x, 60, interval=0.3, what=f"certificate {cid} valid (round {i})")
                    self.assertEqual(cert["current"]["sans"], [f"crash{i}.test"])
                    versions = d.call("GET", f"/admin/certificates/{cid}/versions").json()["items"]
                    self.assertEqual(len(versions), 1, "one issuance stored, not a half one")
                    chain = d.call("GET", f"/admin/certificates/{cid}/versions/{versions[0]['version']}/chain")
                    self.assertIn("BEGIN CERTIFICATE", chain.body)
                    self.assertNotIn("PRIVATE KEY", chain.body)
            finally:
                pebble.stop()


class AgentKill9(unittest.TestCase):
    def test_agent_killed_mid_task_retries_without_half_files_or_orphans(self):
        rnd = random.Random(3)
        with Cluster("--lease-grace", "1") as c:
            d = c.daemon
            n = d.create_node("node-a")
            a = c.agent(n, "--allow-exec")
            wait_until(lambda: d.node(n["id"])["status"] == "online", 10, what="online")
            # six files of 1 MiB: the write takes long enough to be cut in the middle
            big = [("/etc/pagoda/crash/f%d.bin" % k, (("%d-" % k) * 300000)[:1 << 20]) for k in range(6)]
            marker = os.path.join(c.tmp, "ran")
            for i in range(ROUNDS):
                kind = ["ApplyConfigFiles", "RunCommand", "HealthProbe"][i % 3]
                if kind == "ApplyConfigFiles":
                    files = [{"path": p, "content": body.replace("-", chr(ord("a") + i))} for p, body in big]
                    r = d.queue(n["id"], kind, {"files": files}, timeoutSec=60, maxRetries=3)
                elif kind == "RunCommand":
                    # a command that would write its marker after 1.5 s: killed with the agent
                    r = d.queue(n["id"], kind, {"argv": ["/bin/sh", "-c", f"sleep 1.5; echo {i} >> {marker}"]},
                                timeoutSec=10, maxRetries=3)
                else:
                    r = d.queue(n["id"], kind, {"kind": "tcp", "port": 1, "retries": 3, "intervalSec": 1,
                                                "timeoutSec": 1}, maxRetries=1)
                self.assertEqual(r.status, 201, r)
                tid = r.json()["id"]
                # a fast disk may finish before we look: the kill then hits the
                # report or the idle loop, which must be just as harmless
                wait_until(lambda: d.task(tid)["status"] in ("running", "succeeded"), 10, what=f"{kind} running")
                time.sleep(rnd.uniform(0.0, 0.3))
                a.stop(signal.SIGKILL)
                if kind == "RunCommand":
                    time.sleep(2)  # the orphan, if any, would have written by now
                    self.assertFalse(os.path.exists(marker) and str(i) in open(marker).read(),
                                     "a command outlived its agent")
                a.start()
                want = "failed" if kind == "HealthProbe" else "succeeded"
                t = d.wait_task(tid, want, timeout=40)
                if kind == "ApplyConfigFiles":
                    for (path, body), f in zip(big, files):
                        with open(a.path(path), "rb") as fh:
                            self.assertEqual(hashlib.sha256(fh.read()).hexdigest(),
                                             hashlib.sha256(f["content"].encode()).hexdigest(), path)
                    leftovers = [x for x in os.listdir(a.path("/etc/pagoda/crash")) if ".pagoda-" in x]
                    self.assertEqual(leftovers, [], "temp files of the killed write are gone")
                if kind == "RunCommand":
                    with open(marker) as fh:
                        self.assertEqual(fh.read().split().count(str(i)), 1, "ran to the end exactly once")
                self.assertGreaterEqual(t["attempt"], 1)


if __name__ == "__main__":
    unittest.main()
