"""Cold start of the handler: exec → first answer to GET / (what the
Functions host waits for) → first served invocation (a GetStats read,
which opens the first database connection), and its RSS then.

    .venv/bin/python bench/coldstart.py [--runs 40]

In the same run, interleaved: exec of /bin/true until it exits (the floor
of starting any process here), and the Node.js peer in bench/peers/node
(`npm ci --prefix bench/peers/node` first) when Node is there. Reports
medians and 90th percentiles in milliseconds, and the ratios."""

import argparse
import http.client
import json
import math
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "integration"))
from support import (HANDLER, FerretDB, free_port,  # noqa: E402
                     http_request_envelope, rss_kib)


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


PEER = [
    "node", os.path.join(os.path.dirname(__file__), "peers", "node",
                         "server.js")]



def one_start(uri, body, command=None):
    port = free_port()
    env = dict(os.environ, FUNCTIONS_CUSTOMHANDLER_PORT=str(port),
               COSMOS_CONNECTION_STRING=uri, COSMOS_DATABASE="coldstart")
    t0 = time.perf_counter()
    proc = subprocess.Popen(command or [HANDLER], env=env,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_answer(port)
    t1 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/GetStats", body,
                 {"Content-Type": "application/json"})
    status = conn.getresponse().status
    conn.close()
    t2 = time.perf_counter()
    rss = rss_kib(proc.pid)
    proc.terminate()
    proc.wait()
    assert status == 200
    return (t1 - t0) * 1000, (t2 - t0) * 1000, rss


def baseline():
    t0 = time.perf_counter()
    subprocess.run(["/bin/true"])
    return (time.perf_counter() - t0) * 1000


def summary(values):
    values = sorted(values)
    return (f"median {statistics.median(values):6.2f} ms  "
            f"p90 {values[math.ceil(len(values) * 0.9) - 1]:6.2f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    envelope = http_request_envelope("", function="GetStats",
                                     route="api/Stats/GetStats/Daily",
                                     method="GET")
    envelope["Data"]["req"]["Params"] = {"period": "Daily"}
    body = json.dumps(envelope).encode()
    peer = os.path.isdir(os.path.join(os.path.dirname(__file__), "peers",
                                      "node", "node_modules"))
    ferretdb = FerretDB()
    ferretdb.start()
    results = {"gridboard": ([], [], []), "node": ([], [], [])}
    floor = []
    try:
        one_start(ferretdb.uri, body)  # warm the page cache and the store
        if peer:
            one_start(ferretdb.uri, body, PEER)
        for _ in range(args.runs):
            floor.append(baseline())
            for name, command in (("gridboard", None), ("node", PEER)):
                if name == "node" and not peer:
                    continue
                for series, value in zip(results[name],
                                         one_start(ferretdb.uri, body,
                                                   command)):
                    series.append(value)
    finally:
        ferretdb.stop()
    print(f"exec /bin/true (baseline)                 {summary(floor)}")
    for name, (ready, served, rss) in results.items():
        if not ready:
            continue
        print(f"{name:9} exec → first GET / answer      {summary(ready)}")
        print(f"{name:9} exec → first GetStats served   {summary(served)}")
        print(f"{name:9} RSS after the first invocation "
              f"median {statistics.median(rss) / 1024:6.1f} MiB")
    ours, theirs = results["gridboard"], results["node"]
    print(f"gridboard ready / baseline (medians)       "
          f"{statistics.median(ours[0]) / statistics.median(floor):.1f}x")
    if theirs[0]:
        print(f"node / gridboard, first GET /             "
              f"{statistics.median(theirs[0]) / statistics.median(ours[0]):.1f}x")
        print(f"node / gridboard, first GetStats          "
              f"{statistics.median(theirs[1]) / statistics.median(ours[1]):.1f}x")
        print(f"node / gridboard, RSS                     "
              f"{statistics.median(theirs[2]) / statistics.median(ours[2]):.1f}x")


if __name__ == "__main__":
    main()
