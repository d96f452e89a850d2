#!/usr/bin/env bash
# Writes src/Sandlock.Cli/startup-methods.txt: the managed methods the NativeAOT sandlock calls in a few typical starts,
# in the order of their first call. The CLI's build hands it to ILCompiler (IlcOrderFile), which lays those methods
# out first and together, so a start touches a few hundred kilobytes of code instead of pages spread over 4.6 MB (each
# first touch of a page is a page fault). Methods the list does not name (new or renamed since) are laid out after it,
# as before; run this again when the start-up path changes.
#
#   bench/startup-order.sh      publishes the CLI, traces its starts (bench/Sandlock.StartupOrder) and rewrites the list
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dotnet publish "$root/src/Sandlock.Cli" -c Release -nologo -v:q >&2
dotnet build "$root/bench/Sandlock.StartupOrder" -c Release -nologo -v:q >&2
native="$root/artifacts/bin/Sandlock.Cli/release/native"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

reads=(-r /usr -r /lib -r /bin)
[[ -d /lib64 ]] && reads+=(-r /lib64)
"$root/artifacts/bin/Sandlock.StartupOrder/release/Sandlock.StartupOrder" "$root/src/Sandlock.Cli/startup-methods.txt" \
    "$native/sandlock" "$native/sandlock.dbg" -- \
    --version \
    --- run "${reads[@]}" -- /bin/true \
    --- run "${reads[@]}" -- /bin/cat /etc/shadow \
    --- run "${reads[@]}" -w "$work" --time-start 2000-01-01T00:00:00Z --random-seed 1 -- /bin/sh -c "date; head -c 8 /dev/urandom > $work/r; ls /" \
    --- check >/dev/null
