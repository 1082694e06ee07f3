#!/bin/sh
# `cmake --install` under a prefix of its own gives a working Shoal: bin/shoal runs batches with
# the installed guard (not a fork of itself), runs the installed example worker, and loads the
# installed window module. Usage: check_install.sh BUILD_DIR CMAKE window|headless
set -eu
build=$1
cmake=$2
kind=${3:-window}
prefix=$(mktemp -d "${TMPDIR:-/tmp}/shoal-install.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

"$cmake" --install "$build" --prefix "$prefix" >/dev/null
bin=$prefix/bin
for f in "$bin/shoal" "$bin/shoal-double-worker" "$prefix/libexec/shoal/shoal-guard"; do
    [ -x "$f" ] || fail "not installed: $f"
done
if [ "$kind" = window ]; then
    for f in applications/shoal.desktop mime/packages/shoal.xml icons/hicolor/scalable/apps/shoal.svg; do
        [ -f "$prefix/share/$f" ] || fail "not installed: share/$f"
    done
    grep -q '^MimeType=application/x-shoal-batch+json;$' "$prefix/share/applications/shoal.desktop" \
        || fail "the desktop file does not claim Shoal's own MIME type"
fi

[ "$("$bin/shoal" --version)" = "$("$build/bin/shoal" --version)" ] || fail "shoal --version"

# A run's guard is the installed program: the task looks at the guard its shoal (its parent)
# started, not at the guards of other runs on the machine.
guards=$("$bin/shoal" run sh -c \
    'for p in $(pgrep -P $PPID -x shoal-guard); do readlink /proc/$p/exe || true; done' ::: x) \
    || fail "shoal run failed"
echo "$guards" | grep -qx "$prefix/libexec/shoal/shoal-guard" \
    || fail "the run did not start the installed guard; its guard: $guards"

answers=$("$bin/shoal" run -k --service "$bin/shoal-double-worker" --service-mode json ::: 1 2 3)
[ "$answers" = "$(printf '2\n4\n6')" ] || fail "the installed example worker answered: $answers"

# The window module loads from the prefix: the window stays up (until `timeout` ends it) where a
# missing module would fail at once with exit 255. Its settings go to a folder of the test's.
if [ "$kind" = window ]; then
    status=0
    XDG_CONFIG_HOME=$prefix/config QT_QPA_PLATFORM=offscreen timeout -k 2 5 "$bin/shoal" \
        2>"$prefix/window.err" || status=$?
    [ "$status" -eq 124 ] || fail "the installed window exited with $status: $(cat "$prefix/window.err")"
fi
echo "install under $prefix: ok"
