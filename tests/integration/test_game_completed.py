"""GameCompleted against a real FerretDB: leaderboards, duplicates,
invalid events, outages and concurrency."""

import datetime as dt
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor


from support import (cloud_event, event_grid_event, game, oracle,
                     parse_iso, stored_boards, utcnow)


def deliver_batch(handler, events):
    """One Event Grid delivery as the host runs it: one invocation per
    event, all at once (functions-host.md §6)."""
    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        return list(pool.map(handler.deliver, events))


def assert_boards_match(mongo, games):
    now = utcnow()
    expected = oracle(games, now)
    assert stored_boards(mongo) == expected
    return expected


def test_a_game_updates_all_three_leaderboards(handler, mongo):
    g = game(winner="alice@example.com", rock=3, paper=2, scissors=1)
    status, reply = handler.deliver(event_grid_event(g))
    assert status == 200, reply

    stored = mongo.games.find_one({"_id": g["Id"]})
    assert stored["WinnerEmail"] == "alice@example.com"
    assert (stored["RockCount"], stored["PaperCount"],
            stored["ScissorsCount"]) == (3, 2, 1)
    assert isinstance(stored["Timestamp"], dt.datetime)  # a BSON date
    assert abs(stored["Timestamp"].replace(tzinfo=dt.timezone.utc) -
               parse_iso(g["Timestamp"])) < dt.timedelta(milliseconds=1)

    boards = stored_boards(mongo)
    for period in ("Daily", "Weekly", "Monthly"):
        assert boards[period] == {"games": 1, "moves": [3, 2, 1],
                                  "winners": [("alice@example.com", 1)]}
    # Taken in by the board that counted it, which lists it until its
    # journal is written out (then the game is marked with its sequence).
    board = mongo.boards.find_one({"_id": "leaderboards"})
    assert board["take"] == [g["Id"]]
    assert mongo.games.find_one({"_id": g["Id"]})["k"] in (0, board["s"])
    assert "Timestamp_1" in mongo.games.index_information()
    assert "k_1" in mongo.games.index_information()


def test_windows_hold_the_right_games(handler, mongo):
    games = [game(ago=dt.timedelta(hours=2), winner="day@example.com"),
             game(ago=dt.timedelta(days=3), winner="week@example.com"),
             game(ago=dt.timedelta(days=20), winner="month@example.com"),
             game(ago=dt.timedelta(days=40), winner="old@example.com")]
    for g in games:
        assert handler.deliver(event_grid_event(g))[0] == 200
    boards = assert_boards_match(mongo, games)
    assert boards["Daily"]["winners"] == [("day@example.com", 1)]
    assert boards["Weekly"]["games"] == 2
    assert boards["Monthly"]["games"] == 3
    assert mongo.games.count_documents({}) == 4  # old games are kept


def test_ranking_top_ten_with_ties_by_email(handler, mongo):
    games = []
    for player in range(12):
        for _ in range(player % 4 + 1):
            games.append(game(winner=f"p{player:02d}@example.com"))
    games.append(game(winner="Bot"))
    for batch_start in range(0, len(games), 8):
        deliver_batch(handler, [event_grid_event(g)
                                for g in games[batch_start:batch_start + 8]])
    boards = assert_boards_match(mongo, games)
    winners = boards["Daily"]["winners"]
    assert len(winners) == 10
    assert winners[0] == ("p03@example.com", 4)
    # Nine players have 2 wins or more; of the 1-win ties, "Bot" sorts
    # first in byte order.
    assert winners[-1] == ("Bot", 1)


def test_the_same_event_ten_times_counts_once(handler, mongo):
    g = game()
    event = event_grid_event(g)
    replies = [handler.deliver(event) for _ in range(10)]
    assert all(status == 200 for status, _ in replies), replies
    assert " outcome=counted " in replies[0][1]["Logs"][0]
    assert all(" outcome=duplicate " in r["Logs"][0]
               for _, r in replies[1:])
    # The same game as a CloudEvent, and as a new event id, is no new game.
    assert handler.deliver(cloud_event(g))[0] == 200
    assert handler.deliver(event_grid_event(g))[0] == 200
    assert mongo.games.count_documents({}) == 1
    assert mongo.rejected.count_documents({}) == 0
    assert_boards_match(mongo, [g])


def test_cloud_events_are_counted(handler, mongo):
    games = [game(winner="ce@example.com") for _ in range(3)]
    for g in games:
        status, reply = handler.deliver(cloud_event(g))
        assert status == 200, reply
    assert_boards_match(mongo, games)


def test_a_batch_of_valid_and_invalid_games(handler, mongo):
    valid = [game(winner=f"v{i}@example.com") for i in range(3)]
    bad = {
        "negative": dict(game(), RockCount=-1),
        "missing": {k: v for k, v in game().items() if k != "WinnerEmail"},
        "timestamp": dict(game(), Timestamp="last tuesday"),
        "operator": dict(game(), Id={"$gt": ""}),
        "fraction": dict(game(), PaperCount=1.5),
    }
    events = [event_grid_event(g) for g in valid]
    bad_events = {name: event_grid_event(g, event_id=f"bad-{name}")
                  for name, g in bad.items()}
    bad_events["type"] = event_grid_event(game(), event_id="bad-type",
                                          event_type="GameStarted")
    no_spec = cloud_event(game(), event_id="bad-spec")
    del no_spec["specversion"]
    bad_events["spec"] = no_spec
    events += bad_events.values()

    replies = deliver_batch(handler, events)
    assert all(status == 200 for status, _ in replies), replies

    assert mongo.games.count_documents({}) == 3
    assert_boards_match(mongo, valid)
    rejected = {doc["_id"]: doc for doc in mongo.rejected.find()}
    expected_fields = {"negative": "data.RockCount",
                       "missing": "data.WinnerEmail",
                       "timestamp": "data.Timestamp", "operator": "data.Id",
                       "fraction": "data.PaperCount", "type": "eventType",
                       "spec": "specversion"}
    assert set(rejected) == {f"invalid:bad-{n}" for n in expected_fields}
    for name, field in expected_fields.items():
        doc = rejected[f"invalid:bad-{name}"]
        assert doc["field"] == field, doc
        assert doc["kind"] == "invalid" and doc["deliveries"] == 1
        assert json.loads(doc["raw"])["id"] == f"bad-{name}"

    # Redelivering a rejected event is acknowledged again, recorded once.
    assert handler.deliver(bad_events["negative"])[0] == 200
    assert mongo.rejected.find_one(
        {"_id": "invalid:bad-negative"})["deliveries"] == 2


def test_same_id_different_content_is_kept_out(handler, mongo):
    original = game(winner="first@example.com")
    impostor = dict(original, WinnerEmail="second@example.com")
    assert handler.deliver(event_grid_event(original))[0] == 200
    status, reply = handler.deliver(event_grid_event(impostor, "evt-2"))
    assert status == 200
    assert "outcome=rejected kind=conflict" in reply["Logs"][0]
    assert mongo.games.find_one({"_id": original["Id"]})["WinnerEmail"] == \
        "first@example.com"
    conflict = mongo.rejected.find_one({"_id": "conflict:evt-2"})
    assert conflict["gameId"] == original["Id"]
    assert_boards_match(mongo, [original])


def test_database_down_fails_then_redelivery_counts_once(ferretdb,
                                                         start_handler,
                                                         mongo):
    handler = start_handler(uri_options="?serverSelectionTimeoutMS=1500")
    first, second = game(), game()
    assert handler.deliver(event_grid_event(first))[0] == 200
    ferretdb.stop()
    try:
        event = event_grid_event(second)
        status, reply = handler.deliver(event)
        assert status == 503, reply
        assert reply["error"]["retryable"] is True
        assert "outcome=failed retryable=yes" in reply["Logs"][0]
    finally:
        ferretdb.start()
    # Event Grid redelivers on its schedule; the first tries after a
    # restart may still meet a dropped connection.
    for _ in range(20):
        status, reply = handler.deliver(event)
        if status == 200:
            break
        assert status == 503, reply
        time.sleep(0.25)
    assert status == 200, reply
    assert mongo.games.count_documents({}) == 2
    assert_boards_match(mongo, [first, second])


def test_failed_refresh_is_repaired_by_the_redelivery(ferretdb, handler,
                                                      mongo):
    # The game is stored but not taken in (as if the first delivery died
    # between its insert and the refresh): the redelivery, a duplicate,
    # counts it once.
    g, other = game(), game(winner="bob@example.com")
    assert handler.deliver(event_grid_event(other))[0] == 200
    mongo.games.insert_one({
        "_id": g["Id"], "WinnerEmail": g["WinnerEmail"],
        "RockCount": g["RockCount"], "PaperCount": g["PaperCount"],
        "ScissorsCount": g["ScissorsCount"],
        "Timestamp": parse_iso(g["Timestamp"]), "storedAt": utcnow(), "k": 0})
    status, reply = handler.deliver(event_grid_event(g))
    assert status == 200
    assert " outcome=duplicate " in reply["Logs"][0]
    assert_boards_match(mongo, [g, other])
    # The board lost: rebuilt from the games, nothing counted twice.
    mongo.boards.delete_many({})
    assert handler.deliver(event_grid_event(g))[0] == 200
    assert_boards_match(mongo, [g, other])


def test_a_rebuild_writes_every_winner_tally_batch(handler, mongo):
    """A rebuild writes its winners' tallies in commands of 40 as the
    aggregation returns them: with 95 winners, the last batch's tallies are
    there too, so later games add to them."""
    games = [game(winner=f"w{i:02d}@example.com") for i in range(95)]
    for g in games:
        assert handler.deliver(event_grid_event(g))[0] == 200
    mongo.boards.delete_many({})
    # A redelivery waits for its game to show: the board is rebuilt.
    assert handler.deliver(event_grid_event(games[0]))[0] == 200
    lineage = mongo.boards.find_one()["l"]
    assert mongo.tallies.count_documents(
        {"l": lineage, "n0": 1, "n1": 1, "n2": 1}) == 95
    later = [game(winner="w94@example.com"), game(winner="w93@example.com")]
    for g in later:
        assert handler.deliver(event_grid_event(g))[0] == 200
    assert_boards_match(mongo, games + later)


def test_200_concurrent_distinct_games_are_all_counted(handler, mongo):
    games = [game(winner=f"c{i % 17}@example.com", rock=i % 5, paper=i % 3,
                  scissors=i % 2) for i in range(200)]
    start = threading.Barrier(200)

    def deliver(g):
        start.wait()
        return handler.deliver(event_grid_event(g))

    with ThreadPoolExecutor(max_workers=200) as pool:
        replies = list(pool.map(deliver, games))
    assert [s for s, _ in replies].count(200) == 200, \
        [r for s, r in replies if s != 200][:3]
    assert mongo.games.count_documents({}) == 200
    # Concurrent refreshes race to save: the newest computation must be
    # the one left in the cache.
    assert_boards_match(mongo, games)
