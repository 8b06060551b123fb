"""Attacks found in the second security round (issue 17), each reproduced:
every test here failed before its fix."""
import json
import os
import unittest

from harness import Cluster

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
