"""Connection strings as Cosmos DB for MongoDB hands them out."""

import tempfile

import pymongo
import pytest

from support import (FerretDB, event_grid_event, game, needs_ferretdb,
                     self_signed_certificate)

# These start a FerretDB of their own with a TLS listener (mongo-java-server
# has none), so they run in the FerretDB pass only.
pytestmark = needs_ferretdb("a TLS listener, which mongo-java-server lacks")


@pytest.fixture(scope="module")
def tls_ferretdb():
    cert, key = self_signed_certificate(tempfile.mkdtemp())
    server = FerretDB(tls=(cert, key))
    server.start()
    yield server, cert
    server.stop()


def test_portal_form_over_verified_tls(tls_ferretdb, start_handler):
    """The portal's string (ssl=true, retrywrites=false, maxIdleTimeMS,
    appName) with the local CA added. replicaSet=globaldb is left out:
    embedded FerretDB has no replica set name to match it."""
    server, cert = tls_ferretdb
    uri = (f"mongodb://127.0.0.1:{server.tls_port}/?ssl=true"
           "&retrywrites=false&maxIdleTimeMS=120000&appName=@gridboard@"
           f"&tlsCAFile={cert}")
    handler = start_handler({"COSMOS_CONNECTION_STRING": uri,
                             "COSMOS_DATABASE": "tlscheck"})
    g = game()
    status, reply = handler.deliver(event_grid_event(g))
    assert status == 200, reply
    db = pymongo.MongoClient(server.uri).tlscheck
    assert db.games.find_one({"_id": g["Id"]})["WinnerEmail"] == \
        g["WinnerEmail"]


def test_unverifiable_certificate_is_refused(tls_ferretdb, start_handler):
    server, _ = tls_ferretdb
    uri = (f"mongodb://127.0.0.1:{server.tls_port}/?ssl=true"
           "&retrywrites=false&serverSelectionTimeoutMS=1000")
    handler = start_handler({"COSMOS_CONNECTION_STRING": uri,
                             "COSMOS_DATABASE": "tlsrefused"})
    status, reply = handler.deliver(event_grid_event(game()))
    assert status == 503, reply
    assert reply["error"]["retryable"] is True
    assert pymongo.MongoClient(server.uri).tlsrefused.games \
        .count_documents({}) == 0
