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

# front_door DIR FRONT: FRONT (in DIR, the include namespace DIR's name) includes every other header of DIR.
front_door() {
        local ns h
        ns=$(basename "$1")
        for h in "$1"/*.h; do
                h=${h##*/}
                [ "$h" = "$2" ] && continue
                grep -q "^#include \"$ns/$h\"" "$1/$2" || { echo "$2 misses $h" >&2; return 1; }
        done
}

@test "the base layer has one front door that includes every base header" {
        front_door "$ROOT/base/include/cvmbase" base.h
}

@test "the base layer includes only base headers and libcvm's public ones (nothing of initrd, the rewriter or the tools)" {
        cd "$ROOT"
        run bash -c "grep -rhoE '#include \"[^\"]+\"' base | sort -u | grep -vE '\"cvmbase/[a-z_0-9]+\.h\"|\"cvm/[a-z_0-9]+\.h\"'"
        [ -z "$output" ] || { echo "base includes: $output" >&2; false; }
}

@test "the cleanup macros are defined once" {
        cd "$ROOT"
        run bash -c "grep -rlE '#define _cleanup_\\(|void freep\\(' --include='*.c' --include='*.h' ."
        [ "$output" = "./base/include/cvmbase/cleanup.h" ]
}

# The functions libcvm's public headers declare (gcc -aux-info over cvm/cvm.h), one a line.
public_functions() {
        (cd "$ROOT" && echo '#include "cvm/cvm.h"' |
                timeout 60 gcc -std=gnu11 -D_GNU_SOURCE -Ibase/include -Imeasurer/include $(pkg-config --cflags json-c tss2-esys) \
                        -fsyntax-only -aux-info "$BATS_TEST_TMPDIR/aux" -x c - >&2) || return 1
        grep -E '^/\* measurer/include/cvm/[a-z_0-9]+\.h:[0-9]+:' "$BATS_TEST_TMPDIR/aux" |
                sed -E 's/\(.*//; s/.*[ *]([A-Za-z_][A-Za-z_0-9]*) *$/\1/' | sort -u
}

# What libcvm.so exports (its version node, an absolute symbol, aside).
exported() {
        timeout 60 nm -D --defined-only "$LIBDIR/libcvm.so" | awk '$2 != "A" { print $3 }' | sed 's/@.*//' | sort -u
}

LIBDIR="${CVM_BIN:-$ROOT/build/bin}/../lib"

@test "libcvm.so exports only cvm_* symbols, under version CVM_0.1" {
        [ -f "$LIBDIR/libcvm.so" ] || { echo "no $LIBDIR/libcvm.so: run make" >&2; false; }
        run exported
        [ "$status" -eq 0 ] && [ -n "$output" ]
        bad=$(grep -v '^cvm_' <<<"$output" || true)
        [ -z "$bad" ] || { echo "exported beyond the API: $bad" >&2; false; }
        run timeout 60 nm -D --defined-only "$LIBDIR/libcvm.so"
        [[ "$output" == *" A CVM_0.1"* ]]
}

@test "libcvm.so links no libcrypto and uses only nettle symbols that Ubuntu 22.04's nettle 3.7 has" {
        [ -f "$LIBDIR/libcvm.so" ] || { echo "no $LIBDIR/libcvm.so: run make" >&2; false; }
        # libcrypto is dlopen()ed (measurer/lib/crypto_dlopen.c); a guest's older libnettle8 must still load libcvm.
        run timeout 60 readelf -dW "$LIBDIR/libcvm.so"
        [[ "$output" == *"[libnettle.so.8]"* ]]
        [[ "$output" != *"libcrypto"* ]]
        used=$(timeout 60 nm -D --undefined-only "$LIBDIR/libcvm.so" | awk '{ print $2 }' | sed -n 's/@.*//; /^nettle_/p' | sort -u)
        [ -n "$used" ]
        new=$(grep -vxE 'nettle_(sha1|sha256|sha384|sha512|base64_encode_raw)' <<<"$used" || true)
        [ -z "$new" ] || { echo "nettle symbols beyond the 3.7 set checked here: $new" >&2; false; }
}

@test "every function libcvm's public headers declare is a cvm_ function that libcvm.so exports" {
        [ -f "$LIBDIR/libcvm.so" ] || { echo "no $LIBDIR/libcvm.so: run make" >&2; false; }
        run public_functions
        [ "$status" -eq 0 ] && [ "$(wc -l <<<"$output")" -gt 50 ]
        declared=$output
        bad=$(grep -v '^cvm_' <<<"$declared" || true)
        [ -z "$bad" ] || { echo "public headers declare non-cvm_ functions: $bad" >&2; false; }
        missing=$(comm -23 <(echo "$declared") <(exported))
        [ -z "$missing" ] || { echo "declared but not exported: $missing" >&2; false; }
}

@test "cvm/cvm.h includes every public header of libcvm; libcvminitrd's are apart in cvminitrd/" {
        front_door "$ROOT/measurer/include/cvm" cvm.h
        [ ! -e "$ROOT/initrd/include/cvm" ]
        run bash -c "cd '$ROOT' && grep -rlE '#include \"cvm/(initrd|bundle)\\.h\"' --include='*.c' --include='*.h' ."
        [ -z "$output" ]
}

@test "outside the base, the base is included through its front door only" {
        cd "$ROOT"
        run bash -c "grep -rHE '#include \"cvmbase/' --include='*.c' --include='*.h' . | grep -v '^\./base/' | grep -v 'cvmbase/base\.h'"
        [ -z "$output" ] || { echo "single base headers included: $output" >&2; false; }
}
