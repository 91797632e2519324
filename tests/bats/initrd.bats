#!/usr/bin/env bats
# cvm-initrd against real initramfs images made by this machine's mkinitramfs,
# read back by Debian's lsinitramfs, cpio and the kernel itself (QEMU, TCG).

load helpers

# Two images from mkinitramfs for the installed kernel: a zstd one as Debian
# configures it, and a gzip one whose early segment comes from a hook calling
# initramfs-tools' prepend_earlyinitramfs with kernel/x86/microcode/GenuineIntel.bin,
# which is how the intel-microcode hook makes it (non-free-firmware is not in the
# registry here, so the blob is random bytes; the kernel only checks the layout).
setup_file() {
        export KVER KERNEL W="$BATS_FILE_TMPDIR"
        KVER=$(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n1)
        KERNEL=/boot/vmlinuz-$KVER
        [ -n "$KVER" ] && [ -f "$KERNEL" ] || { echo "no kernel with modules: make deps installs linux-image-amd64" >&2; return 1; }
        mkdir -p "$W/conf/hooks" "$W/ucode/kernel/x86/microcode"
        cp -r /etc/initramfs-tools/. "$W/conf/"
        sed -i 's/^MODULES=.*/MODULES=list/' "$W/conf/initramfs.conf"
        sed 's/^COMPRESS=.*/COMPRESS=zstd/' "$W/conf/initramfs.conf" >"$W/zstd.conf"
        head -c 12345 /dev/urandom >"$W/ucode/kernel/x86/microcode/GenuineIntel.bin"
        (cd "$W/ucode" && find . | LC_ALL=C sort | cpio --quiet -o -H newc) >"$W/early.cpio"
        cp "$W/zstd.conf" "$W/conf/initramfs.conf"
        mkinitramfs -d "$W/conf" -o "$W/zstd.img" "$KVER"
        sed -i 's/^COMPRESS=.*/COMPRESS=gzip/' "$W/conf/initramfs.conf"
        cat >"$W/conf/hooks/early-ucode" <<EOF
#!/bin/sh
[ "\$1" = prereqs ] && exit 0
. /usr/share/initramfs-tools/hook-functions
prepend_earlyinitramfs "$W/early.cpio"
EOF
        chmod +x "$W/conf/hooks/early-ucode"
        mkinitramfs -d "$W/conf" -o "$W/mc.img" "$KVER"
        mkdir -p "$W/add/x"
        echo "cvm payload" >"$W/add/x/payload"
        ln -s payload "$W/add/x/link"
        printf '#!/bin/sh\necho hello\n' >"$W/add/tool"
        chmod 0750 "$W/add/tool"
}

setup() {
        E="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/cvm-evidence"
        M="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/cvm-measure"
        I="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/cvm-initrd"
        F="${FIXTURES:?}"
        T="$BATS_TEST_TMPDIR"
}

paths() { jq -r '.entries[].path' | LC_ALL=C sort; }
lsinit() { lsinitramfs "$1" | sed -e 's|^\./||' -e 's|^$|.|' | LC_ALL=C sort; }

@test "list: the same entries as lsinitramfs, with every segment and its compression" {
        run "$I" list --json "$W/zstd.img"
        [ "$status" -eq 0 ]
        [ "$(jq -r '[.segments[].compression] | join(",")' <<<"$output")" = zstd ]
        diff <(paths <<<"$output") <(lsinit "$W/zstd.img")

        run "$I" list --json "$W/mc.img"
        [ "$status" -eq 0 ]
        [ "$(jq -r '[.segments[].compression] | join(",")' <<<"$output")" = none,gzip ]
        [ "$(jq -r '.segments[0].offset' <<<"$output")" -eq 0 ]
        [ "$(jq -r '.entries[] | select(.segment == 0) | .path' <<<"$output" | tail -n1)" = kernel/x86/microcode/GenuineIntel.bin ]
        diff <(paths <<<"$output") <(lsinit "$W/mc.img")
        # The text form carries the same rows.
        [ "$("$I" list "$W/mc.img" | wc -l)" -eq "$(jq '.entries | length' <<<"$output")" ]
        "$I" list "$W/mc.img" | grep -q '^0 none  -0644      12345 kernel/x86/microcode/GenuineIntel.bin$'
}

@test "append: microcode stays first and byte-identical, lsinitramfs still reads the image, the new segment holds the files" {
        size=$(stat -c %s "$W/mc.img")
        run "$I" append "$W/mc.img" --out "$T/out.img" --add "$W/add/tool:/usr/sbin/cvm-tool" \
                --add "/etc/hostname:/etc/cvm/name:0600" --tree "$W/add:/usr/lib/cvm"
        [ "$status" -eq 0 ]
        cmp -n "$size" "$W/mc.img" "$T/out.img"
        run "$I" list --json "$T/out.img"
        [ "$(jq -r '[.segments[].compression] | join(",")' <<<"$output")" = none,gzip,gzip ]
        new=$(jq -r '.entries[] | select(.segment == 2) | "\(.type) \(.mode) \(.path)\(if .target then " -> " + .target else "" end)"' <<<"$output")
        # No entry for etc, usr, usr/lib, usr/sbin: the main segment has them (a parent
        # directory entry over an earlier symlink replaced it, see the merged-usr case).
        [ "$new" = "dir 0755 etc/cvm
file 0600 etc/cvm/name
dir 0755 usr/lib/cvm
file 0750 usr/lib/cvm/tool
dir 0755 usr/lib/cvm/x
symlink 0777 usr/lib/cvm/x/link -> payload
file 0644 usr/lib/cvm/x/payload
file 0750 usr/sbin/cvm-tool" ]
        # Debian's lsinitramfs stops after the first compressed archive (cpio ends at
        # TRAILER!!!), but it still reads every earlier entry of the result.
        diff <(lsinit "$W/mc.img") <(lsinit "$T/out.img")
        # GNU cpio reads the new segment on its own, cut out at the offsets list gives.
        off=$(jq -r '.segments[2].offset' <<<"$output")
        tail -c +"$((off + 1))" "$T/out.img" | gzip -dc | cpio -t --quiet | grep -qx usr/lib/cvm/x/payload
        # The input is untouched and no temporary file is left beside the output.
        [ "$(stat -c %s "$W/mc.img")" -eq "$size" ]
        [ "$(find "$T" -name '.out.img.*' | wc -l)" -eq 0 ]
}

@test "append: the kernel boots the result and runs the appended /init with every segment unpacked (QEMU, TCG)" {
        printf '#!/bin/sh\necho "CVM-BOOT init from segment 2"\n[ -s /kernel/x86/microcode/GenuineIntel.bin ] && echo "CVM-BOOT microcode"\n[ -d /usr/lib/modules ] && echo "CVM-BOOT main"\n' >"$T/init"
        chmod 0755 "$T/init"
        # Several MB, so the segment holds several of the blocks each codec compresses on its own core.
        head -c 2500000 /dev/urandom | base64 >"$T/big"
        for c in gzip xz zstd; do
                "$I" append "$W/mc.img" --out "$T/$c.img" --compress "$c" --add "$T/init:/init" --add "$T/big:/zz-big"
                timeout 120 qemu-system-x86_64 -machine q35 -accel tcg -m 512 -nographic -no-reboot -nodefaults \
                        -serial stdio -kernel "$KERNEL" -initrd "$T/$c.img" -append "console=ttyS0 quiet panic=-1" \
                        </dev/null >"$T/$c.log" 2>&1 || true
                grep -a -q "CVM-BOOT init from segment 2" "$T/$c.log" || { echo "$c:"; cat "$T/$c.log"; false; }
                grep -a -q "CVM-BOOT microcode" "$T/$c.log"
                grep -a -q "CVM-BOOT main" "$T/$c.log"
                ! grep -a -q "Initramfs unpacking failed" "$T/$c.log"
        done
}

@test "append is deterministic: same inputs, same bytes, whatever the source mtimes; SOURCE_DATE_EPOCH clamps them" {
        "$I" append "$W/zstd.img" --out "$T/a.img" --tree "$W/add:/opt/x"
        touch -d '2001-02-03' "$W/add/x/payload"
        "$I" append "$W/zstd.img" --out "$T/b.img" --tree "$W/add:/opt/x"
        [ "$(sha256sum <"$T/a.img")" = "$(sha256sum <"$T/b.img")" ]
        for c in none gzip zstd xz lzma bzip2; do
                touch -d @1800000000 "$W/add/x/payload"
                SOURCE_DATE_EPOCH=1700000000 "$I" append "$W/zstd.img" --out "$T/c1.img" --compress "$c" --tree "$W/add:/opt/x"
                touch "$W/add/x/payload"
                SOURCE_DATE_EPOCH=1700000000 "$I" append "$W/zstd.img" --out "$T/c2.img" --compress "$c" --tree "$W/add:/opt/x"
                cmp "$T/c1.img" "$T/c2.img"
                run "$I" list --json "$T/c1.img"
                [ "$(jq -r ".segments[1].compression" <<<"$output")" = "$c" ]
        done
        # Clamped: a file newer than the epoch gets the epoch; the cpio header says so.
        off=$(jq -r '.segments[1].offset' <<<"$output")
        tail -c +"$((off + 1))" "$T/c1.img" | bzip2 -dc | cpio -tv --quiet 2>/dev/null | grep payload | grep -q 2023
}

@test "append on all cores: gzip, xz and zstd give the same bytes with 1, 2 and 3 threads; gzip stays one member" {
        mkdir -p "$T/big"
        head -c 3000000 /dev/urandom | base64 >"$T/big/text"
        cp /bin/busybox "$T/big/busybox"
        for c in gzip xz zstd; do
                for n in 1 2 3; do
                        CVM_INITRD_THREADS=$n timeout 300 "$I" append "$W/zstd.img" --out "$T/t$n.img" --compress "$c" --tree "$T/big:/opt/big"
                done
                cmp "$T/t1.img" "$T/t2.img"
                cmp "$T/t1.img" "$T/t3.img"
                off=$(timeout 60 "$I" list --json "$T/t2.img" | jq -r '.segments[1].offset')
                tail -c +"$((off + 1))" "$T/t2.img" >"$T/seg.$c"
                case $c in gzip) d="gzip -dc" ;; xz) d="xz -dc" ;; zstd) d="zstd -qdc" ;; esac
                timeout 60 $d <"$T/seg.$c" | (mkdir -p "$T/x.$c" && cd "$T/x.$c" && timeout 60 cpio -id --quiet)
                cmp "$T/big/text" "$T/x.$c/opt/big/text"
                cmp /bin/busybox "$T/x.$c/opt/big/busybox"
        done
        # The kernel's unpacker wants a whole cpio archive in each gzip member: one member, ending at the file's end.
        timeout 60 python3 -c 'import sys, zlib
d = open(sys.argv[1], "rb").read(); o = zlib.decompressobj(31); o.decompress(d)
sys.exit(0 if o.eof and not o.unused_data else 1)' "$T/seg.gzip"
        # A thread count out of range is refused by name, and nothing is written.
        CVM_INITRD_THREADS=65 run timeout 60 "$I" append "$W/zstd.img" --out "$T/bad.img" --add "$W/add/tool:/x"
        [ "$status" -ne 0 ]
        [[ "$output" == *"CVM_INITRD_THREADS='65': expected a number from 1 to 64"* ]]
        [ ! -e "$T/bad.img" ]
}

@test "append over a merged-usr image: lib/modules/X goes to usr/lib/modules/X, the lib -> usr/lib symlink stays" {
        # As Debian 12 and Ubuntu build it: /lib and /bin are symlinks into /usr.  A "lib"
        # directory entry in the new segment made the kernel replace the symlink ("Failed to execute /init").
        mkdir -p "$T/base/usr/lib" "$T/base/usr/bin"
        ln -s usr/lib "$T/base/lib"
        ln -s usr/bin "$T/base/bin"
        printf '#!/bin/sh\n' >"$T/base/init"
        (cd "$T/base" && find . | LC_ALL=C sort | cpio --quiet -o -H newc | gzip -n) >"$T/base.img"
        echo module >"$T/x.ko"
        timeout 60 "$I" append "$T/base.img" --out "$T/m.img" --add "$T/x.ko:/lib/modules/6.1/x.ko"
        run timeout 60 "$I" list "$T/m.img"
        [ "$status" -eq 0 ]
        grep -q '^1 gzip  -0644          7 usr/lib/modules/6.1/x.ko$' <<<"$output"
        grep -q '^0 gzip  l0777          7 lib -> usr/lib$' <<<"$output"
        # The new segment holds no lib, usr or usr/lib entry: the earlier segment provides them.
        [ "$(grep -c '^1 ' <<<"$output")" -eq 3 ]
        ! grep -Eq '^1 .* (lib|usr|usr/lib)$' <<<"$output"
        timeout 60 "$I" extract "$T/m.img" "$T/x"
        [ -L "$T/x/lib" ] && [ "$(readlink "$T/x/lib")" = usr/lib ]
        [ "$(cat "$T/x/usr/lib/modules/6.1/x.ko")" = module ]

        # An entry that would replace an earlier one of another type is refused, naming both.
        mkdir -p "$T/d/sub"
        run timeout 60 "$I" append "$T/base.img" --out "$T/bad.img" --tree "$T/d:/lib"
        [ "$status" -eq 2 ]
        [[ "$output" == *"lib: would replace a symlink of an earlier segment with a directory"* ]]
        run timeout 60 "$I" append "$T/base.img" --out "$T/bad.img" --add "$T/x.ko:/bin"
        [ "$status" -eq 2 ]
        [[ "$output" == *"replacing files must be asked for"* ]]
        [ ! -e "$T/bad.img" ]
        timeout 60 "$I" append "$T/base.img" --out "$T/r.img" --replace --add "$T/x.ko:/bin"
        timeout 60 "$I" list "$T/r.img" | grep -q '^1 gzip  -0644          7 bin$'

        # This machine's own mkinitramfs image (Debian 12) is merged-usr too.
        run timeout 60 "$I" append "$W/zstd.img" --out "$T/z.img" --add "$T/x.ko:/lib/modules/$KVER/extra/x.ko"
        [ "$status" -eq 0 ]
        run timeout 60 "$I" list "$T/z.img"
        grep -q '^0 zstd  l0777          7 lib -> usr/lib$' <<<"$output"
        grep -q "^1 zstd  -0644          7 usr/lib/modules/$KVER/extra/x.ko\$" <<<"$output"
        ! grep -Eq '^1 .* (lib|usr|usr/lib|usr/lib/modules)$' <<<"$output"
}

@test "rebuild with no change keeps every entry and every content digest; the microcode segment is kept byte for byte" {
        run "$I" rebuild "$W/mc.img" --out "$T/r.img"
        [ "$status" -eq 0 ]
        early=$(jq -r '.segments[1].offset' < <("$I" list --json "$W/mc.img"))
        cmp -n "$early" "$W/mc.img" "$T/r.img"
        # Every entry with its type, mode and link target; every file's content, extracted
        # (busybox's applets are one hard-link group: which member libarchive names the
        # group's first differs with the order, the inode they share does not).
        entries() { "$I" list --json "$1" | jq -r '.entries[] | "\(.segment) \(.path) \(.type) \(.mode) \(.target // "-")"' | LC_ALL=C sort; }
        diff <(entries "$W/mc.img") <(entries "$T/r.img")
        "$I" extract "$W/mc.img" "$T/a"
        "$I" extract "$T/r.img" "$T/b"
        diff -r --no-dereference "$T/a" "$T/b"
        [ "$(stat -c %h "$T/a/usr/bin/busybox")" -gt 100 ]
        [ "$(stat -c %h "$T/b/usr/bin/busybox")" = "$(stat -c %h "$T/a/usr/bin/busybox")" ]
        [ "$(stat -c %i "$T/b/usr/bin/busybox")" = "$(stat -c %i "$T/b/usr/sbin/vconfig")" ]
        cmp /bin/busybox "$T/b/usr/bin/busybox"
        # The rebuilt main segment is not bigger than the original by more than compression noise.
        [ "$(stat -c %s "$T/r.img")" -lt $(( $(stat -c %s "$W/mc.img") * 11 / 10 )) ]
        diff <(lsinit "$W/mc.img") <(lsinit "$T/r.img")
        "$I" rebuild "$W/mc.img" --out "$T/r2.img"
        cmp "$T/r.img" "$T/r2.img"
}

@test "rebuild: --remove drops a path and what is below it, --add replaces a file; the result is read by lsinitramfs" {
        victim=$("$I" list --json "$W/mc.img" | jq -r '.entries[] | select(.segment == 1 and .type == "file" and (.path | startswith("usr/lib/modules/"))) | .path' | head -n1)
        [ -n "$victim" ]
        run "$I" rebuild "$W/mc.img" --out "$T/r.img" --remove scripts --remove "/$victim" --add "$W/add/tool:/init"
        [ "$status" -eq 0 ]
        ! lsinit "$T/r.img" | grep -q '^scripts'
        ! lsinit "$T/r.img" | grep -qx "$victim"
        "$I" extract "$T/r.img" "$T/x" init
        cmp "$W/add/tool" "$T/x/init"
        run "$I" rebuild "$W/mc.img" --out "$T/r3.img" --remove no/such/path
        [ "$status" -eq 2 ]
        [[ "$output" == *"--remove no/such/path: not in the main segment (segment 1)"* ]]
        [ ! -e "$T/r3.img" ]
}

@test "extract: every segment in order, into DIR only" {
        "$I" extract "$W/mc.img" "$T/x"
        [ -s "$T/x/kernel/x86/microcode/GenuineIntel.bin" ]
        cmp "$W/ucode/kernel/x86/microcode/GenuineIntel.bin" "$T/x/kernel/x86/microcode/GenuineIntel.bin"
        [ -x "$T/x/init" ]
        unmkinitramfs "$W/mc.img" "$T/u"
        cmp "$T/u/main/init" "$T/x/init"
        [ "$(readlink "$T/x/bin")" = "$(readlink "$T/u/main/bin")" ]
}

# A hostile image: segment 0 makes "esc" a symlink to the absolute path
# /cvm-escape and "up" one to ../../..; segment 1 writes through both.
@test "extract: a symlink in the archive never leads a later entry out of DIR; '..' names are refused" {
        mkdir -p "$T/s0/cvm-escape" "$T/s1/esc" "$T/s1/up"
        ln -s /cvm-escape "$T/s0/esc"
        ln -s ../../.. "$T/s0/up"
        echo pwned >"$T/s1/esc/pwned"
        echo pwned >"$T/s1/up/pwned2"
        (cd "$T/s0" && printf 'cvm-escape\nesc\nup\n' | cpio --quiet -o -H newc) >"$T/h.img"
        (cd "$T/s1" && printf 'esc/pwned\nup/pwned2\n' | cpio --quiet -o -H newc) >>"$T/h.img"
        run "$I" extract "$T/h.img" "$T/d"
        [ "$status" -eq 0 ]
        [ ! -e /cvm-escape ]
        [ ! -e "$T/../../pwned2" ] && [ ! -e /pwned2 ]
        [ "$(cat "$T/d/cvm-escape/pwned")" = pwned ]
        [ "$(cat "$T/d/pwned2")" = pwned ]

        mkdir -p "$T/s2/sub"
        echo evil >"$T/s2/evil"
        (cd "$T/s2/sub" && echo ../evil | cpio --quiet -o -H newc) >"$T/dots.img"
        run "$I" extract "$T/dots.img" "$T/e"
        [ "$status" -eq 2 ]
        [[ "$output" == *"segment 0 (none at offset 0), archive byte 0: entry name '../evil' is empty, too long or has a '..' component"* ]]
        [ ! -e "$T/evil" ]
        run "$I" list "$T/dots.img"
        [ "$status" -eq 2 ]
}

newc() { # name size: one newc header with that file size, then the name
        printf '070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x' 1 $((0100644)) 0 0 1 0 "$2" 0 0 0 0 $((${#1} + 1)) 0
        printf '%s\0' "$1"
}

@test "bad input: truncated, bad magic, a stream that never ends, a 4 GiB size field, lzo -- segment and offset named" {
        head -c 100000 "$W/mc.img" >"$T/trunc.img"
        run "$I" list "$T/trunc.img"
        [ "$status" -eq 2 ]
        [[ "$output" == *"segment 1 (gzip at offset "*"): the compressed stream does not end within"* ]]

        head -c 20 "$W/early.cpio" >"$T/short.img"
        run "$I" list "$T/short.img"
        [ "$status" -eq 2 ]
        [[ "$output" == *"segment 0 (cpio at offset 0): offset 0: truncated cpio header"* ]]

        { cat "$W/early.cpio"; printf 'MZ garbage'; } >"$T/magic.img"
        run "$I" list "$T/magic.img"
        [ "$status" -eq 2 ]
        [[ "$output" == *"segment 1 at offset $(stat -c %s "$W/early.cpio"): neither a cpio archive nor a known compression (bytes 4d 5a)"* ]]

        { newc huge 4294967295; printf 'only a few bytes'; } >"$T/huge.img"
        run "$I" list "$T/huge.img"
        [ "$status" -eq 2 ]
        [[ "$output" == *"offset 0: cpio entry 'huge' claims 4294967295 bytes of data, past the end"* ]]

        { newc huge 4294967295; printf 'only a few bytes'; } | gzip -c >"$T/hugez.img"
        run "$I" extract "$T/hugez.img" "$T/hz"
        [ "$status" -eq 2 ]
        [[ "$output" == *"segment 0 (gzip at offset 0): archive byte 0: the entry that starts there is cut off by the end of the stream"* ]]

        # Found by fuzz_initrd: a name size of ~4 GiB inside a compressed segment made libarchive
        # allocate it; the stream is now walked first.
        { printf '070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x' 1 $((0100644)) 0 0 1 0 0 0 0 0 0 $((0xf0f0f0f2)) 0
          printf 'x\0\0\0'; } | gzip -c >"$T/hugename.img"
        run "$I" list "$T/hugename.img"
        [ "$status" -eq 2 ]
        [[ "$output" == *"segment 0 (gzip at offset 0): archive byte 0: cpio name of 4042322162 bytes (expected 1 to 4096)"* ]]

        printf '\x89LZO\0\r\n' >"$T/lzo.img"
        run "$I" list "$T/lzo.img"
        [ "$status" -eq 2 ]
        [[ "$output" == *"lzo is not supported"* ]]

        run "$I" append "$W/mc.img" --out "$W/mc.img" --add "$W/add/tool:/x"
        [ "$status" -eq 1 ]
        [[ "$output" == *"the output is the input"* ]]
        run "$I" append "$W/mc.img" --out "$T/o.img" --add "$W/add/tool:../x"
        [ "$status" -eq 2 ]
        [[ "$output" == *"destination '../x'"* ]]
}

# The binaries bundled are the plain build's even when the bundler under test is
# the ASan one: an ASan binary needs /proc, which the bare root does not have.
@test "bundle: the closure ldd reports, plus the loader and dlopen()ed TCTIs; runs in a root holding only the bundle" {
        E="$BATS_TEST_DIRNAME/../../build/bin/cvm-evidence"
        M="$BATS_TEST_DIRNAME/../../build/bin/cvm-measure"
        # libcrypto and libtss2, which both dlopen(), are named as plugins 50 and 51 name them.
        tss=(libcrypto.so.3 libtss2-esys.so.0 libtss2-mu.so.0 libtss2-rc.so.0 libtss2-tctildr.so.0)
        run "$I" bundle --prefix /usr/lib/cvm/bundle "${tss[@]/#/--lib=}" --lib libtss2-tcti-swtpm.so.0 --list "$E" "$M" --out "$T/b"
        [ "$status" -eq 0 ]
        # Every library ldd resolves for both binaries and for the named ones is in lib/, and nothing else but the extra TCTI.
        paths=$(for l in "${tss[@]}"; do ldconfig -p | awk -v n="$l" '$1 == n { print $NF; exit }'; done)
        # shellcheck disable=SC2086
        want=$({ ldd "$E" "$M" $paths | awk '/=>/ { print $1 } /ld-linux/ { sub(".*/", "", $1); print $1 }'; printf '%s\n' "${tss[@]}"; } | sort -u)
        have=$(ls "$T/b/lib" | grep -v '^libtss2-tcti-swtpm' | sort)
        [ "$want" = "$have" ]
        for l in "$T"/b/lib/*.so*; do
                n=${l##*/}
                real=$(ldd "$E" "$M" | awk -v n="$n" '$1 == n { print $3 }' | head -n1)
                [ -z "$real" ] || cmp "$l" "$real"
        done
        [ -x "$T/b/bin/cvm-evidence" ] && [ -x "$T/b/libexec/cvm-measure" ]
        # What an initramfs carries is lean: the launcher is static musl, not glibc's 770 KB
        # floor, and the programs come without their debug info, which stays in the build
        # (bin/.debug, found through .gnu_debuglink) instead of in every guest.
        ! readelf -l "$T/b/bin/cvm-measure" | grep -q INTERP
        [ "$(stat -c %s "$T/b/bin/cvm-measure")" -lt 65536 ]
        for p in cvm-evidence cvm-measure; do
                ! readelf -S "$T/b/libexec/$p" | grep -q '\.debug_info'
                readelf --string-dump=.gnu_debuglink "$T/b/libexec/$p" | grep -q "$p\.debug"
                readelf --debug-dump=info "${E%/*}/$p" 2>&1 | head -n3 | grep -q "loaded from .*/bin/\.debug/$p\.debug"
        done

        R="$T/root"
        mkdir -p "$R/usr/lib/cvm" "$R/data"
        cp -a "$T/b" "$R/usr/lib/cvm/bundle"
        cp "$F/tcg2-goeventlog-ubuntu-2104-no-secure-boot.bin" "$R/data/log"
        [ "$(find "$R" -type f | grep -vc '/usr/lib/cvm/bundle/')" -eq 1 ]
        # No shell, no libc, no /proc, no ld.so.cache outside the bundle.
        [ ! -e "$R/bin" ] && [ ! -e "$R/lib" ] && [ ! -e "$R/etc" ] && [ ! -e "$R/proc/self" ]
        run chroot "$R" /usr/lib/cvm/bundle/bin/cvm-evidence replay --json /data/log
        [ "$status" -eq 0 ]
        diff <(json_pcrs <<<"$output") <("$E" replay --json "$F/tcg2-goeventlog-ubuntu-2104-no-secure-boot.bin" | json_pcrs)
        run chroot "$R" /usr/lib/cvm/bundle/bin/cvm-measure --version
        [ "$status" -eq 0 ]
        [[ "$output" == "cvm-measure "* ]]

        # The TCTI is dlopen()ed from the bundle: swtpm works, mssim (not bundled) does not.
        # The bundled measurer measures a tree into the swtpm from inside the bare root,
        # and the host's replay --check of its log against the same swtpm passes.
        mkdir -p "$R/m/etc" "$T/empty"
        echo measured >"$R/m/etc/app.conf"
        printf 'version: 1\ngroups:\n  - name: os\n    class: os\n    items:\n      - file: /etc/app.conf\n' >"$R/data/p.yaml"
        start_swtpm
        run chroot "$R" /usr/lib/cvm/bundle/bin/cvm-evidence info --tcti "$TCTI"
        [ "$status" -eq 0 ]
        [[ "$output" == *"backend: tpm2"* ]]
        run chroot "$R" /usr/lib/cvm/bundle/bin/cvm-measure --tcti "$TCTI" --root /m --proc /m --policy /data/p.yaml --log /data/rt.log
        [ "$status" -eq 0 ]
        run "$E" replay --check --tcti "$TCTI" --sysroot "$T/empty" --log "$R/data/rt.log"
        stop_swtpm
        [ "$status" -eq 0 ]
        "$E" eventlog "$R/data/rt.log" | grep -q 'etc/app.conf'
        run chroot "$R" /usr/lib/cvm/bundle/bin/cvm-evidence info --tcti mssim:host=127.0.0.1,port=1
        [ "$status" -ne 0 ]

        run "$I" bundle "$E" --out "$T/b"
        [ "$status" -eq 3 ]
        [[ "$output" == *"already exists"* ]]
        run "$I" bundle /bin/nonexistent --out "$T/b2"
        [ "$status" -eq 2 ]
        [ ! -e "$T/b2" ]
}

@test "bundle into an initramfs: append the bundle, the kernel's view holds the launcher" {
        "$I" bundle "$BATS_TEST_DIRNAME/../../build/bin/cvm-measure" --out "$T/b"
        "$I" append "$W/zstd.img" --out "$T/m.img" --tree "$T/b:/usr/lib/cvm/bundle"
        run "$I" list "$T/m.img"
        [[ "$output" == *"usr/lib/cvm/bundle/bin/cvm-measure"* ]]
        [[ "$output" == *"usr/lib/cvm/bundle/lib/ld-linux-x86-64.so.2"* ]]
        "$I" extract "$T/m.img" "$T/x" usr/lib/cvm/bundle
        [ "$(ls "$T/x")" = usr ]
        run chroot "$T/x" /usr/lib/cvm/bundle/bin/cvm-measure --help
        [ "$status" -eq 0 ]
}

# The temporaries of a write, .OUT.cvm-initrd.PID.XXXXXX, beside OUT.
temps() { find "$(dirname "$1")" -maxdepth 1 -name ".$(basename "$1").cvm-initrd.*" | sort; }
wait_for_temp() { for _ in $(seq 1 500); do [ -n "$(temps "$1")" ] && return 0; sleep 0.01; done; return 1; }

@test "append: SIGTERM during a long write removes the full-size temporary and exits 143" {
        head -c 16M /dev/urandom >"$T/big"
        "$I" append "$W/zstd.img" --out "$T/o.img" --compress xz --add "$T/big:/big" &
        pid=$!
        wait_for_temp "$T/o.img"
        kill -TERM "$pid"
        rc=0 && wait "$pid" || rc=$?
        [ "$rc" -eq 143 ]
        [ -z "$(temps "$T/o.img")" ] && [ ! -e "$T/o.img" ]
}

@test "append: after SIGKILL, the next write of that output removes the dead writer's temporary, not a live one's" {
        head -c 16M /dev/urandom >"$T/big"
        "$I" append "$W/zstd.img" --out "$T/o.img" --compress xz --add "$T/big:/big" &
        pid=$!
        wait_for_temp "$T/o.img"
        kill -KILL "$pid"
        wait "$pid" || true
        stale=$(temps "$T/o.img")
        [ -n "$stale" ]
        : >"$T/.o.img.cvm-initrd.$$.live01"     # this shell is alive: its temporary stays
        run "$I" append "$W/zstd.img" --out "$T/o.img" --add "$W/add/tool:/tool"
        [ "$status" -eq 0 ]
        [[ "$output" == *"removing $stale, left by an interrupted run (PID $pid)"* ]]
        [ "$(temps "$T/o.img")" = "$T/.o.img.cvm-initrd.$$.live01" ]
}

@test "extract: SIGTERM stops it at the next entry; neither DIR nor the temporary directory is left" {
        mkdir "$T/many" && (cd "$T/many" && seq 1 40000 | xargs touch)
        "$I" create --out "$T/many.img" --tree "$T/many:/m"
        "$I" extract "$T/many.img" "$T/d" &
        pid=$!
        wait_for_temp "$T/d"
        kill -TERM "$pid"
        rc=0 && wait "$pid" || rc=$?
        [ "$rc" -eq 143 ]
        [ -z "$(temps "$T/d")" ] && [ ! -e "$T/d" ]
}

@test "--tree of a 1500-deep host directory (it overflowed the stack before)" {
        p="$T/deep"
        for _ in $(seq 1 1500); do p="$p/a"; done
        mkdir -p "$p" && echo bottom >"$p/f"
        "$I" create --out "$T/deep.img" --tree "$T/deep:/d"
        "$I" list "$T/deep.img" | grep -q ' 7 d/a/a/.*/a/f$'
        "$I" extract "$T/deep.img" "$T/x"
        [ "$(cat "$T/x/d/$(printf 'a/%.0s' $(seq 1 1500))f")" = bottom ]
}

@test "extract: device nodes are listed but not made, set-user/group-ID bits are dropped" {
        mkdir -p "$T/s/dev" "$T/s/bin"
        mknod "$T/s/dev/sda" b 8 0 && chmod 0666 "$T/s/dev/sda"
        echo '#!/bin/sh' >"$T/s/bin/su" && chmod 06755 "$T/s/bin/su"
        mkfifo "$T/s/fifo"
        "$I" create --out "$T/dev.img" --tree "$T/s:/"
        "$I" list "$T/dev.img" | grep -q 'b0666 *0 dev/sda$'
        "$I" extract "$T/dev.img" "$T/x"
        [ ! -e "$T/x/dev/sda" ] && [ -d "$T/x/dev" ]
        [ "$(stat -c %a "$T/x/bin/su")" = 755 ]
        [ -p "$T/x/fifo" ]
}
