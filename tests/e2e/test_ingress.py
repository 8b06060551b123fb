"""A fuller ingress on real nodes (issue 19): two network namespaces with
systemd as PID 1 and nginx, a backend service on both, and a ReverseProxy on
the first whose ingresses use each nginx feature, checked with real
requests: static files from the app's artifact (index, SPA fallback),
HTTP->HTTPS redirect, HSTS, custom headers, rewrites, client body size,
proxy timeouts, websocket upgrade headers, balancing (round robin, ip_hash),
rate limits; injection refused with the field named and nothing changed;
DELETE of an ingress and the release that takes its site off the node."""
import hashlib
import http.client
import io
import json
import os
import signal
import ssl
import tarfile
import tempfile
import time
import unittest

from fleet import Fleet, fleet_supported, http_get
from harness import Pagodad, self_signed, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
BACKEND = os.path.join(HERE, "backend.py")
INDEX = b"<!doctype html><title>shop</title><p>the single-page app\n"
SCRIPT = b"console.log('shop');\n"


def site_archive():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in [("dist/", None), ("dist/index.html", INDEX), ("dist/app.js", SCRIPT),
                           ("public/", None), ("public/index.html", b"plain static\n")]:
            info = tarfile.TarInfo(name)
            info.mtime = int(time.time())
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                t.addfile(info)
            else:
                info.size, info.mode = len(data), 0o644
                t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def https(ip, host, path="/", method="GET", body=None, headers=None):
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE  # a throwaway self-signed certificate
    c = http.client.HTTPSConnection(ip, 443, context=ctx, timeout=10)
    try:
        c.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace"), {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()


def http_raw(ip, host, path="/"):
    c = http.client.HTTPConnection(ip, 80, timeout=10)
    try:
        c.request("GET", path, headers={"Host": host})
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace"), {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()


@unittest.skipUnless(fleet_supported(), "needs root, unshare, systemd and nginx")
class Ingress(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pagoda-ing-", dir="/var/tmp")
        cls.fleet = Fleet(cls.tmp, 2).up()
        cls.backend = cls.fleet.visible(BACKEND)
        crt, key = self_signed(cls.tmp, "web")
        cls.crt, cls.key = cls.fleet.visible(crt), cls.fleet.visible(key)
        cls.d = Pagodad(cls.tmp, "--upstream-debounce", "1000", "--poll-wait", "5", host=cls.fleet.host_ip, tls=True)
        try:
            cls.d.start()
            cls.fleet.join(cls.d, lambda n: {"role": "backend"})
        except Exception:
            cls.tearDownClass()
            raise
        cls.a, cls.b = cls.fleet.nodes

    @classmethod
    def tearDownClass(cls):
        cls.d.stop(signal.SIGKILL)
        cls.fleet.down()

    def release(self, app_id, expect="succeeded", timeout=120):
        return self.d.release(app_id, expect, timeout)

    def site(self, name):
        return self.a.run("cat", f"/etc/nginx/conf.d/{name}.conf", check=False).stdout

    def main_ingress(self, **over):
        ing = {"domains": ["web.test"],
               "paths": [{"path": "/", "static": {"root": "dist", "spa": True}},
                         {"path": "/plain/", "static": {"root": "public"}},
                         {"path": "/api/", "service": "api"}],
               "tls": {"enabled": True, "certPath": self.crt, "keyPath": self.key},
               "hsts": {"maxAge": 600, "includeSubdomains": True},
               "headers": {"X-Frame-Options": "DENY", "X-Served-By": "pagoda test"},
               "rewrites": [{"match": "^/old/(.*)$", "replace": "/new/$1"}],
               "clientMaxBodySize": "1k",
               "proxyTimeouts": {"read": 1}}
        ing.update(over)
        return ing

    def test_1_backends_and_the_proxy(self):
        spec = {"unit": {"exec": "/usr/bin/python3", "args": [self.backend, "--port", "9000"]},
                "listenPort": 9000, "healthCheck": {"type": "http", "path": "/healthz", "retries": 8}}
        r = self.d.call("POST", "/admin/apps", {"name": "api", "type": "SystemdService",
                                                "selector": {"labels": "role=backend"}, "spec": spec})
        self.assertEqual(r.status, 201, r)
        self.release(r.json()["id"])
        wait_until(lambda: len(self.d.call("GET", "/api/registry/services/api/endpoints?healthy=true")
                               .json()["items"]) == 2, 20, what="2 healthy endpoints")
        data = site_archive()
        sha = hashlib.sha256(data).hexdigest()
        r = self.d.call("POST", f"/admin/blobs?name=site.tar.gz&sha256={sha}", raw=data,
                        headers={"Content-Type": "application/octet-stream"})
        self.assertIn(r.status, (200, 201), r)
        # a ReverseProxy's spec holds its static files and nothing else
        bad = {"name": "web", "type": "ReverseProxy", "selector": {"nodes": [self.a.info["id"]]},
               "spec": {"unit": {"exec": "/bin/true"}}}
        r = self.d.call("POST", "/admin/apps", bad)
        self.assertEqual((r.status, r.error["field"]), (400, "spec.unit"), r)
        bad["spec"] = {"artifacts": [{"source": "blob", "sha256": "12", "unpack": "tar.gz"}]}
        r = self.d.call("POST", "/admin/apps", bad)
        self.assertEqual(r.status, 400, r)
        self.assertTrue(r.error["field"].startswith("spec.artifacts"), r)
        bad["spec"] = {"artifacts": [{"source": "blob", "sha256": sha, "unpack": "tar.gz"}]}
        r = self.d.call("POST", "/admin/apps", bad)
        self.assertEqual(r.status, 201, r)
        type(self).web = r.json()["id"]
        ings = [self.main_ingress(),
                {"domains": ["hash.test"], "paths": [{"path": "/", "service": "api"}], "balancing": "ip_hash"},
                {"domains": ["limited.test"], "paths": [{"path": "/", "static": {"root": "public"}}],
                 "rateLimit": {"rate": "1r/s"}}]
        type(self).ingresses = []
        for ing in ings:
            r = self.d.call("POST", f"/admin/apps/{self.web}/ingresses", ing)
            self.assertEqual(r.status, 201, r)
            self.ingresses.append(r.json())
        self.assertEqual([i["nginxSiteName"] for i in self.ingresses], ["web", "web-2", "web-3"])
        rel = self.release(self.web)
        self.assertEqual([t["type"] for t in rel["nodes"][0]["tasks"]],
                         ["FetchArtifact"] + ["RenderAndDeployNginx"] * 3)
        self.assertIn("limit_req_zone", self.site("web-3"))

    def test_2_static_files_and_the_spa_fallback(self):
        code, _, h = http_raw(self.a.ip, "web.test", "/route?x=1")
        self.assertEqual((code, h.get("location")), (301, "https://web.test/route?x=1"))
        code, body, h = https(self.a.ip, "web.test", "/")
        self.assertEqual((code, body), (200, INDEX.decode()))
        self.assertEqual(https(self.a.ip, "web.test", "/app.js")[1], SCRIPT.decode())
        # an unknown path is the app's own route: the index answers it
        self.assertEqual(https(self.a.ip, "web.test", "/orders/42")[:2], (200, INDEX.decode()))
        self.assertEqual(https(self.a.ip, "web.test", "/plain/")[:2], (200, "plain static\n"))
        # without spa an unknown file is a 404
        self.assertEqual(https(self.a.ip, "web.test", "/plain/nope.html")[0], 404)
        self.assertEqual(http_get(self.a.ip, "limited.test", "/nope")[0], 404)

    def test_3_hsts_headers_and_rewrites(self):
        code, _, h = https(self.a.ip, "web.test", "/")
        self.assertEqual(h.get("strict-transport-security"), "max-age=600; includeSubDomains")
        self.assertEqual(h.get("x-frame-options"), "DENY")
        self.assertEqual(h.get("x-served-by"), "pagoda test")
        # headers go on errors too (always), HSTS never over plain HTTP
        self.assertEqual(https(self.a.ip, "web.test", "/plain/nope.html")[2].get("x-frame-options"), "DENY")
        self.assertNotIn("strict-transport-security", http_raw(self.a.ip, "web.test")[2])
        code, _, h = https(self.a.ip, "web.test", "/old/page?q=1")
        self.assertEqual(code, 301)
        self.assertEqual(h.get("location"), "https://web.test/new/page?q=1")

    def test_5_proxy_body_size_timeouts_and_websocket_headers(self):
        code, body, _ = https(self.a.ip, "web.test", "/api/", method="POST", body=b"x" * 512)
        self.assertEqual((code, body), (200, "got 512 bytes\n"))
        self.assertEqual(https(self.a.ip, "web.test", "/api/", method="POST", body=b"x" * 4096)[0], 413)
        t0 = time.monotonic()
        self.assertEqual(https(self.a.ip, "web.test", "/api/slow")[0], 504)
        self.assertLess(time.monotonic() - t0, 2.9, "proxyTimeouts.read of 1 s cut the 3 s answer")
        conf = self.site("web")
        self.assertIn("proxy_set_header Upgrade $http_upgrade;", conf)
        self.assertIn("proxy_read_timeout 1s;", conf)

    def test_4_balancing(self):
        # before test_5: its timed-out request marks the backends failed for 10 s
        rr = {https(self.a.ip, "web.test", "/api/")[1].split()[0] for _ in range(20)}
        self.assertEqual(rr, {f"node={n.ip}" for n in self.fleet.nodes}, "round robin reaches both")
        hashed = {http_get(self.a.ip, "hash.test")[1].split()[0] for _ in range(20)}
        self.assertEqual(len(hashed), 1, f"ip_hash keeps one client on one backend: {hashed}")
        self.assertIn("ip_hash;", self.site("web-2"))

    def test_6_rate_limit(self):
        time.sleep(1.5)  # earlier requests drained
        codes = [http_get(self.a.ip, "limited.test", "/")[0] for _ in range(8)]
        self.assertEqual(codes[0], 200, codes)
        self.assertIn(429, codes)
        time.sleep(1.5)
        self.assertEqual(http_get(self.a.ip, "limited.test", "/")[0], 200)

    def test_7_injection_is_refused_and_changes_nothing(self):
        ing = self.ingresses[0]
        before, audit = self.site("web"), len(self.d.audit(action="ingress.update"))
        cases = [({"headers": {"X-A": 'x" always; return 200 "owned'}}, "headers.X-A"),
                 ({"headers": {"X-A": "$request_uri"}}, "headers.X-A"),
                 ({"rewrites": [{"match": "^/a", "replace": "/b\nreturn 200"}]}, "rewrites[1].replace"),
                 ({"rewrites": [{"match": "^/a", "replace": "/b", "flag": "last; return 200"}]},
                  "rewrites[1].flag"),
                 ({"rateLimit": {"rate": "1r/s; return 200"}}, "rateLimit.rate"),
                 ({"proxyTimeouts": {"read": "1s; return 200"}}, "proxyTimeouts.read"),
                 ({"balancing": "hash $request_uri"}, "balancing"),
                 ({"hsts": {"maxAge": "1; preload"}}, "hsts.maxAge"),
                 ({"paths": [{"path": "/", "static": {"root": "../../../etc"}}]}, "paths[1].static.root"),
                 ({"paths": [{"path": "/", "static": {"root": "dist", "index": ["a b"]}}]},
                  "paths[1].static.index[1]")]
        for over, field in cases:
            r = self.d.call("PUT", f"/admin/ingresses/{ing['id']}", self.main_ingress(**over))
            self.assertEqual((r.status, r.error.get("field")), (400, field), (over, r))
        self.assertEqual(self.d.call("GET", f"/admin/ingresses/{ing['id']}").json()["headers"],
                         self.main_ingress()["headers"])
        self.assertEqual(len(self.d.audit(action="ingress.update")), audit)
        self.assertEqual(self.site("web"), before)

    def inspect(self, body):
        r = self.d.call("POST", f"/admin/apps/{self.web}/inspect", body)
        self.assertEqual(r.status, 201, r)
        out = r.json()
        for t in out["tasks"]:
            t["answer"] = self.d.wait_task(t["taskId"], "succeeded", 20)
        return out

    def test_7b_site_logs(self):
        out = self.inspect({"lines": 5})
        self.assertEqual(out["sites"], ["web", "web-2", "web-3"])
        web = next(t for t in out["tasks"] if t["site"] == "web")
        self.assertEqual(web["key"], f"{self.a.info['id']}:web")
        lines = web["answer"]["stdout"].splitlines()
        self.assertLessEqual(len([x for x in lines if x.startswith("access: ")]), 5)
        self.assertTrue(any(x.startswith("access: ") and '"GET /' in x for x in lines), lines)
        # the timed-out proxy request of test_5 is in the error log
        self.assertTrue(any(x.startswith("error: ") and "timed out" in x for x in lines), lines)
        # following: only what came after the cursor
        cursors = {t["key"]: t["answer"]["result"]["cursor"] for t in out["tasks"]}
        https(self.a.ip, "web.test", "/followed-once")
        out = self.inspect({"lines": 100, "afterCursor": cursors})
        web = next(t for t in out["tasks"] if t["site"] == "web")
        access = [x for x in web["answer"]["stdout"].splitlines() if x.startswith("access: ")]
        self.assertEqual(len(access), 1, access)
        self.assertIn("GET /followed-once", access[0])
        # the stream: lines tagged with their site; since leaves out older ones
        got = list(self.d.events(f"/admin/apps/{self.web}/logs?lines=5"))
        self.assertEqual(got[-1][0], "end", got)
        self.assertTrue(any(e == "line" and d.get("site") == "web" and "GET /followed-once" in d["line"]
                            for e, d in got), got)
        got = list(self.d.events(f"/admin/apps/{self.web}/logs?lines=5&since={int(time.time()) + 3600}"))
        self.assertEqual([e for e, _ in got], ["end"], got)
        # the CLI tags each line with node and site
        import subprocess
        cli = subprocess.run([os.environ.get("PAGODA_CLI", "pagoda"), "--addr", self.d.url,
                              "--ca-file", self.d.ca_file, "logs", str(self.web), "--lines", "3"],
                             capture_output=True, text=True, timeout=60,
                             env=dict(os.environ, PAGODA_TOKEN=self.d.admin))
        self.assertEqual(cli.returncode, 0, cli.stderr)
        self.assertIn(f"[{self.a.name} web] access: ", cli.stdout)

    def test_8_delete_takes_the_site_off_the_node(self):
        gone = self.ingresses[2]
        self.assertEqual(self.d.call("DELETE", f"/admin/ingresses/{gone['id']}").status, 204)
        self.assertEqual(self.d.call("GET", f"/admin/ingresses/{gone['id']}").status, 404)
        self.assertEqual(self.d.call("DELETE", f"/admin/ingresses/{gone['id']}").status, 404)
        self.assertEqual([e["targetId"] for e in self.d.audit(action="ingress.delete")], [str(gone["id"])])
        self.assertIn("limited.test", self.site("web-3"), "on the node until the next release")
        self.release(self.web)
        self.assertIn("removed by Pagoda", self.site("web-3"))
        self.assertNotIn("limited.test", self.site("web-3"))
        self.assertEqual(http_get(self.a.ip, "hash.test")[0], 200)
        # a new ingress takes the free name, not one in use
        r = self.d.call("POST", f"/admin/apps/{self.web}/ingresses",
                        {"domains": ["again.test"], "paths": [{"path": "/", "service": "api"}]})
        self.assertEqual((r.status, r.json()["nginxSiteName"]), (201, "web-3"), r)


if __name__ == "__main__":
    unittest.main()
