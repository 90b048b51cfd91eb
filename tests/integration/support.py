"""Processes and payloads for gridboard's integration tests.

Starts the real FerretDB wrapper and the real handler binary on loopback
ports, speaks the Functions host's invocation protocol to the handler, and
computes leaderboards independently of the handler (the oracle)."""

import calendar
import collections
import datetime as dt
import http.client
import json
import os
import shlex
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import uuid

HANDLER = os.environ.get("GB_HANDLER", "build-test/gridboard-handler")
FERRETDB = os.environ.get("GB_FERRETDB", ".cache/bin/ferretdb")
MONGOJAVA = os.environ.get("GB_MONGOJAVA", ".cache/bin/mongojava.jar")
# Which database the suite runs against: FerretDB (SQLite, PLAIN auth, TLS,
# Cosmos-like errors) or mongo-java-server (atomic updates, no auth).
DB_SERVER = os.environ.get("GB_DB_SERVER", "ferretdb")
# A command to run the handler under, e.g. valgrind with its options.
WRAPPER = shlex.split(os.environ.get("GB_HANDLER_WRAPPER", ""))
SANITIZED = os.environ.get("GB_SANITIZED", "0").lower() in ("1", "true", "on")
# Every secret the suite hands out is recorded here, and everything the
# handler and the tools print or answer is collected in SEEN; the session
# ends by checking that no secret appears in any of it.
SECRETS = set()
SEEN = []


def secret(value):
    SECRETS.add(value)
    return value


DB_USER = "gridboard"
DB_PASSWORD = secret("gbDbPw" + uuid.uuid4().hex)

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")


def rss_kib(pid):
    """A process's resident memory, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def memory_reports(text):
    """Sanitizer reports, and valgrind's (-q prints only errors and leaks,
    each line starting with ==<pid>==)."""
    import re
    found = [m for m in SANITIZER_MARKERS if m in text]
    if WRAPPER and re.search(r"^(\[[^\]]*\] handler: )?==\d+== ", text,
                             re.M):
        found.append("valgrind")
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stable_port():
    """A free port below the kernel's ephemeral range, for a server that is
    stopped and started again: while it is down, a port from that range
    could be handed to some client's outgoing connection (or even connect
    to itself), and the restart would find it taken."""
    import random
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    for _ in range(200):
        port = random.randrange(max(1024, low - 12000), low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


class FerretDB:
    """The FerretDB wrapper, restartable on the same port and data."""

    name = "ferretdb"

    def __init__(self, tls=None):
        self.port = stable_port()
        self.data_dir = tempfile.mkdtemp(prefix="gridboard-test-ferretdb-")
        self.log = open(os.path.join(self.data_dir, "ferretdb.log"), "ab")
        self.proc = None
        self.tls = tls  # (certificate, key) to listen with TLS as well
        self.tls_port = free_port() if tls else None

    @property
    def uri(self):
        """For the tests' own clients: no credentials."""
        return f"mongodb://127.0.0.1:{self.port}/"

    def handler_uri(self, options=""):
        """For the handler: with a user and a distinctive password, which
        FerretDB's PLAIN mechanism accepts, so that the suite can check the
        password never leaks."""
        query = "authMechanism=PLAIN&authSource=%24external"
        options = options.lstrip("?")
        return (f"mongodb://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{self.port}/"
                f"?{query}" + (f"&{options}" if options else ""))

    def start(self):
        args = [FERRETDB, "-listen-addr", f"127.0.0.1:{self.port}",
                "-data-dir", self.data_dir]
        if self.tls:
            args += ["-listen-tls", f"127.0.0.1:{self.tls_port}",
                     "-tls-cert", self.tls[0], "-tls-key", self.tls[1]]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=self.log)
        line = self.proc.stdout.readline().decode()
        if "listening" not in line:
            raise RuntimeError(f"FerretDB did not start: {line!r}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)
        self.proc = None


class MongoJavaServer:
    """tools/mongojava (mongo-java-server 1.46.0), with the same interface as
    FerretDB: restartable on the same port, and with h2 (the default) on
    the same data, kept in an H2 file.

    It has no authentication (a user in the URI makes libmongoc send
    saslStart, which it does not know), so handler_uri carries no
    credentials: on this server the suite's secret check covers the topic
    and function keys but not the database password."""

    name = "mongojava"

    def __init__(self, h2=True):
        self.port = stable_port()
        self.data_dir = tempfile.mkdtemp(prefix="gridboard-test-mongojava-")
        self.h2 = os.path.join(self.data_dir, "data.h2") if h2 else None
        self.log = open(os.path.join(self.data_dir, "mongojava.log"), "ab")
        self.proc = None

    @property
    def uri(self):
        return f"mongodb://127.0.0.1:{self.port}/"

    def handler_uri(self, options=""):
        options = options.lstrip("?")
        return self.uri + (f"?{options}" if options else "")

    def start(self):
        args = ["java", "-XX:+UseSerialGC",
                "-jar", MONGOJAVA, "--listen", f"127.0.0.1:{self.port}"]
        if self.h2:
            args += ["--h2", self.h2]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=self.log)
        line = self.proc.stdout.readline().decode()
        if "listening" not in line:
            raise RuntimeError(f"mongo-java-server did not start: {line!r}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            code = self.proc.wait(timeout=30)
            if code != 0:
                raise RuntimeError(f"mongo-java-server exited {code}")
        self.proc = None


def database_server():
    """A new, unstarted server of the kind GB_DB_SERVER names."""
    if DB_SERVER == "mongojava":
        return MongoJavaServer()
    if DB_SERVER != "ferretdb":
        raise ValueError(f"GB_DB_SERVER={DB_SERVER!r}: ferretdb or mongojava")
    return FerretDB()


def needs_ferretdb(reason):
    """Skips a test on mongo-java-server, for what only FerretDB has."""
    import pytest
    return pytest.mark.skipif(DB_SERVER != "ferretdb",
                              reason=f"needs FerretDB: {reason}")


class Handler:
    """The gridboard-handler process, started as the Functions host does."""

    def __init__(self, env):
        self.port = free_port()
        self.env = dict(os.environ)
        self.env.update(env)
        self.env["FUNCTIONS_CUSTOMHANDLER_PORT"] = str(self.port)
        if SANITIZED:
            self.env.setdefault("ASAN_OPTIONS",
                                "detect_leaks=1:halt_on_error=1")
            self.env.setdefault("UBSAN_OPTIONS",
                                "print_stacktrace=1:halt_on_error=1")
        self.out = tempfile.TemporaryFile()
        self.err = tempfile.TemporaryFile()
        self.proc = None

    def start(self, wait=True):
        self.proc = subprocess.Popen(WRAPPER + [HANDLER], env=self.env,
                                     stdout=self.out, stderr=self.err)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30):
        # The host's readiness check: GET / every 25 ms, any answer counts.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("handler exited during start-up:\n" +
                                   self.stderr())
            try:
                status, _, _ = self.request("GET", "/")
                return status
            except OSError:
                time.sleep(0.025)
        raise RuntimeError("handler did not answer GET / in time")

    def connection(self, timeout=60):
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None,
                chunked=False):
        own = conn is None
        conn = conn or self.connection()
        try:
            if chunked:
                conn.request(method, path, body=iter([body]),
                             headers=headers or {}, encode_chunked=True)
            else:
                conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            raw = resp.read()
            return resp.status, dict(resp.getheaders()), raw
        finally:
            if own:
                conn.close()

    def invoke(self, function, envelope, invocation_id=None, chunked=True,
               conn=None):
        """POSTs an invocation envelope as the host does; returns
        (status, parsed JSON body)."""
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Azure-Functions-HostVersion": "4.1037.0.0",
            "X-Azure-Functions-InvocationId":
                invocation_id or str(uuid.uuid4()),
            "User-Agent": "Azure-Functions-Host/4.1037.0.0",
        }
        body = json.dumps(envelope).encode()
        status, resp_headers, raw = self.request(
            "POST", "/" + function, body, headers, conn=conn,
            chunked=chunked)
        SEEN.append((f"reply of {function}", raw.decode(errors="replace")))
        assert resp_headers.get("Content-Type", "").startswith(
            "application/json"), resp_headers
        return status, json.loads(raw)

    def deliver(self, event):
        return self.invoke("GameCompleted", envelope_for(event))

    def stop(self, timeout=30):
        """SIGTERM, then the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        SEEN.append(("handler stdout", self.stdout()))
        SEEN.append(("handler stderr", self.stderr()))
        return code

    def _read(self, f):
        f.seek(0)
        return f.read().decode(errors="replace")

    def stdout(self):
        return self._read(self.out)

    def stderr(self):
        return self._read(self.err)

    def sanitizer_reports(self):
        return memory_reports(self.stderr())


# ---------------------------------------------------------------- payloads

def utcnow():
    return dt.datetime.now(dt.timezone.utc)


def iso(t):
    """.NET's round-trip format, as GameAPI sends it (7 fraction digits)."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def game(ago=dt.timedelta(hours=1), winner="alice@example.com", rock=3,
         paper=2, scissors=1, game_id=None):
    return {"Id": game_id or str(uuid.uuid4()), "WinnerEmail": winner,
            "RockCount": rock, "PaperCount": paper, "ScissorsCount": scissors,
            "Timestamp": iso(utcnow() - ago)}


def event_grid_event(data, event_id=None, event_type="GameCompleted"):
    return {"id": event_id or str(uuid.uuid4()),
            "topic": "/subscriptions/0000/resourceGroups/rg/providers/"
                     "Microsoft.EventGrid/topics/gameapi",
            "subject": "GameAPI.GameCompleted", "eventType": event_type,
            "dataVersion": "1.0", "metadataVersion": "1",
            "eventTime": iso(utcnow()), "data": data}


def cloud_event(data, event_id=None, event_type="GameCompleted"):
    return {"specversion": "1.0", "id": event_id or str(uuid.uuid4()),
            "source": "/gameapi", "type": event_type,
            "subject": "GameAPI.GameCompleted", "time": iso(utcnow()),
            "datacontenttype": "application/json", "data": data}


def envelope_for(event, binding="eventGridEvent"):
    """The body the host POSTs for an Event Grid trigger (functions-host.md
    §3.4): the event as an object, its data again in Metadata."""
    data = event.get("data") if isinstance(event, dict) else None
    return {"Data": {binding: event},
            "Metadata": {"data": data,
                         "sys": {"MethodName": "GameCompleted",
                                 "UtcNow": iso(utcnow()),
                                 "RandGuid": str(uuid.uuid4())}}}


# ---------------------------------------------------------------- oracle

def minus_one_month(t):
    year, month = (t.year, t.month - 1) if t.month > 1 else (t.year - 1, 12)
    day = min(t.day, calendar.monthrange(year, month)[1])
    return t.replace(year=year, month=month, day=day)


def parse_iso(s):
    return dt.datetime.fromisoformat(s[:23] + "+00:00")


def oracle(games, now):
    """The three leaderboards computed from the games sent, without the
    handler: {period: {"games", "moves": [r, p, s], "winners": [(e, w)]}}."""
    starts = {"Daily": now - dt.timedelta(days=1),
              "Weekly": now - dt.timedelta(days=7),
              "Monthly": minus_one_month(now)}
    boards = {}
    for period, start in starts.items():
        inside = [g for g in games if start <= parse_iso(g["Timestamp"]) <= now]
        wins = {}
        for g in inside:
            wins[g["WinnerEmail"]] = wins.get(g["WinnerEmail"], 0) + 1
        ranked = sorted(wins.items(),
                        key=lambda kv: (-kv[1], kv[0].encode()))[:10]
        boards[period] = {
            "games": len(inside),
            "moves": [sum(g["RockCount"] for g in inside),
                      sum(g["PaperCount"] for g in inside),
                      sum(g["ScissorsCount"] for g in inside)],
            "winners": ranked,
        }
    return boards


def stored_boards(db):
    """The three saved leaderboards of the board document, in the oracle's
    shape."""
    boards = {}
    doc = db.boards.find_one({"_id": "leaderboards"})
    for key, period in (("p0", "Daily"), ("p1", "Weekly"), ("p2", "Monthly")):
        if doc is None:
            continue
        p = doc[key]
        boards[period] = {
            "games": p["g"],
            "moves": [p["r"], p["pa"], p["sc"]],
            "winners": [(w["w"], w["n"]) for w in p["top"][:10]],
        }
    return boards


def self_signed_certificate(directory):
    """A certificate for 127.0.0.1 and localhost, made with openssl."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


# ---------------------------------------------------------------- Event Grid

TOPIC_TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "tools",
                          "eventgrid_topic.py")


def new_function_key():
    """A function key as the Functions host generates it (tools/demo.py
    new_function_key): no '+', so it goes into ?code= unescaped."""
    import base64
    return secret(base64.b64encode(os.urandom(40)).decode().replace("+", "a"))


def new_key():
    import base64
    return secret(base64.b64encode(os.urandom(32)).decode())


class EventGridTopic:
    """tools/eventgrid_topic.py with a configuration of the test's."""

    def __init__(self, subscriptions=(), schema="EventGridSchema", keys=None,
                 tls=None, time_scale=0.001, **extra):
        import sys
        self.dir = tempfile.mkdtemp(prefix="gridboard-test-topic-")
        self.keys = keys or [new_key(), new_key()]
        self.config = {"name": "gameapi", "listen": "127.0.0.1:0",
                       "schema": schema, "keys": self.keys,
                       "timeScale": time_scale,
                       "deadLetterDir": os.path.join(self.dir, "deadletter"),
                       "logFile": os.path.join(self.dir, "topic.log"),
                       "subscriptions": list(subscriptions), **extra}
        if tls:
            self.config["tls"] = {"cert": tls[0], "key": tls[1]}
        path = os.path.join(self.dir, "topic.json")
        with open(path, "w") as f:
            json.dump(self.config, f)
        self.proc = subprocess.Popen([sys.executable, TOPIC_TOOL, "--config",
                                      path], stdout=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        if "listening" not in line:
            raise RuntimeError(f"topic did not start: {line!r}")
        self.endpoint = line.split()[-1]
        self.port = int(self.endpoint.split(":")[2].split("/")[0])

    @property
    def key(self):
        return self.keys[0]

    def control(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        if self.config.get("tls"):
            import ssl
            conn = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=10,
                context=ssl._create_unverified_context())
        conn.request(method, path, json.dumps(body) if body else None)
        resp = conn.getresponse()
        raw = resp.read()
        conn.close()
        return json.loads(raw) if raw else None

    def fail_next(self, status, count=1, retry_after=None):
        self.control("POST", "/_control/faults",
                     {"status": status, "count": count,
                      "retryAfter": retry_after})

    def log(self):
        return self.control("GET", "/_control/log")

    def wait_for(self, predicate, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            snapshot = self.log()
            if predicate(snapshot):
                return snapshot
            time.sleep(0.05)
        raise AssertionError(f"timed out; topic log: {self.log()}")

    def wait_delivered(self, timeout=30):
        """Waits until every accepted event has been delivered or
        dead-lettered: nothing is left in flight or waiting for a retry.
        A delivery is logged only once its reply is read, so a test that
        sees the database settled can still be ahead of the log."""
        def done(s):
            finished = collections.Counter(
                i for d in s["deliveries"] if d["outcome"] == "Success"
                for i in d["eventIds"])
            finished.update(e["id"] for e in s["deadLettered"])
            return not collections.Counter(
                e["id"] for e in s["accepted"]) - finished
        return self.wait_for(done, timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)
        with open(self.config["logFile"]) as f:
            SEEN.append(("topic log", f.read()))


class Webhook:
    """An Event Grid subscriber endpoint that answers the validation
    handshakes and records each delivery. `answers` is a list of statuses
    to give to the next deliveries (then 200)."""

    def __init__(self, answers=()):
        import http.server
        import threading
        outer = self
        self.answers = list(answers)
        self.deliveries = []
        self.validations = []
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def send(self, status, body=b"", headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_OPTIONS(self):
                origin = self.headers.get("WebHook-Request-Origin", "")
                outer.validations.append(("OPTIONS", origin))
                self.send(200, headers={"WebHook-Allowed-Origin": origin})

            def do_POST(self):
                body = json.loads(self.rfile.read(
                    int(self.headers["Content-Length"])))
                kind = self.headers.get("aeg-event-type")
                if kind == "SubscriptionValidation":
                    outer.validations.append(("POST", body))
                    code = body[0]["data"]["validationCode"]
                    return self.send(200, json.dumps(
                        {"validationResponse": code}).encode())
                with outer.lock:
                    outer.deliveries.append({"headers": dict(self.headers),
                                             "body": body})
                    status = outer.answers.pop(0) if outer.answers else 200
                self.send(status)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def events(self):
        """Every event delivered, in order."""
        with self.lock:
            out = []
            for d in self.deliveries:
                body = d["body"]
                out.extend(body if isinstance(body, list) else [body])
            return out

    def wait_for_events(self, n, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.events()) < n:
            time.sleep(0.02)
        return self.events()

    def stop(self):
        self.server.shutdown()


def subscription(webhook, name="stats", **options):
    return {"name": name, "endpoint": webhook.url,
            "includedEventTypes": ["GameCompleted"], **options}


def http_request_envelope(body, function="SendResult",
                          route="api/Stats/SendResult", method="POST",
                          content_type="application/json"):
    """The body the host POSTs for an HTTP trigger (functions-host.md
    §3.3): the request in Data.req, Body only when there is one."""
    headers = {"Content-Type": [content_type], "Host": ["localhost:7071"],
               "User-Agent": ["GameAPI"]}
    req = {"Url": f"http://localhost:7071/{route}", "Method": method,
           "Query": {}, "Headers": headers, "Params": {},
           "Identities": [{"AuthenticationType": "WebJobsAuthLevel",
                           "IsAuthenticated": True, "Claims": []}]}
    if body:
        headers["Content-Length"] = [str(len(body.encode()))]
        req["Body"] = body
    return {"Data": {"req": req},
            "Metadata": {"Query": {}, "Headers": {
                k: ", ".join(v) for k, v in headers.items()},
                "sys": {"MethodName": function, "UtcNow": iso(utcnow()),
                        "RandGuid": str(uuid.uuid4())}}}


def send_result(handler, body):
    """POSTs to SendResult as the host; returns the caller's status and the
    parsed body from Outputs.res, and the Logs."""
    text = body if isinstance(body, str) else json.dumps(body)
    status, reply = handler.invoke("SendResult", http_request_envelope(text))
    assert status == 200, reply  # the invocation itself succeeded
    res = reply["Outputs"]["res"]
    assert res["headers"]["Content-Type"].startswith("application/json")
    return res["statusCode"], json.loads(res["body"]), reply["Logs"]


# ---------------------------------------------------------------- the flow

HOST_TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "tools",
                         "functions_host.py")
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def wait_for_line(path, marker, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        with open(path) as f:
            for line in f:
                if marker in line:
                    return line.strip()
        time.sleep(0.02)
    with open(path) as f:
        raise RuntimeError(f"no {marker!r}:\n{f.read()[-3000:]}")


class Flow:
    """The whole system on loopback: the local Functions host running the
    handler with the real host.json and function.json files, and the local
    Event Grid topic subscribed to the host's Event Grid webhook."""

    def __init__(self, ferretdb, database, settings=None, time_scale=0.001,
                 app_dir=None, **subscription_options):
        import sys
        self.dir = tempfile.mkdtemp(prefix="gridboard-test-flow-")
        self.keys = {"masterKey": new_function_key(),
                     "functionKeys": {"default": new_function_key()},
                     "systemKeys": {"eventgrid_extension": new_function_key()}}
        self.topic_key = new_key()
        self.host_port, topic_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.host_port}"
        values = {"FUNCTIONS_WORKER_RUNTIME": "custom",
                  "COSMOS_CONNECTION_STRING": ferretdb.handler_uri(
                      "serverSelectionTimeoutMS=1500"),
                  "COSMOS_DATABASE": database,
                  "EVENT_GRID_TOPIC_ENDPOINT":
                      f"http://127.0.0.1:{topic_port}/api/events",
                  "EVENT_GRID_TOPIC_KEY": self.topic_key}
        values.update(settings or {})
        for name, content in (("keys.json", self.keys),
                              ("local.settings.json", {"IsEncrypted": False,
                                                       "Values": values})):
            with open(os.path.join(self.dir, name), "w") as f:
                json.dump(content, f)
        self.host_log = os.path.join(self.dir, "host.log")
        env = dict(os.environ)
        if SANITIZED:
            env.setdefault("ASAN_OPTIONS", "detect_leaks=1:halt_on_error=1")
            env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:"
                           "halt_on_error=1")
        # The repository's files with the built handler, or an assembled
        # app folder whose host.json names the handler beside it.
        app = ["--host-json", os.path.join(app_dir, "host.json"),
               "--functions", app_dir] if app_dir else [
            "--host-json", os.path.join(ROOT, "host.json"),
            "--functions", os.path.join(ROOT, "function-app"),
            "--handler", HANDLER]
        wrapper = ["--handler-wrapper", shlex.join(WRAPPER)] if WRAPPER \
            else []
        self.host = subprocess.Popen(
            [sys.executable, HOST_TOOL, *app, *wrapper,
             "--settings", os.path.join(self.dir, "local.settings.json"),
             "--keys", os.path.join(self.dir, "keys.json"),
             "--port", str(self.host_port)],
            stdout=open(self.host_log, "w"), stderr=subprocess.STDOUT,
            env=env)
        wait_for_line(self.host_log, "functions-host listening", self.host)
        webhook = (f"{self.base}/runtime/webhooks/eventgrid?functionName="
                   "GameCompleted&code=" + urllib.parse.quote(
                       self.keys["systemKeys"]["eventgrid_extension"]))
        self.topic = EventGridTopic(
            [{"name": "gridboard-stats", "endpoint": webhook,
              "includedEventTypes": ["GameCompleted"],
              **subscription_options}],
            keys=[self.topic_key], time_scale=time_scale,
            listen=f"127.0.0.1:{topic_port}")

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.host_port,
                                          timeout=150)
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, data, {"Content-Type": "application/json",
                                          **(headers or {})})
        resp = conn.getresponse()
        raw = resp.read()
        conn.close()
        return resp.status, dict(resp.getheaders()), raw

    @property
    def function_key(self):
        """URL-encoded, ready for ?code=."""
        return urllib.parse.quote(self.keys["functionKeys"]["default"])

    def send_result(self, games):
        status, _, raw = self.request(
            "POST", f"/api/Stats/SendResult?code={self.function_key}", games)
        return status, json.loads(raw) if raw else None

    def get_stats(self, period, headers=None):
        status, resp_headers, raw = self.request(
            "GET", f"/api/Stats/GetStats/{period}", headers=headers)
        return status, resp_headers, json.loads(raw) if raw else None

    def handler_pid(self):
        out = subprocess.run(["pgrep", "-P", str(self.host.pid)],
                             capture_output=True, text=True).stdout.split()
        return int(out[0]) if out else None

    def host_output(self):
        with open(self.host_log) as f:
            return f.read()

    def stop(self):
        self.topic.stop()
        if self.host.poll() is None:
            self.host.send_signal(signal.SIGTERM)
            self.host.wait(timeout=30)
        SEEN.append(("functions host output", self.host_output()))
        return self.host.returncode
