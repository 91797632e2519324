#!/usr/bin/env bash
# The guest kernel the closed loop installs with 06-guest-kernel: Debian 12's
# cloud kernel, a flavour the base image does not boot, so the booted
# `uname -r` tells which entry GRUB chose.  Downloaded once from Debian's
# package registry into CACHE_DIR/debs; prints the .deb's path.
#
# Usage: fetch-kernel.sh CACHE_DIR
set -euo pipefail

CACHE=${1:?usage: fetch-kernel.sh CACHE_DIR}
pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
[ -n "$pkg" ] || { echo "fetch-kernel.sh: apt knows no linux-image-cloud-amd64 (run apt-get update)" >&2; exit 1; }
mkdir -p "$CACHE/debs"
find_deb() { find "$CACHE/debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n1; }
deb=$(find_deb)
if [ -z "$deb" ]; then
        (cd "$CACHE/debs" && apt-get download "$pkg" >"$CACHE/debs/download.log" 2>&1) || {
                cat "$CACHE/debs/download.log" >&2
                exit 1
        }
        deb=$(find_deb)
fi
[ -s "$deb" ] || { echo "fetch-kernel.sh: no $pkg .deb in $CACHE/debs" >&2; exit 1; }
echo "$deb"
