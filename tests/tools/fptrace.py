#!/usr/bin/env python3
"""fptrace: a small reader of faultprof traces, written from
man/faultprof-trace.5 alone (not from the analyzer's C code), to check that
the spec is enough to read a trace.

usage: fptrace.py TRACE...

Reads trace formats 1.x, 2.x, 3.x and 4.x and prints one JSON object:
  {"processes": [{"file", "version", "pid", "clock_step",
                  "allocations", "frees", "reallocs", "failed_allocations",
                  "unmatched_frees", "leaked_blocks", "leaked_bytes",
                  "bytes_allocated", "truncated"}, ...]}
one entry per trace file (a trace is one process).  Errors go to stderr as
one line naming the file, exit status 1.  Python 3 standard library only.
"""
import heapq
import json
import struct
import sys
import zlib

MAGIC = b"FAULTPRF"
MAX_PAYLOAD = 1 << 20

# record types (the spec's "Record layouts")
PROCESS, BLOCK = 0x01, 0x02
ALLOC, FREE, REALLOC = 0x10, 0x11, 0x12
TIME, SITE = 0x24, 0x25
ALLOC_SHORT, FREE_SHORT, FREE_BACK = 0x26, 0x27, 0x28
ALLOC_REUSE, ALLOC_SHORT_FREED, ALLOC_REUSE_FREED = 0x29, 0x2a, 0x2b
# 4.0's packed forms: the type byte holds the last field
PACKED_REUSE, PACKED_REUSE_FREED, PACKED_BACK = 0x30, 0x38, 0x80

# Records whose payload begins with dt.  Types the spec marks "timed".
TIMED = {0x03, 0x04, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x10, 0x11,
         0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c,
         0x20, 0x21, 0x22, TIME}

FREE_LIST_MAX = 8


class TraceError(Exception):
    pass


# --- the byte level: gzip members, varints ---------------------------------

def gzip_members(data):
    """Yields the decompressed bytes of each complete gzip member; sets
    truncated[0] when the file ends inside a member."""
    pos = 0
    state = {"truncated": False}

    def gen():
        nonlocal pos
        while pos < len(data):
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                raw = d.decompress(data[pos:])
            except zlib.error as e:
                if pos == 0:
                    raise TraceError("not a gzip file (%s)" % e)
                state["truncated"] = True  # a damaged tail: read up to it
                return
            if not d.eof:
                state["truncated"] = True
                return
            pos = len(data) - len(d.unused_data)
            yield raw
    return gen(), state


class Payload:
    __slots__ = ("buf", "pos", "end", "rtype")

    def __init__(self, buf, pos, end, rtype):
        self.buf, self.pos, self.end, self.rtype = buf, pos, end, rtype

    def varint(self):
        v = shift = 0
        for i in range(10):
            if self.pos >= self.end:
                raise TraceError("record 0x%02x ends inside its fields"
                                 % self.rtype)
            b = self.buf[self.pos]
            self.pos += 1
            v |= (b & 0x7f) << shift
            if not b & 0x80:
                return v
            shift += 7
        raise TraceError("varint longer than 10 bytes in record 0x%02x"
                         % self.rtype)

    def zz(self):
        v = self.varint()
        return (v >> 1) ^ -(v & 1)

    def more(self):
        return self.pos < self.end

    def string(self):
        n = self.varint()
        if self.pos + n > self.end:
            raise TraceError("string past the end of record 0x%02x"
                             % self.rtype)
        s = self.buf[self.pos:self.pos + n]
        self.pos += n
        return s


def read_varint(buf, pos):
    v = shift = 0
    for _ in range(10):
        if pos >= len(buf):
            raise TraceError("member ends inside a record header")
        b = buf[pos]
        pos += 1
        v |= (b & 0x7f) << shift
        if not b & 0x80:
            return v, pos
        shift += 7
    raise TraceError("record length longer than 10 bytes")


def size_class(s):
    """The free-list class of a size (the spec's "Free lists (3.0)")."""
    if s < 1024:
        return (s + 23) >> 4
    if s >= 1 << 32:
        return 154
    b = s.bit_length()
    return 66 + 4 * (b - 11) + ((s >> (b - 3)) & 3)


# --- records -> per-thread events --------------------------------------------

class Member:
    """What a member's short records refer to; a BLOCK starts a new one."""

    def __init__(self):
        self.sites = []           # site id -> size-independent fields
        self.prev_addr = 0        # address of the previous short record
        self.allocs = []          # (addr, size) of short allocations, in order
        self.lists = {}           # size class -> addresses, newest first


class Decoder:
    def __init__(self):
        self.major = self.minor = None
        self.process = {}
        self.events = {}          # tid -> [(time, order, op, ...)]
        self.order = 0
        self.tid = 0
        self.now = 0
        self.m = Member()

    def emit(self, *ev):
        self.order += 1
        self.events.setdefault(self.tid, []).append(
            (self.now, self.order) + ev)

    def header(self, raw):
        if len(raw) < 16 or raw[:8] != MAGIC:
            raise TraceError("not a faultprof trace (bad magic)")
        self.major, self.minor, hsize = struct.unpack_from("<HHI", raw, 8)
        if self.major not in (1, 2, 3, 4):
            raise TraceError("trace format %d.%d is not known to this reader"
                             % (self.major, self.minor))
        if hsize < 16 or hsize > len(raw):
            raise TraceError("bad stream header size %d" % hsize)
        return hsize

    def known(self, t):
        if t >= TIME:
            if t <= FREE_BACK:
                return self.major >= 2
            if t <= ALLOC_REUSE_FREED:
                return self.major >= 3
            return False
        return True

    def unframed(self, t):
        """3.0: the short allocations and frees have no length"""
        return self.major >= 3 and ALLOC_SHORT <= t <= ALLOC_REUSE_FREED

    def packed(self, t):
        """4.0: the packed forms (no length; the type holds a field)"""
        return self.major >= 4 and (t >= PACKED_BACK or
                                    PACKED_REUSE <= t < PACKED_REUSE_FREED + 8)

    def member(self, raw, first):
        pos = self.header(raw) if first else 0
        while pos < len(raw):
            rtype = raw[pos]
            if self.packed(rtype):
                p = Payload(raw, pos + 1, len(raw), rtype)
                if rtype >= PACKED_BACK:
                    self.free_back(rtype - PACKED_BACK + 1)
                else:
                    freed = rtype >= PACKED_REUSE_FREED
                    reuse = rtype - (PACKED_REUSE_FREED if freed else PACKED_REUSE)
                    self.short_alloc(p, ALLOC_REUSE_FREED if freed else ALLOC_REUSE, reuse)
                pos = p.pos
                continue
            if self.unframed(rtype):
                # the type, then its fields: one for a free, three else
                p = Payload(raw, pos + 1, len(raw), rtype)
                self.record(p)
                pos = p.pos
                continue
            length, pos = read_varint(raw, pos + 1)
            if length > MAX_PAYLOAD:
                raise TraceError("record 0x%02x of %d bytes (more than 1 MiB)"
                                 % (rtype, length))
            end = pos + length
            if end > len(raw):
                raise TraceError("record 0x%02x runs past its member" % rtype)
            if self.known(rtype):
                self.record(Payload(raw, pos, end, rtype))
            pos = end

    def record(self, p):
        t = p.rtype
        if t in TIMED:
            self.now += p.varint()
        if t == PROCESS:
            self.read_process(p)
        elif t == BLOCK:
            self.tid = p.varint()
            p.varint()                      # seq
            self.now = p.varint()           # t_base
            self.m = Member()
        elif t == ALLOC:
            func, flags, size, addr = (p.varint() for _ in range(4))
            self.emit("alloc", addr, size)
        elif t == FREE:
            p.varint()                      # flags
            self.emit("free", p.varint())
        elif t == REALLOC:
            func, flags, old, size, new = (p.varint() for _ in range(5))
            self.emit("realloc", old, size, new)
        elif t == SITE:
            site = tuple(p.varint() for _ in range(5))
            if site[0] != len(self.m.sites):
                raise TraceError("SITE %d where the member's next id is %d"
                                 % (site[0], len(self.m.sites)))
            self.m.sites.append(site)
        elif t in (ALLOC_SHORT, ALLOC_SHORT_FREED, ALLOC_REUSE,
                   ALLOC_REUSE_FREED):
            self.short_alloc(p, t)
        elif t == FREE_SHORT:
            self.m.prev_addr = (self.m.prev_addr + p.zz()) & (2**64 - 1)
            self.emit("free", self.m.prev_addr)
        elif t == FREE_BACK:
            self.free_back(p.varint())

    def read_process(self, p):
        keys = ("pid", "ppid", "flags", "t0_monotonic", "t0_realtime",
                "page_size", "depth_limit", "rusage_every")
        for k in keys:
            self.process[k] = p.varint()
        p.string()                          # exe
        p.string()                          # cmdline
        v = (self.major, self.minor)
        self.process["sample_bytes"] = p.varint() if v >= (1, 1) else 0
        self.process["clock_step"] = p.varint() if v >= (2, 0) else 0

    def short_alloc(self, p, t, reuse=None):
        m = self.m
        site, size = p.varint(), p.varint()
        if site >= len(m.sites):
            raise TraceError("short allocation names site %d of %d"
                             % (site, len(m.sites)))
        if t in (ALLOC_SHORT, ALLOC_SHORT_FREED):
            addr = (m.prev_addr + p.zz()) & (2**64 - 1)
        else:
            if reuse is None:
                reuse = p.varint()
            lst = m.lists.get(size_class(size), [])
            if reuse >= len(lst):
                raise TraceError("reuse %d past the end of a free list of %d"
                                 % (reuse, len(lst)))
            addr = lst.pop(reuse)
        m.prev_addr = addr
        m.allocs.append((addr, size))
        self.emit("alloc", addr, size)
        if t in (ALLOC_SHORT_FREED, ALLOC_REUSE_FREED):
            self.free_back(1)

    def free_back(self, back):
        m = self.m
        if back < 1 or back > len(m.allocs):
            raise TraceError("FREE_BACK %d with %d short allocations in the "
                             "member" % (back, len(m.allocs)))
        addr, size = m.allocs[-back]
        m.prev_addr = addr
        lst = m.lists.setdefault(size_class(size), [])
        lst.insert(0, addr)
        del lst[FREE_LIST_MAX:]
        self.emit("free", addr)


# --- replay: the spec's "two threads within a step" rule ---------------------

class Replay:
    """Blocks by address, in time order across threads.  A free of an
    address no live block has waits one step for another thread's
    allocation there; an allocation over a live block keeps the old block one
    step for another thread's free."""

    def __init__(self, step):
        self.step = step
        self.live = {}        # addr -> (size, tid)
        self.displaced = {}   # addr -> [(size, tid, since, id)], oldest first
        self.waiting = {}     # addr -> [(tid, since, id)]: frees with no block
        self.taken = {}       # addr -> [(tid, since, id)]: see free()
        self.recent = {}      # addr -> (tid, since): the last free that matched
        self.expiry = []      # (since, id, kind, addr) in time order
        self.ids = 0
        self.n = dict(allocations=0, frees=0, reallocs=0,
                      failed_allocations=0, unmatched_frees=0,
                      bytes_allocated=0)

    def expire(self, now):
        ex = self.expiry
        while ex and now - ex[0][0] >= self.step:
            since, ident, kind, addr = heapq.heappop(ex)
            table = (self.waiting, self.displaced, self.taken)[kind]
            entries = table.get(addr, [])
            for i, e in enumerate(entries):
                if e[-1] == ident:
                    del entries[i]
                    if kind == 0:
                        self.n["unmatched_frees"] += 1
                    if not entries:
                        del table[addr]
                    break

    def alloc(self, now, tid, addr, size):
        w = self.waiting.get(addr)
        other = [i for i, e in enumerate(w or []) if e[0] != tid]
        if other:                         # another thread's free was first
            w.pop(other[0])
            if not w:
                del self.waiting[addr]
            return
        tk = [i for i, e in enumerate(self.taken.get(addr, [])) if e[0] != tid]
        if w and tk:
            # this thread's free waits here, and another thread freed a
            # block here less than a step before it: that free was this
            # block's, and the waiting free the block the other free took.
            for table, i in ((self.waiting, 0), (self.taken, tk[0])):
                table[addr].pop(i)
                if not table[addr]:
                    del table[addr]
            return
        old = self.live.get(addr)
        if old is not None and self.step:
            self.ids += 1
            self.displaced.setdefault(addr, []).append(old + (now, self.ids))
            heapq.heappush(self.expiry, (now, self.ids, 1, addr))
        self.live[addr] = (size, tid)

    def wait(self, kind, now, tid, addr):
        self.ids += 1
        table = (self.waiting, self.displaced, self.taken)[kind]
        table.setdefault(addr, []).append((tid, now, self.ids))
        heapq.heappush(self.expiry, (now, self.ids, kind, addr))

    def free(self, now, tid, addr, explicit=True):
        """explicit: free() or realloc(p, 0); a realloc's free of the block
        it moved or resized does not wait."""
        d = self.displaced.get(addr)
        cur = self.live.get(addr)
        if d and cur is not None:
            # Several allocations there within a step: another thread's free
            # takes the oldest kept block, the newest block's thread its own
            # and the newest kept block is live again.
            if cur[1] != tid:
                d.pop(0)
            else:
                self.live[addr] = d.pop()[:2]
            if not d:
                del self.displaced[addr]
            if explicit:
                self.recent[addr] = (tid, now)
            return True
        if cur is not None:
            del self.live[addr]
            if explicit:
                self.recent[addr] = (tid, now)
            return True
        if self.step and explicit:
            r = self.recent.get(addr)
            if r and r[0] != tid and now - r[1] < self.step:
                self.wait(2, now, r[0], addr)
            self.wait(0, now, tid, addr)
        else:
            self.n["unmatched_frees"] += 1
        return False

    def event(self, ev, tid):
        now, _, op = ev[0], ev[1], ev[2]
        self.expire(now)
        n = self.n
        if op == "alloc":
            addr, size = ev[3], ev[4]
            if addr == 0:
                n["failed_allocations"] += 1
                return
            n["allocations"] += 1
            n["bytes_allocated"] += size
            self.alloc(now, tid, addr, size)
        elif op == "free":
            if ev[3] != 0:
                n["frees"] += 1
                self.free(now, tid, ev[3])
        else:
            # faultprof-report(1), COUNTING RULES: a realloc with a new
            # address is an allocation and frees its old block; realloc(p, 0)
            # frees p; a realloc that failed leaves p live.
            old, size, new = ev[3], ev[4], ev[5]
            if new == 0 and size != 0:
                n["failed_allocations"] += 1
                return
            if old != 0:
                n["frees"] += 1
                self.free(now, tid, old, explicit=new == 0)
                if new != 0:
                    n["reallocs"] += 1
            if new != 0:
                n["allocations"] += 1
                n["bytes_allocated"] += size
                self.alloc(now, tid, new, size)

    def finish(self):
        self.expire(float("inf"))
        leaked = list(self.live.values())
        self.n["leaked_blocks"] = len(leaked)
        self.n["leaked_bytes"] = sum(s for s, _ in leaked)
        return self.n


def merged(events):
    """Every thread's events, merged by time; a thread's own stay in order."""
    lists = [[(ev[0], i, k, ev, tid) for k, ev in enumerate(evs)]
             for i, (tid, evs) in enumerate(sorted(events.items()))]
    for _, _, _, ev, tid in heapq.merge(*lists):
        yield ev, tid


def read_trace(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise TraceError(e.strerror)
    members, state = gzip_members(data)
    dec = Decoder()
    first = True
    for raw in members:
        dec.member(raw, first)
        first = False
    if first:
        raise TraceError("no complete gzip member")
    step = dec.process.get("clock_step", 0)
    rep = Replay(step)
    for ev, tid in merged(dec.events):
        rep.event(ev, tid)
    out = {"file": path, "version": "%d.%d" % (dec.major, dec.minor),
           "pid": dec.process.get("pid"),
           "clock_step": step}
    out.update(rep.finish())
    out["truncated"] = state["truncated"]
    if state["truncated"]:
        sys.stderr.write("fptrace: %s: warning: cut short; read up to its last "
                         "complete member\n" % path)
    return out


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: fptrace.py TRACE...\n")
        return 2
    procs = []
    for path in argv[1:]:
        try:
            procs.append(read_trace(path))
        except TraceError as e:
            sys.stderr.write("fptrace: %s: %s\n" % (path, e))
            return 1
    json.dump({"processes": procs}, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
