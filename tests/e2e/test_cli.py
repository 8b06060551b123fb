"""The pagoda CLI against a real pagodad: tables and -o json, exit codes,
help without a token, declarative apply (the second apply changes
nothing), a release created with its diff, executed and watched to the end
(exit 0, and 4 when it fails), configs edited, diffed and published, errors
as the API gave them."""
import json
import os
import subprocess
import tempfile
import unittest

from harness import self_signed, Cluster, FakeAgentThread, wait_until

PAGODA = os.environ.get("PAGODA_CLI", "../../build/cli/pagoda")


class Cli(unittest.TestCase):
    def setUp(self):
        self.c = Cluster("--heartbeat-interval", "30")
        self.c.__enter__()
        self.d = self.c.daemon
        self.token_file = os.path.join(self.d.data_dir, "admin.token")

    def tearDown(self):
        self.c.__exit__(None, None, None)

    def run_cli(self, *args, token=True, input=None, env=None):
        base = [PAGODA, "--addr", self.d.url] + (["--token-file", self.token_file] if token else [])
        e = dict(os.environ, **(env or {}))
        e.pop("PAGODA_TOKEN", None)
        e.pop("PAGODA_TOKEN_FILE", None)
        p = subprocess.run(base + list(args), capture_output=True, text=True, input=input, env=e, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def write(self, name, data):
        path = os.path.join(self.c.tmp, name)
        with open(path, "w") as f:
            f.write(data if isinstance(data, str) else json.dumps(data))
        return path

    def test_help_exit_codes_and_errors(self):
        code, out, _ = self.run_cli("--help", token=False)
        self.assertEqual(code, 0)
        self.assertIn("exit codes", out)
        for noun in ("nodes", "apps", "releases", "configs", "certs", "registry", "policies", "alerts", "audit"):
            code, out, _ = self.run_cli(noun, "--help", token=False)
            self.assertEqual(code, 0, noun)
            self.assertIn(f"pagoda {noun}", out)
        self.assertEqual(self.run_cli(token=False)[0], 2)
        code, _, err = self.run_cli("nodes", "ls", token=False)
        self.assertEqual(code, 2)
        self.assertIn("--token-file", err)
        code, _, err = self.run_cli("nodes", "show", "abc")  # a name now: there is none
        self.assertEqual(code, 1)
        self.assertIn("no node named abc", err)
        self.assertEqual(self.run_cli("frobnicate", "now")[0], 2)
        code, _, err = self.run_cli("nodes", "show", "999")
        self.assertEqual(code, 1)
        self.assertIn("404 not_found", err)
        code, _, err = self.run_cli("nodes", "run", "1", "Nope", "{}")
        self.assertEqual(code, 1)
        code, _, err = self.run_cli("--addr", "http://127.0.0.1:1", "nodes", "ls")
        self.assertEqual(code, 3)
        # the token from the environment works too
        with open(self.token_file) as f:
            tok = f.read().strip()
        p = subprocess.run([PAGODA, "--addr", self.d.url, "nodes", "ls"], capture_output=True, text=True,
                           env=dict(os.environ, PAGODA_TOKEN=tok))
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_parser_refuses_what_it_does_not_know(self):
        """Every line is checked against the command table before a token is
        read or anything is sent: unknown commands and flags exit 2 with the
        nearest one named; help and version need no token; flags go anywhere."""
        cases = [
            (("nodes", "ls", "--selecter", "role=x"), "unknown flag --selecter for 'nodes ls' (did you mean --selector?)"),
            (("audit", "--actionn", "x"), "unknown flag --actionn for 'audit' (did you mean --action?)"),
            (("node", "ls"), "unknown command 'node' (did you mean 'nodes'?)"),
            (("nodes", "lst"), "unknown command 'nodes lst' (did you mean 'nodes ls'?)"),
            (("nodes", "ls", "-o", "yaml"), "-o takes table or json, not yaml"),
            (("nodes", "ls", "--status"), "--status needs a value"),
            (("nodes", "show", "1", "2"), "'nodes show' takes NODE (too many words)"),
            (("apps",), "'apps' needs a command: ls show"),
        ]
        for args, said in cases:
            code, out, err = self.run_cli(*args, token=False)
            self.assertEqual((code, out), (2, ""), args)
            self.assertIn(said, err, args)
            self.assertNotIn("--token-file", err, "a wrong line is refused before the token is looked for")
        for args in (("nodes", "ls", "--help"), ("releases", "watch", "--help"), ("logs", "-h")):
            code, out, err = self.run_cli(*args, token=False)
            self.assertEqual(code, 0, (args, err))
            self.assertTrue(out.startswith("usage: pagoda " + " ".join(a for a in args if not a.startswith("-"))), out)
        code, out, _ = self.run_cli("--version", token=False)
        self.assertEqual(code, 0)
        self.assertRegex(out, r"^pagoda \d+\.\d+")
        # global flags after the command, --flag=value
        self.d.create_node("web-1", "10.0.0.1", {"role": "web"})
        self.d.create_node("db-1", "10.0.0.2", {"role": "db"})
        code, out, err = self.run_cli("nodes", "ls", "-o", "json", "--selector=role=web")
        self.assertEqual(code, 0, err)
        self.assertEqual([x["name"] for x in json.loads(out)], ["web-1"])

    def test_every_command_comes_from_the_table(self):
        """The help lists each command of the table once; each answers
        --help with its own usage line (no token), and each refuses a wrong
        number of words and a missing required flag before sending anything."""
        _, out, _ = self.run_cli("--help", token=False)
        commands = []
        for line in out.split("commands (pagoda COMMAND --help for one):\n")[1].splitlines():
            noun, _, rest = line.strip().partition(" ")
            rest = rest.strip()
            if rest.startswith("pagoda "):
                commands.append((noun,))
            else:
                commands += [(noun, v.strip()) for v in rest.split(",")]
        self.assertGreater(len(commands), 55)
        self.assertEqual(len(commands), len(set(commands)))
        for cmd in commands:
            code, out, err = self.run_cli(*cmd, "--help", token=False)
            self.assertEqual(code, 0, (cmd, err))
            self.assertTrue(out.startswith("usage: pagoda " + " ".join(cmd)), (cmd, out))
        for args, said in ((("apps", "apply"), "'apps apply' needs -f"),
                           (("plan",), "'plan' needs -f"),
                           (("nodes", "upgrade"), "'nodes upgrade' needs --to"),
                           (("certs", "deploy", "web"), "'certs deploy' needs --nodes"),
                           (("backup", "get", "b1"), "'backup get' needs --out"),
                           (("releases", "show", "nope"), "a release is an id or APP@vN, not 'nope'"),
                           (("tasks", "show", "x"), "a task is a numeric id, not 'x'"),
                           (("logs", "shop", "--lines", "0"), "--lines takes 1 to 1000"),
                           (("configs", "diff", "c", "1", "two"), "FROM and TO are version numbers")):
            code, out, err = self.run_cli(*args)
            self.assertEqual((code, out), (2, ""), args)
            self.assertIn(said, err, args)

    def test_shell_completion(self):
        """pagoda completion bash wires the table into bash: commands, verbs,
        flags, and application names asked of pagodad."""
        r = self.d.call("POST", "/admin/apps", {"name": "shop", "type": "SystemdService", "selector": {"labels": "a=b"},
                                                "spec": {"unit": {"exec": "/bin/true"}}})
        self.assertEqual(r.status, 201, r)
        script = subprocess.run([PAGODA, "completion", "bash"], capture_output=True, text=True, check=True).stdout

        def complete(*words):
            line = " ".join(f"'{w}'" for w in words)
            prog = (f"{script}\nCOMP_WORDS=({PAGODA} {line}); COMP_CWORD={len(words)}; _pagoda; "
                    'printf "%s\\n" "${COMPREPLY[@]}"')
            p = subprocess.run(["bash", "-c", prog], capture_output=True, text=True,
                               env=dict(os.environ, PAGODA_ADDR=self.d.url, PAGODA_TOKEN_FILE=self.token_file))
            return [x for x in p.stdout.splitlines() if x]
        self.assertEqual(complete("nod"), ["nodes"])
        self.assertIn("rotate-token", complete("nodes", ""))
        self.assertEqual(complete("nodes", "ls", "--s"), ["--selector", "--status"])
        self.assertEqual(complete("-o", ""), ["table", "json"])
        self.assertEqual(complete("apps", "show", "s"), ["shop"])
        self.assertEqual(complete("logs", ""), ["shop"])
        self.assertEqual(subprocess.run([PAGODA, "completion", "fish"], capture_output=True).returncode, 2)
        self.assertIn("bashcompinit", subprocess.run([PAGODA, "completion", "zsh"], capture_output=True,
                                                     text=True).stdout)

    def test_lists_follow_pages_and_say_when_empty(self):
        code, out, _ = self.run_cli("apps", "ls")
        self.assertEqual((code, out), (0, "no applications\n"))
        code, out, _ = self.run_cli("nodes", "ls")
        self.assertEqual((code, out), (0, "no nodes\n"))
        for i in range(1005):  # more than a page of 1,000
            self.d.create_node(f"n{i}", f"10.1.{i // 256}.{i % 256}")
        code, out, err = self.run_cli("nodes", "ls", "-o", "json")
        self.assertEqual(code, 0, err)
        self.assertEqual(len({x["id"] for x in json.loads(out)}), 1005)

    def test_transport_errors_say_what_to_do(self):
        """Connection and TLS failures name the fix, not only libcurl's words."""
        with Cluster(tls=True) as tc:
            d = tc.daemon
            tok = os.path.join(d.data_dir, "admin.token")
            port = d.url.rsplit(":", 1)[1]

            def run(*args):
                p = subprocess.run([PAGODA, "--token-file", tok, *args, "nodes", "ls"], capture_output=True,
                                   text=True, timeout=30)
                return p.returncode, p.stderr
            code, err = run("--addr", d.url)
            self.assertEqual(code, 3)
            self.assertIn("give --ca-file DATA-DIR/tls/ca.crt", err)
            code, err = run("--addr", f"http://127.0.0.1:{port}")
            self.assertEqual(code, 3)
            self.assertIn("does it speak HTTPS?", err)
            code, err = run("--addr", "http://127.0.0.1:1")
            self.assertEqual(code, 3)
            self.assertIn("nothing answers there", err)
            self.assertEqual(run("--addr", d.url, "--ca-file", d.ca_file)[0], 0)
            with open(os.path.join(tc.tmp, "bad.token"), "w") as f:
                f.write("pga_nope\n")
            p = subprocess.run([PAGODA, "--addr", d.url, "--ca-file", d.ca_file, "--token-file",
                                os.path.join(tc.tmp, "bad.token"), "nodes", "ls"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 1)
            self.assertIn("the token was refused", p.stderr)

    def test_nodes_tables_json_and_actions(self):
        n = self.d.create_node("web-1", "10.0.0.1", {"role": "web"})
        self.d.create_node("db-1", "10.0.0.2", {"role": "db"})
        code, out, err = self.run_cli("nodes", "ls")
        self.assertEqual(code, 0, err)
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("ID") and "STATUS" in lines[0] and "LABELS" in lines[0])
        self.assertTrue(any("web-1" in x and "role=web" in x for x in lines[1:]))
        code, out, _ = self.run_cli("-o", "json", "nodes", "ls", "--selector", "role=web")
        self.assertEqual([x["name"] for x in json.loads(out)], ["web-1"])
        code, out, _ = self.run_cli("nodes", "cordon", str(n["id"]))
        self.assertEqual(code, 0)
        self.assertEqual(self.d.node(n["id"])["status"], "cordoned")
        self.assertEqual(self.run_cli("nodes", "uncordon", str(n["id"]))[0], 0)
        code, out, _ = self.run_cli("-o", "json", "nodes", "run", str(n["id"]), "ApplyConfigFiles",
                                    '{"files": [{"path": "/etc/pagoda/x.conf", "content": "a\\n"}]}')
        self.assertEqual(code, 0)
        self.assertEqual(json.loads(out)["type"], "ApplyConfigFiles")
        code, out, _ = self.run_cli("-o", "json", "nodes", "join-token", "pool", "--label", "role=web", "--ttl", "600")
        self.assertEqual(json.loads(out)["labels"], {"role": "web"})
        code, out, _ = self.run_cli("audit", "--action", "node.*")
        self.assertEqual(code, 0)
        self.assertIn("node.cordon", out)
        # the machine as its agent reports it, for people
        db = next(x for x in self.d.call("GET", "/admin/nodes").json()["items"] if x["name"] == "db-1")
        code, out, _ = self.run_cli("nodes", "show", str(db["id"]))
        self.assertIn("machine   (no heartbeat with facts yet)", out)
        self.c.agent(n)
        wait_until(lambda: self.d.node(n["id"])["facts"].get("kernel"), 10, what="facts")
        code, out, _ = self.run_cli("nodes", "show", str(n["id"]))
        self.assertEqual(code, 0)
        self.assertIn(f"kernel {os.uname().release}", out)
        self.assertRegex(out, rf"\ncpu       {os.cpu_count()}, load [0-9.]+ [0-9.]+ [0-9.]+\n")
        self.assertRegex(out, r"\nmemory    [0-9.]+ \w+ of [0-9.]+ \w+ used \(\d+%\)\n")
        self.assertRegex(out, r"\ndisk      / +[0-9.]+ \w+ of [0-9.]+ \w+ used \(\d+%\)\n")
        self.assertNotIn('"facts"', out)
        for args in (("tasks", "ls"), ("certs", "ls"), ("policies", "ls"), ("registry", "services"),
                     ("alerts", "ls"), ("configs", "ls"), ("apps", "ls")):
            code, out, err = self.run_cli(*args)
            self.assertEqual(code, 0, (args, err))

    def test_apply_twice_then_release_and_watch(self):
        nodes = [self.d.create_node(f"web-{i}", f"10.0.0.{i + 1}", {"role": "web"}) for i in range(3)]
        app = {"name": "shop", "type": "SystemdService", "selector": {"labels": "role=web"},
               "strategy": {"batchSize": 2},
               "spec": {"unit": {"exec": "/usr/bin/python3", "args": ["-m", "http.server", "9000"]},
                        "listenPort": 9000}}
        path = self.write("app.json", app)
        code, out, err = self.run_cli("apply", "-f", path)
        self.assertEqual(code, 0, err)
        self.assertIn("app default/shop created", out)
        before = self.d.snapshot()
        code, out, _ = self.run_cli("apply", "-f", path)
        self.assertEqual((code, out.split("(")[0].strip()), (0, "app default/shop unchanged"))
        self.assertEqual(self.d.snapshot(), before, "a second apply of the same file changes nothing")
        app["spec"]["unit"]["args"][-1] = "9100"
        code, out, _ = self.run_cli("apply", "-f", self.write("app.json", app))
        self.assertIn("app default/shop updated", out)
        self.assertIn("spec", out)
        app_id = json.loads(self.run_cli("-o", "json", "apps", "ls")[1])[0]["id"]

        with FakeAgentThread(self.d, nodes):
            wait_until(lambda: all(self.d.node(n["id"])["status"] == "online" for n in nodes), 10, what="online")
            code, out, err = self.run_cli("releases", "create", str(app_id))
            self.assertEqual(code, 0, err)
            self.assertIn("release ", out)
            self.assertIn("+", out)  # the diff of what it rolls out
            rid = json.loads(self.run_cli("-o", "json", "releases", "ls", str(app_id))[1])[0]["id"]
            self.assertEqual(self.run_cli("releases", "execute", str(rid))[0], 0)
            code, out, err = self.run_cli("releases", "watch", str(rid))
            self.assertEqual(code, 0, out + err)
            self.assertIn("batch 1", out)
            self.assertIn("batch 2", out)
            self.assertIn("succeeded", out.splitlines()[-3])
        # a release that fails: watch says so with exit code 4
        app["spec"]["unit"]["args"][-1] = "9200"
        self.run_cli("apply", "-f", self.write("app.json", app))
        with FakeAgentThread(self.d, nodes, fail=lambda n, t: t["type"] == "SystemdControl"):
            self.run_cli("releases", "create", str(app_id))
            rid = json.loads(self.run_cli("-o", "json", "releases", "ls", str(app_id))[1])[0]["id"]
            self.run_cli("releases", "execute", str(rid))
            code, out, err = self.run_cli("releases", "watch", str(rid))
            self.assertEqual(code, 4, out)
            # each failed node with its failed task's error, and one line for the release
            self.assertRegex(err, r"node \d+ failed: SystemdControl \(task \d+\): simulated failure")
            self.assertRegex(err.splitlines()[-1],
                             rf"^pagoda: release {rid} (failed|rolled_back): node \d+ failed: SystemdControl")
        # names where ids go, and a deploy in one command
        code, out, err = self.run_cli("apps", "show", "shop")
        self.assertEqual(code, 0, err)
        # show as sections: nested spec, the state, nodes, releases and events
        self.assertIn("spec:\n  unit:\n    exec", out)
        self.assertRegex(out, r"\nstate  (failed|degraded|running)")
        for section in ("\nnodes:\n", "\nreleases (newest first):\n", "\nevents:\n"):
            self.assertIn(section, out)
        self.assertIn("app.update", out)
        self.assertEqual(self.run_cli("-o", "json", "apps", "show", "default/shop")[0], 0)
        code, _, err = self.run_cli("apps", "show", "nope")
        self.assertEqual(code, 1)
        self.assertIn("no application named nope", err)
        app["spec"]["unit"]["args"][-1] = "9300"
        self.run_cli("apply", "-f", self.write("app.json", app))
        with FakeAgentThread(self.d, nodes):
            code, out, err = self.run_cli("deploy", "shop", "--note", "one command")
            self.assertEqual(code, 0, out + err)
            self.assertIn("9300", out)  # the diff first
            self.assertIn("succeeded", out)
        rels = json.loads(self.run_cli("-o", "json", "releases", "ls", "shop")[1])
        self.assertEqual((rels[0]["status"], rels[0]["note"]), ("succeeded", "one command"))
        # releases as APP@vN, nodes by name
        code, out, err = self.run_cli("-o", "json", "releases", "show", f"shop@v{rels[0]['version']}")
        self.assertEqual((code, json.loads(out)["id"]), (0, rels[0]["id"]), err)
        code, _, err = self.run_cli("releases", "show", "shop@v99")
        self.assertEqual(code, 1)
        self.assertIn("shop has no release v99", err)
        code, out, err = self.run_cli("-o", "json", "nodes", "show", "web-1")
        self.assertEqual((code, json.loads(out)["name"]), (0, "web-1"), err)
        self.assertIn("no node named web-9", self.run_cli("nodes", "cordon", "web-9")[2])

    def test_apply_honours_namespace_and_plan_changes_nothing(self):
        base = {"name": "shop", "type": "SystemdService", "selector": {"labels": "role=web"},
                "spec": {"unit": {"exec": "/usr/bin/python3", "args": ["-m", "http.server", "9000"]},
                         "listenPort": 9000}}
        code, out, err = self.run_cli("plan", "-f", self.write("prod.json", base))
        self.assertEqual((code, out.splitlines()[0]), (0, "app default/shop would be created"), err)
        self.assertIn("  ~ spec: (unset) -> ", out)
        self.assertEqual(self.run_cli("-o", "json", "apps", "ls")[1].strip(), "[]", "plan created nothing")
        self.assertEqual(self.run_cli("apply", "-f", self.write("prod.json", dict(base, namespace="default")))[0], 0)
        # another namespace is another application: refused before anything is sent
        before = self.d.snapshot()
        staging = dict(base, namespace="staging")
        staging["spec"] = dict(base["spec"], listenPort=9100)
        code, out, err = self.run_cli("apply", "-f", self.write("staging.json", staging))
        self.assertEqual((code, out), (2, ""))
        self.assertIn("namespace staging: applications live in namespace default only", err)
        self.assertEqual(self.d.snapshot(), before, "default/shop untouched")
        # a change planned path by path, changing nothing, then applied
        changed = dict(base, spec=dict(base["spec"], listenPort=9100))
        code, out, _ = self.run_cli("apply", "--dry-run", "-f", self.write("prod.json", changed))
        self.assertIn("app default/shop (id ", out)
        self.assertIn("  ~ spec.listenPort: 9000 -> 9100", out)
        self.assertEqual(self.d.snapshot(), before, "a dry run changes nothing")
        self.assertEqual(self.run_cli("apply", "-f", self.write("prod.json", changed))[0], 0)
        self.assertEqual(json.loads(self.run_cli("-o", "json", "apps", "ls")[1])[0]["spec"]["listenPort"], 9100)

    def test_configs_edit_diff_publish(self):
        r = self.d.call("POST", "/admin/configs", {"name": "app.conf", "format": "text", "content": "a = 1\n"})
        cid = str(r.json()["id"])
        code, out, err = self.run_cli("configs", "edit", cid, "-f", self.write("c.txt", "a = 2\n"),
                                      "--message", "bump")
        self.assertEqual(code, 0, err)
        code, out, _ = self.run_cli("configs", "diff", cid, "1", "2")
        self.assertIn("-a = 1\n+a = 2\n", out)
        self.assertEqual(self.run_cli("configs", "publish", cid)[0], 0)
        code, out, _ = self.run_cli("configs", "show", cid)
        self.assertEqual(out, "a = 2\n")
        code, out, _ = self.run_cli("-o", "json", "configs", "ls")
        self.assertEqual(json.loads(out)[0]["releasedVersion"], 2)
        code, out, _ = self.run_cli("configs", "versions", cid)
        self.assertIn("bump", out)
        # by name too, a '/' in it included; an unknown name says so
        self.d.call("POST", "/admin/configs", {"name": "hello/conf", "format": "text", "content": "x = 1\n"})
        self.assertEqual(self.run_cli("configs", "show", "app.conf")[1], "a = 2\n")
        code, out, err = self.run_cli("configs", "versions", "hello/conf")
        self.assertEqual(code, 0, err)
        code, _, err = self.run_cli("configs", "show", "nope.conf")
        self.assertNotEqual(code, 0)
        self.assertIn("no configuration item named nope.conf", err)
        crt, key = self_signed(tempfile.mkdtemp(prefix="pagoda-cli-"), "site.example.test")
        r = self.d.call("POST", "/admin/certificates", {"name": "site", "certPem": open(crt).read(),
                                                        "keyPem": open(key).read()})
        self.assertEqual(r.status, 201, r)
        code, out, err = self.run_cli("certs", "show", "site")
        self.assertEqual(code, 0, err)
        self.assertIn("site", out)
        self.assertIn("no certificate named other", self.run_cli("certs", "show", "other")[2])


if __name__ == "__main__":
    unittest.main()
