#!/bin/bash
# Stops the sshd of sshd-up.sh DIR. Killing the listener alone leaves live sessions running, so
# its per-connection children (PPid match) are ended too.
D=${1:?usage: sshd-down.sh DIR}
alive() { local s; s=$(awk '{print $3}' /proc/$1/stat 2>/dev/null) && [ "$s" != Z ]; }  # zombies don't count
if [ -f "$D/sshd.pid" ]; then
  P=$(cat "$D/sshd.pid")
  kids=$(grep -l "^PPid:[[:space:]]*$P\$" /proc/[0-9]*/status 2>/dev/null | cut -d/ -f3)
  kill $kids "$P" 2>/dev/null
  for i in $(seq 50); do alive "$P" || break; sleep 0.1; done
  kill -9 "$P" 2>/dev/null
fi
rm -rf "$D"
echo "sshd down"
