#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian package: `cpack -G DEB` of this build tree, its metadata and
# files (dpkg-deb -I/-c), then the package unpacked into a throw-away root:
# the programs run from there, a node configured the way the systemd unit
# runs it (key and passphrase as systemd credentials) passes --check, the man
# pages read, the completions parse and complete, and `systemd-analyze verify`
# accepts the unit (and refuses a broken copy, so the check can fail).
#   bash tests/build/t_package.sh BUILD_DIR
set -euo pipefail
B=$(cd "${1:?usage: t_package.sh BUILD_DIR}" && pwd)
SRC=${VL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
mkdir -p "$B/tmp"
T=$(mktemp -d "$B/tmp/package.XXXXXX")
trap 'rc=$?; if [ $rc -eq 0 ]; then rm -rf "$T"; else echo "(test files kept in $T)" >&2; fi' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in cpack dpkg-deb systemd-analyze help2man; do
    command -v "$tool" >/dev/null || fail "$tool is missing (bash scripts/setup.sh installs it)"
done

# 1. Build the package into the temp dir.
(cd "$B" && cpack -G DEB -B "$T/out") >"$T/cpack.log" 2>&1 || fail "cpack: $(cat "$T/cpack.log")"
debs=("$T"/out/valise_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one valise_*.deb in $T/out"
deb=${debs[0]}
version=$(sed -n 's/^project(valise VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
[ -n "$version" ] || fail "no project version in CMakeLists.txt"

# 2. Metadata.
dpkg-deb -I "$deb" >"$T/info"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = valise ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), project says $version"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
# Fields are read into variables first: `field X | grep -q` fails under
# pipefail whenever grep exits before dpkg-deb has written everything.
desc=$(field Description)
grep -q 'competent' <<<"$desc" || fail "Description: $desc"
depends=$(field Depends)
for lib in libsodium23 liblmdb0 libmsgpackc2 libjansson4 libzmq5 libmicrohttpd12 libzstd1; do
    grep -Eq "(^|, )$lib( |,|$)" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
grep -q ' postinst' "$T/info" || fail "no postinst (creates the valise user)"

# 3. Files.
dpkg-deb -c "$deb" | awk '{print $1, $NF}' >"$T/files"
want() {  # want MODE-PREFIX PATH
    grep -Eq "^$1[^ ]* \./$2\$" "$T/files" || fail "package lacks $2 (mode $1...): $(cat "$T/files")"
}
want -rwxr-xr-x usr/bin/valise
want -rwxr-xr-x usr/bin/valise-node
want -rw-r--r-- 'usr/lib/systemd/system/valise-node@\.service'
want -rw-r--r-- 'usr/lib/systemd/system/valise-backup@\.service'
want -rw-r--r-- 'usr/lib/systemd/system/valise-backup@\.timer'
want -rw-r--r-- usr/lib/sysusers.d/valise.conf
want -rw-r--r-- usr/share/doc/valise/examples/node.json
want -rw-r--r-- usr/share/doc/valise/operator.md
want -rw-r--r-- usr/share/man/man1/valise.1.gz
want -rw-r--r-- usr/share/man/man8/valise-node.8.gz
want -rw-r--r-- usr/share/bash-completion/completions/valise
want -rw-r--r-- usr/share/bash-completion/completions/valise-node

# 4. Unpack into a throw-away root; the programs run from there.
R=$T/root
dpkg-deb -x "$deb" "$R"
V=$R/usr/bin/valise N=$R/usr/bin/valise-node
"$V" --version | grep -q "^valise $version (protocol " || fail "valise --version: $("$V" --version)"
"$N" --version | grep -q "^valise-node $version (protocol " || fail "valise-node --version"
python3 -m json.tool "$R/usr/share/doc/valise/examples/node.json" >/dev/null ||
    fail "the example config is not JSON"

# 5. A node set up as docs/operator.md §12 says, run as the unit runs it:
# config without key and pass_file, both given as systemd credentials.
export VALISE_PASSPHRASE="correct horse battery staple" VALISE_NOW=1717200000
export VALISE_STATE_DIR=$T/state
cd "$T"
for k in sec node1; do
    "$V" keygen --out "$T/$k" --kdf interactive >/dev/null || fail "keygen $k"
done
# the peer the example config names
"$V" keygen --out "$T/secnode" --label secretariat-node --kdf interactive >/dev/null ||
    fail "keygen secretariat-node"
"$V" genesis create --name "package test" --threshold 1 --approver "$T/sec.pub" \
    --node "$T/node1.pub" "$T/secnode.pub" --out "$T/genesis.vlg" >/dev/null || fail "genesis create"
"$V" genesis sign "$T/genesis.vlg" --key "$T/sec.key" >/dev/null || fail "genesis sign"
mkdir -p "$T/lib/node1"
"$V" init --genesis "$T/genesis.vlg" --key "$T/node1.key" --store "$T/lib/node1/store" \
    >/dev/null || fail "init"
mkdir -p "$T/cred" "$T/etc"
cp "$T/node1.key" "$T/cred/key"
printf '%s\n' "$VALISE_PASSPHRASE" >"$T/cred/passphrase"
chmod 0400 "$T/cred/key" "$T/cred/passphrase"
sed -e "s|/var/lib/valise/node1/store|$T/lib/node1/store|" -e 's|"metrics": "127.0.0.1:9464"|"metrics": "127.0.0.1:0"|' \
    "$R/usr/share/doc/valise/examples/node.json" >"$T/etc/node1.json"
unset VALISE_PASSPHRASE
CREDENTIALS_DIRECTORY=$T/cred "$N" --config "$T/etc/node1.json" --check >"$T/check" 2>&1 ||
    fail "valise-node --check with credentials: $(cat "$T/check")"
# the credential is what made it pass: without it there is no key
if "$N" --config "$T/etc/node1.json" --check >"$T/check" 2>&1; then
    fail "valise-node --check passed with no key anywhere"
fi
grep -q 'systemd credential "key"' "$T/check" || fail "no key: $(cat "$T/check")"
# a credential with a wrong passphrase is refused
printf 'wrong\n' >"$T/cred/pw2"; chmod 0400 "$T/cred/pw2"
chmod u+w "$T/cred/passphrase"; mv "$T/cred/pw2" "$T/cred/passphrase"
if CREDENTIALS_DIRECTORY=$T/cred "$N" --config "$T/etc/node1.json" --check >"$T/check" 2>&1; then
    fail "valise-node --check passed with a wrong passphrase credential"
fi

# 6. Man pages.
for m in man1/valise.1.gz man8/valise-node.8.gz; do
    f=$R/usr/share/man/$m
    if command -v man >/dev/null; then
        MANWIDTH=80 man -l "$f" 2>"$T/manerr" >"$T/man" || fail "man -l $m: $(cat "$T/manerr")"
        [ ! -s "$T/manerr" ] || fail "man -l $m warns: $(cat "$T/manerr")"
    else
        zcat "$f" >"$T/man"
    fi
    grep -q 'NAME' "$T/man" || fail "$m has no NAME section"
    grep -q -- '--help' "$T/man" || fail "$m does not show the options"
done
zcat "$R/usr/share/man/man1/valise.1.gz" >"$T/valise.1"
grep -q 'valise approve' "$T/valise.1" || fail "valise(1) lacks the commands' help"

# 7. Completion: parses, and completes commands and a command's options.
for c in valise valise-node; do
    bash -n "$R/usr/share/bash-completion/completions/$c" || fail "bash -n completion $c"
done
complete_words() {  # complete_words FILE FUNC WORD...: the completions of the last word
    local file=$1 func=$2; shift 2
    bash -c 'source "$1"; f=$2; shift 2; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); "$f";
             printf "%s\n" "${COMPREPLY[@]}"' _ "$file" "$func" "$@"
}
C=$R/usr/share/bash-completion/completions
complete_words "$C/valise" _valise "$V" ap | grep -qx approve || fail "completion: valise ap"
complete_words "$C/valise" _valise "$V" --store x ver | grep -qx verify ||
    fail "completion: valise --store x ver"
complete_words "$C/valise" _valise "$V" approve --a | grep -qx -- --all ||
    fail "completion: valise approve --a"
complete_words "$C/valise-node" _valise_node "$N" --ch | grep -qx -- --check ||
    fail "completion: valise-node --ch"

# 8. systemd-analyze verify on the unpacked unit. The root holds the package
# plus what the unit names from the base system: /bin/kill (procps) and
# systemd's targets; Documentation=man: is looked up in the root's man pages.
U=$R/usr/lib/systemd/system
mkdir -p "$R/bin"
cp /bin/kill "$R/bin/kill"
cp /lib/systemd/system/*.target "$U/"
verify() {  # verify UNIT: no output at all, status 0
    MANPATH=$R/usr/share/man systemd-analyze verify --root="$R" "/usr/lib/systemd/system/$1" \
        >"$T/verify" 2>&1 && [ ! -s "$T/verify" ]
}
verify valise-node@node1.service || fail "systemd-analyze verify: $(cat "$T/verify")"
unit=$U/valise-node@.service
for key in User=valise ProtectSystem=strict NoNewPrivileges=yes 'CapabilityBoundingSet=' \
           'StateDirectory=valise/%i' 'LoadCredential=passphrase:/etc/valise/%i.pass' \
           'LoadCredential=key:/etc/valise/%i.key' 'ExecStart=/usr/bin/valise-node --config /etc/valise/%i.json' \
           'ExecReload=/bin/kill -HUP $MAINPID' Restart=on-failure; do
    grep -qxF "$key" "$unit" || fail "the unit lacks $key"
done
# negative controls: the same check refuses a broken unit
cp "$unit" "$T/unit.good"
sed -i 's|^ExecStart=/usr/bin/valise-node|ExecStart=/usr/bin/valise-nodeX|' "$unit"
if verify valise-node@node1.service; then fail "verify accepted a missing ExecStart program"; fi
cp "$T/unit.good" "$unit"
sed -i 's|^ProtectSystem=strict|ProtectSystm=strict|' "$unit"
if verify valise-node@node1.service; then fail "verify accepted an unknown directive"; fi
cp "$T/unit.good" "$unit"
verify valise-node@node1.service || fail "verify after restore: $(cat "$T/verify")"
# the backup unit and timer; they name /bin/sh and /usr/bin/find of the base system
cp /bin/sh "$R/bin/sh"
cp /usr/bin/find "$R/usr/bin/find"
verify valise-backup@node1.service || fail "verify valise-backup@.service: $(cat "$T/verify")"
verify valise-backup@node1.timer || fail "verify valise-backup@.timer: $(cat "$T/verify")"
# its ExecStart, specifiers expanded as systemd does for valise-backup@node1
# and the paths moved into the temp dir, makes a backup of the test's store
mkdir -p "$T/backups"
cmd=$(sed -n 's/^ExecStart=//p' "$U/valise-backup@.service" |
      sed -e 's/%i/node1/g' -e 's/%%/%/g' -e 's/\$\$/$/g' -e "s|/var/lib/valise|$T/lib|g" \
          -e "s|/var/backups/valise|$T/backups|g" -e "s|/usr/bin/valise|$V|g" \
          -e "s|^/bin/sh -c '\(.*\)'\$|\1|")
VALISE_STATE_DIR=$T/lib/node1/mark sh -c "$cmd" >"$T/backup.out" 2>&1 ||
    fail "the backup unit's command: $cmd: $(cat "$T/backup.out")"
ls "$T/backups" | grep -Eq '^node1-[0-9]{8}T[0-9]{6}Z\.vlb$' ||
    fail "the backup unit's command made no node1-TIME.vlb: $(ls "$T/backups")"
echo "package: ok ($(basename "$deb"), $(wc -l <"$T/files") entries)"
