"""GameCompleted throughput and latency beside the database's own limit,
in one run, on FerretDB.

    .venv/bin/python bench/gamecompleted.py [--events 300]
                                            [--concurrency 1,4,16]

For each concurrency level, on a fresh database each: the handler
(`GB_HANDLER`, an optimized build is best: build-rel/gridboard-handler)
serves `--events` GameCompleted invocations (new games, real envelopes as
the Functions host sends them) from that many keep-alive clients; then
bench/store_loop.c issues the same database work straight through the
handler's store module from as many threads, without HTTP, envelopes or
JSON: the limit. Both after 20 warm-up events. Reports events per second,
p50 and p99 latency, and handler/limit."""

import argparse
import datetime as dt
import http.client
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "integration"))
from support import (HANDLER, FerretDB, Handler, envelope_for,  # noqa: E402
                     event_grid_event, game)

ROOT = os.path.join(os.path.dirname(__file__), "..")


def build_store_loop():
    """Links bench/store_loop.c against the handler's core library of the
    build tree the handler comes from."""
    build = os.path.dirname(os.path.abspath(HANDLER))
    out = os.path.join(build, "store_loop")
    flags = subprocess.run(
        ["pkg-config", "--cflags", "--libs", "libmongoc-1.0", "libcjson",
         "libcurl", "libcrypto"], check=True, capture_output=True,
        text=True).stdout.split()
    subprocess.run(["cc", "-O2", "-std=c11", "-D_POSIX_C_SOURCE=200809L",
                    "-I", os.path.join(ROOT, "handler"),
                    os.path.join(ROOT, "bench", "store_loop.c"),
                    os.path.join(build, "libgridboard_core.a"), *flags,
                    "-lcivetweb", "-lpthread", "-lm", "-o", out], check=True)
    return out


def drive_handler(handler, events, concurrency):
    latencies, lock = [], threading.Lock()
    remaining = [events]

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", handler.port,
                                          timeout=60)
        while True:
            with lock:
                if remaining[0] == 0:
                    break
                remaining[0] -= 1
            body = envelope_for(event_grid_event(game(
                ago=dt.timedelta(seconds=1),
                winner=f"player{uuid.uuid4().int % 200}@example.com")))
            t0 = time.perf_counter()
            status, _ = handler.invoke("GameCompleted", body, conn=conn)
            elapsed = time.perf_counter() - t0
            assert status == 200
            with lock:
                latencies.append(elapsed * 1000)
        conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    latencies.sort()
    return {"per_second": events / seconds,
            "p50": statistics.median(latencies),
            "p99": latencies[int(0.99 * (len(latencies) - 1))]}


def drive_limit(loop, uri, database, events, concurrency):
    subprocess.run([loop, uri, database, "20", "1"], check=True,
                   capture_output=True)
    out = subprocess.run([loop, uri, database, str(events), str(concurrency)],
                         check=True, capture_output=True, text=True).stdout
    figures = dict(re.findall(r"(\w+)=([\d.]+)", out))
    return {"per_second": float(figures["per_second"]),
            "p50": float(figures["p50_ms"]), "p99": float(figures["p99_ms"])}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--concurrency", default="1,4,16")
    args = parser.parse_args()
    loop = build_store_loop()
    server = FerretDB()
    server.start()
    rows = []
    try:
        for c in map(int, args.concurrency.split(",")):
            database = f"gc{c}"
            handler = Handler({"COSMOS_CONNECTION_STRING":
                               server.handler_uri(),
                               "COSMOS_DATABASE": database,
                               "GRIDBOARD_THREADS": str(max(8, c))}).start()
            try:
                drive_handler(handler, 20, 1)
                mine = drive_handler(handler, args.events, c)
            finally:
                handler.stop()
            limit = drive_limit(loop, server.uri + "?retryWrites=false",
                                database + "limit", args.events, c)
            rows.append((c, mine, limit))
    finally:
        server.stop()
    print(f"\nGameCompleted, {args.events} new games per level, FerretDB\n")
    print("| clients | handler events/s | p50 ms | p99 ms | limit events/s "
          "| limit p50 ms | limit p99 ms | handler / limit |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c, mine, limit in rows:
        print(f"| {c} | {mine['per_second']:.1f} | {mine['p50']:.1f} | "
              f"{mine['p99']:.1f} | {limit['per_second']:.1f} | "
              f"{limit['p50']:.1f} | {limit['p99']:.1f} | "
              f"{mine['per_second'] / limit['per_second']:.2f} |")


if __name__ == "__main__":
    main()
