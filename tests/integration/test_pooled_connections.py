"""Connections as the Functions host's pooling HttpClient opens them (any
number, kept alive, requests interleaved), and failed invocations written
to the handler's stderr, the only words of a failure the host keeps.

No timed assertion here: a request stuck behind another connection's idle
time shows as a socket timeout (the handlers run with a keep-alive time
longer than it), and the idle connections are checked to be still open
afterwards, so an answer that only came once they timed out fails too."""

import http.client
import socket
import uuid

from support import DB_PASSWORD, envelope_for, event_grid_event, free_port, game

GET = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def read_reply(sock):
    """Reads one reply with a Content-Length from a raw socket; returns
    (status, headers as lower-case names) or None when the peer closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            return None
        body += chunk
    return int(lines[0].split()[1]), headers


def test_connection_beyond_the_threads_is_not_stuck_behind_idle_ones(
        start_handler):
    threads = 4
    handler = start_handler({"GRIDBOARD_THREADS": str(threads),
                             "GRIDBOARD_KEEP_ALIVE_MS": "600000"})
    kept, closed = [], 0
    # Three times as many connections as threads, each asking once and then
    # left idle, in turn: with one worker tied to each idle connection, the
    # fifth would wait for the keep-alive time (here longer than the
    # socket timeout).
    for _ in range(3 * threads):
        sock = socket.create_connection(("127.0.0.1", handler.port),
                                        timeout=60)
        sock.sendall(GET)
        status, headers = read_reply(sock)
        assert status == 200
        if headers.get("connection", "").lower() == "close":
            closed += 1
            sock.close()
        else:
            kept.append(sock)
    assert 1 <= len(kept) < threads, (len(kept), closed)
    # A further connection is answered while the idle ones stay open.
    status, _, _ = handler.request("GET", "/")
    assert status == 200
    for sock in kept:
        sock.sendall(GET)
        reply = read_reply(sock)
        assert reply is not None, "an idle connection was closed meanwhile"
        assert reply[0] == 200
        sock.close()


def test_512_pooled_connections_with_requests_interleaved(start_handler):
    """520 keep-alive connections (more than the handler's 32 threads), one
    request outstanding on each, twice round, as a pool reuses them."""
    handler = start_handler({"GRIDBOARD_KEEP_ALIVE_MS": "600000"})
    conns = [handler.connection(timeout=60) for _ in range(520)]
    reopened = 0
    try:
        for round_ in range(2):
            for conn in conns:
                if conn.sock is None and round_:
                    reopened += 1
                conn.request("GET", "/")
            for conn in conns:
                resp = conn.getresponse()
                resp.read()
                assert resp.status == 200
    finally:
        for conn in conns:
            conn.close()
    # The connections the handler closed (the pool reopens them) are those
    # answered while every worker held one.
    assert reopened < len(conns)


# ------------------------------------------------------------ stderr

def failures(handler):
    return [line for line in handler.stderr().splitlines()
            if "invocation failed:" in line]


def test_failed_invocations_write_one_stderr_line(start_handler):
    handler = start_handler()
    bad_id, ok_id = str(uuid.uuid4()), str(uuid.uuid4())
    status, reply = handler.invoke("GameCompleted",
                                   {"Data": {"other": {}}},
                                   invocation_id=bad_id)
    assert status == 400, reply
    status, reply = handler.invoke("GameCompleted",
                                   envelope_for(event_grid_event(game())),
                                   invocation_id=ok_id)
    assert status == 200, reply
    status, _, _ = handler.request("POST", "/GameCompleted", b"{}",
                                   {"Content-Type": "text/plain"})
    assert status == 415
    status, _, _ = handler.request("POST", "/NoSuchFunction", b"{}",
                                   {"Content-Type": "application/json"})
    assert status == 404

    lines = failures(handler)
    assert len(lines) == 3, lines
    first = lines[0]
    assert " error " in first  # gb_log's level word
    for part in ("function=GameCompleted", f"invocation={bad_id}",
                 "status=400", "kind=invalid_input", "retryable=false",
                 "field=Data.eventGridEvent", "reason=Data.eventGridEvent "
                 "is required"):
        assert part in first, first
    assert "kind=unsupported_media_type" in lines[1], lines[1]
    assert "function=NoSuchFunction" in lines[2] and \
        "kind=not_found" in lines[2], lines[2]
    # The successful one keeps its words in Logs only.
    assert ok_id not in handler.stderr()
    assert reply["Logs"]


def test_database_failure_is_on_stderr_as_retryable(start_handler):
    uri = (f"mongodb://gridboard:{DB_PASSWORD}@127.0.0.1:{free_port()}/"
           "?serverSelectionTimeoutMS=300&connectTimeoutMS=300")
    handler = start_handler({"COSMOS_CONNECTION_STRING": uri})
    invocation_id = str(uuid.uuid4())
    status, reply = handler.invoke("GameCompleted",
                                   envelope_for(event_grid_event(game())),
                                   invocation_id=invocation_id)
    assert status == 503, reply
    line, = [x for x in failures(handler) if invocation_id in x]
    assert "function=GameCompleted" in line
    assert "status=503" in line and "kind=unavailable" in line
    assert "retryable=true" in line
    assert "reason=" in line and line.split("reason=", 1)[1].strip()
    assert DB_PASSWORD not in handler.stderr()


def test_http_invocation_failure_reaches_stderr_with_its_function(
        start_handler):
    """GetStats with a broken envelope: the host would get a 400, drop the
    body, and keep only this line."""
    handler = start_handler()
    conn = http.client.HTTPConnection("127.0.0.1", handler.port, timeout=30)
    conn.request("POST", "/GetStats", b"[1]",
                 {"Content-Type": "application/json",
                  "X-Azure-Functions-InvocationId": "not an id; forged=1"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    assert resp.status == 400
    line, = failures(handler)
    # A header that is not a plausible id is not copied into the log.
    assert "function=GetStats invocation=- " in line, line
    assert "forged=1" not in handler.stderr()
