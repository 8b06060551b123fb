"""The README's first command (issue 18): scripts/pagoda-up.sh brings up
pagodad and three sandbox machines, joins them with the one-line
installer, deploys a SystemdService and a ReverseProxy, prints a curl line
that answers through the proxy; Ctrl-C leaves nothing behind."""
import os
import re
import select
import signal
import subprocess
import tempfile
import time
import unittest

from fleet import fleet_supported, http_get
from harness import PAGODA_CLI, PAGODAD

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGES = os.environ.get("PAGODA_PACKAGES", "")


@unittest.skipUnless(fleet_supported(), "needs root, unshare, systemd and nginx")
@unittest.skipUnless(PACKAGES, "PAGODA_PACKAGES unset: scripts/test.sh builds the packages")
@unittest.skipIf(os.environ.get("PAGODA_TEST_STORE") == "postgres", "the quick start runs the SQLite store")
class QuickStart(unittest.TestCase):
    def test_up_deploys_and_ctrl_c_leaves_nothing(self):
        run = tempfile.mkdtemp(prefix="pagoda-up-", dir="/var/tmp")
        env = dict(os.environ, PAGODA_UP_NO_BUILD="1", PAGODA_RUN_DIR=run, PAGODAD=os.path.abspath(PAGODAD),
                   PAGODA_CLI=PAGODA_CLI)
        netns_before = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        p = subprocess.Popen([os.path.join(REPO, "scripts", "pagoda-up.sh")], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        out, end = "", time.time() + 240
        try:
            while "Press Ctrl-C" not in out:
                self.assertIsNone(p.poll(), out[-3000:])
                self.assertLess(time.time(), end, "pagoda-up.sh took too long: " + out[-3000:])
                # raw reads: a buffered readline would hide lines from select
                if select.select([p.stdout], [], [], 1)[0]:
                    out += os.read(p.stdout.fileno(), 65536).decode(errors="replace")
            m = re.search(r"curl -H 'Host: (\S+)' http://(\S+)/", out)
            self.assertTrue(m, out)
            code, body = http_get(m.group(2), host=m.group(1))
            self.assertEqual(code, 200, body)
            self.assertRegex(body, r"node=\S+ version=v1")
            self.assertRegex(out, r"console: +https://\S+/ui/")
            self.assertIn("admin token:", out)
            during = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
            self.assertGreaterEqual(len(during.splitlines()) - len(netns_before.splitlines()), 3)
        finally:
            p.send_signal(signal.SIGINT)
            rest = p.communicate(timeout=60)[0].decode(errors="replace")
        self.assertEqual(p.returncode, 0, rest)
        self.assertEqual(subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout,
                         netns_before)
        self.assertEqual(sorted(os.listdir(run)), ["pagodad.log"], "the sandbox left files behind")
        self.assertFalse(subprocess.run(["pgrep", "-f", f"--data-dir {run}"], capture_output=True).stdout)


if __name__ == "__main__":
    unittest.main()
