"""GameCompleted throughput and latency beside the database's own limit,
in one run, on FerretDB.

    .venv/bin/python bench/gamecompleted.py [--events 300]
                                            [--concurrency 1,4,16]

For each concurrency level, on a fresh database each: wrk (bench/invoke.lua,
as bench/throughput.py drives it) keeps that many keep-alive connections
busy until `--events` GameCompleted invocations are answered of new games (real
envelopes as the Functions host sends them) against the handler
(`GB_HANDLER`, an optimized build is best: build-rel/gridboard-handler); then
bench/store_loop.c issues the same database work straight through the
handler's store module from as many threads, without HTTP, envelopes or
JSON: the limit. Both after 20 warm-up events. Reports events per second,
p50 and p99 latency, and handler/limit."""

import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "integration"))
from support import HANDLER, FerretDB  # noqa: E402

import throughput  # noqa: E402

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


def drive_handler(server, database, events, concurrency):
    handler = throughput.gridboard(server, database)
    handler.env["GRIDBOARD_THREADS"] = str(max(8, concurrency))
    handler.start()
    try:
        throughput.wrk(handler, "GameCompleted",
                       throughput.game_completed_template(), 1, count=20)
        # As many games as the limit loop stores: each costs more as its
        # hour's bucket fills, so equal counts make equal work.
        t0 = time.perf_counter()
        r = throughput.wrk(handler, "GameCompleted",
                           throughput.game_completed_template(), concurrency,
                           count=events)
        seconds = time.perf_counter() - t0 - 0.2  # wrk's wait after the last
    finally:
        handler.stop()
    return {"per_second": events / seconds, "p50": r["p50_us"] / 1000,
            "p99": r["p99_us"] / 1000}


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
    parser.add_argument("--events", type=int, default=400,
                        help="games stored per level, by each side")
    parser.add_argument("--concurrency", default="1,4,16")
    args = parser.parse_args()
    loop = build_store_loop()
    server = FerretDB()
    server.start()
    rows = []
    try:
        for c in map(int, args.concurrency.split(",")):
            database = f"gc{c}"
            mine = drive_handler(server, database, args.events, c)
            limit = drive_limit(loop, server.uri + "?retryWrites=false",
                                database + "limit", args.events, c)
            rows.append((c, mine, limit))
    finally:
        server.stop()
    print(f"\nGameCompleted on FerretDB, {args.events} new games per level "
          "and side (the handler driven by wrk)\n")
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
