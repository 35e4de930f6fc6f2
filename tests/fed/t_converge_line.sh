#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Six nodes in a line, n1 - n2 - n3 - n4 - n5 - n6, the Secretariat's node at
# one end (n1). Proposals made at the far end (n6, n5) must cross four or five
# relays to reach the Secretariat; its approvals and rejection must cross
# them back.
#
# Defence checked: store and forward. Every member serves and announces
# everything it holds, whoever made it: a node that only served its own
# entries or proposals (or did not push when its head moved) would leave n6
# behind and the wait for convergence times out.
source "$(dirname "$0")/lib.sh"

fed_network n1 n2 n3 n4 n5 n6
# Connections alternate direction, so relaying must work over in- and
# out-connections alike.
fed_topology "n2-n1 n2-n3 n4-n3 n4-n5 n6-n5"
fed_start n1 n2 n3 n4 n5 n6
converge_scenario n1 n6 n5
echo "t_converge_line: OK"
