"""SendResult: GameAPI's finished games published to the local Event Grid
topic, delivered to a subscriber."""

import json

import pytest

from support import (EventGridTopic, event_grid_event, game, new_key,
                     send_result, self_signed_certificate, subscription)

EVENT_FIELDS = {"id", "subject", "eventType", "eventTime", "dataVersion",
                "data", "topic", "metadataVersion"}


def publishing(topic, **settings):
    env = {"EVENT_GRID_TOPIC_ENDPOINT": topic.endpoint,
           "EVENT_GRID_TOPIC_KEY": topic.key,
           "EVENT_GRID_DEADLINE_MS": "3000"}
    env.update(settings)
    return env


def test_a_game_is_published_as_gameapi_would(topic, webhook, start_handler):
    handler = start_handler(publishing(topic))
    g = game()
    status, body, logs = send_result(handler, g)
    assert status == 202, body
    assert body["accepted"] == 1 and len(body["eventIds"]) == 1
    assert logs[0].endswith("games=1 requests=1 attempts=1 outcome=published")

    delivered = webhook.wait_for_events(1)
    assert len(delivered) == 1
    event = delivered[0]
    assert set(event) == EVENT_FIELDS
    assert event["id"] == body["eventIds"][0]
    assert event["subject"] == "GameAPI.GameCompleted"
    assert event["eventType"] == "GameCompleted"
    assert event["dataVersion"] == "1.0"
    assert event["eventTime"] == g["Timestamp"]
    assert event["data"] == g
    headers = webhook.deliveries[0]["headers"]
    assert headers["aeg-event-type"] == "Notification"
    assert headers["aeg-subscription-name"] == "STATS"

    # The same game again is the same event, so the consumer dedupes it.
    status, again, _ = send_result(handler, g)
    assert status == 202 and again["eventIds"] == body["eventIds"]


def test_an_array_of_games(topic, webhook, start_handler):
    handler = start_handler(publishing(topic))
    games = [game(winner=f"p{i}@example.com") for i in range(5)]
    status, body, _ = send_result(handler, games + [games[0]])  # a repeat
    assert status == 202, body
    assert body["accepted"] == 5
    delivered = webhook.wait_for_events(5)
    assert sorted(e["data"]["Id"] for e in delivered) == \
        sorted(g["Id"] for g in games)
    assert len(webhook.deliveries) == 5  # one event per delivery
    assert topic.log()["requests"] == [{"events": 5,
                                        "bytes": topic.log()["requests"][0]
                                        ["bytes"]}]


@pytest.mark.parametrize("body,field", [
    (dict(game(), RockCount=-1), "RockCount"),
    ({k: v for k, v in game().items() if k != "WinnerEmail"}, "WinnerEmail"),
    ([game(), dict(game(), Timestamp="soon")], "[1].Timestamp"),
    ([game(), "not a game"], "[1]"),
    ({"Id": {"$gt": ""}}, "Id"),
    ([], "body"),
    ("{not json", "body"),
    ("42", "body"),
    ("", "body"),
])
def test_bad_bodies_get_400_and_nothing_is_published(topic, start_handler,
                                                     body, field):
    handler = start_handler(publishing(topic))
    status, reply, _ = send_result(handler, body)
    assert status == 400, reply
    assert reply["error"]["field"] == field
    assert topic.log()["accepted"] == []


def test_two_games_sharing_an_id_are_refused(topic, start_handler):
    handler = start_handler(publishing(topic))
    g = game()
    status, reply, _ = send_result(handler, [g, dict(g, RockCount=9)])
    assert status == 400 and reply["error"]["field"] == "Id"
    assert topic.log()["accepted"] == []


def test_wrong_key_is_502_and_nothing_is_delivered(topic, webhook,
                                                   start_handler):
    handler = start_handler(publishing(topic, EVENT_GRID_TOPIC_KEY=new_key()))
    status, reply, logs = send_result(handler, game())
    assert status == 502, reply
    assert reply["error"]["retryable"] is False
    assert "401" in reply["error"]["message"]
    assert "Unauthorized" in reply["error"]["message"]
    assert "set EVENT_GRID_TOPIC_KEY" in reply["error"]["message"]
    assert reply["error"]["field"] == "EVENT_GRID_TOPIC_KEY"
    assert "outcome=failed" in logs[0]
    assert topic.log()["accepted"] == [] and webhook.events() == []


def test_throttled_then_accepted_is_delivered_once(topic, webhook,
                                                   start_handler):
    handler = start_handler(publishing(topic))
    topic.fail_next(429, count=2)
    status, body, logs = send_result(handler, game())
    assert status == 202, body
    assert "attempts=3" in logs[0]
    assert len(webhook.wait_for_events(1)) == 1
    assert len(topic.log()["accepted"]) == 1


def test_server_errors_until_the_deadline_are_503(topic, start_handler):
    handler = start_handler(publishing(topic, EVENT_GRID_DEADLINE_MS="800"))
    topic.fail_next(503, count=1000)
    status, reply, _ = send_result(handler, game())
    assert status == 503, reply
    assert reply["error"]["retryable"] is True
    assert "503" in reply["error"]["message"]


def test_topic_down_is_503(start_handler):
    handler = start_handler({
        "EVENT_GRID_TOPIC_ENDPOINT": "http://127.0.0.1:9/api/events",
        "EVENT_GRID_TOPIC_KEY": new_key(), "EVENT_GRID_DEADLINE_MS": "700"})
    status, reply, _ = send_result(handler, game())
    assert status == 503, reply
    assert reply["error"]["retryable"] is True
    assert "could not be reached" in reply["error"]["message"]


def test_over_a_megabyte_of_events_is_split(topic, webhook, start_handler):
    handler = start_handler(publishing(topic, EVENT_GRID_DEADLINE_MS="20000"))
    games = [game(winner=f"player{i % 50}@example.com") for i in range(3000)]
    status, body, logs = send_result(handler, games)
    assert status == 202, body
    requests = topic.log()["requests"]
    assert len(requests) >= 2
    assert all(r["bytes"] <= 1048576 for r in requests)
    assert sum(r["events"] for r in requests) == 3000
    assert f"requests={len(requests)}" in logs[0]


def test_sas_token_signed_by_the_handler(topic, webhook, start_handler):
    handler = start_handler(publishing(topic, EVENT_GRID_AUTH="sas"))
    status, body, _ = send_result(handler, game())
    assert status == 202, body
    assert len(webhook.wait_for_events(1)) == 1


def test_cloud_events_topic(webhook, start_handler):
    topic = EventGridTopic([subscription(webhook)],
                           schema="CloudEventSchemaV1_0")
    try:
        handler = start_handler(publishing(topic,
                                           EVENT_GRID_SCHEMA="cloudevents"))
        g = game()
        status, body, _ = send_result(handler, g)
        assert status == 202, body
        event = webhook.wait_for_events(1)[0]
        assert event["specversion"] == "1.0"
        assert event["type"] == "GameCompleted"
        assert event["id"] == body["eventIds"][0]
        assert event["data"] == g
        assert webhook.validations[0][0] == "OPTIONS"
        # Event Grid schema events to a CloudEvents topic are refused.
        wrong = start_handler(publishing(topic))
        status, reply, _ = send_result(wrong, game())
        assert status == 502, reply
    finally:
        topic.stop()


def test_https_topic_is_verified(webhook, start_handler, tmp_path):
    cert, key = self_signed_certificate(str(tmp_path))
    topic = EventGridTopic([subscription(webhook)], tls=(cert, key))
    try:
        trusted = start_handler(publishing(topic, EVENT_GRID_CA_FILE=cert))
        status, body, _ = send_result(trusted, game())
        assert status == 202, body
        untrusted = start_handler(publishing(topic))
        status, reply, _ = send_result(untrusted, game())
        assert status == 502, reply
        assert "not trusted" in reply["error"]["message"]
    finally:
        topic.stop()


def test_not_configured_refuses_clearly(start_handler):
    handler = start_handler()
    status, reply, _ = send_result(handler, game())
    assert status == 500
    assert reply["error"]["field"] == "EVENT_GRID_TOPIC_ENDPOINT"


def test_keys_never_appear_in_logs_or_replies(topic, start_handler):
    wrong_key = new_key()
    handler = start_handler(publishing(topic, EVENT_GRID_TOPIC_KEY=wrong_key,
                                       EVENT_GRID_AUTH="sas"))
    status, reply, logs = send_result(handler, game())
    assert status == 502
    seen = json.dumps(reply) + json.dumps(logs) + handler.stdout() + \
        handler.stderr()
    for secret in (wrong_key, topic.key):
        assert secret not in seen


def test_a_different_game_under_a_stored_id_is_409(topic, start_handler):
    """GameCompleted would keep it out after a 202: SendResult refuses it,
    naming Id, and publishes nothing; the stored game itself again is
    published as before (its event is the same, the consumer dedupes)."""
    handler = start_handler(publishing(topic))
    g = game()
    assert handler.deliver(event_grid_event(g))[0] == 200
    status, reply, logs = send_result(handler, [game(),
                                                dict(g, RockCount=9)])
    assert status == 409, reply
    assert reply["error"]["field"] == "Id"
    assert g["Id"] in reply["error"]["message"]
    assert reply["error"]["retryable"] is False
    assert "status=409 field=Id" in logs[0]
    assert topic.log()["accepted"] == []
    status, body, _ = send_result(handler, g)
    assert status == 202, body


def test_database_unreachable_publishes_and_says_so(topic, webhook,
                                                    start_handler):
    handler = start_handler(publishing(
        topic, COSMOS_CONNECTION_STRING="mongodb://127.0.0.1:9/"
        "?serverSelectionTimeoutMS=300&connectTimeoutMS=300"))
    status, body, logs = send_result(handler, game())
    assert status == 202, body
    assert any("could not be read" in line and "without the Id check" in line
               for line in logs), logs
    assert len(webhook.wait_for_events(1)) == 1
