"""Backup and restore (issue 18): a backup taken while writes flow holds
every write acknowledged before it, restores into a fresh data dir where
sealed secrets and certificate keys still open and agents reconnect (the
private CA comes along); a wrong passphrase, a truncated or altered file
and a non-empty directory are refused with nothing written."""
import os
import shutil
import signal
import subprocess
import threading
import time
import unittest

from harness import PAGODA_CLI, PAGODAD, STORE, Cluster, Pagodad, wait_until

SECRET = "s3cret-DB-pass-for-backup"
PASSPHRASE = "correct horse battery staple"


def cli(d, *args):
    return subprocess.run([PAGODA_CLI, "--addr", d.url, "--token-file", os.path.join(d.data_dir, "admin.token"),
                           *(["--ca-file", d.ca_file] if d.tls else []), *args],
                          capture_output=True, text=True, timeout=120)


def restore(backup, data_dir, passphrase_file):
    return subprocess.run([PAGODAD, "restore", "--from", backup, "--data-dir", data_dir,
                           "--passphrase-file", passphrase_file], capture_output=True, text=True, timeout=60)


def write_secret(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)
    return path


def certificate(tmp):
    subprocess.run(f"cd {tmp} && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                   f"-keyout b.key -out b.crt -days 2 -subj /CN=bk.test -addext subjectAltName=DNS:bk.test",
                   shell=True, check=True, capture_output=True)
    return open(os.path.join(tmp, "b.crt")).read(), open(os.path.join(tmp, "b.key")).read()


@unittest.skipIf(STORE == "postgres", "a PostgreSQL store is backed up with PostgreSQL's tools (see PostgresKeyOnly)")
class BackupRestore(unittest.TestCase):
    def test_backup_under_writes_restores_elsewhere(self):
        with Cluster(tls=True) as c:
            d = c.daemon
            node = d.create_node("n1")
            agent = c.agent(node)
            wait_until(lambda: d.node(node["id"])["status"] == "online", 15, what="agent online")
            r = d.call("POST", "/admin/configs", {"name": "db.env", "format": "env", "secret": True,
                                                  "content": f"DB_PASS={SECRET}\n"})
            self.assertEqual(r.status, 201, r)
            secret_id = r.json()["id"]
            crt, key = certificate(c.tmp)
            r = d.call("POST", "/admin/certificates", {"name": "bk.test", "certPem": crt, "keyPem": key})
            self.assertEqual(r.status, 201, r)
            cert_id = r.json()["id"]

            # writes flow while the backup is taken
            acked, stop = [], threading.Event()

            def writer():
                i = 0
                while not stop.is_set():
                    r = d.call("POST", "/admin/configs", {"name": f"w-{i}", "content": f"n={i}\n"})
                    if r.status == 201:
                        acked.append(f"w-{i}")
                    i += 1

            t = threading.Thread(target=writer)
            t.start()
            wait_until(lambda: len(acked) >= 20, 20, what="writes flowing")
            before = list(acked)
            pass_file = write_secret(c.tmp, "pass", PASSPHRASE)
            backup = os.path.join(c.tmp, "cp.pgbk")
            r = cli(d, "backup", "create", "--passphrase-file", pass_file, "--out", backup)
            wait_until(lambda: len(acked) >= len(before) + 20, 20, what="writes after the backup")
            stop.set()
            t.join()
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(oct(os.stat(backup).st_mode & 0o777), "0o600")
            with open(backup, "rb") as f:
                raw = f.read()
            self.assertTrue(raw.startswith(b"PAGODABK"))
            for plain in (SECRET.encode(), b"SQLite format", b"BEGIN EC PRIVATE", b"w-1"):
                self.assertNotIn(plain, raw)
            listed = d.call("GET", "/admin/backups").json()["items"]
            self.assertEqual(len(listed), 1)
            self.assertFalse(listed[0]["scheduled"])
            self.assertTrue([e for e in d.audit() if e["action"] == "backup.create"])
            self.assertNotIn(PASSPHRASE, d.read_log())

            # another machine: the old control plane is gone, the backup
            # goes into a new data dir and takes over its address
            d.stop(signal.SIGKILL)
            new = Pagodad(c.tmp, name="restored", tls=True)
            r = restore(backup, new.data_dir, pass_file)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(sorted(os.listdir(new.data_dir)), ["master.key", "pagoda.db", "tls"])
            self.assertEqual(oct(os.stat(new.data_dir).st_mode & 0o777), "0o700")
            # the operator keeps their token; the restored store knows it
            shutil.copy(os.path.join(d.data_dir, "admin.token"), os.path.join(new.data_dir, "admin.token"))
            new.port, new.url = d.port, d.url
            c.daemon = new
            new.start()
            names = {i["name"] for i in new.call("GET", "/admin/configs?limit=1000").json()["items"]}
            missing = [n for n in before if n not in names]
            self.assertEqual(missing, [], "writes acknowledged before the backup are lost")
            shown = new.call("GET", f"/admin/configs/{secret_id}?reveal=true").json()["current"]["content"]
            self.assertEqual(shown, f"DB_PASS={SECRET}\n")
            # the agent pinned the old CA: the restored one is the same
            wait_until(lambda: new.node(node["id"])["status"] == "online", 20, what="agent reconnected")
            r = new.call("POST", f"/admin/certificates/{cert_id}/deploy", {"nodeIds": [node["id"]]})
            self.assertEqual(r.status, 202, r)
            wait_until(lambda: os.path.exists(agent.path("/etc/ssl/pagoda/bk.test.key")), 20, what="key deployed")
            with open(agent.path("/etc/ssl/pagoda/bk.test.key")) as f:
                self.assertEqual(f.read().strip(), key.strip())

    def test_refusals_write_nothing(self):
        with Cluster() as c:
            d = c.daemon
            d.create_node("n1")
            for body, field in [({"passphrase": "short"}, "passphrase"), ({}, "passphrase"),
                                ({"passphrase": PASSPHRASE, "x": 1}, "x")]:
                r = d.call("POST", "/admin/backups", body)
                self.assertEqual((r.status, r.error.get("field")), (400, field), r)
            self.assertEqual(d.call("GET", "/admin/backups").json()["items"], [])
            for bad in ("../../etc/passwd", "pagoda-backup-x.db", "x"):
                self.assertIn(d.call("GET", f"/admin/backups/{bad}").status, (400, 404))
            r = d.call("POST", "/admin/backups", {"passphrase": PASSPHRASE})
            self.assertEqual(r.status, 201, r)
            name = r.json()["name"]
            backup = os.path.join(c.tmp, "b.pgbk")
            shutil.copy(os.path.join(d.data_dir, "backups", name), backup)
            good = write_secret(c.tmp, "good", PASSPHRASE)
            wrong = write_secret(c.tmp, "wrong", PASSPHRASE + "!")
            raw = open(backup, "rb").read()
            truncated = os.path.join(c.tmp, "t.pgbk")
            open(truncated, "wb").write(raw[:len(raw) // 2])
            altered = os.path.join(c.tmp, "a.pgbk")
            flipped = bytearray(raw)
            flipped[len(raw) // 3] ^= 0x40
            open(altered, "wb").write(bytes(flipped))
            for src, pf, what in [(backup, wrong, "wrong passphrase"), (truncated, good, "truncated"),
                                  (altered, good, "altered"), (os.path.join(c.tmp, "none"), good, "missing")]:
                target = os.path.join(c.tmp, "restore-" + what.replace(" ", "-"))
                r = restore(src, target, pf)
                self.assertNotEqual(r.returncode, 0, what)
                self.assertTrue(r.stderr.strip(), what)
                self.assertFalse(os.path.exists(target), f"{what}: {target} was written")
            occupied = os.path.join(c.tmp, "occupied")
            os.makedirs(occupied)
            open(os.path.join(occupied, "keep"), "w").write("x")
            r = restore(backup, occupied, good)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("not empty", r.stderr)
            self.assertEqual(os.listdir(occupied), ["keep"])
            # an empty directory is fine, and the backup opens
            empty = os.path.join(c.tmp, "empty")
            os.makedirs(empty)
            r = restore(backup, empty, good)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(sorted(os.listdir(empty)), ["master.key", "pagoda.db"])
            self.assertEqual(open(os.path.join(empty, "master.key"), "rb").read(),
                             open(os.path.join(d.data_dir, "master.key"), "rb").read())
            self.assertEqual(d.call("DELETE", f"/admin/backups/{name}").status, 204)
            self.assertEqual(d.call("GET", f"/admin/backups/{name}").status, 404)

    def test_scheduled_backups_keep_the_newest(self):
        tmp_pass = write_secret("/tmp", f"pagoda-bk-{os.getpid()}", PASSPHRASE)
        try:
            with Cluster("--backup-interval", "1", "--backup-keep", "2",
                         "--backup-passphrase-file", tmp_pass) as c:
                d = c.daemon

                def scheduled():
                    return [b for b in d.call("GET", "/admin/backups").json()["items"] if b["scheduled"]]
                first = wait_until(lambda: scheduled() and scheduled()[0]["name"], 10, what="a scheduled backup")
                wait_until(lambda: first not in [b["name"] for b in scheduled()], 15, what="the oldest expired")
                self.assertLessEqual(len(scheduled()), 2)
                self.assertTrue([e for e in d.audit() if e["action"] == "backup.create"
                                 and e["actor"].startswith("system")])
        finally:
            os.unlink(tmp_pass)


@unittest.skipUnless(STORE == "postgres", "PostgreSQL only")
class PostgresKeyOnly(unittest.TestCase):
    def test_backup_holds_the_key_and_says_the_database_is_not_in_it(self):
        with Cluster() as c:
            d = c.daemon
            r = d.call("POST", "/admin/backups", {"passphrase": PASSPHRASE})
            self.assertEqual(r.status, 201, r)
            self.assertIn("pg_dump", r.json()["database"])
            target = os.path.join(c.tmp, "restored")
            r = restore(os.path.join(d.data_dir, "backups", r.json()["name"]), target,
                        write_secret(c.tmp, "p", PASSPHRASE))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("database was not in it", r.stdout)
            self.assertEqual(os.listdir(target), ["master.key"])


if __name__ == "__main__":
    unittest.main()
