"""Cold start of the handler: exec → first answer to GET / (what the
Functions host waits for) → first served invocation (a GetStats read,
which opens the first database connection).

    .venv/bin/python bench/coldstart.py [--runs 40]

Run on the same machine in the same run, as a baseline: exec of /bin/true
until it exits, the floor of starting any process here. Reports medians
and 90th percentiles in milliseconds."""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "integration"))
from support import (HANDLER, FerretDB, free_port,  # noqa: E402
                     http_request_envelope)


def wait_answer(port):
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            conn.getresponse().read()
            conn.close()
            return
        except ConnectionRefusedError:
            pass  # poll as fast as we can: the host polls every 25 ms


def one_start(uri, body):
    port = free_port()
    env = dict(os.environ, FUNCTIONS_CUSTOMHANDLER_PORT=str(port),
               COSMOS_CONNECTION_STRING=uri, COSMOS_DATABASE="coldstart")
    t0 = time.perf_counter()
    proc = subprocess.Popen([HANDLER], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_answer(port)
    t1 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/GetStats", body,
                 {"Content-Type": "application/json"})
    status = conn.getresponse().status
    conn.close()
    t2 = time.perf_counter()
    proc.terminate()
    proc.wait()
    assert status == 200
    return (t1 - t0) * 1000, (t2 - t0) * 1000


def baseline():
    t0 = time.perf_counter()
    subprocess.run(["/bin/true"])
    return (time.perf_counter() - t0) * 1000


def summary(values):
    values = sorted(values)
    return (f"median {statistics.median(values):6.2f} ms  "
            f"p90 {values[int(len(values) * 0.9) - 1]:6.2f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    envelope = http_request_envelope("", function="GetStats",
                                     route="api/Stats/GetStats/Daily",
                                     method="GET")
    envelope["Data"]["req"]["Params"] = {"period": "Daily"}
    body = json.dumps(envelope).encode()
    ferretdb = FerretDB()
    ferretdb.start()
    try:
        one_start(ferretdb.uri, body)  # warm the page cache and the store
        ready, served, floor = [], [], []
        for _ in range(args.runs):
            floor.append(baseline())
            r, s = one_start(ferretdb.uri, body)
            ready.append(r)
            served.append(s)
    finally:
        ferretdb.stop()
    print(f"exec /bin/true (baseline)      {summary(floor)}")
    print(f"exec → first GET / answer      {summary(ready)}")
    print(f"exec → first GetStats served   {summary(served)}")
    print(f"ready / baseline (medians)     "
          f"{statistics.median(ready) / statistics.median(floor):.1f}x")


if __name__ == "__main__":
    main()
