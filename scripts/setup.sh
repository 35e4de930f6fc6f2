#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install whatever Debian 12 packages valise needs and are missing, then build
# it (release build in build/, and with --asan also build-asan/).
#   bash scripts/setup.sh [--asan]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  gcc make cmake pkg-config            # toolchain
  libsodium-dev liblmdb-dev libmsgpack-dev libjansson-dev libzmq3-dev  # the libraries
  libzstd-dev zstd                     # record bodies are compressed (libzstd); zstd: the vector check
  libmicrohttpd-dev                    # valise serve and valise-node's metrics endpoint
  chromium                             # t_browser drives a headless browser; t_edition_pdf prints with it
  lmdb-utils                           # mdb_dump/mdb_load: the tests edit a store behind its back
  iso-codes                            # State list for the sample generator
  openssl                              # independent Ed25519 check of the test vectors
  python3                              # the test scripts read JSON with /usr/bin/python3
  poppler-utils                        # t_edition_pdf reads the PDF Chromium prints (pdfinfo, pdftotext)
  help2man                             # the man pages, generated from --help at build time
  dpkg-dev                             # cpack -G DEB: dpkg-shlibdeps computes the package's Depends
  systemd                              # build_t_package: systemd-analyze verify of the unit
  man-db                               # build_t_package reads the man pages with man -l
  bsdutils                             # script(1): t_progress runs commands under a pseudo-terminal
  clang libclang-rt-14-dev             # fuzz_replay (ASan build): the libFuzzer harnesses of tests/fuzz/
  iproute2 nftables                    # campaign_partition: network namespaces (ip netns, ss), cuts in a bridge (nft)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVL_WERROR=ON >/dev/null
cmake --build build -j "$jobs" >/dev/null
echo "setup: built build/valise"
if [ "${1:-}" = "--asan" ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVL_SANITIZE=ON -DVL_WERROR=ON >/dev/null
  cmake --build build-asan -j "$jobs" >/dev/null
  echo "setup: built build-asan/ (ASan + UBSan)"
fi
