"""Settings from a config file, the environment and flags (issue 18), on the
real binaries: precedence flag > environment > file > default, where each
value came from in --print-config (secrets masked), and every refusal
stopping the daemon at start with file, line and key."""
import os
import subprocess
import tempfile
import unittest

from harness import PAGODA_AGENT, PAGODAD, Cluster, request


def run(binary, *args, env=None, config=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("PAGODA_") or k.startswith("PAGODA_TEST")}
    e.update(env or {})
    cmd = [binary, *(["--config", config] if config else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=20, env=e)


def conf(tmp, text):
    path = os.path.join(tmp, "x.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


class Settings(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pagoda-settings-")

    def test_precedence_and_print_config(self):
        c = conf(self.tmp, "listen = 127.0.0.1:1\ndata-dir = /var/lib/x\nhttp-threads = 3\n"
                           "store = postgres://pagoda:hunter2@db.example/pagoda\n[backup]\nkeep = 5\n")
        r = run(PAGODAD, "--print-config", "--http-threads", "9", config=c, env={"PAGODA_LISTEN": "127.0.0.1:2"})
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        self.assertIn("listen = 127.0.0.1:2    ; environment", out)
        self.assertIn("http-threads = 9    ; flag", out)
        self.assertIn("data-dir = /var/lib/x    ; file", out)
        self.assertIn("poll-wait = 30    ; default", out)
        self.assertIn("[backup]\ninterval = 0    ; default\nkeep = 5    ; file", out)
        self.assertIn("store = postgres://pagoda:****@db.example/pagoda", out)
        self.assertNotIn("hunter2", out + r.stderr)
        r = run(PAGODA_AGENT, "--print-config", env={"PAGODA_AGENT_SERVER": "https://cp:8443",
                                                      "PAGODA_AGENT_TOKEN_FILE": "/t", "PAGODA_AGENT_STATE_DIR": "/s"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("server = https://cp:8443    ; environment", r.stdout)

    def test_refusals_name_file_line_and_key(self):
        cases = [
            ("listen = 127.0.0.1:1\nlissten = x\n", (), {}, "x.conf:2: unknown key 'lissten'"),
            ("http-threads = 0\n", (), {}, "x.conf:1: key 'http-threads': expected an integer from 1 to 256"),
            ("log-level = loud\n", (), {}, "bad value 'loud'"),
            ("listen = a\nlisten = b\n", (), {}, "x.conf:2: key 'listen' is set twice"),
            ("[backup]\nkeep = many\n", (), {}, "x.conf:2: key 'backup.keep'"),
            ("no equals sign here\n", (), {}, "x.conf:1: not an INI line"),
            ("", ("--bogus",), {}, "unknown flag --bogus"),
            ("", (), {"PAGODA_HTTP_THREADS": "lots"}, "for PAGODA_HTTP_THREADS"),
            ("listen = 127.0.0.1:1\n", (), {}, "--listen and --data-dir are required"),
            ("[backup]\ninterval = 60\n", ("--listen", "127.0.0.1:1", "--data-dir", "/x"), {},
             "need backup.passphrase-file"),
        ]
        for text, args, env, want in cases:
            with self.subTest(want=want):
                r = run(PAGODAD, *args, config=conf(self.tmp, text), env=env)
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertIn(want, r.stderr)
        r = run(PAGODAD, config=os.path.join(self.tmp, "missing.conf"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot read the config file", r.stderr)
        r = run(PAGODA_AGENT, config=conf(self.tmp, "serverr = https://x\n"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("x.conf:1: unknown key 'serverr'", r.stderr)

    def test_daemon_runs_from_its_config_file(self):
        with Cluster() as c:
            d = c.daemon
            d.stop()
            store = f"store = {d.store_url}\n" if d.store_url else ""
            c2 = conf(c.tmp, f"listen = 127.0.0.1:{d.port}\ndata-dir = {d.data_dir}\nheartbeat-interval = 7\n"
                             f"log-format = text\n{store}")
            p = subprocess.Popen([PAGODAD, "--config", c2], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            try:
                for _ in range(50):
                    try:
                        if request(d.url + "/healthz", timeout=1).status == 200:
                            break
                    except OSError:
                        pass
                    import time
                    time.sleep(0.1)
                node = d.create_node("n1")
                r = request(d.url + "/agent/heartbeat", "POST", {"nodeId": node["id"]}, token=node["token"])
                self.assertEqual(r.json()["nextPollIntervalMs"], 7000)
            finally:
                p.terminate()
                out = p.communicate(timeout=10)[0].decode()
            self.assertNotIn('{"ts"', out)  # log-format = text from the file


if __name__ == "__main__":
    unittest.main()
