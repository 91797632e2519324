#!/usr/bin/env bats
# The architecture the include paths and the linker state (issue 18): the base
# layer (base/, cvmbase/*.h) is what every part shares; libcvm's private headers
# (measurer/lib/*.h) are for libcvm and its own tests (tests/unit, tests/fuzz,
# tests/shim) only.

bats_require_minimum_version 1.5.0

ROOT="$BATS_TEST_DIRNAME/../.."

# Sources outside libcvm (and outside its own tests) that include one of its private headers.
private_includers() {
        local hdrs
        hdrs=$(cd "$ROOT/measurer/lib" && ls ./*.h | sed 's|^\./||' | paste -sd'|')
        (cd "$ROOT" && grep -rlE "#include \"([^\"]*/)?measurer/lib/|#include \"($hdrs)\"" \
                --include='*.c' --include='*.h' --include='*.S' . |
                grep -vE '^\./(measurer/lib|tests/unit|tests/fuzz|tests/shim)/' || true)
}

@test "no file outside libcvm includes a private libcvm header" {
        run private_includers
        [ "$status" -eq 0 ]
        [ -z "$output" ] || { echo "private libcvm headers included by: $output" >&2; false; }
}

@test "the base layer has one front door that includes every base header" {
        cd "$ROOT/base/include/cvmbase"
        for h in *.h; do
                [ "$h" = base.h ] && continue
                grep -q "^#include \"cvmbase/$h\"" base.h || { echo "base.h misses $h" >&2; false; }
        done
}

@test "the base layer includes nothing of libcvm but its public error and number headers" {
        cd "$ROOT"
        run bash -c "grep -rhoE '#include \"[^\"]+\"' base | sort -u | grep -vE '\"cvmbase/|\"cvm/(error|encoding)\.h\"'"
        [ -z "$output" ] || { echo "base includes: $output" >&2; false; }
}

@test "the cleanup macros are defined once" {
        cd "$ROOT"
        run bash -c "grep -rlE '#define _cleanup_\\(|void freep\\(' --include='*.c' --include='*.h' ."
        [ "$output" = "./base/include/cvmbase/cleanup.h" ]
}
