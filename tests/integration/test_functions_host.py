"""tools/functions_host.py behaves as the real host does where gridboard
depends on it (contracts/functions-host.md; issue 13): one pooled
keep-alive client with no per-server limit and every element of a batch
invoked at once; a non-2xx reply's body and Logs dropped; the handler's
stdout logged at Information and its stderr at Error; aeg-event-type
compared without regard to case; the validation handshake answered as the
Event Grid extension does. A stand-in handler records what it is sent."""

import http.client
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse

import pytest

from support import HOST_TOOL, Flow, free_port, wait_for_line

BATCH = 100  # more than the 64 parallel invocations the tool once allowed

FAKE_HANDLER = textwrap.dedent(r'''
    import http.server, json, os, sys, threading
    print("fake-stdout-marker", flush=True)
    print("fake-stderr-marker", file=sys.stderr, flush=True)
    barrier = threading.Barrier(int(os.environ["FAKE_BATCH"]))
    log = open(os.environ["FAKE_LOG"], "a")
    lock = threading.Lock()

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *a): pass
        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        def do_GET(self):
            self.reply(200, {})
        def do_POST(self):
            body = b""
            while True:  # the host sends invocations chunked
                size = int(self.rfile.readline().split(b";")[0], 16)
                body += self.rfile.read(size + 2)[:size]
                if size == 0:
                    break
            event = json.loads(body)["Data"]["eventGridEvent"]
            with lock:
                log.write(f"{self.client_address[1]}\n")
                log.flush()
            mode = event["data"]["mode"]
            if mode == "barrier":
                barrier.wait(timeout=30)  # all of the batch at once
            if mode == "fail":
                return self.reply(503, {"error": "BODY-MARKER",
                                        "Logs": ["LOGS-MARKER"]})
            self.reply(200, {"Outputs": {}, "Logs": ["ok"]})

    http.server.ThreadingHTTPServer.request_queue_size = 512
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", int(os.environ["FUNCTIONS_CUSTOMHANDLER_PORT"])), H)
    server.daemon_threads = True
    server.serve_forever()
''')


@pytest.fixture
def fake_host():
    d = tempfile.mkdtemp(prefix="gridboard-test-host-")
    script = os.path.join(d, "fake_handler.py")
    with open(script, "w") as f:
        f.write(FAKE_HANDLER)
    os.makedirs(os.path.join(d, "Ev"))
    with open(os.path.join(d, "Ev", "function.json"), "w") as f:
        json.dump({"bindings": [{"type": "eventGridTrigger",
                                 "direction": "in",
                                 "name": "eventGridEvent"}]}, f)
    with open(os.path.join(d, "host.json"), "w") as f:
        json.dump({"version": "2.0", "customHandler": {"description": {
            "defaultExecutablePath": sys.executable,
            "arguments": [script]}}}, f)
    calls = os.path.join(d, "calls.log")
    open(calls, "w").close()
    port = free_port()
    out, err = os.path.join(d, "out.log"), os.path.join(d, "err.log")
    env = dict(os.environ, FAKE_BATCH=str(BATCH), FAKE_LOG=calls)
    proc = subprocess.Popen(
        [sys.executable, HOST_TOOL, "--host-json",
         os.path.join(d, "host.json"), "--functions", d,
         "--port", str(port)],
        stdout=open(out, "w"), stderr=open(err, "w"), env=env)
    wait_for_line(out, "functions-host listening", proc)

    class Host:
        def post(self, events, kind="Notification"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=90)
            conn.request("POST", "/runtime/webhooks/eventgrid?functionName=Ev",
                         json.dumps(events).encode(),
                         {"Content-Type": "application/json",
                          "aeg-event-type": kind})
            resp = conn.getresponse()
            raw = resp.read()
            conn.close()
            return resp.status, resp.getheader("Content-Type"), raw

        def ports(self):
            with open(calls) as f:
                return [int(line) for line in f if line.strip()]

        def stdout(self):
            with open(out) as f:
                return f.read()

        def stderr(self):
            with open(err) as f:
                return f.read()

    yield Host()
    proc.terminate()
    proc.wait(timeout=30)


def event(mode, i=0):
    return {"id": f"e{i}", "eventType": "Test", "subject": "s",
            "eventTime": "2025-01-01T00:00:00Z", "dataVersion": "1",
            "data": {"mode": mode}}


def test_batch_invoked_at_once_over_pooled_connections(fake_host):
    batch = [event("barrier", i) for i in range(BATCH)]
    status, _, raw = fake_host.post(batch)
    assert status == 202, raw
    status, _, raw = fake_host.post(batch)
    assert status == 202, raw
    ports = fake_host.ports()
    assert len(ports) == 2 * BATCH
    # The second batch went over the first one's connections, kept alive.
    assert len(set(ports)) == BATCH, len(set(ports))


def test_failed_reply_body_and_logs_are_dropped(fake_host):
    status, _, raw = fake_host.post([event("fail")])
    assert status == 500
    logs = fake_host.stdout() + fake_host.stderr()
    assert "Response status code does not indicate success: 503" in \
        fake_host.stderr()
    assert "BODY-MARKER" not in logs + raw.decode()
    assert "LOGS-MARKER" not in logs


def test_handler_stdout_is_information_and_stderr_error(fake_host):
    fake_host.post([event("ok")])  # the handler has started and written
    deadline = time.monotonic() + 10
    while "fake-stderr-marker" not in fake_host.stderr() and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Information] handler: fake-stdout-marker" in fake_host.stdout()
    assert "Error] handler: fake-stderr-marker" in fake_host.stderr()
    assert "fake-stderr-marker" not in fake_host.stdout()


def test_event_type_header_ignores_case(fake_host):
    status, _, raw = fake_host.post([event("ok")], kind="notification")
    assert status == 202, raw
    assert len(fake_host.ports()) == 1
    status, _, _ = fake_host.post([event("ok")], kind="UNSUBSCRIBE")
    assert status == 202
    status, _, _ = fake_host.post([event("ok")], kind="Bogus")
    assert status == 400


def test_validation_handshake_as_the_extension_answers(fake_host):
    handshake = [{"id": "v", "eventType":
                  "Microsoft.EventGrid.SubscriptionValidationEvent",
                  "subject": "", "eventTime": "2025-01-01T00:00:00Z",
                  "dataVersion": "2", "data": {"validationCode": "abc-123"}}]
    status, content_type, raw = fake_host.post(
        handshake, kind="subscriptionvalidation")
    assert status == 200
    assert content_type == "text/plain; charset=utf-8"
    assert raw == b'{"validationResponse":"abc-123"}'
    assert fake_host.ports() == []  # the handler never sees it


def test_failed_invocation_reason_reaches_the_host_log_as_error(
        ferretdb, database_name):
    """The real handler behind the local host: a failing invocation's
    reason is in the host's log only through the handler's stderr."""
    flow = Flow(ferretdb, database_name)
    try:
        status, _, _ = flow.request(
            "POST", "/runtime/webhooks/eventgrid?functionName=GameCompleted"
            "&code=" + urllib.parse.quote(
                flow.keys["systemKeys"]["eventgrid_extension"], safe=""),
            [None], {"aeg-event-type": "Notification"})
        assert status == 500
        deadline = time.monotonic() + 10
        while "invocation failed:" not in flow.host_output() and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        out = flow.host_output()
        assert "Response status code does not indicate success: 400" in out
        line = next(x for x in out.splitlines() if "invocation failed:" in x)
        assert "Error] handler: " in line
        assert "function=GameCompleted" in line and "retryable=false" in line
    finally:
        assert flow.stop() == 0


def test_demo_function_keys_follow_the_host_rule():
    """Keys as the Functions host generates them: 40 random bytes in
    base64 with no '+', so that a key pasted into ?code= is accepted as
    it is (a '+' in a query string reads as a space)."""
    import importlib.util
    path = os.path.join(os.path.dirname(__file__), "..", "..", "tools",
                        "demo.py")
    spec = importlib.util.spec_from_file_location("gridboard_demo", path)
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    keys = [demo.new_function_key() for _ in range(200)]
    assert all("+" not in k and len(k) == 56 for k in keys)
    assert len(set(keys)) == 200
    assert urllib.parse.parse_qs("code=" + keys[0])["code"] == [keys[0]]


SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..")


def load_sample(*path):
    with open(os.path.join(SAMPLES, *path)) as f:
        return json.load(f)


def test_the_samples_fit_together_as_the_by_hand_path_needs():
    """local.settings.sample.json, tools/keys.sample.json and
    tools/eventgrid_topic.sample.json, copied as docs/local-host.md says,
    make a topic that delivers to the host's GameCompleted webhook."""
    settings = load_sample("local.settings.sample.json")["Values"]
    keys = load_sample("tools", "keys.sample.json")
    topic = load_sample("tools", "eventgrid_topic.sample.json")
    for key in (keys["masterKey"], keys["functionKeys"]["default"],
                keys["systemKeys"]["eventgrid_extension"]):
        assert "+" not in key and len(key) == 56
    assert settings["EVENT_GRID_TOPIC_KEY"] in topic["keys"]
    endpoint = urllib.parse.urlsplit(settings["EVENT_GRID_TOPIC_ENDPOINT"])
    assert endpoint.netloc == topic["listen"]
    [sub] = topic["subscriptions"]
    assert sub["includedEventTypes"] == ["GameCompleted"]
    webhook = urllib.parse.urlsplit(sub["endpoint"])
    assert webhook.path == "/runtime/webhooks/eventgrid"
    query = urllib.parse.parse_qs(webhook.query)
    assert query == {"functionName": ["GameCompleted"],
                     "code": [keys["systemKeys"]["eventgrid_extension"]]}


@pytest.mark.parametrize("content, problem", [
    (None, "cannot read the settings file"),
    ("{\"Values\": ", "is not valid JSON"),
    ("[]", "must hold a JSON object"),
    ("{\"Values\": []}", "Values must be an object")])
def test_a_missing_or_malformed_settings_file_is_one_clear_line(
        tmp_path, content, problem):
    path = tmp_path / "local.settings.json"
    if content is not None:
        path.write_text(content)
    result = subprocess.run(
        [sys.executable, HOST_TOOL, "--host-json",
         os.path.join(SAMPLES, "host.json"), "--functions",
         os.path.join(SAMPLES, "function-app"), "--settings", str(path),
         "--port", str(free_port())],
        capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and problem in lines[0] and str(path) in lines[0]
    assert "Traceback" not in result.stderr


def test_a_missing_keys_file_or_topic_configuration_is_one_clear_line(
        tmp_path):
    missing = str(tmp_path / "keys.json")
    host = subprocess.run(
        [sys.executable, HOST_TOOL, "--host-json",
         os.path.join(SAMPLES, "host.json"), "--functions",
         os.path.join(SAMPLES, "function-app"), "--keys", missing,
         "--port", str(free_port())],
        capture_output=True, text=True, timeout=30)
    assert host.returncode == 1 and "Traceback" not in host.stderr
    assert f"cannot read the keys file {missing}" in host.stderr
    assert "tools/keys.sample.json" in host.stderr
    bad = tmp_path / "topic.json"
    bad.write_text("{")
    topic = subprocess.run(
        [sys.executable, os.path.join(SAMPLES, "tools", "eventgrid_topic.py"),
         "--config", str(bad)], capture_output=True, text=True, timeout=30)
    assert topic.returncode == 1 and "Traceback" not in topic.stderr
    assert "is not valid JSON" in topic.stderr
    assert "tools/eventgrid_topic.sample.json" in topic.stderr
