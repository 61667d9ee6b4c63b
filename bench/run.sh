#!/usr/bin/env bash
# Times sonde against tshark and tcpdump on synthetic captures of 1M and 4M
# packets and prints a Markdown table. Takes minutes: not part of the tests.
#
# usage: bench/run.sh [--quick] [--runs N] [--timeout S]
#   --quick      only the 1M-packet capture
#   --runs N     run each command N times and keep the fastest (default 1)
#   --timeout S  stop a command after S seconds, shown as ">S" (default 600)
set -euo pipefail

usage() { sed -n '2,8s/^# \{0,1\}//p' "$0"; }

quick=0
runs=1
limit=600
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --runs)
            [ $# -ge 2 ] || { usage >&2; exit 2; }
            runs="$2"; shift ;;
        --runs=*) runs="${1#--runs=}" ;;
        --timeout)
            [ $# -ge 2 ] || { usage >&2; exit 2; }
            limit="$2"; shift ;;
        --timeout=*) limit="${1#--timeout=}" ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
case "$runs" in
    ''|*[!0-9]*|0) echo "--runs needs a positive integer, not '$runs'" >&2; exit 2 ;;
esac
case "$limit" in
    ''|*[!0-9]*|0) echo "--timeout needs a positive integer, not '$limit'" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
gen="../shared/bench/gen_pcap.py"
out="bench/out"
sonde="target/release/sonde"
mkdir -p "$out"

log() { echo "bench: $*" >&2; }

if [ ! -x /usr/bin/time ]; then
    log "/usr/bin/time missing; installing the 'time' package"
    if [ "$(id -u)" -eq 0 ]; then apt-get install -y time >&2; else sudo apt-get install -y time >&2; fi
fi
[ -f "$gen" ] || { echo "generator not found: $root/$gen" >&2; exit 1; }

log "cargo build --release -p sonde"
cargo build --release -p sonde >&2

sizes=(1000000)
[ "$quick" -eq 1 ] || sizes+=(4000000)

# The generator finishes the conversation it is writing, so a file holds a
# few more packets than asked: count them (once; cached beside the file).
count_packets() {
    python3 - "$1" <<'EOF'
import struct, sys
n = 0
with open(sys.argv[1], 'rb') as f:
    f.read(24)
    while True:
        h = f.read(16)
        if len(h) < 16:
            break
        f.seek(struct.unpack('<IIII', h)[2], 1)
        n += 1
print(n)
EOF
}

files=()
for n in "${sizes[@]}"; do
    f="$out/gen-$((n / 1000000))M-seed1.pcap"
    if [ ! -s "$f" ]; then
        log "generating $f ($n packets, seed 1)"
        python3 "$gen" "$f.tmp" --packets "$n" --seed 1
        mv "$f.tmp" "$f"
        rm -f "$f.count"
    fi
    [ -s "$f.count" ] || count_packets "$f" >"$f.count"
    files+=("$f")
done

# time_best NAME CMD...: runs CMD (stdout to /dev/null) $runs times and sets
# best_wall (seconds) and best_rss (KB) from the fastest run; best_wall is
# ">$limit" when it ran out of time, "fail" when it failed.
time_best() {
    local name="$1"; shift
    local t="$out/time.txt" err="$out/stderr.txt" i wall rss rc
    best_wall=""; best_rss=""
    for ((i = 1; i <= runs; i++)); do
        rc=0
        timeout -s KILL "$limit" /usr/bin/time -f '%e %M' -o "$t" "$@" >/dev/null 2>"$err" || rc=$?
        if [ "$rc" -eq 137 ]; then
            log "stopped after ${limit} s: $name"; best_wall=">$limit"; best_rss=""; return 0
        elif [ "$rc" -ne 0 ]; then
            log "FAILED ($rc): $name"; cat "$err" >&2; best_wall="fail"; best_rss=""; return 0
        fi
        read -r wall rss <"$t"
        if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then
            best_wall="$wall"; best_rss="$rss"
        fi
    done
}

ratio() { # ratio A B: A/B with 1 decimal, or empty
    awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.1f×", a / b }'
}
mb() { # KB to MB, or empty
    awk -v k="$1" 'BEGIN { if (k ~ /^[0-9]+$/) printf "%.0f", k / 1024 }'
}

fields=(-T fields -e ip.src -e tcp.dstport)
host='http.host contains "debian"'
table="| file | packets | command | wall s | peak RSS MB | tshark/sonde wall | tshark/sonde RSS |
|---|---|---|---:|---:|---:|---:|"
for f in "${files[@]}"; do
    packets="$(cat "$f.count")"
    base="$(basename "$f")"
    # Each tshark row names the index of the sonde row it pairs with.
    names=("sonde read F"
           "sonde read F -T fields -e ip.src -e tcp.dstport"
           "sonde read F -Y 'tcp.port == 22'"
           "sonde read F -Y '$host'"
           "sonde stats conv tcp F"
           "tshark -r F"
           "tshark -r F -T fields -e ip.src -e tcp.dstport"
           "tshark -r F -Y 'tcp.port == 22'"
           "tshark -r F -Y '$host'"
           "tshark -q -z conv,tcp -r F"
           "tcpdump -nr F")
    pair=("" "" "" "" "" 0 1 2 3 4 "")
    walls=(); rsss=()
    for i in "${!names[@]}"; do
        case "$i" in
            0) cmd=("$sonde" read "$f") ;;
            1) cmd=("$sonde" read "$f" "${fields[@]}") ;;
            2) cmd=("$sonde" read "$f" -Y 'tcp.port == 22') ;;
            3) cmd=("$sonde" read "$f" -Y "$host") ;;
            4) cmd=("$sonde" stats conv tcp "$f") ;;
            5) cmd=(tshark -r "$f") ;;
            6) cmd=(tshark -r "$f" "${fields[@]}") ;;
            7) cmd=(tshark -r "$f" -Y 'tcp.port == 22') ;;
            8) cmd=(tshark -r "$f" -Y "$host") ;;
            9) cmd=(tshark -q -z conv,tcp -r "$f") ;;
            10) cmd=(tcpdump -nr "$f") ;;
        esac
        if ! command -v "${cmd[0]}" >/dev/null; then
            log "skipping (not installed): ${names[$i]}"
            walls+=("n/a"); rsss+=(""); continue
        fi
        log "$base: ${names[$i]} (best of $runs)"
        time_best "${names[$i]}" "${cmd[@]}"
        walls+=("$best_wall"); rsss+=("$best_rss")
        log "  -> ${best_wall} s, $(mb "$best_rss") MB"
    done
    for i in "${!names[@]}"; do
        rw=""; rr=""
        if [ -n "${pair[$i]}" ]; then
            j="${pair[$i]}"
            rw="$(ratio "${walls[$i]}" "${walls[$j]}")"
            rr="$(ratio "${rsss[$i]}" "${rsss[$j]}")"
        fi
        table+="
| $base | $packets | \`${names[$i]}\` | ${walls[$i]} | $(mb "${rsss[$i]}") | $rw | $rr |"
    done
done

echo "$table" | tee "$out/results.md"
log "table also in $out/results.md"
