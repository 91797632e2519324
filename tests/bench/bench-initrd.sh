#!/usr/bin/env bash
# cvm-initrd append against the usual route to add files to an initramfs
# (unmkinitramfs + copy + cpio + compress, the compressor invoked as
# mkinitramfs does), same machine, same run.  The images are made here by
# mkinitramfs for the installed kernel (MODULES=most, an early microcode
# segment first), with Debian 12's default zstd, with gzip and with xz; the
# payload is the cvm-measure bundle plugin 50 installs (a few MB).  Prints the
# times and the ratios (target >= 20x), the cost over the floor that reading
# the image's entries sets (one decode of its main segment), and the bundle's size.
set -eu
BUILD=${BUILD:-build}
I="$BUILD/bin/cvm-initrd"
cd "$(dirname "$0")/../.."
. tests/bench/figure.sh
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
KVER=$(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n1)

mkdir -p "$dir/conf/hooks" "$dir/ucode/kernel/x86/microcode"
cp -r /etc/initramfs-tools/. "$dir/conf/"
sed -i 's/^MODULES=.*/MODULES=most/' "$dir/conf/initramfs.conf"
head -c 100000 /dev/urandom >"$dir/ucode/kernel/x86/microcode/GenuineIntel.bin"
(cd "$dir/ucode" && find . | LC_ALL=C sort | cpio --quiet -o -H newc) >"$dir/early.cpio"
printf '#!/bin/sh\n[ "$1" = prereqs ] && exit 0\n. /usr/share/initramfs-tools/hook-functions\nprepend_earlyinitramfs %s\n' \
        "$dir/early.cpio" >"$dir/conf/hooks/early"
chmod +x "$dir/conf/hooks/early"
# The libraries plugin 50's bundle step names (what cvm-measure dlopen()s).
libs=$(sed -n 's/.*bundle: {programs: \[cvm-measure\], libs: \[\([^]]*\)\].*/\1/p' plugins/50-cvm-measurer/plugin.yaml | tr -d ' ')
[ -n "$libs" ] || { echo "bench: no bundle step in plugins/50-cvm-measurer/plugin.yaml" >&2; exit 1; }
libargs=()
IFS=, read -ra names <<<"$libs"
for l in "${names[@]}"; do libargs+=(--lib "$l"); done
"$I" bundle "$BUILD/bin/cvm-measure" "${libargs[@]}" --prefix /usr/lib/cvm/bundle --out "$dir/bundle" 2>/dev/null
payload=$(du -sk "$dir/bundle" | cut -f1)
echo "measurer bundle (plugin 50: cvm-measure, $libs): $(du -sb "$dir/bundle" | cut -f1) bytes, $(find "$dir/bundle/lib" -type f | wc -l) libraries"

now() { date +%s%N; }
usual() {
        rm -rf "$dir/u" "$dir/usual.img"
        unmkinitramfs "$dir/base.img" "$dir/u"
        mkdir -p "$dir/u/main/usr/lib/cvm"
        cp -a "$dir/bundle" "$dir/u/main/usr/lib/cvm/bundle"
        (cd "$dir/u/early" && find . | LC_ALL=C sort | cpio --quiet -o -H newc) >"$dir/usual.img"
        (cd "$dir/u/main" && find . | LC_ALL=C sort | cpio --quiet -o -H newc | $compressor) >>"$dir/usual.img"
}
ours() {
        rm -f "$dir/ours.img"
        "$I" append "$dir/base.img" --out "$dir/ours.img" --tree "$dir/bundle:/usr/lib/cvm/bundle"
}
best() { # best of $runs runs, in ns
        local b=0 t0 d
        for _ in $(seq "$runs"); do
                t0=$(now); "$@"; d=$(( $(now) - t0 ))
                if [ "$b" -eq 0 ] || [ "$d" -lt "$b" ]; then b=$d; fi
        done
        echo "$b"
}
# xz's usual route takes minutes here: it runs once, ours three times.
# BENCH_CODECS picks a subset for a shorter run.
for comp in ${BENCH_CODECS:-zstd gzip xz}; do
        case $comp in
        zstd) compressor="zstd -q -1 -T0" runs=3 ;;
        gzip) compressor="gzip -n" runs=3 ;;
        xz) compressor="xz --check=crc32 --threads=0" runs=1 ;;
        esac
        sed -i "s/^COMPRESS=.*/COMPRESS=$comp/" "$dir/conf/initramfs.conf"
        echo "bench: mkinitramfs for $KVER (MODULES=most, $comp) ..." >&2
        mkinitramfs -d "$dir/conf" -o "$dir/base.img" "$KVER"
        u=$(best usual)
        runs=3
        o=$(best ours)
        # The floor: append reads every entry of the image (a path goes where the image's symlinks lead, and
        # may not replace an earlier symlink or device), so it decodes the main segment once; the codec's
        # own tool decoding it to nowhere is what that costs.
        main=$("$I" list --json "$dir/base.img" | jq '.segments[-1].offset')
        tail -c +$((main + 1)) "$dir/base.img" >"$dir/main.seg"
        decode() { $comp -dc <"$dir/main.seg" >/dev/null; }
        f=$(best decode)
        "$I" list "$dir/ours.img" | grep -q 'usr/lib/cvm/bundle/bin/cvm-measure$'
        "$I" list "$dir/usual.img" | grep -q 'usr/lib/cvm/bundle/bin/cvm-measure$'
        awk -v u="$u" -v o="$o" -v s="$(stat -c %s "$dir/base.img")" -v p="$payload" -v c="$comp" -v z="$compressor" 'BEGIN {
                printf "initramfs %.1f MB (early microcode + %s main), payload %.1f MB\n", s / 1e6, c, p / 1024
                printf "  unmkinitramfs + cp + cpio + %-12s %8.0f ms\n", z, u / 1e6
                printf "  cvm-initrd append (%s)                 %8.0f ms\n", c, o / 1e6
                printf "  ratio: %.0fx faster (target >= 20x)\n", u / o }'
        figure "cvm-initrd append, $comp, $(( payload / 1024 )) MB payload" cvm-initrd "$((o / 1000000))" usual "$((u / 1000000))" ms ">=20"
        figure "cvm-initrd append, $comp, against one decode of the image" cvm-initrd "$((o / 1000000))" "$comp -dc" "$((f / 1000000))" ms "<=2"
done
