"""ru: an estimate of Cosmos DB Request Units from the commands
bench/wire_proxy.py recorded, by the documented rules of thumb (issue 12):

- A write costs about 5 to 10 RU per KB of the document written: the low
  estimate 5, the high 10. Each document is charged at least 1 KB (KB =
  1,024 bytes, rounded up).
  - insert: each inserted document, at its BSON size.
  - update and delete statements, findAndModify: one document each, at the
    size of the document written when it is known: a replacing document's
    own size; otherwise the size the proxy last saw on the wire for that
    (collection, _id) (inserted, replaced, or returned by a find or a
    findAndModify, which returns the document); otherwise 1 KB.
    An update's operators ($inc, $push, ...) are not applied, so a target
    seen before is charged at its size before this update.
  - multi statements ({multi: true}, delete with limit 0): the reply's `n`
    documents at 1 KB each, as no size is known.
  - A statement the reply says matched nothing (the reply's `n` below the
    number of statements) is charged as the read it did instead: the
    unmatched statements, smallest first, at 1 RU if their filter is a
    point _id equality, else 3 RU.
- A point read (find by _id equality, limit 1 or none, which can return one
  document only) costs 1 RU per KB returned, at least 1 RU.
- A query (find, aggregate, count, distinct) costs 3 RU + 1 RU per KB
  returned; a getMore 1 RU per KB returned, at least 1 RU (it continues a
  query that paid its 3 RU).
- killCursors, and what the proxy files under "monitoring" (hello, ping,
  endSessions, ...) or "setup" (createIndexes, listCollections, ...), cost
  nothing here; they are reported apart.

Only Cosmos DB itself can confirm these: its charge depends on indexing
(every property indexed by default makes writes dearer), on the query plan
(an aggregation or an unindexed sort costs more than its result size) and
on consistency. Both low and high are returned so a figure can be quoted as
a range.

    est = ru.estimate(proxy.snapshot()["records"])
    est["low"], est["high"], est["by_name"][name] = {"low", "high"}"""

import math


def _kb(size):
    return max(1, math.ceil(size / 1024)) if size else 1


QUERIES = {"find", "aggregate", "count", "distinct"}
WRITES = {"insert", "update", "delete", "findandmodify"}


def charge(rec):
    """(low, high) RU of one command record."""
    if rec["category"] != "game":
        return 0.0, 0.0
    name = rec["name"].lower()
    if name in WRITES:
        written = rec["written"]
        n = rec.get("reply_n")
        low = high = 0.0
        singles = [e for e in written if not e.get("multi")]
        multis = [e for e in written if e.get("multi")]
        if name == "findandmodify":
            # The reply's value is the document (or null when nothing
            # matched and no upsert).
            n = 1 if rec["returned"] or rec.get("upserted") else 0
            if n == 0 and not written[0].get("upsert"):
                lookup = 1.0 if rec["point"] else 3.0
                return lookup, lookup
        if name == "insert" or n is None:
            charged, unmatched = singles, []
        else:
            # Multi statements take what n leaves after the singles.
            matched_singles = min(len(singles), n)
            by_size = sorted(singles, key=lambda e: _kb(e["size"]))
            unmatched = by_size[:len(singles) - matched_singles]
            charged = by_size[len(singles) - matched_singles:]
            extra = max(0, n - matched_singles)
            if multis:
                low += 5.0 * extra
                high += 10.0 * extra
        for e in charged:
            kb = _kb(e["size"])
            low += 5.0 * kb
            high += 10.0 * kb
        for e in unmatched:
            lookup = 1.0 if e.get("point") else 3.0
            low += lookup
            high += lookup
        return low, high
    returned_kb = sum(rec["returned"]) / 1024
    if name == "find" and rec["point"]:
        ru = max(1.0, math.ceil(returned_kb))
        return ru, ru
    if name in QUERIES:
        ru = 3.0 + math.ceil(returned_kb)
        return ru, ru
    if name == "getmore":
        ru = max(1.0, math.ceil(returned_kb))
        return ru, ru
    return 0.0, 0.0


def estimate(records, category="game"):
    out = {"low": 0.0, "high": 0.0, "commands": 0, "by_name": {}}
    for rec in records:
        if rec["category"] != category:
            continue
        low, high = charge(rec)
        out["low"] += low
        out["high"] += high
        out["commands"] += 1
        s = out["by_name"].setdefault(rec["name"],
                                      {"low": 0.0, "high": 0.0, "commands": 0})
        s["low"] += low
        s["high"] += high
        s["commands"] += 1
    return out


def floor_per_insert(size):
    """The floor: one insert of a document of size bytes."""
    return 5.0 * _kb(size), 10.0 * _kb(size)
