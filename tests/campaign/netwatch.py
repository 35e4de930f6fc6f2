# SPDX-License-Identifier: MIT
# netwatch.py - scrape the metrics endpoints of daemons that run in network
# namespaces, from one process (partition.sh, docs/testing.md §3).
#
#   netwatch.py PREFIX PORT NODES MODE [ARG...]
#
# Each node N of NODES (comma-separated) runs in the namespace PREFIX-N, its
# metrics on 127.0.0.1:PORT there. A scrape opens one connection per node:
# the socket is made inside the node's namespace (setns(2) to it and back),
# so one scrape of seven nodes costs a few milliseconds instead of seven
# `ip netns exec curl` processes. Modes:
#
#   scrape                      one line per node: "NODE SEQ PENDING" ("?"
#                               when its endpoint did not answer)
#   heads SINCE_MS TIMEOUT_MS   scrape continuously until every head seq is
#                               the same; print "SEQ CONV_MS SCRAPE_MS":
#                               CONV_MS from SINCE_MS (Unix ms) to the end of
#                               the first scrape that saw it, SCRAPE_MS the
#                               time from the start of the scrape before it
#                               (the instant is known no better than that)
#   pending N SINCE_MS TIMEOUT_MS   the same until every pending count is N;
#                               print "CONV_MS SCRAPE_MS"
#   atleast SEQ TIMEOUT_MS      until every node's head is at least SEQ
#
# A timeout exits 1 with the last scrape on stderr; bad arguments exit 2.
import ctypes
import os
import socket
import sys
import time

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        sys.exit(f"netwatch: setns: {os.strerror(e)}")


def now_ms():
    return time.time_ns() // 1_000_000


def get(nsfd, home, port):
    setns(nsfd)
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    finally:
        setns(home)
    try:
        s.settimeout(1.0)
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        buf = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            buf += b
        return buf.decode("utf-8", "replace")
    except OSError:
        return ""
    finally:
        s.close()


def metric(text, name):
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == name:
            return parts[1]
    return "?"


def main(argv):
    if len(argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    prefix, port, nodes, mode, args = argv[1], int(argv[2]), argv[3].split(","), argv[4], argv[5:]
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    fds = {n: os.open(f"/run/netns/{prefix}-{n}", os.O_RDONLY) for n in nodes}

    def scrape():
        out = {}
        for n in nodes:
            t = get(fds[n], home, port)
            out[n] = (metric(t, "valise_head_seq"), metric(t, "valise_pending_proposals"))
        return out

    def show(res):
        return "\n".join(f"{n} {res[n][0]} {res[n][1]}" for n in nodes)

    if mode == "scrape":
        print(show(scrape()))
        return 0
    if mode == "heads":
        since, timeout = int(args[0]), int(args[1])
        ok = lambda r: len({r[n][0] for n in nodes}) == 1 and r[nodes[0]][0] != "?"
    elif mode == "pending":
        want, since, timeout = args[0], int(args[1]), int(args[2])
        ok = lambda r: all(r[n][1] == want for n in nodes)
    elif mode == "atleast":
        want, since, timeout = int(args[0]), now_ms(), int(args[1])
        ok = lambda r: all(r[n][0] != "?" and int(r[n][0]) >= want for n in nodes)
    else:
        print(f"netwatch: unknown mode {mode}", file=sys.stderr)
        return 2
    prev = now_ms()
    while True:
        s0 = now_ms()
        res = scrape()
        s1 = now_ms()
        if ok(res):
            if mode == "heads":
                print(res[nodes[0]][0], s1 - since, s1 - prev)
            elif mode == "pending":
                print(s1 - since, s1 - prev)
            return 0
        if s1 - since > timeout:
            print(show(res), file=sys.stderr)
            return 1
        prev = s0
        time.sleep(0.01)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
