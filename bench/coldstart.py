"""Cold start of the handler: exec → first answer to GET / (what the
Functions host waits for) → first served invocation (a GetStats read,
which opens the first database connection), and its RSS then.

    .venv/bin/python bench/coldstart.py [--runs 40] [--handler NAME=PATH ...]
        [--set NAME:VAR=VALUE ...] [--tls] [--no-peer] [--poll-ms 0.25]

In the same run, interleaved: exec of /bin/true until it exits (the floor
of starting any process here), and the Node.js peer in bench/peers/node
(`npm ci --prefix bench/peers/node` first) when Node is there, unless
--no-peer. Reports medians and 90th percentiles in milliseconds, and the
ratios. Each --handler adds a build to compare (say, link configurations),
started in turn in the same rounds; without one, the handler is
GB_HANDLER's. --set gives one of them a setting (t16:GRIDBOARD_THREADS=16).
--tls connects to the database over verified TLS, as to Cosmos DB (the
handler then creates an SSL_CTX for its pool and a TLS connection before
the first GetStats).

GET / is polled every --poll-ms (0.25 ms by default): fine enough to time
a start to a quarter of a millisecond, and sleeping in between, as the
Functions host does (every 25 ms), so that the poller does not take one
of the machine's CPUs from the starting handler. --poll-ms 0 polls
without a pause, as this bench did before 2026-12-04."""

import argparse
import http.client
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "integration"))
from support import (HANDLER, FerretDB, free_port,  # noqa: E402
                     http_request_envelope, rss_kib,
                     self_signed_certificate)


def wait_answer(port, proc, poll_s):
    while proc.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            reply = conn.getresponse()
            reply.read()
            conn.close()
            # Not a 404: civetweb answers that itself between listening and
            # the handler's routes being set.
            if reply.status == 200:
                return
        except ConnectionRefusedError:
            pass
        if poll_s:
            time.sleep(poll_s)


PEER = [
    "node", os.path.join(os.path.dirname(__file__), "peers", "node",
                         "server.js")]



def one_start(uri, body, command, settings, poll_s):
    """One start on a fresh port; started again on another one when the
    server exited (another program on this busy machine took the port
    between free_port and the bind, and may even have answered)."""
    for _ in range(5):
        port = free_port()
        env = dict(os.environ, FUNCTIONS_CUSTOMHANDLER_PORT=str(port),
                   COSMOS_CONNECTION_STRING=uri, COSMOS_DATABASE="coldstart")
        env.update(settings or {})
        t0 = time.perf_counter()
        proc = subprocess.Popen(command, env=env,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        wait_answer(port, proc, poll_s)
        t1 = time.perf_counter()
        if proc.poll() is not None:
            continue
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/GetStats", body,
                     {"Content-Type": "application/json"})
        status = conn.getresponse().status
        conn.close()
        t2 = time.perf_counter()
        rss = rss_kib(proc.pid)
        proc.terminate()
        if status != 200 and proc.wait() not in (0, -signal.SIGTERM):
            continue  # it had exited: the answer was another server's
        proc.wait()
        assert status == 200, (command, status)
        return (t1 - t0) * 1000, (t2 - t0) * 1000, rss
    raise RuntimeError(f"{command[0]} did not start on 5 ports")


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
    parser.add_argument("--handler", action="append", default=[],
                        metavar="NAME=PATH", help="a handler build to start")
    parser.add_argument("--set", action="append", default=[],
                        metavar="NAME:VAR=VALUE",
                        help="a setting for the handler NAME")
    parser.add_argument("--tls", action="store_true",
                        help="connect to the database over verified TLS")
    parser.add_argument("--no-peer", action="store_true",
                        help="leave the Node.js peer out")
    parser.add_argument("--poll-ms", type=float, default=0.25,
                        help="pause between polls of GET / (0: none)")
    args = parser.parse_args()
    handlers = [tuple(h.split("=", 1)) for h in args.handler] or [
        ("gridboard", HANDLER)]
    settings = {name: {} for name, _ in handlers}
    for item in args.set:
        name, setting = item.split(":", 1)
        var, value = setting.split("=", 1)
        settings[name][var] = value
    envelope = http_request_envelope("", function="GetStats",
                                     route="api/Stats/GetStats/Daily",
                                     method="GET")
    envelope["Data"]["req"]["Params"] = {"period": "Daily"}
    body = json.dumps(envelope).encode()
    peer = not args.no_peer and os.path.isdir(
        os.path.join(os.path.dirname(__file__), "peers", "node",
                     "node_modules"))
    if args.tls:
        cert, key = self_signed_certificate(tempfile.mkdtemp())
        ferretdb = FerretDB(tls=(cert, key))
        uri = (f"mongodb://127.0.0.1:{ferretdb.tls_port}/?tls=true"
               f"&tlsCAFile={cert}")
    else:
        ferretdb = FerretDB()
        uri = ferretdb.uri
    ferretdb.start()
    commands = [(name, [path]) for name, path in handlers]
    if peer:
        commands.append(("node", PEER))
    results = {name: ([], [], []) for name, _ in commands}
    poll_s = args.poll_ms / 1000
    floor = []
    try:
        for name, command in commands:  # warm the page cache and the store
            one_start(uri, body, command, settings.get(name), poll_s)
        for _ in range(args.runs):
            floor.append(baseline())
            for name, command in commands:
                for series, value in zip(results[name],
                                         one_start(uri, body, command,
                                                   settings.get(name),
                                                   poll_s)):
                    series.append(value)
    finally:
        ferretdb.stop()
    w = max(9, *(len(name) for name in results))
    print(f"{'exec /bin/true (baseline)':{w + 32}} {summary(floor)}")
    for name, (ready, served, rss) in results.items():
        print(f"{name:{w}} exec → first GET / answer      {summary(ready)}")
        print(f"{name:{w}} exec → first GetStats served   {summary(served)}")
        print(f"{name:{w}} RSS after the first invocation "
              f"median {statistics.median(rss) / 1024:6.1f} MiB")
    theirs = results.get("node")
    for name, _ in handlers:
        ours = results[name]
        print(f"{name + ' ready / baseline (medians)':{w + 32}} "
              f"{statistics.median(ours[0]) / statistics.median(floor):.1f}x")
        if theirs:
            for what, i in (("first GET /", 0), ("first GetStats", 1),
                            ("RSS", 2)):
                ratio = (statistics.median(theirs[i]) /
                         statistics.median(ours[i]))
                print(f"{'node / ' + name + ', ' + what:{w + 32}} {ratio:.1f}x")


if __name__ == "__main__":
    main()
