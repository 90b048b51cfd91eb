"""The local Event Grid topic against the official Python SDK and the
service's documented behaviour: if these fail, the stand-in lies."""

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import time
import urllib.parse

import pytest
from azure.core.credentials import AzureKeyCredential, AzureSasCredential
from azure.core.exceptions import HttpResponseError
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridEvent, EventGridPublisherClient, \
    generate_sas

from support import EventGridTopic, new_key, subscription


def sdk_event(event_type="GameCompleted", subject="GameAPI.GameCompleted"):
    return EventGridEvent(subject=subject, event_type=event_type,
                          data={"Id": "g1", "WinnerEmail": "a@example.com"},
                          data_version="1.0")


def raw_publish(topic, body, headers=None, path=None):
    conn = http.client.HTTPConnection("127.0.0.1", topic.port, timeout=10)
    headers = {"Content-Type": "application/json", "aeg-sas-key": topic.key,
               **(headers or {})}
    conn.request("POST", path or "/api/events?api-version=2018-01-01",
                 body if isinstance(body, bytes) else json.dumps(body),
                 {k: v for k, v in headers.items() if v is not None})
    resp = conn.getresponse()
    raw = resp.read()
    conn.close()
    return resp.status, (json.loads(raw) if raw else None)


# ---------------------------------------------------------------- the SDK

def test_sdk_key_credential(topic, webhook):
    client = EventGridPublisherClient(topic.endpoint,
                                      AzureKeyCredential(topic.key))
    client.send([sdk_event()])
    event = webhook.wait_for_events(1)[0]
    assert event["eventType"] == "GameCompleted"
    assert event["topic"].endswith("/topics/gameapi")
    assert event["metadataVersion"] == "1"
    assert webhook.validations[0][0] == "POST"  # the handshake came first


def test_sdk_second_key_and_sas(topic, webhook):
    EventGridPublisherClient(topic.endpoint,
                             AzureKeyCredential(topic.keys[1])).send(
        [sdk_event()])
    sas = generate_sas(topic.endpoint, topic.key,
                       dt.datetime.now(dt.timezone.utc) +
                       dt.timedelta(minutes=5))
    EventGridPublisherClient(topic.endpoint, AzureSasCredential(sas)).send(
        [sdk_event()])
    assert len(webhook.wait_for_events(2)) == 2


def test_sdk_wrong_key_and_expired_sas_are_401(topic, webhook):
    with pytest.raises(HttpResponseError) as wrong:
        EventGridPublisherClient(topic.endpoint,
                                 AzureKeyCredential(new_key())).send(
            [sdk_event()])
    assert wrong.value.status_code == 401
    expired = generate_sas(topic.endpoint, topic.key,
                           dt.datetime.now(dt.timezone.utc) -
                           dt.timedelta(seconds=5))
    with pytest.raises(HttpResponseError) as late:
        EventGridPublisherClient(topic.endpoint,
                                 AzureSasCredential(expired)).send(
            [sdk_event()])
    assert late.value.status_code == 401
    assert "expired" in str(late.value)
    assert topic.log()["accepted"] == []


def test_sdk_cloud_events(webhook):
    topic = EventGridTopic([subscription(webhook)],
                           schema="CloudEventSchemaV1_0")
    try:
        client = EventGridPublisherClient(topic.endpoint,
                                          AzureKeyCredential(topic.key))
        client.send([CloudEvent(source="/gameapi", type="GameCompleted",
                                data={"Id": "g1"})])
        sas = generate_sas(topic.endpoint, topic.key,
                           dt.datetime.now(dt.timezone.utc) +
                           dt.timedelta(minutes=5))
        EventGridPublisherClient(topic.endpoint, AzureSasCredential(sas)) \
            .send([CloudEvent(source="/gameapi", type="GameCompleted",
                              data={"Id": "g2"})])
        events = webhook.wait_for_events(2)
        assert {e["data"]["Id"] for e in events} == {"g1", "g2"}
        assert all(e["specversion"] == "1.0" for e in events)
        assert webhook.deliveries[0]["headers"]["Content-Type"].startswith(
            "application/cloudevents+json")
        assert webhook.validations[0] == ("OPTIONS", "eventgrid.azure.net")
        # An Event Grid schema event is refused by a CloudEvents topic.
        with pytest.raises(HttpResponseError) as wrong:
            client.send([sdk_event()])
        assert wrong.value.status_code == 400
    finally:
        topic.stop()


# ---------------------------------------------------------------- publish

def valid_event(**changes):
    event = {"id": "e1", "subject": "s", "eventType": "GameCompleted",
             "eventTime": "2024-12-06T15:19:12.3401234Z", "data": {},
             "dataVersion": "1.0"}
    event.update(changes)
    return {k: v for k, v in event.items() if v is not None}


def test_status_codes_and_error_bodies(topic):
    cases = [
        (raw_publish(topic, [valid_event()]), 200, None),
        (raw_publish(topic, [valid_event()], path="/api/events"), 400,
         "ApiVersionMissing"),
        (raw_publish(topic, [valid_event()],
                     path="/api/events?api-version=2020-01-01"), 400,
         "ApiVersionInvalid"),
        (raw_publish(topic, [valid_event()],
                     path="/api/other?api-version=2018-01-01"), 404,
         "ResourceNotFound"),
        (raw_publish(topic, [valid_event()], {"aeg-sas-key": new_key()}),
         401, "Unauthorized"),
        (raw_publish(topic, [valid_event()], {"aeg-sas-key": "not base64!"}),
         401, "Unauthorized"),
        (raw_publish(topic, valid_event()), 400, "InputJsonInvalid"),
        (raw_publish(topic, b"[{"), 400, "InputJsonInvalid"),
        (raw_publish(topic, [valid_event(eventType=None)]), 400,
         "InputJsonInvalid"),
        (raw_publish(topic, [valid_event(eventTime="yesterday")]), 400,
         "InputJsonInvalid"),
        (raw_publish(topic, [valid_event(topic="/other")]), 400,
         "InputJsonInvalid"),
        (raw_publish(topic, [valid_event()], {"Content-Type": "text/plain"}),
         415, "InvalidContentType"),
        (raw_publish(topic, [valid_event(data="x" * 1048576)]), 413,
         "PayloadTooLarge"),
        (raw_publish(topic, [valid_event(id=str(i)) for i in range(5001)]),
         413, "PayloadTooLarge"),
    ]
    for (status, body), expected, detail in cases:
        assert status == expected, (expected, body)
        if detail:
            assert body["error"]["details"][0]["code"] == detail, body
            assert body["error"]["message"].endswith(
                "to our forums for assistance or raise a support ticket.")
        else:
            assert body is None  # success is an empty body
    assert [e["id"] for e in topic.log()["accepted"]] == ["e1"]


def test_key_in_query_and_authorization_header(topic, webhook):
    conn = http.client.HTTPConnection("127.0.0.1", topic.port, timeout=10)
    conn.request("POST", "/api/events?api-version=2018-01-01&aeg-sas-key=" +
                 urllib.parse.quote(topic.key), json.dumps([valid_event()]),
                 {"Content-Type": "application/json"})
    assert conn.getresponse().status == 200
    conn.close()

    # A token signed by hand, as the Docs' C# sample does (lower-case hex,
    # en-US expiry), in the Authorization header.
    resource = topic.endpoint
    expiry = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)) \
        .strftime("%m/%d/%Y %I:%M:%S %p")
    unsigned = (f"r={urllib.parse.quote(resource, safe='').lower()}"
                f"&e={urllib.parse.quote_plus(expiry)}")
    mac = hmac.new(base64.b64decode(topic.key), unsigned.encode(),
                   hashlib.sha256).digest()
    token = unsigned + "&s=" + urllib.parse.quote(base64.b64encode(mac))
    conn = http.client.HTTPConnection("127.0.0.1", topic.port, timeout=10)
    conn.request("POST", "/api/events?api-version=2018-01-01",
                 json.dumps([valid_event(id="e2")]),
                 {"Content-Type": "application/json",
                  "Authorization": f"SharedAccessSignature {token}"})
    assert conn.getresponse().status == 200
    conn.close()
    # The same token for another topic's URL does not pass.
    other = token.replace("127.0.0.1", "127.0.0.2")
    status, _ = raw_publish(topic, [valid_event(id="e3")],
                            {"aeg-sas-key": None, "aeg-sas-token": other})
    assert status == 401


# ---------------------------------------------------------------- delivery

def test_retries_until_success_with_delivery_headers(webhook):
    webhook.answers = [500, 503]
    topic = EventGridTopic([subscription(webhook)], time_scale=0.0005)
    try:
        raw_publish(topic, [valid_event()])
        deadline = time.monotonic() + 20
        while len(webhook.deliveries) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        counts = [d["headers"]["aeg-delivery-count"]
                  for d in webhook.deliveries]
        assert counts == ["0", "1", "2"]
        assert all(d["headers"]["aeg-data-version"] == "1.0"
                   for d in webhook.deliveries)
        log = topic.wait_for(lambda s: s["deliveries"] and
                             s["deliveries"][-1]["outcome"] == "Success")
        assert [d["status"] for d in log["deliveries"]] == [500, 503, 200]
        assert log["deadLettered"] == []
    finally:
        topic.stop()


def test_no_retry_codes_are_dead_lettered_at_once(webhook):
    webhook.answers = [400]
    topic = EventGridTopic([subscription(webhook)])
    try:
        raw_publish(topic, [valid_event()])
        log = topic.wait_for(lambda s: s["deadLettered"])
        letter = log["deadLettered"][0]
        assert letter["deadLetterReason"] == "BadRequest"
        assert letter["deliveryAttempts"] == 1
        assert letter["lastDeliveryOutcome"] == "BadRequest"
        assert {"publishTime", "lastDeliveryAttemptTime"} <= set(letter)
        files = [os.path.join(d, f) for d, _, fs in
                 os.walk(topic.config["deadLetterDir"]) for f in fs]
        assert len(files) == 1 and "/GAMEAPI/STATS/" in files[0]
        time.sleep(0.2)
        assert len(webhook.deliveries) == 1
    finally:
        topic.stop()


def test_max_delivery_attempts(webhook):
    webhook.answers = [500] * 10
    topic = EventGridTopic([subscription(webhook, maxDeliveryAttempts=3)],
                           time_scale=0.0005)
    try:
        raw_publish(topic, [valid_event()])
        log = topic.wait_for(lambda s: s["deadLettered"])
        assert log["deadLettered"][0]["deadLetterReason"] == \
            "MaxDeliveryAttemptsExceeded"
        assert log["deadLettered"][0]["deliveryAttempts"] == 3
        assert len(webhook.deliveries) == 3
    finally:
        topic.stop()


def test_filters(webhook):
    topic = EventGridTopic([subscription(webhook,
                                         subjectBeginsWith="gameapi.")])
    try:
        raw_publish(topic, [valid_event(id="skip-type", eventType="Other"),
                            valid_event(id="skip-subject", subject="x.y"),
                            valid_event(id="match",
                                        subject="GameAPI.GameCompleted")])
        webhook.wait_for_events(1)
        time.sleep(0.2)
        assert [e["id"] for e in webhook.events()] == ["match"]
    finally:
        topic.stop()


# ---------------------------------------------------------------- JS SDK

JS = os.path.join(os.path.dirname(__file__), "..", "js", "publish.mjs")


@pytest.mark.parametrize("schema", ["EventGrid", "CloudEvent"])
def test_javascript_sdk(webhook, tmp_path, schema):
    """The JS SDK insists on HTTPS, so the topic gets a certificate that
    Node trusts through NODE_EXTRA_CA_CERTS."""
    import subprocess
    from support import self_signed_certificate
    cert, key = self_signed_certificate(str(tmp_path))
    topic = EventGridTopic(
        [subscription(webhook)], tls=(cert, key),
        schema="CloudEventSchemaV1_0" if schema == "CloudEvent" else
        "EventGridSchema")
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=cert)

    def publish(topic_key, auth, event_id):
        return subprocess.run(["node", JS, topic.endpoint, topic_key, schema,
                               auth, event_id], env=env, capture_output=True,
                              text=True, timeout=60).stdout.strip()
    try:
        assert publish(topic.key, "key", "js-key") == "ok"
        assert publish(topic.key, "sas", "js-sas") == "ok"
        assert publish(new_key(), "key", "js-wrong") == "401"
        events = webhook.wait_for_events(2)
        assert sorted(e["data"]["Id"] for e in events) == ["js-key", "js-sas"]
    finally:
        topic.stop()


def test_time_to_live(webhook):
    webhook.answers = [500] * 100
    # One minute scaled by 0.001 is 60 ms; the retries at 10, 30 and 60 ms
    # (scaled) reach past it.
    topic = EventGridTopic([subscription(webhook,
                                         eventTimeToLiveInMinutes=1)],
                           time_scale=0.001)
    try:
        raw_publish(topic, [valid_event()])
        log = topic.wait_for(lambda s: s["deadLettered"])
        letter = log["deadLettered"][0]
        assert letter["deadLetterReason"] == "TimeToLiveExceeded"
        assert 1 < letter["deliveryAttempts"] < 30
    finally:
        topic.stop()
