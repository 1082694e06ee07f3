#!/usr/bin/env bash
# Every benchmark in bench/, one after the other: bench/run_all.sh BUILD_DIR
set -euo pipefail
here=$(dirname "$0")
build=${1:-build}
"$here/launch_bench.sh" "$build"
echo
"$here/hosts_bench.sh" "$build"
echo
python3 "$here/service_bench.py" "$build"
echo
# At 3,000,000 tasks start-up no longer dominates: the peers that batch, against the floor.
python3 "$here/service_bench.py" "$build" --tasks 3000000 --skip-slow --skip-memory
for extra in "$build"/bin/gui_bench; do
    [ -x "$extra" ] && "$extra"
done
