#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A star of seven nodes: the hub (a regional node) and six leaves, one of
# them the Secretariat's node. Only the leaves name the hub; the hub names
# nobody. A proposal made at a leaf goes leaf -> hub -> Secretariat leaf, and
# the entries come back hub -> every leaf.
#
# Defence checked: connections are symmetric (docs/protocol.md §1): the hub
# has no configured peer, so it can only push through the connections the
# leaves opened to it. If a node pushed or served only on its own outgoing
# links, no leaf but the Secretariat would converge.
source "$(dirname "$0")/lib.sh"

fed_network hub sec leaf1 leaf2 leaf3 leaf4 leaf5
fed_topology "sec-hub leaf1-hub leaf2-hub leaf3-hub leaf4-hub leaf5-hub"
fed_start hub sec leaf1 leaf2 leaf3 leaf4 leaf5
converge_scenario sec leaf5 leaf3
echo "t_converge_star: OK"
