"""The fault campaign: games pushed through the whole flow while faults are
injected, then compared with an oracle computed from the list of games sent.

    .venv/bin/python tests/campaign.py --games 10000

Loopback only, bounded in time. The path is SendResult → the local Event
Grid topic → the local Functions host → GameCompleted → FerretDB. Faults, on
a schedule by progress: FerretDB stopped and restarted (deliveries fail with
500 and are redelivered), the topic answering 429 and then 503 for a while
(SendResult answers 503, the client posts again), the handler killed with
SIGKILL (the host restarts it), and games posted twice. The figures printed
at the end: games sent, faults, retries seen, lost, double-counted, and
whether every cached leaderboard equals a fresh computation."""

import argparse
import os
import signal
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "integration"))
import pymongo  # noqa: E402

from support import FerretDB, Flow, game, oracle, stored_boards, utcnow  # noqa


def run(ferretdb, games_total, clients=8, deadline_s=1800,
        log=lambda line: print(line, flush=True)):
    database = "campaign" + uuid.uuid4().hex[:8]
    # Retries run 2,000 times faster than Event Grid's schedule, but the
    # TTL stays Event Grid's real 24 hours: a backlog on a slow machine is
    # not a reason to dead-letter events the schedule would still deliver.
    scale = 0.0005
    flow = Flow(ferretdb, database, time_scale=scale,
                settings={"EVENT_GRID_DEADLINE_MS": "2000"},
                eventTimeToLiveInMinutes=int(1440 / scale))
    db = pymongo.MongoClient(ferretdb.uri, serverSelectionTimeoutMS=10000)[
        database]
    started = time.monotonic()
    hours = [2, 30, 100, 300, 600]  # within Daily, Weekly, Monthly, none
    games = [game(ago=__import__("datetime").timedelta(
        hours=hours[i % 5], minutes=i % 50, seconds=i % 60),
        winner=f"p{i % 23}@example.com", rock=i % 5, paper=i % 4,
        scissors=i % 3) for i in range(games_total)]
    figures = {"sent": 0, "posted_twice": 0, "client_retries": 0,
               "faults": []}
    lock = threading.Lock()
    fault_lock = threading.Lock()
    progress = [0]
    faults_done = set()

    def post(g):
        for _ in range(600):
            if time.monotonic() - started > deadline_s:
                raise SystemExit("campaign deadline reached")
            status, body = flow.send_result(g)
            if status == 202:
                return
            with lock:
                figures["client_retries"] += 1
            time.sleep(0.05)
        raise AssertionError(f"SendResult kept failing: {status} {body}")

    def fault(step):
        log(f"campaign: fault {step} at {progress[0]} games")
        if step == "database":
            ferretdb.stop()
            time.sleep(1.5)
            ferretdb.start()
        elif step == "throttle":
            flow.topic.fail_next(429, count=15)
        elif step == "unavailable":
            flow.topic.fail_next(503, count=15)
        elif step == "kill":
            pid = flow.handler_pid()
            if pid:
                os.kill(pid, signal.SIGKILL)
        figures["faults"].append(step)

    schedule = {0.15: "database", 0.35: "throttle", 0.5: "unavailable",
                0.65: "kill", 0.85: "database"}

    def client(index):
        for i in range(index, games_total, clients):
            post(games[i])
            with lock:
                figures["sent"] += 1
                progress[0] += 1
                done = progress[0] / games_total
                due = [f for f in schedule if f <= done and
                       f not in faults_done]
                faults_done.update(due)
            # The client that crosses a mark injects the fault itself, one
            # at a time, while the other clients go on posting.
            for f in sorted(due):
                with fault_lock:
                    fault(schedule[f])
            if i % 20 == 0:  # GameAPI posting the same game again
                post(games[i])
                with lock:
                    figures["posted_twice"] += 1

    try:
        with ThreadPoolExecutor(max_workers=clients) as pool:
            list(pool.map(client, range(clients)))
        log(f"campaign: all posted after {time.monotonic() - started:.1f} s")
        # Event Grid keeps delivering until every event got a 2xx.
        wanted = {g["Id"] for g in games}
        while time.monotonic() - started < deadline_s:
            if db.games.count_documents({}) >= len(wanted) or \
                    flow.topic.log()["deadLettered"]:
                break
            time.sleep(0.25)
        log(f"campaign: all stored after {time.monotonic() - started:.1f} s")
        time.sleep(0.5)  # the last refreshes land
        stored = {d["_id"] for d in db.games.find({}, {"_id": 1})}
        log_ = flow.topic.log()
        boards_ok = False
        for _ in range(40):
            boards_ok = stored_boards(db) == oracle(games, utcnow())
            if boards_ok:
                break
            time.sleep(0.25)
        figures.update({
            "stored": len(stored),
            "lost": len(wanted - stored),
            "unexpected": len(stored - wanted),
            "double_counted": sum(
                b["games"] for b in stored_boards(db).values()) -
            sum(b["games"] for b in oracle(games, utcnow()).values()),
            "delivery_attempts": len(log_["deliveries"]),
            "delivery_retries": sum(1 for d in log_["deliveries"]
                                    if d["attempt"] > 1),
            "dead_lettered": len(log_["deadLettered"]),
            "caches_equal_fresh_computation": boards_ok,
            "seconds": round(time.monotonic() - started, 1)})
    finally:
        flow.stop()
    log("campaign: " + " ".join(f"{k}={v}" for k, v in figures.items()))
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=10000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--deadline", type=int, default=3600,
                        help="seconds before the campaign gives up")
    args = parser.parse_args()
    ferretdb = FerretDB()
    ferretdb.start()
    try:
        figures = run(ferretdb, args.games, args.clients, args.deadline)
    finally:
        ferretdb.stop()
    ok = (figures["lost"] == 0 and figures["unexpected"] == 0 and
          figures["double_counted"] == 0 and
          figures["caches_equal_fresh_computation"])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
