"""Start-up order: the handler answers the host's GET / before anything
that touches TLS or the network (OpenSSL, libcurl, the client pool and, for
a mongodb+srv URI, its SRV lookup), and a database it cannot reach leaves
it serving: invocations answer a retryable 503 and say why on stderr."""

import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading

import pytest

from support import (HANDLER, WRAPPER, Handler, event_grid_event, game,
                     secret)

SRV_NAME = "cluster.gridboard-test.invalid"
PASSWORD = secret("SrvPw-5d1c9b7e")


class StuckDns:
    """A DNS server on a loopback address, port 53, that holds every query
    unanswered until release(), then answers each, held or new, NXDOMAIN."""

    def __init__(self):
        self.address = f"127.53.{random.randint(1, 254)}.{random.randint(1, 254)}"
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((self.address, 53))  # PermissionError if not allowed
        self.sock.settimeout(0.2)
        self.queries = []  # (qname, packet, peer)
        self.asked = threading.Event()
        self.released = threading.Event()
        self.closing = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @staticmethod
    def _qname(packet):
        labels, i = [], 12
        while i < len(packet) and packet[i]:
            labels.append(packet[i + 1:i + 1 + packet[i]].decode(
                errors="replace"))
            i += 1 + packet[i]
        return ".".join(labels), i + 5  # the name's end, QTYPE and QCLASS

    def _answer(self, packet, peer):
        _, end = self._qname(packet)
        flags = 0x8000 | (packet[2] & 0x79) << 8 | 0x80 | 3  # NXDOMAIN
        header = packet[:2] + flags.to_bytes(2, "big") + b"\0\1" + b"\0" * 6
        self.sock.sendto(header + packet[12:end], peer)

    def _serve(self):
        while not self.closing:
            try:
                packet, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.queries.append((self._qname(packet)[0], packet, peer))
            self.asked.set()
            if self.released.is_set():
                self._answer(packet, peer)

    def release(self):
        self.released.set()
        for _, packet, peer in list(self.queries):
            self._answer(packet, peer)

    def close(self):
        self.closing = True
        self.thread.join()
        self.sock.close()


@pytest.fixture
def stuck_dns():
    if not shutil.which("unshare") or subprocess.run(
            ["unshare", "-rm", "true"], capture_output=True).returncode:
        pytest.skip("needs user and mount namespaces (unshare -rm)")
    try:
        dns = StuckDns()
    except OSError as e:
        pytest.skip(f"cannot serve DNS on a loopback port 53: {e}")
    yield dns
    dns.close()


class HandlerWithResolver(Handler):
    """The handler in a mount namespace of its own, where /etc/resolv.conf
    names only the given DNS server (a long time-out, one attempt)."""

    def __init__(self, env, nameserver):
        super().__init__(env)
        self.dir = tempfile.mkdtemp(prefix="gridboard-test-resolv-")
        self.resolv = os.path.join(self.dir, "resolv.conf")
        with open(self.resolv, "w") as f:
            f.write(f"nameserver {nameserver}\n"
                    "options timeout:30 attempts:1\n")

    def start(self, wait=True):
        command = ["unshare", "-rm", "sh", "-c",
                   'mount --bind "$0" /etc/resolv.conf && exec "$@"',
                   self.resolv, *WRAPPER, HANDLER]
        self.proc = subprocess.Popen(command, env=self.env, stdout=self.out,
                                     stderr=self.err)
        if wait:
            self.wait_ready()
        return self


def test_stuck_srv_lookup_does_not_delay_get_and_invocations_503(stuck_dns):
    handler = HandlerWithResolver(
        {"COSMOS_CONNECTION_STRING":
         f"mongodb+srv://gridboard:{PASSWORD}@{SRV_NAME}/"
         "?serverSelectionTimeoutMS=1000",
         "COSMOS_DATABASE": "srvcheck"}, stuck_dns.address)
    handler.start(wait=False)
    try:
        # The handler's warm-up asks for the SRV record and gets no answer
        # yet: meanwhile the readiness probe is answered at once.
        assert stuck_dns.asked.wait(timeout=60), handler.stderr()
        assert stuck_dns.queries[0][0] == f"_mongodb._tcp.{SRV_NAME}"
        status, _, body = handler.request("GET", "/")
        assert status == 200, body
        assert not stuck_dns.released.is_set()

        # The lookup fails: serving goes on, each invocation tries again
        # and answers a retryable 503; stderr says why.
        stuck_dns.release()
        status, reply = handler.deliver(event_grid_event(game()))
        assert status == 503, reply
        assert reply["error"]["retryable"] is True
        status, _, _ = handler.request("GET", "/")
        assert status == 200
        assert handler.stop() == 0
        err = handler.stderr()
        assert "start-up: the database client pool could not be created" \
            in err, err
        assert "invocation failed: function=GameCompleted" in err, err
        assert "retryable=true" in err, err
        assert SRV_NAME in err
        assert PASSWORD not in err + handler.stdout()
        assert not handler.sanitizer_reports(), err
    finally:
        if handler.proc.poll() is None:
            handler.proc.kill()
            handler.proc.wait()
        shutil.rmtree(handler.dir, ignore_errors=True)


def test_unreachable_database_is_no_start_up_error(start_handler):
    """No database command is part of the start-up: the handler is ready
    and quiet; the invocation that needs the database answers 503."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]  # nothing listens there
    handler = start_handler({
        "COSMOS_CONNECTION_STRING":
            f"mongodb://127.0.0.1:{closed_port}/"
            "?serverSelectionTimeoutMS=500&connectTimeoutMS=500"})
    status, _, _ = handler.request("GET", "/")
    assert status == 200
    status, reply = handler.deliver(event_grid_event(game()))
    assert status == 503, reply
    assert reply["error"]["retryable"] is True
    err = handler.stderr()
    assert "start-up:" not in err, err
    assert "invocation failed: function=GameCompleted" in err, err
