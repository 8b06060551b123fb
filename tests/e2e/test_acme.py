"""The certificate center against the real Pebble: DNS-01 for a wildcard
through the challtestsrv plugin, a validation failure with the CA's problem
document and backoff, and HTTP-01 answered through a real nginx that Pagoda
configured on an agent node, then deployment and renewal checked with a
real TLS handshake."""
import datetime
import os
import shutil
import signal
import tempfile
import time
import unittest

from acme_ca import AriShim, Pebble, ari_cert_id, served_serial, verify_chain
from fleet import Fleet, fleet_supported
from harness import Cluster, Pagodad, free_port, request, self_signed, wait_until

HAVE_PEBBLE = shutil.which("pebble") and shutil.which("pebble-challtestsrv")


def wait_cert(d, cid, status, timeout=60):
    return wait_until(lambda: (c := d.call("GET", f"/admin/certificates/{cid}").json())["status"] == status and c,
                      timeout, interval=0.3, what=f"certificate {cid} {status}")


@unittest.skipUnless(HAVE_PEBBLE, "needs the pebble package")
class Dns01(unittest.TestCase):
    def test_wildcard_through_dns01_and_a_failed_validation(self):
        with Cluster("--cert-scan", "500", "--cert-retry", "600000") as c:
            d = c.daemon
            pebble = Pebble(c.tmp).start()
            try:
                issuer = {"directoryUrl": pebble.directory, "caFile": pebble.ca, "email": "ops@example.test"}
                # the CA is asked to validate once the resolver shows the record
                r = d.call("POST", "/admin/certificates/acme",
                           {"domains": ["*.wild.test", "wild.test"], "challenge": "dns-01",
                            "dns": {"plugin": "challtestsrv", "config": {"url": pebble.challtestsrv},
                                    "resolvers": [f"127.0.0.1:{pebble.dns}"]},
                            "issuer": issuer})
                self.assertEqual(r.status, 202, r)
                cid = r.json()["id"]
                self.assertEqual((r.json()["name"], r.json()["status"]), ("wild.test", "pending"))
                cert = wait_cert(d, cid, "valid")
                self.assertEqual(sorted(cert["current"]["sans"]), ["*.wild.test", "wild.test"])
                self.assertEqual(cert["current"]["keyType"], "ec256")
                r = d.call("POST", "/admin/certificates/acme",
                           {"domains": ["rsa.wild.test"], "challenge": "dns-01", "keyType": "rsa2048",
                            "dns": {"plugin": "challtestsrv", "config": {"url": pebble.challtestsrv}},
                            "issuer": issuer})
                self.assertEqual(wait_cert(d, r.json()["id"], "valid")["current"]["keyType"], "rsa2048")
                # a resolver that never shows the record: a clear failure, nothing stored
                r = d.call("POST", "/admin/certificates/acme",
                           {"domains": ["slow.test"], "challenge": "dns-01", "issuer": issuer,
                            "dns": {"plugin": "challtestsrv", "config": {"url": pebble.challtestsrv},
                                    "resolvers": ["nope"]}})
                self.assertEqual((r.status, r.json()["error"]["field"]), (400, "dns.resolvers"), r)
                r = d.call("POST", "/admin/certificates/acme",
                           {"domains": ["slow.test"], "challenge": "dns-01", "issuer": issuer,
                            "dns": {"plugin": "challtestsrv", "config": {"url": pebble.challtestsrv},
                                    "resolvers": [f"127.0.0.1:{free_port()}"], "propagationTimeoutSec": 1}})
                slow = wait_cert(d, r.json()["id"], "failed")
                self.assertIn("_acme-challenge.slow.test is not visible at 127.0.0.1:", slow["lastError"])
                self.assertEqual(slow["currentVersion"], 0)
                chain = d.call("GET", f"/admin/certificates/{cid}/versions/1/chain").json()["chainPem"]
                ok, out = verify_chain(c.tmp, chain, pebble.root())
                self.assertTrue(ok, out)
                # the key is sealed at rest and never shown
                self.assertNotIn(b"PRIVATE KEY", d.stored_bytes())
                self.assertNotIn("PRIVATE KEY", str(d.call("GET", "/admin/certificates").json()))
                self.assertNotIn("PRIVATE KEY", str(d.audit()) + d.read_log())
                # a domain that cannot validate: the CA's problem, nothing stored, a backoff
                r = d.call("POST", "/admin/certificates/acme",
                           {"domains": ["nowhere.test"], "challenge": "http-01", "issuer": issuer})
                bad = wait_cert(d, r.json()["id"], "failed")
                self.assertTrue(bad["lastProblem"]["type"].startswith("urn:ietf:params:acme:error:"), bad)
                self.assertIn("nowhere.test", bad["lastError"])
                self.assertEqual((bad["currentVersion"], bad["failures"]), (0, 1))
                self.assertEqual(d.call("GET", f"/admin/certificates/{bad['id']}/versions").json()["items"], [])
                next_at = bad["nextAttemptAt"]
                self.assertGreater(next_at, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 300)))
                time.sleep(2)
                self.assertEqual(d.call("GET", f"/admin/certificates/{bad['id']}").json()["failures"], 1)
                self.assertTrue(d.audit(action="ssl.issue_failed"))
                self.assertTrue(d.audit(action="ssl.issue"))
            finally:
                pebble.stop()

    def test_bad_requests_and_import(self):
        with Cluster() as c:
            d = c.daemon
            before = d.snapshot()
            for body, field in [({"domains": [], "issuer": {"preset": "letsencrypt"}}, "domains"),
                                ({"domains": ["Bad_Name"], "issuer": {"preset": "letsencrypt"}}, "domains"),
                                ({"domains": ["*.a.test"], "issuer": {"preset": "letsencrypt"}}, "challenge"),
                                ({"domains": ["a.test"], "issuer": {"preset": "nope"}}, "issuer.preset"),
                                ({"domains": ["a.test"], "issuer": {}}, "issuer.directoryUrl"),
                                ({"domains": ["a.test"], "challenge": "dns-01", "issuer": {"preset": "letsencrypt"}}, "dns"),
                                ({"domains": ["a.test"], "keyType": "dsa", "issuer": {"preset": "letsencrypt"}}, "keyType")]:
                r = d.call("POST", "/admin/certificates/acme", body)
                self.assertEqual((r.status, r.error.get("field")), (400, field), r)
            # import: the key must match and the chain verify
            tmp = c.tmp
            os.system(f"cd {tmp} && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                      f"-keyout a.key -out a.crt -days 2 -subj /CN=imp.test -addext subjectAltName=DNS:imp.test "
                      f">/dev/null 2>&1 && openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 "
                      f"-out other.key >/dev/null 2>&1")
            def read(n):
                with open(os.path.join(tmp, n)) as f:
                    return f.read()
            cert, key, other = read("a.crt"), read("a.key"), read("other.key")
            r = d.call("POST", "/admin/certificates", {"name": "imp.test", "certPem": cert, "keyPem": other})
            self.assertEqual((r.status, r.error.get("field")), (400, "keyPem"))
            self.assertEqual(d.snapshot(), before)
            r = d.call("POST", "/admin/certificates", {"name": "imp.test", "certPem": cert, "keyPem": key})
            self.assertEqual(r.status, 201, r)
            self.assertEqual((r.json()["source"], r.json()["current"]["sans"]), ("import", ["imp.test"]))
            self.assertEqual(d.call("POST", f"/admin/certificates/{r.json()['id']}/renew").status, 422)
            self.assertEqual(d.call("DELETE", f"/admin/certificates/{r.json()['id']}").status, 204)

    def test_renewal_follows_the_cas_renewal_information(self):
        def iso(offset_s):
            t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_s)
            return t.strftime("%Y-%m-%dT%H:%M:%S.250Z")

        with Cluster("--cert-scan", "500", "--acme-allow-http") as c:  # the ARI shim serves http://
            d = c.daemon
            pebble = Pebble(c.tmp).start()
            shim = AriShim(pebble)
            try:
                shim.window = {"start": iso(30 * 86400), "end": iso(31 * 86400)}
                r = d.call("POST", "/admin/certificates/acme",
                           {"domains": ["ari.test"], "challenge": "dns-01",
                            "dns": {"plugin": "challtestsrv", "config": {"url": pebble.challtestsrv}},
                            "issuer": {"directoryUrl": shim.directory, "caFile": pebble.ca}})
                cid = r.json()["id"]
                wait_cert(d, cid, "valid")
                chain = d.call("GET", f"/admin/certificates/{cid}/versions/1/chain").json()["chainPem"]
                cert = wait_until(lambda: (x := d.call("GET", f"/admin/certificates/{cid}").json()).get("renewalInfo") and x,
                                  20, what="renewal information")
                info = cert["renewalInfo"]
                self.assertEqual((info["start"], info["end"]), (shim.window["start"], shim.window["end"]), info)
                self.assertTrue(info["start"] <= info["renewAfter"] < info["end"], info)
                self.assertEqual(info["explanationURL"], "https://ca.test/why")
                self.assertIn(ari_cert_id(chain), shim.asked)
                # asked again after Retry-After; the chosen moment stays while the window does
                n = len(shim.asked)
                wait_until(lambda: len(shim.asked) > n, 10, what="a second renewalInfo request")
                again = d.call("GET", f"/admin/certificates/{cid}").json()
                self.assertEqual((again["currentVersion"], again["renewalInfo"]["renewAfter"]), (1, info["renewAfter"]))
                # the CA moves the window into the past: renew now
                shim.window = {"start": iso(-7200), "end": iso(-3600)}
                renewed = wait_until(lambda: (x := d.call("GET", f"/admin/certificates/{cid}").json())["currentVersion"] == 2 and x,
                                     60, what="renewal on the CA's advice")
                self.assertTrue(d.audit(action="ssl.renew"))
                chain2 = d.call("GET", f"/admin/certificates/{cid}/versions/2/chain").json()["chainPem"]
                wait_until(lambda: ari_cert_id(chain2) in shim.asked, 20, what="renewalInfo for the new certificate")
                self.assertNotEqual(renewed["current"]["serial"], cert["current"]["serial"])
            finally:
                shim.stop()
                pebble.stop()


class DeployInBatches(unittest.TestCase):
    def test_batches_wait_for_each_other_and_offline_nodes_wait_alone(self):
        with Cluster("--heartbeat-interval", "30") as c:
            d = c.daemon
            crt, key = self_signed(c.tmp, "batch.test")
            r = d.call("POST", "/admin/certificates", {"name": "batch.test", "certPem": open(crt).read(),
                                                       "keyPem": open(key).read()})
            self.assertEqual(r.status, 201, r)
            cid = r.json()["id"]
            nodes = [d.create_node(f"edge-{i}") for i in range(4)]
            for n in nodes[:3]:  # edge-3 never comes online
                request(d.url + "/agent/heartbeat", "POST", {"nodeId": n["id"]}, token=n["token"])
            ids = [n["id"] for n in nodes]
            before = d.snapshot()
            r = d.call("POST", f"/admin/certificates/{cid}/deploy", {"nodeIds": ids, "strategy": {"batchSize": 0}})
            self.assertEqual((r.status, r.json()["error"]["field"]), (400, "strategy.batchSize"), r)
            self.assertEqual(d.snapshot(), before)
            r = d.call("POST", f"/admin/certificates/{cid}/deploy",
                       {"nodeIds": ids, "strategy": {"batchSize": 2}, "verify": False})
            self.assertEqual(r.status, 202, r)
            tasks = {t["nodeId"]: t for t in r.json()["tasks"]}
            self.assertEqual([tasks[i]["batch"] for i in ids], [1, 1, 2, None])
            first = sorted(tasks[i]["taskId"] for i in ids[:2])
            self.assertEqual(sorted(d.task(tasks[ids[2]]["taskId"])["dependsOn"]), first)
            self.assertEqual(d.task(tasks[ids[3]]["taskId"])["dependsOn"], [])
            # a failure in batch 1 stops batch 2; the offline node still gets it later
            self.assertEqual(d.call("POST", f"/admin/tasks/{first[0]}/cancel").status, 200)
            self.assertEqual(d.task(tasks[ids[2]]["taskId"])["status"], "cancelled")
            self.assertEqual(d.task(tasks[ids[3]]["taskId"])["status"], "pending")


@unittest.skipUnless(HAVE_PEBBLE and fleet_supported(), "needs pebble, root, systemd and nginx")
class Http01OnANode(unittest.TestCase):
    def test_http01_through_node_nginx_then_deploy_and_renew(self):
        tmp = tempfile.mkdtemp(prefix="pagoda-acme-", dir="/var/tmp")
        fleet = Fleet(tmp, 1).up()
        node = fleet.nodes[0]
        d = Pagodad(tmp, "--cert-scan", "500", "--poll-wait", "5", "--retry-backoff", "300", host=fleet.host_ip,
                    tls=True)
        pebble = Pebble(tmp, http_port=80, default_ip=node.ip)
        try:
            d.start()
            pebble.start()
            node.info = d.create_node("edge-1", node.ip)
            node.start_agent(d.url, node.info["token"], "--ca-file", fleet.visible(d.ca_file))
            wait_until(lambda: d.node(node.info["id"])["status"] == "online", 20, what="online")
            # nginx on the node sends HTTP-01 to pagodad
            site = {"name": "web", "domains": ["web.test"], "locations": [{"path": "/", "upstream": "u"}],
                    "upstreams": [{"name": "u", "status": "unavailable", "servers": []}],
                    "acme": {"mode": "proxy", "proxyPass": d.url}}
            r = d.call("POST", "/admin/nginx/sites/deploy", {"site": site, "nodeIds": [node.info["id"]]})
            self.assertEqual(r.status, 202, r)
            d.wait_task(r.json()["tasks"][0]["taskId"], "succeeded", 30)
            r = d.call("POST", "/admin/certificates/acme",
                       {"domains": ["web.test"], "challenge": "http-01",
                        "issuer": {"directoryUrl": pebble.directory, "caFile": pebble.ca}})
            cid = r.json()["id"]
            cert = wait_cert(d, cid, "valid")
            ok, out = verify_chain(tmp, d.call("GET", f"/admin/certificates/{cid}/versions/1/chain").json()["chainPem"],
                                   pebble.root())
            self.assertTrue(ok, out)
            # deploy it and serve it
            r = d.call("POST", f"/admin/certificates/{cid}/deploy", {"nodeIds": [node.info["id"]]})
            self.assertEqual(r.status, 202, r)
            t = d.wait_task(r.json()["tasks"][0]["taskId"], "succeeded", 30)
            self.assertEqual(t["payload"]["keyPemSealed"], "<sealed>")
            self.assertEqual(t["payload"]["verify"], {"serverName": "web.test"})
            # no nginx server names the file yet: nothing to check
            self.assertTrue(t["result"]["verified"].startswith("skipped"), t["result"])
            mode = node.run("stat", "-c", "%a", "/etc/ssl/pagoda/web.test.key").stdout.strip()
            self.assertEqual(mode, "600")
            site.update(tls={"enabled": True, "redirect": False, "certPath": "/etc/ssl/pagoda/web.test.crt",
                             "keyPath": "/etc/ssl/pagoda/web.test.key"})
            r = d.call("POST", "/admin/nginx/sites/deploy", {"site": site, "nodeIds": [node.info["id"]]})
            d.wait_task(r.json()["tasks"][0]["taskId"], "succeeded", 30)
            # a reload replaces nginx's workers gradually
            wait_until(lambda: served_serial(node.ip, "web.test") == cert["current"]["serial"], 15,
                       what="nginx serves the certificate")
            # now nginx uses it: the agent asks nginx which certificate it serves
            nid = node.info["id"]
            r = d.call("POST", f"/admin/certificates/{cid}/deploy", {"nodeIds": [nid], "verify": {"port": 70000}})
            self.assertEqual((r.status, r.json()["error"]["field"]), (400, "verify.port"), r)
            r = d.call("POST", f"/admin/certificates/{cid}/deploy",
                       {"nodeIds": [nid], "verify": {"port": 8443, "timeoutMs": 300}})
            t = d.wait_task(r.json()["tasks"][0]["taskId"], "failed", 30)
            self.assertIn("not the deployed certificate " + cert["current"]["fingerprint"], t["errorMessage"], t)
            r = d.call("POST", f"/admin/certificates/{cid}/deploy", {"nodeIds": [nid]})
            t = d.wait_task(r.json()["tasks"][0]["taskId"], "succeeded", 30)
            self.assertEqual((t["result"]["verified"], t["result"]["servedSha256"]),
                             (True, cert["current"]["fingerprint"]))
            # renewal: a new version, deployed where the last one went, served
            self.assertEqual(d.call("POST", f"/admin/certificates/{cid}/renew").status, 202)
            renewed = wait_until(lambda: (x := d.call("GET", f"/admin/certificates/{cid}").json())["currentVersion"] == 2 and x,
                                 60, what="renewal")
            self.assertNotEqual(renewed["current"]["serial"], cert["current"]["serial"])
            wait_until(lambda: served_serial(node.ip, "web.test") == renewed["current"]["serial"], 30,
                       what="nginx serving the renewed certificate")
            deploys = d.call("GET", f"/admin/tasks?nodeId={nid}&type=DeployCertificate&limit=100").json()["items"]
            last = d.wait_task(max(x["id"] for x in deploys), "succeeded", 30)
            self.assertEqual(last["result"]["servedSha256"], renewed["current"]["fingerprint"])
            self.assertEqual([v["version"] for v in d.call("GET", f"/admin/certificates/{cid}/versions").json()["items"]], [2, 1])
            self.assertTrue(d.audit(action="ssl.renew"))
            self.ingress_names_a_certificate(d, pebble, node)
        finally:
            pebble.stop()
            d.stop(signal.SIGKILL)
            fleet.down()

    def ingress_names_a_certificate(self, d, pebble, node):
        """A release deploys the certificate its ingress names before the
        site, and a renewal follows the application's nodes."""
        nid = node.info["id"]
        r = d.call("POST", "/admin/certificates/acme",
                   {"domains": ["app.test"], "challenge": "dns-01",
                    "dns": {"plugin": "challtestsrv", "config": {"url": pebble.challtestsrv}},
                    "issuer": {"directoryUrl": pebble.directory, "caFile": pebble.ca}})
        cid = r.json()["id"]
        cert = wait_cert(d, cid, "valid")
        r = d.call("POST", "/admin/apps", {"name": "edge", "type": "ReverseProxy", "selector": {"nodes": [nid]}})
        self.assertEqual(r.status, 201, r)
        edge = r.json()["id"]
        ing = {"domains": ["app.test"], "paths": [{"path": "/", "service": "nothing"}]}
        for tls, field in [({"certificateId": 999}, "tls.certificateId"), ({"certificateId": "x"}, "tls.certificateId"),
                           ({"certificateId": cid, "certPath": "/etc/a.crt"}, "tls.certificateId")]:
            r = d.call("POST", f"/admin/apps/{edge}/ingresses", dict(ing, tls=tls))
            self.assertEqual((r.status, r.json()["error"]["field"]), (400, field), r)
        r = d.call("POST", f"/admin/apps/{edge}/ingresses", dict(ing, tls={"certificateId": cid, "redirect": False}))
        self.assertEqual(r.status, 201, r)
        r = d.call("POST", f"/admin/apps/{edge}/releases", {})
        self.assertEqual(r.status, 201, r)
        rel = r.json()["id"]
        self.assertEqual(d.call("POST", f"/admin/releases/{rel}/execute").status, 200)
        wait_until(lambda: d.call("GET", f"/admin/releases/{rel}").json()["status"] == "succeeded", 60,
                   what="release with a certificate")
        wait_until(lambda: served_serial(node.ip, "app.test") == cert["current"]["serial"], 15,
                   what="nginx serves the certificate")
        deploys = [d.task(t["id"]) for t in
                   d.call("GET", f"/admin/tasks?nodeId={nid}&type=DeployCertificate&limit=100").json()["items"]]
        self.assertEqual([t["payload"]["certPath"] for t in deploys if t["payload"]["verify"]["serverName"] == "app.test"],
                         ["/etc/ssl/pagoda/app.test.crt"])
        r = d.call("DELETE", f"/admin/certificates/{cid}")
        self.assertEqual(r.status, 409, r)
        # never deployed by hand: the renewal goes to the application's node
        self.assertEqual(d.call("POST", f"/admin/certificates/{cid}/renew").status, 202)
        renewed = wait_until(lambda: (x := d.call("GET", f"/admin/certificates/{cid}").json())["currentVersion"] == 2 and x,
                             60, what="renewal")
        wait_until(lambda: served_serial(node.ip, "app.test") == renewed["current"]["serial"], 30,
                   what="nginx serving the renewed application certificate")


if __name__ == "__main__":
    unittest.main()
