"""Processes and payloads for gridboard's integration tests.

Starts the real FerretDB wrapper and the real handler binary on loopback
ports, speaks the Functions host's invocation protocol to the handler, and
computes leaderboards independently of the handler (the oracle)."""

import calendar
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
import uuid

HANDLER = os.environ.get("GB_HANDLER", "build/gridboard-handler")
FERRETDB = os.environ.get("GB_FERRETDB", ".cache/bin/ferretdb")
# A command to run the handler under, e.g. valgrind with its options.
WRAPPER = shlex.split(os.environ.get("GB_HANDLER_WRAPPER", ""))
SANITIZED = os.environ.get("GB_SANITIZED", "0").lower() in ("1", "true", "on")
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FerretDB:
    """The FerretDB wrapper, restartable on the same port and data."""

    def __init__(self, tls=None):
        self.port = free_port()
        self.data_dir = tempfile.mkdtemp(prefix="gridboard-test-ferretdb-")
        self.log = open(os.path.join(self.data_dir, "ferretdb.log"), "ab")
        self.proc = None
        self.tls = tls  # (certificate, key) to listen with TLS as well
        self.tls_port = free_port() if tls else None

    @property
    def uri(self):
        return f"mongodb://127.0.0.1:{self.port}/"

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
        assert resp_headers.get("Content-Type", "").startswith(
            "application/json"), resp_headers
        return status, json.loads(raw)

    def deliver(self, event):
        return self.invoke("GameCompleted", envelope_for(event))

    def stop(self, timeout=30):
        """SIGTERM, then the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def _read(self, f):
        f.seek(0)
        return f.read().decode(errors="replace")

    def stdout(self):
        return self._read(self.out)

    def stderr(self):
        return self._read(self.err)

    def sanitizer_reports(self):
        err = self.stderr()
        return [m for m in SANITIZER_MARKERS if m in err]


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
    """The three stats documents as the oracle's shape."""
    boards = {}
    for doc in db.stats.find():
        boards[doc["_id"]] = {
            "games": doc["games"],
            "moves": [m["count"] for m in doc["moves"]],
            "winners": [(w["winnerEmail"], w["wins"]) for w in doc["winners"]],
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
