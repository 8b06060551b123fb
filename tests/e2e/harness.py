"""Test harness: real pagodad and pagoda-agent processes on loopback.

Binaries come from $PAGODAD and $PAGODA_AGENT (set by ctest). With
PAGODA_TEST_STORE=postgres every pagodad gets its own database on the server
PAGODA_TEST_PG_URL names (scripts/pg-test.sh starts a throwaway one), so the
same tests run against both stores.
"""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import ssl
import urllib.error
import urllib.parse
import urllib.request

PAGODAD = os.environ.get("PAGODAD", "../../build/core/pagodad")
PAGODA_AGENT = os.environ.get("PAGODA_AGENT", "../../build/agent/pagoda-agent")
PAGODA_CLI = os.path.abspath(os.environ.get("PAGODA_CLI", "../../build/cli/pagoda"))
PAGODA_LUA = os.environ.get("PAGODA_LUA", "../../build/core/pagoda-lua")
STORE = os.environ.get("PAGODA_TEST_STORE", "sqlite")
PG_URL = os.environ.get("PAGODA_TEST_PG_URL", "")


def psql(url, sql, *extra):
    """Runs sql on url with psql; returns stdout (unaligned, tuples only)."""
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", *extra, "-d", url, "-c", sql],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"psql: {r.stderr.strip()}")
    return r.stdout


def new_pg_database():
    """A fresh database on the test server; its URL."""
    if not PG_URL:
        raise unittest.SkipTest("PAGODA_TEST_STORE=postgres needs PAGODA_TEST_PG_URL")
    name = "t_" + os.urandom(6).hex()
    psql(PG_URL, f"CREATE DATABASE {name}")
    return PG_URL.rsplit("/", 1)[0] + "/" + name


def nginx_test(tmp, site_conf):
    """Runs the real `nginx -t` on one site file inside a minimal nginx.conf;
    returns (ok, output)."""
    os.makedirs(tmp, exist_ok=True)
    with open(os.path.join(tmp, "site.conf"), "w") as f:
        f.write(site_conf)
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
""")
    r = subprocess.run(["nginx", "-t", "-c", conf, "-p", tmp], capture_output=True, text=True)
    return r.returncode == 0, r.stderr


def self_signed(tmp, name="test"):
    """A throwaway certificate and key for nginx -t."""
    crt, key = os.path.join(tmp, name + ".crt"), os.path.join(tmp, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", crt, "-days", "1", "-subj", "/CN=" + name],
                   check=True, capture_output=True)
    return crt, key


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(fn, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class Response:
    def __init__(self, status, body, headers):
        self.status = status
        self.body = body
        self.headers = headers

    def json(self):
        return json.loads(self.body) if self.body else None

    @property
    def error(self):
        return (self.json() or {}).get("error", {})

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def request(url, method="GET", body=None, token=None, raw=None, headers=None, timeout=30, context=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as r:
            resp = Response(r.status, r.read().decode(), dict(r.headers))
    except urllib.error.HTTPError as e:
        resp = Response(e.code, e.read().decode(), dict(e.headers))
    check_answer(url, method, resp, body if raw is None else None)
    return resp


# Every answer of a pagodad these tests started is checked against
# docs/openapi.yaml (PAGODA_API_CHECK=0 turns it off), and so is every
# request body it accepted: the document describes what the end-to-end
# tests really send and get.
API_CHECK = os.environ.get("PAGODA_API_CHECK", "1") != "0"
DAEMON_URLS = set()
_checker = None


def api_checker():
    """The one Checker of this process (what it checked is in .checked)."""
    global _checker
    if _checker is None:
        from openapi_check import Checker
        _checker = Checker()
    return _checker


def check_answer(url, method, resp, body=None):
    parts = urllib.parse.urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    if not API_CHECK or base not in DAEMON_URLS:
        return
    checker = api_checker()
    path = urllib.parse.unquote(parts.path)
    if resp.status in (404, 405) and checker.operation(method, path)[1] is None:
        return  # probing a path or method that does not exist
    checker.check(method, path, resp.status, resp.body if resp.body and
                  resp.headers.get("Content-Type", "").startswith("application/json") else "")
    if resp.status < 300:
        checker.check_request(method, path, body)


class FakeAgentThread(threading.Thread):
    """Fake agents for nodes (as POST /admin/nodes returned them) speaking
    the agent protocol from a thread: heartbeats, polls, and a report for
    every task (failed when fail(node, task) says so), riding out pagodad
    restarts (connection errors are retried on the next round)."""

    def __init__(self, d, nodes, fail=lambda node, task: False):
        super().__init__(daemon=True)
        self.d, self.nodes, self.fail, self.stopping = d, nodes, fail, False
        self.reported = []

    def run(self):
        while not self.stopping:
            for n in self.nodes:
                try:
                    request(self.d.url + "/agent/heartbeat", "POST", {"nodeId": n["id"]}, token=n["token"], timeout=3)
                    r = request(self.d.url + "/agent/tasks/poll", "POST",
                                {"nodeId": n["id"], "waitSec": 0, "maxTasks": 20}, token=n["token"], timeout=3)
                    for t in (r.json() or {}).get("tasks", []):
                        bad = self.fail(n, t)
                        body = {"nodeId": n["id"], "taskId": t["taskId"], "attempt": t["attempt"],
                                "status": "failed" if bad else "succeeded"}
                        if bad:
                            body["errorMessage"] = "simulated failure"
                        rr = request(self.d.url + "/agent/tasks/report", "POST", body, token=n["token"], timeout=3)
                        if rr.status == 200:
                            self.reported.append(t["taskId"])
                except (OSError, urllib.error.URLError, ValueError):
                    pass
            time.sleep(0.05)


    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stopping = True
        self.join(5)


class Process:
    """A child process logging to its own file."""

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(15)
        if self.proc:
            self.log.close()
        self.proc = None


class Pagodad(Process):
    """One control plane with its own data dir and port."""

    def __init__(self, tmp, *extra, heartbeat=1, host="127.0.0.1", store_url=None, name="data", tls=False):
        self.data_dir = os.path.join(tmp, name)
        self.host = host
        self.port = free_port()
        self.tls = tls
        self.url = f"{'https' if tls else 'http'}://{host}:{self.port}"
        # --tls auto: a private CA made on first start, trusted by tests and agents
        self.ca_file = os.path.join(self.data_dir, "tls", "ca.crt") if tls else None
        self._ctx = None
        if tls:
            extra = ("--tls", "auto", *extra)
        # alert rules run hourly unless a test asks: background alerts would
        # otherwise change state under tests that check nothing changed
        self.extra = ["--heartbeat-interval", str(heartbeat), "--lease-grace", "1",
                      "--retry-backoff", "300", "--poll-wait", "5", "--alert-interval", "3600000", *extra]
        self.store_url = store_url or (new_pg_database() if STORE == "postgres" else None)
        if self.store_url:
            self.extra = ["--store", self.store_url, *self.extra]
        self.log_path = os.path.join(tmp, "pagodad.log" if name == "data" else f"pagodad-{name}.log")
        self.proc = None

    def start(self):
        DAEMON_URLS.add(self.url)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [PAGODAD, "--listen", f"{self.host}:{self.port}", "--data-dir", self.data_dir, *self.extra],
            stdout=self.log, stderr=self.log)
        wait_until(self._healthy, 10, what="pagodad /healthz")
        with open(os.path.join(self.data_dir, "admin.token")) as f:
            self.admin = f.read().strip()
        return self

    def context(self):
        """The TLS context that trusts this daemon's private CA (None for HTTP)."""
        if self.tls and self._ctx is None and os.path.exists(self.ca_file):
            self._ctx = ssl.create_default_context(cafile=self.ca_file)
        return self._ctx

    def _healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"pagodad exited with {self.proc.returncode}: {self.read_log()[-2000:]}")
        try:
            return request(self.url + "/healthz", timeout=2, context=self.context()).status == 200
        except OSError:
            return False

    def call(self, method, path, body=None, token=None, **kw):
        kw.setdefault("context", self.context())
        return request(self.url + path, method, body, token or self.admin, **kw)

    def events(self, path, token=None, timeout=60):
        """The server-sent events of GET path as (event, data) pairs, read as
        they come; closing the generator closes the connection."""
        req = urllib.request.Request(self.url + path, headers={
            "Authorization": f"Bearer {token or self.admin}", "Accept": "text/event-stream"})
        with urllib.request.urlopen(req, timeout=timeout, context=self.context()) as r:
            assert r.headers["Content-Type"] == "text/event-stream", r.headers
            event, data = "message", None
            for raw in r:
                line = raw.decode().rstrip("\r\n")
                if not line:
                    if data is not None:
                        yield event, json.loads(data)
                    event, data = "message", None
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]

    def sql(self, query, *params):
        """Runs one statement (? placeholders) on the store; rows as tuples of text."""
        if self.store_url:
            q = query
            for p in params:
                q = q.replace("?", "NULL" if p is None else "'" + str(p).replace("'", "''") + "'", 1)
            out = psql(self.store_url, q, "-F", "\x1f")
            return [tuple(line.split("\x1f")) for line in out.splitlines()]
        con = sqlite3.connect(os.path.join(self.data_dir, "pagoda.db"))
        try:
            rows = [tuple(None if v is None else str(v) for v in r) for r in con.execute(query, params)]
            con.commit()
            return rows
        finally:
            con.close()

    def stored_bytes(self):
        """Everything the store holds, as bytes: the SQLite files, or a dump."""
        if self.store_url:
            return subprocess.run(["pg_dump", "--data-only", "-d", self.store_url], capture_output=True,
                                  check=True).stdout
        data = b""
        for name in sorted(os.listdir(self.data_dir)):
            if name.startswith("pagoda.db"):
                with open(os.path.join(self.data_dir, name), "rb") as f:
                    data += f.read()
        return data

    def snapshot(self):
        """Every row of every table: 'nothing changed' means this is equal."""
        if self.store_url:
            tables = psql(self.store_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                                          " ORDER BY tablename").split()
            return "\n".join(t + ":\n" + psql(self.store_url, f"SELECT * FROM {t} ORDER BY 1") for t in tables)
        con = sqlite3.connect(f"file:{self.data_dir}/pagoda.db?mode=ro", uri=True)
        try:
            return "\n".join(con.iterdump())
        finally:
            con.close()

    def create_node(self, name, ip="127.0.0.1", labels=None):
        r = self.call("POST", "/admin/nodes", {"name": name, "ip": ip, "labels": labels or {}})
        assert r.status == 201, r
        return r.json()

    def queue(self, node_id, type_, payload, token=None, headers=None, **extra):
        return self.call("POST", f"/admin/nodes/{node_id}/tasks",
                         {"type": type_, "payload": payload, **extra}, token=token, headers=headers)

    def task(self, task_id):
        r = self.call("GET", f"/admin/tasks/{task_id}")
        assert r.status == 200, r
        return r.json()

    def wait_task(self, task_id, status, timeout=15):
        return wait_until(lambda: (t := self.task(task_id))["status"] == status and t,
                          timeout, what=f"task {task_id} {status}")

    def node(self, node_id):
        return self.call("GET", f"/admin/nodes/{node_id}").json()

    def release(self, app_id, expect="succeeded", timeout=120, context=lambda: ""):
        """Creates and executes a release of app_id and waits for it to end in expect."""
        r = self.call("POST", f"/admin/apps/{app_id}/releases", {})
        assert r.status == 201, r
        rid = r.json()["id"]
        r = self.call("POST", f"/admin/releases/{rid}/execute")
        assert r.status == 200, r
        return self.wait_release(rid, expect, timeout, context)

    def wait_release(self, rid, expect, timeout=120, context=lambda: ""):
        """Waits for release rid to end; fails with the release (and context())
        unless it ended in expect."""
        last = {}

        def done():
            last["r"] = self.call("GET", f"/admin/releases/{rid}").json()
            # a failed release may still turn rolled_back
            ends = ("succeeded", "rolled_back", "cancelled") + (() if expect == "rolled_back" else ("failed",))
            return last["r"]["status"] in ends and last["r"]
        try:
            rel = wait_until(done, timeout, interval=0.5, what=f"release {rid} finished")
        except AssertionError:
            raise AssertionError(f"release {rid} never ended: " + json.dumps(last.get("r"), indent=1)[:3000]
                                 + context()) from None
        assert rel["status"] == expect, f"release {rid} {rel['status']}, not {expect}: " + \
            json.dumps(rel, indent=1)[:3000] + context()
        return rel

    def audit(self, **filters):
        q = "&".join(f"{k}={v}" for k, v in filters.items())
        return self.call("GET", f"/admin/audit?{q}").json()["items"]


class Agent(Process):
    """One pagoda-agent writing under its own --root."""

    def __init__(self, tmp, daemon, node, *extra, name=None, trust=None):
        """node: as POST /admin/nodes returned it, or None for an agent that
        joins (give --join-token-file in extra). trust: the TLS/HTTP flags,
        by default --ca-file of the daemon's CA or --insecure-http."""
        name = name or f"agent-{node['id']}"
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.root = os.path.join(self.dir, "root")
        self.state = os.path.join(self.dir, "state")
        self.token_file = os.path.join(self.dir, "token")
        ident = []
        if node:
            with open(self.token_file, "w") as f:
                f.write(node["token"] + "\n")
            os.chmod(self.token_file, 0o600)
            ident = ["--node-id", str(node["id"])]
        # plain HTTP is allowed on loopback only, and only when asked
        if trust is None:
            trust = ["--ca-file", daemon.ca_file] if daemon.tls else ["--insecure-http"]
        self.args = [PAGODA_AGENT, "--server", daemon.url, *ident,
                     "--token-file", self.token_file, "--state-dir", self.state,
                     "--root", self.root, *trust, *extra]
        self.log_path = os.path.join(self.dir, "agent.log")
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=self.log)
        return self

    def path(self, node_path):
        return self.root + node_path


class Cluster:
    """Context for one test: a temp dir, a daemon, agents; all cleaned up."""

    def __init__(self, *extra, heartbeat=1, tls=False):
        self.tmp = tempfile.mkdtemp(prefix="pagoda-e2e-")
        self.daemon = Pagodad(self.tmp, *extra, heartbeat=heartbeat, tls=tls)
        self.agents = []

    def __enter__(self):
        self.daemon.start()
        return self

    def agent(self, node, *extra, start=True, **kw):
        a = Agent(self.tmp, self.daemon, node, *extra, **kw)
        self.agents.append(a)
        return a.start() if start else a

    def __exit__(self, *exc):
        for a in self.agents:
            a.stop(signal.SIGKILL)
        self.daemon.stop(signal.SIGKILL)
        if exc[0] is None:
            subprocess.run(["rm", "-rf", self.tmp])
        else:
            print(f"\n(test files kept in {self.tmp})")
