"""DNS-01 through a real authoritative server: BIND on loopback takes the
rfc2136 plugin's TSIG-signed updates, Pebble validates against it. The zone
is found by an SOA walk (and through a CNAME on _acme-challenge), the
records are checked at the zone's own name servers before the CA is asked,
and removed afterwards; a wrong key fails with the server's reason."""
import shutil
import unittest

from acme_ca import Pebble
from dns_apis import CREDS, Apis
from dns_server import HAVE_BIND, Bind
from harness import Cluster, wait_until

HAVE_PEBBLE = shutil.which("pebble") and shutil.which("pebble-challtestsrv")


def wait_cert(d, cid, status, timeout=60):
    return wait_until(lambda: (c := d.call("GET", f"/admin/certificates/{cid}").json())["status"] in (status, "failed")
                      and c, timeout, interval=0.3, what=f"certificate {cid} {status}")


@unittest.skipUnless(HAVE_PEBBLE and HAVE_BIND, "needs the pebble and bind9 packages")
class Rfc2136(unittest.TestCase):
    def test_issuance_by_dynamic_update(self):
        with Cluster("--cert-scan", "500", "--cert-retry", "600000") as c:
            d = c.daemon
            bind = Bind(c.tmp, ["example.test"]).start(
                {"example.test": ["_acme-challenge.alias IN CNAME _acme-challenge.delegated"]})
            pebble = Pebble(c.tmp, dns_server=bind.address).start()
            try:
                issuer = {"directoryUrl": pebble.directory, "caFile": pebble.ca}
                tsig = {"name": bind.key_name, "secret": bind.secret}

                def dns(**over):
                    cfg = {"plugin": "rfc2136", "config": {"server": bind.address, "tsig": dict(tsig)},
                           "resolvers": [bind.address], "nameserverPort": bind.port,
                           "propagationIntervalSec": 1}
                    cfg.update(over)
                    return cfg

                # no challenge named: a dns block means dns-01; the zone is
                # example.test, two levels up (BIND refuses an update for a
                # zone it does not hold, so success shows the walk found it)
                r = d.call("POST", "/admin/certificates/acme",
                           {"domains": ["*.sub.example.test", "sub.example.test"], "dns": dns(), "issuer": issuer})
                self.assertEqual(r.status, 202, r)
                self.assertEqual(r.json()["request"]["challenge"], "dns-01")
                cert = wait_cert(d, r.json()["id"], "valid")
                self.assertEqual(cert["status"], "valid", cert.get("lastError"))
                self.assertEqual(sorted(cert["current"]["sans"]), ["*.sub.example.test", "sub.example.test"])
                wait_until(lambda: bind.txt("_acme-challenge.sub.example.test") == [], 10,
                           what="the challenge records removed")
                # a CNAME on _acme-challenge: the record goes where it points
                r = d.call("POST", "/admin/certificates/acme",
                           {"domains": ["alias.example.test"], "dns": dns(), "issuer": issuer})
                cert = wait_cert(d, r.json()["id"], "valid")
                self.assertEqual(cert["status"], "valid", cert.get("lastError"))
                self.assertEqual(bind.txt("_acme-challenge.delegated.example.test"), [])
                # the key is sealed at rest, masked in answers, never logged
                self.assertFalse(bind.secret.encode() in d.stored_bytes(), "the TSIG secret stored in clear")
                self.assertNotIn(bind.secret, str(d.call("GET", "/admin/certificates").json()))
                self.assertNotIn(bind.secret, str(d.audit()) + d.read_log())
                # a wrong key: the server's refusal, named
                wrong = dns(config={"server": bind.address,
                                    "tsig": {"name": bind.key_name, "secret": "c2VjcmV0LWJ1dC13cm9uZw=="}})
                r = d.call("POST", "/admin/certificates/acme",
                           {"domains": ["bad.example.test"], "dns": wrong, "issuer": issuer})
                bad = wait_cert(d, r.json()["id"], "failed")
                self.assertIn("NOTAUTH (TSIG BADSIG)", bad["lastError"])
                self.assertIn("check the TSIG key", bad["lastError"])
                self.assertNotIn("c2VjcmV0LWJ1dC13cm9uZw", bad["lastError"])
                # a zone given by hand that the server does not hold
                r = d.call("POST", "/admin/certificates/acme",
                           {"domains": ["x.example.test"], "dns": dns(zone="nothere.test"), "issuer": issuer})
                bad = wait_cert(d, r.json()["id"], "failed")
                self.assertIn("refused the update of nothere.test", bad["lastError"])
                # bad requests: named field, nothing stored
                before = len(d.call("GET", "/admin/certificates").json()["items"])
                for body, field in [
                        (dns(config={"server": bind.address}), "dns.config.tsig"),
                        (dns(config={"tsig": tsig}), "dns.config.server"),
                        (dns(config={"server": bind.address, "tsig": {"name": "k", "secret": "***"}}),
                         "dns.config.tsig.secret"),
                        (dns(config={"server": bind.address, "tsig": dict(tsig, algorithm="md5")}),
                         "dns.config.tsig.algorithm"),
                        (dns(zone="Not A Zone"), "dns.zone"),
                        (dns(nameserverPort=0), "dns.nameserverPort"),
                        (dns(checkAuthoritative="yes"), "dns.checkAuthoritative")]:
                    r = d.call("POST", "/admin/certificates/acme",
                               {"domains": ["y.example.test"], "dns": body, "issuer": issuer})
                    self.assertEqual((r.status, r.json()["error"]["field"]), (400, field), r)
                self.assertEqual(len(d.call("GET", "/admin/certificates").json()["items"]), before)
            finally:
                pebble.stop()
                bind.stop()

    def test_stored_provider_is_the_default_for_its_zones(self):
        with Cluster("--cert-scan", "500", "--cert-retry", "600000") as c:
            d = c.daemon
            bind = Bind(c.tmp, ["example.test"]).start()
            pebble = Pebble(c.tmp, dns_server=bind.address).start()
            try:
                issuer = {"directoryUrl": pebble.directory, "caFile": pebble.ca}
                spec = {"plugin": "rfc2136", "zones": ["example.test"],
                        "config": {"server": bind.address, "tsig": {"name": bind.key_name, "secret": bind.secret}},
                        "resolvers": [bind.address], "nameserverPort": bind.port, "propagationIntervalSec": 1}
                before = d.snapshot()
                for body, field in [({k: v for k, v in spec.items() if k != "zones"}, "zones"),
                                    (dict(spec, zones=["Example.test"]), "zones"),
                                    (dict(spec, config={"server": bind.address}), "config.tsig"),
                                    (dict(spec, zone="example.test"), "zone"),
                                    (dict(spec, plugin="nope"), "plugin")]:
                    r = d.call("PUT", "/admin/dns-providers/corp", body)
                    self.assertEqual((r.status, r.json()["error"]["field"]), (400, field), r)
                self.assertEqual(d.call("PUT", "/admin/dns-providers/Bad_Name", spec).status, 400)
                self.assertEqual(d.snapshot(), before)
                r = d.call("PUT", "/admin/dns-providers/corp", spec)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json()["config"]["tsig"]["secret"], "******")
                self.assertEqual([p["name"] for p in d.call("GET", "/admin/dns-providers").json()["items"]], ["corp"])
                # nothing said about the challenge: the provider serving the domain makes it DNS-01
                r = d.call("POST", "/admin/certificates/acme", {"domains": ["auto.example.test"], "issuer": issuer})
                self.assertEqual(r.status, 202, r)
                self.assertEqual((r.json()["request"]["challenge"], r.json()["request"]["dns"]),
                                 ("dns-01", {"provider": "corp"}))
                cid = r.json()["id"]
                cert = wait_cert(d, cid, "valid")
                self.assertEqual(cert["status"], "valid", cert.get("lastError"))
                # a domain no provider serves stays HTTP-01; a named provider must exist
                r = d.call("POST", "/admin/certificates/acme", {"domains": ["elsewhere.test"], "issuer": issuer})
                self.assertEqual(r.json()["request"]["challenge"], "http-01")
                self.assertEqual(d.call("DELETE", f"/admin/certificates/{r.json()['id']}").status, 204)
                r = d.call("POST", "/admin/certificates/acme",
                           {"domains": ["x.example.test"], "issuer": issuer, "dns": {"provider": "nope"}})
                self.assertEqual((r.status, r.json()["error"]["field"]), (400, "dns.provider"), r)
                # every attempt reads the provider as it is then: a rotated (wrong) key fails a new
                # order, the mended key lets the retry of that same certificate through (a fresh
                # domain each time, so no authorization the CA still holds can stand in)
                wrong = dict(spec, config={"server": bind.address,
                                           "tsig": {"name": bind.key_name, "secret": "d3Jvbmcta2V5LXZhbHVl"}})
                self.assertEqual(d.call("PUT", "/admin/dns-providers/corp", wrong).status, 200)
                r = d.call("POST", "/admin/certificates/acme", {"domains": ["rotated.example.test"], "issuer": issuer})
                rid = r.json()["id"]
                failed = wait_cert(d, rid, "failed")
                self.assertEqual(failed["status"], "failed")
                self.assertIn("TSIG BADSIG", failed["lastError"])
                self.assertEqual(d.call("PUT", "/admin/dns-providers/corp", spec).status, 200)
                self.assertEqual(d.call("POST", f"/admin/certificates/{rid}/renew").status, 202)
                mended = wait_until(lambda: (x := d.call("GET", f"/admin/certificates/{rid}").json())["status"]
                                    == "valid" and x, 30, interval=0.3, what="issued with the mended key")
                self.assertEqual(mended["currentVersion"], 1)
                self.assertEqual(d.call("DELETE", f"/admin/certificates/{rid}").status, 204)
                # in use: not deleted; audited; the secret never stored in clear
                r = d.call("DELETE", "/admin/dns-providers/corp")
                self.assertEqual((r.status, r.json()["error"]["field"]), (409, "name"), r)
                self.assertIn("auto.example.test", r.json()["error"]["message"])
                self.assertEqual(len(d.audit(action="ssl.dns_provider.put")), 3)
                self.assertFalse(bind.secret.encode() in d.stored_bytes(), "the TSIG secret stored in clear")
                self.assertEqual(d.call("DELETE", f"/admin/certificates/{cid}").status, 204)
                self.assertEqual(d.call("DELETE", "/admin/dns-providers/corp").status, 204)
                self.assertEqual(d.call("GET", "/admin/dns-providers/corp").status, 404)
            finally:
                pebble.stop()
                bind.stop()


@unittest.skipUnless(HAVE_PEBBLE and HAVE_BIND, "needs the pebble and bind9 packages")
class CloudProviders(unittest.TestCase):
    """Each cloud plugin issues through Pebble against a local stand-in of its
    API that checks the provider's signature (dns_apis.py) and publishes into
    BIND: the zone is found by the SOA walk and passed to the plugin, the
    record is seen at the zone's name server, then removed through the API."""

    def test_each_provider_issues_and_cleans_up(self):
        with Cluster("--cert-scan", "500", "--cert-retry", "600000") as c:
            d = c.daemon
            bind = Bind(c.tmp, ["example.test"]).start()
            apis = Apis(bind)
            pebble = Pebble(c.tmp, dns_server=bind.address).start()
            try:
                issuer = {"directoryUrl": pebble.directory, "caFile": pebble.ca}

                def dns(provider, **over):
                    return {"plugin": provider, "config": apis.config(provider, **over),
                            "resolvers": [bind.address], "nameserverPort": bind.port, "propagationIntervalSec": 1}

                for provider in CREDS:
                    with self.subTest(provider=provider):
                        # a wildcard and its apex: two values on one name
                        r = d.call("POST", "/admin/certificates/acme",
                                   {"domains": [f"*.{provider}.example.test", f"{provider}.example.test"],
                                    "dns": dns(provider), "issuer": issuer})
                        self.assertEqual(r.status, 202, r)
                        cert = wait_cert(d, r.json()["id"], "valid")
                        self.assertEqual(cert["status"], "valid", cert.get("lastError"))
                        self.assertGreater(apis.seen[provider], 2)
                        self.assertEqual(apis.refused[provider], 0)
                        self.assertEqual(apis.live(provider), [])
                        self.assertEqual(bind.txt(f"_acme-challenge.{provider}.example.test"), [])
                        # a wrong credential: the provider's refusal, and no secret in it
                        secret_field = [k for k in CREDS[provider] if "ecret" in k or "Token" in k][0]
                        r = d.call("POST", "/admin/certificates/acme",
                                   {"domains": [f"bad.{provider}.example.test"], "issuer": issuer,
                                    "dns": dns(provider, **{secret_field: "wrong-SECRET-value"})})
                        bad = wait_cert(d, r.json()["id"], "failed")
                        self.assertIn(f"dns/{provider}", bad["lastError"])
                        self.assertRegex(bad["lastError"], r"answered (40[013]|200)")
                        self.assertNotIn("wrong-SECRET-value", bad["lastError"])
                        self.assertGreater(apis.refused[provider], 0)
                        # the plugin's failure is counted where operators look at plugins
                        pol = {p["path"]: p for p in d.call("GET", "/admin/policies").json()["items"]}
                        mine = pol[f"plugins/dns/{provider}.lua"]
                        self.assertGreaterEqual(mine["errors"], 1, mine)
                        self.assertIn(f"dns/{provider}", mine["lastError"])
                        self.assertNotIn("wrong-SECRET-value", mine["lastError"])
                # credentials are sealed, masked and never logged
                stored, log = d.stored_bytes(), str(d.audit()) + d.read_log()
                listed = str(d.call("GET", "/admin/certificates").json())
                for creds in CREDS.values():
                    for k, v in creds.items():
                        if "ecret" in k or "Token" in k:
                            self.assertFalse(v.encode() in stored, f"{k} stored in clear")
                            self.assertNotIn(v, listed)
                            self.assertNotIn(v, log)
                # a config the plugin does not take: refused before anything is stored
                for provider, field in [("cloudflare", "dns.config.apiToken"), ("route53", "dns.config.bogus"),
                                        ("alidns", "dns.config.endpoint"), ("dnspod", "dns.config.ttl")]:
                    cfg = {"cloudflare": {}, "route53": dict(CREDS["route53"], bogus=1),
                           "alidns": dict(CREDS["alidns"], endpoint="ftp://x"),
                           "dnspod": dict(CREDS["dnspod"], ttl="soon")}[provider]
                    r = d.call("POST", "/admin/certificates/acme",
                               {"domains": ["z.example.test"], "issuer": issuer, "dns": {"plugin": provider, "config": cfg}})
                    self.assertEqual((r.status, r.json()["error"]["field"]), (400, field), r)
            finally:
                pebble.stop()
                apis.stop()
                bind.stop()


if __name__ == "__main__":
    unittest.main()
