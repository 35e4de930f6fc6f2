#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""entry_anatomy.py - where the bytes of stored log entries go, field by field,
and how many of them a compact wire form could leave out because the receiver
derives them (docs/performance.md, "What a compact wire form may leave out").

    mdb_dump -s log STORE_DIR | python3 bench/entry_anatomy.py [--limit N]

Reads the hex dump of the store's `log` database (entries exactly as received,
docs/formats.md §6), decodes each entry's canonical msgpack (the subset valise
writes: maps, arrays, str, bin, uint, bool, nil) and sums, over the entries,
the encoded size of every field (key and value) of the entry, its header, its
proposal and the proposal's header. Only reads; no valise code is shared.
"""
import sys


class Rd:
    def __init__(self, b, i=0):
        self.b, self.i = b, i

    def u(self, n):
        v = int.from_bytes(self.b[self.i:self.i + n], "big")
        self.i += n
        return v

    def obj(self):
        t = self.b[self.i]
        self.i += 1
        if t <= 0x7f:
            return t
        if 0x80 <= t <= 0x8f:
            return self.map(t & 0x0f)
        if 0x90 <= t <= 0x9f:
            return [self.obj() for _ in range(t & 0x0f)]
        if 0xa0 <= t <= 0xbf:
            return self.raw(t & 0x1f).decode()
        if t == 0xc0:
            return None
        if t in (0xc2, 0xc3):
            return t == 0xc3
        if t in (0xc4, 0xc5, 0xc6):
            return self.raw(self.u({0xc4: 1, 0xc5: 2, 0xc6: 4}[t]))
        if t in (0xcc, 0xcd, 0xce, 0xcf):
            return self.u({0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8}[t])
        if t in (0xd9, 0xda, 0xdb):
            return self.raw(self.u({0xd9: 1, 0xda: 2, 0xdb: 4}[t])).decode()
        if t in (0xdc, 0xdd):
            n = self.u(2 if t == 0xdc else 4)
            return [self.obj() for _ in range(n)]
        if t in (0xde, 0xdf):
            return self.map(self.u(2 if t == 0xde else 4))
        raise ValueError("msgpack type 0x%02x not in valise's subset" % t)

    def raw(self, n):
        v = self.b[self.i:self.i + n]
        self.i += n
        return v

    def map(self, n):
        m = {}
        for _ in range(n):
            k = self.obj()
            s = self.i
            m[k] = (self.obj(), self.i - s)  # value, its encoded size
        return m


def fields(buf):
    """{key: (value, size of key + value)} of the map in buf."""
    r = Rd(buf)
    t = r.b[0]
    r.i = 1
    n = t & 0x0f if 0x80 <= t <= 0x8f else None
    if n is None:
        raise ValueError("not a small map")
    out = {}
    for _ in range(n):
        ks = r.i
        k = r.obj()
        vs = r.i
        v = r.obj()
        out[k] = (v, r.i - ks, r.i - vs)
    return out


KEYS = [0]  # bytes of the field names of fields that stay (a positional form drops them)

# What the receiver of entry s can derive (docs/performance.md gives the reasons).
DERIVED = {
    "entry.hdr.net": "the network id: the receiver's own",
    "entry.hdr.policy": "P(s), the version in force at s: the receiver holds the versions",
    "entry.hdr.prev": "the link of entry s-1, which the receiver holds",
    "entry.hdr.prop": "the id of the embedded proposal, computed from it",
    "entry.hdr.seq": "the message's `from` plus the entry's index",
    "entry.hdr.type": "a constant",
    "prop.hdr.net": "the network id",
    "prop.hdr.type": "a constant",
    "prop.hdr.epoch": "must be the newest epoch of P(s)",
}


def main():
    limit = None
    if len(sys.argv) == 3 and sys.argv[1] == "--limit":
        limit = int(sys.argv[2])
    elif len(sys.argv) != 1:
        sys.exit(__doc__)
    lines = [l.strip() for l in sys.stdin if l.startswith(" ")]
    tot = {}
    n = total = 0
    for i in range(1, len(lines), 2):
        e = bytes.fromhex(lines[i])
        n += 1
        total += len(e)

        def add(name, size, keysize=0):
            tot[name] = tot.get(name, 0) + size
            if not DERIVED.get(name):
                KEYS[0] += keysize  # a derived field goes with its name

        ef = fields(e)
        for k, (v, sz, vs) in ef.items():
            add("entry." + k, sz, sz - vs)
        for k, (v, sz, vs) in fields(ef["hdr"][0]).items():
            add("entry.hdr." + k, sz, sz - vs)
        pf = fields(ef["prop"][0])
        for k, (v, sz, vs) in pf.items():
            add("prop." + k, sz, sz - vs)
        for k, (v, sz, vs) in fields(pf["hdr"][0]).items():
            add("prop.hdr." + k, sz, sz - vs)
        sigs = ef["sigs"][0]
        add("entry.sigs.count", len(sigs))
        KEYS[0] += 4 * len(sigs)  # each signature's {"k", "s"}
        if limit and n >= limit:
            break
    if not n:
        sys.exit("entry_anatomy: no entries on stdin (mdb_dump -s log STORE_DIR | ...)")
    print("%d entries, %.1f B per entry on average" % (n, total / n))
    print("%-22s %9s %7s  %s" % ("field", "B/entry", "share", "derivable by the receiver"))
    der = 0.0
    for k in sorted(tot):
        if k == "entry.sigs.count":
            continue
        per = tot[k] / n
        d = DERIVED.get(k, "")
        if d:
            der += per
        print("%-22s %9.1f %6.1f%%  %s" % (k, per, 100 * per / (total / n), d))
    ns = tot["entry.sigs.count"] / n
    # An approver's key (32 B) can be its index among P(s)'s approvers (1 B);
    # the author's key (32 B) its index among P(s)'s members (2 B).
    keys = ns * 31 + 30
    print("approver signatures per entry: %.2f; keys replaceable by indexes: %.1f B" % (ns, keys))
    kb = KEYS[0] / n
    avg = total / n
    print("map keys (field names): %.1f B per entry" % kb)
    print("derivable fields: %.1f B (%.1f%%); with key indexes: %.1f B (%.1f%%); and without "
          "field names: %.1f B (%.1f%%) of %.1f B" %
          (der, 100 * der / avg, der + keys, 100 * (der + keys) / avg, der + keys + kb,
           100 * (der + keys + kb) / avg, avg))


if __name__ == "__main__":
    main()
