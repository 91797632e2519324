#!/usr/bin/env bash
# The closed loop (make e2e; make demo adds --demo): build a Debian 12 guest,
# rewrite it with the measurer and evidence components, boot it under QEMU
# (q35, TCG) + OVMF + swtpm with real firmware measured boot, read the
# evidence it prints on its serial console, and check it on the host against
# the live PCRs, the quote, the swtpm's own key and the build manifest.  Then
# change one measured file after the rewrite, boot again, and check that
# verification names exactly that file and the register.  The first boot is
# a cloud instance's (a NoCloud seed, cloud-init); its second boot verifies,
# reporting the files cloud-init wrote as instance state.  make e2e (not the
# demo) also applies the anchor-parity plugins twice to the base and reads
# every effect back, checks that 99-validate refuses a broken result, and
# rewrites the Ubuntu-laid-out base twice (a guest kernel made the default
# through update-grub, netplan, grub.d), checks that the second run changed
# nothing, and boots it; then runs the TDX loop on the soft TDX device
# (tests/e2e/softtdx-loop.sh).
#
# Environment: BUILD (default build), CVM_CACHE (base images; default
# ~/.cache/cvmkit), BOOT_TIMEOUT (s, default 600), KEEP=1 keeps the work folder.
# Exit 0 when every check passed; otherwise the failed step is named.
# "A && B || fail" is meant: fail when either check does not hold.
# shellcheck disable=SC2015
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$ROOT" && realpath -m "${BUILD:-build}")
CACHE=${CVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cvmkit}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}
DEMO=false
[ "${1:-}" = --demo ] && DEMO=true
E="$BUILD/bin/cvm-evidence"
export LIBGUESTFS_BACKEND=direct
# /dev/kvm may exist yet abort QEMU; the loop is specified for TCG anyway.
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

W=$(mktemp -d "${TMPDIR:-/tmp}/cvm-e2e.XXXXXX")
MANIFEST="$W/foundation.qcow2.manifest.json"
T0=$(date +%s)
# shellcheck source=tests/e2e/lib.sh
. "$ROOT/tests/e2e/lib.sh"

trap 'on_exit "e2e"' EXIT
trap 'exit 130' INT TERM

mkdir -p "$CACHE"
for t in qemu-system-x86_64 swtpm tpm2_checkquote jq xxd debootstrap mkfs.vfat mcopy; do
        command -v "$t" >/dev/null || fail "$t is not installed (make deps)"
done

step "base image (debootstrap Debian 12; cached in $CACHE)"
BASE=$("$ROOT/tests/e2e/make-base.sh" "$CACHE")
done_step

step "rewrite (cvm-rewrite, recipe recipes/debian-12-tpm.yaml)"
# --firmware-vars: the variable store the boot starts from (ci/cvm-vm's default), so PCR7 is predicted too.
"$BUILD/bin/cvm-rewrite" --recipe "$ROOT/recipes/debian-12-tpm.yaml" --plugins "$ROOT/plugins" \
        --firmware-vars /usr/share/OVMF/OVMF_VARS_4M.fd \
        --set cvm-measurer.image_id=cvmkit-e2e --input "$BASE" --output "$W/foundation.qcow2" 2>"$W/rewrite.log" \
        || { cat "$W/rewrite.log" >&2; fail "cvm-rewrite failed"; }
grep -E 'done:|guest:' "$W/rewrite.log" >&2
done_step

step "test copy: the foundation image plus the report unit (unmeasured /usr/lib/systemd)"
report_image "$W/foundation.qcow2" "$W/checked.qcow2"
done_step

# The main boot is a cloud instance's first: a persistent copy of the image with a NoCloud seed, so
# cloud-init writes the instance's users, host name and sshd drop-in after the measurer ran (none of
# the checks below sees them); the second boot, after the tamper run, measures what it wrote.
step "boot the foundation image as a cloud instance's first boot (q35, TCG, OVMF, swtpm; NoCloud seed, cloud-init)"
cloud_seed "$W/seed.img"
qemu-img create -q -f qcow2 -b "$W/checked.qcow2" -F qcow2 "$W/instance.qcow2"
NONCE=$(head -c 32 /dev/urandom | xxd -p -c 64)
BOOT_OPTS=(--disk "$W/seed.img")
boot "$W/instance.qcow2" "$NONCE" "$W/boot"
BOOT_OPTS=(--snapshot)
done_step

step "check the evidence on the host"
check_boot "$W/boot" "$NONCE"
check_service "$W/boot" python
check_boot_chain "$W/boot" "$W/foundation.qcow2.manifest.json" 7
expect_rc "$W/boot" verify 0
[ "$(jq -r .match "$W/boot/verify")" = true ] && [ "$(jq -r .instance_state "$W/boot/verify")" = 0 ] \
        || fail "verify in the guest did not match the image exactly: $(jq -c .findings "$W/boot/verify")"
"$E" verify --manifest "$W/foundation.qcow2.manifest.json" --log "$W/boot/runtime-log" >/dev/null \
        || fail "the host's offline verify of the guest's runtime log failed"
ok "cvm-evidence verify --manifest: match in the guest (live PCRs) and on the host (saved log)"
expect_rc "$W/boot" libcvm 0
# libcvm links nettle, json-c and libyaml (libcrypto and libtss2 are dlopen()ed, so ldd does not list them).
grep -q 'libnettle.so.8 => /lib/x86_64-linux-gnu/' "$W/boot/libcvm" &&
        ! cat "$W/boot/libcvm" "$W/boot/libcvm.stderr" 2>/dev/null | grep -E 'not found|undefined symbol' >&2 \
        || fail "libcvm does not load on the guest's own libraries: $(cat "$W/boot/libcvm" "$W/boot/libcvm.stderr" 2>/dev/null)"
ok "libcvm (51-cvm-evidence, /usr/local/lib): ldd -r in the guest resolves every library, version and symbol"
done_step

step "tamper: change /usr/lib/os-release in the image after the rewrite"
qemu-img create -q -f qcow2 -b "$W/checked.qcow2" -F qcow2 "$W/tampered.qcow2"
guestfish --format=qcow2 -a "$W/tampered.qcow2" -m /dev/sda1 \
        write-append /usr/lib/os-release "CVM_E2E_TAMPERED=1\n" 2>"$W/guestfish.log" \
        || { cat "$W/guestfish.log" >&2; fail "guestfish could not change the image"; }
done_step

step "boot the tampered image"
NONCE2=$(head -c 32 /dev/urandom | xxd -p -c 64)
boot "$W/tampered.qcow2" "$NONCE2" "$W/tampered"
done_step

step "check that verification names the file and the register"
check_boot_tampered() {
        local v="$W/tampered/verify"
        expect_rc "$W/tampered" verify 3
        [ "$(jq -c '[.findings[] | select(.finding != "register") | {finding, subject}]' "$v")" = \
          '[{"finding":"changed","subject":"/usr/lib/os-release"}]' ] \
                || fail "verify should name exactly /usr/lib/os-release, it said: $(jq -c .findings "$v")"
        jq -e '[.findings[] | select(.finding == "register") | .register] | index("PCR23") != null' "$v" >/dev/null \
                || fail "verify should name the register PCR23"
        expect_rc "$W/tampered" replay-check 0
}
check_boot_tampered
ok "verify exits 3 naming only /usr/lib/os-release (changed) and PCR23; replay --check still passes (the log is honest)"
done_step

step "second boot of the cloud instance: cloud-init's files are instance state"
NONCE4=$(head -c 32 /dev/urandom | xxd -p -c 64)
BOOT_OPTS=(--disk "$W/seed.img")
boot "$W/instance.qcow2" "$NONCE4" "$W/second-boot"
BOOT_OPTS=(--snapshot)
check_instance_boot "$W/second-boot"
ok "verify exits 0 in the guest and on the host, reporting $(jq -r '[.findings[].subject] | join(", ")' "$W/second-boot/verify") as instance state (/etc/shadow's digests withheld)"
done_step

# The plugin checks belong to the test (make e2e), not to the demo's story.
if ! $DEMO; then
step "anchor-parity plugins on the base, applied twice (tests/e2e/recipes/parity.yaml), read back"
# parity_fish DEV OUT: guestfish commands reading the files the plugins write, their modes, the grub.cfg,
# one IMA label, the root size and the initramfs images of the root file system on DEV (mounted at /).
parity_fish() {
        cat <<FISH
copy-out /opt/cvm-sample/sample.conf /etc/timezone /etc/motd /etc/tdx-attest.conf /etc/passwd /etc/group /etc/shadow /boot/grub/grub.cfg /etc/udev/rules.d/90-cvm-devices.rules /etc/tmpfiles.d/cvm-evidence.conf /etc/systemd/network/90-cvm-dhcp.network /etc/sudoers.d/90-cvm-alice /home/alice/.ssh/authorized_keys /etc/ima/ima-policy $2
stat /etc/sudoers.d/90-cvm-alice | grep -E '^mode' > $2/sudoers.mode
stat /usr/share/base-files/motd | grep -E '^mode' > $2/base-files.mode
readlink /etc/systemd/system/multi-user.target.wants/systemd-networkd.service | cat > $2/networkd.link
lgetxattr /usr/sbin/agetty security.ima | xxd -p -c 64 > $2/agetty.ima
checksum sha256 /usr/sbin/agetty | cat > $2/agetty.sha256
blockdev-getsize64 $1 | cat > $2/root.size
glob copy-out /boot/initrd.img-* $2
FISH
}
# Same inputs, same result: the build date (motd) is pinned as for a reproducible build.
export SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH=$(date +%s)
"$BUILD/bin/cvm-rewrite" --recipe "$ROOT/tests/e2e/recipes/parity.yaml" --plugins "$ROOT/plugins" \
        --input "$BASE" --output "$W/parity1.qcow2" 2>"$W/parity1.log" || { cat "$W/parity1.log" >&2; fail "the parity recipe failed"; }
"$BUILD/bin/cvm-rewrite" --recipe "$ROOT/tests/e2e/recipes/parity.yaml" --plugins "$ROOT/plugins" \
        --input "$W/parity1.qcow2" --output "$W/parity2.qcow2" 2>"$W/parity2.log" || { cat "$W/parity2.log" >&2; fail "the parity recipe failed on its own output"; }
read_back_both parity_fish "$W/parity1.qcow2" "$W/rb1" "$W/parity2.qcow2" "$W/rb2"
# Appending twice adds a segment twice: compare the set of paths, not the bytes.
for rb in "$W/rb1" "$W/rb2"; do
        "$BUILD/bin/cvm-initrd" list --json "$rb"/initrd.img-* | jq -r ".entries[].path" | sort -u >"$rb/initrd.list" || fail "cvm-initrd cannot list the initramfs in $rb"
        rm -f "$rb"/initrd.img-*
done
R="$W/rb1"
grep -q 'cvmkit-parity' "$R/motd" && grep -q 'built by cvmkit from recipe parity on ' "$R/motd" || fail "02-motd: $(cat "$R/motd")"
grep -q '^Type=ether' "$R/90-cvm-dhcp.network" && grep -q '^DHCP=yes' "$R/90-cvm-dhcp.network" &&
        grep -q 'systemd-networkd.service' "$R/networkd.link" || fail "03-network: no networkd DHCP unit enabled"
[ "$(grep -c '^alice:' "$R/passwd")" = 1 ] && grep -q '^alice:!' "$R/shadow" || fail "04-user: alice missing, twice, or with a password"
grep -qx 'alice ALL=(ALL) NOPASSWD:ALL' "$R/90-cvm-alice" && grep -qx 'mode: 33056' "$R/sudoers.mode" || fail "04-user: sudoers (0440)"
[ "$(grep -c 'alice@e2e' "$R/authorized_keys")" = 1 ] || fail "04-user: the SSH key is not there exactly once"
[ $(( $(grep -o '[0-9]*' "$R/base-files.mode") & 0222 )) = 0 ] || fail "05-readonly-data: /usr/share/base-files/motd is writable"
grep -q 'KERNEL=="tdx_guest", GROUP="cvm-evidence", MODE="0660"' "$R/90-cvm-devices.rules" &&
        [ "$(grep -c '^cvm-evidence:' "$R/group")" = 1 ] || fail "07-device-permission"
grep -q '^z /sys/kernel/security/tpm0/binary_bios_measurements 0440 root cvm-evidence -$' "$R/cvm-evidence.conf" || fail "08-evidence-permission"
[ "$(cat "$R/tdx-attest.conf")" = port=4051 ] || fail "09-vsock-port"
line=$(grep linuxefi "$R/grub.cfg")
for a in cvm.parity=1 console=ttyS0,115200 ima_hash=sha256 ima_template=ima-ng ima_appraise=log; do
        [ "$(tr ' ' '\n' <<<"$line" | grep -cx "$a")" = 1 ] || fail "10-kernel-cmdline/98-ima: '$a' is not on the kernel line exactly once: $line"
done
! tr ' ' '\n' <<<"$line" | grep -qx quiet || fail "10-kernel-cmdline: 'quiet' was not removed"
# agetty's sha256 has a zero byte: the label must hold all 32 (ima_fix_xattr's IMA_XATTR_DIGEST_NG, HASH_ALGO_SHA256 = 4).
[ "$(cat "$R/agetty.ima")" = "0404$(cat "$R/agetty.sha256")" ] || fail "98-ima: security.ima of /usr/sbin/agetty is $(cat "$R/agetty.ima")"
[ "$(cat "$R/root.size")" -gt $((1900 * 1024 * 1024)) ] || fail "01-resize: the root partition is $(cat "$R/root.size") bytes"
grep -qx 'etc/hostname' "$R/initrd.list" && grep -qx 'etc/cvm/initrd-files' "$R/initrd.list" || fail "60-initrd: the initramfs lacks /etc/hostname or /etc/cvm"
grep -qx 'level=3' "$R/sample.conf" && [ "$(cat "$R/timezone")" = UTC ] || fail "97-sample: sample.conf or /etc/timezone"
diff -r -x fish.log "$W/rb1" "$W/rb2" >&2 || fail "a second run of the same plugins changed the result (not idempotent)"
ok "01-resize, 02-motd, 03-network, 04-user, 05-readonly-data, 07, 08, 09, 10-kernel-cmdline, 60-initrd, 97-sample, 98-ima: each effect read back; a second run changes nothing"
done_step

step "99-validate refuses a broken result (tests/e2e/recipes/broken.yaml)"
if "$BUILD/bin/cvm-rewrite" --recipe "$ROOT/tests/e2e/recipes/broken.yaml" --plugins "$ROOT/plugins" \
        --plugins "$ROOT/tests/e2e/plugins" --input "$BASE" --output "$W/broken.qcow2" 2>"$W/broken.log"; then
        fail "a result with a missing file and a lost kernel argument was written"
fi
grep -q "2 problems: /etc/cvm-break-file (plugin break, .*) is missing; kernel argument 'cvm.break=1' (plugin break, .*) is not on the boot loader's command line" "$W/broken.log" &&
        [ ! -e "$W/broken.qcow2" ] || { cat "$W/broken.log" >&2; fail "99-validate did not name both problems, or left an output"; }
ok "99-validate: the rewrite fails naming the missing file and the lost kernel argument; no output"
done_step

step "debian-12-tdx on the Debian base (6.1: no TDX guest support): refused right after inspection"
rc=0
"$BUILD/bin/cvm-rewrite" --recipe "$ROOT/recipes/debian-12-tdx.yaml" --plugins "$ROOT/plugins" \
        --set user.ssh_key="ssh-ed25519 AAAAC3Nza e2e@cvmkit" --input "$BASE" --output "$W/tdx.qcow2" 2>"$W/tdx.log" || rc=$?
[ "$rc" -eq 5 ] && [ ! -e "$W/tdx.qcow2" ] && [ ! -e "$W/tdx.qcow2.manifest.json" ] &&
        grep -q "after inspection: target tdx: the boot kernel 6\.1\.[^ ]* cannot extend RTMRs or produce quotes on a TD: it lacks CONFIG_INTEL_TDX_GUEST=y" "$W/tdx.log" &&
        grep -q "Fix: install a kernel that has them with the guest-kernel plugin (06-guest-kernel" "$W/tdx.log" &&
        ! grep -q "^cvm-rewrite: plugin resize (" "$W/tdx.log" || { cat "$W/tdx.log" >&2; fail "debian-12-tdx was not refused before its steps with the kernel's explanation (exit $rc)"; }
ok "debian-12-tdx: exit 5 before any step, naming the kernel, the config symbols it lacks and the fix; no output"
done_step

step "Ubuntu layout: 06-guest-kernel (Debian's cloud kernel), 02, 03 (netplan), 10 (grub.d), measurer, evidence, applied twice; boot it"
UBASE=$("$ROOT/tests/e2e/make-base.sh" "$CACHE" ubuntu)
KDEB=$("$ROOT/tests/e2e/fetch-kernel.sh" "$CACHE")
KVER=$(dpkg-deb --fsys-tarfile "$KDEB" | tar -t | sed -n 's|^\./boot/vmlinuz-||p')
[ -n "$KVER" ] || fail "no kernel image in $KDEB"
# ubuntu_rewrite IN OUT: the Ubuntu-layout recipe with the cloud kernel.
ubuntu_rewrite() {
        "$BUILD/bin/cvm-rewrite" --recipe "$ROOT/tests/e2e/recipes/ubuntu-layout.yaml" --plugins "$ROOT/plugins" \
                --plugins "$ROOT/tests/e2e/plugins" --set guest-kernel.packages="$KDEB" \
                --input "$1" --output "$2" 2>"$2.log" || { cat "$2.log" >&2; fail "the Ubuntu-layout recipe failed on $1"; }
}
# ubuntu_fish DEV OUT: what 06, 02, 03 and 10 write, dpkg's log, and the kernels in /boot.
ubuntu_fish() {
        cat <<FISH
copy-out /boot/grub/grub.cfg /etc/default/grub.d/99-cvm-guest-kernel.cfg /etc/default/grub.d/50-cloudimg-settings.cfg /etc/netplan/90-cvm-dhcp.yaml /etc/motd /var/log/dpkg.log $2
ls /boot | cat > $2/boot.list
FISH
}
ubuntu_rewrite "$UBASE" "$W/ubuntu1.qcow2"
grep -q 'guest: linux ubuntu 24.4' "$W/ubuntu1.qcow2.log" || fail "the Ubuntu-layout base was not inspected as Ubuntu 24.04: $(grep guest: "$W/ubuntu1.qcow2.log")"
ubuntu_rewrite "$W/ubuntu1.qcow2" "$W/ubuntu2.qcow2"
read_back_both ubuntu_fish "$W/ubuntu1.qcow2" "$W/rbu1" "$W/ubuntu2.qcow2" "$W/rbu2"
U="$W/rbu1"
grep -q 'match: {name: "e\*"}' "$U/90-cvm-dhcp.yaml" && grep -q 'dhcp4: true' "$U/90-cvm-dhcp.yaml" || fail "03-network: no netplan DHCP file"
grep -qx 'GRUB_CMDLINE_LINUX_DEFAULT="console=tty1 console=ttyS0,115200 quiet cvm.layout=ubuntu"' "$U/50-cloudimg-settings.cfg" \
        || fail "10-kernel-cmdline: 50-cloudimg-settings.cfg is $(grep CMDLINE "$U/50-cloudimg-settings.cfg")"
entry=$(sed -n 's/^GRUB_DEFAULT="\(.*\)"$/\1/p' "$U/99-cvm-guest-kernel.cfg")
[[ "$entry" == gnulinux-advanced-*">gnulinux-$KVER-advanced-"* ]] || fail "06-guest-kernel: GRUB_DEFAULT is '$entry'"
grep -qF "set default=\"$entry\"" "$U/grub.cfg" || fail "06-guest-kernel: update-grub did not write set default=\"$entry\""
[ "$(grep -c " install linux-image-$KVER:amd64 " "$W/rbu2/dpkg.log")" = 1 ] || fail "06-guest-kernel: the second run installed the kernel again (dpkg.log)"
# dpkg.log differs by design: dpkg logs its start even when it skips a package already installed.
diff -r -x fish.log -x dpkg.log "$W/rbu1" "$W/rbu2" >&2 || fail "a second run of the Ubuntu-layout recipe changed the result (not idempotent)"
ok "netplan DHCP file; the argument in 50-cloudimg-settings.cfg; GRUB_DEFAULT=$entry in grub.d, set by update-grub; a second run changes none of it"
MANIFEST="$W/ubuntu2.qcow2.manifest.json"
NONCE3=$(head -c 32 /dev/urandom | xxd -p -c 64)
boot "$W/ubuntu2.qcow2" "$NONCE3" "$W/ubuntu-boot"
[ "$(cat "$W/ubuntu-boot/uname")" = "$KVER" ] || fail "06-guest-kernel: the guest booted $(cat "$W/ubuntu-boot/uname"), not $KVER"
grep -qw cvm.layout=ubuntu "$W/ubuntu-boot/cmdline" || fail "10-kernel-cmdline: /proc/cmdline is $(cat "$W/ubuntu-boot/cmdline")"
[ "$(jq -r .cmdline "$MANIFEST")" = "$(tr -d '\n' <"$W/ubuntu-boot/cmdline")" ] \
        || fail "the manifest predicts the command line '$(jq -r .cmdline "$MANIFEST")', the guest booted '$(cat "$W/ubuntu-boot/cmdline")'"
expect_rc "$W/ubuntu-boot" verify 0
[ "$(jq -r .match "$W/ubuntu-boot/verify")" = true ] || fail "verify in the Ubuntu-layout guest did not match"
ok "GRUB booted $KVER (GRUB_DEFAULT), with the predicted command line; the measurer ran in its initramfs and verify matches"
check_boot_chain "$W/ubuntu-boot" "$MANIFEST"
done_step

step "TDX: the loop on the soft TDX device (tests/e2e/softtdx-loop.sh: sysfs boot, then tamper + legacy-ioctl boot)"
BUILD="$BUILD" CVM_CACHE="$CACHE" BOOT_TIMEOUT="$BOOT_TIMEOUT" "$ROOT/tests/e2e/softtdx-loop.sh" || fail "the soft TDX loop failed"
done_step

fi

TOTAL=$(( $(date +%s) - T0 ))
if $DEMO; then
        cat <<EOF

cvmkit demo: the closed loop, for real, in $TOTAL s
  built     Debian 12 (debootstrap) -> $(basename "$BASE")
  rewrote   + cvm-measure in the initramfs, cvm-evidence, policy; manifest predicts PCR23/PCR16
  booted    QEMU q35 + OVMF + swtpm: firmware measured boot, cvm-measure before switch_root
  verified  replay of the firmware, runtime and IMA logs == live PCRs; quote signed by the swtpm's AK
            over the host's nonce; PCR23 and PCR16 == the manifest; every predicted file matched
  tampered  a line appended to /usr/lib/os-release after the rewrite:
$(jq -r '.findings[] | "            " + .finding + ": " + (.subject // .register) + (if .basis == "log" then " (the runtime log replayed)" elif .basis == "live" then " (the live register)" elif .basis then " (" + .basis + ")" else "" end)' "$W/tampered/verify")
EOF
fi
echo "e2e: all checks passed in $TOTAL s" >&2
