"""The handler as a process: settings, readiness, routing, the envelope on
the wire, and shutdown."""

import json
import os
import re
import signal
import subprocess
import threading
import time

from support import HANDLER, Handler, envelope_for, event_grid_event, game

SECRET = "S3cretAccountKey-9f8e7d"


def run_with(env):
    """Runs the handler with exactly these settings; it must exit."""
    proc = subprocess.run([HANDLER], env=env, capture_output=True, timeout=30,
                          text=True)
    return proc.returncode, proc.stdout + proc.stderr


def run_args(*args):
    proc = subprocess.run([HANDLER, *args], env={}, capture_output=True,
                          timeout=30, text=True)
    return proc.returncode, proc.stdout, proc.stderr


def settings_read_by_the_handler():
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(root, "handler", "gb_config.c")) as f:
        return set(re.findall(r'"((?:FUNCTIONS|COSMOS|LEADERBOARD|GRIDBOARD|'
                              r'EVENT_GRID)_[A-Z_]+)"', f.read()))


def test_help_lists_every_setting_and_exits_0():
    """--help needs no settings, lists every one gb_config.c reads, exits 0."""
    for flag in ("--help", "-h"):
        code, out, err = run_args(flag)
        assert code == 0, err
        assert out.startswith("Usage: gridboard-handler")
        names = settings_read_by_the_handler()
        assert len(names) >= 20
        for name in names:
            assert name in out, name


def test_version_prints_the_project_version_and_exits_0():
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(root, "CMakeLists.txt")) as f:
        version = re.search(r"project\(gridboard VERSION ([0-9.]+)",
                            f.read()).group(1)
    code, out, err = run_args("--version")
    assert code == 0, err
    assert out == f"gridboard-handler {version}\n"


def test_unknown_argument_is_refused_with_a_hint():
    code, out, err = run_args("--port=7071")
    assert code == 2
    assert "unexpected argument '--port=7071'" in err and "--help" in err


def test_missing_port_names_the_setting():
    code, output = run_with({"COSMOS_CONNECTION_STRING": "mongodb://x/"})
    assert code == 1
    assert "FUNCTIONS_CUSTOMHANDLER_PORT is not set" in output


def test_invalid_port_names_the_setting():
    code, output = run_with({"FUNCTIONS_CUSTOMHANDLER_PORT": "http",
                             "COSMOS_CONNECTION_STRING": "mongodb://x/"})
    assert code == 1
    assert "FUNCTIONS_CUSTOMHANDLER_PORT must be a whole number" in output


def test_missing_connection_string_names_the_setting():
    code, output = run_with({"FUNCTIONS_CUSTOMHANDLER_PORT": "7071"})
    assert code == 1
    assert "COSMOS_CONNECTION_STRING is not set" in output


def test_invalid_connection_string_never_prints_the_secret():
    for bad in (f"mongodb://acct:{SECRET}@host:notaport/",
                f"https://acct:{SECRET}@host/",
                f"mongodb://acct:{SECRET}@host/?ssl=maybe"):
        code, output = run_with({"FUNCTIONS_CUSTOMHANDLER_PORT": "7071",
                                 "COSMOS_CONNECTION_STRING": bad})
        assert code == 1, output
        assert "COSMOS_CONNECTION_STRING" in output
        assert SECRET not in output


def test_port_in_use_is_reported(ferretdb):
    busy = Handler({"COSMOS_CONNECTION_STRING": ferretdb.uri}).start()
    try:
        code, output = run_with({
            "FUNCTIONS_CUSTOMHANDLER_PORT": str(busy.port),
            "COSMOS_CONNECTION_STRING": ferretdb.uri})
        assert code == 1
        assert f"cannot listen on 127.0.0.1:{busy.port}" in output
    finally:
        assert busy.stop() == 0


def test_readiness_probe_and_routing(handler):
    status, headers, body = handler.request("GET", "/")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "ready"}

    status, _, body = handler.request("GET", "/NoSuchFunction")
    assert status == 404
    assert json.loads(body)["error"]["code"] == "not_found"

    status, _, body = handler.request("GET", "/GameCompleted")
    assert status == 405
    assert json.loads(body)["error"]["field"] == "method"


def test_listens_on_loopback_only(handler):
    out = subprocess.run(["ss", "-ltnH", f"sport = :{handler.port}"],
                         capture_output=True, text=True).stdout
    assert f"127.0.0.1:{handler.port}" in out
    assert f"0.0.0.0:{handler.port}" not in out
    assert f"*:{handler.port}" not in out


def test_bad_envelopes_get_400_naming_the_field(handler):
    json_headers = {"Content-Type": "application/json"}
    cases = [(b"", "body"), (b"{not json", "body"), (b"[1,2]", "body"),
             (b'{"Metadata":{}}', "Data"), (b'{"Data":[]}', "Data"),
             (b'{"Data":{}}', "Data.eventGridEvent"),
             (b'{"Data":{"eventGridEvent":"{half"}}', "Data.eventGridEvent"),
             ('{"Data":{"eventGridEvent":"\udcff"}}'.encode(
                 "utf-8", "surrogatepass"), "body")]
    for body, field in cases:
        status, headers, raw = handler.request("POST", "/GameCompleted", body,
                                               json_headers)
        reply = json.loads(raw)
        assert status == 400, (body, reply)
        assert headers["Content-Type"] == "application/json"
        assert reply["error"]["field"] == field, (body, reply)
        assert reply["error"]["retryable"] is False


def test_wrong_content_type_gets_415(handler):
    status, _, raw = handler.request("POST", "/GameCompleted", b"{}",
                                     {"Content-Type": "text/plain"})
    assert status == 415
    assert json.loads(raw)["error"]["field"] == "Content-Type"


def test_body_over_the_limit_gets_413(start_handler):
    handler = start_handler({"GRIDBOARD_MAX_BODY_BYTES": "2048"})
    big = envelope_for(event_grid_event(game()))
    big["Metadata"]["padding"] = "x" * 4096
    for chunked in (False, True):
        status, _, raw = handler.request(
            "POST", "/GameCompleted", json.dumps(big).encode(),
            {"Content-Type": "application/json"}, chunked=chunked)
        assert status == 413
        assert json.loads(raw)["error"]["code"] == "too_large"
    # Still serving afterwards.
    assert handler.request("GET", "/")[0] == 200


def test_chunked_and_keep_alive(handler, mongo):
    conn = handler.connection()
    first_socket = None
    for i in range(5):
        status, reply = handler.invoke(
            "GameCompleted", envelope_for(event_grid_event(game())),
            chunked=(i % 2 == 0), conn=conn)
        assert status == 200, reply
        first_socket = first_socket or conn.sock
        assert conn.sock is first_socket  # the same connection throughout
    conn.close()
    assert mongo.games.count_documents({}) == 5


def test_event_json_encoded_as_a_string_is_accepted(handler, mongo):
    g = game()
    event = event_grid_event(g)
    once = json.dumps(event)
    for value in (once, json.dumps(once)):  # encoded once, and twice
        status, reply = handler.invoke("GameCompleted",
                                       {"Data": {"eventGridEvent": value},
                                        "Metadata": {}})
        assert status == 200, reply
    assert mongo.games.count_documents({}) == 1


def test_reply_shape(handler):
    invocation_id = "0b7e6f0e-3c1a-4c55-9a59-2f3f7d0c9a11"
    g = game()
    status, reply = handler.invoke(
        "GameCompleted", envelope_for(event_grid_event(g, "evt-1")),
        invocation_id=invocation_id)
    assert status == 200
    assert set(reply) == {"Outputs", "Logs", "ReturnValue"}
    assert reply["Outputs"] == {} and reply["ReturnValue"] is None
    assert len(reply["Logs"]) == 1
    assert re.fullmatch(f"GameCompleted invocation={invocation_id} "
                        f"event=evt-1 game={g['Id']} outcome=counted "
                        r"db_commands=\d+", reply["Logs"][0])


def test_sigterm_lets_the_request_in_flight_finish(ferretdb, start_handler):
    handler = start_handler(uri_options="?serverSelectionTimeoutMS=1500")
    assert handler.deliver(event_grid_event(game()))[0] == 200
    ferretdb.stop()
    try:
        result = {}

        def slow_delivery():
            result["reply"] = handler.deliver(event_grid_event(game()))

        worker = threading.Thread(target=slow_delivery)
        worker.start()
        time.sleep(0.5)  # the delivery waits for the database
        handler.proc.send_signal(signal.SIGTERM)
        worker.join(timeout=30)
        status, reply = result["reply"]
        assert status == 503, reply
        assert reply["error"]["retryable"] is True
        assert handler.proc.wait(timeout=30) == 0
    finally:
        ferretdb.start()


def test_every_function_folder_is_served(handler):
    root = os.path.join(os.path.dirname(__file__), "..", "..", "function-app")
    names = sorted(os.listdir(root))
    assert names == ["GameCompleted", "Generate", "GetStats", "SendResult",
                     "StatsPage"]
    for name in names:
        with open(os.path.join(root, name, "function.json")) as f:
            bindings = json.load(f)["bindings"]
        assert bindings[0]["direction"] == "in"
        status, _, body = handler.request(
            "POST", "/" + name, b'{"Data":{}}',
            {"Content-Type": "application/json"})
        assert status != 404, (name, body)


def test_sample_settings_are_accepted(ferretdb, start_handler):
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(root, "local.settings.sample.json")) as f:
        values = json.load(f)["Values"]
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "custom"  # Core Tools spells it so
    values["COSMOS_CONNECTION_STRING"] = ferretdb.handler_uri()
    handler = start_handler(values)
    assert handler.request("GET", "/")[0] == 200
