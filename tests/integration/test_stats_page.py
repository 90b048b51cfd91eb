"""The leaderboard page (StatsPage) in a real browser: Debian's Chromium,
driven by playwright-core (tests/js/stats_page.mjs), through the local
Functions host, with the boards filled through SendResult and the local
Event Grid topic."""

import json
import os
import shutil
import subprocess

import pytest

from support import WRAPPER, game
from test_flow import flow, season, settle  # noqa: F401 (flow is a fixture)

JS = os.path.join(os.path.dirname(__file__), "..", "js")
CHROMIUM = os.environ.get("GB_CHROMIUM", "/usr/bin/chromium")
# Set to a path to keep the page's picture (docs/leaderboard-page.png).
SCREENSHOT = os.environ.get("GB_STATS_PAGE_SCREENSHOT")

pytestmark = [
    pytest.mark.skipif(
        not (os.access(CHROMIUM, os.X_OK) and shutil.which("node") and
             os.path.isdir(os.path.join(JS, "node_modules",
                                        "playwright-core"))),
        reason="needs Debian's chromium and tests/js's npm packages "
               "(scripts/bootstrap installs both)"),
    # The page's own code is the handler's least: the ASan pass covers it.
    pytest.mark.skipif(bool(WRAPPER), reason="not under valgrind")]


def test_the_page_is_one_cacheable_file(flow):
    status, headers, body = flow.request("GET", "/api/Stats")
    assert status == 200, body[:300]
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    text = body.decode()
    # Self-contained: no script, style or image from anywhere else.
    assert "<script src" not in text and "<link" not in text
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    status, _, body = flow.request(
        "GET", "/api/Stats", headers={"If-None-Match": headers["ETag"]})
    assert status == 304 and body == b""


def test_the_page_shows_a_posted_game_without_a_reload(flow, mongo):
    games = season(14)
    status, body = flow.send_result(games)
    assert status == 202, body
    settle(flow, mongo, games)
    new = game(winner="page.test@example.com")
    args = ["node", os.path.join(JS, "stats_page.mjs"),
            f"{flow.base}/api/Stats",
            f"{flow.base}/api/Stats/SendResult?code={flow.function_key}",
            json.dumps(new)]
    if SCREENSHOT:
        args.append(SCREENSHOT)
    run = subprocess.run(args, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "GB_CHROMIUM": CHROMIUM})
    assert run.stdout.strip() == "ok", (run.stdout + run.stderr)[-3000:]
    # The page read the boards through GetStats, revalidating with ETags.
    log = flow.host_output()
    assert "GetStats" in log
