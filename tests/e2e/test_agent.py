"""pagoda-agent against pagodad on loopback: online/offline, file tasks,
the journal's idempotency, lease expiry and retry, token isolation."""
import os
import signal
import stat
import time
import unittest

from harness import Cluster, request, wait_until

FILE = "/etc/pagoda/app/app.conf"


class AgentBasics(unittest.TestCase):
    def test_online_apply_files_and_offline(self):
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("node-a", labels={"role": "web"})
            a = c.agent(n)
            node = wait_until(lambda: (x := d.node(n["id"]))["status"] == "online" and x, 10, what="online")
            self.assertTrue(node["capabilities"]["taskTypes"])
            self.assertIn("nginx", node["capabilities"])
            # the machine facts match this machine (the agent runs here)
            f = node["facts"]
            self.assertEqual(f["cpuCount"], os.cpu_count())
            self.assertEqual(f["kernel"], os.uname().release)
            self.assertEqual(len(f["load"]), 3)
            self.assertLessEqual(f["memAvailableBytes"], f["memTotalBytes"])
            self.assertGreater(f["uptimeSec"], 0)
            root = os.statvfs("/")
            self.assertEqual(list(f["disk"])[0], "/")
            self.assertEqual(f["disk"]["/"]["totalBytes"], root.f_blocks * root.f_frsize)
            self.assertLessEqual(len(f["disk"]), 16)
            for mount, disk in f["disk"].items():
                self.assertTrue(os.path.ismount(mount), mount)
                self.assertLessEqual(disk["freeBytes"], disk["totalBytes"])
            self.assertTrue(node["lastHeartbeatAt"])

            r = d.queue(n["id"], "ApplyConfigFiles", {"files": [
                {"path": FILE, "content": "port = 9000\n", "mode": "0640"},
                {"path": "/etc/pagoda/app/other.env", "content": "A=1\n"}]})
            self.assertEqual(r.status, 201, r)
            t = d.wait_task(r.json()["id"], "succeeded")
            with open(a.path(FILE)) as f:
                self.assertEqual(f.read(), "port = 9000\n")
            self.assertEqual(stat.S_IMODE(os.stat(a.path(FILE)).st_mode), 0o640)
            self.assertEqual(stat.S_IMODE(os.stat(a.path("/etc/pagoda/app/other.env")).st_mode), 0o644)
            files = t["result"]["files"]
            self.assertEqual([f["changed"] for f in files], [True, True])
            self.assertEqual(len(files[0]["sha256"]), 64)
            self.assertTrue(t["deliveredAt"] and t["startedAt"] and t["finishedAt"])
            self.assertEqual(t["attempt"], 1)

            # the same content again: the task succeeds and reports no change
            r = d.queue(n["id"], "ApplyConfigFiles", {"files": [
                {"path": FILE, "content": "port = 9000\n", "mode": "0640"}]})
            t = d.wait_task(r.json()["id"], "succeeded")
            self.assertFalse(t["result"]["files"][0]["changed"])

            # a path outside the agent's roots fails with the agent's reason
            r = d.queue(n["id"], "ApplyConfigFiles", {"files": [{"path": "/usr/bin/evil", "content": "x"}]},
                        maxRetries=0)
            t = d.wait_task(r.json()["id"], "failed")
            self.assertIn("outside the agent's allowed roots", t["errorMessage"])
            self.assertFalse(os.path.exists(a.path("/usr/bin/evil")))

            # RunCommand is off unless the agent allows it
            r = d.queue(n["id"], "RunCommand", {"argv": ["true"]}, maxRetries=0)
            t = d.wait_task(r.json()["id"], "failed")
            self.assertIn("--allow-exec", t["errorMessage"])

            a.stop()
            t0 = time.monotonic()
            wait_until(lambda: d.node(n["id"])["status"] == "offline", 10, what="offline")
            self.assertLess(time.monotonic() - t0, 5)  # 2.5 s without a 1 s heartbeat, checked each second
            actions = [e["action"] for e in reversed(d.audit(targetType="node", targetId=n["id"]))]
            self.assertEqual(actions, ["node.create", "node.online", "node.offline"])
            off = d.audit(action="node.offline")[0]
            self.assertEqual(off["actor"], "system")

    def test_one_connection_carries_everything(self):
        """The agent's heartbeats ride on its polls, and its polls, reports,
        state and endpoint reports share one connection: pagodad holds one
        connection per agent, not one per agent thread."""
        import re
        import subprocess
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("node-a")
            a = c.agent(n, "--state-interval", "1")
            wait_until(lambda: d.node(n["id"])["status"] == "online", 10, what="online")
            # something for the state thread and the endpoints thread to report
            r = d.queue(n["id"], "ApplyConfigFiles", {"files": [{"path": FILE, "content": "x\n"}]})
            d.wait_task(r.json()["id"], "succeeded")
            self.assertEqual(d.call("POST", "/admin/registry/services", {"name": "self", "port": 1}).status, 201)
            r = d.queue(n["id"], "HealthProbe", {"kind": "tcp", "port": int(d.url.rsplit(":", 1)[1]),
                                                 "register": {"service": "self", "port": 1}})
            d.wait_task(r.json()["id"], "succeeded")
            port = d.url.rsplit(":", 1)[1]

            def conns():
                out = subprocess.run(["ss", "-Htnp", "state", "established", "dport", "=", f":{port}"],
                                     capture_output=True, text=True, check=True).stdout
                return len([x for x in out.splitlines() if re.search(rf"pid={a.proc.pid},", x)])

            def hb_requests():
                text = request(d.url + "/metrics", token=d.admin).body
                return sum(float(x.rsplit(" ", 1)[1]) for x in text.splitlines()
                           if x.startswith("pagoda_http_requests_total{") and 'route="/agent/heartbeat"' in x)
            before, last = hb_requests(), d.node(n["id"])["lastHeartbeatAt"]
            seen = set()
            for _ in range(12):
                time.sleep(0.5)
                seen.add(conns())
            self.assertEqual(seen, {1}, "connections from the agent to pagodad")
            self.assertGreater(d.node(n["id"])["lastHeartbeatAt"], last)
            self.assertEqual(d.node(n["id"])["status"], "online")
            self.assertLessEqual(hb_requests() - before, 1, "heartbeats came in polls, not apart")
            eps = d.call("GET", "/api/registry/services/self/endpoints?healthy=false").json()["items"]
            self.assertEqual([(e["nodeId"], e["health"], e["source"]) for e in eps], [(n["id"], "healthy", "agent")])

    def test_run_command_output_and_exit_code(self):
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("node-a")
            c.agent(n, "--allow-exec")
            r = d.queue(n["id"], "RunCommand", {"argv": ["sh", "-c", "echo out; echo err >&2; exit 3"]},
                        maxRetries=0)
            t = d.wait_task(r.json()["id"], "failed")
            self.assertEqual((t["exitCode"], t["stdout"], t["stderr"]), (3, "out\n", "err\n"))
            self.assertIn("status 3", t["errorMessage"])
            r = d.queue(n["id"], "RunCommand", {"argv": ["sleep", "30"]}, timeoutSec=1, maxRetries=0)
            t = d.wait_task(r.json()["id"], "failed")
            self.assertIn("timed out", t["errorMessage"])
            r = d.queue(n["id"], "RunCommand", {"argv": ["printf", "%s", "a; rm -rf /"]})
            t = d.wait_task(r.json()["id"], "succeeded")
            self.assertEqual(t["stdout"], "a; rm -rf /")  # argv, not a shell

    def test_dependency_chain_moves_on_in_the_reports(self):
        """pagoda-agent takes a dependent task from its prerequisite's final
        report: a chain of three runs on one poll."""
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("node-a")
            a = c.agent(n, start=False)
            ids, prev = [], []
            for i in range(3):
                t = d.queue(n["id"], "ApplyConfigFiles",
                            {"files": [{"path": FILE, "content": f"v{i}\n"}]}, dependsOn=prev).json()
                ids.append(t["id"])
                prev = [t["id"]]
            a.start()
            for tid in ids:
                d.wait_task(tid, "succeeded")
            with open(a.path(FILE)) as f:
                self.assertEqual(f.read(), "v2\n")  # in order
            delivered = d.call("GET", "/admin/audit?action=task.deliver&limit=10").json()["items"]
            via = {int(x["targetId"]): x["details"]["via"] for x in delivered}
            self.assertEqual(via, {ids[0]: "poll", ids[1]: "report", ids[2]: "report"})

    def test_dependency_failure_cascades(self):
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("node-a")
            a = c.agent(n, "--allow-exec", start=False)
            first = d.queue(n["id"], "RunCommand", {"argv": ["false"]}, maxRetries=0).json()
            second = d.queue(n["id"], "ApplyConfigFiles", {"files": [{"path": FILE, "content": "x"}]},
                             dependsOn=[first["id"]]).json()
            a.start()  # only now: the first must not fail before the second is queued
            d.wait_task(first["id"], "failed")
            t = d.wait_task(second["id"], "failed")
            self.assertIn(f"dependency task {first['id']} failed", t["errorMessage"])
            self.assertEqual(t["attempt"], 0)  # never delivered


class AgentRobustness(unittest.TestCase):
    def test_redelivered_task_is_reported_not_rerun(self):
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("node-a")
            a = c.agent(n)
            r = d.queue(n["id"], "ApplyConfigFiles", {"files": [{"path": FILE, "content": "v1\n"}]})
            tid = r.json()["id"]
            d.wait_task(tid, "succeeded")
            # Lose the outcome on the server side, as if the report never
            # arrived; change the file by hand meanwhile.
            d.stop()
            d.sql("UPDATE cluster_task SET status='running', finished_at=NULL, result=NULL WHERE id=?", tid)
            with open(a.path(FILE), "w") as f:
                f.write("edited by hand\n")
            d.start()
            t = d.wait_task(tid, "succeeded")
            with open(a.path(FILE)) as f:
                self.assertEqual(f.read(), "edited by hand\n")  # not executed again
            self.assertEqual(len(t["result"]["files"]), 1)
            self.assertIn(f"task {tid} delivered again; replaying", a.read_log())
            self.assertEqual(t["attempt"], 1)

    def test_agent_killed_mid_lease_is_retried(self):
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("node-a")
            a = c.agent(n, "--allow-exec")
            marker = os.path.join(c.tmp, "marker")
            # first run: leaves a marker and hangs; a retry finds the marker and succeeds
            script = f"if [ -e {marker} ]; then echo second; else touch {marker}; sleep 60; fi"
            r = d.queue(n["id"], "RunCommand", {"argv": ["sh", "-c", script]}, timeoutSec=2, maxRetries=2)
            tid = r.json()["id"]
            wait_until(lambda: os.path.exists(marker), 10, what="first attempt started")
            a.stop(signal.SIGKILL)
            # lease = timeoutSec (2) + grace (1): then back to pending for a retry
            t = wait_until(lambda: (x := d.task(tid))["status"] == "pending" and x, 10, what="requeue")
            self.assertIn("lease expired", t["errorMessage"])
            self.assertEqual(t["retryCount"], 0)
            self.assertEqual(t["attempt"], 1)
            a.start()
            t = d.wait_task(tid, "succeeded", 15)
            self.assertEqual(t["attempt"], 2)
            self.assertEqual(t["retryCount"], 1)
            self.assertEqual(t["stdout"], "second\n")
            self.assertIn("task.retry", [e["action"] for e in d.audit(targetType="task", targetId=tid)])

    def test_agent_restarted_mid_task_resumes_by_retry(self):
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("node-a")
            a = c.agent(n, "--allow-exec")
            marker = os.path.join(c.tmp, "marker")
            script = f"if [ -e {marker} ]; then echo second; else touch {marker}; sleep 60; fi"
            r = d.queue(n["id"], "RunCommand", {"argv": ["sh", "-c", script]}, timeoutSec=120,
                        maxRetries=2, headers={"X-Trace-Id": "restart-test"})
            tid = r.json()["id"]
            wait_until(lambda: os.path.exists(marker), 10, what="first attempt started")
            a.stop(signal.SIGKILL)
            a.start()  # long before the 120 s lease ends
            t = d.wait_task(tid, "succeeded", 15)
            self.assertEqual((t["attempt"], t["stdout"]), (2, "second\n"))
            retry = [e for e in d.audit(targetType="task", targetId=tid) if e["action"] == "task.retry"]
            self.assertEqual(len(retry), 1)
            self.assertIn("interrupted by an agent restart", retry[0]["details"]["reason"])
            # the agent's reports carry the task's trace id into the audit log
            self.assertEqual(retry[0]["traceId"], "restart-test")
            self.assertEqual(retry[0]["actor"], f"node:{n['id']}")

    def test_lease_expiry_without_retries_fails(self):
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("node-a")
            r = d.queue(n["id"], "ApplyConfigFiles", {"files": [{"path": FILE, "content": "x"}]},
                        timeoutSec=1, maxRetries=0)
            tid = r.json()["id"]
            got = request(d.url + "/agent/tasks/poll", "POST", {"nodeId": n["id"], "waitSec": 0},
                          token=n["token"]).json()["tasks"]
            self.assertEqual([t["taskId"] for t in got], [tid])
            t = d.wait_task(tid, "failed", 10)
            self.assertIn("no retries are left", t["errorMessage"])
            # a late report for the finished task is refused, not applied
            r = request(d.url + "/agent/tasks/report", "POST",
                        {"nodeId": n["id"], "taskId": tid, "attempt": 1, "status": "succeeded"},
                        token=n["token"])
            self.assertEqual(r.status, 409)

    def test_agent_survives_control_plane_outage(self):
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("node-a")
            a = c.agent(n)
            wait_until(lambda: d.node(n["id"])["status"] == "online", 10, what="online")
            d.stop()
            time.sleep(3)
            self.assertIsNone(a.proc.poll(), "agent exited while pagodad was down")
            d.start()
            r = d.queue(n["id"], "ApplyConfigFiles", {"files": [{"path": FILE, "content": "back\n"}]})
            d.wait_task(r.json()["id"], "succeeded", 30)
            self.assertEqual(d.node(n["id"])["status"], "online")

    def test_agent_token_is_confined_to_its_node(self):
        with Cluster() as c:
            d = c.daemon
            na, nb = d.create_node("node-a"), d.create_node("node-b")
            d.queue(nb["id"], "ApplyConfigFiles", {"files": [{"path": FILE, "content": "b"}]})
            for path, body in [("/agent/tasks/poll", {"nodeId": nb["id"], "waitSec": 0}),
                               ("/agent/heartbeat", {"nodeId": nb["id"]}),
                               ("/agent/tasks/report", {"nodeId": nb["id"], "taskId": 1, "status": "succeeded"})]:
                r = request(d.url + path, "POST", body, token=na["token"])
                self.assertEqual((r.status, r.error.get("field")), (403, "nodeId"), path)
            # even naming its own node, A cannot report B's task
            r = request(d.url + "/agent/tasks/report", "POST",
                        {"nodeId": na["id"], "taskId": 1, "status": "succeeded"}, token=na["token"])
            self.assertEqual(r.status, 404)
            self.assertEqual(d.task(1)["status"], "pending")
            for method, path in [("GET", "/admin/nodes"), ("GET", "/admin/tasks"), ("POST", "/admin/tokens")]:
                r = request(d.url + path, method, {} if method == "POST" else None, token=na["token"])
                self.assertEqual(r.status, 403, path)
            # and an admin token is not an agent token
            r = request(d.url + "/agent/heartbeat", "POST", {"nodeId": na["id"]}, token=d.admin)
            self.assertEqual(r.status, 403)


if __name__ == "__main__":
    unittest.main()
