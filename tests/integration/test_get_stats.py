"""GetStats and Generate, invoked as the Functions host does."""

import datetime as dt
import json
import time

from support import (event_grid_event, game, http_request_envelope, oracle,
                     utcnow)


def get_stats(handler, period, if_none_match=None):
    envelope = http_request_envelope(
        "", function="GetStats", route=f"api/Stats/GetStats/{period}",
        method="GET")
    envelope["Data"]["req"]["Params"] = {"period": period}
    if if_none_match:
        envelope["Data"]["req"]["Headers"]["If-None-Match"] = [if_none_match]
    status, reply = handler.invoke("GetStats", envelope)
    assert status == 200, reply
    res = reply["Outputs"]["res"]
    body = json.loads(res["body"]) if res["body"] else None
    return res["statusCode"], res["headers"], body, reply["Logs"]


def generate(handler, body):
    status, reply = handler.invoke("Generate", http_request_envelope(
        body, function="Generate", route="api/Stats/Generate"))
    assert status == 200, reply
    res = reply["Outputs"]["res"]
    return res["statusCode"], json.loads(res["body"])


def as_oracle(body):
    return {"games": body["games"],
            "moves": [m["count"] for m in body["moves"]],
            "winners": [(w["winnerEmail"], w["wins"]) for w in body["winners"]]}


def test_serves_the_cached_leaderboard_in_the_web_page_shape(handler):
    games = [game(winner="alice@example.com"), game(winner="bob@example.com"),
             game(winner="alice@example.com", ago=dt.timedelta(days=3))]
    for g in games:
        assert handler.deliver(event_grid_event(g))[0] == 200
    expected = oracle(games, utcnow())
    for period in ("Daily", "weekly", "MONTHLY"):
        status, headers, body, logs = get_stats(handler, period)
        assert status == 200
        canonical = period.capitalize()
        assert body["id"] == body["period"] == canonical
        assert [m["move"] for m in body["moves"]] == ["Rock", "Paper",
                                                      "Scissors"]
        assert as_oracle(body) == expected[canonical]
        assert headers["Cache-Control"] == "public, max-age=10"
        assert headers["ETag"].startswith(f'"{canonical}-')
        assert logs[0].endswith("source=cache")


def test_etag_gives_304_until_the_next_game(handler):
    handler.deliver(event_grid_event(game()))
    status, headers, body, _ = get_stats(handler, "Daily")
    etag = headers["ETag"]
    status, headers, body, _ = get_stats(handler, "Daily", etag)
    assert status == 304 and body is None and headers["ETag"] == etag
    assert get_stats(handler, "Daily", f'W/{etag}')[0] == 304
    handler.deliver(event_grid_event(game()))
    status, headers, body, _ = get_stats(handler, "Daily", etag)
    assert status == 200 and headers["ETag"] != etag and body["games"] == 2


def test_unknown_period_is_400(handler):
    for period in ("Yearly", "", "Daily;drop"):
        status, _, body, _ = get_stats(handler, period)
        assert status == 400
        assert body["error"]["field"] == "period"


def test_missing_expired_or_damaged_cache_is_recomputed(start_handler, mongo):
    handler = start_handler({"LEADERBOARD_TTL_SECONDS": "1"})
    games = [game(), game()]
    for g in games:
        handler.deliver(event_grid_event(g))
    mongo.boards.delete_one({"_id": "leaderboards"})
    status, _, body, logs = get_stats(handler, "Weekly")
    assert status == 200 and body["games"] == 2
    assert logs[0].endswith("source=recomputed")
    assert mongo.boards.find_one()["p1"]["g"] == 2

    time.sleep(1.2)  # past the TTL: the windows' edges moved too far
    status, _, body, logs = get_stats(handler, "Daily")
    assert logs[0].endswith("source=recomputed")

    # A board that is not what gridboard wrote is an error, not a silent
    # rebuild over it.
    mongo.boards.update_one({}, {"$set": {"p2.top": "garbage"}})
    status, _, body, logs = get_stats(handler, "Monthly")
    assert status == 500
    assert "board" in body["error"]["message"]


def test_database_down_is_503_not_stale(ferretdb, start_handler):
    handler = start_handler(uri_options="?serverSelectionTimeoutMS=1000")
    handler.deliver(event_grid_event(game()))
    ferretdb.stop()
    try:
        status, _, body, _ = get_stats(handler, "Daily")
        assert status == 503
        assert body["error"]["retryable"] is True
    finally:
        ferretdb.start()


def test_generate_is_off_by_default(handler, mongo):
    status, body = generate(handler, "100")
    assert status == 403
    assert body["error"]["field"] == "GRIDBOARD_ENABLE_GENERATE"
    assert mongo.games.count_documents({}) == 0


def test_generate_stores_games_and_recomputes(start_handler, mongo):
    handler = start_handler({"GRIDBOARD_ENABLE_GENERATE": "true"})
    status, body = generate(handler, "60")
    assert status == 200 and body == {"generated": 60}
    assert mongo.games.count_documents({}) == 60
    monthly = mongo.boards.find_one()["p2"]
    in_month = sum(1 for g in mongo.games.find()
                   if g["Timestamp"].replace(tzinfo=dt.timezone.utc) >=
                   monthly["start"].replace(tzinfo=dt.timezone.utc))
    assert monthly["g"] == in_month
    emails = {g["WinnerEmail"] for g in mongo.games.find()}
    assert emails <= {f"player{i}@example.com" for i in range(6)} | {"Bot"}
    for bad in ("0", "-3", "1.5", "10001", '"100"', "", "[1]"):
        status, body = generate(handler, bad)
        assert status == 400, bad
    assert mongo.games.count_documents({}) == 60
