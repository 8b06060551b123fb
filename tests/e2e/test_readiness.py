"""Planning respects what a node can do (issue 18): an agent reports its
capabilities (systemd, nginx, --root); a release does not give a node tasks
it must fail. The release lists such nodes as skipped with the reason, and
a release no target can run is refused with that reason."""
import unittest

from harness import Cluster, FakeAgentThread, wait_until

SERVICE = {"unit": {"exec": "/usr/bin/sleep", "args": ["1000"]}}


class Readiness(unittest.TestCase):
    def test_root_agents_get_no_systemd_service(self):
        with Cluster() as c:
            d = c.daemon
            rooted = d.create_node("rooted", labels={"role": "svc"})
            c.agent(rooted)  # the harness's agents write below --root
            wait_until(lambda: (d.node(rooted["id"]).get("capabilities") or {}).get("rootPrefix") is True, 15,
                       what="capabilities reported")
            r = d.call("POST", "/admin/apps", {"name": "svc", "type": "SystemdService",
                                               "selector": {"labels": "role=svc"}, "spec": SERVICE})
            self.assertEqual(r.status, 201, r)
            app = r.json()["id"]
            r = d.call("POST", f"/admin/apps/{app}/releases", {})
            self.assertEqual((r.status, r.error.get("field")), (422, "selector"), r)
            self.assertIn("--root", r.error["message"])
            self.assertIn("rooted", r.error["message"])
            # nothing made: no release, no task (the live agent's facts do change)
            self.assertEqual(d.call("GET", f"/admin/apps/{app}/releases").json()["items"], [])
            self.assertEqual(d.call("GET", f"/admin/tasks?nodeId={rooted['id']}").json()["items"], [])

            # with a node that can (it has not said otherwise), the release
            # goes on there and lists the other as not ready, with why
            other = d.create_node("other", labels={"role": "svc"})
            with FakeAgentThread(d, [other]):
                r = d.call("POST", f"/admin/apps/{app}/releases", {})
                self.assertEqual(r.status, 201, r)
                rel = r.json()
                self.assertEqual([n["nodeId"] for n in rel["diff"]["notReady"]], [rooted["id"]])
                self.assertEqual(d.call("POST", f"/admin/releases/{rel['id']}/execute").status, 200)
                done = wait_until(lambda: (x := d.call("GET", f"/admin/releases/{rel['id']}").json())["status"]
                                  == "succeeded" and x, 30, what="release succeeded")
            by_node = {n["nodeId"]: n for n in done["nodes"]}
            self.assertEqual(by_node[rooted["id"]]["status"], "skipped")
            self.assertIn("--root", by_node[rooted["id"]]["error"])
            self.assertFalse(by_node[rooted["id"]].get("tasks"))
            self.assertEqual(by_node[other["id"]]["status"], "succeeded")
            tasks = d.call("GET", f"/admin/tasks?nodeId={rooted['id']}").json()["items"]
            self.assertFalse([t for t in tasks if t["type"].startswith("Systemd")])


if __name__ == "__main__":
    unittest.main()
