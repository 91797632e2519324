#!/usr/bin/env bats
# The build and the install as a new user meets them: a fresh machine's first
# `make demo`, and `make install` to a prefix other than the default.

bats_require_minimum_version 1.5.0

ROOT="$BATS_TEST_DIRNAME/../.."

setup() {
        T="$BATS_TEST_TMPDIR"
}

# make as a new user types it: nothing inherited from a calling make (make check
# runs this file with BUILD, CC, CFLAGS and its jobserver in the environment,
# and BUILD would send the copy's build into the checkout's).
# fresh_make SECONDS ARGS...: under timeout.
fresh_make() {
        local limit=$1
        shift
        timeout "$limit" env -u BUILD -u CC -u CFLAGS -u PREFIX -u DESTDIR -u FIXTURES -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
                make "$@"
}

# A copy of the checkout's tracked files (the tests must not build into it).
copy_tree() {
        mkdir -p "$1"
        (cd "$ROOT" && git ls-files -z | xargs -0 cp --parents -t "$1")
}

@test "a fresh machine's first 'make demo' links: the pkg-config flags are read after deps installed the -dev packages" {
        [ "$(id -u)" -eq 0 ] || skip "make deps installs only as root"
        copy_tree "$T/src"
        # The demo itself is the closed loop (tests/e2e); here it only has to find linked tools.
        cat >"$T/src/tests/e2e/run-loop.sh" <<'SH'
#!/bin/sh
"$BUILD/bin/cvm-evidence" --version && "$BUILD/bin/cvm-rewrite" --version && echo demo-ran
SH
        # A machine where json-c's -dev package is missing until apt-get installs it:
        # pkg-config knows nothing before then, as on a fresh Debian 12.
        mkdir -p "$T/path"
        cat >"$T/path/dpkg-query" <<SH
#!/bin/sh
case "\$*" in *libjson-c-dev*) [ -e "$T/installed" ] || exit 1 ;; esac
exec /usr/bin/dpkg-query "\$@"
SH
        cat >"$T/path/apt-get" <<SH
#!/bin/sh
case "\$*" in *install*libjson-c-dev*) touch "$T/installed" ;; esac
exit 0
SH
        cat >"$T/path/pkg-config" <<SH
#!/bin/sh
[ -e "$T/installed" ] || exit 1
exec /usr/bin/pkg-config "\$@"
SH
        chmod +x "$T/path/"* "$T/src/tests/e2e/run-loop.sh"
        PATH="$T/path:$PATH" run fresh_make 600 -C "$T/src" -j2 demo
        echo "$output" | tail -20
        [ "$status" -eq 0 ]
        [ -e "$T/installed" ]
        [[ "$output" == *"deps: installing: libjson-c-dev"* ]]
        [[ "$output" == *demo-ran* ]]
}

@test "plain 'make' without the -dev packages names what is missing and how to get it" {
        copy_tree "$T/src"
        mkdir -p "$T/path"
        printf '#!/bin/sh\nexit 1\n' >"$T/path/pkg-config"
        chmod +x "$T/path/pkg-config"
        PATH="$T/path:$PATH" run fresh_make 120 -C "$T/src" all
        [ "$status" -ne 0 ]
        [[ "$output" == *"missing build dependencies"*"json-c"* ]]
        [[ "$output" == *"make deps"* ]]
        [ ! -e "$T/src/build/bin/cvm-evidence" ]
}

@test "make install PREFIX=P after a default build: cvm.pc and an external program use P" {
        copy_tree "$T/src"
        fresh_make 600 -C "$T/src" -j2 all >/dev/null
        fresh_make 120 -C "$T/src" install PREFIX="$T/prefix" >/dev/null
        grep -qx "prefix=$T/prefix" "$T/prefix/lib/pkgconfig/cvm.pc"
        export PKG_CONFIG_PATH="$T/prefix/lib/pkgconfig"
        [ "$(pkg-config --variable=libdir cvm)" = "$T/prefix/lib" ]
        cat >"$T/prog.c" <<'C'
#include <cvm/cvm.h>
#include <stdio.h>
int main(void) { puts(cvm_version()); return 0; }
C
        # shellcheck disable=SC2046
        cc -o "$T/prog" "$T/prog.c" $(pkg-config --cflags --libs cvm)
        run env LD_LIBRARY_PATH="$T/prefix/lib" "$T/prog"
        [ "$status" -eq 0 ]
        [ "$output" = 0.1.0 ]
        # A DESTDIR install writes the final prefix, not the staging folder, into cvm.pc.
        fresh_make 120 -C "$T/src" install PREFIX=/usr DESTDIR="$T/stage" >/dev/null
        grep -qx "prefix=/usr" "$T/stage/usr/lib/pkgconfig/cvm.pc"
}
