"""Attacks found in the second security round (issue 17), each reproduced:
every test here failed before its fix."""
import http.client
import json
import time
import socket
import subprocess
import threading
import os
import unittest

from harness import Cluster, request, wait_until

ISSUER = {"directoryUrl": "https://127.0.0.1:1/dir", "email": "ops@example.test"}


def token(d, *perms):
    r = d.call("POST", "/admin/tokens", {"name": "t-" + "-".join(perms).replace(":", "."), "permissions": list(perms)})
    assert r.status == 201, r
    return r.json()["token"]


def acme(d, plugin, config=None, domain="x.example.test", tok=None):
    dns = {"plugin": plugin}
    if config is not None:
        dns["config"] = config
    return d.call("POST", "/admin/certificates/acme", {"domains": [domain], "challenge": "dns-01",
                                                       "dns": dns, "issuer": ISSUER},
                  token=tok or token(d, "admin:ssl:issue"))


class PluginSettings(unittest.TestCase):
    def test_a_certificate_request_cannot_choose_a_program(self):
        with Cluster() as c:
            d = c.daemon
            mark = os.path.join(c.tmp, "pwned")
            issuer = token(d, "admin:ssl:issue")
            before = d.snapshot()
            r = acme(d, "exec", {"command": ["/bin/sh", "-c", f"touch {mark}"]}, tok=issuer)
            self.assertEqual((r.status, r.error["field"]), (400, "dns.config.command"), r)
            self.assertIn("--plugin-settings", r.error["message"])
            r = acme(d, "exec", {}, tok=issuer)
            self.assertEqual((r.status, r.error["field"]), (400, "dns.plugin"), r)
            r = acme(d, "nosuch", tok=issuer)
            self.assertEqual((r.status, r.error["field"]), (400, "dns.plugin"), r)
            # plain http:// would probe internal addresses for the requester
            r = d.call("POST", "/admin/certificates/acme", {"domains": ["x.example.test"], "challenge": "http-01",
                                                           "issuer": {"directoryUrl": "http://127.0.0.1:1/dir"}},
                       token=issuer)
            self.assertEqual((r.status, r.error["field"]), (400, "issuer.directoryUrl"), r)
            self.assertEqual(d.snapshot(), before)
            self.assertFalse(os.path.exists(mark))

    def test_the_operator_names_the_program(self):
        with Cluster() as c:
            settings = os.path.join(c.tmp, "plugins.json")
            with open(settings, "w") as f:
                json.dump({"dns": {"exec": {"command": ["/usr/bin/true"]}}}, f)
            d = c.daemon
            d.stop()
            d.extra += ["--plugin-settings", settings]
            d.start()
            self.assertEqual(acme(d, "exec", {}).status, 202)
            self.assertEqual(acme(d, "exec", domain="y.example.test").status, 202)
            r = acme(d, "exec", {"command": ["/bin/sh"]})
            self.assertEqual((r.status, r.error["field"]), (400, "dns.config.command"), r)
            # a settings file that is not the right shape stops pagodad from starting
            with open(settings, "w") as f:
                json.dump({"dns": ["exec"]}, f)
            d.stop()
            with self.assertRaises(Exception):
                d.start()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_body(port, path, length, token=None, send=0):
    """A POST that announces length bytes and sends only send of them."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{auth}"
              f"Content-Length: {length}\r\n\r\n".encode())
    chunk = b" " * 65536
    try:
        while send > 0:
            s.sendall(chunk[:min(send, len(chunk))])
            send -= len(chunk)
    except OSError:
        pass  # answered and closed: the server did not read it
    return s


def status_of(s, timeout=10):
    s.settimeout(timeout)
    try:
        head = s.recv(4096).split(b"\r\n", 1)[0].split()
        return int(head[1]) if len(head) > 1 else None
    except OSError:
        return None


class BodyFlood(unittest.TestCase):
    def test_bodies_are_not_read_before_authentication_and_are_capped(self):
        with Cluster("--max-bodies", str(16 << 20)) as c:
            d = c.daemon
            port = int(d.url.rsplit(":", 1)[1])
            base = rss_kb(d.proc.pid)
            # no token: refused on the headers, nothing of the body is kept
            socks = [open_body(port, "/admin/nodes", 8000000, send=1 << 20) for _ in range(300)]
            self.assertEqual({status_of(s) for s in socks[:20]}, {401})
            self.assertLess(rss_kb(d.proc.pid) - base, 64 * 1024)
            self.assertEqual(d.call("GET", "/healthz").status, 200)
            for s in socks:
                s.close()
            # with a token: past the budget of bodies in flight, 503 at once
            held = [open_body(port, "/admin/nodes", 4000000, token=d.admin, send=1 << 20) for _ in range(8)]
            # (each held body is reserved once its headers are authenticated)
            lates = []

            def refused():
                lates.append(open_body(port, "/admin/nodes", 4000000, token=d.admin))
                return status_of(lates[-1], timeout=2) == 503
            wait_until(refused, 15, interval=0.2, what="503 past the body budget")
            self.assertLess(rss_kb(d.proc.pid) - base, 96 * 1024)
            for s in held + lates:
                s.close()
            # the budget comes back when they go
            wait_until(lambda: d.call("POST", "/admin/nodes", {"name": "after", "ip": "127.0.0.1"}).status == 201,
                       10, what="budget returned")
            # routes without a token take small bodies only
            r = open_body(port, "/agent/join", 100000)
            self.assertEqual(status_of(r), 413)


class Slowloris(unittest.TestCase):
    def test_trickled_headers_are_cut_off_and_a_cap_per_address(self):
        with Cluster("--header-timeout", "2", "--max-conns-per-ip", "40") as c:
            d = c.daemon
            port = int(d.url.rsplit(":", 1)[1])
            slow = []
            for _ in range(60):  # from another loopback address than the admin's
                s = socket.socket()
                s.bind(("127.0.0.2", 0))
                s.settimeout(5)
                try:
                    s.connect(("127.0.0.1", port))
                    s.sendall(b"GET /healthz HTTP/1.1\r\n")
                    slow.append(s)
                except OSError:
                    s.close()

            def alive(s):
                try:
                    s.sendall(b"X")
                    s.setblocking(False)
                    try:
                        return s.recv(1) != b""
                    except BlockingIOError:
                        return True
                    finally:
                        s.setblocking(True)
                except OSError:
                    return False
            # past the cap, connections are closed at once
            wait_until(lambda: sum(alive(s) for s in slow) <= 40, 5, what="cap per address")
            # the admin's address still gets answers, and keep-alive with a token is not cut
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            auth = {"Authorization": f"Bearer {d.admin}"}
            conn.request("GET", "/admin/nodes", headers=auth)
            self.assertEqual(conn.getresponse().read() and 200, 200)
            # one byte every half second does not keep a connection past the deadline
            deadline = time.time() + 6
            while time.time() < deadline and any(alive(s) for s in slow):
                time.sleep(0.5)
            self.assertFalse(any(alive(s) for s in slow), "trickling connections still open")
            self.assertEqual(d.call("GET", "/healthz").status, 200)
            conn.request("GET", "/admin/nodes", headers=auth)
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            r.read()
            conn.close()
            for s in slow:
                s.close()


class TokenEscalation(unittest.TestCase):
    def test_a_token_mints_and_revokes_only_what_it_covers(self):
        with Cluster() as c:
            d = c.daemon
            soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
            later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 7200))
            r = d.call("POST", "/admin/tokens", {"name": "temp", "permissions": ["admin:token:manage", "admin:node:read"],
                                                 "expiresAt": soon})
            temp, temp_id = r.json()["token"], r.json()["id"]
            # an expiring token cannot mint one that lives longer, or for ever
            for body in ({"name": "forever", "permissions": ["admin:node:read"]},
                         {"name": "longer", "permissions": ["admin:node:read"], "expiresAt": later}):
                r = d.call("POST", "/admin/tokens", body, token=temp)
                self.assertEqual((r.status, r.error["field"]), (403, "expiresAt"), r)
            r = d.call("POST", "/admin/tokens", {"name": "ok", "permissions": ["admin:node:read"], "expiresAt": soon},
                       token=temp)
            self.assertEqual(r.status, 201, r)
            ok_id = r.json()["id"]
            r = d.call("POST", "/admin/tokens", {"name": "more", "permissions": ["admin:node:manage"],
                                                 "expiresAt": soon}, token=temp)
            self.assertEqual((r.status, r.error["field"]), (403, "permissions"), r)
            # nor revoke a stronger token: the bootstrap one, a '*' one
            star = d.call("POST", "/admin/tokens", {"name": "star", "permissions": ["*"]}).json()["id"]
            bootstrap = [t for t in d.call("GET", "/admin/tokens").json()["items"] if t["name"] == "bootstrap"][0]["id"]
            manager = token(d, "admin:token:manage")
            for victim in (star, bootstrap):
                for who in (temp, manager):
                    r = d.call("DELETE", f"/admin/tokens/{victim}", token=who)
                    self.assertEqual(r.status, 403, r)
            self.assertEqual(d.call("GET", "/admin/nodes").status, 200)  # bootstrap still works
            self.assertEqual(d.call("DELETE", f"/admin/tokens/{ok_id}", token=temp).status, 204)
            self.assertEqual(d.call("DELETE", f"/admin/tokens/{temp_id}", token=temp).status, 204)  # itself
            self.assertEqual(d.call("DELETE", f"/admin/tokens/{star}").status, 204)


class TlsAuto(unittest.TestCase):
    def handshake(self, port, *args):
        r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-brief", *args],
                           input=b"", capture_output=True, timeout=20)
        return r.returncode == 0, (r.stdout + r.stderr).decode(errors="replace")

    def test_only_tls12_and_13_with_aead(self):
        with Cluster(tls=True) as c:
            port = int(c.daemon.url.rsplit(":", 1)[1])
            ok, out = self.handshake(port, "-tls1_3")
            self.assertTrue(ok, out)
            ok, out = self.handshake(port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
            self.assertTrue(ok, out)
            for args in (["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"], ["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"],
                         ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"],
                         ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384"]):
                ok, out = self.handshake(port, *args)
                self.assertFalse(ok, f"{args}: {out}")


class DnsCredentials(unittest.TestCase):
    def test_plugin_credentials_are_sealed_and_masked(self):
        with Cluster() as c:
            d = c.daemon
            secret = "dns-api-token-0123456789abcdef"
            r = acme(d, "challtestsrv", {"url": "http://127.0.0.1:1", "apiToken": secret})
            self.assertEqual(r.status, 202, r)
            cfg = r.json()["request"]["dns"]["config"]
            self.assertEqual(cfg, {"url": "http://127.0.0.1:1", "apiToken": "******"})
            got = d.call("GET", f"/admin/certificates/{r.json()['id']}").json()
            self.assertEqual(got["request"]["dns"]["config"]["apiToken"], "******")
            self.assertNotIn(secret, json.dumps(d.call("GET", "/admin/certificates").json()))
            self.assertNotIn(secret, str(d.audit()))
            self.assertNotIn(secret.encode(), d.stored_bytes())
            self.assertNotIn(secret, d.read_log())


class MasterKey(unittest.TestCase):
    def test_a_store_refuses_another_master_key(self):
        with Cluster() as c:
            d = c.daemon
            d.stop()
            path = os.path.join(d.data_dir, "master.key")
            with open(path, "rb") as f:
                orig = f.read()
            other = os.urandom(len(orig)) if len(orig) == 32 else os.urandom(len(orig) // 2).hex().encode()
            with open(path, "wb") as f:
                f.write(other)
            r = subprocess.run([os.environ["PAGODAD"], "--listen", "127.0.0.1:0", "--data-dir", d.data_dir, *d.extra],
                               capture_output=True, timeout=20)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(b"does not open this store's secrets", r.stderr)
            with open(path, "wb") as f:
                f.write(orig)
            d.start()
            self.assertEqual(d.call("GET", "/admin/nodes").status, 200)


class StrictInput(unittest.TestCase):
    def test_ids_and_times_are_read_strictly(self):
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("n1")
            self.assertEqual(d.call("GET", f"/admin/nodes/{n['id']}").status, 200)
            for bad in ("99999999999999999999", "+1", "01", "%201", "1%20"):
                r = d.call("GET", f"/admin/nodes/{bad}")
                self.assertEqual((r.status, r.error["field"]), (400, "id"), bad)
            r = d.call("GET", "/admin/audit?limit=01")
            self.assertEqual(r.status, 400, r)
            r = d.call("POST", "/admin/tokens", {"name": "x", "permissions": ["admin:node:read"],
                                                 "expiresAt": "2030-02-30T00:00:00Z"})
            self.assertEqual((r.status, r.error["field"]), (400, "expiresAt"), r)

    def test_a_data_dir_open_to_others_is_refused(self):
        with Cluster() as c:
            d = c.daemon
            d.stop()
            for path, mode, fix in ((d.data_dir, 0o755, 0o700), (os.path.join(d.data_dir, "admin.token"), 0o644, 0o600),
                                    (os.path.join(d.data_dir, "pagoda.db"), 0o640, 0o600)):
                if not os.path.exists(path):
                    continue  # pagoda.db: not with PostgreSQL
                os.chmod(path, mode)
                r = subprocess.run([os.environ["PAGODAD"], "--listen", "127.0.0.1:0", "--data-dir", d.data_dir,
                                    *d.extra], capture_output=True, timeout=20)
                self.assertEqual(r.returncode, 1, path)
                self.assertIn(b"is open to other users", r.stderr)
                os.chmod(path, fix)
            d.start()


class RegistryBlocking(unittest.TestCase):
    def test_the_services_list_blocks_like_the_endpoints(self):
        with Cluster() as c:
            d = c.daemon
            r = d.call("GET", "/api/registry/services?wait=soon")
            self.assertEqual((r.status, r.error["field"]), (400, "wait"), r)
            index = d.call("GET", "/api/registry/services").json()["index"]
            t0 = time.monotonic()
            r = d.call("GET", f"/api/registry/services?index={index}&wait=1s")
            self.assertEqual(r.status, 200)
            self.assertGreaterEqual(time.monotonic() - t0, 0.9)
            got = {}

            def read():
                got["r"] = d.call("GET", f"/api/registry/services?index={index}&wait=20s")
                got["t"] = time.monotonic()
            th = threading.Thread(target=read)
            th.start()
            time.sleep(0.5)
            t1 = time.monotonic()
            self.assertEqual(d.call("POST", "/admin/registry/services", {"name": "web", "port": 9000}).status, 201)
            th.join(25)
            self.assertLess(got["t"] - t1, 5)
            self.assertEqual([s["name"] for s in got["r"].json()["items"]], ["web"])
            self.assertGreater(got["r"].json()["index"], index)


class Protocol(unittest.TestCase):
    def test_head_allow_and_text_logs(self):
        with Cluster("--log-format", "text") as c:
            d = c.daemon
            r = request(d.url + "/admin/nodes", "HEAD", token=d.admin)
            self.assertEqual((r.status, r.body), (200, ""), r)
            r = request(d.url + "/admin/nodes", "DELETE", token=d.admin)
            self.assertEqual(r.status, 405)
            self.assertEqual(sorted(r.headers["Allow"].split(", ")), ["GET", "HEAD", "POST"])
            # a request cannot write a line of its own into the text log
            request(d.url + "/no%0aFORGED%20line%1b[31m")
            log = d.read_log()
            self.assertFalse([line for line in log.splitlines() if line.startswith("FORGED")])
            self.assertNotIn("\x1b", log)

    def test_concurrent_config_writers_each_get_their_own_version(self):
        with Cluster() as c:
            d = c.daemon
            cid = d.call("POST", "/admin/configs", {"name": "race.txt", "format": "text", "content": "0"}).json()["id"]
            answers = []

            def writer(k):
                for i in range(15):
                    text = f"writer {k} round {i}"
                    r = d.call("PUT", f"/admin/configs/{cid}", {"content": text})
                    answers.append((text, r.json()["current"]["content"], r.json()["current"]["version"]))
            threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            self.assertEqual(len(answers), 60)
            for sent, got, _ in answers:
                self.assertEqual(sent, got)
            self.assertEqual(len({v for _, _, v in answers}), 60)
