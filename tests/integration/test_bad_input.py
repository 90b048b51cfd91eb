"""The catalogue of bad input: each case gets its documented status and a
JSON error naming the field, nothing is stored, and the handler keeps
serving."""

import json
import socket
import time

import pytest

from support import (cloud_event, envelope_for, event_grid_event, game,
                     new_key, send_result, stored_boards)

JSON = {"Content-Type": "application/json"}


def raw(handler, body, headers=JSON, path="/GameCompleted"):
    status, resp_headers, data = handler.request("POST", path, body, headers)
    assert resp_headers["Content-Type"] == "application/json"
    return status, json.loads(data)


def still_serving(handler):
    assert handler.request("GET", "/")[0] == 200


def nested(depth):
    return "[" * depth + "]" * depth


# ------------------------------------------------------------ the envelope

ENVELOPE_CASES = [
    ("empty body", b"", 400, "body"),
    ("white space only", b"   ", 400, "body"),
    ("not JSON", b"hello", 400, "body"),
    ("trailing garbage", b'{"Data":{}} {}', 400, "body"),
    ("raw NUL byte", b'{"Data":{"x":"a\x00b"}}', 400, "body"),
    ("escaped NUL", b'{"Data":{"x":"a\\u0000b"}}', 400, "body"),
    ("invalid UTF-8", b'{"Data":{"x":"\xff\xfe"}}', 400, "body"),
    ("overlong UTF-8", b'{"Data":{"x":"\xc0\xaf"}}', 400, "body"),
    ("lone surrogate", b'{"Data":{"x":"\\ud800"}}', 400, "body"),
    ("nested 65 deep", ('{"Data":{"x":' + nested(64) + "}}").encode(), 400,
     "body"),
    ("nested 100000 deep", nested(100000).encode(), 400, "body"),
    ("array body", b"[]", 400, "body"),
    ("Data missing", b'{"Metadata":{}}', 400, "Data"),
    ("Data a string", b'{"Data":"x"}', 400, "Data"),
    ("Metadata an array", b'{"Data":{},"Metadata":[1]}', 400, "Metadata"),
    ("binding missing", b'{"Data":{"other":{}}}', 400, "Data.eventGridEvent"),
    ("binding null", b'{"Data":{"eventGridEvent":null}}', 400,
     "Data.eventGridEvent"),
    ("binding a broken string", b'{"Data":{"eventGridEvent":"{"}}', 400,
     "Data.eventGridEvent"),
]


@pytest.mark.parametrize("name,body,status,field", ENVELOPE_CASES,
                         ids=[c[0] for c in ENVELOPE_CASES])
def test_envelope_catalogue(handler, mongo, name, body, status, field):
    got, reply = raw(handler, body)
    assert got == status, reply
    assert reply["error"]["field"] == field
    assert reply["error"]["retryable"] is False
    still_serving(handler)
    assert mongo.games.count_documents({}) == 0


def test_wrong_content_types(handler):
    body = json.dumps(envelope_for(event_grid_event(game()))).encode()
    for content_type in ("text/plain", "application/jsonx", "",
                         "application/x-www-form-urlencoded"):
        headers = {"Content-Type": content_type} if content_type else {}
        status, reply = raw(handler, body, headers)
        assert status == 415, content_type
        assert reply["error"]["field"] == "Content-Type"
    still_serving(handler)


def test_oversized_bodies(start_handler, mongo):
    handler = start_handler({"GRIDBOARD_MAX_BODY_BYTES": "65536"})
    big = json.dumps(envelope_for(event_grid_event(
        dict(game(), Padding="x" * 70000)))).encode()
    for chunked in (False, True):
        status, _, data = handler.request("POST", "/GameCompleted", big, JSON,
                                          chunked=chunked)
        assert status == 413
        assert json.loads(data)["error"]["field"] == "body"
    still_serving(handler)
    assert mongo.games.count_documents({}) == 0


# ------------------------------------------------------------ events

def bad_game(**changes):
    g = game()
    g.update(changes)
    return {k: v for k, v in g.items() if v is not None}


EVENT_CASES = [
    ("Id an operator object", bad_game(Id={"$gt": ""}), "data.Id"),
    ("Id with a dollar", bad_game(Id="$where"), "data.Id"),
    ("Id a number", bad_game(Id=42), "data.Id"),
    ("Id too long", bad_game(Id="a" * 65), "data.Id"),
    ("WinnerEmail an operator", bad_game(WinnerEmail={"$ne": 1}),
     "data.WinnerEmail"),
    ("WinnerEmail with a newline", bad_game(WinnerEmail="a\nb"),
     "data.WinnerEmail"),
    ("WinnerEmail too long", bad_game(WinnerEmail="a" * 255),
     "data.WinnerEmail"),
    ("count negative", bad_game(RockCount=-1), "data.RockCount"),
    ("count a fraction", bad_game(PaperCount=0.5), "data.PaperCount"),
    ("count huge", bad_game(ScissorsCount=10 ** 20), "data.ScissorsCount"),
    ("count a string", bad_game(RockCount="3"), "data.RockCount"),
    ("count a boolean", bad_game(RockCount=True), "data.RockCount"),
    ("count null", bad_game(RockCount=None), "data.RockCount"),
    ("Timestamp unparsable", bad_game(Timestamp="yesterday"),
     "data.Timestamp"),
    ("Timestamp without offset", bad_game(Timestamp="2024-12-06T15:19:12"),
     "data.Timestamp"),
    ("Timestamp in 1970", bad_game(Timestamp="1970-01-01T00:00:00Z"),
     "data.Timestamp"),
    ("Timestamp in 9999", bad_game(Timestamp="9999-12-31T23:59:59Z"),
     "data.Timestamp"),
    ("Timestamp February 30", bad_game(Timestamp="2024-02-30T00:00:00Z"),
     "data.Timestamp"),
    ("Timestamp a number", bad_game(Timestamp=1733498352), "data.Timestamp"),
    ("data an array", [game()], "data"),
]


@pytest.mark.parametrize("name,data,field", EVENT_CASES,
                         ids=[c[0] for c in EVENT_CASES])
def test_event_catalogue(handler, mongo, name, data, field):
    event = event_grid_event(data, event_id="bad")
    status, reply = handler.deliver(event)
    assert status == 200, reply  # acknowledged: a retry cannot fix it
    assert "outcome=rejected" in reply["Logs"][0]
    record = mongo.rejected.find_one({"_id": "invalid:bad"})
    assert record["field"] == field, record
    assert mongo.games.count_documents({}) == 0
    still_serving(handler)


def test_event_envelope_catalogue(handler, mongo):
    no_spec = cloud_event(game(), event_id="ce")
    del no_spec["specversion"]
    wrong_spec = dict(cloud_event(game(), event_id="ce3"), specversion="0.3")
    cases = [(event_grid_event(game(), "t", event_type="GameStarted"),
              "invalid:t", "eventType"),
             (dict(cloud_event(game(), "ce2"), type="Other"), "invalid:ce2",
              "type"),
             (no_spec, "invalid:ce", "specversion"),
             (wrong_spec, "invalid:ce3", "specversion"),
             ({k: v for k, v in event_grid_event(game(), "nd").items()
               if k != "data"}, "invalid:nd", "data"),
             ({"id": "x", "hello": "world"}, "invalid:x", "eventType")]
    for event, key, field in cases:
        status, reply = handler.deliver(event)
        assert status == 200, reply
        assert mongo.rejected.find_one({"_id": key})["field"] == field
    status, reply = handler.deliver([1, 2])  # not an object at all
    assert status == 200
    assert mongo.games.count_documents({}) == 0


def test_emails_with_dollars_and_dots_are_plain_values(handler, mongo):
    odd = ["$where@example.com", "a.b.c@example.com", "$.@x", "Bot"]
    for email in odd:
        assert handler.deliver(event_grid_event(game(winner=email)))[0] == 200
    stored = {g["WinnerEmail"] for g in mongo.games.find()}
    assert stored == set(odd)
    winners = {w for w, _ in stored_boards(mongo)["Daily"]["winners"]}
    assert winners == set(odd)


# ------------------------------------------------------------ HTTP functions

def test_send_result_catalogue(start_handler):
    handler = start_handler({
        "EVENT_GRID_TOPIC_ENDPOINT": "http://127.0.0.1:9/api/events",
        "EVENT_GRID_TOPIC_KEY": new_key(), "EVENT_GRID_DEADLINE_MS": "300"})
    cases = [("", 400, "body"), ("null", 400, "body"), ("true", 400, "body"),
             ('"a game"', 400, "body"), ("[]", 400, "body"),
             ("[" * 70 + "]" * 70, 400, "body"),
             ('{"Id":"a\\u0000"}', 400, "body"),
             (json.dumps([game()] * 2 + [{"Id": {"$gt": ""}}]), 400,
              "[2].Id"),
             (json.dumps([game() for _ in range(5001)]), 413, "body"),
             ("[" + ",".join(['"' + "x" * 1000 + '"'] * 2200) + "]", 413,
              "body")]
    for body, status, field in cases:
        got, reply, _ = send_result(handler, body)
        assert got == status, (body[:40], reply)
        assert reply["error"]["field"] == field, (body[:40], reply)
    still_serving(handler)


def read_until_closed(sock, timeout=10):
    """Everything the server sends until it closes the connection."""
    sock.settimeout(timeout)
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    sock.close()
    return data


def test_slow_client_is_cut_off(start_handler):
    handler = start_handler({"GRIDBOARD_REQUEST_TIMEOUT_MS": "500"})
    slow = socket.create_connection(("127.0.0.1", handler.port))
    slow.sendall(b"POST /GameCompleted HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 100\r\n"
                 b"\r\n{\"Da")
    still_serving(handler)  # others are served meanwhile
    started = time.monotonic()
    data = read_until_closed(slow)
    assert time.monotonic() - started < 10  # closed, not left hanging
    assert not data.startswith(b"HTTP/1.1 200")
    still_serving(handler)


def test_truncated_body_is_400(handler, mongo):
    body = json.dumps(envelope_for(event_grid_event(game()))).encode()
    conn = socket.create_connection(("127.0.0.1", handler.port))
    conn.sendall(b"POST /GameCompleted HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) +
                 body[:len(body) // 2])
    conn.shutdown(socket.SHUT_WR)  # the client gives up half-way
    answer = read_until_closed(conn)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b'"field":"body"' in answer
    assert mongo.games.count_documents({}) == 0
    still_serving(handler)
