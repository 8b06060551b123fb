"""Alerts: rules fire once and resolve when their condition clears; they are
listed, acknowledged, and delivered to a real HTTP receiver through the
shipped notify/webhook.lua with an HMAC signature and retries."""
import hashlib
import hmac
import http.server
import json
import os
import signal
import tempfile
import threading
import time
import subprocess
import unittest
import urllib.parse

from harness import Cluster, self_signed, wait_until
from test_apps import UNIT, FakeAgents

SECRET = "hook-secret-0123456789"


class Receiver:
    """A local webhook endpoint; answers fail_first requests with 500."""

    def __init__(self, fail_first=0):
        self.got, self.fail_left = [], fail_first
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.fail_left > 0:
                    outer.fail_left -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                outer.got.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}/hook"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()

    def verified(self):
        """Payloads whose signature checks out; raises on a bad one."""
        out = []
        for headers, body in self.got:
            ts = headers["X-Pagoda-Timestamp"]
            want = hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
            assert headers["X-Pagoda-Signature"] == "sha256=" + want, "bad signature"
            assert abs(time.time() * 1000 - int(ts)) < 60000, "stale timestamp"
            out.append(json.loads(body))
        return out

    def events(self, rule):
        return [(p["event"], p["alert"]["subject"]) for p in self.verified() if p["alert"]["rule"] == rule]


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def hook(d, rule, receiver, **params):
    body = {"notify": [{"plugin": "webhook", "config": {"url": receiver.url, "secret": SECRET}}]}
    if params:
        body["params"] = params
    r = d.call("PUT", f"/admin/alert-rules/{rule}", body)
    assert r.status == 200, r
    return r.json()


def alerts(d, **q):
    qs = "&".join(f"{k}={v}" for k, v in q.items())
    return d.call("GET", f"/admin/alerts?{qs}").json()["items"]


class Alerts(unittest.TestCase):
    def test_node_offline_fires_once_and_resolves_when_back(self):
        rx = Receiver()
        with Cluster("--alert-interval", "200") as c:
            d = c.daemon
            rule = hook(d, "node_offline", rx, seconds=2)
            self.assertEqual(rule["notify"][0]["config"]["secret"], "******")
            self.assertEqual(rule["params"], {"seconds": 2})
            n = d.create_node("node-a")
            a = c.agent(n)
            wait_until(lambda: d.node(n["id"])["status"] == "online", 10, what="online")
            a.stop(signal.SIGKILL)
            wait_until(lambda: alerts(d, rule="node_offline", status="firing"), 15, what="offline alert")
            time.sleep(1.0)  # many evaluations later, still one alert
            firing = alerts(d, rule="node_offline")
            self.assertEqual(len(firing), 1)
            self.assertEqual((firing[0]["subject"], firing[0]["severity"]), (f"node:{n['id']}", "critical"))
            wait_until(lambda: rx.events("node_offline") == [("firing", f"node:{n['id']}")], 10, what="webhook")
            payload = rx.verified()[0]
            self.assertEqual(payload["source"], "pagoda")
            self.assertIn("node-a has been offline", payload["alert"]["summary"])

            # acknowledged by an operator; still firing until the node is back
            r = d.call("POST", f"/admin/alerts/{firing[0]['id']}/ack")
            self.assertEqual((r.status, r.json()["acknowledgedBy"].startswith("token:")), (200, True))
            self.assertEqual(r.json()["status"], "firing")

            c.agent(n)
            wait_until(lambda: not alerts(d, rule="node_offline", status="firing"), 15, what="resolved")
            al = d.call("GET", f"/admin/alerts/{firing[0]['id']}").json()
            self.assertEqual(al["status"], "resolved")
            self.assertTrue(al["resolvedAt"])
            wait_until(lambda: rx.events("node_offline") == [("firing", f"node:{n['id']}"),
                                                             ("resolved", f"node:{n['id']}")], 10, what="resolved hook")
            self.assertEqual([x["status"] for x in al["deliveries"]][:1], ["sent"])
            self.assertEqual([e["action"] for e in d.audit(targetType="alert")][::-1],
                             ["alert.fire", "alert.ack", "alert.resolve"])
            # the webhook secret is sealed at rest
            self.assertNotIn(SECRET.encode(), d.stored_bytes())
        rx.close()

    def test_expiring_certificate_and_failed_release_reach_the_webhook(self):
        rx = Receiver(fail_first=2)  # the first two deliveries fail: retried
        with Cluster("--alert-interval", "200", "--alert-retry", "200", "--heartbeat-interval", "30") as c:
            d = c.daemon
            hook(d, "certificate_expiring", rx, days=14)
            hook(d, "release_failed", rx)
            tmp = tempfile.mkdtemp(prefix="pagoda-cert-")
            crt, key = self_signed(tmp, "soon.test")  # valid for one day
            r = d.call("POST", "/admin/certificates", {"name": "soon.test", "certPem": read(crt),
                                                       "keyPem": read(key)})
            self.assertEqual(r.status, 201, r)
            cid = r.json()["id"]
            wait_until(lambda: rx.events("certificate_expiring") == [("firing", f"cert:{cid}")], 15,
                       what="expiring certificate webhook")
            p = next(p for p in rx.verified() if p["alert"]["rule"] == "certificate_expiring")
            self.assertEqual(p["alert"]["severity"], "critical")
            self.assertEqual(p["alert"]["details"]["name"], "soon.test")
            self.assertNotIn("PRIVATE KEY", json.dumps(p))
            al = alerts(d, rule="certificate_expiring")[0]
            dl = wait_until(lambda: (x := d.call("GET", f"/admin/alerts/{al['id']}").json()["deliveries"])
                            and x[0]["status"] == "sent" and x, 10, what="delivery recorded")
            self.assertEqual(dl[0]["attempts"], 3)

            nodes = [d.create_node(f"web-{i}", f"10.0.0.{i + 1}", {"role": "web"}) for i in range(2)]
            agents = FakeAgents(d, nodes, fail=lambda n, t: t["type"] == "HealthProbe")
            agents.step()
            app = d.call("POST", "/admin/apps", {"name": "shop", "type": "SystemdService",
                                                 "selector": {"labels": "role=web"},
                                                 "spec": {"unit": dict(UNIT), "listenPort": 9000}}).json()
            rel = d.call("POST", f"/admin/apps/{app['id']}/releases", {}).json()
            d.call("POST", f"/admin/releases/{rel['id']}/execute")
            agents.run_until(lambda: d.call("GET", f"/admin/releases/{rel['id']}").json()["status"] == "failed",
                             what="failed release")
            wait_until(lambda: rx.events("release_failed") == [("firing", f"app:{app['id']}")], 15,
                       what="failed release webhook")
            p = next(p for p in rx.verified() if p["alert"]["rule"] == "release_failed")
            self.assertEqual(p["alert"]["details"]["releaseId"], rel["id"])
            self.assertIn("shop", p["alert"]["summary"])

            # deleting the certificate clears its condition
            self.assertEqual(d.call("DELETE", f"/admin/certificates/{cid}").status, 204)
            wait_until(lambda: ("resolved", f"cert:{cid}") in rx.events("certificate_expiring"), 15,
                       what="resolved")

    def test_policy_load_failure_and_rule_validation(self):
        lua = tempfile.mkdtemp(prefix="pagoda-lua-")
        os.makedirs(os.path.join(lua, "policies"))
        with Cluster("--alert-interval", "200", "--lua-dir", lua) as c:
            d = c.daemon
            before = d.snapshot()
            for body, field in [({"params": {"days": 0}}, "params.days"),
                                ({"params": {"dayz": 3}}, "params.dayz"),
                                ({"notify": [{"plugin": "nope"}]}, "notify[0].plugin"),
                                ({"notify": "x"}, "notify"),
                                ({"enabled": "yes"}, "enabled")]:
                r = d.call("PUT", "/admin/alert-rules/certificate_expiring", body)
                self.assertEqual((r.status, r.error.get("field")), (400, field), body)
            self.assertEqual(d.call("PUT", "/admin/alert-rules/nope", {}).status, 404)
            self.assertEqual(d.snapshot(), before)
            rules = {r["name"]: r for r in d.call("GET", "/admin/alert-rules").json()["items"]}
            self.assertEqual(set(rules), {"certificate_expiring", "certificate_renewal_failed", "node_offline",
                                          "release_failed", "drift_detected", "policy_load_failed", "job_failed"})

            # the batch policy is used once, then broken on disk: reload fails, alert fires
            self.assertEqual(d.call("POST", "/admin/policies/reload").status, 200)
            path = os.path.join(lua, "policies", "batch.lua")
            with open(path, "w") as f:
                f.write("this is not lua")
            d.call("POST", "/admin/policies/reload")
            wait_until(lambda: alerts(d, rule="policy_load_failed", status="firing"), 10, what="policy alert")
            al = alerts(d, rule="policy_load_failed")[0]
            self.assertEqual(al["subject"], "lua:policies/batch.lua")
            os.unlink(path)
            d.call("POST", "/admin/policies/reload")
            wait_until(lambda: not alerts(d, rule="policy_load_failed", status="firing"), 10, what="resolved")

            # disabling a rule resolves what it fired
            self.assertEqual(d.call("PUT", "/admin/alert-rules/policy_load_failed", {"enabled": False}).json()["enabled"],
                             False)


if __name__ == "__main__":
    unittest.main()


class ChatReceiver:
    """One loopback server standing in for Slack, DingTalk, Feishu, WeCom and
    Telegram, checking each request the way the provider does (DingTalk's
    and Feishu's HMAC signatures with their freshness windows, WeCom's key,
    the Telegram bot token in the path) and answering as they document."""

    def __init__(self, ding_secret, feishu_secret):
        self.got = {}
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                import base64
                import urllib.parse
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                u = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(u.query))
                answer, who = {"ok": True}, u.path.split("/")[1]
                if who == "dingtalk":
                    ts = q.get("timestamp", "0")
                    want = base64.b64encode(hmac.new(ding_secret.encode(), f"{ts}\n{ding_secret}".encode(),
                                                     hashlib.sha256).digest()).decode()
                    fresh = abs(time.time() * 1000 - int(ts)) < 3600 * 1000
                    good = q.get("access_token") == "ding-token" and q.get("sign") == want and fresh
                    answer = {"errcode": 0, "errmsg": "ok"} if good else {"errcode": 310000, "errmsg": "sign not match"}
                    text = body["text"]["content"]
                elif who == "feishu":
                    ts = body.get("timestamp", "0")
                    want = base64.b64encode(hmac.new(f"{ts}\n{feishu_secret}".encode(), b"",
                                                     hashlib.sha256).digest()).decode()
                    good = body.get("sign") == want and abs(time.time() - int(ts)) < 3600
                    answer = {"code": 0, "msg": "success"} if good else {"code": 19021, "msg": "sign match fail"}
                    text = body["content"]["text"]
                elif who == "wecom":
                    good = q.get("key") == "wecom-key"
                    answer = {"errcode": 0, "errmsg": "ok"} if good else {"errcode": 93000, "errmsg": "invalid key"}
                    text = body["text"]["content"]
                elif who == "telegram":
                    good = u.path == "/telegram/bot42:tg-token/sendMessage" and body["chat_id"] == "-100"
                    answer = {"ok": good}
                    text = body["text"]
                else:  # slack: a second hook for the warning-only channel
                    good, text = u.path in ("/slack/services/T0/B0/XX", "/slack/services/T0/B0/WARN"), body["text"]
                    who = "slack-warn" if u.path.endswith("WARN") else "slack"
                if good:
                    outer.got.setdefault(who, []).append(text)
                data = (json.dumps(answer) if who != "slack" else "ok").encode()
                self.send_response(200 if good or who != "slack" else 404)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.srv.server_address[1]}"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()


class ChatChannels(unittest.TestCase):
    def test_slack_dingtalk_feishu_wecom_telegram_deliver_signed_alerts(self):
        rx = ChatReceiver("SEC-ding", "feishu-secret")
        b = rx.base
        channels = [
            {"plugin": "slack", "config": {"webhookUrl": f"{b}/slack/services/T0/B0/XX"}},
            {"plugin": "dingtalk", "config": {"accessToken": "ding-token", "secret": "SEC-ding",
                                              "apiUrl": f"{b}/dingtalk/robot/send"}},
            {"plugin": "feishu", "config": {"webhookUrl": f"{b}/feishu/open-apis/bot/v2/hook/x",
                                            "secret": "feishu-secret"}},
            {"plugin": "wecom", "config": {"key": "wecom-key", "apiUrl": f"{b}/wecom/cgi-bin/webhook/send"}},
            {"plugin": "telegram", "config": {"botToken": "42:tg-token", "chatId": "-100",
                                              "apiUrl": f"{b}/telegram", "prefix": "@ops"}},
            # a wrong signing secret: DingTalk refuses it, and says so in the delivery
            {"plugin": "dingtalk", "config": {"accessToken": "ding-token", "secret": "SEC-wrong",
                                              "apiUrl": f"{b}/dingtalk/robot/send"}},
            # routed by severity: warnings only, so the critical node_offline never reaches it
            {"plugin": "slack", "config": {"webhookUrl": f"{b}/slack/services/T0/B0/WARN"},
             "severities": ["warning"]},
        ]
        with Cluster("--alert-interval", "200") as c:
            d = c.daemon
            r = d.call("PUT", "/admin/alert-rules/node_offline", {"notify": channels, "params": {"seconds": 2}})
            self.assertEqual(r.status, 200, r)
            shown = [ch["config"] for ch in r.json()["notify"]]
            for k, cfg in (("webhookUrl", 0), ("accessToken", 1), ("secret", 1), ("webhookUrl", 2), ("key", 3),
                           ("botToken", 4)):
                self.assertEqual(shown[cfg][k], "******", (k, cfg))
            n = d.create_node("node-a")
            a = c.agent(n)
            wait_until(lambda: d.node(n["id"])["status"] == "online", 10, what="online")
            a.stop(signal.SIGKILL)
            wait_until(lambda: all(rx.got.get(w) for w in ("slack", "dingtalk", "feishu", "wecom", "telegram")),
                       20, what=f"every channel delivered, got {list(rx.got)}")
            for who, texts in rx.got.items():
                self.assertEqual(len(texts), 1, (who, texts))
                self.assertIn("[FIRING critical] node_offline node:", texts[0], who)
                self.assertIn("node-a has been offline", texts[0], who)
            self.assertTrue(rx.got["telegram"][0].startswith("@ops "))
            aid = alerts(d, rule="node_offline")[0]["id"]
            al = wait_until(lambda: (lambda x: any(y.get("lastError") for y in x["deliveries"]) and x)(
                d.call("GET", f"/admin/alerts/{aid}").json()), 15, what="the refused delivery tried")
            by_channel = {x["channel"]: x for x in al["deliveries"]}
            failed = [x for x in al["deliveries"] if x["status"] != "sent"]
            self.assertTrue(failed, by_channel)
            self.assertTrue(all("ding-token" not in json.dumps(x) and "SEC-" not in json.dumps(x) for x in failed))
            self.assertTrue(any("sign not match" in (x.get("lastError") or "") for x in failed), failed)
            self.assertNotIn("slack-warn", rx.got, "a warnings-only channel got a critical alert")
            self.assertNotIn(6, by_channel, "no delivery was even queued for it")
            # a test message through every channel, at once, with what each answered
            r = d.call("POST", "/admin/alert-rules/node_offline/test")
            self.assertEqual(r.status, 200, r)
            res = r.json()["results"]
            self.assertEqual([x["ok"] for x in res], [True, True, True, True, True, False, True])
            self.assertIn("sign not match", res[5]["error"])
            self.assertNotIn("ding-token", json.dumps(res))
            self.assertTrue(all("a test message from Pagoda" in t for t in rx.got["slack-warn"]))
            self.assertEqual(d.audit(action="alert.test")[0]["details"]["rule"], "node_offline")
            import subprocess
            from harness import PAGODA_CLI
            p = subprocess.run([PAGODA_CLI, "--addr", d.url, "alerts", "test", "node_offline"], capture_output=True,
                               text=True, env=dict(os.environ, PAGODA_TOKEN=d.admin))
            self.assertEqual(p.returncode, 4, p.stderr)  # one channel failed
            self.assertIn("notify/dingtalk: refu", p.stdout)  # cut at 60 columns in a table
            r = d.call("PUT", "/admin/alert-rules/node_offline",
                       {"notify": [dict(channels[0], severities=["loud"])]})
            self.assertEqual((r.status, r.error.get("field")), (400, "notify[0].severities"), r)
        rx.srv.shutdown()


class MessageTemplates(unittest.TestCase):
    """A channel's message comes from a Lua template: the bundled
    templates/alert_message.lua, an override of it, or the template a
    channel names; a broken template fails the send with its error."""

    def test_channel_templates_and_overrides(self):
        rx = ChatReceiver("x", "y")
        lua = tempfile.mkdtemp(prefix="pagoda-lua-")
        os.makedirs(os.path.join(lua, "templates"))
        with open(os.path.join(lua, "templates", "alert_short.lua"), "w") as f:
            f.write('local M = {}\nfunction M.render(i)\n  return { title = "t", text = "short: " .. i.alert.rule'
                    ' .. " via " .. i.channel.plugin .. "#" .. i.channel.index }\nend\nreturn M\n')
        channels = [{"plugin": "slack", "config": {"webhookUrl": f"{rx.base}/slack/services/T0/B0/XX",
                                                   "link": "https://pagoda.example/"}},
                    {"plugin": "slack", "template": "alert_short",
                     "config": {"webhookUrl": f"{rx.base}/slack/services/T0/B0/WARN"}}]
        with Cluster("--lua-dir", lua) as c:
            d = c.daemon
            r = d.call("PUT", "/admin/alert-rules/node_offline", {"notify": [dict(channels[0], template="nope")]})
            self.assertEqual((r.status, r.error.get("field")), (400, "notify[0].template"), r)
            r = d.call("PUT", "/admin/alert-rules/node_offline", {"notify": [dict(channels[0], template="../x")]})
            self.assertEqual((r.status, r.error.get("field")), (400, "notify[0].template"), r)
            self.assertEqual(d.call("PUT", "/admin/alert-rules/node_offline", {"notify": channels}).status, 200)
            res = d.call("POST", "/admin/alert-rules/node_offline/test").json()["results"]
            self.assertEqual([x["ok"] for x in res], [True, True], res)
            self.assertEqual(rx.got["slack-warn"], ["short: node_offline via slack#1"])
            self.assertTrue(rx.got["slack"][0].startswith("[TEST info] node_offline test: a test message"),
                            rx.got["slack"])
            self.assertTrue(rx.got["slack"][0].endswith(" https://pagoda.example/"), rx.got["slack"])
            # the operator rewords every channel's message by overriding the template
            with open(os.path.join(lua, "templates", "alert_message.lua"), "w") as f:
                f.write('local M = {}\nfunction M.render(i)\n  return { title = "x", text = "ALERT " .. '
                        'i.event .. " " .. i.alert.rule }\nend\nreturn M\n')
            self.assertEqual(d.call("POST", "/admin/policies/reload").status, 200)
            d.call("POST", "/admin/alert-rules/node_offline/test")
            self.assertEqual(rx.got["slack"][-1], "ALERT test node_offline")
            # a template that returns nothing usable: the send fails with why
            with open(os.path.join(lua, "templates", "alert_short.lua"), "w") as f:
                f.write('local M = {}\nfunction M.render(i) return { text = 1 } end\nreturn M\n')
            d.call("POST", "/admin/policies/reload")
            res = d.call("POST", "/admin/alert-rules/node_offline/test").json()["results"]
            self.assertEqual([x["ok"] for x in res], [True, False], res)
            self.assertIn("render must return {title, text}", res[1]["error"])
        rx.srv.shutdown()


class NamedChannels(unittest.TestCase):
    """A channel defined once (/admin/alert-channels), referenced by rules,
    tested on its own, read as it is when a message goes out."""

    def test_named_channel_referenced_tested_changed_and_deleted(self):
        rx = ChatReceiver("x", "y")
        hook, warn = f"{rx.base}/slack/services/T0/B0/XX", f"{rx.base}/slack/services/T0/B0/WARN"
        with Cluster("--alert-interval", "200") as c:
            d = c.daemon
            for name, body, field in [("team", {"plugin": "nope"}, "plugin"),
                                      ("Bad!", {"plugin": "slack"}, "name"),
                                      ("team", {"plugin": "slack", "template": "nope"}, "template"),
                                      ("team", {"plugin": "slack", "colour": "red"}, "colour")]:
                r = d.call("PUT", f"/admin/alert-channels/{urllib.parse.quote(name)}", body)
                self.assertEqual((r.status, r.error.get("field")), (400, field), r)
            r = d.call("PUT", "/admin/alert-channels/team", {"plugin": "slack", "config": {"webhookUrl": hook}})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["config"]["webhookUrl"], "******")
            self.assertEqual([x["name"] for x in d.call("GET", "/admin/alert-channels").json()["items"]], ["team"])
            for notify, field in [([{"channel": "nope"}], "notify[0].channel"),
                                  ([{"channel": "team", "plugin": "slack"}], "notify[0].plugin")]:
                r = d.call("PUT", "/admin/alert-rules/node_offline", {"notify": notify})
                self.assertEqual((r.status, r.error.get("field")), (400, field), r)
            r = d.call("PUT", "/admin/alert-rules/node_offline",
                       {"notify": [{"channel": "team"}], "params": {"seconds": 2}})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["notify"], [{"channel": "team"}])
            # tested on its own, through the API and the CLI
            r = d.call("POST", "/admin/alert-channels/team/test")
            self.assertEqual(r.status, 200, r)
            self.assertEqual([(x["name"], x["ok"]) for x in r.json()["results"]], [("team", True)])
            self.assertEqual(len(rx.got["slack"]), 1)
            from harness import PAGODA_CLI
            env = dict(os.environ, PAGODA_TOKEN=d.admin)
            p = subprocess.run([PAGODA_CLI, "--addr", d.url, "alerts", "test", "team"], capture_output=True,
                               text=True, env=env)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(len(rx.got["slack"]), 2)
            p = subprocess.run([PAGODA_CLI, "--addr", d.url, "alerts", "channels"], capture_output=True,
                               text=True, env=env)
            self.assertIn("team", p.stdout)
            self.assertEqual(d.call("POST", "/admin/alert-channels/nope/test").status, 404)
            # changed in one place: the rule's next message goes to the new hook
            self.assertEqual(d.call("PUT", "/admin/alert-channels/team",
                                    {"plugin": "slack", "config": {"webhookUrl": warn}}).status, 200)
            n = d.create_node("node-a")
            a = c.agent(n)
            wait_until(lambda: d.node(n["id"])["status"] == "online", 10, what="online")
            a.stop(signal.SIGKILL)
            wait_until(lambda: rx.got.get("slack-warn"), 20, what="the firing alert through the changed channel")
            self.assertIn("[FIRING critical] node_offline", rx.got["slack-warn"][0])
            self.assertEqual(len(rx.got["slack"]), 2)
            # in use: not deleted; the hook never stored in clear
            r = d.call("DELETE", "/admin/alert-channels/team")
            self.assertEqual((r.status, r.error.get("field")), (409, "name"), r)
            self.assertIn("node_offline", r.error["message"])
            self.assertFalse(warn.encode() in d.stored_bytes(), "the webhook URL stored in clear")
            self.assertEqual(d.call("PUT", "/admin/alert-rules/node_offline", {"notify": []}).status, 200)
            self.assertEqual(d.call("DELETE", "/admin/alert-channels/team").status, 204)
            self.assertEqual(d.call("GET", "/admin/alert-channels/team").status, 404)
            self.assertTrue(d.audit(action="alert_channel.put"))
            self.assertTrue(d.audit(action="alert_channel.delete"))
        rx.srv.shutdown()


class SmtpServer:
    """Debian's aiosmtpd on loopback with a throwaway certificate: STARTTLS
    required (or TLS from the start), AUTH required after it; keeps each
    delivered message with its envelope."""

    def __init__(self, tmp, implicit=False, user="alerts", password="pw-0123"):
        import ssl
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult
        crt, key = self_signed(tmp, "localhost")
        self.ca = crt
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(crt, key)
        self.got = []
        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                outer.got.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
                return "250 OK"

        def auth(server, session, envelope, mechanism, data):
            good = data.login.decode() == user and data.password.decode() == password
            return AuthResult(success=good, handled=False)

        kw = dict(hostname="127.0.0.1", port=0, authenticator=auth, auth_required=True,
                  auth_require_tls=not implicit)
        if implicit:
            kw["ssl_context"] = ctx
        else:
            kw.update(tls_context=ctx, require_starttls=True)
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        kw["port"] = s.getsockname()[1]
        s.close()
        self.port = kw["port"]
        self.ctl = Controller(Handler(), **kw)
        self.ctl.start()
        self.url = f"{'smtps' if implicit else 'smtp'}://localhost:{self.port}"

    def stop(self):
        self.ctl.stop()


class Email(unittest.TestCase):
    def test_alerts_by_email_starttls_and_implicit_tls(self):
        tmp = tempfile.mkdtemp(prefix="pagoda-smtp-")
        starttls, implicit = SmtpServer(tmp), SmtpServer(tempfile.mkdtemp(prefix="pagoda-smtps-"), implicit=True)
        base = {"from": "Pagoda <pagoda@example.test>", "user": "alerts", "password": "pw-0123"}
        channels = [
            {"plugin": "email", "config": dict(base, url=starttls.url, caFile=starttls.ca,
                                               to=["ops@example.test", "oncall@example.test"])},
            {"plugin": "email", "config": dict(base, url=implicit.url, caFile=implicit.ca, to=["sec@example.test"])},
            # a wrong password: refused by the server, the password never shown
            {"plugin": "email", "config": dict(base, url=starttls.url, caFile=starttls.ca, password="wrong-pw-77",
                                               to=["ops@example.test"])},
        ]
        try:
            with Cluster("--alert-interval", "200") as c:
                d = c.daemon
                r = d.call("PUT", "/admin/alert-rules/node_offline", {"notify": channels, "params": {"seconds": 2}})
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json()["notify"][0]["config"]["password"], "******")
                n = d.create_node("node-a")
                a = c.agent(n)
                wait_until(lambda: d.node(n["id"])["status"] == "online", 10, what="online")
                a.stop(signal.SIGKILL)
                wait_until(lambda: starttls.got and implicit.got, 20, what="both mails delivered")
                import email
                mail_from, rcpts, content = starttls.got[0]
                self.assertEqual((mail_from, rcpts), ("pagoda@example.test", ["ops@example.test", "oncall@example.test"]))
                msg = email.message_from_bytes(content)
                self.assertEqual(msg["Subject"], f"[FIRING critical] node_offline node:{n['id']}")
                self.assertEqual(msg["To"], "ops@example.test, oncall@example.test")
                self.assertIn("node-a has been offline", msg.get_payload())
                self.assertIn("rule: node_offline", msg.get_payload())
                self.assertEqual(implicit.got[0][1], ["sec@example.test"])
                self.assertEqual(len(starttls.got), 1, "the wrong password delivered nothing")
                al = alerts(d, rule="node_offline")[0]
                dl = d.call("GET", f"/admin/alerts/{al['id']}").json()["deliveries"]
                wait_until(lambda: any((x.get("lastError") or "") for x in
                                       d.call("GET", f"/admin/alerts/{al['id']}").json()["deliveries"]), 10,
                           what="the refused delivery's error")
                dl = d.call("GET", f"/admin/alerts/{al['id']}").json()["deliveries"]
                errs = [x.get("lastError") or "" for x in dl if x["status"] != "sent"]
                self.assertTrue(any("notify/email" in e for e in errs), dl)
                self.assertFalse(any("wrong-pw-77" in json.dumps(x) for x in dl))
        finally:
            starttls.stop()
            implicit.stop()
