"""Transport and enrolment: pagodad --tls auto (private CA, fingerprint),
agents that verify the server (--ca-file, --ca-fingerprint) and refuse plain
HTTP off loopback, one-time join tokens."""
import hashlib
import os
import re
import ssl
import stat
import urllib.error
import unittest

from harness import Agent, Cluster, Pagodad, request, wait_until


def agent_exit(agent, timeout=15):
    """Waits for an agent that must refuse to run; its exit code and log."""
    agent.proc.wait(timeout)
    return agent.proc.returncode, agent.read_log()


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def fingerprint(pem_path):
    with open(pem_path) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


class TlsAuto(unittest.TestCase):
    def test_private_ca_fingerprint_and_agents_that_verify(self):
        with Cluster(tls=True) as c:
            d = c.daemon
            fp = fingerprint(d.ca_file)
            self.assertIn(f"CA fingerprint sha256:{fp}", d.read_log())
            for name in ("ca.key", "server.key"):
                mode = stat.S_IMODE(os.stat(os.path.join(d.data_dir, "tls", name)).st_mode)
                self.assertEqual(mode & 0o077, 0, name)
            self.assertTrue(d.url.startswith("https://"))
            self.assertEqual(d.call("GET", "/healthz").status, 200)
            # the CA is public, and the same bytes as the file
            r = request(d.url + "/ca.pem", context=d.context())
            self.assertEqual(r.status, 200)
            with open(d.ca_file) as f:
                self.assertEqual(r.body, f.read())
            # a client that does not trust the private CA cannot talk to it
            with self.assertRaises(urllib.error.URLError) as e:
                request(d.url + "/healthz", context=ssl.create_default_context())
            self.assertIn("CERTIFICATE_VERIFY_FAILED", str(e.exception))

            # an agent pinned to the fingerprint fetches the CA once and verifies with it
            n = d.create_node("pinned")
            a = c.agent(n, trust=["--ca-fingerprint", "sha256:" + fp.upper()])
            wait_until(lambda: d.node(n["id"])["status"] == "online", 15,
                       what=f"pinned agent online: {a.read_log()[-800:]}")
            self.assertEqual(fingerprint(os.path.join(a.state, "ca.pem")), fp)

            # a wrong pin is refused before any token is sent
            m = d.create_node("wrong-pin")
            b = c.agent(m, trust=["--ca-fingerprint", "sha256:" + "0" * 64])
            code, log = agent_exit(b)
            self.assertEqual(code, 1)
            self.assertIn("refusing it", log)
            self.assertFalse(os.path.exists(os.path.join(b.state, "ca.pem")))
            self.assertEqual(d.node(m["id"])["status"], "offline")

            # an agent trusting another CA never gets through
            other = Pagodad(c.tmp, name="other", tls=True).start()
            try:
                x = c.agent(m, trust=["--ca-file", other.ca_file], name="other-ca")
                wait_until(lambda: "certificate" in x.read_log().lower(), 15, what="TLS failure logged")
                self.assertEqual(d.node(m["id"])["status"], "offline")
                x.stop()
            finally:
                other.stop()

            # a restart keeps the CA (enrolled agents keep trusting it) and the certificate
            with open(os.path.join(d.data_dir, "tls", "server.crt")) as f:
                cert = f.read()
            d.stop()
            d.start()
            self.assertEqual(fingerprint(d.ca_file), fp)
            with open(os.path.join(d.data_dir, "tls", "server.crt")) as f:
                self.assertEqual(f.read(), cert)
            wait_until(lambda: d.node(n["id"])["status"] == "online", 15, what="pinned agent back online")

    def test_plain_http_only_on_loopback_and_only_when_asked(self):
        with Cluster() as c:
            d = c.daemon
            n = d.create_node("plain")
            a = c.agent(n, trust=[])
            code, log = agent_exit(a)
            self.assertEqual(code, 1)
            self.assertIn("refusing plain HTTP", log)
            b = Agent(c.tmp, d, n, name="remote", trust=["--insecure-http"])
            b.args[b.args.index("--server") + 1] = d.url.replace("127.0.0.1", "192.0.2.10")
            c.agents.append(b)
            code, log = agent_exit(b.start())
            self.assertEqual(code, 1)
            self.assertIn("only for loopback", log)
            self.assertEqual(d.node(n["id"])["status"], "offline")


class JoinTokens(unittest.TestCase):
    def test_join_once_with_the_tokens_labels(self):
        with Cluster("--auth-fail-limit", "4") as c:
            d = c.daemon
            r = d.call("POST", "/admin/join-tokens", {"name": "web-pool", "labels": {"role": "web"}, "ttlSec": 600})
            self.assertEqual(r.status, 201, r)
            jt = r.json()
            secret = jt["token"]
            self.assertTrue(secret.startswith("pgj_"))
            self.assertEqual(jt["state"], "valid")
            listed = d.call("GET", "/admin/join-tokens")
            self.assertNotIn(secret, listed.body)
            self.assertEqual(listed.json()["items"][0]["state"], "valid")
            token_file = os.path.join(c.tmp, "join.token")
            with open(token_file, "w") as f:
                f.write(secret + "\n")

            a = c.agent(None, "--join-token-file", token_file, "--node-name", "web-7", name="joiner")
            nid = int(wait_until(lambda: read(os.path.join(a.state, "node-id")), 15,
                                 what=f"joined: {a.read_log()[-800:]}"))
            node = wait_until(lambda: (x := d.node(nid))["status"] == "online" and x, 15, what="joined node online")
            self.assertEqual(node["name"], "web-7")
            self.assertEqual(node["ip"], "127.0.0.1")
            self.assertEqual(node["labels"], {"role": "web"})
            with open(a.token_file) as f:
                self.assertTrue(f.read().startswith("pgn_"))
            self.assertEqual(stat.S_IMODE(os.stat(a.token_file).st_mode), 0o600)
            used = d.call("GET", "/admin/join-tokens").json()["items"][0]
            self.assertEqual((used["state"], used["nodeId"]), ("used", nid))
            joins = d.audit(action="node.join")
            self.assertEqual(len(joins), 1)
            self.assertEqual(joins[0]["actor"], "join-token")
            self.assertEqual(joins[0]["details"]["joinTokenId"], jt["id"])
            self.assertNotIn(secret, d.call("GET", "/admin/audit").body)
            self.assertNotIn(secret, d.read_log())

            # a restart uses what the join gave: no second node, no second join
            a.stop()
            a.start()
            wait_until(lambda: a.read_log().count(f"for node {nid} of") == 2, 10, what="agent restarted")
            wait_until(lambda: d.node(nid)["status"] == "online", 10, what="online after restart")
            self.assertEqual(a.read_log().count("joined as node"), 1)
            nodes = d.call("GET", "/admin/nodes").json()["items"]
            self.assertEqual([x["name"] for x in nodes], ["web-7"])

            # the same token again is refused, and nothing changes (tokens,
            # nodes; the running agent's heartbeat facts do change)
            state = lambda: (d.sql("SELECT * FROM auth_token ORDER BY id"),
                             d.sql("SELECT * FROM auth_join_token ORDER BY id"),
                             d.sql("SELECT id, name, ip, labels FROM cluster_node ORDER BY id"))
            before = state()
            b = c.agent(None, "--join-token-file", token_file, "--node-name", "web-8", name="again")
            code, log = agent_exit(b)
            self.assertEqual(code, 1)
            self.assertIn("join refused (401)", log)
            self.assertEqual(state(), before)

            # expired and revoked tokens are refused too
            r2 = d.call("POST", "/admin/join-tokens", {"name": "short"}).json()
            d.sql("UPDATE auth_join_token SET expires_at = 1 WHERE id = ?", r2["id"])
            r3 = d.call("POST", "/admin/join-tokens", {"name": "revoked"}).json()
            self.assertEqual(d.call("DELETE", f"/admin/join-tokens/{r3['id']}").status, 204)
            self.assertEqual(d.call("DELETE", f"/admin/join-tokens/{r3['id']}").status, 404)
            states = {x["name"]: x["state"] for x in d.call("GET", "/admin/join-tokens").json()["items"]}
            self.assertEqual(states, {"web-pool": "used", "short": "expired", "revoked": "revoked"})
            for t in (r2["token"], r3["token"]):
                r = request(d.url + "/agent/join", "POST", {"joinToken": t, "name": "late"})
                self.assertEqual(r.status, 401, r)
                self.assertEqual(r.error["field"], "joinToken")
            actions = [e["action"] for e in d.audit(action="node.join_token.*")]
            self.assertEqual(sorted(actions), ["node.join_token.create"] * 3 + ["node.join_token.revoke"])
            # failures count toward the per-address limit like bad bearer tokens
            # (last: the address is then refused whatever it sends)
            r = request(d.url + "/agent/join", "POST", {"joinToken": "pgj_" + "0" * 64, "name": "x"})
            self.assertEqual(r.status, 401)
            r = request(d.url + "/agent/join", "POST", {"joinToken": "pgj_" + "0" * 64, "name": "x"})
            self.assertEqual(r.status, 429, r)
            self.assertTrue(r.headers.get("Retry-After"))

    def test_bad_join_token_requests_change_nothing(self):
        with Cluster() as c:
            d = c.daemon
            before = d.snapshot()
            for body, field in (({"name": "x", "ttlSec": 10}, "ttlSec"),
                                ({"name": "x", "ttlSec": 8 * 86400}, "ttlSec"),
                                ({"name": "Bad Name"}, "name"),
                                ({"name": "x", "labels": {"a": 1}}, "labels.a"),
                                ({"name": "x", "extra": True}, "extra"),
                                ({}, "name")):
                r = d.call("POST", "/admin/join-tokens", body)
                self.assertEqual(r.status, 400, (body, r))
                self.assertEqual(r.error["field"], field, (body, r))
            for body, status, field in (({"joinToken": "pgj_short", "name": "n"}, 401, "joinToken"),
                                        ({"joinToken": "pga_" + "0" * 64, "name": "n"}, 401, "joinToken"),
                                        ({"joinToken": "pgj_" + "0" * 64, "name": "BAD"}, 400, "name"),
                                        ({"joinToken": "pgj_" + "0" * 64, "name": "n", "ip": "1.2.3"}, 400, "ip"),
                                        ({"joinToken": "pgj_" + "0" * 64, "name": "n", "labels": {}}, 400,
                                         "labels")):
                r = request(d.url + "/agent/join", "POST", body)
                self.assertEqual((r.status, r.error.get("field")), (status, field), (body, r))
            self.assertEqual(d.snapshot(), before)
            # an agent token or no token cannot make join tokens
            n = d.create_node("n1")
            before = d.snapshot()
            self.assertEqual(d.call("POST", "/admin/join-tokens", {"name": "x"}, token=n["token"]).status, 403)
            self.assertEqual(request(d.url + "/admin/join-tokens", "POST", {"name": "x"}).status, 401)
            self.assertEqual(d.snapshot(), before)
            self.assertTrue(re.search(r"pgj_", d.snapshot()) is None)


if __name__ == "__main__":
    unittest.main()


class TlsReload(unittest.TestCase):
    def test_sighup_serves_new_files_and_keeps_connections(self):
        """A renewed certificate goes live on SIGHUP: new connections get it,
        an open keep-alive connection goes on, and files that do not load
        leave the old ones served."""
        import http.client
        import shutil
        import signal
        import subprocess
        import tempfile
        from harness import self_signed
        tmp = tempfile.mkdtemp(prefix="pagoda-tlsreload-")
        a_crt, a_key = self_signed(tmp, "a")
        b_crt, b_key = self_signed(tmp, "b")
        crt, key = os.path.join(tmp, "srv.crt"), os.path.join(tmp, "srv.key")
        shutil.copy(a_crt, crt)
        shutil.copy(a_key, key)
        d = Pagodad(tmp, "--tls-cert", crt, "--tls-key", key)
        d.url = d.url.replace("http://", "https://")
        ctx_a = ssl.create_default_context(cafile=a_crt)
        ctx_a.check_hostname = False
        d._ctx = ctx_a
        d.start()
        try:
            old = http.client.HTTPSConnection("127.0.0.1", d.port, context=ctx_a, timeout=5)
            old.request("GET", "/healthz")
            self.assertEqual(old.getresponse().read() and 200, 200)
            # broken files: refused, the old certificate stays
            with open(crt, "w") as f:
                f.write("not a certificate\n")
            d.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: "TLS files not reloaded" in d.read_log(), 10, what="refused reload logged")
            self.assertEqual(request(d.url + "/healthz", context=ctx_a).status, 200)
            shutil.copy(b_crt, crt)
            shutil.copy(b_key, key)
            d.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: "reloaded the TLS certificate" in d.read_log(), 10, what="reload logged")
            served = ssl.get_server_certificate(("127.0.0.1", d.port))
            self.assertEqual(ssl.PEM_cert_to_DER_cert(served), ssl.PEM_cert_to_DER_cert(open(b_crt).read()))
            ctx_b = ssl.create_default_context(cafile=b_crt)
            ctx_b.check_hostname = False
            self.assertEqual(request(d.url + "/healthz", context=ctx_b).status, 200)
            # the connection opened before the reload is still there
            old.request("GET", "/healthz")
            r = old.getresponse()
            self.assertEqual(r.status, 200)
            r.read()
            old.close()
            self.assertEqual(d.proc.poll(), None)
        finally:
            d.stop()
            subprocess.run(["rm", "-rf", tmp])
