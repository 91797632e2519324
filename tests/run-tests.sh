#!/usr/bin/env bash
# Run every test suite (what `make check` runs) and end with "N passed, N failed".
#
#   unit     cmocka suites, plain build
#   cli      bats suites against build/bin
#   asan     the same two again, built with ASan+UBSan (build.bats, which
#            builds copies of the tree itself, and vm.bats, which runs no
#            tool of the build, run in the plain pass only); its rewrite.bats
#            runs in the background from the start, beside the other suites
#   tsan     the cmocka suites built with ThreadSanitizer
#   valgrind the unit suites, and the hostile-input bats suites' tool calls
#            (CVM_WRAP), under valgrind (memcheck, definite leaks are errors)
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

# bats_suites BINDIR LABEL [FILE...]: the given bats files (default: all),
# each a suite of its own, so each has the whole time limit and its time shows.
bats_suites() {
        local bindir=$1 label=$2 f
        shift 2
        [ "$#" -gt 0 ] || set -- tests/bats/*.bats
        for f in "$@"; do
                if [ "$f" = "$BG_SUITE" ]; then
                        CVM_BIN=$bindir SUITE_TIMEOUT=$BG_TIMEOUT run_tap "$label" bats --tap "$f"
                else
                        CVM_BIN=$bindir run_tap "$label" bats --tap "$f"
                fi
        done
}

VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --suppressions=$PWD/tests/valgrind.supp"

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0

# The sanitized pass of the longest suite (rewrite.bats: one TCG appliance per
# test, a single QEMU thread each) runs beside the others from the start, so
# the second core is not idle while they run; its TAP is counted at the end.
# Both passes of it share the two cores, so each has twice the time limit.
BG_SUITE=tests/bats/rewrite.bats
BG_TIMEOUT=$((2 * SUITE_TIMEOUT))
bg_out=
if [ -x "$BUILD/asan/bin/cvm-rewrite" ]; then
        bg_out=$(mktemp)
        CVM_BIN=$BUILD/asan/bin SUITE_TIMEOUT=$BG_TIMEOUT run_to "$bg_out" asan-cli bats --tap "$BG_SUITE" &
        bg_pid=$!
fi

unit_suites "$BUILD" unit
# package.bats builds the Debian packages and installs them into a Debian root
# (minutes, and Debian's registry): a suite of its own, with its own time limit.
plain=()
for f in tests/bats/*.bats; do [ "$f" = tests/bats/package.bats ] || plain+=("$f"); done
bats_suites "$BUILD/bin" cli "${plain[@]}"
SUITE_TIMEOUT=${PACKAGE_TIMEOUT:-2700} bats_suites "$BUILD/bin" package tests/bats/package.bats
if [ -d "$BUILD/asan" ]; then
        unit_suites "$BUILD/asan" asan-unit
        sanitized=()
        for f in tests/bats/*.bats; do
                case $f in tests/bats/build.bats | tests/bats/vm.bats | tests/bats/package.bats | "$BG_SUITE") ;; *) sanitized+=("$f") ;; esac
        done
        bats_suites "$BUILD/asan/bin" asan-cli "${sanitized[@]}"
fi
if [ -d "$BUILD/tsan/tests" ]; then
        unit_suites "$BUILD/tsan" tsan-unit
fi
if [ -d "$BUILD/vg/tests" ] && command -v valgrind >/dev/null; then
        for t in "$BUILD"/vg/tests/test_*; do
                # shellcheck disable=SC2086 # VALGRIND is a command line
                CMOCKA_MESSAGE_OUTPUT=TAP run_tap valgrind $VALGRIND "$t"
        done
        if [ -d "$BUILD/vg/bin" ] && compgen -G 'tests/bats/hostile-*.bats' >/dev/null; then
                CVM_WRAP=$VALGRIND HOSTILE_TIMEOUT=180 bats_suites "$BUILD/vg/bin" valgrind-cli tests/bats/hostile-*.bats
        fi
fi
if [ -n "$bg_out" ]; then
        wait "$bg_pid"
        count_tap "$bg_out" asan-cli bats --tap "$BG_SUITE"
fi

if [ "$fail" -gt 0 ]; then
        echo
        echo "Failed:"
        printf '  %s\n' "${failed_names[@]}"
fi
echo
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
