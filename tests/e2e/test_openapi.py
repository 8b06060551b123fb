"""docs/openapi.yaml against the real thing: every route of the router
table (pagodad --routes) is documented and every documented operation is
routed; GET /openapi.json serves the same document; real answers of a walk
through the API (every kind of object, lists, errors) match the documented
schemas."""
import json
import re
import subprocess
import unittest

import harness
from harness import API_CHECK, PAGODAD, Cluster, FakeAgentThread, api_checker, request, wait_until
from openapi_check import load_doc

DOC = load_doc()


class OpenApi(unittest.TestCase):
    def test_document_and_router_table_agree(self):
        self.assertEqual(DOC["openapi"], "3.1.0")
        table = json.loads(subprocess.run([PAGODAD, "--routes"], capture_output=True, check=True, text=True).stdout)
        routed = {(r["method"], re.sub(r":(\w+)", r"{\1}", r["path"])) for r in table["routes"]}
        documented = {(m.upper(), p) for p, ms in DOC["paths"].items() for m in ms}
        self.assertEqual(sorted(routed - documented), [], "routes missing from docs/openapi.yaml")
        self.assertEqual(sorted(documented - routed), [], "documented operations nobody serves")
        perms = {(r["method"], re.sub(r":(\w+)", r"{\1}", r["path"])): r.get("perm") for r in table["routes"]}
        for (m, p), perm in perms.items():
            self.assertEqual(DOC["paths"][p][m.lower()].get("x-permission"), perm, f"{m} {p}")
        # what Redocly's recommended rules ask of each operation
        ids = [op.get("operationId") for ms in DOC["paths"].values() for op in ms.values()]
        self.assertEqual(len(ids), len(set(ids)), "operationIds are unique")
        for p, ms in DOC["paths"].items():
            for m, op in ms.items():
                self.assertTrue(op.get("operationId") and op.get("summary"), f"{m} {p} has an operationId and a summary")

    def test_served_document_and_real_answers_match_the_schemas(self):
        # the harness checks every answer (unless PAGODA_API_CHECK=0: then here)
        checker = api_checker()
        with Cluster() as c:
            d = c.daemon
            r = request(d.url + "/openapi.json")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.headers.get("Content-Type"), "application/json")
            self.assertEqual(json.loads(r.body), DOC)

            def call(method, path, body=None, token=None, want=None):
                r = d.call(method, path, body, token=token)
                if not API_CHECK:
                    checker.check(method, path, r.status, r.body)
                if want is not None:
                    self.assertEqual(r.status, want, r)
                return r

            call("GET", "/healthz", want=200)
            n = call("POST", "/admin/nodes", {"name": "web-1", "ip": "10.0.0.1", "labels": {"role": "web"}}, want=201).json()
            nodes = [n, call("POST", "/admin/nodes", {"name": "web-2", "ip": "10.0.0.2", "labels": {"role": "web"}}).json()]
            call("GET", "/admin/nodes", want=200)
            call("GET", f"/admin/nodes/{n['id']}", want=200)
            call("PUT", f"/admin/nodes/{n['id']}", {"labels": {"role": "web", "zone": "a"}}, want=200)
            call("POST", f"/admin/nodes/{n['id']}/cordon", want=200)
            call("POST", f"/admin/nodes/{n['id']}/uncordon", want=200)
            call("GET", f"/admin/nodes/{n['id']}/status", want=200)
            t = call("POST", f"/admin/nodes/{n['id']}/tasks",
                     {"type": "ApplyConfigFiles", "payload": {"files": [{"path": "/etc/pagoda/a", "content": "x"}]}},
                     want=201).json()
            call("GET", "/admin/tasks", want=200)
            call("GET", f"/admin/tasks/{t['id']}", want=200)
            call("POST", f"/admin/tasks/{t['id']}/cancel", want=200)
            tok = call("POST", "/admin/tokens", {"name": "reader", "permissions": ["admin:node:read"]}, want=201).json()
            call("GET", "/admin/tokens", want=200)
            call("DELETE", f"/admin/tokens/{tok['id']}", want=204)
            jt = call("POST", "/admin/join-tokens", {"name": "pool", "labels": {"role": "web"}}, want=201).json()
            call("GET", "/admin/join-tokens", want=200)
            call("DELETE", f"/admin/join-tokens/{jt['id']}", want=204)
            call("POST", "/admin/registry/services", {"name": "web", "port": 9000}, want=201)
            call("GET", "/admin/registry/services", want=200)
            call("GET", "/admin/registry/services/web", want=200)
            ep = call("POST", "/admin/registry/services/web/endpoints", {"ip": "10.0.0.9", "port": 9000}, want=201).json()
            call("GET", "/api/registry/services/web/endpoints", want=200)
            call("GET", "/api/registry/services", want=200)
            call("DELETE", f"/admin/registry/services/web/endpoints/{ep['id']}", want=204)
            cfg = call("POST", "/admin/configs", {"name": "a.conf", "format": "text", "content": "a = 1\n"}, want=201).json()
            call("PUT", f"/admin/configs/{cfg['id']}", {"content": "a = 2\n"}, want=200)
            call("GET", "/admin/configs", want=200)
            call("GET", f"/admin/configs/{cfg['id']}", want=200)
            call("GET", f"/admin/configs/{cfg['id']}/versions", want=200)
            call("GET", f"/admin/configs/{cfg['id']}/versions/1", want=200)
            call("GET", f"/admin/configs/{cfg['id']}/diff?from=1&to=2", want=200)
            call("POST", f"/admin/configs/{cfg['id']}/publish", {}, want=200)
            call("GET", f"/admin/configs/{cfg['id']}/releases", want=200)
            app = call("POST", "/admin/apps", {"name": "shop", "type": "SystemdService", "selector": {"labels": "role=web"},
                                              "spec": {"unit": {"exec": "/usr/bin/true"}}}, want=201).json()
            call("GET", "/admin/apps", want=200)
            call("GET", f"/admin/apps/{app['id']}", want=200)
            with FakeAgentThread(d, nodes):
                wait_until(lambda: all(d.node(x["id"])["status"] == "online" for x in nodes), 10, what="online")
                rel = call("POST", f"/admin/apps/{app['id']}/releases", {}, want=201).json()
                call("POST", f"/admin/releases/{rel['id']}/execute", want=200)
                wait_until(lambda: d.call("GET", f"/admin/releases/{rel['id']}").json()["status"] == "succeeded", 20,
                           what="release")
            call("GET", f"/admin/releases/{rel['id']}", want=200)
            call("GET", f"/admin/apps/{app['id']}/releases", want=200)
            call("GET", f"/admin/apps/{app['id']}/status", want=200)
            call("GET", "/admin/drift", want=200)
            call("GET", "/admin/audit?limit=5", want=200)
            call("GET", "/admin/alerts", want=200)
            call("GET", "/admin/alert-rules", want=200)
            call("PUT", "/admin/alert-rules/node_offline", {"params": {"seconds": 120}}, want=200)
            call("GET", "/admin/policies", want=200)
            call("GET", "/admin/certificates", want=200)
            # errors have the documented error shape
            call("GET", "/admin/nodes/999", want=404)
            call("POST", "/admin/nodes", {"name": "Bad Name", "ip": "10.0.0.3"}, want=400)
            call("GET", "/admin/nodes", token="pga_" + "0" * 64, want=401)
            call("POST", "/admin/tokens", {"name": "x", "permissions": ["admin:node:read"]}, token=n["token"], want=403)
        self.assertGreater(len(checker.checked), 50)


if __name__ == "__main__":
    unittest.main()
