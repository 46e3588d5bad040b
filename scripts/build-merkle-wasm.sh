#!/bin/sh
# Rebuild shared/evidence/wasm/merkle-sha256.wasm from merkle-sha256.c. The .wasm is checked in,
# so installs and deploys need no C toolchain; run this after editing the C source.
# Needs clang and lld with the wasm32 target (Debian 12: apt-get install clang lld; clang 14 used).
set -eu
cd "$(dirname "$0")/../shared/evidence/wasm"
clang --target=wasm32 -O3 -msimd128 -nostdlib -fno-builtin -Wl,--no-entry -Wl,--strip-all \
  -o merkle-sha256.wasm merkle-sha256.c
echo "merkle-sha256.wasm: $(wc -c < merkle-sha256.wasm) bytes, sha256 $(sha256sum merkle-sha256.wasm | cut -c1-16)"
