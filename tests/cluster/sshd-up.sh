#!/bin/bash
# A throwaway sshd on 127.0.0.1 for the worker-host tests: key-only, this user only, no systemd.
#   sshd-up.sh DIR    then: ssh -F DIR/ssh_config shoal-test-host 'echo hi'
# The port is the first free one from 2222. sshd-down.sh DIR stops it (and its sessions).
# Adapted from ../shared/cluster/sshd-up.sh (measured there: up in about 1.5 s).
set -euo pipefail
D=${1:?usage: sshd-up.sh DIR}
U=$(id -un)
SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || { echo "sshd-up: $SSHD is missing (./dev.sh installs openssh-server)" >&2; exit 1; }
"$(dirname "$0")/sshd-down.sh" "$D" >/dev/null 2>&1 || true   # a stale instance of an earlier run
PORT=
for p in $(seq 2222 2299); do
  (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { PORT=$p; break; }
done
[ -n "$PORT" ] || { echo "sshd-up: no free port in 2222-2299" >&2; exit 1; }
mkdir -p "$D"; chmod 700 "$D"
[ "$(id -u)" -ne 0 ] || { mkdir -p /run/sshd && chmod 755 /run/sshd; }   # the privsep folder
ssh-keygen -q -t ed25519 -N '' -f "$D/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$D/id_ed25519"
cp "$D/id_ed25519.pub" "$D/authorized_keys"
echo "shoal-test-host $(cat "$D/host_key.pub")" > "$D/known_hosts"
cat > "$D/sshd_config" <<CONF
Port $PORT
ListenAddress 127.0.0.1
HostKey $D/host_key
PidFile $D/sshd.pid
AuthorizedKeysFile $D/authorized_keys
AllowUsers $U
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 100:30:200
MaxSessions 100
ClientAliveInterval 5
CONF
cat > "$D/ssh_config" <<CONF
Host shoal-test-host
  HostName 127.0.0.1
  Port $PORT
  User $U
  IdentityFile $D/id_ed25519
  IdentitiesOnly yes
  HostKeyAlias shoal-test-host
  UserKnownHostsFile $D/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
CONF
"$SSHD" -t -f "$D/sshd_config"
"$SSHD" -f "$D/sshd_config" -E "$D/sshd.log"   # forks; logs to a file (no syslog)
for i in $(seq 100); do
  ssh -F "$D/ssh_config" shoal-test-host true 2>/dev/null && break
  [ "$i" = 100 ] && { echo "sshd-up: sshd did not come up" >&2; cat "$D/sshd.log" >&2; exit 1; }
  sleep 0.1
done
echo "sshd up on 127.0.0.1:$PORT (pid $(cat "$D/sshd.pid")): ssh -F $D/ssh_config shoal-test-host"
