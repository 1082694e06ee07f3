#!/bin/bash
# A throwaway single-node Slurm (munged, slurmctld, slurmd) on 127.0.0.1 for the worker-host
# tests, no systemd; all its files under DIR.
#   slurm-up.sh DIR    then: SLURM_CONF=DIR/slurm.conf srun -n1 hostname
# The ports are the first free pair from 6817. slurm-down.sh DIR stops it (and its jobs).
# Slurm's daemons run as root: for anyone else DIR/skip says why and the tests skip.
# Adapted from ../shared/cluster/slurm-up.sh (measured there: up in about 1.5 s).
set -euo pipefail
D=${1:?usage: slurm-up.sh DIR}
"$(dirname "$0")/slurm-down.sh" "$D" >/dev/null 2>&1 || true   # a stale instance of an earlier run
mkdir -p "$D"
if [ "$(id -u)" -ne 0 ]; then
  echo "Slurm's daemons need root (this is $(id -un))" > "$D/skip"; cat "$D/skip"; exit 0
fi
for c in slurmctld slurmd munged srun; do
  command -v $c >/dev/null || { echo "slurm-up: $c is missing (./dev.sh installs Slurm)" >&2; exit 1; }
done
free() { ! (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null; }
CTLD=
for p in $(seq 6817 2 6897); do free $p && free $((p + 1)) && { CTLD=$p; break; }; done
[ -n "$CTLD" ] || { echo "slurm-up: no two free ports in 6817-6898" >&2; exit 1; }
mkdir -p "$D"/{state,spool}
# munged wants every folder above its socket open to all (o+x): DIR's parents may not be.
M=$(mktemp -d /tmp/shoal-test-munge.XXXXXX); chmod 755 "$M"; ln -s "$M" "$D/munge"
export SLURM_CONF=$D/slurm.conf
dd if=/dev/urandom of="$M/munge.key" bs=1024 count=1 status=none; chmod 400 "$M/munge.key"
cat > "$SLURM_CONF" <<EOF
ClusterName=shoaltest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD
SlurmdPort=$((CTLD + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$M/munge.socket
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
MailProg=/bin/true
InactiveLimit=30
KillWait=5
MinJobAge=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs=4 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
munged --key-file="$M/munge.key" --socket="$M/munge.socket" --pid-file="$M/munged.pid" \
       --log-file="$M/munged.log" --seed-file="$M/munged.seed"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N localhost
for i in $(seq 300); do
  [ "$(sinfo -h -n localhost -o %T 2>/dev/null)" = idle ] && break
  [ "$i" = 300 ] && { echo "slurm-up: the node did not become idle" >&2; tail "$D"/*.log >&2; exit 1; }
  sleep 0.1
done
echo "slurm up on 127.0.0.1:$CTLD: SLURM_CONF=$SLURM_CONF"
