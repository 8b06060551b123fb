"""Drift: agents report hashes of what they manage; pagodad compares them
with what succeeded tasks put there, shows it per node and application, and
heals or alerts as policies/drift.lua decides."""
import os
import tempfile
import threading
import time
import unittest

from harness import Cluster, request, wait_until

FILE = "/etc/pagoda/app/app.conf"

HEAL_ALL = """
local M = {}
function M.decide(ctx)
  local n = 0
  for _, age in ipairs(ctx.heals.agesSec) do if age < 600 then n = n + 1 end end
  if n >= 2 then return { action = "alert", reason = "rate limited" } end
  return { action = "heal", reason = "test policy heals everything" }
end
return M
"""


def read(path):
    with open(path) as f:
        return f.read()


def owner_entry(status, owner=""):
    return next((o for o in status["owners"] if o["owner"] == owner), None)


class Drift(unittest.TestCase):
    def test_hand_edit_is_seen_within_one_report_interval(self):
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("node-a")
            a = c.agent(n, "--state-interval", "1")
            r = d.queue(n["id"], "ApplyConfigFiles", {"files": [{"path": FILE, "content": "port = 1\n"}]})
            d.wait_task(r.json()["id"], "succeeded")
            st = wait_until(lambda: (s := d.call("GET", f"/admin/nodes/{n['id']}/status").json())["status"] == "converged" and s,
                            10, what="converged")
            self.assertEqual(owner_entry(st)["items"], 1)
            self.assertIn(FILE, st["report"]["files"])
            self.assertEqual(len(st["report"]["files"][FILE]["sha256"]), 64)

            with open(a.path(FILE), "w") as f:
                f.write("port = 2\n")
            t0 = time.monotonic()
            st = wait_until(lambda: (s := d.call("GET", f"/admin/nodes/{n['id']}/status").json())["status"] == "drifted"
                            and "decision" in owner_entry(s) and s, 10, what="drifted")
            self.assertLess(time.monotonic() - t0, 3.0)
            diff = owner_entry(st)["drift"]
            self.assertEqual(diff[0]["item"], "file:" + FILE)
            self.assertEqual(diff[0]["reason"], "changed")
            self.assertEqual(owner_entry(st)["decision"]["action"], "alert")
            ev = d.audit(action="drift.detected")
            self.assertEqual(len(ev), 1)
            # alert only: the file stays as edited
            time.sleep(1.5)
            with open(a.path(FILE)) as f:
                self.assertEqual(f.read(), "port = 2\n")

            os.unlink(a.path(FILE))
            st = wait_until(lambda: (s := d.call("GET", f"/admin/nodes/{n['id']}/status").json()) and
                            owner_entry(s)["drift"] and owner_entry(s)["drift"][0]["reason"] == "missing" and s,
                            10, what="missing")
            # listed among drifted verdicts
            items = d.call("GET", "/admin/drift?status=drifted").json()["items"]
            self.assertEqual([(i["nodeId"], i["owner"]) for i in items], [(n["id"], "")])
            self.assertEqual(d.call("GET", "/admin/drift?status=bogus").status, 400)
            self.assertEqual(d.call("GET", "/admin/nodes/999/status").status, 404)

            # an offline node's state is unknown, whatever it last reported
            a.stop()
            st = wait_until(lambda: (s := d.call("GET", f"/admin/nodes/{n['id']}/status").json())["status"] == "unknown" and s,
                            10, what="unknown")
            self.assertFalse(st["online"])
            self.assertEqual(owner_entry(st)["status"], "unknown")

    def test_state_reports_and_the_sweep_never_wait_on_each_other(self):
        """A state report is judged on the writer thread, inside its group's write
        transaction; the sweep (every 2 s, over drifted nodes) judges too. Both must
        take the write lock before the evaluation lock: in the other order each waits
        on the other until SQLite's busy timeout (10 s), the heartbeats behind them
        too, and the nodes go offline (seen in the console test)."""
        with Cluster() as c:
            d = c.daemon
            nodes = [d.create_node(f"node-{i}") for i in range(3)]
            for n in nodes:  # online; what a succeeded task put there, then a report that differs: drifted
                request(d.url + "/agent/heartbeat", "POST", {"nodeId": n["id"]}, token=n["token"])
                r = d.queue(n["id"], "ApplyConfigFiles", {"files": [{"path": FILE, "content": "port = 1\n"}]})
                tid = r.json()["id"]
                t = request(d.url + "/agent/tasks/poll", "POST", {"nodeId": n["id"], "waitSec": 0}, token=n["token"])
                self.assertEqual([x["taskId"] for x in t.json()["tasks"]], [tid])
                r = request(d.url + "/agent/tasks/report", "POST", {"nodeId": n["id"], "taskId": tid, "attempt": 1,
                                                                    "status": "succeeded",
                                                                    "artifacts": {"files": [{"path": FILE,
                                                                                             "sha256": "a" * 64}]}},
                            token=n["token"])
                self.assertEqual(r.status, 200, r)
            report = lambda n: {"nodeId": n["id"], "files": {FILE: {"sha256": "0" * 64}}}
            for n in nodes:
                self.assertEqual(request(d.url + "/agent/state", "POST", report(n), token=n["token"]).status, 200)
            wait_until(lambda: all(d.call("GET", f"/admin/nodes/{n['id']}/status").json()["status"] == "drifted"
                                   for n in nodes), 10, what="drifted")
            slowest, failed, stop = [0.0], [], time.monotonic() + 8  # four sweeps
            def hammer(n):
                while time.monotonic() < stop:
                    t0 = time.monotonic()
                    r = request(d.url + "/agent/state", "POST", report(n), token=n["token"], timeout=30)
                    slowest[0] = max(slowest[0], time.monotonic() - t0)
                    if r.status != 200:
                        failed.append(r.status)
            threads = [threading.Thread(target=hammer, args=(n,)) for n in nodes for _ in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual([l for l in d.read_log().splitlines() if "database is locked" in l], [])
            self.assertEqual(failed, [])
            self.assertLess(slowest[0], 5.0, "a report waited on the busy timeout")

    def test_heal_policy_restores_the_file_and_the_drift_clears(self):
        lua = tempfile.mkdtemp(prefix="pagoda-lua-")
        os.makedirs(os.path.join(lua, "policies"))
        with open(os.path.join(lua, "policies", "drift.lua"), "w") as f:
            f.write(HEAL_ALL)
        with Cluster("--lua-dir", lua) as c:
            d = c.daemon
            n = d.create_node("node-a")
            a = c.agent(n, "--state-interval", "1")
            r = d.queue(n["id"], "ApplyConfigFiles", {"files": [{"path": FILE, "content": "port = 1\n"}]})
            d.wait_task(r.json()["id"], "succeeded")
            wait_until(lambda: d.call("GET", f"/admin/nodes/{n['id']}/status").json()["status"] == "converged",
                       10, what="converged")
            with open(a.path(FILE), "w") as f:
                f.write("port = 666\n")
            wait_until(lambda: read(a.path(FILE)) == "port = 1\n", 10, what="file restored")
            wait_until(lambda: d.call("GET", f"/admin/nodes/{n['id']}/status").json()["status"] == "converged",
                       10, what="converged again")
            heals = d.audit(action="drift.heal")
            self.assertEqual(len(heals), 1)
            self.assertEqual(len(heals[0]["details"]["tasks"]), 1)
            # a node that keeps drifting is not hammered: the policy's limit holds
            for i in range(3):
                with open(a.path(FILE), "w") as f:
                    f.write(f"port = {700 + i}\n")
                time.sleep(2.5)
            self.assertEqual(len(d.audit(action="drift.heal")), 2)
            st = d.call("GET", f"/admin/nodes/{n['id']}/status").json()
            self.assertEqual(st["status"], "drifted")
            self.assertEqual(owner_entry(st)["decision"]["action"], "alert")


if __name__ == "__main__":
    unittest.main()
