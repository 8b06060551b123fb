"""Admin API end to end: bootstrap, tokens and permissions, nodes, tasks,
audit, and bad input that must change nothing."""
import os
import stat
import threading
import time
import unittest

from harness import Cluster, request, wait_until


class BootstrapAndTokens(unittest.TestCase):
    def test_failed_authentication_is_rate_limited_per_address(self):
        with Cluster("--auth-fail-limit", "5") as c:
            d = c.daemon
            bad = "pga_" + "0" * 64
            for _ in range(5):
                self.assertEqual(request(d.url + "/admin/nodes", token=bad).status, 401)
            # now even the right token is refused from this address, with the reason and when to retry
            r = request(d.url + "/admin/nodes", token=d.admin)
            self.assertEqual((r.status, r.error["code"], r.error["field"]), (429, "rate_limited", "Authorization"))
            self.assertIn("too many failed authentications from 127.0.0.1", r.error["message"])
            self.assertTrue(55 <= int(r.headers["Retry-After"]) <= 60)
            self.assertEqual(request(d.url + "/healthz").status, 200)  # no token, no limit
            self.assertIn("failed authentications within a minute", d.read_log())


    def test_bootstrap_token_and_auth_errors(self):
        with Cluster() as c:
            d = c.daemon
            mode = stat.S_IMODE(os.stat(os.path.join(d.data_dir, "admin.token")).st_mode)
            self.assertEqual(mode, 0o600)
            if not d.store_url:
                self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d.data_dir, "pagoda.db")).st_mode), 0o600)
            self.assertEqual(request(d.url + "/healthz").status, 200)
            r = request(d.url + "/admin/nodes")
            self.assertEqual(r.status, 401)
            self.assertEqual(r.error["code"], "unauthenticated")
            r = request(d.url + "/admin/nodes", token="pga_" + "0" * 64)
            self.assertEqual(r.status, 401)
            self.assertEqual(d.call("GET", "/admin/nodes").status, 200)
            self.assertEqual(d.call("GET", "/no/such/thing").status, 404)
            self.assertEqual(d.call("PATCH", "/admin/nodes").status, 405)
            # the token is made once at first start, not again on restart,
            # and its secret is in its 0600 file only: never in a log
            d.stop()
            d.start()
            log = d.read_log()
            self.assertEqual(log.count("created the bootstrap admin token"), 1)
            self.assertNotIn(d.admin, log)
            self.assertNotIn(d.admin[4:20], log)

    def test_narrow_tokens_least_privilege(self):
        with Cluster() as c:
            d = c.daemon
            r = d.call("POST", "/admin/tokens", {"name": "reader", "permissions": ["admin:node:read"]})
            self.assertEqual(r.status, 201, r)
            reader = r.json()
            self.assertTrue(reader["token"].startswith("pga_"))
            ro = reader["token"]
            self.assertEqual(d.call("GET", "/admin/nodes", token=ro).status, 200)
            r = d.call("POST", "/admin/nodes", {"name": "x", "ip": "10.0.0.1"}, token=ro)
            self.assertEqual(r.status, 403)
            self.assertIn("admin:node:manage", r.error["message"])
            self.assertEqual(d.call("GET", "/admin/tokens", token=ro).status, 403)
            self.assertEqual(d.call("GET", "/admin/audit", token=ro).status, 403)

            # a token manager cannot mint a token stronger than itself
            r = d.call("POST", "/admin/tokens", {"name": "tm", "permissions": ["admin:token:manage"]})
            tm = r.json()["token"]
            r = d.call("POST", "/admin/tokens", {"name": "esc", "permissions": ["admin:node:manage"]}, token=tm)
            self.assertEqual(r.status, 403)
            self.assertEqual(r.error["field"], "permissions")

            # lists never show secrets; revoke makes the token useless
            listed = d.call("GET", "/admin/tokens").json()["items"]
            self.assertTrue(all("token" not in t for t in listed))
            self.assertEqual({t["name"] for t in listed}, {"bootstrap", "reader", "tm"})
            self.assertEqual(d.call("DELETE", f"/admin/tokens/{reader['id']}").status, 204)
            r = d.call("GET", "/admin/nodes", token=ro)
            self.assertEqual(r.status, 401)
            self.assertIn("revoked", r.error["message"])
            self.assertEqual(d.call("DELETE", f"/admin/tokens/{reader['id']}").status, 404)

            # expiry
            r = d.call("POST", "/admin/tokens", {"name": "soon", "permissions": ["admin:node:read"],
                                                 "expiresAt": "2020-01-01T00:00:00Z"})
            self.assertEqual(r.status, 400)
            self.assertEqual(r.error["field"], "expiresAt")
            soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
            r = d.call("POST", "/admin/tokens", {"name": "soon", "permissions": ["admin:node:read"],
                                                 "expiresAt": soon})
            self.assertEqual(r.status, 201, r)
            t = r.json()["token"]
            self.assertEqual(d.call("GET", "/admin/nodes", token=t).status, 200)
            wait_until(lambda: d.call("GET", "/admin/nodes", token=t).status == 401, 5, what="expiry")
            actions = [e["action"] for e in d.audit(targetType="token")]
            self.assertIn("token.create", actions)
            self.assertIn("token.revoke", actions)


class Nodes(unittest.TestCase):
    def test_node_lifecycle_filters_and_audit(self):
        with Cluster() as c:
            d = c.daemon
            web = d.create_node("web-1", "10.0.0.1", {"env": "prod", "role": "web"})
            self.assertTrue(web["token"].startswith("pgn_"))
            self.assertEqual(web["status"], "offline")
            db = d.create_node("db-1", "10.0.0.2", {"env": "prod", "role": "db"})
            d.create_node("dev-1", "fd00::3", {"env": "dev"})
            r = d.call("POST", "/admin/nodes", {"name": "web-1", "ip": "10.0.0.9"})
            self.assertEqual((r.status, r.error["field"]), (409, "name"))

            names = lambda q: [n["name"] for n in d.call("GET", "/admin/nodes" + q).json()["items"]]
            self.assertEqual(names("?selector=env=prod"), ["web-1", "db-1"])
            self.assertEqual(names("?selector=env=prod,role!=web"), ["db-1"])
            self.assertEqual(names("?selector=!role"), ["dev-1"])
            self.assertEqual(d.call("GET", "/admin/nodes?selector=a%20b").status, 400)

            page1 = d.call("GET", "/admin/nodes?limit=2").json()
            self.assertEqual(len(page1["items"]), 2)
            page2 = d.call("GET", f"/admin/nodes?limit=2&cursor={page1['next']}").json()
            self.assertEqual([n["name"] for n in page2["items"]], ["dev-1"])
            self.assertIsNone(page2["next"])

            r = d.call("PUT", f"/admin/nodes/{db['id']}", {"labels": {"env": "prod", "role": "db", "tier": "1"}})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["labels"]["tier"], "1")
            self.assertEqual(d.call("PUT", f"/admin/nodes/{db['id']}", {}).status, 400)

            r = d.call("POST", f"/admin/nodes/{db['id']}/cordon")
            self.assertEqual(r.json()["status"], "cordoned")
            self.assertEqual(names("?status=cordoned"), ["db-1"])
            self.assertEqual(names("?status=offline"), ["web-1", "dev-1"])
            r = d.call("POST", f"/admin/nodes/{db['id']}/uncordon")
            self.assertEqual(r.json()["status"], "offline")

            r = d.call("POST", f"/admin/nodes/{web['id']}/token/rotate")
            self.assertEqual(r.status, 200)
            new = r.json()["token"]
            hb = {"nodeId": web["id"]}
            self.assertEqual(request(d.url + "/agent/heartbeat", "POST", hb, token=web["token"]).status, 401)
            self.assertEqual(request(d.url + "/agent/heartbeat", "POST", hb, token=new).status, 200)
            # with an overlap, the old token keeps working for graceSec, then is refused
            self.assertEqual(d.call("POST", f"/admin/nodes/{web['id']}/token/rotate", {"graceSec": -1}).error["field"],
                             "graceSec")
            r = d.call("POST", f"/admin/nodes/{web['id']}/token/rotate", {"graceSec": 2})
            newer = r.json()["token"]
            self.assertEqual(request(d.url + "/agent/heartbeat", "POST", hb, token=new).status, 200)
            self.assertEqual(request(d.url + "/agent/heartbeat", "POST", hb, token=newer).status, 200)
            wait_until(lambda: request(d.url + "/agent/heartbeat", "POST", hb, token=new).status == 401, 5,
                       what="old token refused after its grace")
            self.assertEqual(request(d.url + "/agent/heartbeat", "POST", hb, token=newer).status, 200)

            self.assertEqual(d.call("DELETE", f"/admin/nodes/{web['id']}").status, 204)
            self.assertEqual(d.call("GET", f"/admin/nodes/{web['id']}").status, 404)
            self.assertEqual(request(d.url + "/agent/heartbeat", "POST", hb, token=new).status, 401)

            actions = [e["action"] for e in reversed(d.audit(targetType="node", targetId=web["id"]))]
            self.assertEqual(actions, ["node.create", "node.token.rotate", "node.online", "node.token.rotate",
                                       "node.delete"])
            e = d.audit(action="node.cordon")[0]
            self.assertTrue(e["actor"].startswith("token:1:bootstrap"))
            # a kind of action, one page at a time, and by who did it
            kinds = {x["action"] for x in d.audit(**{"action": "node.*"})}
            self.assertIn("node.cordon", kinds)
            self.assertTrue(all(k.startswith("node.") for k in kinds))
            page = d.call("GET", "/admin/audit?action=node.*&limit=2").json()
            self.assertEqual(len(page["items"]), 2)
            older = d.call("GET", f"/admin/audit?action=node.*&limit=2&cursor={page['next']}").json()["items"]
            self.assertLess(older[0]["id"], page["items"][-1]["id"])
            self.assertTrue(d.audit(actor=e["actor"], since="2000-01-01T00:00:00Z"))
            self.assertEqual(e["sourceIp"], "127.0.0.1")
            self.assertTrue(e["traceId"])

    def test_node_history_from_heartbeat_facts(self):
        """Heartbeats' facts become a point a minute (kept a day) and one
        every ten minutes (kept a week): CPU busy, load, memory and the
        fullest disk; bounded by those windows, gone with the node."""
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("n1")
            facts = {"cpuBusy": 0.25, "load": [1.5, 1.0, 0.5], "cpuCount": 2,
                     "memTotalBytes": 1000, "memAvailableBytes": 400,
                     "disk": {"/": {"totalBytes": 100, "freeBytes": 90},
                              "/var": {"totalBytes": 200, "freeBytes": 20}}}
            beat = lambda f: request(d.url + "/agent/heartbeat", "POST",
                                     {"nodeId": n["id"], "facts": f}, token=n["token"])
            self.assertEqual(beat(facts).status, 200)
            hist = lambda q="": d.call("GET", f"/admin/nodes/{n['id']}/history{q}").json()
            wait_until(lambda: hist()["points"], timeout=15, what="a point of history")
            day = hist()
            self.assertEqual(day["resolutionSec"], 60)
            self.assertEqual(len(day["points"]), 1)
            p = day["points"][0]
            self.assertEqual((p["cpuBusy"], p["load1"], p["cpuCount"], p["memUsed"], p["diskUsed"]),
                             (0.25, 1.5, 2, 0.6, 0.9))
            self.assertEqual(p["at"][14:16] + p["at"][17:19], p["at"][14:16] + "00")  # the minute
            week = hist("?range=week")
            self.assertEqual((week["resolutionSec"], len(week["points"])), (600, 1))
            # the same minute again adds nothing; what the agent does not say is null
            self.assertEqual(beat({"load": [0.1]}).status, 200)
            r = d.call("GET", f"/admin/nodes/{n['id']}/history?range=month")
            self.assertEqual((r.status, r.error["field"]), (400, "range"))
            self.assertEqual(d.call("GET", "/admin/nodes/999/history").status, 404)
            # older than a day (minutes) or a week (ten minutes): dropped at the next flush
            old = int(time.time() * 1000) // 60000 * 60000
            d.sql("INSERT INTO node_sample VALUES (?, 60, ?, 1, 1, 1, 1, 1)", n["id"], old - 2 * 86400000)
            d.sql("INSERT INTO node_sample VALUES (?, 600, ?, 1, 1, 1, 1, 1)", n["id"], old - 3 * 86400000)
            d.sql("INSERT INTO node_sample VALUES (?, 600, ?, 1, 1, 1, 1, 1)", n["id"], old - 8 * 86400000)
            count = lambda res: int(d.sql("SELECT COUNT(*) FROM node_sample WHERE node_id = ? AND res = ?",
                                          n["id"], res)[0][0])
            self.assertEqual(beat(facts).status, 200)
            wait_until(lambda: count(60) == 1 and count(600) == 2, timeout=15, what="old points pruned")
            self.assertEqual(len(hist("?range=week")["points"]), 2)
            self.assertEqual(d.call("DELETE", f"/admin/nodes/{n['id']}").status, 204)
            self.assertEqual(count(60) + count(600), 0)

    def test_trace_id_follows_request_into_tasks_and_audit(self):
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("n1")
            r = d.queue(n["id"], "ApplyConfigFiles", {"files": [{"path": "/etc/pagoda/a", "content": ""}]},
                        headers={"X-Trace-Id": "deploy-42"})
            self.assertEqual(r.status, 201, r)
            self.assertEqual(r.headers["X-Trace-Id"], "deploy-42")
            self.assertEqual(r.json()["traceId"], "deploy-42")
            self.assertEqual([t["id"] for t in d.call("GET", "/admin/tasks?traceId=deploy-42").json()["items"]],
                             [r.json()["id"]])
            self.assertEqual([e["action"] for e in d.audit(traceId="deploy-42")], ["task.queue"])


def poll(d, n, running=()):
    """The node's tasks ready now, as its agent's poll gets them."""
    return request(d.url + "/agent/tasks/poll", "POST", {"nodeId": n["id"], "maxTasks": 5, "waitSec": 0,
                                                         "runningTaskIds": list(running)}, token=n["token"]).json()["tasks"]


def chain(d, n):
    """Two file tasks of node n, the second waiting for the first."""
    f = {"files": [{"path": "/etc/pagoda/a", "content": "x"}]}
    a = d.queue(n["id"], "ApplyConfigFiles", f).json()
    return f, a, d.queue(n["id"], "ApplyConfigFiles", f, dependsOn=[a["id"]]).json()


class TaskQueue(unittest.TestCase):
    def test_dependencies_cancel_and_idempotency_key(self):
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("n1")
            f, a, b = chain(d, n)
            self.assertEqual(b["dependsOn"], [a["id"]])
            again = d.queue(n["id"], "ApplyConfigFiles", f, idempotencyKey="k1")
            self.assertEqual(again.status, 201)
            same = d.queue(n["id"], "ApplyConfigFiles", f, idempotencyKey="k1")
            self.assertEqual((same.status, same.json()["id"]), (200, again.json()["id"]))

            # the agent endpoint hands out a, never b before a succeeded
            got = [t["taskId"] for t in poll(d, n)]
            self.assertIn(a["id"], got)
            self.assertNotIn(b["id"], got)

            r = d.call("POST", f"/admin/tasks/{a['id']}/cancel")
            self.assertEqual(r.json()["status"], "cancelled")
            self.assertEqual(d.task(b["id"])["status"], "cancelled")
            self.assertIn(f"dependency task {a['id']}", d.task(b["id"])["errorMessage"])
            self.assertEqual(d.call("POST", f"/admin/tasks/{a['id']}/cancel").status, 409)
            r = d.queue(n["id"], "ApplyConfigFiles", f, dependsOn=[a["id"]])
            self.assertEqual((r.status, r.error["field"]), (422, "dependsOn"))
            r = d.queue(n["id"], "ApplyConfigFiles", f, dependsOn=[999999])
            self.assertEqual((r.status, r.error["field"]), (400, "dependsOn"))

    def test_final_report_hands_out_the_next_ready_tasks(self):
        """A final report with "next" gets the node's tasks that became
        ready (its dependents) in its answer, delivered exactly once; a
        "running" report or one without "next" gets none."""
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("n1")
            f, a, b = chain(d, n)
            other = d.create_node("n2")
            d.queue(other["id"], "ApplyConfigFiles", f)  # another node's: never handed to n1
            report = lambda body: request(d.url + "/agent/tasks/report", "POST",
                                          dict({"nodeId": n["id"]}, **body), token=n["token"])
            self.assertEqual([t["taskId"] for t in poll(d, n)], [a["id"]])
            r = report({"taskId": a["id"], "attempt": 1, "status": "running", "next": 5})
            self.assertEqual((r.status, r.json().get("tasks")), (200, None))
            r = report({"taskId": a["id"], "attempt": 1, "status": "succeeded", "next": 25})
            self.assertEqual((r.status, r.error["field"]), (400, "next"))
            self.assertEqual(d.task(a["id"])["status"], "running")  # the refused report changed nothing
            r = report({"taskId": a["id"], "attempt": 1, "status": "succeeded", "next": 5})
            self.assertEqual(r.status, 200, r)
            self.assertEqual([(t["taskId"], t["attempt"]) for t in r.json()["tasks"]], [(b["id"], 1)])
            self.assertEqual(d.task(b["id"])["status"], "running")
            ev = d.call("GET", f"/admin/audit?action=task.deliver&targetType=task&targetId={b['id']}")
            self.assertEqual(ev.json()["items"][0]["details"]["via"], "report")
            self.assertEqual(poll(d, n, [b["id"]]), [])  # held by the agent: not handed out twice
            r = report({"taskId": b["id"], "attempt": 1, "status": "succeeded"})
            self.assertNotIn("tasks", r.json())

    def test_run_command_needs_exec_permission(self):
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("n1")
            t = d.call("POST", "/admin/tokens", {"name": "ops", "permissions": ["admin:node:manage"]}).json()["token"]
            r = d.queue(n["id"], "RunCommand", {"argv": ["true"]}, token=t)
            self.assertEqual((r.status, r.error["field"]), (403, "type"))
            # every raw task that can act as root on the node: a drop-in, a unit
            for type_, payload in (("ApplyConfigFiles", {"files": [{"path": "/etc/systemd/system/ssh.service.d/x.conf",
                                                                    "content": "[Service]\nExecStartPre=/bin/id\n"}]}),
                                   ("SystemdInstallUnit", {"unitName": "x.service",
                                                           "content": "[Service]\nExecStart=/bin/id\n"})):
                r = d.queue(n["id"], type_, payload, token=t)
                self.assertEqual((r.status, r.error["field"]), (403, "type"), r)
                self.assertIn("admin:node:exec", r.error["message"])
            self.assertEqual(d.queue(n["id"], "HealthProbe", {"kind": "tcp", "port": 22}, token=t).status, 201)
            t2 = d.call("POST", "/admin/tokens",
                        {"name": "exec", "permissions": ["admin:node:manage", "admin:node:exec", "admin:node:read"]}).json()["token"]
            self.assertEqual(d.queue(n["id"], "RunCommand", {"argv": ["true"]}, token=t2).status, 201)

    def test_long_polls_hold_no_worker_thread(self):
        # two HTTP threads, thirty waiting polls: the API must still answer
        with Cluster("--http-threads", "2", "--poll-wait", "20") as c:
            d = c.daemon
            nodes = [d.create_node(f"n{i}") for i in range(30)]
            results = {}

            def poll(node):
                r = request(d.url + "/agent/tasks/poll", "POST",
                            {"nodeId": node["id"], "waitSec": 15}, token=node["token"], timeout=30)
                results[node["id"]] = (r, time.monotonic())

            threads = [threading.Thread(target=poll, args=(n,)) for n in nodes]
            for t in threads:
                t.start()
            time.sleep(1.0)
            t0 = time.monotonic()
            self.assertEqual(request(d.url + "/healthz", timeout=5).status, 200)
            self.assertLess(time.monotonic() - t0, 1.0)
            self.assertEqual(len(results), 0, "polls returned early")
            target = nodes[7]
            queued = time.monotonic()
            d.queue(target["id"], "ApplyConfigFiles", {"files": [{"path": "/etc/pagoda/a", "content": ""}]})
            wait_until(lambda: target["id"] in results, 5, what="the woken poll")
            r, at = results[target["id"]]
            self.assertEqual(len(r.json()["tasks"]), 1)
            self.assertLess(at - queued, 1.0)
            self.assertEqual(len(results), 1)
            for t in threads:
                t.join(30)
            self.assertTrue(all(r.json()["tasks"] == [] for k, (r, _) in results.items() if k != target["id"]))


class BadInput(unittest.TestCase):
    def test_bad_input_is_refused_and_changes_nothing(self):
        with Cluster("--max-body", "4096") as c:
            d = c.daemon
            n = d.create_node("n1", "10.0.0.1")
            before = d.snapshot()
            tasks = f"/admin/nodes/{n['id']}/tasks"
            cases = [
                ("POST", "/admin/nodes", b'{"name": "x", "ip": ', 400, "", "invalid_argument"),
                ("POST", "/admin/nodes", b'[1, 2]', 400, "", "invalid_argument"),
                ("POST", "/admin/nodes", b'{"name": "a", "name": "b", "ip": "10.0.0.1"}', 400, "", "invalid_argument"),
                ("POST", "/admin/nodes", b'{"name": "\xff\xfe", "ip": "10.0.0.1"}', 400, "", "invalid_argument"),
                ("POST", "/admin/nodes", b'{"name": 5, "ip": "10.0.0.1"}', 400, "name", "invalid_argument"),
                ("POST", "/admin/nodes", b'{"ip": "10.0.0.1"}', 400, "name", "invalid_argument"),
                ("POST", "/admin/nodes", b'{"name": "Bad Name", "ip": "10.0.0.1"}', 400, "name", "invalid_argument"),
                ("POST", "/admin/nodes", b'{"name": "ok", "ip": "999.1.1.1"}', 400, "ip", "invalid_argument"),
                ("POST", "/admin/nodes", b'{"name": "ok", "ip": "10.0.0.1", "labels": {"a": 1}}', 400, "labels.a", "invalid_argument"),
                ("POST", "/admin/nodes", b'{"name": "ok", "ip": "10.0.0.1", "colour": "red"}', 400, "colour", "invalid_argument"),
                ("POST", "/admin/nodes", b'{"name": "n1", "ip": "10.0.0.1"}', 409, "name", "conflict"),
                ("POST", "/admin/nodes", b'{"a":' + b'[' * 3000 + b']' * 3000 + b'}', 413, "", "payload_too_large"),
                ("POST", "/admin/nodes", b'{"name": "' + b'x' * 5000 + b'"}', 413, "", "payload_too_large"),
                ("POST", "/admin/nodes", b'{"name": "ok", "ip": "10.0.0.1", "labels": {"n": 123456789012345678901234567890}}', 400, "", "invalid_argument"),
                ("PUT", "/admin/nodes/abc", b'{"name": "x"}', 400, "id", "invalid_argument"),
                ("PUT", "/admin/nodes/999", b'{"name": "x"}', 404, "id", "not_found"),
                ("POST", tasks, b'{"type": "Nope", "payload": {}}', 400, "type", "invalid_argument"),
                ("POST", tasks, b'{"type": "ApplyConfigFiles"}', 400, "payload", "invalid_argument"),
                ("POST", tasks, b'{"type": "ApplyConfigFiles", "payload": []}', 400, "payload", "invalid_argument"),
                ("POST", tasks, b'{"type": "ApplyConfigFiles", "payload": {"files": [{"path": "/etc/pagoda/../../etc/shadow", "content": "x"}]}}', 400, "payload.files[0].path", "invalid_argument"),
                ("POST", tasks, b'{"type": "ApplyConfigFiles", "payload": {"files": [{"path": "etc/x", "content": "x"}]}}', 400, "payload.files[0].path", "invalid_argument"),
                ("POST", tasks, b'{"type": "ApplyConfigFiles", "payload": {"files": [{"path": "/etc/x", "content": "x", "mode": "6755"}]}}', 400, "payload.files[0].mode", "invalid_argument"),
                ("POST", tasks, b'{"type": "SystemdInstallUnit", "payload": {"unitName": "x.service\\nExecStart=/bin/sh", "content": ""}}', 400, "payload.unitName", "invalid_argument"),
                ("POST", tasks, b'{"type": "RenderAndDeployNginx", "payload": {"siteName": "a", "content": "", "testCommand": "sh -c id"}}', 400, "payload.testCommand", "invalid_argument"),
                ("POST", tasks, b'{"type": "ApplyConfigFiles", "payload": {"files": [{"path": "/etc/x", "content": ""}]}, "timeoutSec": 0}', 400, "timeoutSec", "invalid_argument"),
                ("POST", tasks, b'{"type": "ApplyConfigFiles", "payload": {"files": [{"path": "/etc/x", "content": ""}]}, "maxRetries": "3"}', 400, "maxRetries", "invalid_argument"),
                ("POST", "/admin/nodes/999/tasks", b'{"type": "ApplyConfigFiles", "payload": {"files": [{"path": "/etc/x", "content": ""}]}}', 404, "id", "not_found"),
                ("POST", "/admin/tokens", b'{"name": "t", "permissions": ["admin:root"]}', 400, "permissions", "invalid_argument"),
                ("POST", "/admin/tokens", b'{"name": "t", "permissions": []}', 400, "permissions", "invalid_argument"),
                ("POST", "/admin/tasks/999/cancel", b'', 404, "id", "not_found"),
                ("GET", "/admin/nodes?limit=0", None, 400, "limit", "invalid_argument"),
                ("GET", "/admin/nodes?status=sleeping", None, 400, "status", "invalid_argument"),
                ("GET", "/admin/audit?since=yesterday", None, 400, "since", "invalid_argument"),
            ]
            for method, path, raw, status, field, code in cases:
                with self.subTest(path=path, body=raw[:80] if raw else None):
                    r = d.call(method, path, raw=raw)
                    self.assertEqual(r.status, status, r)
                    self.assertEqual(r.error.get("code"), code, r)
                    self.assertEqual(r.error.get("field", ""), field, r)
                    self.assertTrue(r.error.get("message"), r)
            # agent endpoints: malformed reports and foreign tasks
            agent = lambda body: request(d.url + "/agent/tasks/report", "POST", raw=body, token=n["token"])
            for body, status, field in [
                (b'{"nodeId": %d, "taskId": 1, "status": "done"}' % n["id"], 400, "status"),
                (b'{"nodeId": %d, "taskId": "1", "status": "failed"}' % n["id"], 400, "taskId"),
                (b'{"nodeId": %d, "taskId": 1, "status": "failed"}' % n["id"], 400, "errorMessage"),
                (b'{"nodeId": %d, "taskId": 424242, "status": "succeeded"}' % n["id"], 404, "taskId"),
                (b'{"nodeId": 999, "taskId": 1, "status": "succeeded"}', 403, "nodeId"),
            ]:
                with self.subTest(report=body):
                    r = agent(body)
                    self.assertEqual((r.status, r.error.get("field")), (status, field), r)
            self.assertEqual(d.snapshot(), before)


if __name__ == "__main__":
    unittest.main()
