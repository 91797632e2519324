#!/usr/bin/env bash
# cvm-rewrite of a six-plugin reference recipe against (a) one bare appliance
# launch + shutdown on the same image (target <= 1.3x) and (b) the same
# operations done the anchor's way, one virt-customize call per plugin on a
# copy of the image (target >= 4x faster).  Same machine, same run.
set -eu
BUILD=${BUILD:-build}
cd "$(dirname "$0")/../.."
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
now() { date +%s%N; }
echo "bench: building the test guest ..." >&2
CVM_BIN=$BUILD/bin tests/rewriter/make-guest.sh "$dir/guest.qcow2"
kver=$(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n1)
P=tests/bench/rewrite-plugins

t0=$(now); guestfish --ro -a "$dir/guest.qcow2" run; bare=$(( $(now) - t0 ))
t0=$(now)
"$BUILD/bin/cvm-rewrite" --recipe tests/bench/rewrite-reference.yaml --plugins "$P" --input "$dir/guest.qcow2" \
        --output "$dir/ours.qcow2" 2>"$dir/ours.err"
ours=$(( $(now) - t0 ))

# The anchor's way: copy the input, then one virt-customize per plugin.
t0=$(now)
cp "$dir/guest.qcow2" "$dir/anchor.qcow2"
vc() { virt-customize -q --no-network -a "$dir/anchor.qcow2" "$@"; }
vc --write "/etc/motd:CVM foundation image"
vc --ssh-inject "debian:string:ssh-ed25519 AAAAC3Nza bench@host" \
        --password "debian:password:bench-only-password"
vc --mkdir /etc/systemd/network --write "/etc/systemd/network/20-dhcp.network:[Match]" --hostname bench
vc --edit '/etc/default/grub.d/50-cloudimg-settings.cfg:s/console=tty1 console=ttyS0/quiet console=ttyS0,115200/' \
        --edit "/boot/grub/grub.cfg:s/console=tty1 console=ttyS0/quiet console=ttyS0,115200/"
vc --chmod 0444:/etc/passwd --chmod 0444:/etc/group
vc --copy-in "$P/06-initrd/files/marker:/etc/cvm" 2>/dev/null || vc --mkdir /etc/cvm --upload "$P/06-initrd/files/marker:/etc/cvm/marker"
anchor=$(( $(now) - t0 ))

launches=$(grep -o '[0-9]* appliance launch' "$dir/ours.err" | cut -d' ' -f1)
steps=$(grep -o 'done: [0-9]* steps' "$dir/ours.err" | cut -d' ' -f2)
awk -v b="$bare" -v o="$ours" -v a="$anchor" -v l="$launches" -v k="$kver" -v n="$steps" 'BEGIN {
        printf "test guest (kernel %s), 6 plugins, %s steps\n", k, n
        printf "  bare appliance launch + shutdown   %6.1f s  1 launch\n", b / 1e9
        printf "  cvm-rewrite                        %6.1f s  %s launch (steps, reference values, qcow2 output)\n", o / 1e9, l
        printf "  virt-customize per plugin (anchor) %6.1f s  6 launches (no initramfs append, no manifest)\n", a / 1e9
        printf "  cvm-rewrite / bare launch: %.2fx (target <= 1.3x); anchor / cvm-rewrite: %.1fx (target >= 4x)\n", o / b, a / o }'
