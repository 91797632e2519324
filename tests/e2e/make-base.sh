#!/usr/bin/env bash
# The closed loop's base guest: Debian 12 from Debian's package registry
# (debootstrap minbase + systemd, udev, the Debian kernel, initramfs-tools,
# and the libraries libcvm loads with: nettle, OpenSSL, json-c, libyaml, tss2),
# laid out like Debian's genericcloud image: GPT, ext4 root labelled
# cloudimg-rootfs as partition 1, an EFI system partition (GRUB) as
# partition 15, /boot on the root, /etc/fstab by label, qcow2.  Like a cloud
# image it runs cloud-init at first boot (which brings python3): from a
# NoCloud seed (a "cidata" volume) only, so no boot ever waits for a network
# metadata service (tests/e2e/cloud-init/90-cvm-e2e.cfg).
#
# With "ubuntu", the same guest laid out like Ubuntu's cloud image instead
# (the plugins' Ubuntu branch; files in tests/e2e/ubuntu-layout/):
# os-release and lsb-release say Ubuntu 24.04, GRUB's generator
# (grub2-common: update-grub) with /etc/default/grub and
# grub.d/50-cloudimg-settings.cfg as Ubuntu ships them, and
# /etc/netplan/50-cloud-init.yaml.  Its userland stays Debian's: the layout,
# not the distribution, is what the plugins read.
#
# Usage: make-base.sh CACHE_DIR [debian|ubuntu]
# Prints the image's path.  Both images are built together and cached in
# CACHE_DIR under the hash of this script and the layout files, so a changed
# recipe builds new ones and an unchanged one is reused.  No root file system is mounted on the host: the ext4 and FAT
# file systems are written from folders (mke2fs -d, mtools) and placed into
# the disk at their partitions' offsets.
#
# Needs root (debootstrap, chroot) and network access to deb.debian.org.
set -euo pipefail

CACHE=${1:?usage: make-base.sh CACHE_DIR [debian|ubuntu]}
LAYOUT=${2:-debian}
ROOT_DIR=$(cd "$(dirname "$0")/../.." && pwd)
MIRROR=${CVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
LABEL=cloudimg-rootfs
ROOT_MIB=1536
ESP_MIB=64
# Kernel command line: quiet, because console output over the emulated serial port costs seconds under TCG.
CMDLINE="root=LABEL=$LABEL ro console=ttyS0,115200 quiet"

key=$(cat "$0" "$ROOT_DIR"/tests/e2e/ubuntu-layout/* "$ROOT_DIR"/tests/e2e/cloud-init/90-cvm-e2e.cfg | sha256sum | cut -c1-16)
out="$CACHE/debian-12-base-$key.qcow2"
out_ubuntu="$CACHE/ubuntu-layout-base-$key.qcow2"
case $LAYOUT in
debian) want=$out ;;
ubuntu) want=$out_ubuntu ;;
*) echo "make-base.sh: the layout is debian or ubuntu, not '$LAYOUT'" >&2; exit 1 ;;
esac
if [ -s "$out" ] && [ -s "$out_ubuntu" ]; then
        echo "$want"
        exit 0
fi
[ "$(id -u)" = 0 ] || { echo "make-base.sh: debootstrap needs root" >&2; exit 1; }
mkdir -p "$CACHE"
work=$(mktemp -d "$CACHE/.base.XXXXXX")
cleanup() {
        for m in "$work/root/proc" "$work/root/sys" "$work/root/dev"; do
                mountpoint -q "$m" 2>/dev/null && umount -l "$m"
        done
        rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
root=$work/root
t0=$(date +%s)
say() { echo "make-base: $* ($(( $(date +%s) - t0 )) s)" >&2; }

say "debootstrap $SUITE minbase from $MIRROR"
debootstrap --variant=minbase --include=systemd-sysv,udev,kmod,initramfs-tools,zstd,grub-efi-amd64-bin,tzdata,libnettle8,libssl3,libjson-c5,libyaml-0-2,libtss2-esys-3.0.2-0,libtss2-mu0,libtss2-rc0,libtss2-tctildr0,libtss2-tcti-device0 \
        "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
        tail -20 "$work/debootstrap.log" >&2
        exit 1
}

# No documentation, manuals or translations in the guest; the initramfs holds only what this VM needs.
cat >"$root/etc/dpkg/dpkg.cfg.d/01-cvm-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/info/*
EOF
printf 'MODULES=list\n' >"$root/etc/initramfs-tools/conf.d/cvm-e2e.conf"
printf '%s\n' virtio_pci virtio_blk virtio_scsi sd_mod ext4 >>"$root/etc/initramfs-tools/modules"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"

say "kernel"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -qq --no-install-recommends linux-image-amd64 cloud-init \
        >"$work/kernel.log" 2>&1 || {
        tail -20 "$work/kernel.log" >&2
        exit 1
}
umount -l "$root/proc" "$root/sys" "$root/dev"
rm -f "$root/usr/sbin/policy-rc.d"
kver=$(basename "$(ls -d "$root"/lib/modules/*)")
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/var/cache/apt/archives/*.deb \
        "$root"/var/lib/apt/lists/*_Packages

say "configuration (kernel $kver)"
install -m 0644 "$ROOT_DIR/tests/e2e/cloud-init/90-cvm-e2e.cfg" "$root/etc/cloud/cloud.cfg.d/90-cvm-e2e.cfg"
echo cvm-e2e >"$root/etc/hostname"
: >"$root/etc/machine-id"
cat >"$root/etc/fstab" <<EOF
LABEL=$LABEL / ext4 rw,discard,errors=remount-ro 0 1
LABEL=UEFI /boot/efi vfat umask=0077 0 2
EOF
mkdir -p "$root/boot/efi" "$root/boot/grub"
# GRUB as Debian's image has it: EFI binary on the ESP, modules and grub.cfg under /boot/grub.
cp -r "$root/usr/lib/grub/x86_64-efi" "$root/boot/grub/"
cat >"$root/boot/grub/grub.cfg" <<EOF
set timeout=0
set default=0
# Measure what GRUB loads and runs into PCR 8 and 9.  linuxefi: the kernel's
# EFI stub runs (Debian's plain "linux" skips it without Secure Boot), and the
# stub is what hands the firmware's TPM event log to the kernel.
insmod tpm
menuentry 'Debian GNU/Linux' {
        search --no-floppy --label $LABEL --set root
        linuxefi /boot/vmlinuz-$kver $CMDLINE
        initrdefi /boot/initrd.img-$kver
}
EOF
cat >"$work/early.cfg" <<EOF
search --no-floppy --label $LABEL --set root
set prefix=(\$root)/boot/grub
configfile \$prefix/grub.cfg
EOF
cp "$work/early.cfg" "$root/tmp/early.cfg"
chroot "$root" grub-mkimage -O x86_64-efi -o /tmp/BOOTX64.EFI -p /boot/grub -c /tmp/early.cfg \
        part_gpt fat ext2 search search_label configfile normal linux linuxefi echo test tpm gzio all_video efi_gop
mv "$root/tmp/BOOTX64.EFI" "$work/BOOTX64.EFI"
rm -f "$root/tmp/early.cfg"

# disk OUT: the ESP and the root tree as a GPT disk, qcow2.  Partition 1
# (root) after partition 15 (ESP), both 1 MiB aligned, as in Debian's and
# Ubuntu's cloud images.
disk() {
        local esp_start=2048 root_start disk_mib
        root_start=$(( esp_start + ESP_MIB * 2048 ))
        disk_mib=$(( 1 + ESP_MIB + ROOT_MIB + 1 ))
        rm -f "$work/root.img" "$work/disk.raw"
        mke2fs -q -t ext4 -L "$LABEL" -d "$root" "$work/root.img" "${ROOT_MIB}M" >/dev/null
        truncate -s "${disk_mib}M" "$work/disk.raw"
        sgdisk -o -n "15:$esp_start:+${ESP_MIB}M" -t 15:ef00 -c 15:esp \
                -n "1:$root_start:+${ROOT_MIB}M" -t 1:8300 -c 1:root "$work/disk.raw" >/dev/null
        dd if="$work/esp.img" of="$work/disk.raw" bs=1M seek=$((esp_start / 2048)) conv=notrunc,sparse status=none
        dd if="$work/root.img" of="$work/disk.raw" bs=1M seek=$((root_start / 2048)) conv=notrunc,sparse status=none
        qemu-img convert -f raw -O qcow2 "$work/disk.raw" "$work/disk.qcow2"
        mv "$work/disk.qcow2" "$1"
}

say "file systems and disk (Debian layout)"
mkfs.vfat -C -n UEFI "$work/esp.img" $((ESP_MIB * 1024)) >/dev/null
mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT
mcopy -i "$work/esp.img" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
disk "$out"

say "Ubuntu layout: GRUB's generator, grub.d/50-cloudimg-settings.cfg, netplan, os-release"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
DEBIAN_FRONTEND=noninteractive chroot "$root" sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends grub2-common' \
        >"$work/grub2.log" 2>&1 || {
        tail -20 "$work/grub2.log" >&2
        exit 1
}
umount -l "$root/proc" "$root/sys" "$root/dev"
rm -f "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*_Packages
mkdir -p "$root/etc/default/grub.d" "$root/etc/netplan"
cp "$ROOT_DIR/tests/e2e/ubuntu-layout/grub" "$root/etc/default/grub"
cp "$ROOT_DIR/tests/e2e/ubuntu-layout/50-cloudimg-settings.cfg" "$root/etc/default/grub.d/"
install -m 0600 "$ROOT_DIR/tests/e2e/ubuntu-layout/50-cloud-init.yaml" "$root/etc/netplan/"
# /etc/os-release is a symlink to ../usr/lib/os-release: replace the file it names.
cp "$ROOT_DIR/tests/e2e/ubuntu-layout/os-release" "$root/usr/lib/os-release"
cp "$ROOT_DIR/tests/e2e/ubuntu-layout/lsb-release" "$root/etc/lsb-release"
echo cvm-e2e-ubuntu >"$root/etc/hostname"
disk "$out_ubuntu"
say "done: $out, $out_ubuntu"
echo "$want"
