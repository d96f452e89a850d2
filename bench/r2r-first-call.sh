#!/usr/bin/env bash
# Does ReadyToRun code for Sandlock.Core shorten the first sandboxed run of a fresh process (an MSBuild node, a
# test host)? Publishes bench/Sandlock.Bench twice, as is (JIT) and with ReadyToRun (Sandlock.Core precompiled), and
# runs "first-call" in each, alternately, RUNS times: the first Sandbox.RunAsync of the process, then a second.
#   bench/r2r-first-call.sh            RUNS=40 by default
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${RUNS:-40}"
case "$(uname -m)" in aarch64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "publishing JIT and ReadyToRun builds of bench/Sandlock.Bench ($rid) ..." >&2
dotnet publish "$root/bench/Sandlock.Bench" -c Release -r "$rid" --self-contained false -nologo -v:q -o "$out/jit" >&2
dotnet publish "$root/bench/Sandlock.Bench" -c Release -r "$rid" --self-contained false -nologo -v:q -o "$out/r2r" -p:PublishReadyToRun=true >&2

for ((i = 0; i < runs; i++)); do
    "$out/jit/Sandlock.Bench" first-call >>"$out/jit.txt"
    "$out/r2r/Sandlock.Bench" first-call >>"$out/r2r.txt"
done

median() { cut -d' ' -f"$2" "$1" | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
jit_first=$(median "$out/jit.txt" 1); r2r_first=$(median "$out/r2r.txt" 1)
jit_second=$(median "$out/jit.txt" 2); r2r_second=$(median "$out/r2r.txt" 2)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo
echo "machine: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| median of $runs processes | JIT ms | ReadyToRun ms | ReadyToRun / JIT |"
echo "|---|---:|---:|---:|"
echo "| first Sandbox.RunAsync of /bin/true in the process | $jit_first | $r2r_first | $(ratio "$r2r_first" "$jit_first") |"
echo "| second one | $jit_second | $r2r_second | $(ratio "$r2r_second" "$jit_second") |"
