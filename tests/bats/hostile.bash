# The standing bad-input suite's one assertion (tests/bats/hostile-*.bats).
#
# A case puts what it feeds the tool under $IN and lets the tool write only
# under $OUT. `bad RC PATTERN CMD...` then runs CMD under `timeout` (so a hang
# fails the case, not the suite) and, when CVM_WRAP is set (make check's
# valgrind pass: "valgrind -q --error-exitcode=99 ..."), under that wrapper, and
# asserts that
#   - it exited RC (a valgrind error exits 99, a hang 124: both fail the case),
#   - stderr matches the glob PATTERN (name the input and what was wrong),
#   - nothing under $IN changed (sha256 of every file, and the listing),
#   - $OUT holds nothing it did not hold before (no output, no temp file).
# The tool names are absolute: $E cvm-evidence, $M cvm-measure, $I cvm-initrd,
# $RW cvm-rewrite.

HOSTILE_TIMEOUT=${HOSTILE_TIMEOUT:-60}

hostile_setup() {
        local bin="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}"
        E="$bin/cvm-evidence"
        M="$bin/cvm-measure"
        I="$bin/cvm-initrd"
        RW="$bin/cvm-rewrite"
        F="${FIXTURES:?FIXTURES must point to shared/fixtures}"
        T="$BATS_TEST_TMPDIR"
        IN="$T/in"
        OUT="$T/out"
        mkdir -p "$IN" "$OUT"
}

# A listing of DIR with a digest per regular file, and each link's target.
hostile_snapshot() {
        (cd "$1" && find . -mindepth 1 -printf '%y %m %p %l\n' | LC_ALL=C sort &&
                find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2)
}

# bad RC PATTERN CMD...: see the top of this file. Sets $status, $output
# (stdout) and $stderr for further checks.
bad() {
        local want=$1 pattern=$2 before_in before_out
        shift 2
        before_in=$(hostile_snapshot "$IN")
        before_out=$(hostile_snapshot "$OUT")
        local errf="$T/.stderr"
        # shellcheck disable=SC2086 # CVM_WRAP is a command line
        # "|| status=$?": bats runs tests under set -e, which a failing $(...) assignment would trip.
        status=0
        output=$(timeout -k 5 "$HOSTILE_TIMEOUT" ${CVM_WRAP:-} "$@" 2>"$errf" </dev/null) || status=$?
        stderr=$(cat "$errf")
        rm -f "$errf"
        if [ "$status" -ne "$want" ]; then
                printf 'exit %s, wanted %s: %s\nstderr: %s\n' "$status" "$want" "$*" "$stderr" >&2
                return 1
        fi
        # shellcheck disable=SC2053 # PATTERN is a glob on purpose
        if [[ "$stderr" != $pattern ]]; then
                printf 'stderr does not match %s: %s\n' "$pattern" "$stderr" >&2
                return 1
        fi
        if [ "$(hostile_snapshot "$IN")" != "$before_in" ]; then
                echo "an input changed under $IN" >&2
                diff <(echo "$before_in") <(hostile_snapshot "$IN") >&2
                return 1
        fi
        if [ "$(hostile_snapshot "$OUT")" != "$before_out" ]; then
                echo "something was left under $OUT" >&2
                diff <(echo "$before_out") <(hostile_snapshot "$OUT") >&2
                return 1
        fi
}
