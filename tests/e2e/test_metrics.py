"""Logs as one JSON object per line with a trace id, and GET /metrics: the Prometheus text format, checked by a strict parser
written here and by Debian's prometheus_client parser; counters move with
the work pagodad does; the endpoint needs admin:metrics:read unless
--metrics-public."""
import json
import math
import re
import time
import unittest

from prometheus_client.parser import text_string_to_metric_families

from harness import Cluster, request, wait_until

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({NAME})(\{{{LABEL}(?:,{LABEL})*\}})? (\S+)$")


def strict_parse(text):
    """{(name, frozenset(labels)): value}; raises on anything malformed:
    samples before their TYPE, duplicate TYPE or series, bad values, histograms
    whose buckets are not cumulative or lack +Inf."""
    assert text.endswith("\n"), "the exposition ends with a newline"
    types, samples, order = {}, {}, []
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("# HELP "):
            assert re.match(rf"^# HELP {NAME} .+$", line), f"line {n}: {line}"
            continue
        if line.startswith("# TYPE "):
            m = re.match(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$", line)
            assert m, f"line {n}: {line}"
            assert m.group(1) not in types, f"line {n}: second TYPE for {m.group(1)}"
            types[m.group(1)] = m.group(2)
            order.append(m.group(1))
            continue
        assert not line.startswith("#") and line, f"line {n}: unexpected {line!r}"
        m = SAMPLE.match(line)
        assert m, f"line {n}: malformed sample {line!r}"
        name, labels, value = m.groups()
        base = re.sub(r"_(bucket|sum|count|total)$", "", name)
        family = name if name in types else base if base in types else None
        family = family or next((t for t in types if name.startswith(t)), None)
        assert order and family == order[-1], f"line {n}: {name} is not under its own TYPE"
        v = float(value)
        assert not math.isnan(v), f"line {n}: NaN"
        pairs = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels or ""))
        assert (name, pairs) not in samples, f"line {n}: duplicate series {line}"
        samples[(name, pairs)] = v
        if types[family] == "counter":
            assert v >= 0, f"line {n}: negative counter"
    for fam, t in types.items():
        if t != "histogram":
            continue
        series = {}
        for (name, labels), v in samples.items():
            if name == fam + "_bucket":
                rest = frozenset(p for p in labels if p[0] != "le")
                le = dict(labels)["le"]
                series.setdefault(rest, []).append((math.inf if le == "+Inf" else float(le), v))
        for rest, buckets in series.items():
            buckets.sort()
            assert buckets[-1][0] == math.inf, f"{fam}: no +Inf bucket"
            counts = [c for _, c in buckets]
            assert counts == sorted(counts), f"{fam}: buckets not cumulative"
            assert samples[(fam + "_count", rest)] == counts[-1], f"{fam}: _count differs from +Inf"
    return types, samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


class Metrics(unittest.TestCase):
    def scrape(self, d, token=None):
        r = request(d.url + "/metrics", token=token or d.admin)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        list(text_string_to_metric_families(r.body))  # Debian's parser accepts it too
        return strict_parse(r.body)

    def test_format_counters_and_permission(self):
        with Cluster() as c:
            d = c.daemon
            types, s = self.scrape(d)
            for fam, t in [("pagoda_nodes", "gauge"), ("pagoda_tasks", "gauge"), ("pagoda_agent_polls_waiting", "gauge"),
                           ("pagoda_lua_calls_total", "counter"), ("pagoda_alerts_firing", "gauge"),
                           ("pagoda_http_requests_total", "counter"),
                           ("pagoda_http_request_duration_seconds", "histogram")]:
                self.assertEqual(types.get(fam), t, fam)
            before = value(s, "pagoda_http_requests_total", route="/admin/nodes/:id", method="GET", status="404")

            n = d.create_node("node-a")
            for _ in range(3):
                d.call("GET", "/admin/nodes/999")
            a = c.agent(n)
            wait_until(lambda: d.node(n["id"])["status"] == "online", 10, what="online")
            r = d.queue(n["id"], "ApplyConfigFiles", {"files": [{"path": "/etc/pagoda/m.conf", "content": "x"}]})
            d.wait_task(r.json()["id"], "succeeded")
            types, s = self.scrape(d)
            self.assertEqual(value(s, "pagoda_http_requests_total", route="/admin/nodes/:id", method="GET",
                                   status="404") - before, 3)
            # the agent's heartbeats ride on its polls
            self.assertGreaterEqual(value(s, "pagoda_http_requests_total", route="/agent/tasks/poll", method="POST",
                                          status="200"), 1)
            self.assertEqual(value(s, "pagoda_nodes", status="online"), 1)
            self.assertEqual(value(s, "pagoda_tasks", type="ApplyConfigFiles", status="succeeded"), 1)
            self.assertEqual(value(s, "pagoda_task_duration_seconds_count", type="ApplyConfigFiles",
                                   status="succeeded"), 1)
            # the agent's long poll, once it is back from reporting the task
            wait_until(lambda: value(self.scrape(d)[1], "pagoda_agent_polls_waiting") >= 1, 10,
                       what="a long poll waiting")
            self.assertGreater(value(s, "pagoda_http_request_duration_seconds_count", route="/healthz", method="GET"), 0)

            # certificate days to expiry
            from harness import self_signed
            import tempfile
            crt, key = self_signed(tempfile.mkdtemp(), "m.test")
            with open(crt) as f1, open(key) as f2:
                self.assertEqual(d.call("POST", "/admin/certificates", {"name": "m.test", "certPem": f1.read(),
                                                                         "keyPem": f2.read()}).status, 201)
            _, s = self.scrape(d)
            import calendar
            cert = d.call("GET", "/admin/certificates").json()["items"][0]["current"]
            after = calendar.timegm(time.strptime(cert["notAfter"][:19], "%Y-%m-%dT%H:%M:%S"))
            self.assertEqual(value(s, "pagoda_certificate_expiry_timestamp_seconds", certificate="m.test"), after)
            # the build and the process, as Prometheus's own clients name them
            self.assertEqual(len([k for k in s if k[0] == "pagoda_build_info"]), 1)
            self.assertGreater(value(s, "process_resident_memory_bytes"), 1e6)
            self.assertGreater(value(s, "process_virtual_memory_bytes"), value(s, "process_resident_memory_bytes"))
            self.assertGreater(value(s, "process_open_fds"), 3)
            self.assertLessEqual(value(s, "process_open_fds"), value(s, "process_max_fds"))
            self.assertGreater(value(s, "process_cpu_seconds_total"), 0)
            # from the boot time /proc/stat gives in whole seconds (as Prometheus's clients do)
            self.assertLess(abs(value(s, "process_start_time_seconds") - time.time()), 120)

            # Prometheus's own checker (Debian's prometheus package) has nothing to say
            import shutil
            import subprocess
            r = request(d.url + "/metrics", token=d.admin)
            promtool = shutil.which("promtool")
            self.assertTrue(promtool, "promtool (apt-get install prometheus; scripts/install-deps.sh does)")
            p = subprocess.run([promtool, "check", "metrics"], input=r.body, capture_output=True, text=True)
            self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""))

            # a token without admin:metrics:read is refused
            t = d.call("POST", "/admin/tokens", {"name": "reader", "permissions": ["admin:node:read"]}).json()
            self.assertEqual(request(d.url + "/metrics", token=t["token"]).status, 403)
            self.assertEqual(request(d.url + "/metrics").status, 401)
            t = d.call("POST", "/admin/tokens", {"name": "prom", "permissions": ["admin:metrics:read"]}).json()
            self.scrape(d, token=t["token"])
            a.stop()

    def test_public_metrics(self):
        with Cluster("--metrics-public") as c:
            r = request(c.daemon.url + "/metrics")
            self.assertEqual(r.status, 200)
            strict_parse(r.body)

    def test_strict_parser_can_fail(self):
        for bad in ["x 1\n", "# TYPE a counter\na -1\n", "# TYPE a gauge\na{b=\"1} 2\n",
                    "# TYPE a histogram\na_bucket{le=\"1\"} 2\na_bucket{le=\"+Inf\"} 1\na_count 1\na_sum 0\n",
                    "# TYPE a gauge\na 1\na 2\n", "# TYPE a gauge\na 1"]:
            with self.assertRaises(AssertionError, msg=bad):
                strict_parse(bad)


class Logs(unittest.TestCase):
    def test_json_lines_with_trace_ids_and_text_for_people(self):
        with Cluster() as c:
            d = c.daemon
            trace = "0123456789abcdef0123456789abcdef"
            r = request(d.url + "/admin/nodes/12345", token=d.admin, headers={"X-Trace-Id": trace})
            self.assertEqual(r.status, 404)
            n = d.create_node("node-a")
            a = c.agent(n)
            rq = d.queue(n["id"], "ApplyConfigFiles", {"files": [{"path": "/etc/pagoda/l.conf", "content": "\x01é\n"}]},
                         headers={"X-Trace-Id": "feedfacefeedfacefeedfacefeedface"})
            d.wait_task(rq.json()["id"], "succeeded")
            a.stop()
            for log in (d.read_log(), a.read_log()):
                lines = [json.loads(line) for line in log.splitlines()]
                self.assertTrue(lines)
                for x in lines:
                    self.assertEqual(set(x) - {"trace"}, {"ts", "level", "component", "msg"}, x)
                    self.assertIn(x["level"], {"debug", "info", "warn", "error"})
            lines = [json.loads(line) for line in d.read_log().splitlines()]
            access = [x for x in lines if x["component"] == "http" and "/admin/nodes/12345" in x["msg"]]
            self.assertEqual([x.get("trace") for x in access], [trace])
            # the agent logs the task under the trace of the request that queued it
            agent = [json.loads(line) for line in a.read_log().splitlines()]
            self.assertTrue(any(x.get("trace") == "feedfacefeedfacefeedfacefeedface" for x in agent))
        with Cluster("--log-format", "text") as c:
            request(c.daemon.url + "/healthz")
            first = c.daemon.read_log().splitlines()[0]
            self.assertFalse(first.startswith("{"))
            self.assertRegex(first, r"^\d{4}-\d\d-\d\dT\S+ info \[\w+\] ")


if __name__ == "__main__":
    unittest.main()
