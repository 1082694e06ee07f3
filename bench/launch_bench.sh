#!/usr/bin/env bash
# Launch rate near the machine's limit, all peers in one run on the same inputs:
#   shoal run -j2 true  |  xargs -P2 -n1 true  |  parallel -j2 true  |  minilauncher 2 true (the limit)
# Rounds interleave the rows so that machine noise spreads over all of them; the table reports the
# median launches/s per row and Shoal's ratios, each taken within a round, then the median.
#   bench/launch_bench.sh BUILD_DIR [N=5000] [ROUNDS=3]
# SHOAL_COMPARE=OTHER_BUILD_DIR adds that build's shoal as a row (a change, before and after, in
# one run).
set -euo pipefail
build=${1:-build}
n=${2:-5000}
rounds=${3:-3}
shoal=$build/bin/shoal
mini=$build/bin/minilauncher
[ -x "$shoal" ] && [ -x "$mini" ] || { echo "build first: $shoal, $mini" >&2; exit 1; }
command -v parallel >/dev/null || { echo "GNU parallel is missing (./dev.sh bench installs it)" >&2; exit 1; }
truebin=$(type -P true)
inputs=$(mktemp)
trap 'rm -f "$inputs"' EXIT
seq "$n" > "$inputs"

now() { date +%s.%N; }
rate() { # name command...
    local t0 t1
    t0=$(now)
    "$@" > /dev/null || { echo "failed: $*" >&2; exit 1; }
    t1=$(now)
    echo "$n / ($t1 - $t0)" | bc -l
}

declare -A rates
rows=(limit shoal xargs parallel)
other=${SHOAL_COMPARE:+$SHOAL_COMPARE/bin/shoal}
[ -z "$other" ] || rows+=(other)
for r in $(seq "$rounds"); do
    rates[limit,$r]=$(rate "$mini" 2 "$truebin" < "$inputs")
    rates[shoal,$r]=$(rate "$shoal" run -j2 --no-bar "$truebin" :::: "$inputs")
    [ -z "$other" ] || rates[other,$r]=$(rate "$other" run -j2 --no-bar "$truebin" :::: "$inputs")
    rates[xargs,$r]=$(rate xargs -P2 -n1 "$truebin" < "$inputs")
    rates[parallel,$r]=$(rate parallel --will-cite -j2 "$truebin" :::: "$inputs")
    echo "round $r: limit ${rates[limit,$r]%.*}/s, shoal ${rates[shoal,$r]%.*}/s, xargs ${rates[xargs,$r]%.*}/s, parallel ${rates[parallel,$r]%.*}/s" >&2
done

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo
echo "Launch rate, $n launches of $truebin with 2 in flight, $rounds rounds (median):"
printf '%-34s %12s\n' "row" "launches/s"
for row in "${rows[@]}"; do
    m=$(for r in $(seq "$rounds"); do echo "${rates[$row,$r]}"; done | median)
    case $row in
    limit) label="minilauncher 2 (the limit)" ;;
    shoal) label="shoal run -j2" ;;
    xargs) label="xargs -P2 -n1" ;;
    parallel) label="GNU parallel -j2" ;;
    other) label="shoal run -j2 (other build)" ;;
    esac
    printf '%-34s %12.0f\n' "$label" "$m"
done
echo
ratio() { for r in $(seq "$rounds"); do echo "${rates[$1,$r]} / ${rates[$2,$r]}" | bc -l; done | median; }
printf 'shoal / limit     %.2f   (target >= 0.80)\n' "$(ratio shoal limit)"
printf 'shoal / xargs     %.2f   (target ~ 1.4)\n' "$(ratio shoal xargs)"
printf 'shoal / parallel  %.2f   (target >= 5)\n' "$(ratio shoal parallel)"
[ -z "$other" ] || printf 'shoal / other     %.2f   (this build against the other)\n' "$(ratio shoal other)"
