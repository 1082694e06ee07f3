#!/usr/bin/env bash
# Shoal's developer entry point. Installs what is missing (Debian bookworm packages), builds,
# and then runs the demo, the tests or the benchmarks.
#
#   ./dev.sh demo              the window with the bundled demo batch running
#                              (headless in the terminal when there is no display)
#   ./dev.sh demo --headless   the same demo in the terminal, with a progress bar
#   ./dev.sh test              every test (CTest); what .ci/run calls
#   ./dev.sh bench             the benchmarks in bench/ (release build)
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
    cmake ninja-build g++ pkg-config
    qt6-base-dev qt6-charts-dev libqt6opengl6-dev libxkbcommon-dev libvulkan-dev
    libqt6test6 qt6-qpa-plugins fonts-dejavu-core
    parallel procps bc
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
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset"
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
bench)
    install_missing
    build dev
    exec bench/run_all.sh build
    ;;
*)
    echo "usage: ./dev.sh demo [--headless] | test | bench" >&2
    exit 2
    ;;
esac
