#!/usr/bin/env bash
# The ceiling any relay reaches on this machine, the peer of `Sandlock.Bench http`: minimal C relays of each kind (splice,
# recv/send, with the options a fast relay could set) against a direct loopback download, in one process, interleaved
# (relay-ceiling/relay.c).
#   bench/relay-ceiling.sh [MB] [ROUNDS]      defaults: 100 MB, 15 rounds
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="$(mktemp -d)"
trap 'rm -rf "$binary"' EXIT
cc -O2 -Wall -Wextra -o "$binary/relay" "$here/relay-ceiling/relay.c" -lpthread
"$binary/relay" "${1:-100}" "${2:-15}"
