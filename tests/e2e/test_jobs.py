"""Scheduled jobs on a real node (issue 19): a network namespace with
systemd as PID 1. A SystemdService with spec.schedule becomes a oneshot
service and a timer; the timer runs it on its calendar, its runs (start,
duration, result, exit status) come from systemd's journal, "run now" runs
it at once, a failing run raises the job_failed alert and a later good run
resolves it, a bad calendar is refused with its field, and stopping the
application stops the timer."""
import json
import os
import signal
import tempfile
import time
import unittest

from fleet import Fleet, fleet_supported
from harness import Pagodad, wait_until


def job_spec(calendar, code=0):
    # the exit status comes from a file the test rewrites: one release,
    # runs that fail and then succeed
    script = f"echo run $(date +%s.%N); exit $(cat /etc/pagoda-job-exit 2>/dev/null || echo {code})"
    return {"unit": {"exec": "/bin/sh", "args": ["-c", script]},
            "schedule": {"calendar": calendar, "accuracySec": 1}}


@unittest.skipUnless(fleet_supported(), "needs root, unshare, systemd and nginx")
class Jobs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pagoda-jobs-", dir="/var/tmp")
        cls.fleet = Fleet(cls.tmp, 1).up()
        cls.d = Pagodad(cls.tmp, "--poll-wait", "5", "--alert-interval", "500", host=cls.fleet.host_ip, tls=True)
        try:
            cls.d.start()
            cls.fleet.join(cls.d, lambda n: {"role": "jobs"}, state_interval=1)
            cls.node = cls.fleet.nodes[0]
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.d.stop(signal.SIGKILL)
        cls.fleet.down()

    def runs(self, n=20):
        r = self.d.call("POST", f"/admin/apps/{self.app}/inspect", {"runs": n, "lines": 5})
        self.assertEqual(r.status, 201, r)
        task = self.d.wait_task(r.json()["tasks"][0]["taskId"], "succeeded", 20)
        return task["result"]["runs"]

    def test_1_bad_schedules_are_refused(self):
        base = {"name": "bad", "type": "SystemdService", "selector": {"labels": "role=jobs"}}
        for spec, field in [(job_spec("every day"), "spec.schedule.calendar"),
                            (job_spec("*-*-* 25:00"), "spec.schedule.calendar"),
                            (job_spec("daily\nExecStart=/bin/sh"), "spec.schedule.calendar"),
                            ({**job_spec("daily"), "listenPort": 9000}, "spec.listenPort"),
                            ({**job_spec("daily"), "schedule": {"calendar": "daily", "every": 1}},
                             "spec.schedule.every"),
                            ({"unit": {"exec": "/bin/true", "restart": "always"}, "schedule": {"calendar": "daily"}},
                             "spec.unit.restart")]:
            r = self.d.call("POST", "/admin/apps", {**base, "spec": spec})
            self.assertEqual((r.status, r.error.get("field")), (400, field), (spec, r))
        self.assertEqual(self.d.call("GET", "/admin/apps").json()["items"], [])

    def test_2_the_timer_runs_the_job(self):
        r = self.d.call("POST", "/admin/apps", {"name": "tick", "type": "SystemdService",
                                                "selector": {"labels": "role=jobs"},
                                                "spec": job_spec("*:*:0/2")})
        self.assertEqual(r.status, 201, r)
        type(self).app = r.json()["id"]
        rel = self.d.release(self.app, context=lambda: self.node.agent_log()[-2000:])
        self.assertEqual([t["type"] for t in rel["nodes"][0]["tasks"]],
                         ["SystemdInstallUnit", "SystemdInstallUnit", "SystemdControl"])
        self.assertIn("+OnCalendar=*:*:0/2", rel["diffText"])
        unit = self.node.run("cat", "/etc/systemd/system/tick.service").stdout
        self.assertIn("Type=oneshot\n", unit)
        self.assertNotIn("[Install]", unit)
        self.assertIn("OnCalendar=*:*:0/2\n", self.node.run("cat", "/etc/systemd/system/tick.timer").stdout)
        self.assertEqual(self.node.run("systemctl", "is-enabled", "tick.timer").stdout.strip(), "enabled")
        self.assertEqual(self.node.run("systemctl", "is-active", "tick.timer").stdout.strip(), "active")
        runs = wait_until(lambda: (r := self.runs()) and len([x for x in r if x["result"] == "succeeded"]) >= 2 and r,
                          30, interval=1, what="two runs by the timer")
        done = [x for x in runs if x["result"] == "succeeded"]
        self.assertGreater(done[0]["startedAtMs"], done[1]["startedAtMs"], "newest first")
        for x in done:
            self.assertEqual(x.get("exitStatus", 0), 0)
            self.assertGreaterEqual(x["durationMs"], 0)
            self.assertLess(x["durationMs"], 5000)
        # the job is not a service: a rolling restart is refused, pointing at run
        r = self.d.call("POST", f"/admin/apps/{self.app}/restart", {})
        self.assertEqual(r.status, 422, r)
        self.assertIn("/run", r.error["message"])

    def test_3_a_failing_run_alerts_and_a_good_one_resolves(self):
        self.node.run("sh", "-c", "echo 3 > /etc/pagoda-job-exit")

        def alerts(status):
            return [a for a in self.d.call("GET", f"/admin/alerts?rule=job_failed&status={status}").json()["items"]]

        try:
            fired = wait_until(lambda: alerts("firing"), 30, interval=0.5, what="job_failed firing")
        finally:
            self.node.run("sh", "-c", "echo 0 > /etc/pagoda-job-exit")
        self.assertEqual(fired[0]["subject"], f"app:{self.app}:node:{self.node.info['id']}")
        self.assertIn("tick", fired[0]["summary"])
        failed = [x for x in self.runs() if x["result"] == "failed"]
        self.assertTrue(failed, "the failed run is in the history")
        self.assertEqual((failed[0]["exitStatus"], failed[0]["unitResult"]), (3, "exit-code"))
        wait_until(lambda: alerts("resolved"), 30, interval=0.5, what="resolved after a good run")

    def test_4_run_now(self):
        # a calendar far away: only "run now" runs it
        self.assertEqual(self.d.call("PUT", f"/admin/apps/{self.app}", {"spec": job_spec("2199-01-01 00:00:00")}).status, 200)
        self.d.release(self.app)
        time.sleep(2.5)
        before = len(self.runs(100))
        r = self.d.call("POST", f"/admin/apps/{self.app}/run")
        self.assertEqual(r.status, 201, r)
        self.d.wait_task(r.json()["tasks"][0]["taskId"], "succeeded", 20)
        wait_until(lambda: len([x for x in self.runs(100) if x["result"] == "succeeded"]) > 0 and
                   len(self.runs(100)) == before + 1, 20, interval=1, what="one more run")
        self.assertEqual(self.d.audit(action="app.run")[0]["targetId"], str(self.app))
        r = self.d.call("POST", f"/admin/apps/{self.app}/run", {"now": True})
        self.assertEqual(r.status, 400, r)

    def test_5_stopping_the_job_stops_its_timer(self):
        self.assertEqual(self.d.call("PUT", f"/admin/apps/{self.app}", {"desiredState": "Stopped"}).status, 200)
        self.d.release(self.app)
        self.assertEqual(self.node.run("systemctl", "is-active", "tick.timer", check=False).stdout.strip(), "inactive")


if __name__ == "__main__":
    unittest.main()
