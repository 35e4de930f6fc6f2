#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build (release) and run the bundle benchmark (docs/performance.md,
# "Bundles"); figures go to stdout.
#   bash bench/bundle.sh [--entries N] [--dir DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; $(nproc) cpus)"
./build/vl_bundlebench "$@"
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
