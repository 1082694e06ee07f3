#!/usr/bin/env bash
# Worker hosts, all peers in one run on the same inputs (issue: beyond one machine):
#   shoal run -j2 true                      (local, the reference)
#   shoal run -S 2/: true                   (through this machine's agent)
#   shoal run -S 2/HOST true                (through ssh to a throwaway sshd on 127.0.0.1)
#   shoal run --slurm "-N1 -c2" true        (one agent in a job step of a throwaway single-node
#                                            Slurm on 127.0.0.1; root only, skipped otherwise)
#   parallel -S 2/HOST true                 (GNU parallel through the same ssh; fewer tasks: it
#                                            makes one ssh login per task)
# Rounds interleave the rows; the table reports the median tasks/s per row and the ratios.
# Then the same for service workers (the double worker, JSON lines), NS tasks, without GNU parallel.
#   bench/hosts_bench.sh BUILD_DIR [N=5000] [ROUNDS=3] [N_GNU=100] [NS=200000]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
n=${2:-5000}
rounds=${3:-3}
ngnu=${4:-100}
ns=${5:-200000}
shoal=$build/bin/shoal
[ -x "$shoal" ] || { echo "build first: $shoal" >&2; exit 1; }
command -v parallel >/dev/null || { echo "GNU parallel is missing (./dev.sh bench installs it)" >&2; exit 1; }
work=$(mktemp -d)
sshd=$work/sshd
slurm=$work/slurm
trap '"$here/../tests/cluster/sshd-down.sh" "$sshd" >/dev/null 2>&1; "$here/../tests/cluster/slurm-down.sh" "$slurm" >/dev/null 2>&1; rm -rf "$work"' EXIT
"$here/../tests/cluster/sshd-up.sh" "$sshd" >/dev/null
"$here/../tests/cluster/slurm-up.sh" "$slurm" >/dev/null
export SLURM_CONF=$slurm/slurm.conf
unset SLURM_JOB_ID SLURM_JOBID SLURM_JOB_NODELIST
ssh="ssh -F $sshd/ssh_config"
host=shoal-test-host
truebin=$(type -P true)
seq "$n" > "$work/inputs"
seq "$ngnu" > "$work/inputs-gnu"

now() { date +%s.%N; }
rate() { # count command...
    local count=$1 t0 t1
    shift
    t0=$(now)
    "$@" > /dev/null || { echo "failed: $*" >&2; exit 1; }
    t1=$(now)
    echo "$count / ($t1 - $t0)" | bc -l
}

declare -A rates
rows=(local agent ssh gnu)
[ -e "$slurm/skip" ] || rows=(local agent ssh slurm gnu)
for r in $(seq "$rounds"); do
    rates[local,$r]=$(rate "$n" "$shoal" run -j2 --no-bar "$truebin" :::: "$work/inputs")
    rates[agent,$r]=$(rate "$n" "$shoal" run -S 2/: --no-bar "$truebin" :::: "$work/inputs")
    rates[ssh,$r]=$(rate "$n" "$shoal" run -S "2/$host" --ssh "$ssh" --agent-path "$shoal" \
        --no-bar "$truebin" :::: "$work/inputs")
    if [ ! -e "$slurm/skip" ]; then
        rates[slurm,$r]=$(rate "$n" "$shoal" run --slurm "-N1 -c2" --agent-path "$shoal" \
            --no-bar "$truebin" :::: "$work/inputs")
    fi
    rates[gnu,$r]=$(rate "$ngnu" parallel --will-cite -S "2/$host" --ssh "$ssh" "$truebin" \
        :::: "$work/inputs-gnu")
    echo "round $r: local ${rates[local,$r]%.*}/s, agent ${rates[agent,$r]%.*}/s, ssh ${rates[ssh,$r]%.*}/s, slurm ${rates[slurm,$r]:-skipped}/s, GNU parallel ssh ${rates[gnu,$r]%.*}/s" >&2
done

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { for r in $(seq "$rounds"); do echo "${rates[$1,$r]} / ${rates[$2,$r]}" | bc -l; done | median; }
echo
echo "Command tasks through worker hosts: $n x $truebin with 2 workers ($ngnu for GNU parallel), $rounds rounds (median):"
printf '%-44s %12s\n' "row" "tasks/s"
label() {
    case $1 in
    local) echo "shoal run -j2 (this machine, no agent)" ;;
    agent) echo "shoal run -S 2/: (this machine's agent)" ;;
    ssh) echo "shoal run -S 2/$host (ssh, 127.0.0.1)" ;;
    slurm) echo "shoal run --slurm '-N1 -c2' (a job step)" ;;
    gnu) echo "parallel -S 2/$host (ssh, 127.0.0.1)" ;;
    slocal) echo "shoal run -j2 --service (no agent)" ;;
    sagent) echo "shoal run -S 2/: --service" ;;
    sssh) echo "shoal run -S 2/$host --service (ssh)" ;;
    sslurm) echo "shoal run --slurm '-N1 -c2' --service" ;;
    esac
}
table() { # rows...
    for row in "$@"; do
        printf '%-44s %12.0f\n' "$(label "$row")" \
            "$(for r in $(seq "$rounds"); do echo "${rates[$row,$r]}"; done | median)"
    done
}
table "${rows[@]}"
echo
printf 'shoal through ssh / local:           %.2f   (target >= 0.8)\n' "$(ratio ssh local)"
printf "shoal through this machine's agent / local: %.2f\n" "$(ratio agent local)"
printf 'shoal through ssh / GNU parallel -S:  %.0fx  (target >= 10x)\n' "$(ratio ssh gnu)"
[ -e "$slurm/skip" ] || printf 'shoal through a Slurm step / local:   %.2f   (target >= 0.8)\n' "$(ratio slurm local)"

# Service workers: the same rows, NS tasks for the double worker (JSON lines) on 2 workers.
svc=(--service "$build/bin/shoal-double-worker" --service-mode json)
seq "$ns" > "$work/inputs-svc"
for r in $(seq "$rounds"); do
    rates[slocal,$r]=$(rate "$ns" "$shoal" run -j2 --no-bar --no-control "${svc[@]}" :::: "$work/inputs-svc")
    rates[sagent,$r]=$(rate "$ns" "$shoal" run -S 2/: --no-bar --no-control "${svc[@]}" :::: "$work/inputs-svc")
    rates[sssh,$r]=$(rate "$ns" "$shoal" run -S "2/$host" --ssh "$ssh" --agent-path "$shoal" \
        --no-bar --no-control "${svc[@]}" :::: "$work/inputs-svc")
    if [ ! -e "$slurm/skip" ]; then
        rates[sslurm,$r]=$(rate "$ns" "$shoal" run --slurm "-N1 -c2" --agent-path "$shoal" \
            --no-bar --no-control "${svc[@]}" :::: "$work/inputs-svc")
    fi
    echo "round $r: service local ${rates[slocal,$r]%.*}/s, agent ${rates[sagent,$r]%.*}/s, ssh ${rates[sssh,$r]%.*}/s, slurm ${rates[sslurm,$r]:-skipped}/s" >&2
done
echo
echo "Service tasks through worker hosts: $ns tasks of the double worker on 2 workers, $rounds rounds (median):"
srows=(slocal sagent sssh)
[ -e "$slurm/skip" ] || srows=(slocal sagent sssh sslurm)
table "${srows[@]}"
echo
printf 'service through ssh / local:          %.2f   (target >= 0.5)\n' "$(ratio sssh slocal)"
printf "service through this machine's agent / local: %.2f\n" "$(ratio sagent slocal)"
[ -e "$slurm/skip" ] || printf 'service through a Slurm step / local: %.2f   (target >= 0.5)\n' "$(ratio sslurm slocal)"
