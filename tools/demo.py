"""gridboard's local run: the whole flow on one machine, no cloud account.

Starts FerretDB, the local Functions host running gridboard's handler with
the app's real host.json and function.json files, and the local Event Grid
topic subscribed to the host's Event Grid webhook for GameCompleted. Then
it plays a short season as GameAPI would, POSTing each finished game to
/api/Stats/SendResult with a function key (a few twice, as a retrying
client does), waits until Event Grid has delivered every game to
GameCompleted, and prints the Daily, Weekly and Monthly leaderboards read
through GET /api/Stats/GetStats/{period}, as the workshop's web page reads
them.

    python tools/demo.py            # play the season, print, stop
    python tools/demo.py --serve    # ... then keep running until Ctrl-C
"""

import argparse
import base64
import calendar
import datetime as dt
import http.client
import json
import os
import random
import signal
import socket
import shutil
import subprocess
import sys
import time
import urllib.parse
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FERRETDB = os.path.join(ROOT, ".cache", "bin", "ferretdb")
PLAYERS = ["alice@example.com", "bob@example.com", "carol@example.com",
           "dave@example.com", "erin@example.com", "Bot"]


class Stopped(Exception):
    """SIGTERM or SIGHUP: stop everything, as Ctrl-C does."""


def stop_on_signal(signum, frame):
    raise Stopped(signal.Signals(signum).name)


def check_port_free(port, option):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            sys.exit(f"demo: 127.0.0.1:{port} is in use (a demo still "
                     f"running?); choose another with {option} PORT")


def new_key():
    """An Event Grid topic key: 32 random bytes in base64."""
    return base64.b64encode(os.urandom(32)).decode()


def new_function_key():
    """A function key by the Functions host's rule (azure-functions-host,
    SecurityUtility.GenerateSecretString): 40 random bytes in base64 with
    '+' replaced by 'a', so that a key pasted into ?code= needs no
    escaping."""
    return base64.b64encode(os.urandom(40)).decode().replace("+", "a")


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def season(now, rng, n=60):
    """About 60 games over the last 40 days, busiest recently."""
    games = []
    for _ in range(n):
        hours = rng.choice([2, 5, 11, 20, 30, 50, 80, 150, 300, 500, 700,
                            900]) + rng.random()
        rounds = rng.choice([3, 5, 7])
        games.append({"Id": str(uuid.UUID(int=rng.getrandbits(128))),
                      "WinnerEmail": rng.choices(
                          PLAYERS, weights=[5, 4, 3, 2, 1, 4])[0],
                      "RockCount": rng.randint(1, rounds + 2),
                      "PaperCount": rng.randint(1, rounds + 2),
                      "ScissorsCount": rng.randint(1, rounds + 2),
                      "Timestamp": iso(now - dt.timedelta(hours=hours))})
    return games


def minus_one_month(t):
    year, month = (t.year, t.month - 1) if t.month > 1 else (t.year - 1, 12)
    return t.replace(year=year, month=month,
                     day=min(t.day, calendar.monthrange(year, month)[1]))


def wait_for_line(path, marker, proc, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with open(path) as f:
            for line in f:
                if marker in line:
                    return line.split()[-1]
        time.sleep(0.05)
    sys.exit(f"{what} did not start; see {path}")


def request(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request(method, path, json.dumps(body) if body is not None else None,
                 {"Content-Type": "application/json"})
    resp = conn.getresponse()
    raw = resp.read()
    conn.close()
    return resp.status, json.loads(raw) if raw else None


def print_board(board):
    start = board["windowStart"][:16].replace("T", " ")
    print(f"\n{board['period']} leaderboard  ({board['games']} games since "
          f"{start} UTC)")
    if not board["winners"]:
        print("  no games")
    for rank, w in enumerate(board["winners"], 1):
        print(f"  {rank:2}. {w['winnerEmail']:<22} wins: {w['wins']}")
    print("  moves: " + ", ".join(f"{m['move']} {m['count']}"
                                  for m in board["moves"]))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true",
                        help="keep running until Ctrl-C, SIGTERM or SIGHUP")
    parser.add_argument("--build", default="build",
                        help="the build tree holding app/ (default: "
                             "build)")
    parser.add_argument("--db-port", type=int, default=27017,
                        help="FerretDB's port (default: 27017)")
    parser.add_argument("--host-port", type=int, default=7071,
                        help="the Functions host's port (default: 7071)")
    parser.add_argument("--topic-port", type=int, default=7080,
                        help="the Event Grid topic's port (default: 7080)")
    return parser.parse_args()


def app_folder(build):
    app = os.path.join(os.path.abspath(build), "app")
    if not os.path.isfile(os.path.join(app, "gridboard-handler")):
        sys.exit(f"demo: no handler in {app}; build the app-folder target "
                 "(scripts/demo does)")
    return app


def fresh_work_folder(build):
    # One work folder, emptied at each start: the last run's logs and keys
    # stay readable, and nothing piles up in /tmp.
    work = os.path.join(os.path.abspath(build), "demo-run")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    return work


def write_run_files(work, args, keys, topic_key, database_uri):
    """keys.json and local.settings.json for the host, topic.json for the
    topic, subscribed to the host's GameCompleted webhook."""
    settings = {"IsEncrypted": False, "Values": {
        "FUNCTIONS_WORKER_RUNTIME": "custom",
        "COSMOS_CONNECTION_STRING": database_uri,
        "COSMOS_DATABASE": "rockpaperscissors",
        "LEADERBOARD_TTL_SECONDS": "86400",
        "EVENT_GRID_TOPIC_ENDPOINT":
            f"http://127.0.0.1:{args.topic_port}/api/events",
        "EVENT_GRID_TOPIC_KEY": topic_key,
        "GRIDBOARD_ENABLE_GENERATE": "true"}}
    webhook = (f"http://127.0.0.1:{args.host_port}/runtime/webhooks/"
               "eventgrid?functionName=GameCompleted&code=" +
               urllib.parse.quote(keys["systemKeys"]["eventgrid_extension"]))
    topic = {"name": "gameapi", "listen": f"127.0.0.1:{args.topic_port}",
             "keys": [topic_key], "deadLetterDir": os.path.join(work,
                                                                "deadletter"),
             "subscriptions": [{"name": "gridboard-stats",
                                "endpoint": webhook,
                                "includedEventTypes": ["GameCompleted"]}]}
    for name, content in (("keys.json", keys),
                          ("local.settings.json", settings),
                          ("topic.json", topic)):
        with open(os.path.join(work, name), "w") as f:
            json.dump(content, f, indent=2)


def start_services(procs, args, app, work, log, log_path):
    """FerretDB, then the host, then the topic, each awaited before the
    next, so the topic's validation handshake finds the host up."""
    print(f"demo: starting FerretDB, the Functions host ({app}) and the "
          "Event Grid topic", flush=True)
    procs.append(subprocess.Popen(
        [FERRETDB, "-listen-addr", f"127.0.0.1:{args.db_port}", "-data-dir",
         os.path.join(work, "data")], stdout=log, stderr=log))
    wait_for_line(log_path, "ferretdb listening", procs[-1], "FerretDB")
    procs.append(subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "tools", "functions_host.py"),
         "--host-json", os.path.join(app, "host.json"),
         "--functions", app,
         "--settings", os.path.join(work, "local.settings.json"),
         "--keys", os.path.join(work, "keys.json"),
         "--port", str(args.host_port)], stdout=log, stderr=log))
    wait_for_line(log_path, "functions-host listening", procs[-1],
                  "the Functions host")
    procs.append(subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "tools", "eventgrid_topic.py"),
         "--config", os.path.join(work, "topic.json")],
        stdout=log, stderr=log))
    wait_for_line(log_path, "eventgrid-topic listening", procs[-1],
                  "the Event Grid topic")


def post_season(host_port, keys):
    print("demo: posting a season of games to SendResult", flush=True)
    code = urllib.parse.quote(keys["functionKeys"]["default"])
    now = dt.datetime.now(dt.timezone.utc)
    games = season(now, random.Random(7))
    for i, g in enumerate(games):
        status, body = request(host_port, "POST",
                               f"/api/Stats/SendResult?code={code}", g)
        if status != 202:
            sys.exit(f"SendResult answered {status}: {body}")
        if i % 15 == 0:  # a client retrying: the same event again
            request(host_port, "POST",
                    f"/api/Stats/SendResult?code={code}", g)
    print(f"{len(games)} games posted to SendResult and published to "
          "Event Grid")
    return games, now


def wait_for_delivery(host_port, games, now, log_path):
    print("demo: waiting until Event Grid has delivered them to "
          "GameCompleted", flush=True)
    expected = sum(1 for g in games
                   if g["Timestamp"] >= iso(minus_one_month(now)))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, board = request(host_port, "GET",
                                "/api/Stats/GetStats/Monthly")
        if status == 200 and board["games"] >= expected:
            return
        time.sleep(0.2)
    sys.exit(f"the leaderboard did not fill in time; see {log_path}")


def print_leaderboards(host_port, log_path):
    for period in ("Daily", "Weekly", "Monthly"):
        status, board = request(host_port, "GET",
                                f"/api/Stats/GetStats/{period}")
        if status != 200:
            sys.exit(f"GetStats answered {status}: {board}")
        print_board(board)
    print(f"\nlogs: {log_path}")
    print(f"leaderboard page: http://127.0.0.1:{host_port}/api/Stats",
          flush=True)


def print_endpoints(args, work, database_uri):
    host_port, topic_port = args.host_port, args.topic_port
    print(f"""
Functions host  http://127.0.0.1:{host_port}
  StatsPage     GET  /api/Stats (anonymous): the leaderboard page, open it in a browser
  GetStats      GET  /api/Stats/GetStats/{{Daily|Weekly|Monthly}} (anonymous)
  SendResult    POST /api/Stats/SendResult?code=<function key>
  Generate      POST /api/Stats/Generate?code=<function key>
  keys          {os.path.join(work, "keys.json")}
Event Grid      http://127.0.0.1:{topic_port}/api/events (key in {os.path.join(work, "topic.json")})
FerretDB        {database_uri}
Ctrl-C, SIGTERM or SIGHUP stops everything.""", flush=True)


def stop_all(procs):
    # Last started first: the topic stops before the host it delivers to,
    # the host before its database.
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def main():
    args = parse_args()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop_on_signal)

    app = app_folder(args.build)
    for port, option in ((args.db_port, "--db-port"),
                         (args.host_port, "--host-port"),
                         (args.topic_port, "--topic-port")):
        check_port_free(port, option)
    work = fresh_work_folder(args.build)
    log_path = os.path.join(work, "gridboard.log")
    log = open(log_path, "a")
    keys = {"masterKey": new_function_key(),
            "functionKeys": {"default": new_function_key()},
            "systemKeys": {"eventgrid_extension": new_function_key()}}
    topic_key = new_key()
    database_uri = f"mongodb://127.0.0.1:{args.db_port}/?retryWrites=false"
    write_run_files(work, args, keys, topic_key, database_uri)

    procs = []
    try:
        start_services(procs, args, app, work, log, log_path)
        games, now = post_season(args.host_port, keys)
        wait_for_delivery(args.host_port, games, now, log_path)
        print_leaderboards(args.host_port, log_path)
        if args.serve:
            print_endpoints(args, work, database_uri)
            while True:
                signal.pause()
    except (KeyboardInterrupt, Stopped):
        pass
    finally:
        stop_all(procs)


if __name__ == "__main__":
    main()
