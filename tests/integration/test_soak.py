"""A short soak (tests/soak.py): resident memory stays flat after warm-up,
and every invocation is answered."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from soak import run  # noqa: E402

from support import SANITIZED, WRAPPER  # noqa: E402


def test_rss_stays_flat(ferretdb):
    n = int(os.environ.get("GB_SOAK_INVOCATIONS", "6000"))
    figures = run(ferretdb, n)
    assert figures["errors"] == 0
    assert figures["exit"] == 0
    if not SANITIZED and not WRAPPER:  # their allocators keep memory on purpose
        grew = figures["rss_end_kib"] - figures["rss_after_warmup_kib"]
        assert grew < 4096, figures
