import os
import sys
import uuid

import pymongo
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import urllib.parse  # noqa: E402

from support import (SECRETS, SEEN, EventGridTopic, Handler,  # noqa: E402
                     Webhook, subscription)
import support  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def no_secret_leaks():
    """Runs the whole suite with distinctive secrets (the database password
    in every connection string, random topic and function keys), then
    checks every handler log, Functions host and topic log, Logs line and
    reply body for them."""
    yield
    leaks = [(where, s[:6] + "…") for where, text in SEEN for s in SECRETS
             if s in text or urllib.parse.quote(s) in text]
    assert not leaks, f"secrets seen in: {leaks[:5]}"
    assert SEEN, "nothing was collected"


@pytest.fixture(scope="session")
def database_server():
    """The suite's database, started once: FerretDB, or mongo-java-server
    with GB_DB_SERVER=mongojava (support.database_server)."""
    server = support.database_server()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def ferretdb(database_server):
    """The tests' older name for database_server, whichever server it is."""
    return database_server


@pytest.fixture
def database_name():
    # Each test gets a database of its own on the shared server.
    return "t" + uuid.uuid4().hex[:16]


@pytest.fixture
def mongo(ferretdb, database_name):
    client = pymongo.MongoClient(ferretdb.uri, serverSelectionTimeoutMS=5000)
    yield client[database_name]
    client.close()


@pytest.fixture
def start_handler(ferretdb, database_name):
    """Starts handlers against the test's database; each one must exit 0 on
    SIGTERM with no sanitizer report."""
    started = []

    def start(env=None, uri_options="", wait=True):
        settings = {"COSMOS_CONNECTION_STRING":
                    ferretdb.handler_uri(uri_options),
                    "COSMOS_DATABASE": database_name,
                    "GRIDBOARD_THREADS": "32",
                    # Each delivery refreshes at once: the suite checks the
                    # leaderboards right after its deliveries. The default
                    # interval has tests of its own.
                    "LEADERBOARD_REFRESH_MS": "0",
                    "LEADERBOARD_CACHE_MS": "0"}
        settings.update(env or {})
        handler = Handler(settings).start(wait=wait)
        started.append(handler)
        return handler

    yield start
    for handler in started:
        code = handler.stop()
        assert code == 0, f"handler exited {code}:\n{handler.stderr()}"
        assert not handler.sanitizer_reports(), handler.stderr()


@pytest.fixture
def handler(start_handler):
    return start_handler()


@pytest.fixture
def webhook():
    """An Event Grid subscriber that records its deliveries."""
    hook = Webhook()
    yield hook
    hook.stop()


@pytest.fixture
def topic(webhook):
    """A local topic (Event Grid schema) subscribed by the webhook."""
    t = EventGridTopic([subscription(webhook)])
    yield t
    t.stop()
