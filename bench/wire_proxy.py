"""wire_proxy: a loopback TCP proxy that counts MongoDB wire-protocol
commands, bytes and documents, for bench/store_cost.py and by hand.

Bytes pass through unchanged, in both directions, as they arrive. Beside
that, each message is parsed (OP_MSG 2013, OP_QUERY 2004 as drivers use it
for the handshake, OP_REPLY 1, OP_COMPRESSED 2012 with noop or zlib; other
compressors are counted but not looked into) and every command becomes one
record, keyed by the request's id and completed by the server's reply:

    name        first key of the command (OP_MSG body section, or OP_QUERY's
                query): insert, update, find, getMore, findAndModify, ...
    category    "game" (what a game or a read costs), "monitoring" (hello,
                isMaster, ping, buildInfo, endSessions, saslStart, ...:
                what the driver does on its own) or "setup" (createIndexes,
                create, drop, listCollections, ...: once per process)
    db, coll    $db and the collection the command names
    sent        bytes of the request message (client to server, header
                included); received: bytes of its reply message(s)
    written     one entry per document the command writes: inserts (body
                array or kind-1 document sequence "documents"), update
                statements ("updates"), delete statements ("deletes"),
                findAndModify; each {size, known, kind}: the size of the
                document written when it can be told (an inserted or
                replacing document, or a target whose size this proxy has
                seen on the wire: see `sizes`), else None
    statements  how many write statements the command carries; reply_n:
                the reply's `n` (documents inserted, matched or deleted),
                upserted: how many statements upserted
    point       True when the filter is an equality on _id alone
                ({_id: v} or {_id: {$eq: v}}, v not a document) and the
                limit, if any, is 1 (find, findAndModify, single-statement
                update or delete)
    returned    sizes in bytes of each document the reply carries
                (cursor.firstBatch / nextBatch, findAndModify's value)

`sizes`: the proxy remembers the BSON size of every document it sees on the
wire by (db, collection, _id): inserted, replaced, returned by a find or a
findAndModify. An update or delete whose filter names an _id it has seen is
charged that size (bench/ru.py); what it has not seen is None.

As a library:

    proxy = WireProxy(("127.0.0.1", 27017)).start()   # a free port
    uri = f"mongodb://127.0.0.1:{proxy.port}/?directConnection=true"
    ... proxy.reset() ... s = proxy.snapshot() ... proxy.stop()

snapshot() returns {"records": [...], "by_name": {...}, "totals": {...}}
(see summarize()); reset() forgets the records but keeps the size cache.

From the command line:

    .venv/bin/python bench/wire_proxy.py --upstream 127.0.0.1:27017 \
        [--listen 127.0.0.1:0] [--every SECONDS]

prints the port it listens on, then a table per command name when sent
SIGUSR1, every --every seconds, and on SIGINT/SIGTERM (SIGUSR2 resets the
counters). Python standard library only."""

import argparse
import signal
import socket
import struct
import sys
import threading
import time
import zlib

OP_REPLY, OP_QUERY, OP_COMPRESSED, OP_MSG = 1, 2004, 2012, 2013

MONITORING = {
    "hello", "ismaster", "ping", "buildinfo", "endsessions", "saslstart",
    "saslcontinue", "getnonce", "authenticate", "logout", "getlasterror",
    "getparameter", "getcmdlineopts", "serverstatus", "hostinfo",
    "getfreemonitoringstatus", "whatsmyuri", "connectionstatus",
    "listdatabases", "atlasversion", "features"}
SETUP = {
    "createindexes", "listindexes", "dropindexes", "create", "drop",
    "dropdatabase", "listcollections", "collmod", "renamecollection"}
WRITE_ARRAYS = {"insert": "documents", "update": "updates",
                "delete": "deletes"}


def category(name):
    low = name.lower()
    if low in MONITORING:
        return "monitoring"
    if low in SETUP:
        return "setup"
    return "game"


# --- minimal BSON ---------------------------------------------------------
# Enough to walk a document: keys, nested documents and arrays decoded,
# strings and numbers decoded, everything else kept as raw bytes (good for
# equality and as a cache key).

def _cstring(buf, pos):
    end = buf.index(b"\x00", pos)
    return buf[pos:end].decode("utf-8", "replace"), end + 1


class Raw:
    """A BSON value not decoded: its type byte and bytes."""
    __slots__ = ("kind", "data")

    def __init__(self, kind, data):
        self.kind, self.data = kind, data

    def key(self):
        return (self.kind, self.data)

    def __repr__(self):
        return f"Raw({self.kind:#x}, {self.data.hex()})"


def _value(buf, pos, kind):
    """Decodes the value of `kind` at pos; returns (value, next pos)."""
    if kind in (0x03, 0x04):  # document, array
        size = struct.unpack_from("<i", buf, pos)[0]
        doc = decode(buf, pos, size)
        if kind == 0x04:
            doc = Array(doc.values(), size)
        return doc, pos + size
    if kind == 0x02 or kind == 0x0D or kind == 0x0E:  # string, code, symbol
        n = struct.unpack_from("<i", buf, pos)[0]
        return buf[pos + 4:pos + 4 + n - 1].decode("utf-8", "replace"), \
            pos + 4 + n
    if kind == 0x01:
        return struct.unpack_from("<d", buf, pos)[0], pos + 8
    if kind == 0x10:
        return struct.unpack_from("<i", buf, pos)[0], pos + 4
    if kind == 0x12:
        return struct.unpack_from("<q", buf, pos)[0], pos + 8
    if kind == 0x08:
        return buf[pos] != 0, pos + 1
    if kind in (0x0A, 0x06, 0xFF, 0x7F):  # null, undefined, min, max
        return None if kind in (0x0A, 0x06) else Raw(kind, b""), pos
    if kind in (0x09, 0x11):  # date, timestamp
        return Raw(kind, bytes(buf[pos:pos + 8])), pos + 8
    if kind == 0x07:  # ObjectId
        return Raw(kind, bytes(buf[pos:pos + 12])), pos + 12
    if kind == 0x13:  # decimal128
        return Raw(kind, bytes(buf[pos:pos + 16])), pos + 16
    if kind == 0x05:  # binary
        n = struct.unpack_from("<i", buf, pos)[0]
        return Raw(kind, bytes(buf[pos:pos + 5 + n])), pos + 5 + n
    if kind == 0x0B:  # regex: two cstrings
        a = buf.index(b"\x00", pos)
        b = buf.index(b"\x00", a + 1)
        return Raw(kind, bytes(buf[pos:b + 1])), b + 1
    if kind == 0x0C:  # DBPointer
        n = struct.unpack_from("<i", buf, pos)[0]
        return Raw(kind, bytes(buf[pos:pos + 4 + n + 12])), pos + 4 + n + 12
    if kind == 0x0F:  # code with scope
        n = struct.unpack_from("<i", buf, pos)[0]
        return Raw(kind, bytes(buf[pos:pos + n])), pos + n
    raise ValueError(f"BSON type {kind:#x}")


class Document(dict):
    """A decoded BSON document, remembering its encoded size."""
    size = 0


class Array(list):
    def __init__(self, items, size):
        super().__init__(items)
        self.size = size


def decode(buf, pos=0, size=None):
    if size is None:
        size = struct.unpack_from("<i", buf, pos)[0]
    doc = Document()
    doc.size = size
    end = pos + size - 1
    p = pos + 4
    while p < end:
        kind = buf[p]
        key, p = _cstring(buf, p + 1)
        doc[key], p = _value(buf, p, kind)
    return doc


def _first_key(doc):
    for k in doc:
        return k
    return ""


def _hashable(v):
    if isinstance(v, Raw):
        return v.key()
    if isinstance(v, (Document, dict)):
        return tuple((k, _hashable(x)) for k, x in v.items())
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    return (type(v).__name__, v)


def point_id(filt):
    """The _id value when filt is an equality on _id alone, else None."""
    if not isinstance(filt, dict) or list(filt) != ["_id"]:
        return None
    v = filt["_id"]
    if isinstance(v, dict):
        if list(v) == ["$eq"] and not isinstance(v["$eq"], dict):
            return v["$eq"]
        return None
    return v if not isinstance(v, list) else None


def _is_replacement(u):
    return isinstance(u, dict) and not any(k.startswith("$") for k in u)


# --- messages -------------------------------------------------------------

def _msg_sections(body):
    """OP_MSG after the header: (flags, command document, {id: [docs]})."""
    flags = struct.unpack_from("<I", body, 0)[0]
    end = len(body) - (4 if flags & 1 else 0)
    p = 4
    command, sequences = None, {}
    while p < end:
        kind = body[p]
        p += 1
        if kind == 0:
            size = struct.unpack_from("<i", body, p)[0]
            command = decode(body, p, size)
            p += size
        elif kind == 1:
            size = struct.unpack_from("<i", body, p)[0]
            stop = p + size
            ident, q = _cstring(body, p + 4)
            docs = []
            while q < stop:
                n = struct.unpack_from("<i", body, q)[0]
                docs.append(decode(body, q, n))
                q += n
            sequences[ident] = docs
            p = stop
        else:
            raise ValueError(f"OP_MSG section kind {kind}")
    return flags, command, sequences


def _uncompress(body):
    opcode, _size, compressor = struct.unpack_from("<iiB", body, 0)
    data = body[9:]
    if compressor == 0:
        return opcode, data
    if compressor == 2:
        return opcode, zlib.decompress(data)
    return None, None  # snappy, zstd: not in the standard library


def parse_message(msg):
    """(request id, response to, opcode, parsed) for one whole message.
    parsed: {"command": doc, "sequences": {...}, "flags": f} for a request,
    {"reply": doc or list of docs, "flags": f} for a reply, or None."""
    _length, request_id, response_to, opcode = struct.unpack_from(
        "<iiii", msg, 0)
    body = msg[16:]
    if opcode == OP_COMPRESSED:
        opcode, body = _uncompress(body)
        if opcode is None:
            return request_id, response_to, OP_COMPRESSED, None
    if opcode == OP_MSG:
        flags, command, sequences = _msg_sections(body)
        return request_id, response_to, opcode, {
            "command": command, "sequences": sequences, "flags": flags}
    if opcode == OP_QUERY:
        p = 4
        _coll, p = _cstring(body, p)
        p += 8
        query = decode(body, p)
        if "$query" in query and isinstance(query["$query"], dict):
            query = query["$query"]
        return request_id, response_to, opcode, {
            "command": query, "sequences": {}, "flags": 0}
    if opcode == OP_REPLY:
        flags, _cursor, _start, count = struct.unpack_from("<iqii", body, 0)
        p, docs = 20, []
        for _ in range(count):
            d = decode(body, p)
            docs.append(d)
            p += d.size
        return request_id, response_to, opcode, {
            "reply": docs[0] if docs else Document(), "flags": 0}
    return request_id, response_to, opcode, None


# --- records --------------------------------------------------------------

def _new_record(msg_len, parsed):
    cmd = parsed["command"] if parsed else None
    if cmd is None:
        return {"name": "(unparsed)", "category": "game", "db": None,
                "coll": None, "sent": msg_len, "received": 0, "written": [],
                "statements": 0, "reply_n": None, "upserted": 0,
                "point": False, "returned": [], "ok": None, "_targets": []}
    name = _first_key(cmd)
    coll = cmd.get(name)
    rec = {"name": name, "category": category(name), "db": cmd.get("$db"),
           "coll": coll if isinstance(coll, str) else None, "sent": msg_len,
           "received": 0, "written": [], "statements": 0, "reply_n": None,
           "upserted": 0, "point": False, "returned": [], "ok": None,
           "_targets": []}
    low = name.lower()
    if low in WRITE_ARRAYS:
        field = WRITE_ARRAYS[low]
        items = list(cmd.get(field) or []) + \
            list(parsed["sequences"].get(field, []))
        rec["statements"] = len(items)
        for item in items:
            if low == "insert":
                rec["written"].append({"size": item.size, "known": True,
                                       "kind": "insert"})
                rec["_targets"].append((_id_key(item.get("_id")), item.size))
                continue
            filt = item.get("q")
            pid = point_id(filt)
            multi = bool(item.get("multi")) or (low == "delete" and
                                               item.get("limit") == 0)
            entry = {"size": None, "known": False,
                     "kind": "delete" if low == "delete" else "update",
                     "point": pid is not None and not multi, "multi": multi,
                     "upsert": bool(item.get("upsert"))}
            u = item.get("u")
            if low == "update" and _is_replacement(u):
                entry.update(size=u.size, known=True, kind="replace")
            entry["_id"] = _id_key(pid) if pid is not None else None
            rec["written"].append(entry)
        rec["point"] = rec["statements"] == 1 and bool(
            rec["written"] and rec["written"][0].get("point"))
    elif low == "findandmodify":
        pid = point_id(cmd.get("query"))
        rec["statements"] = 1
        entry = {"size": None, "known": False,
                 "kind": "delete" if cmd.get("remove") else "update",
                 "point": pid is not None, "upsert": bool(cmd.get("upsert")),
                 "_id": _id_key(pid) if pid is not None else None}
        u = cmd.get("update")
        if _is_replacement(u):
            entry.update(size=u.size, known=True, kind="replace")
        rec["written"].append(entry)
        rec["point"] = pid is not None
    elif low == "find":
        pid = point_id(cmd.get("filter"))
        limit = cmd.get("limit")
        rec["point"] = pid is not None and limit in (None, 1, -1)
    return rec


def _id_key(v):
    return None if v is None else _hashable(v)


class Counters:
    """The records and the size cache, under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.records = []
        self.sizes = {}  # (db, coll, _id key) -> BSON size

    def reset(self):
        with self.lock:
            self.records = []

    def add(self, rec):
        with self.lock:
            self.records.append(rec)

    def reply(self, rec, msg_len, parsed):
        """Completes rec with one reply message (a reply may come in more
        than one with moreToCome)."""
        with self.lock:
            rec["received"] += msg_len
            if not parsed or "reply" not in parsed:
                return
            doc = parsed["reply"]
            rec["ok"] = doc.get("ok")
            n = doc.get("n")
            if isinstance(n, (int, float)) and not isinstance(n, bool):
                rec["reply_n"] = int(n)
            ups = doc.get("upserted")
            if isinstance(ups, list):
                rec["upserted"] = len(ups)
            db, coll = rec["db"], rec["coll"]
            cursor = doc.get("cursor")
            batch = []
            if isinstance(cursor, dict):
                batch = cursor.get("firstBatch") or cursor.get(
                    "nextBatch") or []
                ns = cursor.get("ns")
                if rec["name"].lower() == "getmore" and isinstance(ns, str):
                    coll = ns.split(".", 1)[-1]
                    rec["coll"] = coll
            value = doc.get("value")
            if isinstance(value, Document):
                batch = [value]
            for d in batch:
                if isinstance(d, Document):
                    rec["returned"].append(d.size)
                    if "_id" in d:
                        self.sizes[(db, coll, _id_key(d["_id"]))] = d.size
            # What was written: sizes known now, and the cache after it.
            for entry in rec["written"]:
                if entry["kind"] == "insert":
                    continue
                key = (db, coll, entry.get("_id"))
                if not entry["known"]:
                    if isinstance(value, Document) and \
                            rec["name"].lower() == "findandmodify":
                        entry.update(size=value.size, known=True)
                    elif entry.get("_id") is not None and key in self.sizes:
                        entry.update(size=self.sizes[key], known=True)
                if entry["kind"] == "replace" and entry.get("_id") is not None:
                    self.sizes[key] = entry["size"]
                if entry["kind"] == "delete" and entry.get("_id") is not None:
                    self.sizes.pop(key, None)
            for idk, size in rec["_targets"]:
                if idk is not None:
                    self.sizes[(db, coll, idk)] = size
            rec["_targets"] = []

    def snapshot(self):
        with self.lock:
            records = [dict((k, v) for k, v in r.items()
                            if not k.startswith("_")) for r in self.records]
        return summarize(records)


def summarize(records):
    by_name, by_target, totals = {}, {}, {}
    for r in records:
        target = f'{r["name"]} {r["coll"] or "-"}'
        for key, table in ((r["name"], by_name), (target, by_target),
                           (r["category"], totals)):
            s = table.setdefault(key, {
                "commands": 0, "sent": 0, "received": 0, "docs_written": 0,
                "docs_returned": 0, "returned_bytes": 0,
                "category": r["category"]})
            s["commands"] += 1
            s["sent"] += r["sent"]
            s["received"] += r["received"]
            s["docs_written"] += len(r["written"])
            s["docs_returned"] += len(r["returned"])
            s["returned_bytes"] += sum(r["returned"])
    return {"records": records, "by_name": by_name, "by_target": by_target,
            "totals": totals}


# --- the proxy ------------------------------------------------------------

def _recv_exact(sock, n):
    chunks, got = [], 0
    while got < n:
        b = sock.recv(n - got)
        if not b:
            return None
        chunks.append(b)
        got += len(b)
    return b"".join(chunks)


class WireProxy:
    def __init__(self, upstream, listen=("127.0.0.1", 0)):
        self.upstream = upstream
        self.listen = listen
        self.counters = Counters()
        self.port = None
        self.parse_errors = 0
        self._server = None
        self._stopping = False
        self._socks = set()
        self._lock = threading.Lock()

    def start(self):
        self._server = socket.create_server(self.listen)
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def uri(self, options="directConnection=true"):
        return f"mongodb://127.0.0.1:{self.port}/?{options}"

    def snapshot(self):
        s = self.counters.snapshot()
        s["parse_errors"] = self.parse_errors
        return s

    def reset(self):
        self.counters.reset()

    def stop(self):
        self._stopping = True
        try:
            self._server.close()
        except OSError:
            pass
        with self._lock:
            socks = list(self._socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept(self):
        while not self._stopping:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._socks.update((client, server))
            pending = {}
            threading.Thread(target=self._pump, daemon=True,
                             args=(client, server, pending, True)).start()
            threading.Thread(target=self._pump, daemon=True,
                             args=(server, client, pending, False)).start()

    def _pump(self, src, dst, pending, requests):
        try:
            while True:
                header = _recv_exact(src, 16)
                if header is None:
                    break
                length = struct.unpack_from("<i", header, 0)[0]
                rest = _recv_exact(src, length - 16) if length > 16 else b""
                if rest is None:
                    break
                msg = header + rest
                dst.sendall(msg)
                try:
                    self._count(msg, pending, requests)
                except Exception:  # noqa: BLE001
                    self.parse_errors += 1
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self._lock:
                self._socks.discard(src)
                self._socks.discard(dst)

    def _count(self, msg, pending, requests):
        try:
            request_id, response_to, opcode, parsed = parse_message(msg)
        except Exception:  # noqa: BLE001 - counting must never stop bytes
            self.parse_errors += 1
            request_id, response_to, opcode, parsed = struct.unpack_from(
                "<iiii", msg, 0) + (None,)
        if requests:
            rec = _new_record(len(msg), parsed)
            self.counters.add(rec)
            more = parsed and parsed.get("flags", 0) & 2
            if not more:  # moreToCome from the client: no reply
                pending[request_id] = rec
            return
        rec = pending.get(response_to)
        if rec is None:
            return
        if parsed and "command" in parsed:  # an OP_MSG reply
            parsed["reply"] = parsed["command"]
        self.counters.reply(rec, len(msg), parsed)
        if not (parsed and parsed.get("flags", 0) & 2):
            pending.pop(response_to, None)
        else:  # the server streams: the next reply answers this one
            pending[request_id] = rec


def format_table(snap):
    lines = ["| command | category | commands | KB sent | KB received | "
             "docs written | docs returned | KB returned |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    rows = sorted(snap["by_name"].items(),
                  key=lambda kv: (kv[1]["category"], -kv[1]["commands"]))
    for name, s in rows + [("**" + k + "**", v) for k, v in
                           sorted(snap["totals"].items())]:
        lines.append(
            f"| {name} | {s['category']} | {s['commands']} | "
            f"{s['sent'] / 1024:.1f} | {s['received'] / 1024:.1f} | "
            f"{s['docs_written']} | {s['docs_returned']} | "
            f"{s['returned_bytes'] / 1024:.1f} |")
    return "\n".join(lines)


def _hostport(text):
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", required=True, help="HOST:PORT")
    ap.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT")
    ap.add_argument("--every", type=float, default=0,
                    help="print the table every SECONDS (0: never)")
    ap.add_argument("--ru", action="store_true",
                    help="add bench/ru.py's estimate to each table")
    args = ap.parse_args()
    proxy = WireProxy(_hostport(args.upstream), _hostport(args.listen))
    proxy.start()
    print(f"wire_proxy: listening on 127.0.0.1:{proxy.port} -> "
          f"{args.upstream}", flush=True)
    done = threading.Event()

    def show():
        snap = proxy.snapshot()
        print(format_table(snap))
        if args.ru:
            import ru
            est = ru.estimate(snap["records"])
            print(f"RU (game commands): {est['low']:.1f}-{est['high']:.1f}")
        print(flush=True)

    signal.signal(signal.SIGUSR1, lambda *_: show())
    signal.signal(signal.SIGUSR2, lambda *_: proxy.reset())
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(args.every or None):
        show()
    show()
    proxy.stop()


if __name__ == "__main__":
    main()
