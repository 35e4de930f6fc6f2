#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build (release) and run the single-node benchmark; figures go to stdout.
#   bash bench/run.sh [--entries N]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
./build/vl_bench "$@"
