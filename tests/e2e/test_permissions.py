"""Every route of the router table (pagodad --routes), not a hand-picked
few: each admin route refuses a token without its permission (403), an agent
token (403) and no token (401); agent routes refuse admin tokens and another
node's token; every write route refuses malformed bodies; configuration
injection through names, paths, domains and unit fields is refused. Nothing
of it changes any state."""
import json
import re
import subprocess
import unittest

from harness import PAGODAD, Cluster, request

TABLE = json.loads(subprocess.run([PAGODAD, "--routes"], capture_output=True, check=True, text=True).stdout)
ROUTES, PERMISSIONS = TABLE["routes"], TABLE["permissions"]
BODY_METHODS = ("POST", "PUT", "PATCH")


def concrete(path, ids):
    """A path of the table with its parameters filled from ids (name -> value)."""
    return re.sub(r":(\w+)", lambda m: str(ids.get(m.group(1), 1)), path)


def seed(d):
    """One object of each kind, so routes name things that exist."""
    node = d.create_node("n1", "10.0.0.1")
    other = d.create_node("n2", "10.0.0.2")
    assert d.call("POST", "/admin/configs", {"name": "app.conf", "format": "text", "content": "a = 1\n"}).status == 201
    assert d.call("POST", "/admin/registry/services", {"name": "svc", "port": 9000}).status == 201
    return node, other


# Admin routes any admin token may call, whatever it holds: who am I.
ANY_ADMIN = {"/admin/whoami"}


class PermissionMatrix(unittest.TestCase):
    def test_every_admin_route_needs_its_permission(self):
        # no rate limit: this test fails authentication on purpose, many times
        with Cluster("--auth-fail-limit", "0") as c:
            d = c.daemon
            node, _ = seed(d)
            without = {}
            for p in PERMISSIONS:
                r = d.call("POST", "/admin/tokens", {"name": "without-" + p.replace(":", "-"),
                                                     "permissions": [q for q in PERMISSIONS if q != p]})
                self.assertEqual(r.status, 201, r)
                without[p] = r.json()["token"]
            # a token that holds one unrelated permission (none is refused)
            r = d.call("POST", "/admin/tokens", {"name": "nothing", "permissions": ["admin:metrics:read"]})
            self.assertEqual(r.status, 201, r)
            nothing = r.json()["token"]
            ids = {"id": 1, "name": "svc", "version": 1, "token": "x", "ingressId": 1}
            before = d.snapshot()
            admin_routes = [r for r in ROUTES if r["auth"] == "admin"]
            self.assertGreater(len(admin_routes), 60)
            for route in admin_routes:
                url = d.url + concrete(route["path"], ids)
                body = {} if route["method"] in BODY_METHODS else None
                with self.subTest(route=f'{route["method"]} {route["path"]}'):
                    if route["path"] in ANY_ADMIN:
                        self.assertIsNone(route.get("perm"))
                        r = request(url, route["method"], body, token=nothing)
                        self.assertEqual(r.status, 200, r)
                    else:
                        self.assertTrue(route.get("perm"), "every admin route names its permission")
                        r = request(url, route["method"], body, token=without[route["perm"]])
                        self.assertEqual(r.status, 403, r)
                        self.assertEqual(r.error["code"], "permission_denied")
                        self.assertIn(route["perm"], r.error["message"])
                    r = request(url, route["method"], body, token=node["token"])
                    self.assertEqual(r.status, 403, r)
                    r = request(url, route["method"], body)
                    self.assertEqual(r.status, 401, r)
                    r = request(url, route["method"], body, token="pga_" + "0" * 64)
                    self.assertEqual(r.status, 401, r)
            self.assertEqual(d.snapshot(), before)

    def test_agent_routes_take_only_their_own_nodes_token(self):
        with Cluster("--auth-fail-limit", "0") as c:
            d = c.daemon
            node, other = seed(d)
            before = d.snapshot()
            agent_routes = [r for r in ROUTES if r["auth"] == "agent"]
            self.assertGreaterEqual(len(agent_routes), 5)
            for route in agent_routes:
                url = d.url + route["path"]
                with self.subTest(route=route["path"]):
                    # node A's token speaking for node B (a GET speaks for the token's node only)
                    if route["method"] != "GET":
                        r = request(url, route["method"], {"nodeId": other["id"]}, token=node["token"])
                        self.assertEqual((r.status, r.error.get("field")), (403, "nodeId"), r)
                    body = None if route["method"] == "GET" else {"nodeId": node["id"]}
                    r = request(url, route["method"], body, token=d.admin)
                    self.assertEqual(r.status, 403, r)
                    r = request(url, route["method"], body)
                    self.assertEqual(r.status, 401, r)
            # a rotated-away token is refused everywhere
            old = node["token"]
            self.assertEqual(d.call("POST", f"/admin/nodes/{node['id']}/token/rotate").status, 200)
            before = d.snapshot()
            r = request(d.url + "/agent/heartbeat", "POST", {"nodeId": node["id"]}, token=old)
            self.assertEqual(r.status, 401, r)
            self.assertEqual(d.snapshot(), before)


class BadInputEveryRoute(unittest.TestCase):
    MALFORMED = [
        (b'{"name": "x", ', "invalid JSON"),
        (b'[1, 2]', "not an object"),
        (b'"text"', "not an object"),
        (b'{"a": 1, "a": 2}', "duplicate key"),
        (b'{"name": "\xff\xfe"}', "invalid UTF-8"),
        (b'{"n": 1' + b"0" * 400 + b'}', "huge integer"),
        (b'{"n": 1e999}', "huge real"),
        (b'{"a":' + b"[" * 3000 + b"]" * 3000 + b"}", "deep nesting"),
        (b'{"name": 1, "labels": "x", "content": 7, "type": [], "path": {}, "nodeIds": "x", "domains": 3,'
         b' "spec": [], "selector": 5, "port": "80", "zzz": true}', "wrong types"),
    ]

    def test_malformed_bodies_on_every_write_route(self):
        with Cluster("--max-body", "65536", "--auth-fail-limit", "0") as c:
            d = c.daemon
            node, _ = seed(d)
            ids = {"id": 1, "name": "svc", "version": 1, "token": "x", "ingressId": 1}
            before = d.snapshot()
            # upload routes take any bytes as the file (test_artifacts checks them)
            writes = [r for r in ROUTES if r["method"] in BODY_METHODS and r["auth"] != "none"
                      and not r.get("upload")]
            writes.append({"method": "POST", "path": "/agent/join", "auth": "none"})
            writes.append({"method": "POST", "path": "/agent/join/check", "auth": "none"})
            self.assertGreater(len(writes), 40)
            for route in writes:
                url = d.url + concrete(route["path"], ids)
                token = node["token"] if route["auth"] == "agent" else d.admin
                for raw, what in self.MALFORMED + [(b'{"x": "' + b"y" * 70000 + b'"}', "oversized")]:
                    with self.subTest(route=f'{route["method"]} {route["path"]}', body=what):
                        r = request(url, route["method"], raw=raw, token=token)
                        want = 413 if what == "oversized" else 400
                        if what == "wrong types" and r.status in (403, 404):
                            want = r.status  # the id, node or object is checked first: also a clear refusal
                        self.assertEqual(r.status, want, r)
                        self.assertTrue(r.error.get("code") and r.error.get("message"), r)
            self.assertEqual(d.snapshot(), before)

    def test_injection_through_names_paths_domains_and_units(self):
        with Cluster("--auth-fail-limit", "0") as c:
            d = c.daemon
            node, _ = seed(d)
            tasks = f"/admin/nodes/{node['id']}/tasks"
            site = lambda **over: {"site": {"name": "web", "domains": ["web.test"],
                                            "locations": [{"path": "/", "upstream": "u"}],
                                            "upstreams": [{"name": "u", "servers": [{"address": "10.0.0.1",
                                                                                     "port": 80}]}], **over},
                                   "nodeIds": [node["id"]]}
            app = lambda unit=None, **spec: {"name": "shop", "type": "SystemdService",
                                             "selector": {"nodes": [node["id"]]},
                                             "spec": {"unit": unit or {"exec": "/usr/bin/true"}, **spec}}
            files = lambda path: {"type": "ApplyConfigFiles", "payload": {"files": [{"path": path, "content": "x"}]}}
            cases = [
                # paths on nodes: traversal, relative, control characters
                (tasks, files("../../etc/shadow"), "payload.files[0].path"),
                (tasks, files("/etc/pagoda/../../root/.ssh/authorized_keys"), "payload.files[0].path"),
                (tasks, files("/etc/pagoda/./x"), "payload.files[0].path"),
                (tasks, files("/etc/pagoda/a\nb"), "payload.files[0].path"),
                (tasks, files("/etc/pagoda//x"), "payload.files[0].path"),
                # unit names and nginx site names become file names and commands
                (tasks, {"type": "SystemdInstallUnit", "payload": {"unitName": "../evil.service", "content": ""}},
                 "payload.unitName"),
                (tasks, {"type": "SystemdControl", "payload": {"unitName": "a.service; reboot", "action": "restart"}},
                 "payload.unitName"),
                (tasks, {"type": "RenderAndDeployNginx", "payload": {"siteName": "../../etc/x", "content": ""}},
                 "payload.siteName"),
                # nginx configuration: every value lands in a config file
                ("/admin/nginx/sites/deploy", site(domains=["web.test;\n}\nserver {"]), "site.domains[1]"),
                ("/admin/nginx/sites/deploy", site(domains=["we{b}.test"]), "site.domains[1]"),
                ("/admin/nginx/sites/deploy", site(domains=['web.test"']), "site.domains[1]"),
                ("/admin/nginx/sites/deploy", site(locations=[{"path": "/ { return 200; }", "upstream": "u"}]),
                 "site.locations[1].path"),
                ("/admin/nginx/sites/deploy", site(upstreams=[{"name": "u", "servers": [
                    {"address": "10.0.0.1; include /etc/shadow", "port": 80}]}]),
                 "site.upstreams[1].servers[1].address"),
                ("/admin/nginx/sites/deploy", site(clientMaxBodySize="1m; root /"), "site.clientMaxBodySize"),
                ("/admin/nginx/sites/deploy", site(extra="include /etc/shadow;"), "site.extra"),
                # systemd unit fields: one line each
                ("/admin/apps", app({"exec": "/usr/bin/true\nExecStartPre=/bin/sh -c id"}), "spec.unit.exec"),
                ("/admin/apps", app({"exec": "/usr/bin/true", "args": ["a\nExecStartPre=/bin/id"]}), "spec.unit.args"),
                ("/admin/apps", app({"exec": "/usr/bin/true", "user": "root\nUser=evil"}), "spec.unit.user"),
                ("/admin/apps", app({"exec": "/usr/bin/true", "environment": {"A": "1\nExecStart=/bin/id"}}),
                 "spec.unit.environment.A"),
                ("/admin/apps", app({"exec": "/usr/bin/true", "environment": {"A=1\nB": "x"}}),
                 "spec.unit.environment"),
                # a misspelt field is refused, not dropped
                ("/admin/apps", app({"exec": "/usr/bin/true", "env": {"A": "1"}}), "spec.unit.env"),
                ("/admin/apps", app(configFiles=[{"configId": 1, "path": "../../etc/shadow"}]),
                 "spec.configFiles[0].path"),
                # domains of certificates become file names and nginx names
                ("/admin/certificates/acme", {"domains": ["a.test\n"], "challenge": "http-01"}, "domains"),
                ("/admin/certificates/acme", {"domains": ["../a.test"], "challenge": "http-01"}, "domains"),
                # names that become keys, file names or identifiers
                ("/admin/configs", {"name": "../x", "format": "text", "content": ""}, "name"),
                ("/admin/registry/services", {"name": "svc;rm", "port": 80}, "name"),
                ("/admin/nodes", {"name": "n;x", "ip": "10.0.0.9"}, "name"),
            ]
            before = d.snapshot()
            for path, body, field in cases:
                with self.subTest(path=path, body=json.dumps(body)[:120]):
                    r = d.call("POST", path, body)
                    self.assertEqual(r.status, 400, r)
                    self.assertTrue(r.error.get("field", "").startswith(field), r)
            self.assertEqual(d.snapshot(), before)


if __name__ == "__main__":
    unittest.main()
