# SPDX-License-Identifier: MIT
# Network namespaces for the tests that cut links (tests/fed/t_quiet_cut.sh,
# tests/campaign/partition.sh; docs/testing.md §3). Sourced before lib.sh.
#
# vl_netns_require WHO PREFIX: exit 1 (never a silent skip) unless this runs
# as root with ip (iproute2) and nft (nftables) and a namespace can be made;
# sets NSP=PREFIX-$$ for the caller's namespaces ("$NSP-NAME"), and deletes
# the PREFIX-PID-* namespaces of earlier runs whose process is gone (a run
# killed by SIGKILL leaves them behind).

vl_netns_cannot() { # WHO WHY...
    local who=$1
    shift
    echo "FAIL: $who cannot run: $*" >&2
    echo "  (it needs root, ip netns from iproute2 and nft from nftables; see docs/testing.md §3)" >&2
    exit 1
}

vl_netns_require() {
    local who=$1 pfx=$2 ns pid err
    [ "$(id -u)" -eq 0 ] ||
        vl_netns_cannot "$who" "not root (uid $(id -u)): network namespaces cannot be made"
    command -v ip >/dev/null || vl_netns_cannot "$who" "no ip command (Debian package iproute2)"
    command -v nft >/dev/null || vl_netns_cannot "$who" "no nft command (Debian package nftables)"
    NSP="$pfx-$$"
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$pfx-[0-9]+-" || true); do
        pid=${ns#"$pfx"-}
        pid=${pid%%-*}
        kill -0 "$pid" 2>/dev/null || ip netns del "$ns" 2>/dev/null || true
    done
    err=$(ip netns add "$NSP-probe" 2>&1) || vl_netns_cannot "$who" "ip netns add failed: $err"
    ip netns del "$NSP-probe"
}
