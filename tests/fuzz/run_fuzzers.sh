#!/usr/bin/env bash
# Builds Shoal's libFuzzer targets with clang (ASan + UBSan) in their own build directory and
# runs each for SECONDS, seeded with tests/fuzz/corpus/<target>/.
#
#   tests/fuzz/run_fuzzers.sh [BUILD_DIR] [SECONDS] [TARGET...]
#   (defaults: build-fuzz, 60, every target; SECONDS 0 only builds)
#
# The checked-in corpus is only read: new inputs go to BUILD_DIR/fuzz/corpus/<target>/, crashes
# to BUILD_DIR/fuzz/artifacts/<target>/. The exit status is non-zero when a target crashed.
# Set SHOAL_FUZZ_JOBS to build with more than one job, SHOAL_FUZZ_CONTINUE=1 to log UBSan
# findings and go on instead of stopping at the first one.
set -uo pipefail
build=$(realpath -m "${1:-$(dirname "$0")/../../build-fuzz}")
cd "$(dirname "$0")/../.."
src=$PWD
seconds=${2:-60}
shift 2 2>/dev/null || shift $#
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_commandtemplate fuzz_batchfile fuzz_jsonlines)

mkdir -p "$build"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSHOAL_FUZZ=ON -DSHOAL_BUILD_UI=OFF -DSHOAL_WERROR=OFF >"$build/configure.log" 2>&1 \
    || { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j "${SHOAL_FUZZ_JOBS:-1}" --target "${targets[@]}" || exit 1
[ "$seconds" -gt 0 ] || exit 0

halt=1
[ "${SHOAL_FUZZ_CONTINUE:-0}" = 1 ] && halt=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=$halt}

status=0
summary=()
for t in "${targets[@]}"; do
    corpus=$build/fuzz/corpus/$t
    artifacts=$build/fuzz/artifacts/$t
    log=$build/fuzz/$t.log
    rm -rf "$artifacts"
    mkdir -p "$corpus" "$artifacts"
    echo "==> $t for ${seconds}s (log: $log)"
    "$build/fuzz/$t" "$corpus" "$src/tests/fuzz/corpus/$t" -max_total_time="$seconds" -max_len=4096 \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    ubsan=$(grep -c 'runtime error:' "$log")
    result="ok"
    if [ $rc -ne 0 ]; then
        result="CRASH (exit $rc): $(ls "$artifacts" | head -n3 | tr '\n' ' ')"
        grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer)|runtime error:|fuzz_[a-z]+: ' "$log" | sed 's/^/    /'
        status=1
    elif [ "$ubsan" -gt 0 ]; then
        result="$ubsan UBSan report(s), see the log"
        status=1
    fi
    summary+=("$(printf '%-22s %12s executions  %s' "$t" "${runs:-?}" "$result")")
done

echo "==> executions per target (${seconds}s each)"
printf '%s\n' "${summary[@]}"
exit $status
