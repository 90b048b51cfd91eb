"""gridboard's local run: FerretDB, the handler, a season of games, the
leaderboards.

Starts the FerretDB wrapper and the handler on loopback ports, then plays a
sample season by invoking GameCompleted exactly as the Functions host does
for Event Grid deliveries (one POST per event, envelopes and headers as the
host sends them), including a redelivered event and an invalid one, and
prints the Daily, Weekly and Monthly leaderboards the handler stored.

    python tools/demo.py [--serve]

--serve keeps FerretDB and the handler running until Ctrl-C."""

import argparse
import datetime as dt
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pymongo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HANDLER = os.path.join(ROOT, "build", "gridboard-handler")
FERRETDB = os.path.join(ROOT, ".cache", "bin", "ferretdb")
PLAYERS = ["alice@example.com", "bob@example.com", "carol@example.com",
           "dave@example.com", "erin@example.com", "Bot"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def season(now, rng):
    """About 60 games over the last 40 days, busiest recently."""
    games = []
    for _ in range(60):
        ago = dt.timedelta(hours=rng.choice([2, 5, 11, 20, 30, 50, 80, 150,
                                             300, 500, 700, 900]) +
                           rng.random())
        rounds = rng.choice([3, 5, 7])
        games.append({"Id": str(uuid.UUID(int=rng.getrandbits(128))),
                      "WinnerEmail": rng.choices(
                          PLAYERS, weights=[5, 4, 3, 2, 1, 4])[0],
                      "RockCount": rng.randint(1, rounds + 2),
                      "PaperCount": rng.randint(1, rounds + 2),
                      "ScissorsCount": rng.randint(1, rounds + 2),
                      "Timestamp": iso(now - ago)})
    return games


def event(game, event_id=None):
    return {"id": event_id or str(uuid.uuid4()),
            "topic": "/subscriptions/local/resourceGroups/local/providers/"
                     "Microsoft.EventGrid/topics/gameapi",
            "subject": "GameAPI.GameCompleted", "eventType": "GameCompleted",
            "dataVersion": "1.0", "metadataVersion": "1",
            "eventTime": game["Timestamp"], "data": game}


def invoke(port, ev):
    body = json.dumps({"Data": {"eventGridEvent": ev},
                       "Metadata": {"data": ev.get("data"),
                                    "sys": {"MethodName": "GameCompleted"}}})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", "/GameCompleted", body, {
        "Content-Type": "application/json; charset=utf-8",
        "X-Azure-Functions-InvocationId": str(uuid.uuid4()),
        "User-Agent": "Azure-Functions-Host/local"})
    resp = conn.getresponse()
    reply = json.loads(resp.read())
    conn.close()
    return resp.status, reply


def wait_ready(port, proc):
    for _ in range(1200):
        if proc.poll() is not None:
            sys.exit("the handler exited during start-up")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.025)
    sys.exit("the handler did not answer GET / in time")


def print_board(doc):
    print(f"\n{doc['period']} leaderboard  "
          f"({doc['games']} games since {doc['windowStart']:%Y-%m-%d %H:%M} UTC)")
    if not doc["winners"]:
        print("  no games")
    for rank, w in enumerate(doc["winners"], 1):
        print(f"  {rank:2}. {w['winnerEmail']:<22} wins: {w['wins']}")
    print("  moves: " + ", ".join(f"{m['move']} {m['count']}"
                                  for m in doc["moves"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true",
                        help="keep running until Ctrl-C")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="gridboard-demo-")
    db_port, handler_port = free_port(), free_port()
    uri = f"mongodb://127.0.0.1:{db_port}/?retryWrites=false"
    procs = []
    try:
        log = open(os.path.join(data_dir, "gridboard.log"), "ab")
        ferret = subprocess.Popen([FERRETDB, "-listen-addr",
                                   f"127.0.0.1:{db_port}", "-data-dir",
                                   data_dir], stdout=subprocess.PIPE,
                                  stderr=log)
        procs.append(ferret)
        ferret.stdout.readline()
        env = dict(os.environ, FUNCTIONS_CUSTOMHANDLER_PORT=str(handler_port),
                   COSMOS_CONNECTION_STRING=uri,
                   COSMOS_DATABASE="rockpaperscissors")
        handler = subprocess.Popen([HANDLER], env=env, stdout=log,
                                   stderr=log)
        procs.append(handler)
        wait_ready(handler_port, handler)

        now = dt.datetime.now(dt.timezone.utc)
        games = season(now, random.Random(7))
        counted = 0
        for g in games:
            status, reply = invoke(handler_port, event(g))
            if status != 200:
                sys.exit(f"GameCompleted failed: {status} {reply}")
            counted += reply["Logs"][0].endswith("outcome=counted")
        # Event Grid delivers at least once: a redelivery counts once.
        redelivered = event(games[0], "redelivered-1")
        _, reply = invoke(handler_port, redelivered)
        print(reply["Logs"][0])
        # A malformed game is recorded and acknowledged, not retried.
        _, reply = invoke(handler_port,
                          event(dict(games[1], Id="bad-1", RockCount=-4)))
        print(reply["Logs"][0])
        print(f"\n{counted} games counted through GameCompleted; "
              f"process logs in {log.name}")

        db = pymongo.MongoClient(uri).rockpaperscissors
        for period in ("Daily", "Weekly", "Monthly"):
            print_board(db.stats.find_one({"_id": period}))

        if args.serve:
            print(f"\nhandler: http://127.0.0.1:{handler_port}/GameCompleted"
                  f"\ndatabase: {uri}\nCtrl-C stops both.")
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
