"""Several handler processes on one database, as a scaled-out Function App
runs: 150 distinct games, each delivered 2-3 times to different processes
at once, one process killed with SIGKILL and started again, and the
database restarted, every delivery that did not get a 2xx retried until it
does (as Event Grid would). Every saved leaderboard must then equal the
oracle's.

On mongo-java-server only: FerretDB's updates are not atomic across
connections (databases.md §9, rule 16), so concurrent writers from several
processes lose updates there whatever the handler does."""

import datetime as dt
import http.client
import json
import queue
import random
import threading
import time

import pytest

from support import (DB_SERVER, SEEN, Handler, event_grid_event, game,
                     http_request_envelope, oracle, utcnow)

pytestmark = pytest.mark.skipif(
    DB_SERVER != "mongojava",
    reason="needs mongo-java-server: FerretDB's updates are not atomic "
           "(databases.md rule 16)")

GAMES = 150
PROCESSES = 4          # three from start_handler, one killed and restarted
SENDERS = 8            # concurrent deliveries
WINNERS = [f"player{i:02d}@example.com" for i in range(12)]
BOUND_S = 240          # a hang guard, not a timing requirement


def spread_ago(rng):
    """A game's age, kept clear of the windows' edges (1 day, 7 days,
    a month) so that the seconds the test takes move no game across one."""
    low, high = rng.choice([(0.1, 23), (25, 166), (170, 26 * 24),
                            (33 * 24, 40 * 24)])
    return dt.timedelta(hours=rng.uniform(low, high))


def get_stats(handler, period):
    envelope = http_request_envelope(
        "", function="GetStats", route=f"api/Stats/GetStats/{period}",
        method="GET")
    envelope["Data"]["req"]["Params"] = {"period": period}
    status, reply = handler.invoke("GetStats", envelope)
    assert status == 200, reply
    res = reply["Outputs"]["res"]
    return res["statusCode"], json.loads(res["body"]) if res["body"] else None


def as_oracle(body):
    return {"games": body["games"],
            "moves": [m["count"] for m in body["moves"]],
            "winners": [(w["winnerEmail"], w["wins"])
                        for w in body["winners"]]}


class Slots:
    """The handler processes by slot; a slot's process can be replaced."""

    def __init__(self, handlers):
        self.lock = threading.Lock()
        self.handlers = list(handlers)

    def get(self, i):
        with self.lock:
            return self.handlers[i % len(self.handlers)]

    def replace(self, i, handler):
        with self.lock:
            self.handlers[i] = handler


def test_several_processes_duplicates_a_kill_and_a_database_restart(
        ferretdb, database_name, start_handler):
    server = ferretdb  # mongo-java-server with its H2 file
    rng = random.Random(20261202)
    options = "serverSelectionTimeoutMS=1500"
    settings = {"COSMOS_CONNECTION_STRING": server.handler_uri(options),
                "COSMOS_DATABASE": database_name, "GRIDBOARD_THREADS": "32"}

    games = [game(ago=spread_ago(rng), winner=rng.choice(WINNERS),
                  rock=rng.randint(0, 9), paper=rng.randint(0, 9),
                  scissors=rng.randint(0, 9)) for _ in range(GAMES)]
    events = [event_grid_event(g) for g in games]
    # Each game 2 or 3 times, every copy to a different process; Event
    # Grid's redeliveries carry the same event.
    tasks = []
    for i, event in enumerate(events):
        for slot in rng.sample(range(PROCESSES), rng.choice((2, 3))):
            tasks.append((i, event, slot))
    rng.shuffle(tasks)

    victim = Handler(settings).start()  # killed, so not start_handler's
    slots = Slots([start_handler(uri_options=options)
                   for _ in range(PROCESSES - 1)] + [victim])
    restarted = []

    work = queue.Queue()
    for t in tasks:
        work.put(t)
    done = [0]
    statuses = {}
    errors = []
    lock = threading.Lock()
    deadline = time.monotonic() + BOUND_S

    def attempt(handler, event):
        try:
            status, _ = handler.deliver(event)
            return status
        except (OSError, http.client.HTTPException, ValueError) as e:
            return type(e).__name__  # killed mid-request, or refused

    def sender():
        while True:
            try:
                i, event, slot = work.get_nowait()
            except queue.Empty:
                return
            tries = 0
            while True:
                # The first try goes to the chosen process, retries to the
                # next ones in turn, as a load balancer would spread them.
                outcome = attempt(slots.get(slot + tries), event)
                with lock:
                    statuses[outcome] = statuses.get(outcome, 0) + 1
                if outcome == 200:
                    break
                tries += 1
                if time.monotonic() > deadline:
                    with lock:
                        errors.append((i, outcome))
                    break
                time.sleep(min(0.5, 0.02 * 2 ** min(tries, 5)))
            with lock:
                done[0] += 1

    def progress(fraction):
        while done[0] < fraction * len(tasks) and time.monotonic() < deadline:
            time.sleep(0.01)

    def faults():
        progress(1 / 3)
        victim.proc.kill()  # SIGKILL, whatever it was doing
        victim.proc.wait()
        SEEN.append(("killed handler stdout", victim.stdout()))
        SEEN.append(("killed handler stderr", victim.stderr()))
        time.sleep(0.3)
        restarted.append(start_handler(uri_options=options))
        slots.replace(PROCESSES - 1, restarted[-1])
        progress(2 / 3)
        server.stop()
        time.sleep(1.0)
        server.start()

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    chaos = threading.Thread(target=faults)
    for t in threads + [chaos]:
        t.start()
    for t in threads + [chaos]:
        t.join()

    print(f"delivery outcomes: {statuses}")
    assert victim.proc.returncode == -9
    assert restarted, "the killed process was not started again"
    assert not errors, f"deliveries never accepted: {errors[:5]}; {statuses}"
    # Event Grid drops a delivery answered with a 4xx: none may be.
    assert not [s for s in statuses if isinstance(s, int) and
                400 <= s < 500], statuses

    # Every saved leaderboard, read through each live process, equals the
    # oracle's; the refreshes may lag the last acknowledgement a little.
    live = [slots.get(i) for i in range(PROCESSES)]
    last = None
    for _ in range(100):
        now = utcnow()
        expected = oracle(games, now)
        last = {}
        for n, handler in enumerate(live):
            for period in ("Daily", "Weekly", "Monthly"):
                status, body = get_stats(handler, period)
                last[(n, period)] = (status, as_oracle(body) if status == 200
                                     else body)
        if all(last[(n, p)] == (200, expected[p])
               for n in range(len(live)) for p in expected):
            break
        time.sleep(0.1)
    else:
        wrong = {k: v for k, v in last.items()
                 if v != (200, expected[k[1]])}
        pytest.fail(f"leaderboards differ from the oracle ({statuses}):\n"
                    f"got {wrong}\nexpected {expected}")
