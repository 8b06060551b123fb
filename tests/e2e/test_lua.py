"""The Lua layer through pagodad: policy listing and reload (good, bad,
runaway), audit of reloads, the nginx render preview checked by the real
`nginx -t`, its diff against a deployed site, and rendered units checked by
`systemd-analyze verify`."""
import json
import os
import signal
import subprocess
import time
import unittest

from harness import PAGODA_LUA, Cluster, nginx_test, request, self_signed, wait_until


def site(**over):
    s = {"name": "shop", "domains": ["shop.test", "www.shop.test"],
         "locations": [{"path": "/", "upstream": "shop_web"}, {"path": "/api", "upstream": "shop_api"}],
         "upstreams": [{"name": "shop_web", "status": "ok",
                        "servers": [{"address": "127.0.0.1", "port": 9001, "weight": 2},
                                    {"address": "::1", "port": 9002}]},
                       {"name": "shop_api", "status": "unavailable", "servers": []}]}
    s.update(over)
    return s


class Policies(unittest.TestCase):
    def test_listing_override_reload_and_audit(self):
        with Cluster() as c:
            d = c.daemon
            lua_dir = os.path.join(c.tmp, "lua")
            os.makedirs(os.path.join(lua_dir, "templates"))
            d.stop()
            d.extra += ["--lua-dir", lua_dir]
            d.start()
            items = {p["path"]: p for p in d.call("GET", "/admin/policies").json()["items"]}
            for path in ["policies/batch.lua", "policies/upstream.lua", "policies/rollback.lua",
                         "templates/nginx_site.lua", "templates/systemd_unit.lua",
                         "plugins/dns/challtestsrv.lua", "plugins/dns/exec.lua", "plugins/notify/webhook.lua"]:
                self.assertTrue(items[path]["loaded"], path)
                self.assertEqual(items[path]["origin"], "bundled")
                self.assertEqual(len(items[path]["sha256"]), 64)
            self.assertIn("templates/nginx_site.tpl", [u["path"] for u in items["templates/nginx_site.lua"]["uses"]])

            render = lambda: d.call("POST", "/admin/nginx/sites/render", {"site": site()})
            self.assertEqual(render().status, 200)
            # an override of the .tpl is picked up without a restart
            tpl = os.path.join(lua_dir, "templates", "nginx_site.tpl")
            with open(tpl, "w") as f:
                f.write("# custom {{ site.name }}\n")
            r = render()
            self.assertEqual(r.json()["content"], "# custom shop\n")
            # a broken override of the .lua is refused; the last good one stays
            mod = os.path.join(lua_dir, "templates", "nginx_site.lua")
            with open(mod, "w") as f:
                f.write("return { render = function( end }")
            self.assertEqual(render().json()["content"], "# custom shop\n")
            st = {p["path"]: p for p in d.call("GET", "/admin/policies").json()["items"]}["templates/nginx_site.lua"]
            self.assertIn("expected near 'end'", st["lastError"])
            self.assertEqual(st["origin"], "bundled")
            # a runaway override fails its self-check at load: also refused
            with open(mod, "w") as f:
                f.write("return { render = function() return 'x' end, selftest = function() while true do end end }")
            r = d.call("POST", "/admin/policies/reload")
            self.assertEqual(r.status, 200)
            st = {p["path"]: p for p in r.json()["items"]}["templates/nginx_site.lua"]
            self.assertIn("instruction budget", st["lastError"])
            self.assertEqual(render().json()["content"], "# custom shop\n")
            # fixed: used at once
            with open(mod, "w") as f:
                f.write("return { render = function(s) return 'fixed ' .. s.name end }")
            self.assertEqual(render().json()["content"], "fixed shop")
            # reloads and failures are audit events (flushed by the watcher)
            wait_until(lambda: len(d.audit(action="policy.reload_failed")) >= 2, 10, what="failure audit")
            wait_until(lambda: d.audit(action="policy.reload"), 10, what="reload audit")
            failed = d.audit(action="policy.reload_failed")
            self.assertTrue(any("instruction budget" in e["details"]["error"] for e in failed))
            self.assertEqual(failed[0]["details"]["path"], "templates/nginx_site.lua")
            # SIGHUP reloads everything, audited as such
            d.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: d.audit(actor="system:SIGHUP"), 10, what="SIGHUP audit")

    def test_runaway_script_does_not_take_the_daemon_down(self):
        with Cluster("--http-threads", "2") as c:
            d = c.daemon
            lua_dir = os.path.join(c.tmp, "lua")
            os.makedirs(os.path.join(lua_dir, "templates"))
            d.stop()
            d.extra += ["--lua-dir", lua_dir]
            d.start()
            with open(os.path.join(lua_dir, "templates", "nginx_site.lua"), "w") as f:
                f.write("return { render = function() local t = {} "
                        "while true do pcall(function() while true do t[#t % 100 + 1] = 1 end end) end end }")
            t0 = time.monotonic()
            r = d.call("POST", "/admin/nginx/sites/render", {"site": site()})
            self.assertEqual(r.status, 422)
            self.assertIn("instruction budget", r.error["message"])
            self.assertLess(time.monotonic() - t0, 5)
            self.assertEqual(request(d.url + "/healthz").status, 200)
            with open(os.path.join(lua_dir, "templates", "nginx_site.lua"), "w") as f:
                f.write("return { render = function() return string.rep('x', 1 << 30) end }")
            r = d.call("POST", "/admin/nginx/sites/render", {"site": site()})
            self.assertEqual(r.status, 422)
            self.assertIn("memory", r.error["message"])
            self.assertEqual(request(d.url + "/healthz").status, 200)


class Rendering(unittest.TestCase):
    def test_rendered_sites_pass_real_nginx_t(self):
        with Cluster() as c:
            d = c.daemon
            crt, key = self_signed(c.tmp, "shop")
            variants = {
                "plain": site(),
                "tls-redirect-acme-proxy": site(tls={"enabled": True, "certPath": crt, "keyPath": key},
                                                acme={"mode": "proxy", "proxyPass": "http://127.0.0.1:8080"}),
                "tls-both-acme-root": site(tls={"enabled": True, "redirect": False, "certPath": crt, "keyPath": key},
                                           acme={"mode": "root", "root": "/var/lib/pagoda/acme"},
                                           listen={"http": 8081, "https": 8443}),
                "degraded": site(upstreams=[{"name": "shop_web", "status": "degraded",
                                             "servers": [{"address": "127.0.0.1", "port": 9001, "weight": 1}]},
                                            {"name": "shop_api", "status": "unavailable", "servers": []}]),
            }
            for name, s in variants.items():
                with self.subTest(variant=name):
                    r = d.call("POST", "/admin/nginx/sites/render", {"site": s})
                    self.assertEqual(r.status, 200, r)
                    ok, out = nginx_test(os.path.join(c.tmp, "nginx-" + name), r.json()["content"])
                    self.assertTrue(ok, out)
            # nginx -t is a real check: a broken file fails it
            ok, out = nginx_test(os.path.join(c.tmp, "nginx-broken"), "server { listen 80; nonsense; }")
            self.assertFalse(ok)

    def test_injection_is_refused_before_rendering(self):
        with Cluster() as c:
            d = c.daemon
            for over, field in [({"domains": ["evil.test;\n} server { listen 80"]}, "site.domains[1]"),
                                ({"domains": ["a'b.test"]}, "site.domains[1]"),
                                ({"name": "x}"}, "site.name"),
                                ({"locations": [{"path": "/x { return 200; }", "upstream": "shop_web"}]}, "site.locations[1].path"),
                                ({"tls": {"enabled": True, "certPath": "/a;b", "keyPath": "/k"}}, "site.tls.certPath")]:
                with self.subTest(field=field):
                    r = d.call("POST", "/admin/nginx/sites/render", {"site": site(**over)})
                    self.assertEqual((r.status, r.error.get("field")), (400, field), r)
            r = d.call("POST", "/admin/nginx/sites/render", {"site": "shop"})
            self.assertEqual((r.status, r.error.get("field")), (400, "site"))

    def test_preview_diffs_against_the_deployed_site(self):
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("edge-1")
            first = d.call("POST", "/admin/nginx/sites/render", {"site": site(), "nodeId": n["id"]}).json()
            self.assertIsNone(first["deployed"])
            self.assertIn("+upstream shop_web {", first["diff"])
            # deploy it (the agent side is simulated through the agent API)
            t = d.queue(n["id"], "RenderAndDeployNginx", {"siteName": "shop", "content": first["content"]}).json()
            tok = n["token"]
            request(d.url + "/agent/tasks/poll", "POST", {"nodeId": n["id"], "waitSec": 0}, token=tok)
            r = request(d.url + "/agent/tasks/report", "POST",
                        {"nodeId": n["id"], "taskId": t["id"], "attempt": 1, "status": "succeeded"}, token=tok)
            self.assertEqual(r.status, 200, r)
            same = d.call("POST", "/admin/nginx/sites/render", {"site": site(), "nodeId": n["id"]}).json()
            self.assertEqual(same["deployed"], {"taskId": t["id"], "same": True})
            self.assertEqual(same["diff"], "")
            changed = site()
            changed["upstreams"][0]["servers"].append({"address": "127.0.0.1", "port": 9003})
            r = d.call("POST", "/admin/nginx/sites/render", {"site": changed, "nodeId": n["id"]}).json()
            self.assertFalse(r["deployed"]["same"])
            self.assertIn("+    server 127.0.0.1:9003 weight=1;", r["diff"])
            self.assertTrue(r["diff"].startswith(f"--- node {n['id']}: shop (deployed)\n"))
            self.assertEqual(r["sha256"], __import__("hashlib").sha256(r["content"].encode()).hexdigest())

    def test_rendered_units_pass_systemd_analyze_verify(self):
        with Cluster() as c:
            units = {
                "plain": {"name": "shop.service", "exec": "/usr/bin/python3", "args": ["-m", "http.server", "9000"]},
                "full": {"name": "shop-full.service", "description": "Shop 100% \"full\"", "exec": "/bin/sleep",
                         "args": ["1000"], "type": "exec", "user": "nobody", "group": "nogroup",
                         "workingDirectory": "/tmp", "environment": {"A": "x y", "B": "50% $HOME"},
                         "restart": "always", "restartSec": 5, "hardening": {"ProtectHome": False}},
                "bare": {"name": "bare.service", "exec": "/bin/true", "hardening": False, "type": "oneshot",
                         "restart": "no"},
            }
            for name, u in units.items():
                with self.subTest(unit=name):
                    inp = os.path.join(c.tmp, name + ".json")
                    with open(inp, "w") as f:
                        json.dump(u, f)
                    r = subprocess.run([PAGODA_LUA, "render", "systemd_unit", inp], capture_output=True, text=True)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    path = os.path.join(c.tmp, u["name"])
                    with open(path, "w") as f:
                        f.write(r.stdout)
                    v = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True)
                    self.assertEqual(v.returncode, 0, v.stderr + r.stdout)
            # and verify is a real check
            bad = os.path.join(c.tmp, "bad.service")
            with open(bad, "w") as f:
                f.write("[Service]\nExecStart=relative/path\n")
            self.assertNotEqual(subprocess.run(["systemd-analyze", "verify", bad], capture_output=True).returncode, 0)


if __name__ == "__main__":
    unittest.main()
