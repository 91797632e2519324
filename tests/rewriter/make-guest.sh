#!/usr/bin/env bash
# make-guest.sh OUT.qcow2: a small test guest laid out like a Debian 12 cloud
# image, in one libguestfs launch: GPT disk, ext4 root (label
# cloudimg-rootfs), busybox-static as the userland (so `run` steps work),
# /etc/os-release, passwd/shadow with a "debian" user, GRUB's
# /etc/default/grub and grub.d/50-cloudimg-settings.cfg, /boot/grub/grub.cfg,
# the host's kernel and its config (Debian 12's 6.1: no TDX guest support), and an initramfs made by cvm-initrd.
# GUEST_SIZE (default 192M) sizes the disk; GUEST_FILLER_MB adds that many MiB
# of unrelated, non-zero data in /srv/filler (make bench's grown guest).
set -euo pipefail
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}
# TCG unless told otherwise: on nested machines /dev/kvm can exist and still abort qemu.
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
out=$1
I=${CVM_BIN:-$(dirname "$0")/../../build/bin}/cvm-initrd
# The newest kernel of the host that /boot has (a modules folder alone, e.g. of a kernel not booted here, is no kernel).
kver=$(for k in $(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V); do if [ -f "/boot/vmlinuz-$k" ] && [ -f "/boot/config-$k" ]; then echo "$k"; fi; done | tail -n1)
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT

mkdir -p "$w/init"
printf '#!/bin/sh\necho test initramfs\n' >"$w/init/init"
chmod 0755 "$w/init/init"
"$I" create --out "$w/initrd.img" --compress gzip --tree "$w/init:/"

cat >"$w/os-release" <<'OS'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
OS
cat >"$w/grub.cfg" <<CFG
set default=0
menuentry 'Debian GNU/Linux' {
	linux /boot/vmlinuz-$kver root=LABEL=cloudimg-rootfs ro console=tty1 console=ttyS0
	initrd /boot/initrd.img-$kver
}
CFG
cat >"$w/demo.service" <<'UNIT'
[Unit]
Description=a unit to enable

[Service]
ExecStart=/bin/true

[Install]
WantedBy=multi-user.target
UNIT

size=${GUEST_SIZE:-192M}
filler=${GUEST_FILLER_MB:-0}
case $filler in *[!0-9]* | '') echo "make-guest.sh: GUEST_FILLER_MB is a number of MiB, not '$filler'" >&2; exit 1 ;; esac
# 256 MiB files of a pattern qemu-img cannot skip as zeros.
fill=$(for i in $(seq 1 $(( (filler + 255) / 256 ))); do
        n=$(( filler - (i - 1) * 256 )); [ "$n" -gt 256 ] && n=256
        echo "fill 0x5a $(( n << 20 )) /srv/filler/$i"
done)
[ "$filler" -eq 0 ] || fill="mkdir-p /srv/filler
$fill"

guestfish -N "$w/disk.raw=disk:$size" <<GF
part-init /dev/sda gpt
part-add /dev/sda p 2048 -34
mkfs ext4 /dev/sda1 label:cloudimg-rootfs
mount /dev/sda1 /
mkdir-p /bin
mkdir-p /sbin
mkdir-p /etc/default/grub.d
mkdir-p /etc/systemd/system
mkdir-p /lib/systemd/system
mkdir-p /boot/grub
mkdir-p /usr/share/zoneinfo/Europe
mkdir-p /var/lib
mkdir-p /tmp
mkdir-p /root
mkdir-p /home/debian
upload /bin/busybox /bin/busybox
chmod 0755 /bin/busybox
ln-s busybox /bin/sh
ln-s busybox /bin/cat
ln-s busybox /bin/echo
ln-s busybox /bin/dpkg
ln-s busybox /bin/tar
ln-s busybox /bin/true
ln-s ../bin/busybox /sbin/ldconfig
upload $w/os-release /etc/os-release
write /etc/debian_version "12.5\n"
write /etc/fstab "LABEL=cloudimg-rootfs / ext4 defaults 0 1\n"
write /etc/passwd "root:x:0:0:root:/root:/bin/sh\ndebian:x:1000:1000:Debian:/home/debian:/bin/sh\n"
write /etc/group "root:x:0:\ndebian:x:1000:\n"
write /etc/shadow "root:*:19000:0:99999:7:::\ndebian:*:19000:0:99999:7:::\n"
chmod 0640 /etc/shadow
chown 1000 1000 /home/debian
write /etc/hostname "localhost\n"
write /etc/hosts "127.0.0.1 localhost\n127.0.1.1 localhost\n"
write /etc/default/grub "GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n"
write /etc/default/grub.d/50-cloudimg-settings.cfg "GRUB_CMDLINE_LINUX_DEFAULT=\"console=tty1 console=ttyS0\"\nGRUB_TIMEOUT=0\n"
upload $w/grub.cfg /boot/grub/grub.cfg
upload /boot/vmlinuz-$kver /boot/vmlinuz-$kver
upload /boot/config-$kver /boot/config-$kver
upload $w/initrd.img /boot/initrd.img-$kver
upload $w/demo.service /lib/systemd/system/demo.service
upload /usr/share/zoneinfo/Europe/Paris /usr/share/zoneinfo/Europe/Paris
write /etc/obsolete "to delete\n"
write /etc/to-move "moved\n"
mkdir-p /var/lib/dpkg/info
write /var/lib/dpkg/status ""
$fill
GF
qemu-img convert -q -O qcow2 "$w/disk.raw" "$out"
