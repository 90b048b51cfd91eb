"""Per-event cost of GameCompleted as the history grows: 10k, 100k and 1M
games in the store, the same live traffic, on FerretDB.

    .venv/bin/python bench/history.py [--sizes 10000,100000,1000000]
                                      [--events 200]

For each size a fresh FerretDB is seeded directly: LIVE games spread over
the last 35 days (the ledger buckets the handler would have written for
them, so the view is built from them on the first event), and the rest of
the history spread over the three years before, in `games` only (the
handler prunes ledger buckets no window can reach). Then the handler
serves `--events` GameCompleted invocations one after another; reported:
median and 99th percentile latency, the database round trips per event
(from the invocation's Logs), and, beside them, what the previous design
cost per event at the same size: the 15 aggregations of a full
recomputation over the stored games (timed once; at 1M one aggregation is
timed and multiplied by 15, a full run takes minutes)."""

import argparse
import datetime as dt
import os
import random
import re
import statistics
import sys
import time

import pymongo

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "integration"))
from support import (FerretDB, Handler, event_grid_event, game,  # noqa: E402
                     utcnow)

LIVE = 10000
PLAYERS = 200
HOUR_MS = 3600 * 1000


def seed(database, total, now):
    rng = random.Random(total)
    database.games.create_index("Timestamp", name="Timestamp_1")
    now_ms = int(now.timestamp() * 1000)
    live = min(LIVE, total)
    buckets = {}
    batch = []
    for i in range(total):
        if i < live:
            t = now_ms - rng.randrange(35 * 24 * HOUR_MS)
        else:
            t = now_ms - 40 * 24 * HOUR_MS - rng.randrange(3 * 365 * 24 *
                                                           HOUR_MS)
        g = {"_id": f"seed{i:07d}", "WinnerEmail":
             f"player{rng.randrange(PLAYERS)}@example.com",
             "RockCount": rng.randrange(9), "PaperCount": rng.randrange(9),
             "ScissorsCount": rng.randrange(9),
             "Timestamp": dt.datetime.fromtimestamp(t / 1000, dt.timezone.utc),
             "storedAt": now}
        batch.append(g)
        if i < live:
            b = buckets.setdefault(t - t % HOUR_MS, {"ids": [], "e": []})
            b["ids"].append(g["_id"])
            b["e"].append({"i": g["_id"], "w": g["WinnerEmail"],
                           "t": g["Timestamp"], "r": g["RockCount"],
                           "p": g["PaperCount"], "s": g["ScissorsCount"]})
        if len(batch) == 10000:
            database.games.insert_many(batch, ordered=False)
            batch = []
    if batch:
        database.games.insert_many(batch, ordered=False)
    days = {}
    for h, b in buckets.items():
        day = dt.datetime.fromtimestamp(h / 1000, dt.timezone.utc)
        days.setdefault(f"ledger_{day:%Y%m%d}", []).append(
            {"_id": str(h), "n": len(b["ids"]), "ids": b["ids"], "e": b["e"]})
    for name, docs in days.items():
        database[name].insert_many(docs, ordered=False)


def one_recompute_aggregation(database, now):
    start = now - dt.timedelta(days=31)
    t0 = time.perf_counter()
    list(database.games.aggregate([
        {"$match": {"Timestamp": {"$gte": start, "$lte": now}}},
        {"$group": {"_id": None, "total": {"$sum": "$RockCount"}}}]))
    return time.perf_counter() - t0


def full_recompute(database, now, size):
    if size >= 1000000:
        return 15 * one_recompute_aggregation(database, now)
    t0 = time.perf_counter()
    for days in (1, 7, 31):
        start = now - dt.timedelta(days=days)
        match = {"$match": {"Timestamp": {"$gte": start, "$lte": now}}}
        list(database.games.aggregate([match, {"$group": {
            "_id": "$WinnerEmail", "wins": {"$sum": 1}}},
            {"$sort": {"wins": -1, "_id": 1}}, {"$limit": 10}]))
        for field in (1, "$RockCount", "$PaperCount", "$ScissorsCount"):
            list(database.games.aggregate([match, {"$group": {
                "_id": None, "total": {"$sum": field}}}]))
    return time.perf_counter() - t0


def measure(size, events):
    server = FerretDB()
    server.start()
    try:
        client = pymongo.MongoClient(server.uri)
        database = client["history"]
        now = utcnow()
        t0 = time.perf_counter()
        seed(database, size, now)
        seeded_s = time.perf_counter() - t0
        handler = Handler({"COSMOS_CONNECTION_STRING": server.handler_uri(),
                           "COSMOS_DATABASE": "history"}).start()
        latencies, commands = [], []
        try:
            for i in range(events + 20):
                event = event_grid_event(game(ago=dt.timedelta(seconds=1),
                                              winner=f"player{i % PLAYERS}"
                                                     "@example.com"))
                t1 = time.perf_counter()
                status, reply = handler.deliver(event)
                elapsed = time.perf_counter() - t1
                assert status == 200, reply
                if i >= 20:  # the first one builds the view
                    latencies.append(elapsed * 1000)
                    line = next(x for x in reply["Logs"] if "db_commands=" in x)
                    commands.append(int(re.search(r"db_commands=(\d+)",
                                                  line).group(1)))
        finally:
            handler.stop()
        recompute_s = full_recompute(database, now, size)
        client.close()
    finally:
        server.stop()
    latencies.sort()
    return {"size": size, "seeded_s": seeded_s,
            "p50": statistics.median(latencies),
            "p99": latencies[int(0.99 * (len(latencies) - 1))],
            "commands": statistics.mean(commands),
            "commands_max": max(commands),
            "recompute_ms": recompute_s * 1000}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    rows = []
    for size in args.sizes.split(","):
        rows.append(measure(int(size), args.events))
        print(rows[-1], flush=True)
    base = rows[0]
    print(f"\nGameCompleted per event, {args.events} events one after "
          f"another, {LIVE} games in the last 35 days\n")
    print("| games stored | p50 ms | p99 ms | p50 vs first | round trips "
          "(mean/max) | full recomputation per event (previous design) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['size']:,} | {r['p50']:.1f} | {r['p99']:.1f} | "
              f"{r['p50'] / base['p50']:.2f}× | {r['commands']:.1f} / "
              f"{r['commands_max']} | {r['recompute_ms']:,.0f} ms |")


if __name__ == "__main__":
    main()
