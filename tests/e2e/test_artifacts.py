"""Shipping the program itself (issue 19): a small real program packaged as
tar.gz in the test, uploaded as a blob, released to a node (a namespace with
systemd as PID 1), upgraded, rolled back without a download, and refused
when its bytes do not match or its archive is hostile; a download killed
half way resumes; the unpacked tree is watched for drift."""
import hashlib
import io
import json
import os
import signal
import tarfile
import tempfile
import time
import unittest

from fleet import Fleet, fleet_supported, http_get
from harness import Pagodad, wait_until

PROGRAM = """#!/usr/bin/python3
import http.server, os, signal, sys
VERSION = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "VERSION")).read().strip()
CONF = {"text": ""}
def load(*_):
    if len(sys.argv) > 2:
        CONF["text"] = " " + open(sys.argv[2]).read().strip()
load()
if CONF["text"].startswith(" bad"):
    sys.exit("bad configuration")
signal.signal(signal.SIGHUP, load)
print("serving", VERSION, flush=True)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = (VERSION + CONF["text"]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1])), H).serve_forever()
"""


def tar_gz(entries):
    """entries: (name, bytes | None for a dir, mode, kind, target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data, mode, kind, target in entries:
            info = tarfile.TarInfo(name)
            info.mode = mode
            info.mtime = int(time.time())
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            elif kind == "sym":
                info.type, info.linkname = tarfile.SYMTYPE, target
                t.addfile(info)
            elif kind == "hard":
                info.type, info.linkname = tarfile.LNKTYPE, target
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def program(version, padding=0):
    entries = [("app/", None, 0o755, "dir", None), ("app/bin/", None, 0o755, "dir", None),
               ("app/bin/serve", PROGRAM.encode(), 0o755, "file", None),
               ("app/VERSION", version.encode() + b"\n", 0o644, "file", None)]
    if padding:
        entries.append(("app/padding.bin", os.urandom(padding), 0o644, "file", None))
    return tar_gz(entries)


PORT = 9100


@unittest.skipUnless(fleet_supported(), "needs root, unshare, systemd and nginx")
class Artifacts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pagoda-art-", dir="/var/tmp")
        cls.fleet = Fleet(cls.tmp, 1).up()
        cls.d = Pagodad(cls.tmp, "--poll-wait", "5", host=cls.fleet.host_ip, tls=True)
        try:
            cls.d.start()
            cls.node = cls.fleet.nodes[0]
            cls.node.info = cls.d.create_node(cls.node.name, cls.node.ip, {"role": "app"})
            cls.start_agent()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def start_agent(cls):
        # restarted by systemd when killed, as the packaged unit is; downloads
        # capped so one can be killed half way
        n = cls.node
        n.start_agent(cls.d.url, n.info["token"], "--state-interval", "2",
                      "--ca-file", cls.fleet.visible(cls.d.ca_file), "--download-max-rate", "2000000",
                      props=("Restart=always", "RestartSec=1"))
        wait_until(lambda: cls.d.node(n.info["id"])["status"] == "online", 20,
                   what=f"{n.name} online; agent log: {n.agent_log()[-500:]}")

    @classmethod
    def tearDownClass(cls):
        cls.d.stop(signal.SIGKILL)
        cls.fleet.down()

    # helpers
    def upload(self, data, name="app.tar.gz"):
        sha = hashlib.sha256(data).hexdigest()
        r = self.d.call("POST", f"/admin/blobs?name={name}&sha256={sha}", raw=data,
                        headers={"Content-Type": "application/octet-stream"})
        self.assertIn(r.status, (200, 201), r)
        self.assertEqual(r.json()["sha256"], sha)
        return sha

    def spec(self, sha, **art):
        a = {"source": "blob", "sha256": sha, "unpack": "tar.gz", "stripComponents": 1}
        a.update(art)
        return {"unit": {"exec": "bin/serve", "args": [str(PORT)]}, "listenPort": PORT,
                "healthCheck": {"type": "http", "path": "/", "retries": 10, "intervalSec": 1},
                "artifacts": [a]}

    def release(self, expect="succeeded", timeout=120):
        return self.d.release(self.app, expect, timeout, lambda: self.node.agent_log()[-2000:])

    def wait_release(self, rid, expect, timeout=120):
        return self.d.wait_release(rid, expect, timeout, lambda: self.node.agent_log()[-2000:])

    def fetch_task(self, rel):
        ids = [t["id"] for n in rel["nodes"] for t in n["tasks"] if t["type"] == "FetchArtifact"]
        self.assertEqual(len(ids), 1, rel["nodes"])
        return self.d.call("GET", f"/admin/tasks/{ids[0]}").json()

    def answer(self):
        return http_get(f"{self.node.ip}:{PORT}", path="/", host="x", timeout=3)

    def current(self):
        return self.node.run("readlink", "/var/lib/pagoda/apps/hello/current").stdout.strip()

    def wait_answer(self, want):
        wait_until(lambda: self.answer()[1].strip() == want, 20, what=f"the program answers {want}")

    # the story, in order
    def test_1_release_upgrade_rollback(self):
        v1 = self.upload(program("v1"))
        r = self.d.call("POST", "/admin/apps", {"name": "hello", "type": "SystemdService",
                                                "selector": {"labels": "role=app"}, "spec": self.spec(v1)})
        self.assertEqual(r.status, 201, r)
        type(self).app = r.json()["id"]
        rel1 = self.release()
        self.assertEqual([t["type"] for t in rel1["nodes"][0]["tasks"]][:2], ["FetchArtifact", "SystemdInstallUnit"])
        t = self.fetch_task(rel1)["result"]
        self.assertEqual((t["downloads"], t["reused"], t["switched"]), (1, False, True), t)
        self.wait_answer("v1")
        unit = self.node.run("cat", "/etc/systemd/system/hello.service").stdout
        self.assertIn('ExecStart="/var/lib/pagoda/apps/hello/current/bin/serve" "9100"', unit)
        self.assertIn("WorkingDirectory=/var/lib/pagoda/apps/hello/current\n", unit)
        type(self).v1, type(self).dir1 = v1, self.current()

        v2 = self.upload(program("v2"))
        self.assertEqual(self.d.call("PUT", f"/admin/apps/{self.app}", {"spec": self.spec(v2)}).status, 200)
        rel2 = self.release()
        self.assertTrue(rel2["diff"]["artifacts"]["changed"], rel2["diff"])
        self.assertIn("artifacts", rel2["diffText"])
        self.wait_answer("v2")
        self.assertNotEqual(self.current(), self.dir1)
        type(self).rel2 = rel2

        r = self.d.call("POST", f"/admin/releases/{rel2['id']}/rollback", {})
        self.assertEqual(r.status, 201, r)
        rb = self.wait_release(r.json()["id"], "succeeded")
        t = self.fetch_task(rb)["result"]
        self.assertEqual((t["downloads"], t["reused"], t["switched"]), (0, True, True), t)
        self.wait_answer("v1")
        self.assertEqual(self.current(), self.dir1)

    def test_2_blobs_in_use_stay(self):
        r = self.d.call("DELETE", f"/admin/blobs/{self.v1}")
        self.assertEqual(r.status, 409, r)
        self.assertIn("release", r.json()["error"]["message"])
        spare = self.upload(b"not used by anything", name="spare.txt")
        self.assertEqual(self.d.call("DELETE", f"/admin/blobs/{spare}").status, 204)
        self.assertEqual(self.d.call("GET", f"/admin/blobs/{spare}").status, 404)
        # an unknown blob is refused when the release is made, naming the field
        r = self.d.call("PUT", f"/admin/apps/{self.app}", {"spec": self.spec("ab" * 32)})
        self.assertEqual(r.status, 200, r)
        r = self.d.call("POST", f"/admin/apps/{self.app}/releases", {})
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json()["error"]["field"], "spec.artifacts[0].sha256")
        # a bad spec is refused when written
        r = self.d.call("PUT", f"/admin/apps/{self.app}", {"spec": self.spec(self.v1, dest="../x")})
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"]["field"], "spec.artifacts[0].dest")
        # the agent of another node's token cannot fetch it: the route is for agents
        self.assertEqual(self.d.call("GET", f"/agent/blobs/{self.v1}").status, 403)

    def refused(self, data, words):
        """A release of data fails with words in the error; current and the answer stay."""
        before = self.current()
        sha = self.upload(data, name="bad.tar.gz")
        self.assertEqual(self.d.call("PUT", f"/admin/apps/{self.app}", {"spec": self.spec(sha)}).status, 200)
        rel = self.release(expect="failed")
        task = self.fetch_task(rel)
        self.assertEqual(task["status"], "failed", task)
        self.assertIn(words, task["errorMessage"])
        self.assertEqual(self.current(), before)
        self.assertEqual(self.answer()[1].strip(), "v1")
        return sha

    def test_3_hostile_archives_change_nothing(self):
        ok = [("app/", None, 0o755, "dir", None), ("app/VERSION", b"evil\n", 0o644, "file", None)]
        self.refused(tar_gz(ok + [("app/../../../../etc/pagoda-evil", b"x", 0o644, "file", None)]),
                     "escapes the release directory")
        self.refused(tar_gz(ok + [("app/etc", None, 0o777, "sym", "../../../../../etc")]),
                     "symlink pointing outside")
        self.refused(tar_gz(ok + [("app/passwd", None, 0o644, "hard", "/etc/passwd")]),
                     "hard link")
        self.refused(tar_gz([("/etc/pagoda-evil", b"x", 0o644, "file", None)]), "absolute name")
        self.assertEqual(self.node.run("test", "-e", "/etc/pagoda-evil", check=False).returncode, 1)

    def test_4_digest_mismatch_changes_nothing(self):
        data = program("v3")
        sha = hashlib.sha256(data).hexdigest()
        self.upload(data)
        # the bytes on pagodad's disk change under the row (a bad disk, tampering)
        path = os.path.join(self.d.data_dir, "blobs", "sha256", sha[:2], sha)
        with open(path, "r+b") as f:
            f.seek(40)
            b = f.read(1)
            f.seek(40)
            f.write(bytes([b[0] ^ 0xff]))
        self.assertEqual(self.d.call("PUT", f"/admin/apps/{self.app}", {"spec": self.spec(sha)}).status, 200)
        before = self.current()
        rel = self.release(expect="failed")
        task = self.fetch_task(rel)
        self.assertIn("digest mismatch", task["errorMessage"])
        self.assertEqual(self.current(), before)
        self.assertEqual(self.answer()[1].strip(), "v1")

    def test_5_killed_download_resumes(self):
        data = program("v4", padding=6 << 20)
        sha = self.upload(data)
        self.assertEqual(self.d.call("PUT", f"/admin/apps/{self.app}", {"spec": self.spec(sha)}).status, 200)
        r = self.d.call("POST", f"/admin/apps/{self.app}/releases", {})
        rid = r.json()["id"]
        self.d.call("POST", f"/admin/releases/{rid}/execute")
        part = f"/run/pagoda-agent/cache/{sha}.part"

        def partial():
            out = self.node.run("stat", "-c", "%s", part, check=False).stdout.strip()
            return out.isdigit() and int(out) > 1 << 20
        try:
            wait_until(partial, 30, what="a partial download")
        except AssertionError:
            rel = self.d.call("GET", f"/admin/releases/{rid}").json()
            self.fail(json.dumps(rel, indent=1)[:3000] + self.node.agent_log()[-3000:])
        # kill -9 of the agent's process (systemctl kill also signals the
        # cgroup, which fails on some kernels here); systemd restarts it
        agent_pid = self.node.run("systemctl", "show", "-p", "MainPID", "--value", "pagoda-agent").stdout.strip()
        self.node.run("kill", "-9", agent_pid)
        rel = self.wait_release(rid, "succeeded")
        t = self.fetch_task(rel)["result"]
        self.assertGreater(t["resumedFrom"], 1 << 20, t)
        self.assertLess(t["downloadedBytes"], len(data), t)
        self.wait_answer("v4")

    def test_6_rolling_restart(self):
        pid = lambda: self.node.run("systemctl", "show", "-p", "MainPID", "--value", "hello.service").stdout.strip()
        before = pid()
        r = self.d.call("POST", f"/admin/apps/{self.app}/restart", {"note": "new certs"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["status"], "running")
        self.assertEqual(self.d.call("POST", f"/admin/apps/{self.app}/restart", {}).status, 409)
        rel = self.wait_release(r.json()["id"], "succeeded")
        self.assertTrue(rel["diff"]["restart"], rel["diff"])
        self.assertEqual([t["type"] for t in rel["nodes"][0]["tasks"]], ["SystemdControl", "HealthProbe"])
        self.assertNotEqual(pid(), before)
        self.wait_answer("v4")
        self.assertTrue(any(e["action"] == "app.restart" for e in self.d.audit(targetType="app")))

    def newest_release(self):
        return self.d.call("GET", f"/admin/apps/{self.app}/releases").json()["items"][0]

    def test_7_config_changes_reach_the_running_process(self):
        r = self.d.call("POST", "/admin/configs", {"name": "hello/conf", "format": "text", "content": "blue\n"})
        self.assertEqual(r.status, 201, r)
        cid = r.json()["id"]
        self.assertEqual(self.d.call("POST", f"/admin/configs/{cid}/publish", {}).status, 200)
        sha = self.d.call("GET", f"/admin/apps/{self.app}").json()["spec"]["artifacts"][0]["sha256"]
        spec = self.spec(sha)
        spec["unit"]["args"] = [str(PORT), "/etc/pagoda/hello.conf"]
        spec["configFiles"] = [{"configId": cid, "path": "/etc/pagoda/hello.conf",
                                "onChange": "signal:HUP", "autoRelease": True}]
        bad = dict(spec, configFiles=[dict(spec["configFiles"][0], onChange="signal:KILL")])
        r = self.d.call("PUT", f"/admin/apps/{self.app}", {"spec": bad})
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "spec.configFiles[0].onChange"), r)
        r = self.d.call("PUT", f"/admin/apps/{self.app}", {"spec": spec, "rollback": "auto"})
        self.assertEqual(r.status, 200, r)
        self.release()
        self.wait_answer("v4 blue")
        pid = self.node.run("systemctl", "show", "-p", "MainPID", "--value", "hello.service").stdout.strip()
        # a publish releases the application on its own; the process reloads on SIGHUP
        last = self.newest_release()["id"]
        self.assertEqual(self.d.call("PUT", f"/admin/configs/{cid}", {"content": "green\n"}).status, 200)
        self.assertEqual(self.d.call("POST", f"/admin/configs/{cid}/publish", {}).status, 200)
        auto = wait_until(lambda: self.newest_release()["id"] != last and self.newest_release(), 10,
                          what="a release started by the publish")
        self.assertIn("autoRelease", auto["note"])
        rel = self.wait_release(auto["id"], "succeeded")
        ctl = [t for t in rel["nodes"][0]["tasks"] if t["type"] == "SystemdControl"]
        p = self.d.call("GET", f"/admin/tasks/{ctl[0]['id']}").json()["payload"]
        self.assertEqual((p["action"], p.get("signal")), ("kill", "HUP"), p)
        self.wait_answer("v4 green")
        self.assertEqual(self.node.run("systemctl", "show", "-p", "MainPID", "--value",
                                       "hello.service").stdout.strip(), pid)
        # a bad value (the program refuses it at start) stops at the first batch and is rolled back
        spec["configFiles"][0]["onChange"] = "restart"
        self.assertEqual(self.d.call("PUT", f"/admin/apps/{self.app}", {"spec": spec}).status, 200)
        self.release()
        last = self.newest_release()["id"]
        self.assertEqual(self.d.call("PUT", f"/admin/configs/{cid}", {"content": "bad\n"}).status, 200)
        self.assertEqual(self.d.call("POST", f"/admin/configs/{cid}/publish", {}).status, 200)
        auto = wait_until(lambda: self.newest_release()["id"] != last and self.newest_release(), 10,
                          what="a release started by the publish")
        rel = self.wait_release(auto["id"], "rolled_back")
        self.assertEqual(rel["nodes"][0]["status"], "failed", rel["nodes"])
        self.wait_answer("v4 green")

    def inspect(self, body):
        r = self.d.call("POST", f"/admin/apps/{self.app}/inspect", body)
        self.assertEqual(r.status, 201, r)
        tid = r.json()["tasks"][0]["taskId"]
        return wait_until(lambda: (lambda t: t["status"] in ("succeeded", "failed") and t)(
            self.d.call("GET", f"/admin/tasks/{tid}").json()), 20, what="InspectUnit answered")

    def test_8_logs_and_unit_status(self):
        t = self.inspect({"lines": 50})
        self.assertEqual(t["status"], "succeeded", t)
        unit = t["result"]["unit"]
        pid = self.node.run("systemctl", "show", "-p", "MainPID", "--value", "hello.service").stdout.strip()
        self.assertEqual((unit["activeState"], unit["subState"], str(unit["mainPid"])), ("active", "running", pid))
        self.assertGreater(unit["memoryBytes"], 0)
        self.assertIn("serving v4", t["stdout"])
        # following: after the cursor, only what came since
        cursor = t["result"]["cursor"]
        self.node.run("systemctl", "restart", "hello.service")
        # the node's own journalctl is the oracle: once it has the new lines
        # after the cursor, InspectUnit must give exactly those
        def direct():
            out = self.node.run("journalctl", "-u", "hello.service", "--no-pager", "-o", "short-iso",
                                f"--after-cursor={cursor}", check=False).stdout
            return "serving v4" in out and out
        want = wait_until(direct, 30, what="the restart's lines in the node's journal")
        t2 = self.inspect({"afterCursor": {str(self.node.info["id"]): cursor}})
        seen = t2["stdout"] or ""
        for line in want.splitlines():
            if line.strip() and not line.startswith("--"):
                self.assertIn(line, seen)
        self.assertEqual(seen.count("Stopping hello.service"), 1, seen)
        self.assertNotIn(t["stdout"].splitlines()[0], seen)
        # the CLI tags each line with its node
        cli = os.environ.get("PAGODA_CLI", os.path.join(os.path.dirname(__file__), "../../build/cli/pagoda"))
        token = os.path.join(self.d.data_dir, "admin.token")
        import subprocess
        p = subprocess.run([cli, "--addr", self.d.url, "--token-file", token, "--ca-file", self.d.ca_file,
                            "logs", str(self.app), "--lines", "5"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"[{self.node.name}] ", p.stdout)
        p = subprocess.run([cli, "--addr", self.d.url, "--token-file", token, "--ca-file", self.d.ca_file,
                            "apps", "status", str(self.app)], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("active", p.stdout)
        # a token without admin:node:logs cannot read logs
        r = self.d.call("POST", "/admin/tokens", {"name": "reader", "permissions": ["admin:app:read"]})
        self.assertEqual(self.d.call("POST", f"/admin/apps/{self.app}/inspect", {},
                                     token=r.json()["token"]).status, 403)
        self.assertEqual(self.d.call("GET", f"/admin/apps/{self.app}/logs",
                                     token=r.json()["token"]).status, 403)

    def test_8b_logs_stream_and_follow(self):
        node = self.node.name
        # without follow: the last lines of each node, then "end"
        got = list(self.d.events(f"/admin/apps/{self.app}/logs?lines=3"))
        self.assertEqual(got[-1][0], "end", got)
        lines = [d for e, d in got if e == "line"]
        self.assertEqual(len(lines), 3, got)
        self.assertEqual({(d["node"], d["nodeId"], d.get("site")) for d in lines},
                         {(node, self.node.info["id"], None)})
        # since: nothing written in the future; everything of the last hour
        ahead = int(time.time()) + 3600
        got = list(self.d.events(f"/admin/apps/{self.app}/logs?since={ahead}"))
        self.assertEqual([e for e, _ in got], ["end"], got)
        got = list(self.d.events(f"/admin/apps/{self.app}/logs?lines=2&since={int(time.time()) - 3600}"))
        self.assertEqual(len([1 for e, _ in got if e == "line"]), 2, got)
        for q, field in (("follow=maybe", "follow"), ("lines=0", "lines"), ("since=-1", "since")):
            r = self.d.call("GET", f"/admin/apps/{self.app}/logs?{q}")
            self.assertEqual((r.status, r.error.get("field")), (400, field), r)
        self.assertEqual(self.d.call("GET", "/admin/apps/99999/logs").status, 404)
        # one node: this one, or one that does not run the application
        got = list(self.d.events(f"/admin/apps/{self.app}/logs?lines=1&node={self.node.info['id']}"))
        self.assertEqual([e for e, _ in got], ["line", "end"], got)
        r = self.d.call("GET", f"/admin/apps/{self.app}/logs?node=99999")
        self.assertEqual((r.status, r.error.get("field")), (400, "nodeId"), r)
        # follow: the new lines as they come, until the reader goes
        stream = self.d.events(f"/admin/apps/{self.app}/logs?lines=1&follow=true")
        self.assertEqual(next(stream)[0], "line")
        self.node.run("systemctl", "restart", "hello.service")
        seen, deadline = [], time.time() + 40
        for event, d in stream:
            self.assertLess(time.time(), deadline, seen)
            self.assertEqual(event, "line", d)
            seen.append(d["line"])
            if "serving v4" in d["line"] and any("Stopping hello.service" in x for x in seen):
                break
        self.assertEqual(sum("Stopping hello.service" in x for x in seen), 1, seen)
        stream.close()

        def inspections():
            return int(self.d.sql("SELECT count(*) FROM cluster_task WHERE type = 'InspectUnit'")[0][0])
        # once the reader has gone the stream asks its node no more
        time.sleep(3)
        before = inspections()
        time.sleep(4)
        self.assertEqual(inspections(), before)
        # the CLI follows the same stream: a line written after it started shows up
        cli = os.environ.get("PAGODA_CLI", os.path.join(os.path.dirname(__file__), "../../build/cli/pagoda"))
        import subprocess
        p = subprocess.Popen([cli, "--addr", self.d.url, "--ca-file", self.d.ca_file, "logs", str(self.app),
                              "--lines", "1", "-f"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=dict(os.environ, PAGODA_TOKEN=self.d.admin))
        try:
            self.assertTrue(p.stdout.readline().startswith(f"[{node}] "))
            self.node.run("systemctl", "restart", "hello.service")
            line = ""
            while "Stopping hello.service" not in line:
                line = p.stdout.readline()
                self.assertTrue(line, p.stderr.read() if p.poll() is not None else "")
            self.assertTrue(line.startswith(f"[{node}] "), line)
        finally:
            p.kill()
            p.wait()
        p = subprocess.run([cli, "--addr", self.d.url, "--ca-file", self.d.ca_file, "logs", str(self.app),
                            "--since", "1h", "--lines", "2", "--node", str(self.node.info["id"])], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, PAGODA_TOKEN=self.d.admin))
        self.assertEqual((p.returncode, len(p.stdout.splitlines())), (0, 2), p)
        p = subprocess.run([cli, "--addr", self.d.url, "logs", str(self.app), "--since", "yesterday"],
                           capture_output=True, text=True, timeout=60, env=dict(os.environ, PAGODA_TOKEN="x"))
        self.assertEqual(p.returncode, 2, p)

    def test_9_a_changed_file_under_current_is_drift(self):
        self.node.run("sh", "-c", "echo tampered > /var/lib/pagoda/apps/hello/current/VERSION")

        def drifted():
            st = self.d.call("GET", f"/admin/apps/{self.app}/status").json()
            items = [d["item"] for n in st["nodes"] for d in n.get("drift") or []]
            return any(i.startswith("tree:/var/lib/pagoda/apps/hello/current") for i in items) and st
        wait_until(drifted, 30, what="tree drift reported")

    def test_9b_https_source_checked_against_its_ca_file(self):
        """An internal mirror over HTTPS: verified against the artifact's caFile,
        refused without it; the agent's token never goes there."""
        import http.server
        import ssl
        import subprocess
        import threading
        web = os.path.join(self.tmp, "mirror")
        os.makedirs(web, exist_ok=True)
        crt, key = os.path.join(self.tmp, "mirror.crt"), os.path.join(self.tmp, "mirror.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", crt, "-days", "1", "-subj", "/CN=mirror",
                        "-addext", f"subjectAltName=IP:{self.fleet.host_ip}"], check=True, capture_output=True)
        data = program("v5")
        with open(os.path.join(web, "hello-v5.tar.gz"), "wb") as f:
            f.write(data)
        seen = []

        class H(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=web, **kw)

            def log_message(self, *a):
                seen.append(self.headers.get("Authorization"))
        srv = http.server.ThreadingHTTPServer((self.fleet.host_ip, 0), H)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            url = f"https://{self.fleet.host_ip}:{srv.server_address[1]}/hello-v5.tar.gz"
            sha = hashlib.sha256(data).hexdigest()
            before = self.current()
            r = self.d.call("PUT", f"/admin/apps/{self.app}", {"spec": self.spec(sha, source=url)})
            self.assertEqual(r.status, 200, r)
            # test_7 set rollback: auto, so the failed release is rolled back (to the same current)
            rel = self.release(expect="rolled_back")
            self.assertIn(url, self.fetch_task(rel)["errorMessage"])
            self.assertEqual(self.current(), before)
            self.assertEqual(self.d.call("PUT", f"/admin/apps/{self.app}", {
                "spec": self.spec(sha, source=url, caFile=self.fleet.visible(crt))}).status, 200)
            rel = self.release()
            self.assertEqual(self.fetch_task(rel)["result"]["downloads"], 1)
            self.wait_answer("v5")
            self.assertTrue(seen and all(a is None for a in seen), seen)
        finally:
            srv.shutdown()


if __name__ == "__main__":
    unittest.main()
