# SPDX-License-Identifier: MIT
# serve_lib.sh - starting and asking `valise serve` in the tests (sourced
# after lib.sh, never run).
#
#   serve_start [ARGS...]  start `valise serve --listen 127.0.0.1:0 ARGS...` in
#                          the background; sets SPID and PORT (from its line)
#   serve_stop             SIGTERM; it must exit 0 (store closed, key wiped)
#   req METHOD PATH [HEADER: VALUE]...
#                          one HTTP request with python3's http.client; the
#                          status on stdout, the headers (lower-case names) in
#                          $T/hdr, the body in $T/body. Host is 127.0.0.1:PORT
#                          unless a Host header is given.

SPID=""
PORT=""
trap 'rc=$?; if [ -n "$SPID" ]; then kill "$SPID" 2>/dev/null || true; fi
      if [ $rc -eq 0 ]; then rm -rf "$T"; else echo "(test files kept in $T)" >&2; fi' EXIT

serve_start() {
    "$VALISE" serve --listen 127.0.0.1:0 "$@" >"$T/serve.out" 2>"$T/serve.err" &
    SPID=$!
    local i
    for i in $(seq 1 200); do
        if grep -q '^valise serve: http://' "$T/serve.out" 2>/dev/null; then break; fi
        kill -0 "$SPID" 2>/dev/null || fail "valise serve exited: $(cat "$T/serve.err")"
        sleep 0.05
    done
    PORT=$(sed -n 's|^valise serve: http://127\.0\.0\.1:\([0-9][0-9]*\)/ (Ctrl-C to stop)$|\1|p' "$T/serve.out")
    [ -n "$PORT" ] || fail "valise serve printed no URL line: $(cat "$T/serve.out" "$T/serve.err")"
}

serve_stop() {
    kill -TERM "$SPID"
    local rc=0
    wait "$SPID" || rc=$?
    SPID=""
    [ "$rc" -eq 0 ] || fail "valise serve exited $rc on SIGTERM: $(cat "$T/serve.err")"
}

req() {
    /usr/bin/python3 - "$PORT" "$T" "$@" <<'PY'
import http.client, sys
port, t, method, path = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
headers = {}
for h in sys.argv[5:]:
    k, v = h.split(":", 1)
    headers[k.strip()] = v.strip()
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=20)
c.putrequest(method, path, skip_host="Host" in headers, skip_accept_encoding=True)
for k, v in headers.items():
    c.putheader(k, v)
c.endheaders()
r = c.getresponse()
body = r.read()
with open(t + "/hdr", "w") as f:
    for k, v in r.getheaders():
        f.write("%s: %s\n" % (k.lower(), v))
with open(t + "/body", "wb") as f:
    f.write(body)
print(r.status)
PY
}

# status_is WANT METHOD PATH [HEADER]...: the request's status must be WANT.
status_is() {
    local want=$1 got
    shift
    got=$(req "$@") || fail "request $* failed"
    [ "$got" = "$want" ] || fail "$* answered $got, expected $want: $(head -c 600 "$T/body")"
}
