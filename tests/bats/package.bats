#!/usr/bin/env bats
# The Debian packages (`make deb`: cvmkit, cvmkit-guest, libcvm0, libcvm-dev)
# and the installs they are made from (`make install`, `make install-guest`),
# as a user meets them: lintian's verdict, the files where Debian and its boot
# tools look, and the packages installed into a fresh Debian 12 root (a
# debootstrap minbase root, cached under CVM_CACHE, entered with chroot) where
# the tools run, pkg-config answers and an external program builds.
#
# The packages are built once, from a copy of the checkout (a package build
# never writes into the checkout), in setup_file.

bats_require_minimum_version 1.5.0

ROOT="$BATS_TEST_DIRNAME/../.."
FIXTURE_LOG=tcg2-goeventlog-ubuntu-2104-no-secure-boot.bin
# The root's own packages besides minbase: a compiler, pkg-config, and the
# helper cvmkit-guest's scripts enable units with.
ROOT_PKGS="gcc libc6-dev pkg-config init-system-helpers"

# make as a new user types it: nothing inherited from a calling make.
fresh_make() {
        local limit=$1
        shift
        timeout "$limit" env -u BUILD -u CC -u CFLAGS -u PREFIX -u DESTDIR -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@"
}

copy_tree() {
        mkdir -p "$1"
        (cd "$ROOT" && git ls-files -z | xargs -0 cp --parents -t "$1")
}

# The cached Debian 12 minbase root with ROOT_PKGS, as a tar; prints its path.
base_root() {
        local key tar work
        key=$(printf '%s\n' bookworm minbase "$ROOT_PKGS" | sha256sum | cut -c1-16)
        tar="$CVM_CACHE/package-root-$key.tar"
        if [ ! -s "$tar" ]; then
                mkdir -p "$CVM_CACHE"
                work=$(mktemp -d "$CVM_CACHE/.package-root.XXXXXX")
                if ! timeout 1200 debootstrap --variant=minbase --include="${ROOT_PKGS// /,}" bookworm "$work/root" \
                        "${CVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$work/log" 2>&1; then
                        tail -20 "$work/log" >&2
                        rm -rf "$work"
                        return 1
                fi
                timeout 300 tar -C "$work/root" -cf "$work/root.tar" . && mv "$work/root.tar" "$tar"
                rm -rf "$work"
        fi
        echo "$tar"
}

# in_root SECONDS CMD...: CMD in the installed root, with its own /proc in a
# mount namespace that ends with it (nothing stays mounted).
in_root() {
        local limit=$1
        shift
        # shellcheck disable=SC2016 # expanded by the inner sh
        timeout "$limit" unshare --mount --fork sh -c \
                'r=$1; shift; mount -t proc proc "$r/proc" && exec chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
                        HOME=/root LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@"' sh "$R" "$@"
}

# Install the four packages into a fresh copy of the cached root; Debian's
# packages they depend on come from Debian's registry, kept in CVM_CACHE.
install_into_root() {
        local tar apt="$CVM_CACHE/package-apt"
        tar=$(base_root) || return 1
        mkdir -p "$R" "$apt"
        timeout 300 tar -C "$R" -xf "$tar" || return 1
        mkdir -p "$R/tmp/debs"
        cp "$DEBS"/cvmkit_*.deb "$DEBS"/cvmkit-guest_*.deb "$DEBS"/libcvm0_*.deb "$DEBS"/libcvm-dev_*.deb "$R/tmp/debs/"
        find "$apt" -name '*.deb' -exec cp -t "$R/var/cache/apt/archives/" {} +
        in_root 300 apt-get update -qq || return 1
        # shellcheck disable=SC2016
        in_root 1200 sh -c 'apt-get install -y -qq --no-install-recommends /tmp/debs/*.deb' || return 1
        find "$R/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec cp -n -t "$apt/" {} +
}

setup_file() {
        export SRC="$BATS_FILE_TMPDIR/src" DEBS="$BATS_FILE_TMPDIR/src/build/deb" R="$BATS_FILE_TMPDIR/root"
        export CVM_CACHE="${CVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cvmkit}"
        copy_tree "$SRC"
        if ! fresh_make 1800 -C "$SRC" deb DEB_BUILD_OPTIONS=parallel=2 >"$BATS_FILE_TMPDIR/deb.log" 2>&1; then
                tail -30 "$BATS_FILE_TMPDIR/deb.log" >&2
                return 1
        fi
        if [ "$(id -u)" -ne 0 ] || ! command -v debootstrap >/dev/null; then
                echo "a Debian root needs root and debootstrap" >"$BATS_FILE_TMPDIR/root.skip"
        elif ! install_into_root >"$BATS_FILE_TMPDIR/root.log" 2>&1; then
                echo failed >"$BATS_FILE_TMPDIR/root.failed"
        fi
}

setup() {
        T="$BATS_TEST_TMPDIR"
}

# For the tests in the installed root: skip where it cannot be made, fail
# (with apt's words) where installing failed.
need_root() {
        [ ! -e "$BATS_FILE_TMPDIR/root.skip" ] || skip "$(cat "$BATS_FILE_TMPDIR/root.skip")"
        if [ -e "$BATS_FILE_TMPDIR/root.failed" ]; then
                tail -30 "$BATS_FILE_TMPDIR/root.log"
                return 1
        fi
}

deb_of() { echo "$DEBS/${1}_0.1.0_$(dpkg --print-architecture).deb"; }

@test "make deb: the four packages, each with its files" {
        for p in cvmkit cvmkit-guest libcvm0 libcvm-dev; do
                [ -s "$(deb_of "$p")" ]
        done
        dpkg-deb -c "$(deb_of cvmkit)" | awk '{ print $6 }' >"$T/cvmkit"
        for f in usr/bin/cvm-evidence usr/bin/cvm-initrd usr/bin/cvm-rewrite usr/bin/cvm-vm \
                usr/share/cvm/plugins/50-cvm-measurer/plugin.yaml usr/share/cvm/recipes/debian-12-tdx.yaml \
                usr/share/man/man1/cvm-evidence.1.gz usr/share/man/man5/cvm-recipe.5.gz \
                usr/share/bash-completion/completions/cvm-rewrite; do
                grep -qx "./$f" "$T/cvmkit" || { echo "cvmkit lacks $f" >&2; return 1; }
        done
        run ! grep -q "bin/cvm-measure$" "$T/cvmkit"
        ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
        dpkg-deb -c "$(deb_of libcvm0)" | grep -q " ./usr/lib/$ma/libcvm.so.0$"
        dpkg-deb -c "$(deb_of libcvm-dev)" | awk '{ print $6 }' >"$T/dev"
        for f in "usr/lib/$ma/libcvm.a" "usr/lib/$ma/pkgconfig/cvm.pc" "usr/lib/$ma/libcvm.so" usr/include/cvm/cvm.h \
                usr/share/man/man3/libcvm.3.gz; do
                grep -qx "./$f" "$T/dev" || { echo "libcvm-dev lacks $f" >&2; return 1; }
        done
        # libcvm0's shlibs names it for programs linked against libcvm.so.0.
        dpkg-deb --ctrl-tarfile "$(deb_of libcvm0)" | tar -xO ./shlibs | grep -qx 'libcvm 0 libcvm0 (>= 0.1.0)'
        dpkg-deb -f "$(deb_of libcvm-dev)" Depends | grep -q 'libcvm0 (= 0.1.0)'
}

@test "lintian: no error and no warning on the packages" {
        command -v lintian >/dev/null || skip "no lintian (make deps-test installs it)"
        run timeout 600 lintian --fail-on none "$DEBS"/*.changes
        echo "$output"
        [ "$status" -eq 0 ]
        run ! grep -qE '^[EW]: ' <<<"$output"
}

@test "cvmkit-guest: measurer, policy, hooks, the evidence service and units where initramfs-tools, dracut and systemd look" {
        dpkg-deb -c "$(deb_of cvmkit-guest)" | awk '{ print $1, $6 }' >"$T/guest"
        for f in "-rwxr-xr-x ./usr/sbin/cvm-measure" "-rw-r--r-- ./etc/cvm/policy.yaml" \
                "-rwxr-xr-x ./usr/share/initramfs-tools/hooks/cvm-measure" \
                "-rwxr-xr-x ./usr/share/initramfs-tools/scripts/local-bottom/cvm-measure" \
                "-rwxr-xr-x ./usr/lib/dracut/modules.d/90cvm-measure/module-setup.sh" \
                "-rwxr-xr-x ./usr/lib/dracut/modules.d/90cvm-measure/cvm-measure-hook.sh" \
                "-rw-r--r-- ./lib/systemd/system/cvm-measure-late.service" \
                "-rw-r--r-- ./lib/systemd/system/cvm-measure-initrd.service" \
                "-rw-r--r-- ./usr/share/man/man8/cvm-measure.8.gz" \
                "-rwxr-xr-x ./usr/sbin/cvm-evidenced" "-rw-r--r-- ./lib/systemd/system/cvm-evidence.socket" \
                "-rw-r--r-- ./lib/systemd/system/cvm-evidenced.service" \
                "-rw-r--r-- ./usr/share/man/man8/cvm-evidenced.8.gz" \
                "-rw-r--r-- ./usr/lib/python3/dist-packages/cvm_evidence.py"; do
                grep -qx -- "$f" "$T/guest" || { echo "cvmkit-guest lacks $f" >&2; return 1; }
        done
        mkdir "$T/ctl"
        dpkg-deb -e "$(deb_of cvmkit-guest)" "$T/ctl"
        # The initramfs is rebuilt through initramfs-tools' (and dracut's) trigger;
        # the units are enabled, never started (that would measure the running system).
        grep -qx 'activate-noawait update-initramfs' "$T/ctl/triggers"
        grep -q "deb-systemd-helper enable 'cvm-measure-late.service'" "$T/ctl/postinst"
        grep -q "deb-systemd-helper enable 'cvm-measure-initrd.service'" "$T/ctl/postinst"
        grep -q "deb-systemd-helper enable 'cvm-evidence.socket'" "$T/ctl/postinst"
        run ! grep -q 'deb-systemd-invoke start' "$T/ctl/postinst"
        grep -qx /etc/cvm/policy.yaml "$T/ctl/conffiles"
}

@test "make install-guest DESTDIR=D installs what cvmkit-guest holds" {
        fresh_make 300 -C "$SRC" --no-print-directory BUILD=build/deb-tree install-guest DESTDIR="$T/d" \
                SYSTEMDUNITDIR=/lib/systemd/system >/dev/null
        (cd "$T/d" && find . -type f | sort) >"$T/installed"
        dpkg-deb -c "$(deb_of cvmkit-guest)" | awk '$1 ~ /^-/ { print $6 }' | grep -vE '^./usr/share/(doc|lintian)/' |
                sed 's/\.8\.gz$/.8/' | sort >"$T/packaged"
        diff "$T/packaged" "$T/installed"
}

@test "the packaged initramfs-tools hook puts the installed measurer, the libcrypto and libtss2 it dlopen()s and the TPM TCTI into an initramfs" {
        command -v mkinitramfs >/dev/null || skip "no initramfs-tools"
        # The newest kernel with its modules and its config (mkinitramfs reads both).
        kver=
        for k in $(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -rV); do
                [ -f "/boot/config-$k" ] && { kver=$k; break; }
        done
        [ -n "$kver" ] || skip "no kernel with modules and config (make deps-run installs linux-image-amd64)"
        tcti=$(ldconfig -p | awk '/libtss2-tcti-device\.so\.0 / { print $NF; exit }')
        [ -n "$tcti" ] || skip "no libtss2-tcti-device0 on this machine"
        dpkg-deb -x "$(deb_of cvmkit-guest)" "$T/src"
        mkdir -p "$T/src${tcti%/*}" "$T/conf"
        cp "$tcti" "$T/src$tcti"
        # libcrypto and libtss2, which cvm-measure dlopen()s: the hook copies them though ldd does not list them.
        for l in libcrypto.so.3 libtss2-esys.so.0 libtss2-mu.so.0 libtss2-rc.so.0 libtss2-tctildr.so.0; do
                cp "${tcti%/*}/$l" "$T/src${tcti%/*}/$l"
        done
        cp -r /etc/initramfs-tools/. "$T/conf/"
        sed -i -e 's/^MODULES=.*/MODULES=list/' -e 's/^COMPRESS=.*/COMPRESS=gzip/' "$T/conf/initramfs.conf"
        cp -r "$T/src/usr/share/initramfs-tools/." "$T/conf/"
        CVM_HOOK_SRC="$T/src" timeout 300 mkinitramfs -d "$T/conf" -o "$T/i.img" "$kver"
        lsinitramfs "$T/i.img" >"$T/list"
        grep -qx 'usr/sbin/cvm-measure' "$T/list"
        grep -qx 'etc/cvm/policy.yaml' "$T/list"
        grep -qx 'scripts/local-bottom/cvm-measure' "$T/list"
        # The initramfs has /lib merged into /usr/lib.
        grep -qx "usr/lib/${tcti#*/lib/}" "$T/list"
        for l in libcrypto.so.3 libtss2-esys.so.0 libtss2-mu.so.0 libtss2-rc.so.0 libtss2-tctildr.so.0; do
                grep -qx "usr/lib/$(dirname "${tcti#*/lib/}")/$l" "$T/list"
        done
}

@test "make install PREFIX=P LIBDIR=P/lib/MULTIARCH: the README's C example builds with pkg-config and replays a log" {
        ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
        p="$T/prefix"
        fresh_make 300 -C "$SRC" --no-print-directory BUILD=build/deb-tree install PREFIX="$p" LIBDIR="$p/lib/$ma" >/dev/null
        [ -f "$p/lib/$ma/libcvm.so.0" ]
        [ "$(grep '^libdir=' "$p/lib/$ma/pkgconfig/cvm.pc")" = "libdir=\${prefix}/lib/$ma" ]
        export PKG_CONFIG_PATH="$p/lib/$ma/pkgconfig"
        [ "$(pkg-config --variable=libdir cvm)" = "$p/lib/$ma" ]
        # shellcheck disable=SC2046
        timeout 120 cc -std=gnu11 -Wall -Wextra -Werror -o "$T/replay" "$ROOT/measurer/doc/example-replay.c" \
                $(pkg-config --cflags --libs cvm)
        readelf -d "$T/replay" | grep -q 'NEEDED.*libcvm\.so\.0'
        run timeout 60 env LD_LIBRARY_PATH="$p/lib/$ma" "$T/replay" "$FIXTURES/$FIXTURE_LOG"
        [ "$status" -eq 0 ]
        # The same registers and values as cvm-evidence's replay of that log.
        timeout 60 "$p/bin/cvm-evidence" replay "$FIXTURES/$FIXTURE_LOG" | awk 'NR > 1 { print $1, $2, $3 }' >"$T/want"
        diff "$T/want" <(printf '%s\n' "${lines[@]}")
        run timeout 60 env LD_LIBRARY_PATH="$p/lib/$ma" "$T/replay"
        [ "$status" -eq 2 ]
        [[ "$output" == "usage: "* ]]
        run timeout 60 env LD_LIBRARY_PATH="$p/lib/$ma" "$T/replay" "$T/missing.log"
        [ "$status" -eq 1 ]
        [[ "$output" == *"$T/missing.log"* ]]
}

@test "Debian 12 root: cvm-evidence --version runs from the installed cvmkit" {
        need_root
        run in_root 60 cvm-evidence --version
        [ "$status" -eq 0 ]
        [[ "$output" == *0.1.0* ]]
        # shellcheck disable=SC2016 # dpkg-query's format
        [ "$(in_root 60 dpkg-query -W -f='${Status}' cvmkit cvmkit-guest libcvm0 libcvm-dev)" = \
                "$(printf 'install ok installed%.0s' 1 2 3 4)" ]
}

@test "Debian 12 root: pkg-config finds cvm in the multiarch libdir" {
        need_root
        ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
        # pkgconf ends its answer with a space.
        [ "$(in_root 60 pkg-config --libs cvm | xargs)" = "-lcvm" ]
        [ "$(in_root 60 pkg-config --variable=libdir cvm)" = "/usr/lib/$ma" ]
        [ "$(in_root 60 pkg-config --modversion cvm)" = 0.1.0 ]
}

@test "Debian 12 root: the README's C example builds against the installed libcvm and replays a log" {
        need_root
        cp "$ROOT/measurer/doc/example-replay.c" "$FIXTURES/$FIXTURE_LOG" "$R/tmp/"
        # shellcheck disable=SC2016
        in_root 120 sh -c 'cc -std=gnu11 -Wall -Wextra -Werror -o /tmp/replay /tmp/example-replay.c $(pkg-config --cflags --libs cvm)'
        ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
        in_root 60 ldd /tmp/replay | grep -qE "libcvm\.so\.0 => (/usr)?/lib/$ma/libcvm\.so\.0"
        run in_root 60 /tmp/replay "/tmp/$FIXTURE_LOG"
        [ "$status" -eq 0 ]
        in_root 60 cvm-evidence replay "/tmp/$FIXTURE_LOG" | awk 'NR > 1 { print $1, $2, $3 }' >"$T/want"
        diff "$T/want" <(printf '%s\n' "${lines[@]}")
}

@test "Debian 12 root: cvm-rewrite --plan with the installed plugins and recipe" {
        need_root
        run in_root 120 cvm-rewrite --plan --recipe /usr/share/cvm/recipes/debian-12-tdx.yaml \
                --set 'user.ssh_key=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMbxcvmkitpackagetest test'
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "recipe debian-12-tdx (/usr/share/cvm/recipes/debian-12-tdx.yaml)"* ]]
        [[ "$output" == *"plugin cvm-measurer (/usr/share/cvm/plugins/50-cvm-measurer)"* ]]
        [[ "$output" == *"plugin cvm-evidence (/usr/share/cvm/plugins/51-cvm-evidence)"* ]]
}

@test "Debian 12 root: cvmkit-guest enabled its units for the next boot and installed its policy" {
        need_root
        [ -L "$R/etc/systemd/system/sysinit.target.wants/cvm-measure-late.service" ]
        [ -L "$R/etc/systemd/system/initrd-switch-root.target.wants/cvm-measure-initrd.service" ]
        [ -x "$R/usr/sbin/cvm-measure" ]
        run in_root 60 cvm-measure --version
        [ "$status" -eq 0 ]
        cmp "$ROOT/plugins/50-cvm-measurer/files/policy.yaml" "$R/etc/cvm/policy.yaml"
}

@test "make deps is deps-build + deps-run + deps-test; the CI workflow installs the first two and pins every action by commit" {
        # shellcheck disable=SC2016 # make's syntax
        pkgs() { fresh_make 60 -s -C "$ROOT" --no-print-directory --eval 'print-%: ; @echo $($*)' "print-$1" | tr ' ' '\n' | grep . | sort; }
        diff <(pkgs DEPS) <({ pkgs DEPS_BUILD; pkgs DEPS_RUN; pkgs DEPS_TEST; } | sort)
        # No package is in two sets.
        [ -z "$({ pkgs DEPS_BUILD; pkgs DEPS_RUN; pkgs DEPS_TEST; } | sort | uniq -d)" ]
        wf="$ROOT/ci/github/build-image.yml"
        grep -q 'run: make deps-build deps-run$' "$wf"
        run ! grep -qE 'make deps( |$)|deps-test' "$wf"
        grep -q 'deps-build deps-run' "$ROOT/ci/build-foundation-image.sh"
        # Every action by a 40-digit commit, with its tag beside it.
        [ "$(grep -c 'uses: ' "$wf")" -ge 3 ]
        unpinned=$(grep 'uses: ' "$wf" | grep -vE 'uses: [a-z/-]+@[0-9a-f]{40} +# v[0-9.]+$' || true)
        [ -z "$unpinned" ]
        # KVM where /dev/kvm opens, else TCG, for both libguestfs and the boot check.
        grep -q 'exec 3<>/dev/kvm' "$wf"
        grep -q 'CVM_ACCEL=kvm' "$wf"
        grep -q 'CVM_ACCEL:-tcg' "$ROOT/tests/e2e/lib.sh"
}
