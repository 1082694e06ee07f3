#!/usr/bin/env bash
# Shoal's developer entry point. Installs what is missing (Debian bookworm packages), builds,
# and then runs the demo, the tests or the benchmarks.
#
#   ./dev.sh demo              the window with the bundled demo batch running
#                              (headless in the terminal when there is no display)
#   ./dev.sh demo --headless   the same demo in the terminal, with a progress bar
#   ./dev.sh test              every test (CTest); what .ci/run calls first
#   ./dev.sh test-asan         the tests again under AddressSanitizer + UBSan (no window)
#   ./dev.sh test-tsan         the engine's tests under ThreadSanitizer
#   ./dev.sh fuzz [SECONDS]    the libFuzzer targets (clang), SECONDS each (default 60)
#   ./dev.sh bench             the benchmarks in bench/ (release build)
#   ./dev.sh format            clang-format every C and C++ source in place
#   ./dev.sh format-check      fail (listing them) if any source is not clang-formatted
#
# SHOAL_JOBS=N builds with N jobs instead of the preset's.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
    cmake ninja-build g++ pkg-config
    qt6-base-dev qt6-charts-dev libqt6opengl6-dev libxkbcommon-dev libvulkan-dev
    libqt6test6 qt6-qpa-plugins fonts-dejavu-core
    parallel procps bc libqt6svg6
    openssh-client openssh-server
    slurmctld slurmd slurm-client munge
    clang libclang-rt-14-dev clang-format
)

install_missing() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "==> installing: ${missing[*]}"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
    local preset=$1
    shift
    cmake --preset "$preset" "$@" >/dev/null
    cmake --build --preset "$preset" ${SHOAL_JOBS:+-j "$SHOAL_JOBS"}
}

# Runs a sanitizer preset's tests. Sanitizer reports go to files in LOGS (log_path), so that a
# report from any process (a task, `shoal run` started by a test) fails the pass, not only one
# that made a test fail.
sanitized_ctest() {
    local preset=$1 logs=$2 status=0
    rm -rf "$logs" "$logs.interrupted"
    mkdir -p "$logs"
    ctest --preset "$preset" || status=$?
    # LeakSanitizer writes "Unable to get registers from thread N." when a process is killed (a
    # test's SIGKILL, a group kill) while its exit-time leak check has it stopped: that check
    # did not finish, and reported nothing. A log holding only that line is not a report (it
    # is kept aside, in LOGS.interrupted); any other line in it is.
    for f in "$logs"/*; do
        [ -e "$f" ] || continue
        if [ -s "$f" ] && ! grep -qvE '^==[0-9]+==Unable to get registers from thread [0-9]+\.$' "$f"; then
            echo "==> $preset: $(basename "$f"): a leak check cut short by a kill (no report)"
            mkdir -p "$logs.interrupted"
            mv "$f" "$logs.interrupted/"
        fi
    done
    if [ -n "$(ls -A "$logs")" ]; then
        echo "==> $preset: sanitizer reports:"
        for f in "$logs"/*; do
            echo "--- $f"
            head -n 60 "$f"
        done
        status=1
    fi
    return $status
}

cmd=${1:-demo}
shift || true
case "$cmd" in
demo)
    install_missing
    build dev
    if [ "${1:-}" = "--headless" ] || { [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; }; then
        [ "${1:-}" = "--headless" ] || echo "==> no display found: running the demo in the terminal (use a desktop session for the window)"
        exec build/bin/shoal run --bar --batch resources/demo/demo.shoal.json
    fi
    exec build/bin/shoal --demo
    ;;
test)
    install_missing
    build dev
    ctest --preset dev
    ;;
test-asan)
    install_missing
    build dev-asan -DSHOAL_BUILD_UI=OFF
    logs=$PWD/build-asan/sanitizer-logs
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$logs/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS} \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS} \
        sanitized_ctest dev-asan "$logs"
    ;;
test-tsan)
    install_missing
    build dev-tsan
    logs=$PWD/build-tsan/sanitizer-logs
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp:log_path=$logs/tsan${TSAN_OPTIONS:+:$TSAN_OPTIONS} \
        sanitized_ctest dev-tsan "$logs"
    ;;
fuzz)
    install_missing
    exec tests/fuzz/run_fuzzers.sh build-fuzz "${1:-60}"
    ;;
format | format-check)
    install_missing
    mapfile -t sources < <(git ls-files '*.c' '*.cpp' '*.h')
    if [ "$cmd" = format ]; then
        clang-format -i "${sources[@]}"
    else
        clang-format --dry-run -Werror "${sources[@]}"
    fi
    ;;
bench)
    install_missing
    build dev
    exec bench/run_all.sh build
    ;;
*)
    echo "usage: ./dev.sh demo [--headless] | test | test-asan | test-tsan | fuzz [SECONDS] | bench | format | format-check" >&2
    exit 2
    ;;
esac
