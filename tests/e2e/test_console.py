"""The web console (issue 10) in headless Debian chromium: tests/ui/
console.test.mjs drives it (playwright-core) against pagodad and two real
nodes (systemd as PID 1, as in test_fleet); this side sets them up, serves
the script what it needs and checks through the API what the clicks did.
Screenshots of every view land in build/console-screenshots/."""
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import unittest

from fleet import Fleet, fleet_supported, http_get
from harness import STORE, Pagodad, free_port, request, self_signed, wait_until
from test_alerts import SECRET, Receiver

HERE = os.path.dirname(os.path.abspath(__file__))
UI_TESTS = os.path.join(HERE, "..", "ui")
SHOTS = os.environ.get("PAGODA_SHOTS", os.path.join(HERE, "..", "..", "build", "console-screenshots"))
CHROMIUM = os.environ.get("PAGODA_CHROMIUM", "/usr/bin/chromium")


def console_supported():
    return (shutil.which("node") is not None and os.path.exists(CHROMIUM)
            and os.path.isdir(os.path.join(UI_TESTS, "node_modules", "playwright-core")))


class ConsoleAssets(unittest.TestCase):
    """What pagodad serves at /ui/, without a browser."""

    def test_assets_headers_and_revalidation(self):
        with tempfile.TemporaryDirectory() as tmp:
            d = Pagodad(tmp).start()
            try:
                conn = http.client.HTTPConnection(d.host, d.port, timeout=10)
                conn.request("GET", "/ui")
                r = conn.getresponse()
                self.assertEqual((r.status, r.getheader("Location")), (308, "/ui/"))
                conn.close()
                r = request(d.url + "/ui/")
                self.assertEqual(r.status, 200)
                self.assertIn('<script type="module" src="app.js">', r.body)
                csp = r.headers["Content-Security-Policy"]
                for part in ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"]:
                    self.assertIn(part, csp)
                self.assertEqual(r.headers["X-Content-Type-Options"], "nosniff")
                self.assertTrue(r.headers["Content-Type"].startswith("text/html"))
                self.assertEqual(r.headers["Cache-Control"], "no-cache")
                # every file of ui/ is served with its type and an ETag it revalidates with
                ui = os.path.join(HERE, "..", "..", "ui")
                types = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}
                for name in sorted(os.listdir(ui)):
                    r = request(d.url + "/ui/" + name)
                    self.assertEqual(r.status, 200, name)
                    with open(os.path.join(ui, name)) as f:
                        self.assertEqual(r.body, f.read(), name)
                    self.assertTrue(r.headers["Content-Type"].startswith(types[os.path.splitext(name)[1]]), name)
                    again = request(d.url + "/ui/" + name, headers={"If-None-Match": r.headers["ETag"]})
                    self.assertEqual((again.status, again.body), (304, ""), name)
                # no traversal, no listing, no other files
                for bad in ["/ui/..%2fadmin.token", "/ui/../admin.token", "/ui/nope.js", "/ui/js/app.js"]:
                    self.assertEqual(request(d.url + bad).status, 404, bad)
                self.assertEqual(request(d.url + "/ui/app.js", "POST", {}).status, 405)
                # the assets are public, the API behind them is not
                self.assertEqual(request(d.url + "/admin/whoami").status, 401)
                me = d.call("GET", "/admin/whoami").json()
                self.assertEqual((me["actor"], me["permissions"]), ("token:1:bootstrap", ["*"]))
            finally:
                d.stop()


@unittest.skipUnless(fleet_supported() and console_supported(),
                     "needs root, unshare, systemd, nginx, node, chromium and tests/ui/node_modules (npm ci)")
@unittest.skipIf(STORE == "postgres", "the console is the same client of the same API on either store; "
                 "the SQLite run drives it (and every PostgreSQL e2e answer is checked against the API document)")
class Console(unittest.TestCase):
    def test_console_story_in_chromium(self):
        tmp = tempfile.mkdtemp(prefix="pagoda-console-", dir="/var/tmp")
        fleet = Fleet(tmp, 2).up()
        d = Pagodad(tmp, "--poll-wait", "5", "--alert-interval", "500", host=fleet.host_ip, tls=True)
        try:
            d.start()
            for n in fleet.nodes:
                n.info = d.create_node(n.name, n.ip, {"role": "web"})
                n.start_agent(d.url, n.info["token"], "--state-interval", "2",
                              "--ca-file", fleet.visible(d.ca_file))
            for n in fleet.nodes:
                wait_until(lambda: d.node(n.info["id"])["status"] == "online", 20, what=f"{n.name} online")
            # content for the certificate and configuration views
            cert, key = self_signed(tmp, "console.test")
            with open(cert) as c, open(key) as k:
                r = d.call("POST", "/admin/certificates", {"name": "console", "certPem": c.read(), "keyPem": k.read()})
            self.assertEqual(r.status, 201, r)
            r = d.call("POST", "/admin/configs", {"name": "app.conf", "format": "text", "content": "port = 1\nhost = a\n"})
            self.assertEqual(r.status, 201, r)
            r = d.call("PUT", f"/admin/configs/{r.json()['id']}", {"content": "port = 2\nhost = a\n", "message": "port 2"})
            self.assertEqual(r.status, 200, r)

            # a node silent for 2 s is an alert (the story ends by stopping an agent)
            r = d.call("PUT", "/admin/alert-rules/node_offline", {"params": {"seconds": 2}})
            self.assertEqual(r.status, 200, r)
            backend = fleet.visible(os.path.join(HERE, "backend.py"))
            spec = {"unit": {"exec": "/usr/bin/python3", "args": [backend, "--port", "9000"],
                             "environment": {"VERSION": "v1"}},
                    "listenPort": 9000, "healthCheck": {"type": "http", "path": "/healthz", "retries": 8, "intervalSec": 1}}
            b = fleet.nodes[1]
            unit = "/etc/systemd/system/console-shop.service"
            hand_edit = ["nsenter", "-t", b.pid, "-m", "-p", "-n", "-u", "sh", "-c", f"echo '# edited by hand' >> {unit}"]
            env = dict(os.environ, PAGODA_URL=d.url, PAGODA_TOKEN_FILE=os.path.join(d.data_dir, "admin.token"),
                       PAGODA_APP_SPEC=json.dumps(spec), PAGODA_HAND_EDIT=json.dumps(hand_edit),
                       PAGODA_STOP_AGENT=json.dumps(["nsenter", "-t", fleet.nodes[0].pid, "-m", "-p", "-n", "-u",
                                                     "systemctl", "stop", "pagoda-agent"]),
                       PAGODA_NODES=json.dumps([n.name for n in fleet.nodes]), PAGODA_SHOTS=os.path.abspath(SHOTS),
                       PAGODA_CHROMIUM=CHROMIUM)
            # a certificate the console imports from files and deploys, an ACME CA where nothing
            # listens (a request is taken, then fails: issuing itself is test_acme's), a webhook receiver
            env["PAGODA_CERT_FILES"] = json.dumps(list(self_signed(tmp, "console-deploy.test")))
            env["PAGODA_ACME_URL"] = f"https://127.0.0.1:{free_port()}/directory"
            rx = Receiver()
            env["PAGODA_HOOK_URL"], env["PAGODA_HOOK_SECRET"] = rx.url, SECRET
            r = d.call("POST", "/admin/tokens", {"name": "viewer", "permissions": ["admin:app:read"]})
            self.assertEqual(r.status, 201, r)
            env["PAGODA_VIEWER_TOKEN"] = r.json()["token"]
            shutil.rmtree(SHOTS, ignore_errors=True)  # only this run's screenshots
            p = subprocess.run(["node", "console.test.mjs"], cwd=UI_TESTS, env=env, capture_output=True, text=True,
                               timeout=480)
            print(p.stdout[-4000:])
            self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-6000:])

            # what the clicks did, seen through the API
            app = next(a for a in d.call("GET", "/admin/apps").json()["items"] if a["name"] == "console-shop")
            self.assertEqual(app["spec"]["unit"]["environment"], {"VERSION": "v2"})
            rels = d.call("GET", f"/admin/apps/{app['id']}/releases").json()["items"]
            self.assertEqual([(r["version"], r["kind"], r["status"]) for r in rels],
                             [(4, "deploy", "succeeded"), (3, "rollback", "succeeded"), (2, "deploy", "rolled_back"),
                              (1, "deploy", "succeeded")])
            self.assertTrue(rels[0]["diff"]["restart"], "v4 is the console's rolling restart")
            self.assertEqual(app["currentReleaseId"], rels[0]["id"])
            self.assertNotIn("edited by hand", b.run("cat", unit).stdout)
            self.assertIn("VERSION=v1", b.run("cat", unit).stdout)
            # the site made in the console serves the service through nginx on each node
            for n in fleet.nodes:
                code, body = http_get(n.ip, "console.test")
                self.assertEqual(code, 200, body)
                self.assertTrue(body.startswith("node="), body)
            actions = [e["action"] for e in d.audit(actor="token:1:bootstrap", limit=1000)]
            for a in ["app.create", "app.update", "release.create", "release.execute", "release.rollback", "alert.ack",
                      "app.restart"]:
                self.assertIn(a, actions)
            # the task run on the first node, with what it found
            listed = d.call("GET", f"/admin/tasks?nodeId={fleet.nodes[0].info['id']}&limit=200").json()["items"]
            run = [d.call("GET", f"/admin/tasks/{x['id']}").json() for x in listed if x["type"] == "InspectUnit"]
            run = [x for x in run if x["payload"].get("unitName") == "pagoda-agent.service"]
            self.assertEqual([x["status"] for x in run], ["succeeded"])
            self.assertIn('"active"', json.dumps(run[0]["result"]))
            # the imported certificate written on both nodes; the requested one deleted
            certs = {c["name"]: c for c in d.call("GET", "/admin/certificates").json()["items"]}
            self.assertNotIn("console-acme.test", certs)
            with open(json.loads(env["PAGODA_CERT_FILES"])[0]) as f:
                pem = f.read()
            for n in fleet.nodes:
                self.assertEqual(n.run("cat", "/etc/ssl/pagoda/console-deploy.crt").stdout.strip(), pem.strip())
                self.assertEqual(n.run("stat", "-c", "%a", "/etc/ssl/pagoda/console-deploy.key").stdout.strip(), "600")
            # the channel made in the console, its test delivered (signed), the rule edited to notify it
            ch = d.call("GET", "/admin/alert-channels/console-hook").json()
            self.assertEqual((ch["plugin"], ch["severities"], ch["config"]["url"]), ("webhook", ["critical"], rx.url))
            self.assertNotEqual(ch["config"]["secret"], SECRET)
            self.assertTrue(rx.verified(), "the channel's test reached the receiver")
            rx.close()
            rule = next(r for r in d.call("GET", "/admin/alert-rules").json()["items"] if r["name"] == "certificate_expiring")
            self.assertEqual((rule["params"], rule["notify"]), ({"days": 20}, [{"channel": "console-hook"}]))
            # the first node's labels edited, the spare node deleted, the second site deleted
            self.assertEqual(d.node(fleet.nodes[0].info["id"])["labels"], {"role": "web", "zone": "a"})
            self.assertNotIn("console-spare", [n["name"] for n in d.call("GET", "/admin/nodes").json()["items"]])
            edge = next(a for a in d.call("GET", "/admin/apps").json()["items"] if a["name"] == "console-edge")
            edge = d.call("GET", f"/admin/apps/{edge['id']}").json()
            self.assertEqual([i["domains"] for i in edge["ingresses"]], [["console.test"]])
            self.assertEqual(d.call("GET", "/admin/dns-providers/console-dns").status, 404)
            # the registry service made and deleted there
            self.assertEqual(d.call("GET", "/admin/registry/services/console-static").status, 404)
            for a in ["ssl.import", "ssl.deploy", "ssl.request", "ssl.delete", "alert_channel.put", "alert_rule.update",
                      "service.update", "endpoint.create", "endpoint.delete", "service.delete", "task.queue",
                      "node.update", "node.delete", "ingress.delete", "ssl.dns_provider.put", "ssl.dns_provider.delete"]:
                self.assertIn(a, actions)
            offline = [a for a in d.call("GET", "/admin/alerts?rule=node_offline").json()["items"]]
            self.assertEqual([a["acknowledgedBy"] for a in offline], ["token:1:bootstrap"])
            shots = sorted(os.listdir(SHOTS))
            for view in ["login", "dashboard", "nodes", "node", "node-task", "app-new-field-error", "app-new",
                         "certificate-deployed", "certificates-dns", "alert-rules-channels", "registry-endpoint", "release-running", "app-drift",
                         "app-history-diff", "rollback-succeeded", "app-logs", "proxy-release", "narrow-app", "dark-app", "certificates",
                         "configuration-diff", "audit", "dashboard-alert", "read-only"]:
                self.assertTrue(any(s.endswith(f"-{view}.png") for s in shots), view)
        finally:
            d.stop(signal.SIGKILL)
            fleet.down()
