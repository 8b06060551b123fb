"""Pebble (Let's Encrypt's ACME test server) and pebble-challtestsrv on
loopback, behind a test CA the tests make."""
import base64
import http.server
import json
import os
import subprocess
import threading
import urllib.request
import ssl

from harness import free_port, wait_until


def run(*args):
    subprocess.run(args, check=True, capture_output=True)


class Pebble:
    def __init__(self, tmp, http_port=5002, default_ip="127.0.0.1", dns_server=None):
        self.dir = os.path.join(tmp, "pebble")
        os.makedirs(self.dir, exist_ok=True)
        self.port, self.mgmt, self.chall, self.dns = free_port(), free_port(), free_port(), free_port()
        self.http_port, self.default_ip = http_port, default_ip
        # where the CA looks TXT records up: challtestsrv, or a test's own server
        self.dns_server = dns_server or f"127.0.0.1:{self.dns}"
        self.ca = os.path.join(self.dir, "ca.crt")
        self.procs = []

    def start(self):
        d = self.dir
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{d}/ca.key", "-out", self.ca, "-days", "1", "-subj", "/CN=Pagoda Test CA")
        run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{d}/server.key", "-out", f"{d}/server.csr", "-subj", "/CN=localhost")
        with open(f"{d}/san.ext", "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        run("openssl", "x509", "-req", "-in", f"{d}/server.csr", "-CA", self.ca, "-CAkey", f"{d}/ca.key",
            "-CAcreateserial", "-out", f"{d}/server.crt", "-days", "1", "-extfile", f"{d}/san.ext")
        cfg = {"pebble": {"listenAddress": f"127.0.0.1:{self.port}",
                          "managementListenAddress": f"127.0.0.1:{self.mgmt}",
                          "certificate": f"{d}/server.crt", "privateKey": f"{d}/server.key",
                          "httpPort": self.http_port, "tlsPort": free_port(), "ocspResponderURL": "",
                          "externalAccountBindingRequired": False}}
        with open(f"{d}/pebble.json", "w") as f:
            json.dump(cfg, f)
        log = self.log = open(f"{d}/challtestsrv.log", "ab")
        self.procs.append(subprocess.Popen(
            ["pebble-challtestsrv", "-management", f"127.0.0.1:{self.chall}", "-dns01", f"127.0.0.1:{self.dns}",
             "-http01", "", "-https01", "", "-tlsalpn01", "", "-defaultIPv4", self.default_ip,
             "-defaultIPv6", ""], stdout=log, stderr=log))
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1")
        log = self.log2 = open(f"{d}/pebble.log", "ab")
        self.procs.append(subprocess.Popen(
            ["pebble", "-config", f"{d}/pebble.json", "-dnsserver", self.dns_server],
            stdout=log, stderr=log, env=env))
        wait_until(lambda: self._up(), 20, what="pebble directory")
        return self

    def _up(self):
        try:
            return self.get(f"https://127.0.0.1:{self.port}/dir") is not None
        except OSError:
            return False

    def get(self, url):
        ctx = ssl.create_default_context(cafile=self.ca)
        with urllib.request.urlopen(url, context=ctx, timeout=5) as r:
            return r.read().decode()

    @property
    def directory(self):
        return f"https://127.0.0.1:{self.port}/dir"

    @property
    def challtestsrv(self):
        return f"http://127.0.0.1:{self.chall}"

    def root(self):
        """The root that Pebble's issued chains lead to."""
        return self.get(f"https://127.0.0.1:{self.mgmt}/roots/0")

    def stop(self):
        for p in self.procs:
            p.kill()
            p.wait(10)
        for f in (getattr(self, "log", None), getattr(self, "log2", None)):
            if f:
                f.close()


def verify_chain(tmp, chain_pem, root_pem):
    """openssl verify of a leaf against Pebble's root through the chain's
    intermediates; returns (ok, output)."""
    certs = ["-----BEGIN CERTIFICATE-----" + c for c in chain_pem.split("-----BEGIN CERTIFICATE-----")[1:]]
    paths = {}
    for name, text in [("leaf.pem", certs[0]), ("inter.pem", "".join(certs[1:])), ("root.pem", root_pem)]:
        paths[name] = os.path.join(tmp, name)
        with open(paths[name], "w") as f:
            f.write(text)
    r = subprocess.run(["openssl", "verify", "-CAfile", paths["root.pem"], "-untrusted", paths["inter.pem"],
                        paths["leaf.pem"]], capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr


def served_serial(ip, sni, port=443):
    """The serial of the certificate a TLS server presents for sni."""
    s = subprocess.run(["openssl", "s_client", "-connect", f"{ip}:{port}", "-servername", sni],
                       input="", capture_output=True, text=True, timeout=15)
    x = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=s.stdout, capture_output=True, text=True)
    return x.stdout.strip().split("=")[-1].upper()


class AriShim:
    """Pebble 2.4 has no ACME Renewal Information (RFC 9773): this serves
    Pebble's directory with renewalInfo added and answers renewalInfo with
    the window a test sets, recording the certificate ids it was asked."""

    def __init__(self, pebble):
        self.pebble, self.window, self.asked = pebble, None, []
        shim = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/dir":
                    d = json.loads(shim.pebble.get(shim.pebble.directory))
                    d["renewalInfo"] = f"{shim.base}/renewal-info/"
                    self.reply(200, d)
                elif self.path.startswith("/renewal-info/"):
                    shim.asked.append(self.path[len("/renewal-info/"):])
                    self.reply(200, {"suggestedWindow": shim.window,
                                     "explanationURL": "https://ca.test/why"}, {"Retry-After": "1"})
                else:
                    self.reply(404, {"type": "urn:ietf:params:acme:error:malformed"})

            def reply(self, code, body, headers=None):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def directory(self):
        return f"{self.base}/dir"

    def stop(self):
        self.server.shutdown()


def ari_cert_id(chain_pem):
    """RFC 9773's certificate identifier, computed with openssl."""
    leaf = "-----BEGIN CERTIFICATE-----" + chain_pem.split("-----BEGIN CERTIFICATE-----")[1]
    out = subprocess.run(["openssl", "x509", "-noout", "-serial", "-ext", "authorityKeyIdentifier"],
                         input=leaf, capture_output=True, text=True, check=True).stdout
    serial = int(out.split("serial=")[1].split()[0], 16)
    aki = [l.strip() for l in out.splitlines() if ":" in l and "Authority" not in l and "serial" not in l][0]
    aki = bytes.fromhex(aki.replace("keyid:", "").replace(":", ""))
    der = serial.to_bytes((serial.bit_length() + 8) // 8, "big")

    def b64(b):
        return base64.urlsafe_b64encode(b).decode().rstrip("=")
    return f"{b64(aki)}.{b64(der)}"
