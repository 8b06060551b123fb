"""Applications and releases through the API, with agents simulated through
the agent endpoints (the real-node story is test_fleet.py): validation,
artifacts and diffs, approval with four eyes, pause/resume, cancel, manual
rollback, offline nodes skipped, and deletion."""
import time
import unittest

from harness import Cluster, request, wait_until

UNIT = {"exec": "/usr/bin/python3", "args": ["-m", "http.server", "9000"]}


class FakeAgents:
    """Answers every delivered task of the given nodes; fail(type) decides."""

    def __init__(self, d, nodes, fail=lambda node, task: False):
        self.d, self.nodes, self.fail = d, nodes, fail
        self.seen = []

    def step(self):
        for n in self.nodes:
            request(self.d.url + "/agent/heartbeat", "POST", {"nodeId": n["id"]}, token=n["token"])
            tasks = request(self.d.url + "/agent/tasks/poll", "POST",
                            {"nodeId": n["id"], "waitSec": 0, "maxTasks": 20}, token=n["token"]).json()["tasks"]
            for t in tasks:
                self.seen.append((n["id"], t["type"], t["payload"]))
                bad = self.fail(n, t)
                body = {"nodeId": n["id"], "taskId": t["taskId"], "attempt": t["attempt"],
                        "status": "failed" if bad else "succeeded"}
                if bad:
                    body["errorMessage"] = "simulated failure"
                request(self.d.url + "/agent/tasks/report", "POST", body, token=n["token"])

    def run_until(self, cond, timeout=30, what="condition"):
        def tick():
            self.step()
            return cond()
        return wait_until(tick, timeout, interval=0.2, what=what)


def status(d, rid):
    return d.call("GET", f"/admin/releases/{rid}").json()


class Apps(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("--heartbeat-interval", "30")
        self.c.__enter__()
        self.d = self.c.daemon
        self.nodes = [self.d.create_node(f"web-{i}", f"10.0.0.{i + 1}", {"role": "web"}) for i in range(3)]

    def tearDown(self):
        self.c.__exit__(None, None, None)

    def create_app(self, **over):
        body = {"name": "shop", "type": "SystemdService", "selector": {"labels": "role=web"},
                "strategy": {"batchSize": 2}, "spec": {"unit": dict(UNIT), "listenPort": 9000}}
        body.update(over)
        r = self.d.call("POST", "/admin/apps", body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def new_release(self, app):
        r = self.d.call("POST", f"/admin/apps/{app['id']}/releases", {"note": "test"})
        self.assertEqual(r.status, 201, r)
        return r.json()

    def test_log_streams_end_when_pagodad_stops(self):
        """A follow stream waits suspended; stopping pagodad ends it cleanly
        (libmicrohttpd refuses to stop with a suspended connection)."""
        import threading
        app = self.create_app()
        got = []

        def follow():
            try:
                for event in self.d.events(f"/admin/apps/{app['id']}/logs?follow=true", timeout=30):
                    got.append(event)
                got.append("closed")
            except OSError as e:
                got.append(e)
        th = threading.Thread(target=follow, daemon=True)
        th.start()
        time.sleep(1.5)  # the nodes never answer (no agent): the stream just waits
        proc = self.d.proc
        self.d.stop()
        self.assertEqual(proc.returncode, 0)
        th.join(10)
        self.assertEqual(got[-1:], ["closed"], got)
        with open(self.d.log_path, errors="replace") as f:
            self.assertNotIn("Fatal error", f.read())

    def test_validation_and_service_registration(self):
        d = self.d
        before = d.snapshot()
        for body, field in [
            ({"name": "Shop", "type": "SystemdService", "selector": {"nodes": [1]}}, "name"),
            ({"name": "shop", "type": "Lambda", "selector": {"nodes": [1]}}, "type"),
            ({"name": "shop", "type": "SystemdService", "selector": {}}, "selector"),
            ({"name": "shop", "type": "SystemdService", "selector": {"labels": "a b"}}, "selector.labels"),
            ({"name": "shop", "type": "SystemdService", "selector": {"nodes": [1]}}, "spec"),
            ({"name": "shop", "type": "SystemdService", "selector": {"nodes": [1]},
              "spec": {"unit": {"exec": "python3"}}}, "spec.unit.exec"),
            ({"name": "shop", "type": "SystemdService", "selector": {"nodes": [1]},
              "spec": {"unit": {"exec": "/bin/x", "args": ["a\nExecStartPre=/bin/sh"]}}}, "spec.unit.args[1]"),
            ({"name": "shop", "type": "SystemdService", "selector": {"nodes": [1]},
              "spec": {"unit": {"exec": "/bin/x"}, "configFiles": [{"configId": 1, "path": "/etc/../x"}]}},
             "spec.configFiles[0].path"),
            ({"name": "shop", "type": "SystemdService", "selector": {"nodes": [1]},
              "spec": {"unit": {"exec": "/bin/x"}, "healthCheck": {"type": "http", "path": "/h"}}},
             "spec.healthCheck.type"),
            ({"name": "shop", "type": "SystemdService", "selector": {"nodes": [1]}, "strategy": {"batchSize": 0},
              "spec": {"unit": {"exec": "/bin/x"}}}, "strategy.batchSize"),
            ({"name": "front", "type": "ReverseProxy", "selector": {"nodes": [1]}, "spec": {"x": 1}}, "spec.x"),
        ]:
            with self.subTest(field=field):
                r = d.call("POST", "/admin/apps", body)
                self.assertEqual((r.status, r.error.get("field")), (400, field), r)
        self.assertEqual(d.snapshot(), before)
        app = self.create_app()
        self.assertEqual(d.call("POST", "/admin/apps", {"name": "shop", "type": "SystemdService",
                                                       "selector": {"nodes": [1]},
                                                       "spec": {"unit": {"exec": "/bin/x"}}}).status, 409)
        svc = d.call("GET", "/admin/registry/services/shop").json()
        self.assertEqual((svc["port"], svc["healthCheck"]["type"]), (9000, "tcp"))
        self.assertEqual(d.call("PUT", f"/admin/apps/{app['id']}", {"type": "ReverseProxy"}).status, 400)
        # ingresses belong to reverse proxies, and are checked like the template checks
        self.assertEqual(d.call("POST", f"/admin/apps/{app['id']}/ingresses",
                                {"domains": ["a.test"], "paths": [{"path": "/", "service": "shop"}]}).status, 422)
        front = d.call("POST", "/admin/apps", {"name": "front", "type": "ReverseProxy", "selector": {"nodes": [1]}}).json()
        for ing, field in [({"domains": ["a.test;"], "paths": [{"path": "/", "service": "shop"}]}, "domains[1]"),
                           ({"domains": ["a.test"], "paths": [{"path": "/x y", "service": "shop"}]}, "paths[1].path"),
                           ({"domains": ["a.test"], "paths": []}, "paths")]:
            r = d.call("POST", f"/admin/apps/{front['id']}/ingresses", ing)
            self.assertEqual((r.status, r.error.get("field")), (400, field), r)
        ing = d.call("POST", f"/admin/apps/{front['id']}/ingresses",
                     {"domains": ["a.test"], "paths": [{"path": "/", "service": "shop"}]}).json()
        got = d.call("GET", f"/admin/ingresses/{ing['id']}")
        self.assertEqual((got.status, got.json()["domains"]), (200, ["a.test"]), got)
        self.assertEqual(d.call("GET", "/admin/ingresses/999").status, 404)

    def test_release_batches_diff_and_success(self):
        d = self.d
        app = self.create_app()

        def state():
            return d.call("GET", f"/admin/apps/{app['id']}/status").json()["state"]
        self.assertEqual(state()["phase"], "never_deployed")
        rel = self.new_release(app)
        self.assertEqual(rel["status"], "created")
        self.assertTrue(rel["diff"]["firstRelease"])
        self.assertTrue(rel["diff"]["unit"]["changed"])
        self.assertIn('+ExecStart="/usr/bin/python3" "-m" "http.server" "9000"', rel["diffText"])
        self.assertEqual(len(rel["diff"]["nodes"]["notReady"]), 3)  # nobody has heartbeated yet
        agents = FakeAgents(d, self.nodes)
        agents.step()
        r = d.call("POST", f"/admin/releases/{rel['id']}/execute")
        self.assertEqual(r.status, 200)
        self.assertEqual(state()["phase"], "deploying")
        done = agents.run_until(lambda: status(d, rel["id"])["status"] == "succeeded", what="release succeeded")
        rel = status(d, rel["id"])
        self.assertEqual([(b["outcome"], b["failedNodes"]) for b in rel["batches"]], [("succeeded", 0)] * 2)
        # the fake agents send no state report: every node pending, none against it
        self.assertEqual((state()["phase"], state()["total"], state()["pending"]), ("running", 3, 3))
        self.assertEqual([len(b["nodes"]) for b in rel["batches"]], [2, 1])
        self.assertEqual([t["type"] for t in rel["nodes"][0]["tasks"]],
                         ["SystemdInstallUnit", "SystemdControl", "HealthProbe"])
        self.assertEqual(d.call("GET", f"/admin/apps/{app['id']}").json()["currentReleaseId"], rel["id"])
        controls = [p["action"] for _, t, p in agents.seen if t == "SystemdControl"]
        self.assertEqual(controls, ["restart"] * 3)
        # the same artifacts again: nothing changed, so start, not restart
        rel2 = self.new_release(app)
        self.assertFalse(rel2["diff"]["unit"]["changed"])
        self.assertEqual(rel2["diffText"], "")
        d.call("POST", f"/admin/releases/{rel2['id']}/execute")
        agents.seen.clear()
        agents.run_until(lambda: status(d, rel2["id"])["status"] == "succeeded", what="second release")
        self.assertEqual([p["action"] for _, t, p in agents.seen if t == "SystemdControl"], ["start"] * 3)
        probe = next(p for _, t, p in agents.seen if t == "HealthProbe")
        self.assertEqual(probe["register"], {"service": "shop", "port": 9000, "version": "r2"})

    def test_offline_nodes_are_skipped_and_a_failure_stops_later_batches(self):
        d = self.d
        app = self.create_app(strategy={"batchSize": 1})
        agents = FakeAgents(d, self.nodes[:2], fail=lambda n, t: n["id"] == self.nodes[0]["id"] and t["type"] == "HealthProbe")
        agents.step()  # heartbeats: web-0 and web-1 online, web-2 never seen
        rel = self.new_release(app)
        d.call("POST", f"/admin/releases/{rel['id']}/execute")
        agents.run_until(lambda: status(d, rel["id"])["status"] == "failed", what="failed release")
        rel = status(d, rel["id"])
        self.assertEqual({(n["nodeId"], n["status"]) for n in rel["nodes"]},
                         {(self.nodes[0]["id"], "failed"), (self.nodes[1]["id"], "pending"),
                          (self.nodes[2]["id"], "skipped")})
        failed = next(n for n in rel["nodes"] if n["status"] == "failed")
        self.assertIn("simulated failure", failed["error"])
        self.assertEqual([b["status"] for b in rel["batches"]], ["done", "pending"])
        # a done batch with a failed node is failed, not "done"
        self.assertEqual([(b["outcome"], b["failedNodes"]) for b in rel["batches"]], [("failed", 1), (None, 0)])
        self.assertEqual(rel["batches"][0]["decision"]["action"], "fail")  # rollback is manual
        self.assertIsNone(d.call("GET", f"/admin/apps/{app['id']}").json()["currentReleaseId"])
        # never ran, and its only release failed: failed, not "Running"
        st = d.call("GET", f"/admin/apps/{app['id']}/status").json()["state"]
        self.assertEqual((st["phase"], st["lastReleaseFailed"]), ("failed", True))

    def test_approval_pause_resume_cancel_and_manual_rollback(self):
        d = self.d
        app = self.create_app(requireApproval=True, strategy={"batchSize": 1})
        agents = FakeAgents(d, self.nodes)
        agents.step()
        rel = self.new_release(app)
        r = d.call("POST", f"/admin/releases/{rel['id']}/execute")
        self.assertEqual((r.status, r.error.get("code")), (422, "failed_precondition"))
        r = d.call("POST", f"/admin/releases/{rel['id']}/approve")
        self.assertEqual(r.status, 403)  # its creator cannot approve it
        approver = d.call("POST", "/admin/tokens", {"name": "approver", "permissions": ["admin:release:approve"]}).json()["token"]
        r = d.call("POST", f"/admin/releases/{rel['id']}/approve", token=approver)
        self.assertEqual((r.status, r.json()["status"]), (200, "approved"))
        self.assertEqual(d.call("POST", f"/admin/releases/{rel['id']}/execute").json()["status"], "running")
        agents.run_until(lambda: status(d, rel["id"])["batches"] and status(d, rel["id"])["batches"][0]["status"] == "done",
                         what="first batch")
        self.assertEqual(d.call("POST", f"/admin/releases/{rel['id']}/pause").json()["status"], "paused")
        for _ in range(5):
            agents.step()
        self.assertEqual(status(d, rel["id"])["status"], "paused")
        self.assertEqual(d.call("POST", f"/admin/releases/{rel['id']}/pause").status, 409)
        self.assertEqual(d.call("POST", f"/admin/releases/{rel['id']}/resume").json()["status"], "running")
        agents.run_until(lambda: status(d, rel["id"])["status"] == "succeeded", what="resumed release")
        # a second release, cancelled while running
        d.call("PUT", f"/admin/apps/{app['id']}", {"requireApproval": False,
                                                   "spec": {"unit": {**UNIT, "environment": {"V": "2"}}, "listenPort": 9000}})
        rel2 = self.new_release(app)
        self.assertEqual(rel2["diff"]["unit"]["changed"], True)
        d.call("POST", f"/admin/releases/{rel2['id']}/execute")
        wait_until(lambda: status(d, rel2["id"])["nodes"], 10, what="planned")
        self.assertEqual(d.call("POST", f"/admin/releases/{rel2['id']}/cancel").json()["status"], "cancelled")
        cancelled = [t for n in status(d, rel2["id"])["nodes"] for t in n["tasks"]]
        self.assertTrue(cancelled and all(t["status"] == "cancelled" for t in cancelled), status(d, rel2["id"])["nodes"])
        # a third release succeeds, then is rolled back by request to the first
        rel3 = self.new_release(app)
        d.call("POST", f"/admin/releases/{rel3['id']}/execute")
        agents.run_until(lambda: status(d, rel3["id"])["status"] == "succeeded", what="third release")
        r = d.call("POST", f"/admin/releases/{rel3['id']}/rollback", {})
        self.assertEqual(r.status, 201, r)
        rb = r.json()
        self.assertEqual((rb["kind"], rb["rollbackOf"]), ("rollback", rel3["id"]))
        agents.seen.clear()
        agents.run_until(lambda: status(d, rel3["id"])["status"] == "rolled_back", what="rolled back")
        self.assertEqual(status(d, rb["id"])["status"], "succeeded")
        units = [p["content"] for _, t, p in agents.seen if t == "SystemdInstallUnit"]
        self.assertTrue(units and all('"V=2"' not in u for u in units))
        self.assertEqual([p["action"] for _, t, p in agents.seen if t == "SystemdControl"], ["restart"] * 3)
        rel_actions = {e["action"] for e in d.audit(targetType="release")}
        for a in ["release.create", "release.approve", "release.execute", "release.pause", "release.resume",
                  "release.cancel", "release.succeed", "release.rollback", "release.rolled_back"]:
            self.assertIn(a, rel_actions)

    def test_delete_needs_a_stop_or_force(self):
        d = self.d
        app = self.create_app()
        agents = FakeAgents(d, self.nodes)
        agents.step()
        rel = self.new_release(app)
        d.call("POST", f"/admin/releases/{rel['id']}/execute")
        agents.run_until(lambda: status(d, rel["id"])["status"] == "succeeded", what="release")
        r = d.call("DELETE", f"/admin/apps/{app['id']}")
        self.assertEqual(r.status, 409)
        self.assertIn("force", r.error["message"])
        agents.seen.clear()
        self.assertEqual(d.call("DELETE", f"/admin/apps/{app['id']}?force=true").status, 204)
        agents.step()
        stops = [p for _, t, p in agents.seen if t == "SystemdControl"]
        self.assertEqual(len(stops), 3)
        self.assertEqual(stops[0], {"unitName": "shop.service", "action": "stop", "deregister": ["shop"]})
        self.assertEqual(d.call("GET", f"/admin/apps/{app['id']}").status, 404)


if __name__ == "__main__":
    unittest.main()
