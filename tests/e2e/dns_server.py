"""A real authoritative DNS server for the tests: BIND's named on loopback,
primary for the zones a test names, accepting RFC 2136 updates signed with
one TSIG key (hmac-sha256) for TXT records only."""
import base64
import os
import shutil
import subprocess

from harness import free_port, wait_until

HAVE_BIND = shutil.which("named") is not None or os.path.exists("/usr/sbin/named")


class Bind:
    def __init__(self, tmp, zones, key_name="acme-key"):
        self.dir = os.path.join(tmp, "bind")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.zones, self.key_name = zones, key_name
        self.secret = base64.b64encode(os.urandom(32)).decode()
        self.proc = None

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def start(self, records=None):
        """records: {zone: ["name TYPE data", ...]} added to each zone file."""
        d = self.dir
        conf = [f'options {{ directory "{d}"; pid-file "{d}/named.pid"; listen-on port {self.port} {{ 127.0.0.1; }};',
                '  listen-on-v6 { none; }; recursion no; dnssec-validation no; notify no; };',
                f'key "{self.key_name}" {{ algorithm hmac-sha256; secret "{self.secret}"; }};',
                'controls { };']
        for z in self.zones:
            with open(f"{d}/{z}.zone", "w") as f:
                f.write(f"$TTL 60\n@ IN SOA ns1.{z}. hostmaster.{z}. 1 60 60 600 60\n@ IN NS ns1.{z}.\n"
                        f"ns1 IN A 127.0.0.1\n")
                for line in (records or {}).get(z, []):
                    f.write(line + "\n")
            conf.append(f'zone "{z}" {{ type primary; file "{d}/{z}.zone"; '
                        f'update-policy {{ grant {self.key_name} zonesub TXT; }}; }};')
        with open(f"{d}/named.conf", "w") as f:
            f.write("\n".join(conf) + "\n")
        self.log = open(f"{d}/named.log", "ab")
        named = shutil.which("named") or "/usr/sbin/named"
        self.proc = subprocess.Popen([named, "-g", "-c", f"{d}/named.conf"], stdout=self.log, stderr=self.log)
        def up():
            with open(f"{d}/named.log", "rb") as f:
                return b"running" in f.read() or self.proc.poll() is not None
        wait_until(up, 20, what="named")
        if self.proc.poll() is not None:
            with open(f"{d}/named.log") as f:
                raise RuntimeError("named did not start: " + f.read()[-2000:])
        return self

    def txt(self, name):
        """The TXT values named serves for name, asked with dig."""
        out = subprocess.run(["dig", "+short", "+norec", "-p", str(self.port), "@127.0.0.1", name, "TXT"],
                             capture_output=True, text=True, timeout=10).stdout
        return sorted(v.strip().strip('"') for v in out.splitlines() if v.strip())

    def update(self, op, name, value):
        """op "add" or "delete" of one TXT value, by nsupdate with the TSIG key:
        how the fake cloud APIs of dns_apis.py publish what they are given."""
        script = (f"server 127.0.0.1 {self.port}\n"
                  f"update {op} {name.rstrip('.')}. {'60 ' if op == 'add' else ''}TXT \"{value}\"\nsend\n")
        subprocess.run(["nsupdate", "-y", f"hmac-sha256:{self.key_name}:{self.secret}"], input=script,
                       text=True, check=True, capture_output=True, timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.log.close()
