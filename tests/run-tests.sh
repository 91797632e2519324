#!/usr/bin/env bash
# Run every test suite (what `make check` runs) and end with "N passed, N failed".
#
#   unit     cmocka suites, plain build
#   cli      bats suites against build/bin (not rewrite.bats: see asan)
#   asan     the same two again, built with ASan+UBSan (build.bats, which
#            builds copies of the tree itself, and vm.bats, which runs no
#            tool of the build, run in the plain pass only); rewrite.bats,
#            one TCG appliance launch per test, runs here only: its launches
#            are the same QEMU work in either build, and the plain
#            cvm-rewrite rewrites real guests in the closed loop (make e2e)
#   tsan     the cmocka suites built with ThreadSanitizer
#   valgrind the unit suites, and the hostile-input bats suites' tool calls
#            (CVM_WRAP), under valgrind (memcheck, definite leaks are errors)
#   package  the Debian packages, installed into a Debian 12 root
#
# The suites run in two lanes, one per core (most of them are one busy
# process at a time: bats, a TCG appliance, valgrind): the second lane
# (the sanitized rewrite.bats, package.bats, the valgrind bats suites) runs in
# the background from the start, and its TAP is counted at the end.
#
# Each suite speaks TAP; a suite that exits non-zero without reporting a
# failed test (a crash, a sanitizer abort) counts as one failure. Every suite
# runs with stdin closed and under a time limit (SUITE_TIMEOUT seconds, each
# bats test under BATS_TEST_TIMEOUT), so a hang fails the suite and shows the
# tests that ran instead of stalling CI.
set -u

BUILD=${BUILD:-build}
FIXTURES=${FIXTURES:-$(cd "$(dirname "$0")/../.." && pwd)/shared/fixtures}
export FIXTURES
cd "$(dirname "$0")/.." || exit 1
# Absolute, because tests change directory before running the tools.
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac

SUITE_TIMEOUT=${SUITE_TIMEOUT:-900}
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-180}

pass=0
fail=0
failed_names=()

# run_tap LABEL CMD...: run CMD, echo its TAP output, count ok / not ok lines.
run_tap() {
        local out
        out=$(mktemp)
        run_to "$out" "$@"
        count_tap "$out" "$@"
}

# run_to OUT LABEL CMD...: run CMD under the suite time limit, its TAP output
# in OUT and, in OUT.rc, its exit code, its time and the limit.
run_to() {
        local out=$1 rc started
        shift 2
        started=$(date +%s)
        timeout -k 10 "$SUITE_TIMEOUT" "$@" >"$out" 2>&1 </dev/null
        rc=$?
        echo "$rc $(( $(date +%s) - started )) $SUITE_TIMEOUT" >"$out.rc"
}

# count_tap OUT LABEL CMD...: echo OUT's TAP lines and count them (what run_to left).
count_tap() {
        local out=$1 label=$2 line rc secs limit before_fail=$fail
        shift 2
        read -r rc secs limit <"$out.rc"
        while IFS= read -r line; do
                case "$line" in
                # cmocka reports a skipped test as "not ok N # SKIP": a skip, not a failure.
                not\ ok\ *\#\ SKIP*) echo "[$label] $line" ;;
                ok\ *) pass=$((pass + 1)); echo "[$label] $line" ;;
                not\ ok\ *) fail=$((fail + 1)); failed_names+=("[$label] ${line#not ok }"); echo "[$label] $line" ;;
                *) echo "[$label]   $line" ;;
                esac
        done <"$out"
        rm -f "$out" "$out.rc"
        echo "[$label] # $* took $secs s"
        if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
                fail=$((fail + 1))
                failed_names+=("[$label] $* did not finish within $limit s")
                echo "[$label] not ok - $* did not finish within $limit s"
        elif [ "$rc" -ne 0 ] && [ "$fail" -eq "$before_fail" ]; then
                fail=$((fail + 1))
                failed_names+=("[$label] $* exited $rc without a failed test (crash?)")
                echo "[$label] not ok - $* exited $rc"
        fi
}

unit_suites() {
        local dir=$1 label=$2 t
        for t in "$dir"/tests/test_*; do
                [ -x "$t" ] || continue
                CMOCKA_MESSAGE_OUTPUT=TAP run_tap "$label" "$t"
        done
}

# The second lane's suites write into LANE_DIR, each as N (TAP) and N.name
# (its label and command line), and are counted at the end in the order run.
LANE_DIR=$(mktemp -d)
lane_n=0

# lane_tap LABEL CMD...: run_tap in the second lane: the TAP waits in LANE_DIR for lane_count.
lane_tap() {
        local out
        lane_n=$((lane_n + 1))
        out=$LANE_DIR/$(printf '%03d' "$lane_n")
        printf '%s\n%s\n' "$1" "${*:2}" >"$out.name"
        run_to "$out" "$@"
}

# bats_suites RUN BINDIR LABEL FILE...: each bats file a suite of its own, so
# each has the whole time limit and its time shows; RUN is run_tap, or
# lane_tap in the second lane.
bats_suites() {
        local run=$1 bindir=$2 label=$3 f
        shift 3
        for f in "$@"; do
                CVM_BIN=$bindir "$run" "$label" bats --tap "$f"
        done
}

# lane_count: count the second lane's suites.
lane_count() {
        local name label cmd
        for name in "$LANE_DIR"/*.name; do
                [ -e "$name" ] || continue
                { read -r label; read -r cmd; } <"$name"
                count_tap "${name%.name}" "$label" "$cmd"
                rm -f "$name"
        done
        rmdir "$LANE_DIR"
}

VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --suppressions=$PWD/tests/valgrind.supp"

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0

REWRITE_SUITE=tests/bats/rewrite.bats
HAVE_ASAN=false
[ -x "$BUILD/asan/bin/cvm-rewrite" ] && HAVE_ASAN=true
HAVE_VALGRIND=false
[ -d "$BUILD/vg/tests" ] && command -v valgrind >/dev/null && HAVE_VALGRIND=true

# The second lane. The sanitized rewrite.bats shares the cores with the
# first lane, so it has twice the time limit; package.bats builds the Debian
# packages and installs them into a Debian root (minutes, and Debian's
# registry), so it has its own.
(
        if $HAVE_ASAN; then
                SUITE_TIMEOUT=$((2 * SUITE_TIMEOUT)) bats_suites lane_tap "$BUILD/asan/bin" asan-cli "$REWRITE_SUITE"
        fi
        SUITE_TIMEOUT=${PACKAGE_TIMEOUT:-2700} bats_suites lane_tap "$BUILD/bin" package tests/bats/package.bats
        if $HAVE_VALGRIND && [ -d "$BUILD/vg/bin" ] && compgen -G 'tests/bats/hostile-*.bats' >/dev/null; then
                CVM_WRAP=$VALGRIND HOSTILE_TIMEOUT=180 bats_suites lane_tap "$BUILD/vg/bin" valgrind-cli tests/bats/hostile-*.bats
        fi
) &
lane_pid=$!

# The first lane.
unit_suites "$BUILD" unit
plain=()
for f in tests/bats/*.bats; do
        case $f in tests/bats/package.bats) ;; "$REWRITE_SUITE") $HAVE_ASAN || plain+=("$f") ;; *) plain+=("$f") ;; esac
done
bats_suites run_tap "$BUILD/bin" cli "${plain[@]}"
if $HAVE_ASAN; then
        unit_suites "$BUILD/asan" asan-unit
        sanitized=()
        for f in tests/bats/*.bats; do
                case $f in tests/bats/build.bats | tests/bats/vm.bats | tests/bats/package.bats | "$REWRITE_SUITE") ;; *) sanitized+=("$f") ;; esac
        done
        bats_suites run_tap "$BUILD/asan/bin" asan-cli "${sanitized[@]}"
fi
if [ -d "$BUILD/tsan/tests" ]; then
        unit_suites "$BUILD/tsan" tsan-unit
fi
if $HAVE_VALGRIND; then
        for t in "$BUILD"/vg/tests/test_*; do
                # shellcheck disable=SC2086 # VALGRIND is a command line
                CMOCKA_MESSAGE_OUTPUT=TAP run_tap valgrind $VALGRIND "$t"
        done
fi

wait "$lane_pid"
lane_count

if [ "$fail" -gt 0 ]; then
        echo
        echo "Failed:"
        printf '  %s\n' "${failed_names[@]}"
fi
echo
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
