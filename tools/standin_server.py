"""The HTTP lifecycle the local stand-ins (functions_host.py,
eventgrid_topic.py) share: a threaded server, a quiet request handler
that names itself as the real service does, the ready line the tests and
tools/demo.py wait for, and a shutdown on SIGTERM or SIGINT that lets
serve_forever() return so each stand-in can stop what it started."""

import http.server
import signal
import socketserver
import threading


class ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    # A hung request must not keep the process alive after shutdown, and a
    # restart must not wait for the old socket's TIME_WAIT.
    daemon_threads = True
    allow_reuse_address = True


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 whose Server header is server_version alone, as
    the real services send it; each stand-in logs what matters itself, so
    the per-request access log stays off."""
    protocol_version = "HTTP/1.1"
    sys_version = ""

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        pass


def announce(tool, url):
    """The line a parent process waits for before it sends requests."""
    print(f"{tool} listening {url}", flush=True)


def serve_until_signalled(server):
    """Serves until SIGTERM or SIGINT, then returns."""
    def stop(*_):
        # shutdown() blocks until serve_forever() returns, which it cannot
        # do while this handler runs on the serving thread.
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
