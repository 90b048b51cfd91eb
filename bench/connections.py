"""Latency with many pooled keep-alive connections, as the Functions host's
HttpClient opens them: p50 and p99 of GET / with 1, 32, 256 and 512
connections, each with one request outstanding at a time (requests
interleaved over all of them), beside the 1-connection baseline of the same
run; the handler's RSS after each level, and its cold start (exec → first
GET / answer).

    .venv/bin/python bench/connections.py [--seconds 3] [--levels 1,32,256,512]
        [--coldstart-runs 20] [--threads N]

The client is one Python thread driving every connection through
selectors, so its own cost is in the figures (the same at every level). A
reply with Connection: close is followed by a new connection, which the
next request waits for, as a pool would; those are counted ("reopened").
GET / needs no database: the handler gets a connection string to a closed
port. A benchmark, not a test."""

import argparse
import os
import selectors
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "integration"))
from support import HANDLER, free_port, rss_kib  # noqa: E402

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def start(threads, port):
    env = dict(os.environ, FUNCTIONS_CUSTOMHANDLER_PORT=str(port),
               COSMOS_CONNECTION_STRING=f"mongodb://127.0.0.1:{free_port()}/")
    if threads:
        env["GRIDBOARD_THREADS"] = str(threads)
    return subprocess.Popen([HANDLER], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def wait_answer(port, proc):
    while proc.poll() is None:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
        except ConnectionRefusedError:
            continue
        s.sendall(REQUEST)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        if data.startswith(b"HTTP/1.1 200"):
            return
    raise RuntimeError("the handler exited")


class Conn:
    def __init__(self, port):
        self.port = port
        self.sock = None
        self.buf = b""
        self.sent = 0.0

    def open(self):
        self.sock = socket.create_connection(("127.0.0.1", self.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)

    def send(self):
        self.buf = b""
        self.sent = time.perf_counter()
        self.sock.sendall(REQUEST)

    def reply_done(self):
        """(done, close) once a whole reply is in buf."""
        head, sep, body = self.buf.partition(b"\r\n\r\n")
        if not sep:
            return False, False
        length, close = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        return len(body) >= length, close


def level(port, n, seconds):
    sel = selectors.DefaultSelector()
    conns = [Conn(port) for _ in range(n)]
    for c in conns:
        c.open()
    for c in conns:
        sel.register(c.sock, selectors.EVENT_READ, c)
        c.send()
    latencies, reopened = [], 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for key, _ in sel.select(timeout=1):
            c = key.data
            try:
                chunk = c.sock.recv(65536)
            except BlockingIOError:
                continue
            c.buf += chunk
            done, close = c.reply_done() if chunk else (False, True)
            if chunk and not done:
                continue
            if done:
                latencies.append(time.perf_counter() - c.sent)
            if close or not chunk:
                sel.unregister(c.sock)
                c.sock.close()
                reopened += 1
                c.open()  # part of the next request's latency
                sel.register(c.sock, selectors.EVENT_READ, c)
            c.send()
    for c in conns:
        sel.unregister(c.sock)
        c.sock.close()
    sel.close()
    return latencies, reopened


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--levels", default="1,32,256,512")
    parser.add_argument("--coldstart-runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=0,
                        help="GRIDBOARD_THREADS (default: the handler's)")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    colds = []
    for _ in range(args.coldstart_runs):
        port = free_port()
        t0 = time.perf_counter()
        proc = start(args.threads, port)
        wait_answer(port, proc)
        colds.append((time.perf_counter() - t0) * 1000)
        proc.terminate()
        proc.wait()

    port = free_port()
    proc = start(args.threads, port)
    wait_answer(port, proc)
    rows = []
    try:
        idle_rss = rss_kib(proc.pid)
        for n in levels:
            latencies, reopened = level(port, n, args.seconds)
            rows.append((n, latencies, reopened, rss_kib(proc.pid)))
            time.sleep(0.2)
    finally:
        proc.terminate()
        code = proc.wait()
    base = statistics.median(rows[0][1]) * 1000 if rows else 0
    print(f"handler {HANDLER}, GRIDBOARD_THREADS "
          f"{args.threads or 'default'}, {args.seconds:g} s per level, "
          f"exit code {code}")
    print()
    print("| connections | requests/s | p50 ms | p99 ms | max ms | p50 / "
          "1-conn p50 | reopened | RSS MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, lat, reopened, rss in rows:
        print(f"| {n} | {len(lat) / args.seconds:,.0f} | {pct(lat, 0.5):.3f} "
              f"| {pct(lat, 0.99):.3f} | {max(lat) * 1000:.1f} "
              f"| {pct(lat, 0.5) / base:.1f}x | {reopened:,} "
              f"| {rss / 1024:.1f} |")
    print()
    print(f"RSS idle before the levels: {idle_rss / 1024:.1f} MiB")
    colds.sort()
    print(f"cold start, exec → first GET / answer: median "
          f"{statistics.median(colds):.2f} ms, p90 "
          f"{colds[int(len(colds) * 0.9) - 1]:.2f} ms "
          f"({len(colds)} starts)")


if __name__ == "__main__":
    main()
