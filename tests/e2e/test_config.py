"""Configuration center end to end: versions, diff, publish and rollback,
secrets sealed at rest and masked everywhere, parser errors, rendering per
node, and bad input that changes nothing."""
import os
import unittest

from harness import Cluster

SECRET = "hunter2-very-secret-value"


class Versions(unittest.TestCase):
    def test_versions_diff_publish_rollback(self):
        with Cluster() as c:
            d = c.daemon
            r = d.call("POST", "/admin/configs", {"name": "shop/app.yaml", "format": "yaml",
                                                  "content": "port: 9000\nworkers: 2\n", "message": "first"})
            self.assertEqual(r.status, 201, r)
            item = r.json()
            cid = item["id"]
            self.assertEqual((item["namespace"], item["latestVersion"], item["releasedVersion"]), ("default", 1, None))
            self.assertEqual(item["current"]["content"], "port: 9000\nworkers: 2\n")
            self.assertEqual(item["current"]["author"], "token:1:bootstrap")
            r = d.call("PUT", f"/admin/configs/{cid}", {"content": "port: 9000\nworkers: 4\n", "message": "more"})
            self.assertEqual(r.json()["latestVersion"], 2)
            # the same bytes again make no new version
            r = d.call("PUT", f"/admin/configs/{cid}", {"content": "port: 9000\nworkers: 4\n"})
            self.assertEqual((r.json()["latestVersion"], r.json().get("unchanged")), (2, True))
            r = d.call("PUT", f"/admin/configs/{cid}", {"content": "port: 9100\nworkers: 4\n"})
            self.assertEqual(r.json()["latestVersion"], 3)
            versions = d.call("GET", f"/admin/configs/{cid}/versions").json()["items"]
            self.assertEqual([v["version"] for v in versions], [3, 2, 1])
            self.assertEqual(versions[1]["message"], "more")
            self.assertEqual(d.call("GET", f"/admin/configs/{cid}/versions/1").json()["current"]["content"],
                             "port: 9000\nworkers: 2\n")
            diff = d.call("GET", f"/admin/configs/{cid}/diff?from=1&to=3").json()
            self.assertEqual(diff["diff"], "--- default/shop/app.yaml v1\n+++ default/shop/app.yaml v3\n"
                                           "@@ -1,2 +1,2 @@\n-port: 9000\n-workers: 2\n+port: 9100\n+workers: 4\n")
            self.assertEqual(d.call("GET", f"/admin/configs/{cid}/diff?from=9").error["field"], "from")
            # publish 2, publish 3, roll back: 2 again as a new release record
            self.assertEqual(d.call("POST", f"/admin/configs/{cid}/publish", {"version": 2}).json()["version"], 2)
            self.assertEqual(d.call("POST", f"/admin/configs/{cid}/publish", {"note": "latest"}).json()["version"], 3)
            r = d.call("POST", f"/admin/configs/{cid}/rollback", {"note": "bad workers"})
            self.assertEqual((r.status, r.json()["version"], r.json()["kind"]), (200, 2, "rollback"))
            self.assertEqual(d.call("GET", f"/admin/configs/{cid}").json()["releasedVersion"], 2)
            releases = d.call("GET", f"/admin/configs/{cid}/releases").json()["items"]
            self.assertEqual([(x["version"], x["kind"]) for x in releases],
                             [(2, "rollback"), (3, "publish"), (2, "publish")])
            self.assertEqual(d.call("POST", f"/admin/configs/{cid}/rollback", {"version": 2}).status, 422)
            self.assertEqual(d.call("POST", f"/admin/configs/{cid}/publish", {"version": 7}).status, 404)
            actions = [e["action"] for e in reversed(d.audit(targetType="config", targetId=cid))]
            self.assertEqual(actions, ["config.create", "config.update", "config.update", "config.publish",
                                       "config.publish", "config.rollback"])
            self.assertEqual(d.call("DELETE", f"/admin/configs/{cid}").status, 204)
            self.assertEqual(d.call("GET", f"/admin/configs/{cid}").status, 404)
            self.assertEqual(d.audit(action="config.delete")[0]["targetId"], str(cid))

    def test_parser_errors_name_line_and_column_and_change_nothing(self):
        with Cluster() as c:
            d = c.daemon
            ok = d.call("POST", "/admin/configs", {"name": "a.json", "format": "json", "content": "{}"}).json()
            before = d.snapshot()
            for body, field, where in [
                ({"name": "b.json", "format": "json", "content": "{\"a\": 1,\n}"}, "content", "line 2 column"),
                ({"name": "b.yaml", "format": "yaml", "content": "a: [1\nb: 2\n"}, "content", "line 2 column"),
                ({"name": "b.ini", "format": "ini", "content": "[s]\nno equals here\n"}, "content", "line 2"),
                ({"name": "b.env", "format": "env", "content": "A=1\n-B=2\n"}, "content", "line 2 column 1"),
                ({"name": "b", "format": "xml", "content": ""}, "format", "format"),
                ({"name": "../etc/passwd", "content": ""}, "name", "name"),
                ({"name": "a.json", "format": "json", "content": "{}"}, "name", "exists"),
                ({"name": "c", "content": "x", "secret": "yes"}, "secret", "true or false"),
            ]:
                with self.subTest(body=body):
                    r = d.call("POST", "/admin/configs", body)
                    self.assertIn(r.status, (400, 409), r)
                    self.assertEqual(r.error["field"], field, r)
                    self.assertIn(where, r.error["message"])
            r = d.call("PUT", f"/admin/configs/{ok['id']}", {"content": "[1,"})
            self.assertEqual((r.status, r.error["field"]), (400, "content"))
            self.assertEqual(d.snapshot(), before)


class Secrets(unittest.TestCase):
    def test_secret_items_are_sealed_and_masked(self):
        with Cluster() as c:
            d = c.daemon
            r = d.call("POST", "/admin/configs", {"name": "db.env", "format": "env", "secret": True,
                                                  "content": f"DB_USER=shop\nDB_PASS={SECRET}\n"})
            self.assertEqual(r.status, 201, r)
            cid = r.json()["id"]
            self.assertIsNone(r.json()["current"]["content"])
            self.assertTrue(r.json()["current"]["contentHidden"])
            d.call("PUT", f"/admin/configs/{cid}", {"content": f"DB_USER=shop\nDB_PASS={SECRET}-2\n"})
            listed = d.call("GET", "/admin/configs").json()["items"]
            self.assertNotIn("current", listed[0])
            diff = d.call("GET", f"/admin/configs/{cid}/diff").json()
            self.assertTrue(diff["masked"])
            self.assertIn("-DB_PASS=********\n+DB_PASS=********\n", diff["diff"])
            # revealing needs write permission
            reader = d.call("POST", "/admin/tokens", {"name": "r", "permissions": ["admin:config:read"]}).json()["token"]
            self.assertEqual(d.call("GET", f"/admin/configs/{cid}?reveal=true", token=reader).status, 403)
            self.assertIsNone(d.call("GET", f"/admin/configs/{cid}", token=reader).json()["current"]["content"])
            # digests of a secret are an offline oracle: not for readers, not in audit
            cur = d.call("GET", f"/admin/configs/{cid}", token=reader).json()["current"]
            self.assertNotIn("sha256", cur)
            self.assertNotIn("size", cur)
            vs = d.call("GET", f"/admin/configs/{cid}/versions", token=reader).json()["items"]
            self.assertTrue(vs and all("sha256" not in v for v in vs), vs)
            self.assertEqual(len(d.call("GET", f"/admin/configs/{cid}").json()["current"]["sha256"]), 64)
            self.assertFalse([e for e in d.audit() if e["action"].startswith("config.")
                              and (e.get("details") or {}).get("sha256")])
            shown = d.call("GET", f"/admin/configs/{cid}?reveal=true").json()["current"]["content"]
            self.assertEqual(shown, f"DB_USER=shop\nDB_PASS={SECRET}-2\n")
            self.assertIn(f"+DB_PASS={SECRET}-2", d.call("GET", f"/admin/configs/{cid}/diff?reveal=true").json()["diff"])
            r = d.call("POST", f"/admin/configs/{cid}/render", {})
            self.assertIsNone(r.json()["content"])
            self.assertEqual(len(r.json()["sha256"]), 64)
            # nowhere at rest, in the audit log or in pagodad's log
            self.assertNotIn(SECRET.encode(), d.stored_bytes())
            self.assertNotIn(SECRET, str(d.audit()))
            self.assertNotIn(SECRET, d.read_log())


class SealedTasks(unittest.TestCase):
    def test_secret_file_content_is_sealed_in_the_task_row(self):
        """A hand-queued ApplyConfigFiles with a secret file: the agent gets
        the plaintext, the task table and the journal never hold it."""
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("vault-1")
            a = c.agent(n)
            r = d.queue(n["id"], "ApplyConfigFiles", {"files": [
                {"path": "/etc/pagoda/app/db.env", "content": f"DB_PASS={SECRET}\n", "secret": True},
                {"path": "/etc/pagoda/app/plain.env", "content": "LEVEL=info\n"}]})
            self.assertEqual(r.status, 201, r)
            tid = r.json()["id"]
            d.wait_task(tid, "succeeded")
            with open(a.path("/etc/pagoda/app/db.env")) as f:
                self.assertEqual(f.read(), f"DB_PASS={SECRET}\n")
            files = d.task(tid)["payload"]["files"]
            self.assertEqual(files[0].get("contentSealed"), "<sealed>")
            self.assertNotIn("content", files[0])
            self.assertEqual(files[1]["content"], "LEVEL=info\n")
            # a copy of the stored task (retry of a failed one) opens and seals again
            raw = d.sql("SELECT payload FROM cluster_task WHERE id = ?", tid)[0][0]
            self.assertIn("contentSealed", raw)
            self.assertNotIn(SECRET.encode(), d.stored_bytes())
            self.assertNotIn(SECRET, d.read_log())


class Rendering(unittest.TestCase):
    def test_templates_render_per_node(self):
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("web-1", "10.0.0.7", {"zone": "eu-1"})
            tpl = ('{"node": "{{ node.name }}", "listen": "{{ node.ip }}:{{ values.port }}",'
                   ' "zone": "{{ node.labels.zone }}", "app": "{{ app.name }}"}')
            r = d.call("POST", "/admin/configs", {"name": "app.json", "format": "json", "template": True, "content": tpl})
            self.assertEqual(r.status, 201, r)
            cid = r.json()["id"]
            r = d.call("POST", f"/admin/configs/{cid}/render",
                       {"nodeId": n["id"], "values": {"port": 9000}, "app": {"name": "shop"}})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["content"],
                             '{"node": "web-1", "listen": "10.0.0.7:9000", "zone": "eu-1", "app": "shop"}')
            self.assertEqual(r.json()["version"], 1)
            # the rendered file must still parse in its format
            d.call("PUT", f"/admin/configs/{cid}", {"content": '{"port": {{ values.port }}'})
            r = d.call("POST", f"/admin/configs/{cid}/render", {"values": {"port": 1}})
            self.assertEqual(r.status, 422)
            self.assertIn("invalid JSON", r.error["message"])
            # errors in the template itself are named
            d.call("PUT", f"/admin/configs/{cid}", {"content": "{{ nope.x }}"})
            r = d.call("POST", f"/admin/configs/{cid}/render", {})
            self.assertEqual((r.status, r.error["field"]), (400, "content"))
            self.assertEqual(d.call("POST", f"/admin/configs/{cid}/render", {"nodeId": 999}).status, 404)
            # publishing pins what is rendered by default
            d.call("POST", f"/admin/configs/{cid}/publish", {"version": 1})
            r = d.call("POST", f"/admin/configs/{cid}/render", {"nodeId": n["id"], "values": {"port": 1}})
            self.assertEqual((r.status, r.json()["version"]), (200, 1))


if __name__ == "__main__":
    unittest.main()


class Watch(unittest.TestCase):
    """An application that reads its config itself: a token scoped to one
    item, and a blocking read of the published version (?index=&wait=)."""

    def test_scoped_token_and_blocking_read(self):
        import threading
        import time
        with Cluster() as c:
            d = c.daemon
            cid = d.call("POST", "/admin/configs", {"name": "shop/flags.json", "format": "json",
                                                    "content": '{"beta": false}\n'}).json()["id"]
            other = d.call("POST", "/admin/configs", {"name": "other.txt", "content": "x\n"}).json()["id"]
            # before any publish: no version yet
            r = d.call("POST", f"/admin/configs/{cid}/tokens", {"name": "shop-reader"})
            self.assertEqual(r.status, 201, r)
            tok = r.json()
            self.assertEqual((tok["scope"], tok["permissions"]), (f"config:{cid}", ["admin:config:read"]))
            t = tok["token"]
            r = d.call("GET", f"/api/configs/{cid}", token=t)
            self.assertEqual((r.status, r.json()["version"], r.json()["content"], r.json()["index"]), (200, None, None, 0))
            d.call("POST", f"/admin/configs/{cid}/publish", {})
            r = d.call("GET", f"/api/configs/{cid}", token=t)
            first = r.json()
            self.assertEqual((first["version"], first["content"]), (1, '{"beta": false}\n'))
            self.assertEqual(r.headers["X-Config-Index"], str(first["index"]))
            self.assertGreater(first["index"], 0)
            # the token reads this item's watch and nothing else
            for path in [f"/api/configs/{other}", f"/admin/configs/{cid}", "/admin/configs", "/admin/whoami",
                         f"/admin/configs/{cid}/versions"]:
                r = d.call("GET", path, token=t)
                self.assertEqual(r.status, 403, (path, r))
                self.assertIn(f"scoped to config:{cid}", r.error["message"])
            self.assertEqual(d.call("PUT", f"/admin/configs/{cid}", {"content": "{}"}, token=t).status, 403)
            # a blocking read waits for the next publish...
            got = {}

            def watch(index, wait="20s"):
                t0 = time.monotonic()
                got["r"] = d.call("GET", f"/api/configs/{cid}?index={index}&wait={wait}", token=t)
                got["s"] = time.monotonic() - t0

            th = threading.Thread(target=watch, args=(first["index"],))
            th.start()
            time.sleep(0.8)
            self.assertTrue(th.is_alive(), "the read blocks while nothing is published")
            d.call("PUT", f"/admin/configs/{cid}", {"content": '{"beta": true}\n'})
            time.sleep(0.3)
            self.assertTrue(th.is_alive(), "a new version that is not published wakes nobody")
            d.call("POST", f"/admin/configs/{cid}/publish", {})
            th.join(10)
            self.assertEqual((got["r"].status, got["r"].json()["version"], got["r"].json()["content"]),
                             (200, 2, '{"beta": true}\n'))
            self.assertLess(got["s"], 5)
            second = got["r"].json()["index"]
            self.assertGreater(second, first["index"])
            # ...and a rollback (a lower version) still moves the index
            th = threading.Thread(target=watch, args=(second,))
            th.start()
            time.sleep(0.3)
            d.call("POST", f"/admin/configs/{cid}/rollback", {})
            th.join(10)
            self.assertEqual(got["r"].json()["version"], 1)
            self.assertGreater(got["r"].json()["index"], second)
            # nothing new: the wait runs out and answers the same index
            watch(got["r"].json()["index"], "1s")
            self.assertEqual(got["r"].json()["version"], 1)
            self.assertGreaterEqual(got["s"], 0.9)
            self.assertEqual(d.call("GET", f"/api/configs/{cid}?wait=soon", token=t).error["field"], "wait")
            # a deleted item answers its watchers 404
            th = threading.Thread(target=watch, args=(got["r"].json()["index"],))
            th.start()
            time.sleep(0.3)
            self.assertEqual(d.call("DELETE", f"/admin/configs/{cid}").status, 204)
            th.join(10)
            self.assertEqual(got["r"].status, 404)
            # the delete revoked the item's tokens: the next item with that id is not theirs
            self.assertEqual(d.call("GET", f"/api/configs/{cid}", token=t).status, 401)
            self.assertEqual(d.audit(action="config.delete")[0]["details"]["tokensRevoked"], 1)
            self.assertEqual(d.call("DELETE", f"/admin/tokens/{tok['id']}").status, 404)
            created = d.audit(action="token.create", targetId=tok["id"])
            self.assertEqual(created[0]["details"]["scope"], f"config:{cid}")

    def test_secrets_and_who_may_mint(self):
        with Cluster() as c:
            d = c.daemon
            cid = d.call("POST", "/admin/configs", {"name": "db.env", "format": "env", "secret": True,
                                                    "content": f"DB_PASS={SECRET}\n"}).json()["id"]
            d.call("POST", f"/admin/configs/{cid}/publish", {})
            scoped = d.call("POST", f"/admin/configs/{cid}/tokens", {"name": "db-reader"}).json()["token"]
            # the application the token was made for reads the secret...
            self.assertEqual(d.call("GET", f"/api/configs/{cid}", token=scoped).json()["content"], f"DB_PASS={SECRET}\n")
            # ...a reader of every item does not
            reader = d.call("POST", "/admin/tokens", {"name": "r", "permissions": ["admin:config:read"]}).json()["token"]
            r = d.call("GET", f"/api/configs/{cid}", token=reader).json()
            self.assertEqual((r["content"], r["contentHidden"]), (None, True))
            # minting needs admin:config:write, and cannot give what the caller lacks
            self.assertEqual(d.call("POST", f"/admin/configs/{cid}/tokens", {"name": "x"}, token=reader).status, 403)
            writer = d.call("POST", "/admin/tokens", {"name": "w", "permissions": ["admin:config:write"]}).json()["token"]
            r = d.call("POST", f"/admin/configs/{cid}/tokens", {"name": "x"}, token=writer)
            self.assertEqual(r.status, 403, r)
            self.assertIn("admin:config:read", r.error["message"])
            r = d.call("POST", f"/admin/configs/{cid}/tokens", {"name": "x", "permissions": ["*"]})
            self.assertEqual((r.status, r.error["field"]), (400, "permissions"))
            self.assertEqual(d.call("POST", "/admin/configs/999/tokens", {"name": "x"}).status, 404)
            r = d.call("POST", f"/admin/configs/{cid}/tokens", {"name": "x", "expiresAt": "2001-01-01T00:00:00Z"})
            self.assertEqual((r.status, r.error["field"]), (400, "expiresAt"))
            listed = [x for x in d.call("GET", "/admin/tokens").json()["items"] if x["name"] == "db-reader"]
            self.assertEqual(listed[0]["scope"], f"config:{cid}")
