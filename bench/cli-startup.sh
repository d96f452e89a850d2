#!/usr/bin/env bash
# Start-up of the NativeAOT sandlock CLI against its peers, measured in one run on this machine:
#   sandlock run /bin/true   vs  bubblewrap (--unshare-all, the same read-only binds)  vs  a bare /bin/true
#   sandlock --version       vs  a bare /bin/true
#   --time-start on date     vs  faketime on date (each as its cost over the same command without it)
#   the C# API (new Sandbox, Start, WaitAsync)  vs  Process.Start, in one process (bench/Sandlock.Bench spawn)
# Prints a table of medians and the ratios the goals are stated in. Uses hyperfine when installed (apt-get
# install hyperfine), else a timing loop of its own (median of RUNS runs).
#
#   bench/cli-startup.sh                 publishes the CLI (dotnet publish src/Sandlock.Cli -c Release), then measures
#   SANDLOCK=/path/to/sandlock bench/cli-startup.sh    measures that binary instead
#   RUNS=300 ROUNDS=6 bench/cli-startup.sh   runs per command (default 200) and rounds they are spread over (5)
#   API_ROUNDS=0 bench/cli-startup.sh        skips the API row (default 200 rounds; needs the dotnet SDK)
#   UNPRIVILEGED_UID=0 bench/cli-startup.sh  skips the pair run as an unprivileged user (run as root, the script also
#                                            times sandlock and bubblewrap as uid 65534, or the uid given: the way
#                                            most users run them, bubblewrap then in a user namespace of its own)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${RUNS:-200}"
warmup=10

if [[ -z "${SANDLOCK:-}" ]]; then
    echo "publishing the NativeAOT CLI ..." >&2
    dotnet publish "$root/src/Sandlock.Cli" -c Release -nologo -v:q >&2
    SANDLOCK="$(ls -d "$root"/artifacts/publish/Sandlock.Cli/release*/sandlock | head -n 1)"
fi
[[ -x "$SANDLOCK" ]] || { echo "no sandlock binary at '$SANDLOCK'" >&2; exit 2; }

# The peers come from apt when missing; without them their rows say so and the rest is still measured.
ensure() {
    local command="$1" package="$2"
    command -v "$command" >/dev/null 2>&1 && return 0
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        apt-get install -y -qq "$package" >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$package" >/dev/null 2>&1; } || true
    fi
    command -v "$command" >/dev/null 2>&1
}
have_bwrap=1; ensure bwrap bubblewrap || have_bwrap=0
have_faketime=1; ensure faketime faketime || have_faketime=0
have_hyperfine=1; ensure hyperfine hyperfine || have_hyperfine=0

binds=(-r /usr -r /lib -r /bin)
bwrap_binds=(--ro-bind /usr /usr --ro-bind /lib /lib --ro-bind /bin /bin)
if [[ -d /lib64 ]]; then binds+=(-r /lib64); bwrap_binds+=(--ro-bind /lib64 /lib64); fi
time_start="2000-01-01T00:00:00Z"

# Commands are measured in rounds, each round every command once in turn (RUNS/ROUNDS runs each), and a command's
# figure is the median of its round medians: a load change on a shared machine then shifts every command alike
# instead of the one measured at that moment.
rounds="${ROUNDS:-5}"
names=()
declare -A commands=()
add() { local name="$1"; shift; names+=("$name"); commands[$name]="$(printf '%q ' "$@")"; }

# A command named unprivileged-* runs as $unprivileged_uid: hyperfine itself is started under setpriv, so the
# switch of user is not part of the time.
measure_once() {
    local command="$1" per_round=$((runs / rounds)) as_user=()
    [[ "$2" == unprivileged-* ]] && as_user=(setpriv --reuid="$unprivileged_uid" --regid="$unprivileged_uid" --clear-groups env HOME=/tmp)
    if [[ $have_hyperfine -eq 1 ]]; then
        local csv
        csv="$(mktemp)"
        chmod 666 "$csv"
        "${as_user[@]}" hyperfine -N -w "$warmup" -r "$per_round" --export-csv "$csv" --style none -- "$command" >/dev/null 2>&1
        awk -F, 'NR == 2 { printf "%.3f:%.3f", $4 * 1000, ($5 + $6) * 1000 }' "$csv"
        rm -f "$csv"
    else
        local i start end
        eval "set -- ${as_user[*]@Q} $command"
        for ((i = 0; i < warmup; i++)); do "$@" >/dev/null 2>&1; done
        for ((i = 0; i < per_round; i++)); do
            start=$(date +%s%N); "$@" >/dev/null 2>&1; end=$(date +%s%N)
            echo $(((end - start) / 1000))
        done | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f:", a[int((NR + 1) / 2)] / 1000 }'
    fi
}

# WALL:CPU per round; CPU (user + system of the command and its children, mean) only with hyperfine. CPU time is
# what a busy machine disturbs least: wall time there includes waiting for a core.
declare -A samples=()
measure_all() {
    local round name
    for ((round = 1; round <= rounds; round++)); do
        echo "round $round of $rounds" >&2
        for name in "${names[@]}"; do samples[$name]+="$(measure_once "${commands[$name]}" "$name") "; done
    done
}

# The median of a command's round figures, in ms: wall (field 1) or CPU (field 2, "-" without hyperfine).
median_of() { echo "${samples[$1]}" | tr ' ' '\n' | grep . | cut -d: -f"$2" | grep . | sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else printf "%.2f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ms() { median_of "$1" 1; }
cpu() { median_of "$1" 2; }

# Each command must work before it is timed: a failing sandbox would be measured as a fast one.
check() { "$@" >/dev/null 2>&1 || { echo "does not run: $*" >&2; exit 1; }; }
check "$SANDLOCK" run "${binds[@]}" -- /bin/true
check "$SANDLOCK" run --time-start "$time_start" "${binds[@]}" -- /bin/date

add bare /bin/true
add run "$SANDLOCK" run "${binds[@]}" -- /bin/true
add version "$SANDLOCK" --version
add date /bin/date
add sandboxed-date "$SANDLOCK" run "${binds[@]}" -- /bin/date
add time-start-date "$SANDLOCK" run --time-start "$time_start" "${binds[@]}" -- /bin/date
if [[ $have_bwrap -eq 1 ]] && bwrap --unshare-all "${bwrap_binds[@]}" -- /bin/true >/dev/null 2>&1; then
    add bwrap bwrap --unshare-all "${bwrap_binds[@]}" -- /bin/true
else
    have_bwrap=0
fi
if [[ $have_faketime -eq 1 ]] && faketime "2000-01-01 00:00:00" /bin/date >/dev/null 2>&1; then
    add faketime-date faketime "2000-01-01 00:00:00" /bin/date
else
    have_faketime=0
fi

# The same pair as an unprivileged user, when the script runs as root and that user can run this binary.
unprivileged_uid="${UNPRIVILEGED_UID:-65534}"
have_unprivileged=0
as_unprivileged() { setpriv --reuid="$unprivileged_uid" --regid="$unprivileged_uid" --clear-groups env HOME=/tmp "$@"; }
if [[ $(id -u) -eq 0 && "$unprivileged_uid" -ne 0 && $have_bwrap -eq 1 ]] && command -v setpriv >/dev/null 2>&1 \
    && as_unprivileged "$SANDLOCK" run "${binds[@]}" -- /bin/true >/dev/null 2>&1 \
    && as_unprivileged bwrap --unshare-all "${bwrap_binds[@]}" -- /bin/true >/dev/null 2>&1; then
    have_unprivileged=1
    add unprivileged-bwrap bwrap --unshare-all "${bwrap_binds[@]}" -- /bin/true
    add unprivileged-run "$SANDLOCK" run "${binds[@]}" -- /bin/true
fi

# The API row: its own process, since Process.Start and the library are measured inside one .NET process.
api_rounds="${API_ROUNDS:-200}"
api_out=""
if [[ "$api_rounds" -gt 0 ]] && command -v dotnet >/dev/null 2>&1; then
    echo "measuring the API against Process.Start ($api_rounds rounds) ..." >&2
    api_out="$(dotnet run -c Release --project "$root/bench/Sandlock.Bench" -- spawn "$api_rounds" 2>&1)" \
        || { echo "skipped the API row: bench/Sandlock.Bench failed: $api_out" >&2; api_out=""; }
fi

echo "measuring: $runs runs of each command in $rounds rounds$([[ $have_hyperfine -eq 1 ]] && echo ' (hyperfine)' || echo ' (own loop; hyperfine not installed)')" >&2
measure_all

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-" && b > 0) printf "%.2f", a / b; else print "-" }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-") printf "%.2f", a - b; else print "-" }'; }
row() { printf '| %-56s | %7s | %7s | %s |\n' "$1" "$2" "$3" "$4"; }
line() { row "$1" "$(ms "$2")" "$(cpu "$2")" "$3"; }
# "wall ratio (cpu ratio) peer"
versus() { echo "$(ratio "$(ms "$1")" "$(ms "$2")")x ($(ratio "$(cpu "$1")" "$(cpu "$2")")x cpu) $3"; }

echo
echo "sandlock: $SANDLOCK"
echo "machine: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
row "median of $rounds rounds of $((runs / rounds)) runs" "wall ms" "cpu ms" "ratio (wall, cpu)"
row "---" "---:" "---:" "---"
line "bare /bin/true" bare ""
if [[ $have_bwrap -eq 1 ]]; then
    line "bwrap --unshare-all, read-only /usr /lib /bin: /bin/true" bwrap "$(versus bwrap bare bare)"
    line "sandlock run, the same read-only paths: /bin/true" run "$(versus run bwrap bwrap) <- goal <= 1"
else
    echo "skipped: bubblewrap not installed" >&2
    row "bwrap /bin/true" "skipped" "" "bubblewrap not installed"
    line "sandlock run, read-only /usr /lib /bin: /bin/true" run "$(versus run bare bare)"
fi
if [[ $have_unprivileged -eq 1 ]]; then
    line "as uid $unprivileged_uid: bwrap --unshare-all (a user namespace)" unprivileged-bwrap "$(versus unprivileged-bwrap bare bare)"
    line "as uid $unprivileged_uid: sandlock run, the same" unprivileged-run "$(versus unprivileged-run unprivileged-bwrap bwrap) <- goal <= 1"
elif [[ $(id -u) -eq 0 ]]; then
    echo "skipped: the unprivileged pair (UNPRIVILEGED_UID=0, no setpriv or bubblewrap, or uid $unprivileged_uid cannot run $SANDLOCK or bwrap)" >&2
fi
line "sandlock --version" version "$(versus version bare bare) <- goal <= 10 ms wall"
line "bare /bin/date" date ""
line "sandlock run /bin/date" sandboxed-date ""
line "sandlock run --time-start /bin/date" time-start-date ""
time_start_wall=$(minus "$(ms time-start-date)" "$(ms sandboxed-date)")
time_start_cpu=$(minus "$(cpu time-start-date)" "$(cpu sandboxed-date)")
row "  cost of --time-start (over the same sandbox)" "$time_start_wall" "$time_start_cpu" ""
if [[ $have_faketime -eq 1 ]]; then
    line "faketime /bin/date" faketime-date ""
    faketime_wall=$(minus "$(ms faketime-date)" "$(ms date)")
    faketime_cpu=$(minus "$(cpu faketime-date)" "$(cpu date)")
    row "  cost of faketime (over bare date)" "$faketime_wall" "$faketime_cpu" \
        "--time-start / faketime: $(ratio "$time_start_wall" "$faketime_wall")x ($(ratio "$time_start_cpu" "$faketime_cpu")x cpu) <- goal <= 1"
else
    echo "skipped: faketime not installed" >&2
    row "faketime /bin/date" "skipped" "" "faketime not installed"
fi
# SpawnBenchmark prints "  NAME   MEDIAN us   ratio R"; the first line is Process.Start, the second the confined API.
api_field() { echo "$api_out" | grep -F -- "$1" | head -n 1 | awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "us") { printf "%.2f", $i / 1000; exit } }'; }
if [[ -n "$api_out" ]]; then
    process_start=$(api_field 'Process.Start(')
    api=$(api_field 'Sandbox: Landlock fs+net+scopes')
    row "Process.Start(\"/bin/true\") in a .NET process" "$process_start" "" ""
    row "the API, read-only /usr /lib /bin /etc: /bin/true" "$api" "" "$(ratio "$api" "$process_start")x Process.Start"
else
    [[ "$api_rounds" -gt 0 ]] && echo "skipped: the API row (no dotnet SDK or the bench failed)" >&2
    row "the API vs Process.Start" "skipped" "" "API_ROUNDS=0, no dotnet SDK or the bench failed"
fi
