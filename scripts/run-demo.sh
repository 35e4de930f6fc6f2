#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what is missing, build, and run the demo on the built-in sample data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
VALISE="$PWD/build/valise" bash scripts/demo.sh
