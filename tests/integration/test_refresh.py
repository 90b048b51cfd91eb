"""The saved leaderboards at the default refresh interval: games arriving
together share one refresh, a delivery answers only once its game is
counted, instances share one refresh per interval, and GetStats answers
from the instance's copy."""
import datetime as dt
import os
import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from support import (WRAPPER, event_grid_event, game, oracle, stored_boards,
                     utcnow)
from test_get_stats import get_stats

STORE_COST = os.environ.get("GB_STORE_COST", "build-test/tests/store_cost")

DEFAULTS = {"LEADERBOARD_REFRESH_MS": "1000", "LEADERBOARD_CACHE_MS": "1000"}


def commands(reply):
    line = next(e for e in reply["Logs"] if "db_commands=" in e)
    return int(re.search(r"db_commands=(\d+)", line).group(1))


def test_games_arriving_together_share_one_refresh(start_handler, mongo):
    handler = start_handler(DEFAULTS)
    assert handler.deliver(event_grid_event(game()))[0] == 200  # set-up
    games = [game(winner=f"p{i % 7}@example.com") for i in range(40)]
    start = threading.Barrier(len(games))

    def deliver(g):
        start.wait()
        return handler.deliver(event_grid_event(g))

    with ThreadPoolExecutor(max_workers=len(games)) as pool:
        replies = list(pool.map(deliver, games))
    assert all(status == 200 for status, _ in replies), replies[:2]
    used = [commands(reply) for _, reply in replies]
    # One insert each; the refreshes (a few, one per interval) are shared.
    assert sum(used) <= 4 * len(games), used
    assert stored_boards(mongo)["Daily"]["games"] == len(games) + 1


def test_a_delivery_answers_once_its_game_shows(start_handler, mongo):
    handler = start_handler(DEFAULTS)
    # An instance that keeps its copy long, so that its second read is
    # answered from it however slowly the suite runs.
    other = start_handler({**DEFAULTS, "LEADERBOARD_CACHE_MS": "60000"})
    sent = []
    for i in range(3):
        g = game(winner=f"fresh{i}@example.com")
        sent.append(g)
        assert handler.deliver(event_grid_event(g))[0] == 200
        # The delivering instance's copy is replaced by its refresh.
        status, _, body, logs = get_stats(handler, "Daily")
        assert status == 200 and body["games"] == len(sent)
    expected = oracle(sent, utcnow())["Daily"]
    assert body["winners"] == [{"winnerEmail": w, "wins": n}
                               for w, n in expected["winners"]]
    # Another instance reads the board once, then answers from its copy.
    status, _, body, logs = get_stats(other, "Daily")
    assert body["games"] == len(sent)
    assert logs[0].endswith("source=cache")
    status, _, again, logs = get_stats(other, "Daily")
    assert logs[0].endswith("source=memory") and again == body
    # Every game is taken in: marked, or listed by the board until its
    # journal is written out.
    listed = set(mongo.boards.find_one({"_id": "leaderboards"})["take"])
    assert {d["_id"] for d in mongo.games.find({"k": 0})} <= listed


def test_instances_share_one_refresh_per_interval(ferretdb, database_name,
                                                  mongo):
    """Four stores as four instances on a simulated clock (bench/store_cost.c
    measure: each delivery waits through gb_store_sync_at turns, as the
    handler's does), a game every 300 ms spread at random over them: every
    delivery is answered only once its game is taken in, within an interval
    and a quarter of its arrival
    (docs/internals/leaderboards.md, Pacing), about one board is written
    per interval across all four, and the board equals the oracle."""
    games, gap_ms, interval_ms = 40 if WRAPPER else 100, 300, 1000
    start = (int(time.time()) - 60) * 1000
    run = subprocess.run(
        WRAPPER + [STORE_COST, ferretdb.uri + "?retryWrites=false",
                   database_name, "measure", str(start), str(gap_ms),
                   str(games), "4", "5"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "GB_STORE_COST_CHECK": "1"})
    assert run.returncode == 0, run.stderr[-3000:]
    figures = [dict(re.findall(r"(\w+)=(\d+)", line))
               for line in run.stdout.splitlines()
               if line.startswith("mode=measure")]
    assert len(figures) == 4, run.stdout
    # Answered only once taken in: listed on the board or marked.
    assert "mode=check early=0" in run.stdout, run.stdout
    assert sum(int(f["answered"]) for f in figures) == games
    assert max(int(f["wait_max_ms"]) for f in figures) <= \
        interval_ms + interval_ms // 4, run.stdout
    board = mongo.boards.find_one({"_id": "leaderboards"})
    span_s = games * gap_ms / 1000
    # One write per interval, and at most one more per instance around it.
    assert board["s"] <= span_s + 1 + 4 + 1, board["s"]
    stored = [{**g, "Timestamp": g["Timestamp"].strftime(
        "%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z"} for g in mongo.games.find()]
    assert len(stored) == games
    end = board["end"].replace(tzinfo=dt.timezone.utc)
    assert stored_boards(mongo) == oracle(stored, end)
