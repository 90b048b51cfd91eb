"""The whole flow on one machine: GameAPI's posts to SendResult, through
the local Event Grid topic and the local Functions host, into
GameCompleted and the leaderboards read back through GetStats."""

import datetime as dt
import os
import signal
import time
import urllib.parse

import pytest

from support import Flow, game, memory_reports, oracle, stored_boards, utcnow


@pytest.fixture
def flow(ferretdb, database_name):
    f = Flow(ferretdb, database_name)
    yield f
    code = f.stop()
    assert code == 0, f.host_output()[-3000:]
    assert not memory_reports(f.host_output()), f.host_output()[-5000:]


def season(n):
    spread = [dt.timedelta(hours=2), dt.timedelta(days=3),
              dt.timedelta(days=20), dt.timedelta(days=45)]
    return [game(ago=spread[i % 4] + dt.timedelta(minutes=i),
                 winner=f"p{i % 7}@example.com", rock=i % 4, paper=i % 3,
                 scissors=i % 5) for i in range(n)]


def wait_counted(mongo, n, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if mongo.games.count_documents({}) >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"{mongo.games.count_documents({})} of {n} games")


def boards_through_get_stats(flow):
    boards = {}
    for period in ("Daily", "Weekly", "Monthly"):
        status, _, body = flow.get_stats(period)
        assert status == 200, body
        boards[period] = {
            "games": body["games"],
            "moves": [m["count"] for m in body["moves"]],
            "winners": [(w["winnerEmail"], w["wins"]) for w in body["winners"]]}
    return boards


def settle(flow, mongo, games):
    """Waits until every game is stored, Event Grid has nothing left to
    deliver and the last delivery's refresh has landed, then checks the
    leaderboards both ways against the oracle."""
    wait_counted(mongo, len(games))
    flow.topic.wait_delivered()
    deadline = time.monotonic() + 10
    expected = oracle(games, utcnow())
    while time.monotonic() < deadline:
        if stored_boards(mongo) == expected:
            break
        time.sleep(0.05)
    assert stored_boards(mongo) == oracle(games, utcnow())
    assert boards_through_get_stats(flow) == oracle(games, utcnow())


def test_n_games_posted_are_counted_exactly_once(flow, mongo):
    games = season(40)
    for g in games[:10]:
        status, body = flow.send_result(g)
        assert status == 202, body
    status, body = flow.send_result(games[10:])  # GameAPI may batch
    assert status == 202 and body["accepted"] == 30
    settle(flow, mongo, games)
    assert mongo.games.count_documents({}) == 40
    assert mongo.rejected.count_documents({}) == 0
    log = flow.topic.log()
    assert len(log["accepted"]) == 40
    assert all(d["status"] == 202 for d in log["deliveries"])


def test_duplicate_posts_and_redeliveries_count_once(ferretdb, flow, mongo):
    games = season(8)
    for g in games:
        assert flow.send_result(g)[0] == 202
    for g in games[:4]:  # GameAPI retrying a post
        assert flow.send_result(g)[0] == 202
    settle(flow, mongo, games)
    # The database goes away: deliveries fail with 500 and Event Grid
    # retries them until it is back.
    more = season(6)
    ferretdb.stop()
    try:
        for g in more:
            assert flow.send_result(g)[0] == 202
        flow.topic.wait_for(lambda s: sum(
            1 for d in s["deliveries"] if d["status"] == 500) >= 6)
    finally:
        ferretdb.start()
    settle(flow, mongo, games + more)
    log = flow.topic.log()
    assert log["deadLettered"] == []
    assert any(d["attempt"] > 1 and d["status"] == 202
               for d in log["deliveries"]), [
        (d["attempt"], d["status"]) for d in log["deliveries"]]


def test_handler_killed_mid_season_loses_nothing(flow, mongo):
    games = season(30)
    for g in games[:10]:
        assert flow.send_result(g)[0] == 202
    first = flow.handler_pid()
    os.kill(first, signal.SIGKILL)
    # A post that meets the dead process fails with 500, as the host
    # answers, and the caller tries again; later posts wait for the
    # restarted handler. Deliveries in flight fail and Event Grid delivers
    # them again.
    failed = 0
    for g in games[10:]:
        for _ in range(50):
            status, body = flow.send_result(g)
            if status != 500:
                break
            failed += 1
            time.sleep(0.05)
        assert status == 202, body
    settle(flow, mongo, games)
    assert flow.handler_pid() not in (None, first)
    assert "exited with code -9" in flow.host_output()


def test_get_stats_caching_through_the_host(ferretdb, database_name, mongo):
    flow = Flow(ferretdb, database_name,
                settings={"LEADERBOARD_TTL_SECONDS": "1"})
    try:
        games = season(4)
        assert flow.send_result(games)[0] == 202
        settle(flow, mongo, games)
        status, headers, body = flow.get_stats("daily")
        assert status == 200
        assert headers["Content-Type"].startswith("application/json")
        etag = headers["ETag"]
        status, headers, body304 = flow.get_stats(
            "Daily", {"If-None-Match": etag})
        assert status == 304 and body304 is None
        time.sleep(1.2)  # the saved leaderboard expires
        status, headers, again = flow.get_stats("Daily")
        assert status == 200 and headers["ETag"] != etag
        assert again["winners"] == body["winners"]
        assert "period=Daily status=200 source=recomputed" in \
            flow.host_output()
        status, _, error = flow.get_stats("Fortnightly")
        assert status == 400 and error["error"]["field"] == "period"
    finally:
        assert flow.stop() == 0
        assert not memory_reports(flow.host_output())


def test_auth_levels(flow):
    key = flow.function_key
    game_body = game()
    for path, headers in (("/api/Stats/SendResult", {}),
                          ("/api/Stats/SendResult?code=wrong", {}),
                          ("/api/Stats/SendResult", {"x-functions-key":
                                                     "wrong"}),
                          ("/api/Stats/Generate", {})):
        status, _, _ = flow.request("POST", path, game_body, headers)
        assert status == 401, path
    assert flow.request("POST", "/api/Stats/SendResult", game_body,
                        {"x-functions-key":
                         flow.keys["functionKeys"]["default"]})[0] == 202
    assert flow.request("POST", f"/api/Stats/SendResult?code={key}",
                        game_body)[0] == 202
    # Generate is authorised, then refused by its own switch.
    assert flow.request("POST", f"/api/Stats/Generate?code={key}", 5)[0] \
        == 403
    assert flow.get_stats("Weekly")[0] == 200  # anonymous
    status, _, _ = flow.request(
        "POST", "/runtime/webhooks/eventgrid?functionName=GameCompleted",
        [], {"aeg-event-type": "Notification"})
    assert status == 401
    system = urllib.parse.quote(flow.keys["systemKeys"]["eventgrid_extension"])
    status, _, raw = flow.request(
        "POST", "/runtime/webhooks/eventgrid?functionName=GameCompleted"
        f"&code={system}",
        [{"id": "v", "eventType":
          "Microsoft.EventGrid.SubscriptionValidationEvent",
          "data": {"validationCode": "abc"}}],
        {"aeg-event-type": "SubscriptionValidation"})
    assert status == 200 and b'"abc"' in raw
    status, _, _ = flow.request(
        "POST", "/runtime/webhooks/eventgrid?functionName=Nope"
        f"&code={system}", [], {"aeg-event-type": "Notification"})
    assert status == 404
    status, _, _ = flow.request(
        "POST", "/runtime/webhooks/eventgrid?functionName=GameCompleted"
        f"&code={system}", [])
    assert status == 400  # no aeg-event-type


def test_the_assembled_app_folder_runs(ferretdb, database_name, mongo):
    """The app folder (host.json, the function folders, the handler) starts as
    customHandler.description.defaultExecutablePath says."""
    app_dir = os.environ.get("GB_APP_DIR", "build-test/app")
    flow = Flow(ferretdb, database_name, app_dir=app_dir)
    try:
        games = season(3)
        assert flow.send_result(games)[0] == 202
        settle(flow, mongo, games)
        handler = os.path.join(os.path.abspath(app_dir), "gridboard-handler")
        assert f"Starting worker process: {handler} " in flow.host_output()
    finally:
        assert flow.stop() == 0
        assert not memory_reports(flow.host_output())
