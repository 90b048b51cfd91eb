"""The soak: many invocations of the real handler against FerretDB, with
its resident memory read before and after.

    .venv/bin/python tests/soak.py --invocations 100000

The invocations are mixed the way a busy app sees them: cached GetStats
reads and envelopes that are not JSON, every 10th an invalid event (recorded
in `rejected`), every 50th a redelivered game (a duplicate that refreshes the
leaderboards). Four keep-alive connections drive it. RSS is read from
/proc after a warm-up of a tenth of the run and at the end."""

import argparse
import json
import os
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "integration"))
from support import (FerretDB, Handler, envelope_for, event_grid_event,  # noqa
                     game, http_request_envelope, rss_kib)

HEADERS = {"Content-Type": "application/json"}



def run(ferretdb, invocations, threads=4, log=print):
    handler = Handler({"COSMOS_CONNECTION_STRING": ferretdb.handler_uri(),
                       "COSMOS_DATABASE": "soak" + uuid.uuid4().hex[:8],
                       "GRIDBOARD_THREADS": "8"}).start()
    redelivered = envelope_for(event_grid_event(game()))
    stats = http_request_envelope("", function="GetStats",
                                  route="api/Stats/GetStats/Daily",
                                  method="GET")
    stats["Data"]["req"]["Params"] = {"period": "Daily"}
    bodies = [("/GetStats", json.dumps(stats).encode()),
              ("/GameCompleted", b"{not json"),
              ("/GetStats", json.dumps(stats).encode())]
    errors = []
    counter = {"done": 0}
    lock = threading.Lock()
    warm = max(1, invocations // 10)
    samples = {}

    def client(index):
        conn = handler.connection()
        n = index
        while n < invocations:
            if n % 50 == 0:
                path, body = "/GameCompleted", json.dumps(redelivered).encode()
            elif n % 10 == 1:
                path, body = "/GameCompleted", json.dumps(envelope_for(
                    event_grid_event(dict(game(), RockCount=-1),
                                     event_id=f"soak-{n}"))).encode()
            else:
                path, body = bodies[n % len(bodies)]
            status, _, _ = handler.request("POST", path, body, HEADERS,
                                           conn=conn)
            if status not in (200, 400):
                errors.append((path, status))
            with lock:
                counter["done"] += 1
                if counter["done"] == warm:
                    samples["start"] = rss_kib(handler.proc.pid)
            n += threads
        conn.close()

    first = rss_kib(handler.proc.pid)
    handler.request("POST", "/GameCompleted",
                    json.dumps(redelivered).encode(), HEADERS)
    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(i,))
               for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.monotonic() - started
    end = rss_kib(handler.proc.pid)
    code = handler.stop()
    figures = {"invocations": invocations, "errors": len(errors),
               "rss_idle_kib": first, "rss_after_warmup_kib":
               samples.get("start", 0), "rss_end_kib": end,
               "seconds": round(seconds, 1), "exit": code}
    log("soak: " + " ".join(f"{k}={v}" for k, v in figures.items()))
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invocations", type=int, default=100000)
    args = parser.parse_args()
    ferretdb = FerretDB()
    ferretdb.start()
    try:
        figures = run(ferretdb, args.invocations)
    finally:
        ferretdb.stop()
    grew = figures["rss_end_kib"] - figures["rss_after_warmup_kib"]
    sys.exit(0 if figures["errors"] == 0 and figures["exit"] == 0 and
             grew < 8192 else 1)


if __name__ == "__main__":
    main()
