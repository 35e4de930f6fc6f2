#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what is missing, build, and run the demos on the built-in sample
# data: the single-node story (scripts/demo.sh), then the federation of five
# valise-node daemons on loopback (scripts/demo-federation.sh), which ends
# with every node's log head and state root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
VALISE="$PWD/build/valise" bash scripts/demo.sh
printf '\n\n######## The federation ########\n'
VALISE="$PWD/build/valise" VALISE_NODE="$PWD/build/valise-node" bash scripts/demo-federation.sh
