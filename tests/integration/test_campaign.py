"""The short fault campaign (tests/campaign.py): every game kept exactly
once through database outages, throttling, a killed handler and repeats."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from campaign import run  # noqa: E402


def test_short_fault_campaign(ferretdb):
    figures = run(ferretdb, games_total=int(os.environ.get(
        "GB_CAMPAIGN_GAMES", "300")), deadline_s=600)
    assert figures["lost"] == 0
    assert figures["unexpected"] == 0
    assert figures["double_counted"] == 0
    assert figures["caches_equal_fresh_computation"]
    assert figures["dead_lettered"] == 0
    assert len(figures["faults"]) == 5
    assert figures["delivery_retries"] > 0  # the faults did bite
