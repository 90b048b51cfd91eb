"""The demo's run command as a newcomer uses it (tools/demo.py behind
scripts/demo): it plays its season, serves, and leaves nothing running and
no folder outside its build tree once it is stopped by a signal."""

import os
import signal
import subprocess
import sys
import time

import pytest

from support import (DB_SERVER, HANDLER, SANITIZED, SEEN, WRAPPER,
                     stable_port)

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
BUILD = os.path.dirname(os.path.abspath(HANDLER))

pytestmark = pytest.mark.skipif(
    DB_SERVER != "ferretdb" or SANITIZED or bool(WRAPPER),
    reason="the demo runs the plain build against FerretDB, once")


def port_in_use(port):
    out = subprocess.run(["ss", "-Htln", f"sport = :{port}"],
                         capture_output=True, text=True).stdout
    return bool(out.strip())


def processes_under(folder):
    out = subprocess.run(["pgrep", "-af", folder], capture_output=True,
                         text=True).stdout.splitlines()
    return [line for line in out if "pgrep" not in line]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_demo_serves_and_stops_everything_on_a_signal(sig, tmp_path):
    if not os.path.isfile(os.path.join(BUILD, "app", "gridboard-handler")):
        pytest.fail(f"no app folder in {BUILD} (the app-folder target)")
    ports = [stable_port() for _ in range(3)]
    out = tmp_path / "demo.out"
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "tools", "demo.py"), "--serve",
         "--build", BUILD, "--db-port", str(ports[0]),
         "--host-port", str(ports[1]), "--topic-port", str(ports[2])],
        stdout=open(out, "w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while "stops everything" not in out.read_text():
            assert proc.poll() is None, out.read_text()
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.2)
        text = out.read_text()
        for period in ("Daily", "Weekly", "Monthly"):
            assert f"{period} leaderboard" in text
        assert f"http://127.0.0.1:{ports[1]}" in text
        assert all(port_in_use(p) for p in ports), text
        run = os.path.join(BUILD, "demo-run")
        handler = os.path.join(BUILD, "app", "gridboard-handler")
        assert len(processes_under(run)) == 3  # FerretDB, host, topic
        assert processes_under(handler)
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == 0, out.read_text()
        SEEN.append(("demo output", out.read_text()))
        assert processes_under(run) == []
        assert processes_under(handler) == []
        assert not any(port_in_use(p) for p in ports)
        assert os.path.isfile(os.path.join(run, "gridboard.log"))
    finally:
        if proc.poll() is None:
            proc.kill()


def test_demo_names_the_option_when_a_port_is_taken():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        result = subprocess.run(
            [sys.executable, os.path.join(ROOT, "tools", "demo.py"),
             "--build", BUILD, "--host-port", str(taken),
             "--db-port", str(stable_port()),
             "--topic-port", str(stable_port())],
            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"127.0.0.1:{taken} is in use" in result.stderr
    assert "--host-port" in result.stderr
    assert "Traceback" not in result.stderr
