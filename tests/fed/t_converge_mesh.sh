#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Six nodes in a full mesh (each pair connected once): every entry and
# proposal reaches most nodes over several paths at the same time.
#
# Defence checked: duplicates are not misbehaviour. A node hears of every new
# entry from several peers at once; it pulls from one of them at a time, and
# entries it already holds when a batch arrives are skipped (the overlap with
# its head). Without that (concurrent pulls of the same range, and no
# overlap check), the second copy fails the chain check and an honest peer
# is dropped: the scenario fails on any drop logged or counted in status.
source "$(dirname "$0")/lib.sh"

fed_network m1 m2 m3 m4 m5 m6
edges=""
for i in 1 2 3 4 5 6; do
    for j in 1 2 3 4 5 6; do
        [ "$i" -lt "$j" ] && edges="$edges m$i-m$j"
    done
done
fed_topology "$edges"
fed_start m1 m2 m3 m4 m5 m6
converge_scenario m1 m6 m4
echo "t_converge_mesh: OK"
