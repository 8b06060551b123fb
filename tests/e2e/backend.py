"""A tiny HTTP backend for the fleet tests: GET / answers which node (its
address) and version served it; GET /healthz answers 200, or 500 when FAIL_HEALTH=1;
a path ending in /slow answers after 3 s (proxy timeouts)."""
import argparse
import http.server
import os
import time


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            code = 500 if os.environ.get("FAIL_HEALTH") == "1" else 200
            body = b"unhealthy\n" if code == 500 else b"ok\n"
        else:
            if self.path.endswith("/slow"):
                time.sleep(3)
            code = 200
            # the address that took the connection names the node
            body = f"node={self.connection.getsockname()[0]} version={os.environ.get('VERSION', '?')}\n".encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        body = f"got {n} bytes\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=9000)
    a = p.parse_args()
    http.server.ThreadingHTTPServer(("0.0.0.0", a.port), Handler).serve_forever()
