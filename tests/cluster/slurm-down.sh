#!/bin/bash
# Stops the Slurm of slurm-up.sh DIR: cancels its jobs, waits for their steps to go, then stops
# slurmd, slurmctld and munged, and removes DIR.
D=${1:?usage: slurm-down.sh DIR}
export SLURM_CONF=$D/slurm.conf
alive() { local s; s=$(awk '{print $3}' /proc/$1/stat 2>/dev/null) && [ "$s" != Z ]; }  # zombies don't count
stop() {  # stop PIDFILE: TERM, wait up to 10 s, then KILL
  [ -f "$1" ] || return 0; local p; p=$(cat "$1")
  kill "$p" 2>/dev/null; for i in $(seq 100); do alive "$p" || return 0; sleep 0.1; done
  kill -9 "$p" 2>/dev/null
}
if [ -f "$D/slurmctld.pid" ]; then
  scancel --quiet -p debug 2>/dev/null   # every job, and so every step
  for i in $(seq 100); do
    [ -z "$(squeue -h -t R,CG,PD 2>/dev/null)" ] && ! ls "$D"/spool/localhost_* >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
stop "$D/slurmd.pid"; stop "$D/slurmctld.pid"; stop "$D/munge/munged.pid"
[ -L "$D/munge" ] && rm -rf "$(readlink "$D/munge")"
rm -rf "$D"
echo "slurm down"
