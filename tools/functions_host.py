"""A local Azure Functions host for a custom handler, for development and
tests.

A loopback-only stand-in for the Functions host (v4) running a custom
handler app, built to the host's documented and coded behaviour
(contracts/functions-host.md) and sharing no code with gridboard's
handler. It reads the app's real configuration, host.json and every
<function>/function.json, and:

- starts the handler as customHandler.description says
  (defaultExecutablePath, arguments, workingDirectory) with
  FUNCTIONS_CUSTOMHANDLER_PORT, FUNCTIONS_CUSTOMHANDLER_WORKER_ID, their
  legacy FUNCTIONS_HTTPWORKER_* twins, FUNCTIONS_APP_ROOT_PATH and the
  Values of local.settings.json;
- waits for it as the host does (GET / every 25 ms, any answer means
  ready, initializationTimeout 30 s), and restarts it when it exits: not at
  all after exit code 0, at once and uncounted after 200, otherwise as an
  error; the third error within 30 minutes stops the host;
- routes /<routePrefix>/<route> of each httpTrigger (route templates with
  {name}, {name?}, {*rest} and :constraints, methods, authLevel with keys
  from a keys file, `code` query or x-functions-key header) into invocation
  envelopes as the host builds them (Data.req with Url, Method, Query,
  Headers as arrays, Params, Identities, Body only with a Content-Length;
  Metadata with the double JSON encoding of strings and sys), POSTs them to
  /<FunctionName> chunked, and answers with Outputs.res (statusCode,
  headers, body), 500 when the invocation fails;
- serves /runtime/webhooks/eventgrid?functionName=<F> for Event Grid:
  answers the SubscriptionValidation handshake and the CloudEvents OPTIONS
  check itself, 202 to Unsubscribe, 400 without a known aeg-event-type,
  and for Notification invokes the function once per event, in parallel,
  202 when all succeed, 500 when any fails;
- applies host.json functionTimeout and prints each invocation's Logs.

Like the host, it sends invocations through one pooled keep-alive client
(connections reused, no per-server limit, every invocation sent at once),
drops the body and Logs of a non-2xx reply (only "Response status code
does not indicate success: N" is logged), logs the handler's stdout at
Information and its stderr at Error, compares aeg-event-type without
regard to case, and answers the validation handshake as the Event Grid
extension does: 200, text/plain, {"validationResponse":"<code>"}.

Usage:
  python tools/functions_host.py --host-json host.json \\
      --functions function-app --handler build/gridboard-handler \\
      [--settings local.settings.json] [--keys keys.json] [--port 7071]

keys.json: {"masterKey": "…", "functionKeys": {"default": "…"},
            "functions": {"SendResult": {"default": "…"}},
            "systemKeys": {"eventgrid_extension": "…"}}
Without --keys every key check fails, so only anonymous functions answer.
"""

import argparse
import base64
import datetime as dt
import hmac
import http.client
import json
import os
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

from json_file import load_json_object
from standin_server import (QuietHandler, ThreadingServer, announce,
                            serve_until_signalled)

HOST_VERSION = "4.1037.0.0"
POLL_SECONDS = 0.025
ERROR_THRESHOLD = 3
ERROR_WINDOW_SECONDS = 30 * 60
EVENT_GRID_ORIGINS = ("eventgrid.azure.net", "eventgrid.azure.us",
                      "eventgrid.azure.cn")
AUTH_LEVEL_CLAIM = "http://schemas.microsoft.com/2017/07/functions/claims/" \
                   "authlevel"
KEY_ID_CLAIM = "http://schemas.microsoft.com/2017/07/functions/claims/keyid"


def utcnow_text():
    return dt.datetime.now(dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def timespan_seconds(text, default):
    """host.json TimeSpan "[d.]hh:mm:ss[.fff]"; "-1" means unbounded."""
    if text is None:
        return default
    if str(text) == "-1":
        return None
    m = re.fullmatch(r"(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)", str(text))
    if not m:
        raise SystemExit(f"not a TimeSpan: {text!r}")
    days, hours, minutes, seconds = m.groups()
    return (int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 +
            float(seconds))


class Log:
    """The host's console log: "[time Level] text", Information on stdout
    and Error on stderr."""
    lock = threading.Lock()

    @classmethod
    def line(cls, text, level="Information"):
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%H:%M:%S.%f")[:-3]
        stream = sys.stderr if level == "Error" else sys.stdout
        with cls.lock:
            print(f"[{stamp} {level}] {text}", file=stream, flush=True)


# ---------------------------------------------------------------- functions

class Route:
    """A route template such as Stats/GetStats/{period}."""

    def __init__(self, template):
        self.parts = [p for p in template.strip("/").split("/") if p]

    def match(self, segments):
        params = {}
        i = 0
        for part in self.parts:
            m = re.fullmatch(r"\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(:[^}?]*)?"
                             r"(\?)?\}", part)
            if not m:
                if i >= len(segments) or \
                        segments[i].lower() != part.lower():
                    return None
                i += 1
                continue
            catch_all, name, constraint, optional = m.groups()
            if catch_all:
                params[name] = "/".join(segments[i:])
                return params
            if i >= len(segments):
                if optional:
                    continue
                return None
            value = segments[i]
            if constraint == ":int" and not re.fullmatch(r"-?\d+", value):
                return None
            if constraint == ":alpha" and not value.isalpha():
                return None
            params[name] = value
            i += 1
        return params if i == len(segments) else None


class Function:
    def __init__(self, name, config):
        self.name = name
        bindings = config.get("bindings", [])
        self.trigger = next((b for b in bindings
                             if b.get("direction") == "in"
                             and b.get("type", "").endswith("Trigger")), None)
        if not self.trigger:
            raise SystemExit(f"{name}: function.json has no trigger")
        self.type = self.trigger["type"]
        self.binding = self.trigger["name"]
        self.outputs = [b for b in bindings if b.get("direction") == "out"]
        if self.type == "httpTrigger":
            self.route = Route(self.trigger.get("route", name))
            self.methods = [m.upper() for m in self.trigger.get("methods", [])]
            self.auth_level = self.trigger.get("authLevel", "function").lower()


def load_json(path, what, hint=""):
    return load_json_object(path, "functions-host", what, hint)


def load_functions(folder):
    functions = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name, "function.json")
        if os.path.isfile(path):
            functions[name] = Function(name, load_json(path, "function.json"))
    if not functions:
        raise SystemExit(f"no function.json under {folder}")
    return functions


# ---------------------------------------------------------------- the worker

class Worker:
    """The custom handler process, as the host's HttpWorkerChannel runs
    it."""

    def __init__(self, host_config, app_root, handler, settings,
                 wrapper=()):
        description = host_config["customHandler"]["description"]
        exe = os.path.expandvars(description["defaultExecutablePath"])
        candidate = os.path.join(app_root, exe)
        # Relative to the app root only if that file exists (the host's rule).
        self.exe = handler or (candidate if os.path.exists(candidate) else exe)
        self.args = [re.sub(r"%[^%]+%", "", os.path.expandvars(a))
                     for a in description.get("arguments", [])]
        workdir = description.get("workingDirectory") or ""
        self.cwd = os.path.join(app_root, workdir) if workdir else app_root
        self.app_root = app_root
        self.settings = settings
        self.wrapper = list(wrapper)
        self.init_timeout = timespan_seconds(
            host_config["customHandler"].get("initializationTimeout"), 30)
        self.port = None
        self.proc = None
        self.state = threading.Condition()
        self.ready = False
        self.stopping = False
        self.errors = []  # times of error exits
        self.gave_up = False
        self.starts = 0

    def free_port(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def start(self):
        self.port = self.free_port()
        worker_id = str(uuid.uuid4())
        env = dict(os.environ)
        env.update(self.settings)
        env.update({"FUNCTIONS_CUSTOMHANDLER_PORT": str(self.port),
                    "FUNCTIONS_CUSTOMHANDLER_WORKER_ID": worker_id,
                    "FUNCTIONS_HTTPWORKER_PORT": str(self.port),
                    "FUNCTIONS_HTTPWORKER_ID": worker_id,
                    "FUNCTIONS_APP_ROOT_PATH": self.app_root})
        self.starts += 1
        Log.line(f"Starting worker process: {self.exe} (port {self.port})")
        self.proc = subprocess.Popen(self.wrapper + [self.exe] + self.args,
                                     cwd=self.cwd,
                                     env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        # UseStdErrorStreamForErrorsOnly: stdout at Information, stderr at
        # Error.
        for stream, level in ((self.proc.stdout, "Information"),
                              (self.proc.stderr, "Error")):
            threading.Thread(target=self.relay, args=(stream, level),
                             daemon=True).start()
        threading.Thread(target=self.watch, args=(self.proc,),
                         daemon=True).start()
        return self.wait_ready(self.proc)

    def relay(self, stream, level):
        for raw in iter(stream.readline, b""):
            Log.line("handler: " + raw.decode(errors="replace").rstrip(),
                     level)

    def wait_ready(self, proc):
        deadline = time.monotonic() + self.init_timeout
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                  timeout=1)
                conn.request("GET", "/")
                conn.getresponse().read()
                conn.close()
                with self.state:
                    self.ready = True
                    self.state.notify_all()
                Log.line("Worker process started and initialized.")
                return True
            except ConnectionRefusedError:
                time.sleep(POLL_SECONDS)
            except OSError:
                # Any answer, and any error but a refused connection, counts
                # as ready for the host.
                with self.state:
                    self.ready = True
                    self.state.notify_all()
                return True
        if proc.poll() is None:
            Log.line("Initializing HttpWorker timed out.", "Error")
            proc.kill()
        return False

    def watch(self, proc):
        code = proc.wait()
        with self.state:
            self.ready = False
            if self.stopping:
                return
        if code == 0:
            Log.line("Worker process exited with code 0: not restarted; "
                     "invocations will fail.", "Error")
            return
        if code != 200:
            now = time.monotonic()
            self.errors = [t for t in self.errors
                           if now - t < ERROR_WINDOW_SECONDS] + [now]
            Log.line(f"{self.exe} exited with code {code}", "Error")
            if len(self.errors) >= ERROR_THRESHOLD:
                Log.line("Exceeded http worker restart retry count. Shutting "
                         "down Functions Host", "Error")
                self.gave_up = True
                os.kill(os.getpid(), signal.SIGTERM)
                return
        else:
            Log.line("Worker process asked for a restart (exit code 200).")
        self.start()

    def address(self, timeout):
        """Waits (as invocations do before readiness) for the worker."""
        deadline = time.monotonic() + timeout
        with self.state:
            while not self.ready and not self.stopping:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.state.wait(left)
            return self.port if self.ready else None

    def stop(self):
        with self.state:
            self.stopping = True
            self.state.notify_all()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# ---------------------------------------------------------------- the host

class InvocationFailed(Exception):
    pass


class ConnectionPool:
    """The host's one HttpClient: keep-alive connections to the handler,
    reused most recently idle first, a new one whenever none is idle, no
    limit on their number. A connection that closed while idle is retried
    once on a new one, as SocketsHttpHandler does before any reply byte."""

    def __init__(self):
        self.lock = threading.Lock()
        self.idle = []  # (port, connection)
        self.opened = 0

    @staticmethod
    def _usable(conn):
        """An idle connection the handler has not closed: nothing to read
        on it, as SocketsHttpHandler checks before it reuses one."""
        if conn.sock is None:
            return False
        try:
            readable, _, _ = select.select([conn.sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    def send(self, port, timeout, method, path, body, headers):
        for attempt in (0, 1):
            conn = None
            with self.lock:
                while self.idle and conn is None:
                    idle_port, c = self.idle.pop()
                    if idle_port == port and self._usable(c):
                        conn = c
                    else:
                        c.close()  # closed by the handler, or restarted
                reused = conn is not None
                if not reused:
                    self.opened += 1
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port,
                                                  timeout=timeout)
            conn.timeout = timeout
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
            try:
                conn.request(method, path, iter([body]), headers,
                             encode_chunked=True)
                resp = conn.getresponse()
                raw = resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError) as e:
                conn.close()
                if reused and attempt == 0:
                    continue
                raise OSError(str(e) or type(e).__name__) from e
            except BaseException:
                conn.close()
                raise
            if resp.will_close:
                conn.close()
            else:
                with self.lock:
                    self.idle.append((port, conn))
            return resp, raw
        raise OSError("unreachable")

    def close(self):
        with self.lock:
            for _, conn in self.idle:
                conn.close()
            self.idle = []


class Host:
    def __init__(self, args):
        self.config = load_json(args.host_json, "host.json")
        self.functions = load_functions(args.functions)
        self.prefix = self.config.get("extensions", {}).get("http", {}) \
            .get("routePrefix", "api").strip("/")
        self.timeout = timespan_seconds(self.config.get("functionTimeout"),
                                        300)
        settings = {}
        if args.settings:
            values = load_json(
                args.settings, "the settings file",
                "; copy local.settings.sample.json to start from").get(
                    "Values", {})
            if not isinstance(values, dict):
                raise SystemExit(f"functions-host: the settings file "
                                 f"{args.settings}: Values must be an object")
            settings = {k: str(v) for k, v in values.items()}
        self.keys = {}
        if args.keys:
            self.keys = load_json(args.keys, "the keys file",
                                  "; copy tools/keys.sample.json to start "
                                  "from")
        app_root = os.path.dirname(os.path.abspath(args.host_json))
        self.worker = Worker(self.config, app_root, args.handler, settings,
                             shlex.split(args.handler_wrapper))
        self.client = ConnectionPool()

    # -- keys -------------------------------------------------------------

    def key_level(self, function, given):
        """The auth level a key grants for a function, or None."""
        def same(a, b):
            return isinstance(a, str) and hmac.compare_digest(a.encode(),
                                                              b.encode())
        if not given:
            return None
        if same(self.keys.get("masterKey"), given):
            return ("Admin", "master")
        for key_id, key in self.keys.get("functionKeys", {}).items():
            if same(key, given):
                return ("Function", key_id)
        for key_id, key in self.keys.get("functions", {}) \
                .get(function, {}).items():
            if same(key, given):
                return ("Function", key_id)
        return None

    def system_key_ok(self, given):
        """The webhook takes the eventgrid_extension system key or the
        master key; with neither configured it is open, as a local app
        without a keys file is."""
        keys = [k for k in (self.keys.get("masterKey"),
                            self.keys.get("systemKeys", {})
                            .get("eventgrid_extension")) if k]
        if not keys:
            return True
        return given is not None and any(
            hmac.compare_digest(k.encode(), given.encode()) for k in keys)

    # -- invoking the worker --------------------------------------------

    def invoke(self, function, envelope):
        """Sends one invocation; returns the handler's JSON reply or
        raises InvocationFailed."""
        invocation_id = str(uuid.uuid4())
        started = time.monotonic()
        Log.line(f"Executing 'Functions.{function}' (Id={invocation_id})")
        port = self.worker.address((ERROR_THRESHOLD + 1) *
                                   self.worker.init_timeout)
        if port is None:
            raise InvocationFailed("the handler is not running")
        body = json.dumps(envelope).encode()
        try:
            resp, raw = self.client.send(port, self.timeout, "POST",
                                         "/" + function, body, {
                "X-Azure-Functions-HostVersion": HOST_VERSION,
                "X-Azure-Functions-InvocationId": invocation_id,
                "User-Agent": f"Azure-Functions-Host/{HOST_VERSION}",
                "Content-Type": "application/json; charset=utf-8"})
        except socket.timeout:
            self.done(function, invocation_id, started, "Timeout")
            raise InvocationFailed(f"Timeout value of {self.timeout}s was "
                                   "exceeded by function: Functions."
                                   f"{function}")
        except OSError as e:
            self.done(function, invocation_id, started, "Failed")
            raise InvocationFailed(f"the handler did not answer: {e}")
        content_type = resp.getheader("Content-Type", "").split(";")[0]
        try:
            if not 200 <= resp.status < 300:
                # EnsureSuccessStatusCode before the body is read: the
                # reply's body and its Logs are never seen.
                raise InvocationFailed(
                    f"Response status code does not indicate success: "
                    f"{resp.status}")
            if content_type not in ("application/json", "text/json"):
                raise InvocationFailed(f"Invalid HttpResponseMessage: "
                                       f"content type '{content_type}'")
            try:
                reply = json.loads(raw)
            except ValueError:
                raise InvocationFailed("Invalid HttpResponseMessage: "
                                       f"{raw[:200]!r}")
            if not isinstance(reply, dict):
                raise InvocationFailed("Invalid HttpResponseMessage: not an "
                                       "object")
        except InvocationFailed:
            self.done(function, invocation_id, started, "Failed")
            raise
        logs = next((v for k, v in reply.items() if k.lower() == "logs"), [])
        for line in logs or []:
            Log.line(f"{function}: {line}")
        self.done(function, invocation_id, started, "Succeeded")
        return reply

    def done(self, function, invocation_id, started, outcome):
        Log.line(f"Executed 'Functions.{function}' ({outcome}, "
                 f"Id={invocation_id}, Duration="
                 f"{(time.monotonic() - started) * 1000:.0f}ms)")

    def start(self):
        if not self.worker.start():
            raise SystemExit("the handler did not start")


# ---------------------------------------------------------------- HTTP

def double_encoded(value):
    """How the host passes strings and numbers in Metadata."""
    return json.dumps(value if isinstance(value, str) else str(value))


def sys_binding_data(function_name):
    """Metadata.sys, which the host adds to every invocation."""
    return {"MethodName": function_name, "UtcNow": utcnow_text(),
            "RandGuid": str(uuid.uuid4())}


def joined_query(text):
    """The query as Data.req.Query holds it: a repeated name's values
    comma-joined, as StringValues.ToString() does."""
    query = {}
    for name, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    return query


def request_body_text(body, content_type):
    """Data.req.Body: the text, or base64 where the host takes the body
    for binary."""
    binary = content_type.startswith(("application/octet-stream",
                                      "multipart/"))
    return base64.b64encode(body).decode() if binary else \
        body.decode("utf-8", errors="replace")


def json_body_binding_data(body):
    """The top-level properties of a JSON object body that the host binds
    into Metadata: objects as they are, arrays left out, anything else
    double encoded."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {k: v if isinstance(v, dict) else double_encoded(v)
            for k, v in parsed.items() if not isinstance(v, list)}


def http_trigger_metadata(function, query, params, headers, body,
                          content_type):
    metadata = {k: double_encoded(v) for k, v in query.items()
                if k != "code"}
    metadata.update({k: double_encoded(v) for k, v in params.items()})
    if body and content_type.startswith("application/json"):
        metadata.update(json_body_binding_data(body))
    metadata["Query"] = query
    # One comma-joined string a header here, unlike Data.req.Headers.
    metadata["Headers"] = {k: ", ".join(v) for k, v in headers.items()}
    metadata["sys"] = sys_binding_data(function.name)
    return metadata


def http_output(function, reply):
    """The value the handler set for the function's http output binding
    (res unless function.json names another), or None."""
    outputs = next((v for k, v in reply.items()
                    if k.lower() == "outputs"), None) or {}
    out_name = next((b["name"] for b in function.outputs
                     if b.get("type") == "http"), "res")
    res = outputs.get(out_name)
    if res is None and out_name == "$return":
        res = reply.get("ReturnValue")
    return res


class Handler(QuietHandler):
    server_version = "Kestrel"

    def send(self, status, body=b"", headers=None):
        self.send_response(status)
        names = {k.lower() for k in (headers or {})}
        for name, value in (headers or {}).items():
            self.send_header(name, str(value))
        if body and "content-type" not in names:
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            return self.rfile.read(length)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            # Read and drop it: the host passes no Body without a length.
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                self.rfile.read(size + 2)
                if size == 0:
                    break
        return b""

    def dispatch(self):
        host = self.server.host
        url = urllib.parse.urlsplit(self.path)
        body = self.read_body()
        if url.path.lower() == "/runtime/webhooks/eventgrid":
            return self.event_grid(url, body)
        segments = [urllib.parse.unquote(s) for s in url.path.split("/") if s]
        prefix = [p for p in host.prefix.split("/") if p]
        if segments[:len(prefix)] != prefix and \
                [s.lower() for s in segments[:len(prefix)]] != prefix:
            if url.path == "/":
                return self.send(200, b"Your Functions host is running.")
            return self.send(404)
        segments = segments[len(prefix):]
        for function in host.functions.values():
            if function.type != "httpTrigger":
                continue
            if function.methods and self.command not in function.methods:
                continue
            params = function.route.match(segments)
            if params is not None:
                return self.http_trigger(function, url, params, body)
        self.send(404)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = dispatch

    def do_OPTIONS(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.lower() == "/runtime/webhooks/eventgrid":
            return self.event_grid(url, self.read_body())
        self.dispatch()

    # -- HTTP triggers -------------------------------------------------

    def http_trigger(self, function, url, params, body):
        query = joined_query(url.query)
        identity = self.caller_identity(function, query)
        if identity is None:
            return self.send(401)
        headers = {}
        for name, value in self.headers.items():
            headers.setdefault(name, []).append(value)
        content_type = self.headers.get("Content-Type", "")
        req = self.request_binding(query, headers, params, identity, body,
                                   content_type)
        metadata = http_trigger_metadata(function, query, params, headers,
                                         body, content_type)
        try:
            reply = self.server.host.invoke(function.name, {
                "Data": {function.binding: req}, "Metadata": metadata})
        except InvocationFailed as e:
            Log.line(f"{function.name}: {e}", "Error")
            return self.send(500)
        self.answer_http_output(function, http_output(function, reply))

    def caller_identity(self, function, query):
        """The identity the host's key check puts in Data.req.Identities,
        or None when the key does not grant the function's authLevel."""
        if function.auth_level == "anonymous":
            return {"AuthenticationType": None, "IsAuthenticated": False,
                    "Claims": []}
        granted = self.server.host.key_level(
            function.name,
            query.get("code") or self.headers.get("x-functions-key"))
        if not granted or (function.auth_level == "admin" and
                           granted[0] != "Admin"):
            return None
        return {"AuthenticationType": "WebJobsAuthLevel",
                "IsAuthenticated": True,
                "Claims": [{"Type": AUTH_LEVEL_CLAIM, "Value": granted[0]},
                           {"Type": KEY_ID_CLAIM, "Value": granted[1]}]}

    def request_binding(self, query, headers, params, identity, body,
                        content_type):
        """Data.req, the HTTP request as the host hands it over."""
        req = {"Url": f"http://{self.headers.get('Host', 'localhost')}"
                      f"{self.path}",
               "Method": self.command, "Query": query, "Headers": headers,
               "Params": params, "Identities": [identity]}
        if body:
            req["Body"] = request_body_text(body, content_type)
        return req

    def answer_http_output(self, function, res):
        if res is None:
            return self.send(200)
        if not isinstance(res, dict):
            Log.line(f"{function.name}: Failed while trying to Deserialize "
                     "to httpOutputBindingResponse. Output is not in "
                     "expected format", "Error")
            return self.send(500)
        res = {k.lower(): v for k, v in res.items()}
        try:
            status = int(res.get("statuscode") or 200)
        except (TypeError, ValueError):
            return self.send(500)
        out_body = res.get("body")
        if isinstance(out_body, (dict, list)):
            out_body = json.dumps(out_body, indent=2)
        self.send(status, (out_body or "").encode(),
                  {k: str(v) for k, v in (res.get("headers") or {}).items()})

    # -- the Event Grid webhook ----------------------------------------

    def event_grid(self, url, body):
        query = dict(urllib.parse.parse_qsl(url.query))
        if not self.server.host.system_key_ok(
                query.get("code") or self.headers.get("x-functions-key")):
            return self.send(401)
        name = query.get("functionName", "")
        function = self.event_grid_function(name)
        if not function:
            return self.send(404, f"cannot find function: '{name}'".encode())
        if self.command == "OPTIONS":
            return self.answer_abuse_check()
        if self.command != "POST":
            return self.send(405)
        kind = (self.headers.get("aeg-event-type") or "").lower()
        try:
            events = json.loads(body) if body else None
        except ValueError:
            return self.send(400, b"The request body is not JSON.")
        if kind == "subscriptionvalidation":
            return self.answer_validation(events)
        if kind == "unsubscribe":
            return self.send(202)
        if kind != "notification":
            return self.send(400)
        self.answer_notification(function, events)

    def event_grid_function(self, name):
        """The eventGridTrigger function the webhook's functionName names,
        matched without regard to case, or None."""
        function = next((f for n, f in self.server.host.functions.items()
                         if n.lower() == name.lower()), None)
        if not function or function.type != "eventGridTrigger":
            return None
        return function

    def answer_abuse_check(self):
        origin = self.headers.get("WebHook-Request-Origin", "")
        allowed = origin if origin.lower().endswith(EVENT_GRID_ORIGINS) \
            else "eventgrid.azure.net"
        self.send(200, headers={"Webhook-Allowed-Origin": allowed})

    def answer_validation(self, events):
        first = events[0] if isinstance(events, list) and events else \
            events
        data = first.get("data") if isinstance(first, dict) else None
        if isinstance(data, str):
            data = json.loads(data)
        code = data.get("validationCode") if isinstance(data, dict) \
            else None
        # StringContent(JsonSerializer.Serialize(...)): compact JSON
        # sent as text/plain; charset=utf-8.
        self.send(200, json.dumps(
            {"validationResponse": code}, separators=(",", ":"))
            .encode(), {"Content-Type": "text/plain; charset=utf-8"})

    def answer_notification(self, function, events):
        if isinstance(events, dict):
            events = [events]
        if not isinstance(events, list):
            return self.send(400)
        failures = self.invoke_each(function, events)
        if failures:
            Log.line(f"{function.name}: {len(failures)} of {len(events)} "
                     f"invocations failed: {failures[0]}", "Error")
            return self.send(500, failures[0].encode())
        self.send(202)

    def invoke_each(self, function, events):
        """Invokes the function once per event, all at once however many
        (Task.WhenAll); returns what each failed invocation reported, in
        the events' order."""
        results = [None] * len(events)

        def run_one(i, event):
            try:
                self.invoke_event(function, event)
            except InvocationFailed as e:
                results[i] = str(e)
            except Exception as e:  # noqa: BLE001 - reported as a failure
                results[i] = f"{type(e).__name__}: {e}"

        threads = [threading.Thread(target=run_one, args=(i, e), daemon=True)
                   for i, e in enumerate(events)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return [r for r in results if r is not None]

    def invoke_event(self, function, event):
        data = event.get("data") if isinstance(event, dict) else None
        return self.server.host.invoke(function.name, {
            "Data": {function.binding: event},
            "Metadata": {"data": data,
                         "sys": sys_binding_data(function.name)}})


def parse_args():
    parser = argparse.ArgumentParser(description="A local Functions host.")
    parser.add_argument("--host-json", default="host.json")
    parser.add_argument("--functions", default="function-app",
                        help="folder with one folder per function")
    parser.add_argument("--handler", help="the handler executable, instead "
                        "of customHandler.description.defaultExecutablePath")
    parser.add_argument("--handler-wrapper", default="",
                        help="a command to run the handler under, e.g. "
                        "valgrind with its options (not something the real "
                        "host does)")
    parser.add_argument("--settings", help="local.settings.json")
    parser.add_argument("--keys", help="keys.json")
    parser.add_argument("--port", type=int, default=7071)
    return parser.parse_args()


def log_functions(host, port):
    """The function list the host prints at start."""
    for name, f in host.functions.items():
        if f.type == "httpTrigger":
            route = "/".join(f.route.parts)
            Log.line(f"{name}: [{','.join(f.methods) or 'ALL'}] "
                     f"http://127.0.0.1:{port}/{host.prefix}/{route}")
        else:
            Log.line(f"{name}: {f.type}")


def main():
    args = parse_args()
    host = Host(args)
    server = ThreadingServer(("127.0.0.1", args.port), Handler)
    server.host = host
    port = server.server_address[1]
    host.start()
    log_functions(host, port)
    announce("functions-host", f"http://127.0.0.1:{port}")
    serve_until_signalled(server)
    host.worker.stop()
    host.client.close()
    sys.exit(1 if host.worker.gave_up else 0)


if __name__ == "__main__":
    main()
