"""Cost per game and per GetStats read, counted on the wire: database
commands, bytes and estimated Cosmos DB Request Units, beside the floor
(one plain insert per game keyed by its Id), measured in the same run.

    .venv/bin/python bench/store_cost.py [--games 300] [--rates 12,1200,12000,b2b]
        [--instances 1,4] [--margin 300] [--uri mongodb://...] [--output F]

For each rate and instance count, on a fresh database:

1. **History** (not counted): bench/store_cost.c `fill` stores games
   straight through the store module (handler/gb_store.h), refreshing
   every --fill-batch games, at the same rate (capped at 12,000 games/hour;
   back to back fills at 12,000/hour), directly to the server.
   A month at 12,000 games/hour is 8.6M games, too many for a bench here.
   The simulated clock lets the history be only what the measured phase
   touches: the games under the window edges while they move, that is, for
   each of Daily, Weekly and Monthly (AddMonths(-1) with its clamp), the
   span [start - period - margin, start - period + span + margin], and
   [start - margin, start) before the measured phase; ranges are clipped
   at the start and merged. Where an edge later crosses a filled range
   (range + 1 day, + 7 days, + a month, before the start), `sweep'
   refreshes with no new game every fill-batch games' worth of time, so
   that no refresh takes in a whole range at once (the store before the
   rewrite then sends an update FerretDB hangs on). `span` is the measured phase's simulated
   length (games x interval). The windows therefore hold fewer games than
   a real month would: a cost that grows with a window's content (not the
   edges') would be understated, and a store whose unit of history is
   coarser than the margin (the hourly ledger bucket of the store before
   the rewrite) sees only the margin's games in the bucket under an edge
   (--margin 3600 fills whole hours).
2. **Measured**: `measure` stores --games new games, Timestamp i x interval
   after the start (12/h: 300 s apart; 1,200/h: 3 s; 12,000/h: 0.3 s;
   back to back: --back-to-back-ms, 10 ms by default, so that 100 games
   share a simulated second), through bench/wire_proxy.py, spread at
   random over 1 or N stores, each an instance's own gb_store. Each game's
   delivery waits as the handler's does, through gb_store_sync_at turns on
   the simulated clock (at most one refresh per interval per instance, and
   another instance's board younger than an interval left to it) until its
   game is taken in: at 12/h every game pays a refresh, back to back about
   one game in 100 does. The wait, arrival to answer in simulated time,
   bounds how soon a game shows in GetStats.
3. **Floor**: `floor` inserts the same games, one insert_one each, into
   `floor`, through the same proxy.
4. **GetStats**: `read` calls gb_store_read_leaderboard --reads times
   (Daily, Weekly, Monthly in turn) at the end of the measured phase.

Commands and bytes are those of the "game" category (bench/wire_proxy.py):
the driver's own hello/isMaster/endSessions and the store's createIndexes
are counted apart and shown in the last column. RU: bench/ru.py (low =
5 RU per written KB, high = 10). The ratio is RU per game over the floor's
RU per game, low over low and high over high.

FerretDB (.cache/bin/ferretdb, scripts/bootstrap builds it) is started on a
free port with a temporary data directory unless --uri names a server.
store_cost is built with `cmake -S bench -B build-bench && cmake --build
build-bench --target store_cost` unless --store-cost names one."""

import argparse
import calendar
import datetime
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ru  # noqa: E402
import wire_proxy  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS


def month_back(ms):
    """AddMonths(-1) with .NET's clamp to the shorter month's last day."""
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    year, month = (t.year, t.month - 1) if t.month > 1 else (t.year - 1, 12)
    day = min(t.day, calendar.monthrange(year, month)[1])
    return int(t.replace(year=year, month=month, day=day).timestamp() * 1000)


def month_forward(ms):
    """AddMonths(+1), clamped the same way."""
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    year, month = (t.year, t.month + 1) if t.month < 12 else (t.year + 1, 1)
    day = min(t.day, calendar.monthrange(year, month)[1])
    return int(t.replace(year=year, month=month, day=day).timestamp() * 1000)


def history_ranges(start, span, margin):
    """The (from, to) ranges of simulated ms the history fills."""
    ranges = [(start - margin, start)]
    for edge in (month_back(start), start - 7 * DAY_MS, start - DAY_MS):
        ranges.append((edge - margin, min(start, edge + span + margin)))
    ranges.sort()
    merged = []
    for a, b in ranges:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def history_plan(start, span, margin):
    """[("fill" | "sweep", from, to)] in simulated time order: the fill
    ranges, and where no fill range is, the spans in which a window edge
    crosses filled history (range + 1 day, + 7 days, + a month), swept in
    small steps so that no refresh takes in much history at once."""
    fills = history_ranges(start, span, margin)
    sweeps = []
    for a, b in fills:
        for shift in (DAY_MS, 7 * DAY_MS):
            sweeps.append((a + shift, b + shift))
        # The Monthly start passes a about a month later (the clamp
        # aside, which only makes it pass sooner).
        sweeps.append((month_forward(a), month_forward(b)))
    pieces = []
    for a, b in sweeps:
        b = min(b, start)
        for fa, fb in fills:  # what a fill range covers, its refreshes do
            if fa <= a < fb:
                a = fb
            if fa < b <= fb:
                b = fa
        if a < b:
            pieces.append(("sweep", a, b))
    pieces += [("fill", a, b) for a, b in fills]
    pieces.sort(key=lambda p: (p[1], p[0]))
    return pieces


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FerretDB:
    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="store-cost-")
        binary = os.path.join(ROOT, ".cache", "bin", "ferretdb")
        self.proc = subprocess.Popen(
            [binary, "-listen-addr", f"127.0.0.1:{self.port}", "-data-dir",
             self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("FerretDB did not listen")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def build_store_cost():
    build = os.path.join(ROOT, "build-bench")
    subprocess.run(["cmake", "-S", os.path.join(ROOT, "bench"), "-B", build],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build, "--target", "store_cost",
                    "-j2"], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(build, "store_cost")


TIMEOUT_S = 900


def run(binary, uri, database, *args):
    """Runs one store_cost mode; a server that stops answering (FerretDB
    hangs on an update of 100+ matching statements) ends it after
    TIMEOUT_S (--timeout) as an error."""
    try:
        r = subprocess.run([binary, uri, database, *map(str, args)],
                           capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        sys.stderr.write(f"store_cost: {args[0]} timed out after "
                         f"{TIMEOUT_S} s\n")
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else ""
        r = subprocess.CompletedProcess(e.cmd, 1, out or "", "")
    figures = [dict(re.findall(r"(\w+)=(\S+)", line))
               for line in r.stdout.splitlines() if "=" in line]
    errors = sum(int(f.get("errors", 0)) for f in figures)
    if r.returncode != 0 and not errors:
        errors = 1
    if r.returncode != 0:
        sys.stderr.write(r.stderr[-2000:])
    return figures, errors


def per(snap, count):
    """Per-unit figures of the game category of one snapshot."""
    game = snap["totals"].get("game", {"commands": 0, "sent": 0,
                                       "received": 0})
    est = ru.estimate(snap["records"])
    others = {k: v["commands"] for k, v in snap["by_name"].items()
              if v["category"] != "game"}
    return {"commands": game["commands"] / count,
            "kb": (game["sent"] + game["received"]) / 1024 / count,
            "kb_sent": game["sent"] / 1024 / count,
            "kb_received": game["received"] / 1024 / count,
            "low": est["low"] / count, "high": est["high"] / count,
            "by_name": {k: v["commands"] / count
                        for k, v in snap["by_name"].items()
                        if v["category"] == "game"},
            "by_target": {k: (v["commands"] / count,
                              v["sent"] / 1024 / count,
                              v["received"] / 1024 / count)
                          for k, v in snap["by_target"].items()
                          if v["category"] == "game"},
            "others": others, "parse_errors": snap["parse_errors"]}


def one(args, binary, upstream_uri, proxy, rate, instances, tag):
    interval = (args.back_to_back_ms if rate == "b2b"
                else round(HOUR_MS / float(rate)))
    fill_interval = max(interval, HOUR_MS // 12000)
    span = args.games * interval
    start = (int(time.time() * 1000) - span) // 1000 * 1000
    database = f"cost_{tag}_{rate}_{instances}"
    filled, fill_errors = 0, 0
    t0 = time.time()
    step = fill_interval * args.fill_batch
    for kind, a, b in history_plan(start, span, args.margin * 1000):
        if kind == "fill":
            figures, errors = run(binary, upstream_uri, database, "fill", a,
                                  b, fill_interval, args.seed,
                                  args.fill_batch)
        else:
            _, errors = run(binary, upstream_uri, database, "sweep", a, b,
                            step)
            figures = []
        filled += sum(int(f.get("games", 0)) for f in figures)
        fill_errors += errors
    fill_s = time.time() - t0
    uri = proxy.uri()
    proxy.reset()
    figures, errors = run(binary, uri, database, "measure", start, interval,
                          args.games, instances, args.seed)
    game = per(proxy.snapshot(), args.games)
    turns = sum(int(f.get("turns", 0)) for f in figures)
    answered = sum(int(f.get("answered", 0)) for f in figures)
    wait_total = sum(int(f.get("wait_total_ms", 0)) for f in figures)
    wait_max = max((int(f.get("wait_max_ms", 0)) for f in figures),
                   default=0)
    proxy.reset()
    _, floor_errors = run(binary, uri, database, "floor", start, interval,
                          args.games, args.seed)
    floor = per(proxy.snapshot(), args.games)
    proxy.reset()
    read_figures, read_errors = run(binary, uri, database, "read",
                                    start + span, args.reads)
    read = per(proxy.snapshot(), args.reads)
    return {"rate": rate, "instances": instances, "game": game,
            "floor": floor, "read": read, "filled": filled,
            "fill_s": fill_s, "turns": turns, "answered": answered,
            "wait_mean_ms": wait_total / answered if answered else 0,
            "wait_max_ms": wait_max,
            "errors": errors + floor_errors + read_errors + fill_errors,
            "found": sum(int(f.get("found", 0)) for f in read_figures)}


def rate_label(rate, args):
    if rate == "b2b":
        return f"back to back ({args.back_to_back_ms} ms apart)"
    return f"{int(rate):,}/h"


def table(results, args):
    out = ["| games/hour | instances | commands/game | KB sent + received "
           "per game | RU/game (low–high) | floor RU/game | × floor | "
           "sync turns | answered | wait mean / max (s) | history games | "
           "errors | not counted (per game) |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        g, f = r["game"], r["floor"]
        others = ", ".join(f"{k} {v / args.games:.2f}"
                           for k, v in sorted(g["others"].items()))
        out.append(
            f"| {rate_label(r['rate'], args)} | {r['instances']} | "
            f"{g['commands']:.2f} | {g['kb_sent']:.1f} + "
            f"{g['kb_received']:.1f} | {g['low']:.0f}–{g['high']:.0f} | "
            f"{f['low']:.0f}–{f['high']:.0f} | "
            f"{g['low'] / f['low']:.1f}–{g['high'] / f['high']:.1f}× | "
            f"{r['turns']} | {r['answered']} | "
            f"{r['wait_mean_ms'] / 1000:.2f} / {r['wait_max_ms'] / 1000:.2f} | "
            f"{r['filled']:,} | {r['errors']} | "
            f"{others} |")
    out += ["", "GetStats reads (gb_store_read_leaderboard, Daily, Weekly, "
            "Monthly in turn) after each measured phase:", "",
            "| games/hour | instances | commands/read | KB sent + received "
            "per read | RU/read | found |",
            "|---|---:|---:|---:|---:|---:|"]
    for r in results:
        d = r["read"]
        out.append(
            f"| {rate_label(r['rate'], args)} | {r['instances']} | "
            f"{d['commands']:.2f} | {d['kb_sent']:.2f} + "
            f"{d['kb_received']:.2f} | {d['low']:.1f}–{d['high']:.1f} | "
            f"{r['found']} / {args.reads} |")
    out += ["", "Commands per game by name:", ""]
    for r in results:
        names = ", ".join(f"{k} {v:.2f}" for k, v in
                          sorted(r["game"]["by_name"].items()))
        out.append(f"- {rate_label(r['rate'], args)}, {r['instances']} "
                   f"instance(s): {names}")
    out += ["", "Commands and KB sent + received per game, by command and "
            "collection:", ""]
    for r in results:
        parts = ", ".join(f"{k} {c:.2f} ({s:.2f} + {v:.2f})" for k, (c, s, v)
                          in sorted(r["game"]["by_target"].items()))
        out.append(f"- {rate_label(r['rate'], args)}, {r['instances']} "
                   f"instance(s): {parts}")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--games", type=int, default=300)
    ap.add_argument("--rates", default="12,1200,12000,b2b")
    ap.add_argument("--instances", default="1,4")
    ap.add_argument("--margin", type=int, default=300,
                    help="seconds of history either side of an edge's span")
    ap.add_argument("--fill-batch", type=int, default=20,
                    help="refresh every N history games (FerretDB hangs on "
                    "an update of 100+ matching statements)")
    ap.add_argument("--back-to-back-ms", type=int, default=10)
    ap.add_argument("--reads", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--uri", help="a server instead of a new FerretDB "
                    "(mongodb://HOST:PORT/...; the proxy connects to it)")
    ap.add_argument("--store-cost", help="a built store_cost binary")
    ap.add_argument("--timeout", type=int, default=TIMEOUT_S,
                    help="seconds before a store_cost step counts as hung")
    ap.add_argument("--output")
    args = ap.parse_args()
    globals()["TIMEOUT_S"] = args.timeout
    binary = args.store_cost or build_store_cost()
    ferret = None
    if args.uri:
        m = re.match(r"mongodb://([^/:,?]+):(\d+)", args.uri)
        upstream = (m.group(1), int(m.group(2)))
        upstream_uri = args.uri
    else:
        ferret = FerretDB()
        upstream = ("127.0.0.1", ferret.port)
        upstream_uri = (f"mongodb://127.0.0.1:{ferret.port}/"
                        "?directConnection=true")
    proxy = wire_proxy.WireProxy(upstream).start()
    tag = str(os.getpid())
    results = []
    t0 = time.time()
    try:
        for rate in args.rates.split(","):
            for instances in map(int, args.instances.split(",")):
                r = one(args, binary, upstream_uri, proxy, rate, instances,
                        tag)
                results.append(r)
                print(f"store_cost: {rate_label(rate, args)} x{instances}: "
                      f"{r['game']['commands']:.2f} commands, "
                      f"{r['game']['kb']:.1f} KB, "
                      f"{r['game']['low']:.0f}-{r['game']['high']:.0f} RU "
                      f"per game (history {r['filled']} games in "
                      f"{r['fill_s']:.0f} s)", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("store_cost: interrupted; the rows so far:", file=sys.stderr)
    finally:
        proxy.stop()
        if ferret:
            ferret.stop()
    when = datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M")
    head = (f"Measured {when} UTC with `bench/store_cost.py --games {args.games} "
            f"--margin {args.margin}`: {args.games} measured games per row, "
            f"history margin {args.margin} s, fill batch {args.fill_batch}, "
            f"{args.reads} reads; took {time.time() - t0:.0f} s.")
    text = head + "\n\n" + table(results, args) + "\n"
    print(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
