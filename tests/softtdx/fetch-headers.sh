#!/usr/bin/env bash
# The kernel headers the soft TDX module (tests/softtdx) is built against:
# Debian's linux-headers package of exactly the kernel in KERNEL_DEB (its
# version and the version of the .deb), with the headers' common part and
# kbuild of the same version, downloaded from Debian's package registry into
# CACHE_DIR/debs and unpacked under CACHE_DIR/headers, not installed: an
# installed headers package would add /lib/modules/VERSION (its build link)
# for a kernel the host does not have.  Prints the headers folder, for
# `make -C DIR M=... modules`.
#
# Usage: fetch-headers.sh CACHE_DIR KERNEL_DEB
set -euo pipefail

CACHE=${1:?usage: fetch-headers.sh CACHE_DIR KERNEL_DEB}
KDEB=${2:?usage: fetch-headers.sh CACHE_DIR KERNEL_DEB}
KVER=$(dpkg-deb --fsys-tarfile "$KDEB" | tar -t | sed -n 's|^\./boot/vmlinuz-||p')
VER=$(dpkg-deb -f "$KDEB" Version)
if [ -z "$KVER" ] || [ -z "$VER" ]; then
        echo "fetch-headers.sh: $KDEB holds no kernel image" >&2
        exit 1
fi
out="$CACHE/headers/$KVER-$VER"
if [ ! -e "$out/.done" ]; then
        pkgs=("linux-headers-$KVER")
        while read -r p; do pkgs+=("$p"); done < <(apt-cache depends "linux-headers-$KVER=$VER" 2>/dev/null |
                awk '$1 == "Depends:" && ($2 ~ /^linux-headers-/ || $2 ~ /^linux-kbuild-/) { print $2 }')
        [ "${#pkgs[@]}" -ge 3 ] || { echo "fetch-headers.sh: apt knows no linux-headers-$KVER=$VER with its common part and kbuild (run apt-get update)" >&2; exit 1; }
        mkdir -p "$CACHE/debs"
        (cd "$CACHE/debs" && apt-get download "${pkgs[@]/%/=$VER}" >"$CACHE/debs/headers-download.log" 2>&1) || {
                cat "$CACHE/debs/headers-download.log" >&2
                exit 1
        }
        rm -rf "$out.tmp"
        mkdir -p "$out.tmp"
        for p in "${pkgs[@]}"; do dpkg-deb -x "$CACHE/debs/${p}_${VER}_"*.deb "$out.tmp"; done
        # The flavour's Makefile includes the common part by absolute path: point it at the unpacked one.
        sed -i "s|^include /usr/src/|include $out/usr/src/|" "$out.tmp/usr/src/linux-headers-$KVER/Makefile"
        rm -rf "$out"
        mv "$out.tmp" "$out"
        touch "$out/.done"
fi
echo "$out/usr/src/linux-headers-$KVER"
