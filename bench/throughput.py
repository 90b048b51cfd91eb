"""gridboard's throughput and CPU cost per invocation, beside peers measured
in the same run. bench/run builds what this needs and runs it:

    bench/run [--duration 5] [--repeats 3] [--levels 1,4,16] [--only ...]

Sections (--only takes a comma-separated list of them; all by default):
  getstats       cached GetStats reads per second: gridboard-handler beside
                 a civetweb hello-world with the handler's options
                 (bench/hello.c) and the Node peer (bench/peers/node)
  sendresult     SendResult publishes per second to the local Event Grid
                 topic (tools/eventgrid_topic.py) and to a sink that only
                 answers 200 (bench/sink.c), and the TCP connections opened
  cpu            CPU time per invocation (utime+stime of the server process
                 from /proc/<pid>/stat) and RSS idle and after the run,
                 gridboard against the Node peer
  gamecompleted  GameCompleted throughput, p50 and p99 (the store is being
                 rewritten: these figures are expected to change)
  coldstart      bench/coldstart.py, as it is

The client is wrk with one thread and keep-alive connections; bench/invoke.lua
POSTs the envelopes the Functions host sends and checks every answer. The
servers, FerretDB and wrk share the machine's cores, so figures are medians
over --repeats runs, the servers are interleaved, and each ratio compares
figures of the same run. Prints markdown (and writes it to --output)."""

import argparse
import atexit
import datetime as dt
import hashlib
import http.client
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from support import (HANDLER, EventGridTopic, FerretDB,  # noqa: E402
                     envelope_for, event_grid_event, free_port, game,
                     http_request_envelope, new_key, rss_kib)

HANDLER_PATH = os.path.join(ROOT, HANDLER)
BIN = os.environ.get("GB_BENCH_BIN", os.path.join(ROOT, "build-bench"))
HELLO = os.path.join(BIN, "gb-bench-hello")
SINK = os.path.join(BIN, "gb-bench-sink")
LUA = os.path.join(BENCH, "invoke.lua")
NODE_PEER = os.path.join(BENCH, "peers", "node", "server.js")
TICK = os.sysconf("SC_CLK_TCK")
THREADS = 32  # the handler's default GRIDBOARD_THREADS, and the peers'
SEED_GAMES = 20  # games stored before GetStats, so a leaderboard has rows
NOTES = []  # anything odd seen during the run, printed with the tables


# ---------------------------------------------------------------- processes

class Server:
    """A process under test on a loopback port, measured from /proc."""

    def __init__(self, name, command, port, env=None):
        self.name, self.command, self.port = name, command, port
        self.env = dict(os.environ, **(env or {}))
        self.err = tempfile.TemporaryFile()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.command, env=self.env,
                                     stdout=subprocess.DEVNULL,
                                     stderr=self.err)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:  # the host's readiness check: any answer to GET /
                request(self.port, "GET", "/")
                return self
            except OSError:
                time.sleep(0.01)
        self.err.seek(0)
        raise RuntimeError(f"{self.name} did not start: "
                           f"{self.err.read().decode(errors='replace')}")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def pid(self):
        return self.proc.pid

    def rss(self):
        return rss_kib(self.pid)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def cpu_seconds(pid):
    """utime + stime of every thread of the process, dead ones included."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def request(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body,
                     {"Content-Type": "application/json"} if body else {})
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    finally:
        conn.close()


def app_env(ferretdb, database, topic=None):
    """The settings both gridboard and the Node peer read."""
    env = {"COSMOS_CONNECTION_STRING": ferretdb.uri,
           "COSMOS_DATABASE": database,
           "GRIDBOARD_THREADS": str(THREADS)}
    if topic:
        env["EVENT_GRID_TOPIC_ENDPOINT"], env["EVENT_GRID_TOPIC_KEY"] = topic
    return env


def gridboard(ferretdb, database, topic=None):
    port = free_port()
    return Server("gridboard", [HANDLER_PATH], port, dict(
        app_env(ferretdb, database, topic),
        FUNCTIONS_CUSTOMHANDLER_PORT=str(port)))


def node_peer(ferretdb, database, topic=None):
    port = free_port()
    return Server("node", ["node", NODE_PEER], port, dict(
        app_env(ferretdb, database, topic),
        FUNCTIONS_CUSTOMHANDLER_PORT=str(port)))


def hello(one_write=False):
    port = free_port()
    return Server("hello-1write" if one_write else "hello",
                  [HELLO, str(port), str(THREADS)] +
                  (["onewrite"] if one_write else []), port)


def sink_server():
    # More threads than the handler has: each of its worker threads may keep
    # a connection open, and civetweb gives each connection a thread.
    port = free_port()
    return Server("sink", [SINK, str(port), str(2 * THREADS)], port)


def node_available():
    return os.path.isdir(os.path.join(BENCH, "peers", "node",
                                      "node_modules", "mongodb"))


# ---------------------------------------------------------------- payloads

def get_stats_envelope():
    envelope = http_request_envelope("", function="GetStats",
                                     route="api/Stats/GetStats/Daily",
                                     method="GET")
    envelope["Data"]["req"]["Params"] = {"period": "Daily"}
    return envelope


def send_result_envelope():
    return http_request_envelope(json.dumps(game()))


def game_completed_template():
    """invoke.lua puts a new id in place of every @N@ (game and event)."""
    return envelope_for(event_grid_event(game(game_id="@N@"),
                                         event_id="@N@"))


# What every good answer holds ("|" between alternatives). gridboard's Logs
# line says whether GetStats served the saved leaderboard, from the
# process's copy (memory, LEADERBOARD_CACHE_MS) or read (cache), which is
# what this bench means to measure.
EXPECT = {("gridboard", "GetStats"): "source=memory|source=cache",
          ("node", "GetStats"): '"statusCode":200',
          ("hello", "GetStats"): "hello",
          ("hello-1write", "GetStats"): "hello",
          ("gridboard", "SendResult"): '"statusCode":202',
          ("node", "SendResult"): '"statusCode":202',
          ("gridboard", "GameCompleted"): "counted",
          ("node", "GameCompleted"): "counted"}


def seed(server, games=SEED_GAMES):
    """Stores some games and saves the leaderboards, so that GetStats then
    serves the saved (cached) one."""
    for _ in range(games):
        status, text = request(server.port, "POST", "/GameCompleted",
                               json.dumps(envelope_for(
                                   event_grid_event(game()))))
        assert status == 200 and "counted" in text, text
    body = json.dumps(get_stats_envelope())
    for _ in range(2):  # the first may recompute; the second reads
        status, text = request(server.port, "POST", "/GetStats", body)
        assert status == 200 and '"statusCode":200' in text, text
    return games + 2


# ---------------------------------------------------------------- the client

_bodies = tempfile.mkdtemp(prefix="gridboard-bench-")
atexit.register(shutil.rmtree, _bodies, True)


def body_file(envelope):
    data = json.dumps(envelope).encode()
    path = os.path.join(_bodies, hashlib.sha1(data).hexdigest() + ".json")
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return path


def wrk(server, function, envelope, connections, seconds=None, count=0):
    """One wrk run against server: for seconds, or until count answers.
    Returns invoke.lua's figures with "rate" (answers per second; not
    meaningful with count, whose run ends 0.2 s after the last answer)."""
    expect = EXPECT[(server.name, function)]
    run = "r" + uuid.uuid4().hex[:10]
    command = ["wrk", "-t1", f"-c{connections}",
               f"-d{int(seconds) if seconds else 1800}s", "--timeout", "30s",
               "--script", LUA, server.url("/" + function), "--",
               body_file(envelope), expect, str(count), run]
    out = subprocess.run(command, capture_output=True, text=True)
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise RuntimeError(f"wrk failed: {out.stdout}{out.stderr}")
    r = json.loads(lines[-1])
    r["rate"] = r["answers"] / (r["micros"] / 1e6)
    if r["bad"] or r["errors"]:
        NOTES.append(f"{server.name} {function} c={connections}: "
                     f"{r['bad']} unexpected answers, {r['errors']} "
                     f"socket errors of {r['answers']}")
    return r


def measured(server, function, envelope, connections, others=(), **kw):
    """wrk, with the CPU seconds that server and others (FerretDB) spent
    during the run."""
    pids = [server.pid] + [o.proc.pid for o in others]
    before = [cpu_seconds(p) for p in pids]
    r = wrk(server, function, envelope, connections, **kw)
    if kw.get("count"):
        time.sleep(0.3)  # let the requests wrk left in flight finish
    after = [cpu_seconds(p) for p in pids]
    r["cpu"] = [b - a for a, b in zip(before, after)]
    return r


# ---------------------------------------------------------------- helpers

def median(values):
    return statistics.median(values) if values else float("nan")


def cpu_us(runs, which):
    """Median CPU µs per answer of process `which` (0: the server) in runs
    made by measured()."""
    return median([r["cpu"][which] / r["answers"] * 1e6 for r in runs])


def ratio(a, b):
    known = all(x == x and x for x in (a, b))  # neither NaN (no runs) nor 0
    return f"{a / b:.1f}×" if known else "–"


def rate(value):
    return f"{value:,.0f}" if value == value else "–"


def ms(micros):
    return f"{micros / 1000:.2f}" if micros == micros else "–"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def rotate(items, n):
    """The n-th rotation, so that no server always runs first."""
    n %= len(items)
    return items[n:] + items[:n]


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- GetStats

def getstats_section(ctx, ferretdb):
    servers = [hello(), gridboard(ferretdb, "benchreads" + ctx.tag)]
    if ctx.node:
        servers.append(node_peer(ferretdb, "benchreadsnode" + ctx.tag))
    body = get_stats_envelope()
    runs = {}
    try:
        for s in servers:
            s.start()
            if s.name != "hello":
                seed(s)
            wrk(s, "GetStats", body, 4, seconds=1)  # warm-up (JIT, pools)
        for rep in range(ctx.repeats):
            for level in ctx.levels:
                for s in rotate(servers, rep + level):
                    log(f"GetStats {s.name} c={level} run {rep + 1}")
                    r = measured(s, "GetStats", body, level, [ferretdb],
                                 seconds=ctx.duration)
                    runs.setdefault((s.name, level), []).append(r)
    finally:
        for s in servers:
            s.stop()

    def fig(name, level, key):
        return median([r[key] for r in runs.get((name, level), [])])

    rows = []
    for level in ctx.levels:
        h, g, n = (fig(x, level, "rate") for x in ("hello", "gridboard",
                                                     "node"))
        ours = runs.get(("gridboard", level), [])
        rows.append([level, rate(h), rate(g), ratio(h, g),
                     f"{ms(fig('gridboard', level, 'p50_us'))} / "
                     f"{ms(fig('gridboard', level, 'p99_us'))}",
                     f"{cpu_us(ours, 0):.0f} / {cpu_us(ours, 1):.0f}",
                     rate(n), ratio(g, n)])
    return ("### GetStats, cached reads per second\n\n" + table(
        ["wrk connections", "civetweb hello req/s", "gridboard GetStats/s",
         "hello / gridboard", "gridboard p50 / p99 ms",
         "gridboard CPU µs per read: handler / FerretDB",
         "Node peer GetStats/s", "gridboard / Node"], rows))


# ---------------------------------------------------------------- SendResult

def sink_counts(sink):
    """(connections accepted, requests answered) by the sink, less the
    connection and request that asked."""
    _, text = request(sink.port, "GET", "/_stats")
    counts = json.loads(text)
    return counts["connections"] - 1, counts["requests"] - 1


class TopicCounter:
    """Connections opened to and publishes accepted by the Python topic,
    which counts neither itself. Connections come from the socket table:
    a connection opened during a run is still listed at its end, either
    open or in TIME_WAIT (60 s), so the difference of two counts is the
    number opened in between. Publishes come from the topic's log file."""

    def __init__(self, topic):
        self.topic = topic
        self.offset = self.accepted = 0

    def sockets(self):
        n = 0
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                local = int(fields[1].split(":")[1], 16)
                remote = int(fields[2].split(":")[1], 16)
                state = fields[3]
                if remote == self.topic.port and state != "0A":
                    n += 1  # a client's end, in any state
                elif local == self.topic.port and state == "06":
                    n += 1  # the topic closed first: its end waits
        return n

    def publishes(self):
        with open(self.topic.config["logFile"]) as f:
            f.seek(self.offset)
            text = f.read()
            self.offset = f.tell()
        self.accepted += text.count(" accepted ")
        return self.accepted

    def counts(self):
        return self.sockets(), self.publishes()


def sendresult_section(ctx, ferretdb):
    sink = sink_server().start()
    sink_target = (f"http://127.0.0.1:{sink.port}/api/events", new_key())
    topic = EventGridTopic()
    counter = TopicCounter(topic)
    runs_to = [("gridboard", "topic", gridboard(
        ferretdb, "benchsend" + ctx.tag, (topic.endpoint, topic.key)),
        counter.counts),
        ("gridboard", "sink", gridboard(ferretdb, "benchsend" + ctx.tag,
                                        sink_target),
         lambda: sink_counts(sink))]
    if ctx.node:
        runs_to.append(("node", "sink", node_peer(
            ferretdb, "benchsendnode" + ctx.tag, sink_target),
            lambda: sink_counts(sink)))
    body = send_result_envelope()
    runs = {}
    try:
        for _, _, s, _ in runs_to:
            s.start()
            wrk(s, "SendResult", body, 4, seconds=1)
        for rep in range(ctx.repeats):
            for level in ctx.levels:
                for name, target, s, counts in rotate(runs_to, rep + level):
                    log(f"SendResult {name} → {target} c={level} "
                        f"run {rep + 1}")
                    c0, n0 = counts()
                    r = wrk(s, "SendResult", body, level,
                            seconds=ctx.duration)
                    time.sleep(0.1)
                    c1, n1 = counts()
                    r["opened"], r["published"] = c1 - c0, n1 - n0
                    runs.setdefault((name, target, level), []).append(r)
    finally:
        for _, _, s, _ in runs_to:
            s.stop()
        topic.stop()
        shutil.rmtree(topic.dir, True)
        sink.stop()

    rows = []
    for level in ctx.levels:
        node = runs.get(("node", "sink", level), [])
        for target in ("topic", "sink"):
            rs = runs.get(("gridboard", target, level), [])
            g = median([r["rate"] for r in rs])
            n = median([r["rate"] for r in node]) if target == "sink" \
                else float("nan")
            answers = sum(r["answers"] for r in rs)
            published = sum(r["published"] for r in rs)
            rows.append([
                level, "local topic (Python)" if target == "topic"
                else "sink (C, 200)", rate(g),
                f"{ms(median([r['p50_us'] for r in rs]))} / "
                f"{ms(median([r['p99_us'] for r in rs]))}",
                f"{median([r['opened'] for r in rs]):.0f} / "
                f"{median([r['answers'] for r in rs]):,.0f}",
                f"{published:,} / {answers:,}",
                rate(n) if target == "sink" else "",
                ratio(g, n) if target == "sink" else "",
                f"{median([r['opened'] for r in node]):.0f}"
                if target == "sink" and node else ""])
    return ("### SendResult, publishes per second\n\n" + table(
        ["wrk connections", "Event Grid endpoint", "gridboard publishes/s",
         "p50 / p99 ms", "TCP connections opened / publishes in a run",
         "publishes the endpoint took / invocations answered (all runs)",
         "Node peer publishes/s", "gridboard / Node",
         "Node peer connections opened in a run"], rows))


# ---------------------------------------------------------------- CPU, RSS

def cpu_section(ctx, ferretdb):
    sink = sink_server().start()
    target = (f"http://127.0.0.1:{sink.port}/api/events", new_key())
    kinds = [("GetStats", get_stats_envelope(), ctx.invocations),
             ("SendResult", send_result_envelope(), ctx.invocations),
             ("GameCompleted", game_completed_template(), ctx.games)]
    makers = [("gridboard", gridboard)]
    if ctx.node:
        makers.append(("node", node_peer))
    per = {}  # (server, kind) -> [µs per invocation], also FerretDB's
    rss = {}  # server -> [(idle, after, invocations)]
    floor = {}
    conn = 4
    try:
        for rep in range(ctx.repeats):
            for name, make in rotate(makers, rep):
                s = make(ferretdb, f"benchcpu{name}{rep}{ctx.tag}", target)
                s.start()
                time.sleep(1)
                at_start = s.rss()  # before any invocation
                total = seed(s)
                for function, envelope, n in kinds:  # warm-up, JIT
                    total += wrk(s, function, envelope, conn,
                                 count=max(1, n // 20))["answers"]
                time.sleep(1)
                idle = s.rss()
                for function, envelope, n in kinds:
                    log(f"CPU {name} {function} ×{n} run {rep + 1}")
                    s0 = sink_counts(sink)
                    r = measured(s, function, envelope, conn, [ferretdb],
                                 count=n)
                    s1 = sink_counts(sink)
                    total += r["answers"]
                    per.setdefault((name, function), []).append(
                        (r["cpu"][0] / r["answers"] * 1e6,
                         r["cpu"][1] / r["answers"] * 1e6,
                         s1[0] - s0[0], s1[1] - s0[1]))
                rss.setdefault(name, []).append((at_start, idle, s.rss(),
                                                 total))
                s.stop()
            for one_write in (False, True):
                h = hello(one_write).start()
                r = measured(h, "GetStats", get_stats_envelope(), conn,
                             count=ctx.invocations)
                floor.setdefault(h.name, []).append(
                    r["cpu"][0] / r["answers"] * 1e6)
                h.stop()
    finally:
        sink.stop()

    rows = []
    for function, _, n in kinds:
        g = per.get(("gridboard", function), [])
        d = per.get(("node", function), [])
        gu, du = median([x[0] for x in g]), median([x[0] for x in d])
        rows.append([function + (" (cached read)" if function == "GetStats"
                                 else " (to the sink)" if function ==
                                 "SendResult" else ""),
                     f"{n:,}", f"{gu:.0f}", f"{du:.0f}" if d else "–",
                     ratio(du, gu) if d else "–",
                     f"{median([x[1] for x in g]):.0f} / "
                     f"{median([x[1] for x in d]):.0f}" if d else
                     f"{median([x[1] for x in g]):.0f}"])
    for name, label in (("hello", "civetweb hello, replying as gb_server.c "
                                  "does (8 sends)"),
                        ("hello-1write", "civetweb hello, one send per "
                                         "reply")):
        rows.append([label, f"{ctx.invocations:,}",
                     f"{median(floor.get(name, [])):.0f}", "", "", ""])
    mib = 1024
    mem = []
    for name in [m[0] for m in makers]:
        values = rss.get(name, [])
        mem.append([name] + [median([v[i] for v in values]) / mib
                             for i in range(3)] +
                   [min(v[3] for v in values)])
    mem_rows = [[name, f"{start:.1f}", f"{idle:.1f}", f"{after:.1f}",
                 f"{count:,}"] for name, start, idle, after, count in mem]
    if len(mem) == 2:
        mem_rows.append(["Node / gridboard"] +
                        [ratio(mem[1][i], mem[0][i]) for i in (1, 2, 3)] +
                        [""])
    send = per.get(("gridboard", "SendResult"), [])
    reuse = (f"Connections the sink accepted from gridboard during the "
             f"SendResult runs: {', '.join(str(x[2]) for x in send)} for "
             f"{', '.join(f'{x[3]:,}' for x in send)} publishes"
             if send else "")
    node_send = per.get(("node", "SendResult"), [])
    if node_send:
        reuse += (f"; from the Node peer: "
                  f"{', '.join(str(x[2]) for x in node_send)} for "
                  f"{', '.join(f'{x[3]:,}' for x in node_send)}")
    return ("### CPU time per invocation (server process, utime+stime, "
            f"wrk -c{conn})\n\n" + table(
                ["invocation", "per run", "gridboard µs", "Node peer µs",
                 "Node / gridboard", "FerretDB µs: gridboard's / Node's"],
                rows) +
            "\n\n" + reuse + ".\n\n### Resident memory\n\n" + table(
                ["server", "RSS idle at start MiB",
                 "RSS idle after seeding and warm-up MiB",
                 "RSS after the run MiB", "invocations by then"], mem_rows))


# ---------------------------------------------------------- GameCompleted

def game_completed_load(make, ferretdb, levels, seconds, repeats, tag,
                        prepare=seed):
    """GameCompleted throughput and latency at each concurrency: new games
    (unique ids), each level on a fresh database that prepare(server) fills
    alike (by default SEED_GAMES games through GameCompleted), so every
    level starts from the same store. A hook for the store rewrite, which
    can pass its own prepare (say, a bulk load of many games): returns
    {level: [wrk figures, with "cpu": [handler s, FerretDB s]]}."""
    out = {}
    for rep in range(repeats):
        for level in levels:
            s = make(ferretdb, f"benchgames{level}x{rep}{tag}").start()
            try:
                prepare(s)
                log(f"GameCompleted {s.name} c={level} run {rep + 1}")
                out.setdefault(level, []).append(measured(
                    s, "GameCompleted", game_completed_template(), level,
                    [ferretdb], seconds=seconds))
            finally:
                s.stop()
    return out


def gamecompleted_section(ctx, ferretdb):
    results = {"gridboard": game_completed_load(
        gridboard, ferretdb, ctx.levels, ctx.duration, ctx.repeats, ctx.tag)}
    if ctx.node:
        results["node"] = game_completed_load(
            node_peer, ferretdb, ctx.levels, ctx.duration, ctx.repeats,
            ctx.tag)
    rows = []
    for level in ctx.levels:
        g = results["gridboard"][level]
        n = results.get("node", {}).get(level, [])
        gr = median([r["rate"] for r in g])
        nr = median([r["rate"] for r in n])
        rows.append([level, rate(gr),
                     f"{ms(median([r['p50_us'] for r in g]))} / "
                     f"{ms(median([r['p99_us'] for r in g]))}",
                     f"{cpu_us(g, 0):.0f} / {cpu_us(g, 1):.0f}",
                     rate(nr) if n else "–",
                     f"{ms(median([r['p50_us'] for r in n]))} / "
                     f"{ms(median([r['p99_us'] for r in n]))}" if n else "–",
                     ratio(gr, nr) if n else "–"])
    return ("### GameCompleted (preliminary: the store is being rewritten)"
            "\n\n" + table(
                ["wrk connections", "gridboard games/s", "p50 / p99 ms",
                 "CPU µs per game: handler / FerretDB", "Node peer games/s",
                 "Node p50 / p99 ms", "gridboard / Node"], rows))


# ---------------------------------------------------------------- cold start

def coldstart_section(ctx, ferretdb):
    out = subprocess.run([sys.executable, os.path.join(BENCH, "coldstart.py"),
                          "--runs", str(ctx.coldstart_runs)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("bench/coldstart.py failed:\n" +
                           out.stderr[-2000:])
    return ("### Cold start (bench/coldstart.py)\n\n" +
            "\n".join("    " + l for l in out.stdout.splitlines()))


# ---------------------------------------------------------------- report

def package_version(name):
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", name],
                         capture_output=True, text=True)
    return out.stdout.strip() or "?"


def handler_build():
    """The handler measured, and the commit of the tree it was built in
    ("+edits" when that tree's handler/ differs from the commit)."""
    tree = os.path.dirname(os.path.dirname(HANDLER_PATH))

    def git(*args):
        return subprocess.run(["git", "-C", tree, *args], capture_output=True,
                              text=True).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown commit"
    if git("status", "--porcelain", "--", "handler", "CMakeLists.txt"):
        commit += "+edits"
    shown = os.path.relpath(HANDLER_PATH, ROOT)
    if shown.startswith(".."):
        shown = HANDLER_PATH
    return f"{shown} built from {commit}"


def machine(ctx):
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1024 / 1024
    node = subprocess.run(["node", "--version"], capture_output=True,
                          text=True).stdout.strip() if ctx.node else "–"
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True,
                                 text=True).stdout.split()[1:2]
    return (f"{os.cpu_count()} cores ({model}), {mem:.0f} GiB, Linux "
            f"{platform.release()}; civetweb {package_version('libcivetweb1')}"
            f", cJSON {package_version('libcjson1')}, curl "
            f"{package_version('libcurl4')}, mongoc "
            f"{package_version('libmongoc-1.0-0')}; Node.js {node}; wrk "
            f"{''.join(wrk_version)}")


SECTIONS = {"getstats": getstats_section, "sendresult": sendresult_section,
            "cpu": cpu_section, "gamecompleted": gamecompleted_section,
            "coldstart": coldstart_section}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--duration", type=float, default=5,
                        help="seconds of each timed wrk run (default 5)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each measurement (default 3)")
    parser.add_argument("--levels", default="1,4,16",
                        help="wrk connections, comma-separated (≤ 32, the "
                             "handler's threads; default 1,4,16)")
    parser.add_argument("--invocations", type=int, default=50000,
                        help="GetStats and SendResult invocations per CPU "
                             "run (default 50000 each)")
    parser.add_argument("--games", type=int, default=300,
                        help="GameCompleted invocations per CPU run "
                             "(default 300)")
    parser.add_argument("--coldstart-runs", type=int, default=20)
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help="sections to run (default: all)")
    parser.add_argument("--no-node", action="store_true",
                        help="leave the Node peer out")
    parser.add_argument("--output", help="also write the markdown here")
    ctx = parser.parse_args()
    os.chdir(ROOT)  # support.py finds FerretDB and the handler from here
    # Stopped by SIGTERM, or SIGINT even when started in the background
    # (which ignores it): unwind, so the finally blocks stop every server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    ctx.levels = [int(x) for x in ctx.levels.split(",")]
    ctx.tag = uuid.uuid4().hex[:6]
    ctx.node = not ctx.no_node and node_available()
    if not ctx.node and not ctx.no_node:
        NOTES.append("the Node peer was left out: run "
                     "`npm ci --prefix bench/peers/node` first")
    chosen = [s for s in ctx.only.split(",") if s]
    for s in chosen:
        if s not in SECTIONS:
            parser.error(f"unknown section {s}; known: {', '.join(SECTIONS)}")
    for path in (HANDLER_PATH, HELLO, SINK):
        if not os.access(path, os.X_OK):
            parser.error(f"{path} is missing: run bench/run, which builds it")

    started = dt.datetime.now(dt.timezone.utc)
    command = "bench/run " + " ".join(sys.argv[1:])
    parts = [f"Measured {started:%Y-%m-%d %H:%M} UTC with "
             f"`{command.strip()}`: {machine(ctx)}. Medians of {ctx.repeats} "
             f"runs; {ctx.duration:g} s per timed run; wrk -t1; "
             f"{handler_build()}."]
    print(parts[0] + "\n", flush=True)
    ferretdb = FerretDB()
    ferretdb.start()
    try:
        for name in chosen:
            try:
                part = SECTIONS[name](ctx, ferretdb)
            except Exception as e:  # noqa: BLE001 -- keep the other sections
                part = f"### {name}\n\nFailed: {e}"
                NOTES.append(f"the {name} section failed")
            parts.append(part)
            print(part + "\n", flush=True)  # as each ends, not all at last
    finally:
        ferretdb.stop()
        shutil.rmtree(ferretdb.data_dir, True)
    minutes = (dt.datetime.now(dt.timezone.utc) - started).seconds / 60
    parts.append((("Notes:\n\n" + "\n".join(f"- {n}" for n in NOTES) +
                   "\n\n") if NOTES else "") + f"Took {minutes:.0f} min.")
    print(parts[-1])
    if ctx.output:
        with open(ctx.output, "w") as f:
            f.write("\n\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
