"""Service registry end to end: services, static and agent endpoints, TTL
expiry, offline propagation, blocking queries, audit, bad input."""
import threading
import time
import unittest

from harness import Cluster, request, wait_until


def agent_report(d, node, endpoints):
    return request(d.url + "/agent/endpoints", "POST", {"nodeId": node["id"], "endpoints": endpoints},
                   token=node["token"])


def endpoints(d, name, q=""):
    r = d.call("GET", f"/api/registry/services/{name}/endpoints{q}")
    assert r.status == 200, r
    return r.json()


class Services(unittest.TestCase):
    def test_service_and_static_endpoint_lifecycle(self):
        with Cluster() as c:
            d = c.daemon
            r = d.call("POST", "/admin/registry/services",
                       {"name": "web", "protocol": "http", "port": 9000,
                        "healthCheck": {"type": "http", "path": "/healthz", "intervalSec": 5},
                        "metadata": {"team": "shop"}})
            self.assertEqual(r.status, 201, r)
            svc = r.json()
            self.assertEqual(svc["healthCheck"], {"type": "http", "path": "/healthz", "intervalSec": 5,
                                                  "timeoutSec": 2, "healthyThreshold": 1,
                                                  "unhealthyThreshold": 3, "expectStatus": 200})
            self.assertEqual(d.call("POST", "/admin/registry/services", {"name": "web", "port": 1}).status, 409)
            r = d.call("POST", "/admin/registry/services/web/endpoints", {"ip": "192.0.2.10", "port": 8080, "weight": 5})
            self.assertEqual(r.status, 201, r)
            ep = r.json()
            self.assertEqual((ep["source"], ep["health"], ep["weight"]), ("static", "healthy", 5))
            self.assertEqual(d.call("POST", "/admin/registry/services/web/endpoints",
                                    {"ip": "192.0.2.10", "port": 8080}).status, 409)
            r = d.call("PUT", f"/admin/registry/services/web/endpoints/{ep['id']}", {"health": "unhealthy"})
            self.assertEqual((r.status, r.json()["health"], r.json()["weight"]), (200, "unhealthy", 5))
            self.assertEqual(len(endpoints(d, "web")["items"]), 1)
            self.assertEqual(endpoints(d, "web", "?healthy=true")["items"], [])
            r = d.call("PUT", "/admin/registry/services/web", {"port": 9001, "protocol": "tcp"})
            self.assertEqual((r.status, r.json()["port"], r.json()["protocol"]), (200, 9001, "tcp"))
            listed = d.call("GET", "/api/registry/services").json()
            self.assertEqual([s["name"] for s in listed["items"]], ["web"])
            self.assertEqual(listed["items"][0]["endpoints"], {"total": 1, "healthy": 0})
            self.assertEqual(d.call("DELETE", f"/admin/registry/services/web/endpoints/{ep['id']}").status, 204)
            self.assertEqual(d.call("DELETE", "/admin/registry/services/web").status, 204)
            self.assertEqual(d.call("GET", "/admin/registry/services/web").status, 404)
            actions = [e["action"] for e in reversed(d.audit()) if e["targetType"] in ("service", "endpoint")]
            self.assertEqual(actions, ["service.create", "endpoint.create", "endpoint.update",
                                       "service.update", "endpoint.delete", "service.delete"])

    def test_bad_input_changes_nothing(self):
        with Cluster() as c:
            d = c.daemon
            d.call("POST", "/admin/registry/services", {"name": "web", "port": 9000})
            n = d.create_node("n1", "10.0.0.1")
            before = d.snapshot()
            for path, body, status, field in [
                ("/admin/registry/services", {"name": "Web", "port": 1}, 400, "name"),
                ("/admin/registry/services", {"name": "x", "port": 0}, 400, "port"),
                ("/admin/registry/services", {"name": "x", "port": 1, "protocol": "udp"}, 400, "protocol"),
                ("/admin/registry/services", {"name": "x", "port": 1, "healthCheck": {"type": "http"}}, 400, "healthCheck.path"),
                ("/admin/registry/services", {"name": "x", "port": 1, "healthCheck": {"type": "tcp", "intervalSec": 0}}, 400, "healthCheck.intervalSec"),
                ("/admin/registry/services/web/endpoints", {"ip": "not-an-ip", "port": 1}, 400, "ip"),
                ("/admin/registry/services/web/endpoints", {"ip": "10.0.0.1", "port": 1, "health": "fine"}, 400, "health"),
                ("/admin/registry/services/nope/endpoints", {"ip": "10.0.0.1", "port": 1}, 404, "name"),
            ]:
                with self.subTest(body=body):
                    r = d.call("POST", path, body)
                    self.assertEqual((r.status, r.error.get("field")), (status, field), r)
            r = agent_report(d, n, [{"service": "web", "port": 9000}, {"service": "ghost", "port": 1}])
            self.assertEqual((r.status, r.error.get("field")), (422, "endpoints[1].service"))
            r = agent_report(d, n, [{"service": "web", "port": 70000}])
            self.assertEqual((r.status, r.error.get("field")), (400, "endpoints[0].port"))
            self.assertEqual(d.call("GET", "/api/registry/services/web/endpoints?wait=soon").status, 400)
            self.assertEqual(d.snapshot(), before)


class AgentEndpoints(unittest.TestCase):
    def test_reports_replace_expire_and_follow_liveness(self):
        with Cluster() as c:
            d = c.daemon
            d.call("POST", "/admin/registry/services", {"name": "web", "port": 9000})
            d.call("POST", "/admin/registry/services", {"name": "api", "port": 7000})
            n1, n2 = d.create_node("n1", "10.0.0.1"), d.create_node("n2", "10.0.0.2")
            r = agent_report(d, n1, [{"service": "web", "port": 9000, "health": "healthy", "version": "v1"},
                                     {"service": "api", "port": 7000, "health": "unhealthy", "note": "503"}])
            self.assertEqual(r.status, 200, r)
            agent_report(d, n2, [{"service": "web", "port": 9000, "health": "healthy", "ttlSec": 5}])
            items = endpoints(d, "web")["items"]
            self.assertEqual([(e["nodeId"], e["ip"], e["source"]) for e in items],
                             [(n1["id"], "10.0.0.1", "agent"), (n2["id"], "10.0.0.2", "agent")])
            # agent endpoints are not edited through the static routes
            r = d.call("PUT", f"/admin/registry/services/web/endpoints/{items[0]['id']}", {"weight": 3})
            self.assertEqual(r.status, 409)
            # a report is the node's full set: what it no longer lists is gone
            agent_report(d, n1, [{"service": "web", "port": 9000, "health": "healthy", "version": "v1"}])
            self.assertEqual(endpoints(d, "api")["items"], [])
            # a refresh that changes nothing does not move the index
            idx = endpoints(d, "web")["index"]
            agent_report(d, n1, [{"service": "web", "port": 9000, "health": "healthy", "version": "v1"}])
            self.assertEqual(endpoints(d, "web")["index"], idx)
            # n2's endpoint expires after its 5 s TTL without refresh
            t0 = time.monotonic()
            wait_until(lambda: [e["nodeId"] for e in endpoints(d, "web")["items"]] == [n1["id"]], 12, what="expiry")
            self.assertGreater(time.monotonic() - t0, 3)
            self.assertTrue(d.audit(action="endpoint.expire"))
            # n1 goes offline (no heartbeats): its endpoint becomes unhealthy
            for _ in range(2):
                request(d.url + "/agent/heartbeat", "POST", {"nodeId": n1["id"]}, token=n1["token"])
                time.sleep(0.5)
            wait_until(lambda: d.node(n1["id"])["status"] == "offline", 10, what="offline")
            e = wait_until(lambda: (x := endpoints(d, "web")["items"][0])["health"] == "unhealthy" and x, 5,
                           what="unhealthy")
            self.assertEqual(e["healthNote"], "node offline")
            self.assertEqual(endpoints(d, "web", "?healthy=true")["items"], [])
            self.assertTrue(d.audit(action="endpoint.node_offline"))


class BlockingQueries(unittest.TestCase):
    def test_wakes_on_change_and_times_out_without(self):
        with Cluster("--http-threads", "2") as c:
            d = c.daemon
            d.call("POST", "/admin/registry/services", {"name": "web", "port": 9000})
            idx = endpoints(d, "web")["index"]
            t0 = time.monotonic()
            r = d.call("GET", f"/api/registry/services/web/endpoints?index={idx}&wait=1s")
            self.assertGreaterEqual(time.monotonic() - t0, 0.9)
            self.assertEqual((r.json()["index"], r.headers["X-Registry-Index"]), (idx, str(idx)))
            # twenty waiting queries on two HTTP threads: the API still answers
            results = []

            def wait():
                t = time.monotonic()
                r = d.call("GET", f"/api/registry/services/web/endpoints?index={idx}&wait=20s", timeout=30)
                results.append((r, time.monotonic() - t))

            threads = [threading.Thread(target=wait) for _ in range(20)]
            for t in threads:
                t.start()
            time.sleep(1)
            self.assertEqual(request(d.url + "/healthz", timeout=5).status, 200)
            self.assertEqual(results, [])
            changed = time.monotonic()
            d.call("POST", "/admin/registry/services/web/endpoints", {"ip": "192.0.2.1", "port": 80})
            for t in threads:
                t.join(30)
            self.assertEqual(len(results), 20)
            for r, _ in results:
                self.assertEqual(r.json()["index"], idx + 1)
                self.assertEqual(len(r.json()["items"]), 1)
            self.assertLess(time.monotonic() - changed, 3)
            # an index already passed answers at once
            t0 = time.monotonic()
            d.call("GET", f"/api/registry/services/web/endpoints?index={idx}&wait=30s")
            self.assertLess(time.monotonic() - t0, 1)


if __name__ == "__main__":
    unittest.main()
