"""Two pagodad replicas on one PostgreSQL database (runs with
PAGODA_TEST_STORE=postgres): every task claimed once while agents poll both,
wakeups and blocking queries (registry, config watch) across replicas, liveness from heartbeats to
either, and a release finishing after its leader is killed."""
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from harness import STORE, Pagodad, request, wait_until
from test_apps import UNIT


def leads(d):
    try:
        return request(d.url + "/healthz", timeout=2).json()["leads"]
    except (OSError, KeyError, ValueError):
        return []


@unittest.skipUnless(STORE == "postgres", "replicas share a PostgreSQL store")
class Replicas(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pagoda-replicas-")
        self.a = Pagodad(self.tmp, "--heartbeat-interval", "1", name="a").start()
        # the second replica: the same database, master key and admin token
        self.b = Pagodad(self.tmp, "--heartbeat-interval", "1", name="b", store_url=self.a.store_url)
        os.makedirs(self.b.data_dir, mode=0o700)
        for f in ("master.key", "admin.token"):
            shutil.copy2(os.path.join(self.a.data_dir, f), os.path.join(self.b.data_dir, f))
        self.b.start()
        self.reps = [self.a, self.b]

    def tearDown(self):
        for d in self.reps:
            d.stop(signal.SIGKILL)
        subprocess.run(["rm", "-rf", self.tmp])

    def test_each_task_once_wakeups_and_liveness_across_replicas(self):
        a, b = self.a, self.b
        self.assertEqual(request(a.url + "/healthz").json()["store"], "postgres")
        # roles are taken when their worker first runs (alerts run hourly here)
        busy = {"liveness", "releases", "registry", "drift", "certs"}
        wait_until(lambda: busy <= set(leads(a)) | set(leads(b)), 10, what="every busy role led")
        self.assertFalse(set(leads(a)) & set(leads(b)), "a role led twice")

        nodes = [a.create_node(f"n{i}") for i in range(10)]
        seen, lock, stop = {}, threading.Lock(), threading.Event()
        delivery = []

        def agent(n):
            # one agent per node, behind a "load balancer": each call goes to
            # the other replica
            k = 0
            while not stop.is_set():
                d = self.reps[k % 2]
                k += 1
                try:
                    request(d.url + "/agent/heartbeat", "POST", {"nodeId": n["id"]}, token=n["token"], timeout=5)
                    r = request(d.url + "/agent/tasks/poll", "POST",
                                {"nodeId": n["id"], "waitSec": 2, "maxTasks": 20}, token=n["token"], timeout=10)
                    now = time.time()
                    for t in r.json().get("tasks", []):
                        with lock:
                            seen[t["taskId"]] = seen.get(t["taskId"], 0) + 1
                            delivery.append(now - float(t["payload"]["files"][0]["content"]))
                        body = {"nodeId": n["id"], "taskId": t["taskId"], "attempt": t["attempt"],
                                "status": "succeeded"}
                        request(self.reps[k % 2].url + "/agent/tasks/report", "POST", body, token=n["token"])
                except (OSError, ValueError):
                    time.sleep(0.1)

        threads = [threading.Thread(target=agent, args=(n,), daemon=True) for n in nodes]
        for t in threads:
            t.start()
        wait_until(lambda: all(x["status"] == "online" for x in b.call("GET", "/admin/nodes").json()["items"]),
                   10, what="online on b")

        ids, ilock = [], threading.Lock()

        def queue(d, base):
            for i in range(500):
                n = nodes[(base + i) % len(nodes)]
                r = d.queue(n["id"], "ApplyConfigFiles",
                            {"files": [{"path": f"/etc/pagoda/t{base + i}", "content": repr(time.time())}]})
                assert r.status == 201, r
                with ilock:
                    ids.append(r.json()["id"])

        qs = [threading.Thread(target=queue, args=(a, 0)), threading.Thread(target=queue, args=(b, 500))]
        for t in qs:
            t.start()
        for t in qs:
            t.join()
        self.assertEqual(len(set(ids)), 1000)
        wait_until(lambda: len(seen) == 1000, 60, interval=0.2, what="1000 tasks delivered")
        time.sleep(1)
        self.assertEqual({k: v for k, v in seen.items() if v != 1}, {}, "a task delivered twice")
        counts = a.call("GET", "/admin/tasks?status=succeeded&limit=1000").json()["items"]
        wait_until(lambda: len(a.call("GET", "/admin/tasks?status=succeeded&limit=1000").json()["items"]) == 1000,
                   20, what="1000 succeeded")
        delivery.sort()
        # a queued task reaches the long poll on the other replica quickly (NOTIFY)
        p50, p99 = delivery[len(delivery) // 2], delivery[int(len(delivery) * 0.99)]
        print(f"\n1000 tasks through 2 replicas: delivery p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
        self.assertLess(p50, 1.0, f"median delivery {p50:.3f}s")

        # blocking registry query on b, woken by a change through a
        a.call("POST", "/admin/registry/services", {"name": "web", "port": 9000})
        idx = b.call("GET", "/api/registry/services/web/endpoints").json()["index"]
        got = {}

        def block():
            t0 = time.monotonic()
            r = b.call("GET", f"/api/registry/services/web/endpoints?index={idx}&wait=20s", timeout=30)
            got["r"], got["t"] = r, time.monotonic() - t0

        t = threading.Thread(target=block)
        t.start()
        time.sleep(0.5)
        a.call("POST", "/admin/registry/services/web/endpoints", {"ip": "192.0.2.1", "port": 80})
        t.join()
        self.assertLess(got["t"], 5)
        self.assertEqual(len(got["r"].json()["items"]), 1)

        # heartbeats through either replica keep every node online on both
        for d in self.reps:
            self.assertEqual({x["status"] for x in d.call("GET", "/admin/nodes").json()["items"]}, {"online"})
        self.assertEqual(a.audit(action="node.offline"), [])
        self.assertEqual(len(a.audit(action="node.online")), 10)  # each transition written once
        stop.set()
        for t in threads:
            t.join()
        # and when they stop, the leader sees them go offline
        wait_until(lambda: {x["status"] for x in b.call("GET", "/admin/nodes").json()["items"]} == {"offline"},
                   15, what="offline")
        self.assertEqual(len(a.audit(action="node.offline")), 10)

    def test_config_watch_wakes_on_the_other_replica(self):
        a, b = self.a, self.b
        cid = a.call("POST", "/admin/configs", {"name": "flags.txt", "content": "one\n"}).json()["id"]
        a.call("POST", f"/admin/configs/{cid}/publish", {})
        tok = a.call("POST", f"/admin/configs/{cid}/tokens", {"name": "reader"}).json()["token"]
        first = b.call("GET", f"/api/configs/{cid}", token=tok).json()
        got = {}

        def watch():
            t0 = time.monotonic()
            got["r"] = b.call("GET", f"/api/configs/{cid}?index={first['index']}&wait=20s", token=tok)
            got["s"] = time.monotonic() - t0

        th = threading.Thread(target=watch)
        th.start()
        time.sleep(0.5)
        a.call("PUT", f"/admin/configs/{cid}", {"content": "two\n"})
        a.call("POST", f"/admin/configs/{cid}/publish", {})
        th.join(15)
        self.assertEqual((got["r"].status, got["r"].json()["content"]), (200, "two\n"))
        self.assertLess(got["s"], 5, "woken through the store, not by the wait running out")

    def replica(self, name, *args):
        """Another replica of a's database with its own data directory."""
        d = Pagodad(self.tmp, "--heartbeat-interval", "1", *args, name=name, store_url=self.a.store_url)
        os.makedirs(d.data_dir, mode=0o700)
        for f in ("master.key", "admin.token"):
            shutil.copy2(os.path.join(self.a.data_dir, f), os.path.join(d.data_dir, f))
        self.reps.append(d.start())
        return d

    def test_blobs_across_replicas(self):
        """A blob's row is in the shared database, its bytes in blob.dir: a
        replica with its own directory says so (503), one sharing the
        directory serves the same bytes, range requests included."""
        a, b = self.a, self.b
        c = self.replica("c", "--blob-dir", os.path.join(a.data_dir, "blobs"))
        data = os.urandom(150000).hex().encode()  # text: the harness decodes answers
        sha = hashlib.sha256(data).hexdigest()
        r = a.call("POST", f"/admin/blobs?name=app.bin&sha256={sha}", raw=data,
                   headers={"Content-Type": "application/octet-stream"})
        self.assertIn(r.status, (200, 201), r)
        self.assertEqual(b.call("GET", f"/admin/blobs/{sha}").json()["size"], len(data))
        n = a.create_node("blobby", "10.0.0.9", {"role": "blob"})
        r = a.call("POST", "/admin/apps", {"name": "shipped", "type": "SystemdService",
                                           "selector": {"labels": "role=blob"},
                                           "spec": {"unit": {"exec": "bin/serve"},
                                                    "artifacts": [{"source": "blob", "sha256": sha, "dest": "bin/serve", "mode": "0755"}]}})
        self.assertEqual(r.status, 201, r)
        app = r.json()
        def fetch(d):
            return request(d.url + f"/agent/blobs/{sha}", token=n["token"], context=d.context())

        request(a.url + "/agent/heartbeat", "POST", {"nodeId": n["id"]}, token=n["token"], context=a.context())
        rel = a.call("POST", f"/admin/apps/{app['id']}/releases", {}).json()
        self.assertEqual(a.call("POST", f"/admin/releases/{rel['id']}/execute").status, 200)
        # the node is in the release once its first batch starts
        wait_until(lambda: fetch(a).status != 403, 10, what="the node's release recorded")

        r = fetch(b)
        self.assertEqual((r.status, r.error.get("field")), (503, "sha256"), r)
        self.assertIn("shared", r.error["message"])
        import urllib.request
        for d in (a, c):
            req = urllib.request.Request(d.url + f"/agent/blobs/{sha}",
                                         headers={"Authorization": f"Bearer {n['token']}", "Range": "bytes=1000-"})
            with urllib.request.urlopen(req, context=d.context()) as resp:
                self.assertEqual((resp.status, resp.read()), (206, data[1000:]))
        # deleting through one replica is refused while a release uses it, on any replica
        self.assertEqual(c.call("DELETE", f"/admin/blobs/{sha}").status, 409)

    def test_release_completes_after_its_leader_is_killed(self):
        a, b = self.a, self.b
        nodes = [a.create_node(f"web-{i}", f"10.0.0.{i + 1}", {"role": "web"}) for i in range(3)]
        alive = list(self.reps)
        stop = threading.Event()

        def agents():
            k = 0
            while not stop.is_set():
                for n in nodes:
                    d = alive[k % len(alive)]
                    k += 1
                    try:
                        request(d.url + "/agent/heartbeat", "POST", {"nodeId": n["id"]}, token=n["token"], timeout=3)
                        r = request(d.url + "/agent/tasks/poll", "POST", {"nodeId": n["id"], "waitSec": 0,
                                                                          "maxTasks": 20}, token=n["token"], timeout=3)
                        for t in r.json().get("tasks", []):
                            request(d.url + "/agent/tasks/report", "POST",
                                    {"nodeId": n["id"], "taskId": t["taskId"], "attempt": t["attempt"],
                                     "status": "succeeded"}, token=n["token"], timeout=3)
                    except (OSError, ValueError):
                        pass
                time.sleep(0.1)

        th = threading.Thread(target=agents, daemon=True)
        th.start()
        wait_until(lambda: {x["status"] for x in a.call("GET", "/admin/nodes").json()["items"]} == {"online"}, 10,
                   what="nodes online")
        app = a.call("POST", "/admin/apps", {"name": "shop", "type": "SystemdService", "selector": {"labels": "role=web"},
                                             "strategy": {"batchSize": 1, "pauseBetweenBatchesSec": 2},
                                             "spec": {"unit": dict(UNIT), "listenPort": 9000}}).json()
        rel = a.call("POST", f"/admin/apps/{app['id']}/releases", {}).json()
        self.assertEqual(b.call("POST", f"/admin/releases/{rel['id']}/execute").status, 200)
        wait_until(lambda: (x := a.call("GET", f"/admin/releases/{rel['id']}").json()["batches"]) and
                   x[0]["status"] == "done", 30, what="first batch done")
        leader = next(d for d in self.reps if "releases" in leads(d))
        survivor = b if leader is a else a
        alive.remove(leader)
        leader.stop(signal.SIGKILL)
        t0 = time.monotonic()
        wait_until(lambda: "releases" in leads(survivor), 15, what="the survivor leads releases")
        took = time.monotonic() - t0
        print(f"\nreleases leadership moved in {took:.1f} s")
        self.assertLess(took, 10)
        r = wait_until(lambda: (x := survivor.call("GET", f"/admin/releases/{rel['id']}").json())["status"] == "succeeded"
                       and x, 60, what="release succeeded")
        self.assertEqual([n["status"] for n in r["nodes"]], ["succeeded"] * 3)
        stop.set()
        th.join()


if __name__ == "__main__":
    unittest.main()
