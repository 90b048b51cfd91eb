"""A local Azure Event Grid custom topic, for development and tests.

A loopback-only stand-in for an Event Grid basic-tier custom topic with
webhook subscriptions, built to the service's documented contract
(contracts/eventgrid.md) and sharing no code with gridboard's handler:

- publish: POST /api/events?api-version=2018-01-01, authenticated by
  aeg-sas-key (header or query), aeg-sas-token or Authorization:
  SharedAccessSignature (HMAC-SHA256 over the raw "r=...&e=..." bytes,
  expiry checked); Event Grid schema or CloudEvents 1.0, fixed per topic;
  the service's validation rules, size limits, status codes and error body
  {"error":{"code","message","details"}}; 200 with an empty body, before
  any delivery;
- delivery: to each subscription whose filters match (includedEventTypes,
  subjectBeginsWith/EndsWith), one event per request by default, with the
  aeg-* headers; the SubscriptionValidation handshake (Event Grid schema) or
  the OPTIONS abuse-protection check (CloudEvents) when a subscription
  starts; success only on 200-204; no retry on 400, 401, 403 and 413; the
  retry schedule 10 s, 30 s, 1 min, 5 min, ... (times a time-scale factor),
  maxDeliveryAttempts and eventTimeToLiveInMinutes; dead-lettering to a
  folder with the documented reason fields.

Usage:  python tools/eventgrid_topic.py --config topic.json

Configuration (JSON), with defaults:
  {"name": "gameapi", "listen": "127.0.0.1:0",
   "schema": "EventGridSchema" | "CloudEventSchemaV1_0",
   "keys": ["<base64 key1>", "<base64 key2>"],
   "tls": {"cert": "cert.pem", "key": "key.pem"} | null,
   "maxRequestBytes": 1048576, "maxEventBytes": 1048576,
   "maxEventsPerRequest": 5000, "timeScale": 1.0,
   "deadLetterDir": null, "logFile": null,
   "subscriptions": [{"name": "stats", "endpoint": "http://127.0.0.1:7071/…",
       "includedEventTypes": null, "subjectBeginsWith": "",
       "subjectEndsWith": "", "isSubjectCaseSensitive": false,
       "maxDeliveryAttempts": 30, "eventTimeToLiveInMinutes": 1440,
       "maxEventsPerBatch": 1, "deliveryTimeoutSeconds": 30,
       "disableValidation": false}]}

Once listening it prints "eventgrid-topic listening <url>" on stdout.

Not Event Grid, for tests only (loopback, no key): POST /_control/faults
{"status": 429, "count": 2, "retryAfter": 1} makes the next publishes
answer that status; GET /_control/log returns what was accepted, delivered
and dead-lettered.
"""

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import heapq
import http.client
import ipaddress
import itertools
import json
import os
import random
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

from json_file import load_json_object
from standin_server import (QuietHandler, ThreadingServer, announce,
                            serve_until_signalled)

API_VERSION = "2018-01-01"
EVENT_GRID = "EventGridSchema"
CLOUD_EVENTS = "CloudEventSchemaV1_0"
SCHEDULE = [10, 30, 60, 300, 600, 1800, 3600, 10800, 21600]  # seconds
LATER = 43200  # then every 12 hours
NO_RETRY = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden",
            413: "PayloadTooLarge"}
MIN_DELAY = {408: 120, 503: 30}  # the documented minimum waits per code
OUTCOMES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden",
            404: "NotFound", 408: "TimedOut", 413: "PayloadTooLarge",
            429: "Busy", 503: "Busy"}


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def parse_rfc3339(value):
    """An RFC 3339 date-time with an offset or Z, or None."""
    if not isinstance(value, str) or len(value) < 20:
        return None
    text = value.replace("z", "Z").replace("t", "T")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    head, _, frac_and_zone = text.partition(".")
    if frac_and_zone:  # Python wants at most 6 fraction digits
        digits = "".join(itertools.takewhile(str.isdigit, frac_and_zone))
        text = head + "." + (digits[:6] or "0") + frac_and_zone[len(digits):]
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo else None


def parse_sas_expiry(value):
    """The expiry forms the SDKs send: .NET en-US "6/15/2017 6:20:15 PM"
    (Docs, JS SDK), Python's str(datetime) "2024-01-01 00:00:00+00:00",
    ISO 8601. Times without a zone are UTC."""
    for fmt in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S"):
        try:
            return dt.datetime.strptime(value, fmt).replace(
                tzinfo=dt.timezone.utc)
        except ValueError:
            pass
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


class PublishError(Exception):
    def __init__(self, status, code, detail_code, message):
        super().__init__(message)
        self.status, self.code = status, code
        self.detail_code, self.message = detail_code, message

    def body(self):
        report = (f" Report '{uuid.uuid4()}:{utcnow():%m/%d/%Y %I:%M:%S %p}"
                  " (UTC)' to our forums for assistance or raise a support "
                  "ticket.")
        return json.dumps({"error": {
            "code": self.code, "message": self.message + report,
            "details": [{"code": self.detail_code,
                         "message": self.message + report}]}}).encode()


def bad_request(message, detail="InputJsonInvalid"):
    return PublishError(400, "BadRequest", detail, message)


# ---------------------------------------------------------------- the topic

class Topic:
    def __init__(self, config):
        self.name = config.get("name", "gameapi")
        self.schema = config.get("schema", EVENT_GRID)
        if self.schema not in (EVENT_GRID, CLOUD_EVENTS):
            raise SystemExit(f"schema must be {EVENT_GRID} or {CLOUD_EVENTS}")
        self.keys = [base64.b64decode(k, validate=True)
                     for k in config.get("keys", [])]
        if not self.keys:
            raise SystemExit("the topic needs at least one key")
        self.max_request = config.get("maxRequestBytes", 1048576)
        self.max_event = config.get("maxEventBytes", 1048576)
        self.max_events = config.get("maxEventsPerRequest", 5000)
        self.scale = float(config.get("timeScale", 1.0))
        self.dead_letter_dir = config.get("deadLetterDir")
        self.arm_id = ("/subscriptions/00000000-0000-0000-0000-000000000000/"
                       "resourceGroups/local/providers/Microsoft.EventGrid/"
                       f"topics/{self.name}")
        self.lock = threading.Lock()
        self.faults = []  # statuses for the next publishes
        self.retry_after = None
        self.accepted, self.deliveries, self.dead_lettered = [], [], []
        self.requests = []  # (events, bytes) of each accepted publish
        log_file = config.get("logFile")
        self.log_out = open(log_file, "a") if log_file else sys.stdout
        self.subscriptions = [Subscription(self, s)
                              for s in config.get("subscriptions", [])]

    def log(self, message):
        with self.lock:
            print(f"{rfc3339(utcnow())} eventgrid-topic {message}",
                  file=self.log_out, flush=True)

    # -- authentication ---------------------------------------------------

    def authenticate(self, headers, query, resource):
        key = headers.get("aeg-sas-key") or query.get("aeg-sas-key")
        token = headers.get("aeg-sas-token")
        authorization = headers.get("Authorization", "")
        if not token and authorization.startswith("SharedAccessSignature "):
            token = authorization[len("SharedAccessSignature "):]
        if key is not None:
            return self.check_key(key)
        if token:
            return self.check_token(token, resource)
        if authorization.startswith("Bearer "):
            raise PublishError(401, "Unauthorized", "Unauthorized",
                               "Microsoft Entra ID tokens are not accepted "
                               "by this local topic; use a key or SAS.")
        raise PublishError(401, "Unauthorized", "Unauthorized",
                           "The request did not contain a valid aeg-sas-key "
                           "or aeg-sas-token.")

    def unauthorized(self, reason):
        return PublishError(
            401, "Unauthorized", "Unauthorized",
            f"The request authorization key is not authorized for "
            f"{self.name.upper()}. This is due to the reason: {reason}")

    def check_key(self, key):
        try:
            raw = base64.b64decode(key, validate=True)
        except ValueError:
            raise self.unauthorized("The input is not a valid Base-64 string "
                                    "as it contains a non-base 64 character.")
        if not any(hmac.compare_digest(raw, k) for k in self.keys):
            raise self.unauthorized("The key is not one of the topic's keys.")

    def check_token(self, token, resource):
        # The signature covers the raw bytes before "&s=", whatever
        # percent-encoding the client chose.
        signed, sep, signature = token.rpartition("&s=")
        fields = dict(part.split("=", 1) for part in signed.split("&")
                      if "=" in part) if sep else {}
        if not sep or set(fields) != {"r", "e"} or not signed.startswith("r="):
            raise self.unauthorized("The SAS token is malformed.")
        try:
            given = base64.b64decode(urllib.parse.unquote(signature),
                                     validate=True)
        except ValueError:
            raise self.unauthorized("The SAS signature is not base64.")
        if not any(hmac.compare_digest(
                hmac.new(k, signed.encode(), hashlib.sha256).digest(), given)
                for k in self.keys):
            raise self.unauthorized("The SAS signature does not match.")
        expiry = parse_sas_expiry(urllib.parse.unquote_plus(fields["e"]))
        if expiry is None:
            raise self.unauthorized("The SAS expiry cannot be read.")
        if expiry <= utcnow():
            raise self.unauthorized("The SAS token has expired.")
        # "A SAS token is valid for all resources prefixed with the
        # resource URI used in the signature string."
        signed_for = urllib.parse.unquote_plus(fields["r"]).split("?")[0]
        if not resource.lower().startswith(signed_for.lower().rstrip("/")):
            raise self.unauthorized(f"The SAS token is for {signed_for}.")

    # -- validation -------------------------------------------------------

    def parse_events(self, body, content_type):
        media = content_type.split(";")[0].strip().lower()
        if self.schema == EVENT_GRID and media != "application/json":
            raise PublishError(415, "UnsupportedMediaType",
                               "InvalidContentType",
                               "The Content-Type header must be "
                               "application/json.")
        if self.schema == CLOUD_EVENTS and media not in (
                "application/cloudevents-batch+json",
                "application/cloudevents+json", "application/json"):
            raise PublishError(
                415, "UnsupportedMediaType", "InvalidContentType",
                "The Content-Type header is either missing or it doesn't "
                "have a valid value. The content type header must either be "
                "application/cloudevents+json; charset=utf-8 or "
                "application/cloudevents-batch+json; charset=UTF-8.")
        try:
            value = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise bad_request(f"The request body is not valid JSON: {e}.")
        single = media != "application/cloudevents-batch+json" and \
            self.schema == CLOUD_EVENTS
        if single and isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            raise bad_request("Unexpected token when reading JSON. Expected: "
                              "StartArray, actual: StartObject.")
        if len(value) > self.max_events:
            raise PublishError(413, "PayloadTooLarge", "PayloadTooLarge",
                               f"The request holds {len(value)} events; the "
                               f"maximum is {self.max_events}.")
        for event in value:
            if len(json.dumps(event, separators=(",", ":")).encode()) > \
                    self.max_event:
                raise PublishError(413, "PayloadTooLarge", "PayloadTooLarge",
                                   "Event is larger than the allowed maximum.")
            if self.schema == EVENT_GRID:
                self.check_event_grid_event(event)
            else:
                self.check_cloud_event(event)
        return value

    def schema_error(self, prop):
        return bad_request(f"This resource is configured for '{self.schema}' "
                           f"schema and requires '{prop}' property to be set.")

    def check_event_grid_event(self, event):
        if not isinstance(event, dict):
            raise bad_request(f"This resource is configured to receive event "
                              f"in '{self.schema}' schema. The JSON received "
                              "does not conform to the expected schema.")
        for prop in ("id", "subject", "eventType"):
            if not isinstance(event.get(prop), str) or \
                    (prop != "subject" and not event[prop].strip()):
                raise self.schema_error(prop)
        if parse_rfc3339(event.get("eventTime")) is None:
            raise self.schema_error("eventTime")
        if event.get("topic") not in (None, "", self.arm_id):
            raise bad_request(f"Property 'topic' was found to be set to "
                              f"'{event['topic']}', but was expected to "
                              f"either be null or be set to '{self.arm_id}'.")
        if event.get("metadataVersion") not in (None, "1"):
            raise bad_request("Property 'metadataVersion' must be null or "
                              "'1'.")
        if "dataVersion" in event and not isinstance(event["dataVersion"],
                                                     str):
            raise self.schema_error("dataVersion")
        # Stamped by the service, as the real topic does.
        event["topic"] = self.arm_id
        event["metadataVersion"] = "1"
        event.setdefault("dataVersion", "")

    def check_cloud_event(self, event):
        if not isinstance(event, dict):
            raise bad_request(f"This resource is configured to receive event "
                              f"in '{self.schema}' schema. The JSON received "
                              "does not conform to the expected schema.")
        for prop in ("id", "source", "type", "specversion"):
            if not isinstance(event.get(prop), str) or not event[prop]:
                raise self.schema_error(prop)
        if event["specversion"] != "1.0":
            raise bad_request("Property 'specversion' must be '1.0'.")
        if "time" in event and parse_rfc3339(event["time"]) is None:
            raise bad_request("Property 'time' is not an RFC 3339 time.")

    # -- publishing -------------------------------------------------------

    def next_fault(self):
        with self.lock:
            return self.faults.pop(0) if self.faults else None

    def accept(self, events, size):
        published = utcnow()
        with self.lock:
            self.accepted.extend(events)
            self.requests.append({"events": len(events), "bytes": size})
        self.log(f"accepted {len(events)} event(s): "
                 + ", ".join(e["id"] for e in events[:20]))
        for sub in self.subscriptions:
            sub.enqueue([e for e in events if sub.matches(e)], published)

    def snapshot(self):
        with self.lock:
            return {"accepted": list(self.accepted),
                    "requests": list(self.requests),
                    "deliveries": list(self.deliveries),
                    "deadLettered": list(self.dead_lettered)}


# ---------------------------------------------------------------- delivery

class Subscription:
    def __init__(self, topic, config):
        self.topic = topic
        self.name = config["name"]
        self.endpoint = config["endpoint"]
        self.types = config.get("includedEventTypes")
        self.begins = config.get("subjectBeginsWith", "")
        self.ends = config.get("subjectEndsWith", "")
        self.case_sensitive = config.get("isSubjectCaseSensitive", False)
        self.max_attempts = config.get("maxDeliveryAttempts", 30)
        self.ttl = config.get("eventTimeToLiveInMinutes", 1440) * 60
        self.batch = config.get("maxEventsPerBatch", 1)
        self.timeout = config.get("deliveryTimeoutSeconds", 30)
        self.validate = not config.get("disableValidation", False)
        self.validated = threading.Event()
        self.queue = []  # (due, seq, delivery)
        self.seq = itertools.count()
        self.cond = threading.Condition()
        self.stopping = False

    def matches(self, event):
        if self.topic.schema == EVENT_GRID:
            kind, subject = event.get("eventType"), event.get("subject", "")
        else:
            kind, subject = event.get("type"), event.get("subject", "")
        if self.types and "All" not in self.types and not any(
                kind.lower() == t.lower() for t in self.types):
            return False
        subject = subject or ""
        begins, ends = self.begins, self.ends
        if not self.case_sensitive:
            subject, begins, ends = subject.lower(), begins.lower(), \
                ends.lower()
        return subject.startswith(begins) and subject.endswith(ends)

    def enqueue(self, events, published):
        for i in range(0, len(events), self.batch):
            self.schedule({"events": events[i:i + self.batch],
                           "published": published, "attempts": 0,
                           "outcome": None}, 0)

    def schedule(self, delivery, delay):
        with self.cond:
            heapq.heappush(self.queue, (time.monotonic() + delay,
                                        next(self.seq), delivery))
            self.cond.notify()

    def start(self, workers=8):
        threading.Thread(target=self.handshake, daemon=True).start()
        for _ in range(workers):
            threading.Thread(target=self.work, daemon=True).start()

    def stop(self):
        with self.cond:
            self.stopping = True
            self.cond.notify_all()

    # A subscription starts with a handshake; until it passes, events wait.
    def handshake(self):
        if not self.validate:
            self.validated.set()
            return
        while not self.stopping:
            try:
                if self.topic.schema == EVENT_GRID:
                    ok = self.validate_event_grid()
                else:
                    ok = self.validate_cloud_events()
            except OSError as e:
                ok = False
                self.topic.log(f"subscription {self.name}: validation "
                               f"failed: {e}")
            if ok:
                self.topic.log(f"subscription {self.name}: validated")
                self.validated.set()
                return
            time.sleep(5 * self.topic.scale)  # Event Grid tries again

    def validate_event_grid(self):
        code = str(uuid.uuid4())
        event = {"id": str(uuid.uuid4()), "topic": self.topic.arm_id,
                 "subject": "", "data": {"validationCode": code,
                                         "validationUrl": ""},
                 "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
                 "eventTime": rfc3339(utcnow()), "metadataVersion": "1",
                 "dataVersion": "1"}
        status, _, body = self.post([event], "SubscriptionValidation", 0)
        if status != 200:  # 202 is not a valid answer
            self.topic.log(f"subscription {self.name}: validation answered "
                           f"{status}")
            return False
        try:
            return json.loads(body).get("validationResponse") == code
        except (ValueError, AttributeError):
            return False

    def validate_cloud_events(self):
        url = urllib.parse.urlsplit(self.endpoint)
        conn = self.connection(url)
        try:
            path = url.path + ("?" + url.query if url.query else "")
            conn.request("OPTIONS", path or "/", headers={
                "WebHook-Request-Origin": "eventgrid.azure.net",
                "WebHook-Request-Rate": "120"})
            resp = conn.getresponse()
            resp.read()
            allowed = resp.getheader("WebHook-Allowed-Origin", "")
        finally:
            conn.close()
        return resp.status == 200 and allowed in ("eventgrid.azure.net", "*")

    def connection(self, url):
        port = url.port or (443 if url.scheme == "https" else 80)
        if url.scheme == "https":
            return http.client.HTTPSConnection(url.hostname, port,
                                               timeout=self.timeout)
        return http.client.HTTPConnection(url.hostname, port,
                                          timeout=self.timeout)

    def post(self, events, event_type, delivery_count):
        url = urllib.parse.urlsplit(self.endpoint)
        first = events[0]
        if self.topic.schema == EVENT_GRID:
            content_type = "application/json; charset=utf-8"
            body = events
            version = {"aeg-metadata-version": "1",
                       "aeg-data-version": first.get("dataVersion", "")}
        elif self.batch == 1:
            content_type = "application/cloudevents+json; charset=utf-8"
            body = first
            version = {"aeg-metadata-version": "1.0"}
        else:
            content_type = "application/cloudevents-batch+json; charset=utf-8"
            body = events
            version = {"aeg-metadata-version": "1.0"}
        headers = {"Content-Type": content_type,
                   "aeg-event-type": event_type,
                   "aeg-subscription-name": self.name.upper(),
                   "aeg-delivery-count": str(delivery_count),
                   "aeg-output-event-id": first["id"], **version}
        if event_type == "Notification" and self.topic.schema == CLOUD_EVENTS:
            headers["Origin"] = "eventgrid.azure.net"
        conn = self.connection(url)
        try:
            conn.request("POST", url.path + ("?" + url.query if url.query
                                             else ""),
                         json.dumps(body).encode(), headers)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def work(self):
        self.validated.wait()
        while True:
            with self.cond:
                while not self.stopping and (
                        not self.queue or self.queue[0][0] > time.monotonic()):
                    wait = self.queue[0][0] - time.monotonic() \
                        if self.queue else None
                    self.cond.wait(wait)
                if self.stopping:
                    return
                _, _, delivery = heapq.heappop(self.queue)
            self.attempt(delivery)

    def attempt(self, delivery):
        topic = self.topic
        age = (utcnow() - delivery["published"]).total_seconds()
        if delivery["attempts"] and age > self.ttl * topic.scale:
            return self.dead_letter(delivery, "TimeToLiveExceeded")
        count = delivery["attempts"]
        delivery["attempts"] += 1
        delivery["last"] = utcnow()
        ids = [e["id"] for e in delivery["events"]]
        try:
            status, _, _ = self.post(delivery["events"], "Notification", count)
            outcome = "Success" if 200 <= status <= 204 else \
                OUTCOMES.get(status, "Busy" if status >= 500 else "Failed")
        except TimeoutError:
            status, outcome = 0, "TimedOut"
        except OSError:
            status, outcome = 0, "SocketError"
        delivery["outcome"] = outcome
        with topic.lock:
            topic.deliveries.append({"subscription": self.name,
                                     "eventIds": ids, "attempt": count + 1,
                                     "status": status, "outcome": outcome})
        topic.log(f"delivery {self.name} attempt {count + 1} of "
                  f"{', '.join(ids[:5])}: {status or outcome}")
        if outcome == "Success":
            return
        if status in NO_RETRY:
            return self.dead_letter(delivery, NO_RETRY[status])
        if delivery["attempts"] >= self.max_attempts:
            return self.dead_letter(delivery, "MaxDeliveryAttemptsExceeded")
        step = SCHEDULE[count] if count < len(SCHEDULE) else LATER
        step = max(step, MIN_DELAY.get(status, 10))
        jitter = random.uniform(0, 0.1) * step  # "small randomization"
        self.schedule(delivery, (step + jitter) * topic.scale)

    def dead_letter(self, delivery, reason):
        topic, now = self.topic, utcnow()
        ce = topic.schema == CLOUD_EVENTS
        names = ("deadletterreason", "deliveryattempts", "lastdeliveryoutcome",
                 "publishtime", "lastdeliveryattempttime") if ce else (
            "deadLetterReason", "deliveryAttempts", "lastDeliveryOutcome",
            "publishTime", "lastDeliveryAttemptTime")
        values = (reason, delivery["attempts"], delivery["outcome"] or "None",
                  rfc3339(delivery["published"]),
                  rfc3339(delivery.get("last", now)))
        letters = [dict(e, **dict(zip(names, values)))
                   for e in delivery["events"]]
        if topic.dead_letter_dir:
            folder = os.path.join(topic.dead_letter_dir, topic.name.upper(),
                                  self.name.upper(), str(now.year),
                                  str(now.month), str(now.day), str(now.hour))
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, f"{uuid.uuid4()}.json"), "w") as f:
                json.dump(letters, f)
        # Recorded once the file is written, so the log never runs ahead.
        with topic.lock:
            topic.dead_lettered.extend(letters)
        topic.log(f"dead-lettered {len(letters)} event(s) of {self.name}: "
                  f"{reason}")


# ---------------------------------------------------------------- HTTP

class PublishHandler(QuietHandler):
    server_version = "Microsoft-HTTPAPI/2.0"

    def reply(self, status, body=b"", extra=None):
        self.send_response(status)
        if body:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        self.send_header("api-supported-versions", API_VERSION)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def fail(self, error, extra=None):
        self.server.topic.log(f"refused publish: {error.status} "
                              f"{error.detail_code}")
        self.reply(error.status, error.body(), extra)
        self.drain_unread()

    def drain_unread(self):
        """A body refused unread is read and dropped before the connection
        closes (a lingering close, as HTTP front ends do), so that the
        client finishes sending and gets the answer instead of a reset."""
        left = min(getattr(self, "unread", 0), 64 * 1024 * 1024)
        self.unread = 0
        try:
            self.wfile.flush()
            self.connection.settimeout(5)
            while left > 0:
                chunk = self.rfile.read(min(left, 65536))
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:
            pass

    def read_body(self, limit):
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                total += size
                if total > limit:
                    raise PublishError(413, "PayloadTooLarge",
                                       "PayloadTooLarge",
                                       "Payload is larger than the allowed "
                                       "maximum.")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        if length is None:
            return b""
        if int(length) > limit:
            self.close_connection = True
            self.unread = int(length)
            raise PublishError(413, "PayloadTooLarge", "PayloadTooLarge",
                               "Payload is larger than the allowed maximum.")
        return self.rfile.read(int(length))

    def do_OPTIONS(self):
        if urllib.parse.urlsplit(self.path).path.rstrip("/") == "/api/events":
            return self.reply(200, extra={"Allow": "POST, OPTIONS"})
        self.not_found()

    def not_found(self):
        self.fail(PublishError(404, "NotFound", "ResourceNotFound",
                               "No HTTP resource was found that matches the "
                               f"request URI '{self.path}'."))

    def do_GET(self):
        if self.path == "/_control/log":
            body = json.dumps(self.server.topic.snapshot()).encode()
            return self.reply(200, body)
        self.method_not_allowed()

    def method_not_allowed(self):
        self.fail(PublishError(405, "MethodNotAllowed", "MethodNotAllowed",
                               "The requested resource does not support "
                               f"http method '{self.command}'."),
                  {"Allow": "OPTIONS, POST"})

    do_PUT = do_DELETE = do_PATCH = method_not_allowed

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_control/faults":
            return self.set_faults()
        topic = self.server.topic
        try:
            body = self.read_body(topic.max_request)
            if url.path.rstrip("/") != "/api/events":
                return self.not_found()
            self.admit_publish(url, body)
            fault = topic.next_fault()
            if fault:
                return self.fail_injected(fault)
            events = topic.parse_events(body,
                                        self.headers.get("Content-Type", ""))
        except PublishError as error:
            return self.fail(error)
        # Accepted (and queued for delivery) before the 200, as the real
        # topic persists a batch before acknowledging it: a publisher that
        # has its 200 finds the batch in the log.
        topic.accept(events, len(body))
        self.reply(200)

    def set_faults(self):
        topic = self.server.topic
        spec = json.loads(self.read_body(65536) or b"{}")
        with topic.lock:
            topic.faults = [spec["status"]] * spec.get("count", 1)
            topic.retry_after = spec.get("retryAfter")
        self.reply(204)

    def admit_publish(self, url, body):
        """Raises the PublishError the service answers a publish with
        before it looks at the events: api-version, then authentication,
        then the request's size."""
        topic = self.server.topic
        query = dict(urllib.parse.parse_qsl(url.query))
        if "api-version" not in query:
            raise bad_request("The request does not have api-version "
                              "query parameter.", "ApiVersionMissing")
        if query["api-version"] != API_VERSION:
            raise bad_request(f"The api-version '{query['api-version']}'"
                              " is not supported.", "ApiVersionInvalid")
        scheme = "https" if self.server.tls else "http"
        resource = f"{scheme}://{self.headers.get('Host', '')}/api/events"
        topic.authenticate(self.headers, query, resource)
        if len(body) > topic.max_request:
            raise PublishError(413, "PayloadTooLarge", "PayloadTooLarge",
                               "Payload is larger than the allowed "
                               "maximum.")

    def fail_injected(self, fault):
        topic = self.server.topic
        extra = {"Retry-After": str(topic.retry_after)} \
            if topic.retry_after else None
        self.fail(PublishError(
            fault, http.client.responses.get(fault, "Error")
            .replace(" ", ""), "InjectedFault",
            f"Injected fault {fault}."), extra)


def listen_address(config):
    """The configured "host:port" as (host as written, host to bind, port
    as written); only a loopback host is taken, so the topic never answers
    beyond this machine."""
    host, _, port = config.get("listen", "127.0.0.1:0").rpartition(":")
    if not ipaddress.ip_address(host.strip("[]")).is_loopback:
        raise SystemExit("listen must be a loopback address")
    return host, host.strip("[]"), port


def serve(config):
    host, bind_host, port = listen_address(config)
    topic = Topic(config)
    server = ThreadingServer((bind_host, int(port)), PublishHandler)
    server.topic = topic
    server.tls = config.get("tls")
    if server.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(server.tls["cert"], server.tls["key"])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    for sub in topic.subscriptions:
        sub.start()
    scheme = "https" if server.tls else "http"
    announce("eventgrid-topic", f"{scheme}://{host}:"
             f"{server.server_address[1]}/api/events")
    serve_until_signalled(server)
    for sub in topic.subscriptions:
        sub.stop()


def main():
    parser = argparse.ArgumentParser(description="A local Event Grid topic.")
    parser.add_argument("--config", required=True, help="JSON configuration")
    args = parser.parse_args()
    serve(load_json_object(
        args.config, "eventgrid-topic", "the configuration",
        "; tools/eventgrid_topic.sample.json is one to start from"))


if __name__ == "__main__":
    main()
