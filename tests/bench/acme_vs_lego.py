#!/usr/bin/env python3
"""Benchmark: issue N certificates (DNS-01) with pagodad and with lego
against the same Pebble, and print both wall times.

    sudo apt-get install -y pebble lego
    python3 tests/bench/acme_vs_lego.py [N]      (binaries from ./build)

Both use DNS-01 through pebble-challtestsrv, one domain per certificate,
EC P-256 keys; Pebble runs with PEBBLE_VA_NOSLEEP=1 and its default 5%
badNonce rejections, so both clients also pay for their nonce retries."""
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
os.environ.setdefault("PAGODAD", os.path.join(HERE, "..", "..", "build", "core", "pagodad"))
os.environ.setdefault("PAGODA_AGENT", os.path.join(HERE, "..", "..", "build", "agent", "pagoda-agent"))

from acme_ca import Pebble  # noqa: E402
from harness import Pagodad, wait_until  # noqa: E402


def pagoda(tmp, pebble, n):
    d = Pagodad(tmp, "--cert-scan", "200")
    d.start()
    try:
        t0 = time.monotonic()
        ids = []
        for i in range(n):
            r = d.call("POST", "/admin/certificates/acme",
                       {"domains": [f"p{i}.bench.test"], "challenge": "dns-01",
                        "dns": {"plugin": "challtestsrv", "config": {"url": pebble.challtestsrv}},
                        "issuer": {"directoryUrl": pebble.directory, "caFile": pebble.ca}})
            ids.append(r.json()["id"])
        for cid in ids:
            wait_until(lambda: d.call("GET", f"/admin/certificates/{cid}").json()["status"] == "valid", 300,
                       interval=0.05, what=f"certificate {cid}")
        return time.monotonic() - t0
    finally:
        d.stop()


def lego(tmp, pebble, n):
    hook = os.path.join(tmp, "hook.sh")
    with open(hook, "w") as f:
        f.write(f"""#!/bin/sh
case "$1" in
  present) curl -s -X POST -d "{{\\"host\\":\\"$2\\",\\"value\\":\\"$3\\"}}" {pebble.challtestsrv}/set-txt ;;
  cleanup) curl -s -X POST -d "{{\\"host\\":\\"$2\\"}}" {pebble.challtestsrv}/clear-txt ;;
esac
""")
    os.chmod(hook, 0o755)
    # lego polls with its own intervals; the shortest it takes, to be fair
    env = dict(os.environ, EXEC_PATH=hook, LEGO_CA_CERTIFICATES=pebble.ca, EXEC_POLLING_INTERVAL="1",
               EXEC_PROPAGATION_TIMEOUT="30")
    t0 = time.monotonic()
    for i in range(n):
        subprocess.run(["lego", "--server", pebble.directory, "--accept-tos", "--email", "bench@example.test",
                        "--path", os.path.join(tmp, "lego"), "--key-type", "ec256", "--dns", "exec",
                        "--dns.resolvers", f"127.0.0.1:{pebble.dns}", "--dns.disable-cp",
                        "--domains", f"l{i}.bench.test", "run"],
                       env=env, check=True, capture_output=True)
    return time.monotonic() - t0


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    tmp = tempfile.mkdtemp(prefix="pagoda-bench-acme-")
    pebble = Pebble(tmp).start()
    try:
        tp = pagoda(tmp, pebble, n)
        tl = lego(tmp, pebble, n)
    finally:
        pebble.stop()
    print(f"certificates: {n} (DNS-01, one domain each, EC P-256, same Pebble)")
    print(f"pagoda: {tp:.2f} s total, {tp / n * 1000:.0f} ms per certificate")
    print(f"lego:   {tl:.2f} s total, {tl / n * 1000:.0f} ms per certificate")
    print(f"ratio pagoda/lego: {tp / tl:.2f}")


if __name__ == "__main__":
    main()
