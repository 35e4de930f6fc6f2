#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""killer.py MODE DELAY_US STOREDIR OUT ERR CMD...: run CMD (stdout to OUT,
stderr to ERR) and SIGKILL it, for tests/campaign/crash.sh.

MODE t: kill DELAY_US microseconds after the start.
MODE o: kill DELAY_US microseconds after CMD opened STOREDIR/data.mdb (its
        open files are polled about every 100 us); if it never does, it is
        left to finish.
MODE c: calibrate: never kill, report when the store was opened.
Prints one line: "LANDED OPEN_US END_US RC" where LANDED is early (killed
before the store was opened), mid (killed with the store open), late (it had
exited on its own) and OPEN_US is -1 when the store was never seen open.
"""
import os
import signal
import subprocess
import sys
import time


def store_open(pid, target):
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return True
            except OSError:
                pass
    except OSError:
        pass
    return False


def main():
    mode, delay_us, store = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    out, err, cmd = sys.argv[4], sys.argv[5], sys.argv[6:]
    target = os.path.join(os.path.realpath(store), "data.mdb")
    with open(out, "wb") as fo, open(err, "wb") as fe:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe)
    now_us = lambda: int((time.monotonic() - t0) * 1e6)
    opened = -1
    deadline = delay_us if mode == "t" else None
    landed = None
    while True:
        if p.poll() is not None:
            break
        if opened < 0 and store_open(p.pid, target):
            opened = now_us()
            if mode == "o":
                deadline = opened + delay_us
        if deadline is not None and now_us() >= deadline:
            was_open = store_open(p.pid, target)
            p.send_signal(signal.SIGKILL)
            p.wait()
            if p.returncode == -signal.SIGKILL:
                landed = "mid" if was_open else "early"
            break
        time.sleep(0.0001)
    end = now_us()
    if landed is None:
        landed = "late"
    rc = p.returncode if p.returncode >= 0 else 128 - p.returncode
    print(landed, opened, end, rc)


if __name__ == "__main__":
    main()
