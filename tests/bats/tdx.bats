#!/usr/bin/env bats
# The TDX backend and cvm-measure on each kernel a TD may boot, and the
# TDX driver in the initramfs.
#
# Kernel situations (a --sysroot tree each):
#   6.16+             the TSM measurement sysfs (fake files, as in live.bats)
#   distro TDX kernel /dev/tdx_guest with the out-of-tree TDX_CMD_EXTEND_RTMR
#                     ioctl, under either of its two numbers
#   6.2-6.15          /dev/tdx_guest with GET_REPORT0 only: reads, no extend
#   Debian 12's 6.1   no driver at all on a TD (tdx_guest in /proc/cpuinfo)
#   late driver       the device node appears while the measurer waits
#
# The fake /dev/tdx_guest: a plain file cannot answer ioctls, and this
# machine has no /dev/cuse to make a user-space character device, so
# tests/shim/fake_tdx_guest.c (built by the Makefile as
# $BUILD/tests/fake_tdx_guest.so) is preloaded into the tools: it answers the
# ioctls made on a regular file named .../dev/tdx_guest as the kernel drivers
# do (GET_REPORT0 with a TDREPORT of the registers the file holds, the
# extend as SHA-384(RTMR || data)), and CVM_FAKE_TDX picks the kernel:
# ior (DCAP default, Anolis), iow (intel/tdx: RTMR0/1 refused), none.
# Everything else in the tools (open, read, the runtime log) is real.

bats_require_minimum_version 1.5.0

load helpers

PLUGIN="$BATS_TEST_DIRNAME/../../plugins/50-cvm-measurer/files"

setup_file() {
        export SHIM
        SHIM="$(cd "${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/.." && pwd)/tests/fake_tdx_guest.so"
        [ -f "$SHIM" ] || { echo "$SHIM is missing: make ${SHIM%/tests/*}/tests/fake_tdx_guest.so" >&2; return 1; }
}

# A TD's root under $1: /proc/cpuinfo with the tdx_guest flag, a measured tree, and with $2 = dev a fake /dev/tdx_guest.
make_td() {
        mkdir -p "$1/proc" "$1/etc" "$1/boot"
        printf 'processor\t: 0\nflags\t\t: fpu tsc hypervisor tdx_guest lm\n\n' >"$1/proc/cpuinfo"
        printf 'console=ttyS0\n' >"$1/proc/cmdline"
        printf 'ID=debian\n' >"$1/etc/os-release"
        printf 'kernel\n' >"$1/boot/vmlinuz-6.8"
        if [ "${2:-}" = dev ]; then
                mkdir -p "$1/dev"
                : >"$1/dev/tdx_guest"
        fi
}

# A policy: $2 = halt or continue (the boot group's on_error), $3 = require_device, $4 = the os RTMR.
write_policy() {
        cat >"$1" <<YAML
version: 1
require_device: ${3:-false}
groups:
  - name: boot
    class: os
    rtmr: ${4:-2}
    on_error: ${2:-halt}
    items:
      - cmdline: true
      - glob: /boot/vmlinuz-*
  - name: config
    class: os
    rtmr: ${4:-2}
    on_error: continue
    items:
      - file: /etc/os-release
  - name: identity
    class: cloud-native
    on_error: continue
    items:
      - string: cluster=prod
YAML
}

# The tools with the fake device of kernel $1 (ior, iow or none).
td() {
        local k=$1
        shift
        env CVM_FAKE_TDX="$k" LD_PRELOAD="$SHIM" "$@"
}

# cvm-measure on the TD under $R with policy $T/p.yaml and log $T/rt.log.
measure_td() {
        local k=$1
        shift
        run --separate-stderr td "$k" "$M" --sysroot "$R" --root "$R" --proc "$R/proc" --policy "$T/p.yaml" --log "$T/rt.log" "$@"
}

# Event kinds of a runtime log, in order (header left out), with EV_NO_ACTION events as "no_action:KIND".
kinds() {
        "$E" eventlog --json "$1" | jq -r '[.[1:][] | (.data | @base64d | fromjson | .kind) as $k |
                if .type == 3 then "no_action:" + $k else $k end] | join(" ")'
}

# The live register of CC MR index $2 on kernel $1.
live() {
        td "$1" "$E" measurements --json --sysroot "$R" --index "$2" | jq -r '.registers[0].digest'
}

ZERO=$(printf '0%.0s' $(seq 96))

@test "6.16+ TSM sysfs: read and extend through sysfs; the measurer extends the rtmr files" {
        R="$T/root"
        make_td "$R"
        make_tdx_root "$R"
        write_policy "$T/p.yaml"
        run --separate-stderr "$E" info --json --sysroot "$R"
        [ "$status" -eq 0 ]
        [ "$(jq -r '"\(.backend) \(.read) \(.extend)"' <<<"$output")" = "tdx sysfs sysfs" ]
        run "$E" info --sysroot "$R"
        [[ "$output" == *"read: sysfs"*"extend: sysfs"* ]]
        measure_td ior
        [ "$status" -eq 0 ]
        [[ "$stderr" == *"TSM measurement sysfs: reads and extends"* ]]
        [ "$(kinds "$T/rt.log")" = "policy cmdline file file string separator separator" ]
        # The fake file keeps what the kernel was last given: RTMR2's separator event, SHA-384 of its data.
        sep=$("$E" eventlog --json "$T/rt.log" | jq -r '[.[] | select(.index == 3)] | last | .digests[0].digest')
        [ "$(xxd -p "$R/sys/class/misc/tdx_guest/measurements/rtmr2:sha384" | tr -d '\n')" = "$sep" ]
}

@test "the soft TDX device of tests/softtdx (its module loaded) is labelled simulated; a TD without it is not" {
        R="$T/root"
        make_td "$R"
        make_tdx_root "$R"
        run --separate-stderr "$E" info --json --sysroot "$R"
        [ "$status" -eq 0 ]
        [ "$(jq -r .simulated <<<"$output")" = false ]
        mkdir -p "$R/sys/module/soft_tdx_guest"
        run --separate-stderr "$E" info --json --sysroot "$R"
        [ "$status" -eq 0 ]
        [ "$(jq -r '"\(.backend) \(.simulated)"' <<<"$output")" = "tdx true" ]
        [[ "$(jq -r .reason <<<"$output")" == *"SIMULATED: the software TDX device for tests"* ]]
        run "$E" info --sysroot "$R"
        [[ "$output" == *SIMULATED* ]]
}

@test "distro TDX kernel, _IOR TDX_CMD_EXTEND_RTMR (DCAP default, Anolis): extends through the ioctl; the log replays to the live RTMRs" {
        R="$T/root"
        make_td "$R" dev
        write_policy "$T/p.yaml"
        run --separate-stderr td ior "$E" info --json --sysroot "$R"
        [ "$status" -eq 0 ]
        [ "$(jq -r '"\(.read) \(.extend)"' <<<"$output")" = "tdreport ioctl" ]
        [[ "$(jq -r .reason <<<"$output")" == *"TDX_CMD_EXTEND_RTMR 0x80315403"* ]]
        measure_td ior --json
        [ "$status" -eq 0 ]
        [ "$(kinds "$T/rt.log")" = "policy cmdline file file string separator separator" ]
        # What the measurer says it extended is what the TDREPORT now holds, and replay --check agrees.
        [ "$(jq -r '.registers[] | select(.name == "RTMR2") | .digest' <<<"$output")" = "$(live ior 3)" ]
        [ "$(jq -r '.registers[] | select(.name == "RTMR3") | .digest' <<<"$output")" = "$(live ior 4)" ]
        [ "$(live ior 3)" != "$ZERO" ]
        run td ior "$E" replay --check --sysroot "$R" --log "$T/rt.log"
        [ "$status" -eq 0 ]
        [[ "$output" == *"OK: 4 of 4 registers match"* ]]
}

@test "intel/tdx kernel, _IOW TDX_CMD_EXTEND_RTMR: the second number after ENOTTY; RTMR0/1 refused with EPERM, named" {
        R="$T/root"
        make_td "$R" dev
        write_policy "$T/p.yaml"
        run --separate-stderr td iow "$E" info --json --sysroot "$R"
        [ "$(jq -r '"\(.read) \(.extend)"' <<<"$output")" = "tdreport ioctl" ]
        [[ "$(jq -r .reason <<<"$output")" == *"TDX_CMD_EXTEND_RTMR 0x40315403"* ]]
        measure_td iow
        [ "$status" -eq 0 ]
        run td iow "$E" replay --check --sysroot "$R" --log "$T/rt.log"
        [ "$status" -eq 0 ]
        # A policy that puts the OS into RTMR1: this driver keeps it for the kernel, the first extend fails (exit 5).
        before=$(live iow 2)
        write_policy "$T/p1.yaml" halt false 1
        run --separate-stderr td iow "$M" --sysroot "$R" --root "$R" --proc "$R/proc" --policy "$T/p1.yaml" --log "$T/rt1.log"
        [ "$status" -eq 5 ]
        [[ "$stderr" == *"TDX_CMD_EXTEND_RTMR refuses RTMR1: this driver keeps RTMR0 and RTMR1 for the firmware and the kernel"* ]]
        [ ! -e "$T/rt1.log" ]
        [ "$(live iow 2)" = "$before" ]
}

@test "GET_REPORT0 only (6.2-6.15): reads work, extend fails naming the kernel and the kernels that can" {
        R="$T/root"
        make_td "$R" dev
        run --separate-stderr td none "$E" info --json --sysroot "$R"
        [ "$status" -eq 0 ]
        [ "$(jq -r '"\(.read) \(.extend)"' <<<"$output")" = "tdreport none" ]
        run --separate-stderr td none "$E" measurements --json --sysroot "$R"
        [ "$status" -eq 0 ]
        [ "$(jq -r '.registers | length' <<<"$output")" -eq 5 ]
        run --separate-stderr td none "$E" extend --sysroot "$R" --index 4 --data x --log "$T/x.log"
        [ "$status" -ne 0 ]
        [[ "$stderr" == *"this kernel ($(uname -r)) cannot extend RTMRs"*"kernels that can: Linux 6.16+ with CONFIG_TSM_MEASUREMENTS, or a TDX kernel carrying the TDX_CMD_EXTEND_RTMR ioctl"* ]]
        [ ! -e "$T/x.log" ]
}

@test "GET_REPORT0 only: the measurer halts (exit 5, nothing logged) when a group is on_error: halt or a device is required" {
        R="$T/root"
        make_td "$R" dev
        write_policy "$T/p.yaml" halt
        measure_td none
        [ "$status" -eq 5 ]
        [[ "$stderr" == *"cannot extend RTMRs"*"the policy has a group marked on_error: halt, so nothing is measured and this is a device failure"* ]]
        [ ! -e "$T/rt.log" ]
        write_policy "$T/p.yaml" continue true
        measure_td none
        [ "$status" -eq 5 ]
        [[ "$stderr" == *"the policy requires a device"* ]]
        [ ! -e "$T/rt.log" ]
        [ "$(live none 3)" = "$ZERO" ]
}

@test "GET_REPORT0 only: with every group on_error: continue the boot goes on, logged as unmeasured and said on the console" {
        R="$T/root"
        make_td "$R" dev
        write_policy "$T/p.yaml" continue
        measure_td none
        [ "$status" -eq 0 ]
        [[ "$stderr" == *"NOT MEASURED: this kernel ($(uname -r)) cannot extend RTMRs"*"so the boot goes on"* ]]
        [ "$(kinds "$T/rt.log")" = "no_action:unmeasured" ]
        ev=$("$E" eventlog --json "$T/rt.log" | jq -r '.[1].data | @base64d | fromjson')
        [ "$(jq -r '"\(.reason) \(.kernel)"' <<<"$ev")" = "no-extend $(uname -r)" ]
        # Nothing was extended and the log says nothing was: replay agrees with the registers.
        [ "$(live none 3)" = "$ZERO" ]
        run td none "$E" replay --check --sysroot "$R" --log "$T/rt.log"
        [ "$status" -eq 0 ]
}

@test "no driver on a TD (Debian 12's 6.1): waits, then logs an unmeasured event and says so naming the kernel; required: exit 4" {
        R="$T/root"
        make_td "$R"
        write_policy "$T/p.yaml" halt
        [ -e /dev/tpmrm0 ] && skip "this machine has a TPM"
        measure_td none --device-wait 1
        [ "$status" -eq 0 ]
        [[ "$stderr" == *"waiting up to 1 s for /dev/tdx_guest or the TSM measurement sysfs"* ]]
        [[ "$stderr" == *"NOT MEASURED: this is a TDX guest (tdx_guest in /proc/cpuinfo), but its kernel $(uname -r) has no TDX guest interface"*"kernels that can measure a TD: Linux 6.16+"* ]]
        [ "$(kinds "$T/rt.log")" = "no_action:unmeasured" ]
        ev=$("$E" eventlog --json "$T/rt.log" | jq -r '.[1].data | @base64d | fromjson')
        [ "$(jq -r '"\(.reason) \(.kernel)"' <<<"$ev")" = "no-device $(uname -r)" ]
        run "$E" replay --json "$T/rt.log"
        [ "$(jq '.registers | length' <<<"$output")" -eq 0 ]
        rm "$T/rt.log"
        write_policy "$T/p.yaml" halt true
        measure_td none --device-wait 0
        [ "$status" -eq 4 ]
        [[ "$stderr" == *"error: this is a TDX guest"*"has no TDX guest interface"* ]]
        [ ! -e "$T/rt.log" ]
        # Not a TD (no tdx_guest flag): no wait, no log, as before.
        sed -i 's/ tdx_guest//' "$R/proc/cpuinfo"
        write_policy "$T/p.yaml" halt
        SECONDS=0
        measure_td none --device-wait 5
        [ "$status" -eq 0 ]
        [ "$SECONDS" -lt 3 ]
        [[ "$stderr" == *"nothing measured: no confidential-computing device"* ]]
        [ ! -e "$T/rt.log" ]
}

@test "a TD whose device node appears late: the measurer waits for it, then extends through it" {
        R="$T/root"
        make_td "$R"
        write_policy "$T/p.yaml"
        mkdir -p "$R/dev"
        (sleep 1; : >"$T/tdx_guest.new"; mv "$T/tdx_guest.new" "$R/dev/tdx_guest") &
        maker=$!
        measure_td ior --device-wait 10
        # Only the node's maker: a bare wait would also wait for bats' own per-test watchdog.
        wait "$maker"
        [ "$status" -eq 0 ]
        [[ "$stderr" == *"waiting up to 10 s"* ]]
        [[ "$stderr" == *"the TDX guest device appeared after"* ]]
        [ "$(kinds "$T/rt.log")" = "policy cmdline file file string separator separator" ]
        run td ior "$E" replay --check --sysroot "$R" --log "$T/rt.log"
        [ "$status" -eq 0 ]
        [ "$(live ior 3)" != "$ZERO" ]
}

# An initramfs-tools configuration under $1 with this plugin's hook and local-bottom script, reading the measurer from $2.
initramfs_conf() {
        mkdir -p "$1"
        cp -r /etc/initramfs-tools/. "$1/"
        sed -i -e 's/^MODULES=.*/MODULES=list/' -e 's/^COMPRESS=.*/COMPRESS=gzip/' "$1/initramfs.conf"
        mkdir -p "$1/hooks" "$1/scripts/local-bottom" "$2/usr/lib/cvm/bundle/bin" "$2/etc/cvm"
        cp "$PLUGIN/initramfs-tools/hooks/cvm-measure" "$1/hooks/"
        cp "$PLUGIN/initramfs-tools/scripts/local-bottom/cvm-measure" "$1/scripts/local-bottom/"
        printf '#!/bin/sh\n' >"$2/usr/lib/cvm/bundle/bin/cvm-measure"
        chmod +x "$2/usr/lib/cvm/bundle/bin/cvm-measure"
        printf 'version: 1\n' >"$2/etc/cvm/policy.yaml"
}

@test "initramfs-tools: this machine's kernel gets the measurer, and the TDX modules it has (none for Debian 12's 6.1)" {
        kver=$(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n1)
        [ -n "$kver" ] || skip "no kernel modules installed (make deps installs linux-image-amd64)"
        initramfs_conf "$T/conf" "$T/src"
        CVM_HOOK_SRC="$T/src" timeout 300 mkinitramfs -d "$T/conf" -o "$T/i.img" "$kver"
        lsinitramfs "$T/i.img" >"$T/list"
        grep -qx 'usr/lib/cvm/bundle/bin/cvm-measure' "$T/list"
        grep -qx 'etc/cvm/policy.yaml' "$T/list"
        grep -qx 'scripts/local-bottom/cvm-measure' "$T/list"
        # Each module is in the image exactly when this kernel has it as a module.
        for m in tdx_guest tsm_report tsm configfs; do
                if f=$(modinfo -k "$kver" -n "$m" 2>/dev/null) && [ "${f#/}" != "$f" ]; then
                        grep -q "/${f##*/}$" "$T/list" || { echo "$m ($f) is not in the image" >&2; return 1; }
                elif grep -q "/${m//_/[-_]}\.ko" "$T/list"; then
                        echo "$m is in the image, but kernel $kver has no such module" >&2
                        return 1
                fi
        done
}

@test "initramfs-tools: a kernel with tdx_guest, tsm_report and configfs as modules has all three in the image" {
        # A private mount namespace shows mkinitramfs a module tree and /boot of a kernel that has them
        # (this machine's modules under TDX names: only their paths matter here).
        unshare --mount true 2>/dev/null || skip "no mount namespaces here"
        kver=$(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n1)
        cfs=$(modinfo -k "$kver" -n configfs 2>/dev/null) && [ "${cfs#/}" != "$cfs" ] || skip "this kernel has no configfs module to copy"
        v=6.16.0-cvmtest
        m="$T/mods/$v/kernel"
        mkdir -p "$m/drivers/virt/coco/tdx-guest" "$m/drivers/virt/coco/guest" "$m/fs/configfs" "$T/boot" "$T/base/lib"
        cp "$cfs" "$m/drivers/virt/coco/tdx-guest/tdx-guest.ko"
        cp "$cfs" "$m/drivers/virt/coco/guest/tsm_report.ko"
        cp "$cfs" "$m/fs/configfs/configfs.ko"
        : >"$T/mods/$v/modules.builtin"
        : >"$T/mods/$v/modules.builtin.modinfo"
        : >"$T/mods/$v/modules.order"
        ln -s "$T/mods" "$T/base/lib/modules"
        depmod -b "$T/base" "$v"
        cp "/boot/config-$kver" "$T/boot/config-$v"
        initramfs_conf "$T/conf" "$T/src"
        CVM_HOOK_SRC="$T/src" timeout 300 unshare --mount sh -c \
                'mount --bind "$1/mods" /lib/modules && mount --bind "$1/boot" /boot && mkinitramfs -d "$1/conf" -o "$1/i.img" "$2"' \
                sh "$T" "$v"
        lsinitramfs "$T/i.img" >"$T/list"
        grep -qx "usr/lib/modules/$v/kernel/drivers/virt/coco/tdx-guest/tdx-guest.ko" "$T/list"
        grep -qx "usr/lib/modules/$v/kernel/drivers/virt/coco/guest/tsm_report.ko" "$T/list"
        grep -qx "usr/lib/modules/$v/kernel/fs/configfs/configfs.ko" "$T/list"
        grep -qx 'usr/lib/cvm/bundle/bin/cvm-measure' "$T/list"
}

# Stub /scripts/functions of initramfs-tools (as boot.bats).
stub_functions() {
        mkdir -p "$1"
        cat >"$1/functions" <<'SH'
panic() { echo "PANIC: $*"; exit 99; }
log_begin_msg() { :; }
log_end_msg() { :; }
SH
}

@test "local-bottom: on a TD the TDX modules are loaded before measuring; elsewhere modprobe is not run" {
        stub_functions "$T/scripts"
        mkdir -p "$T/root"
        printf '#!/bin/sh\necho "modprobe $*" >>"%s"\n' "$T/calls" >"$T/modprobe"
        printf '#!/bin/sh\necho "measure $*" >>"%s"\n' "$T/calls" >"$T/measure"
        chmod +x "$T/modprobe" "$T/measure"
        make_td "$T/td"
        run env rootmnt="$T/root" CVM_SCRIPTS="$T/scripts" CVM_MEASURE="$T/measure" CVM_MODPROBE="$T/modprobe" \
                CVM_CPUINFO="$T/td/proc/cpuinfo" sh "$PLUGIN/initramfs-tools/scripts/local-bottom/cvm-measure"
        [ "$status" -eq 0 ]
        [ "$(cat "$T/calls")" = "modprobe -q -a tdx_guest tsm_report tsm configfs
measure --root $T/root --policy /etc/cvm/policy.yaml" ]
        # A modprobe that fails (a kernel without the driver) does not stop the boot: the measurer reports it.
        rm "$T/calls"
        printf '#!/bin/sh\nexit 1\n' >"$T/modprobe"
        run env rootmnt="$T/root" CVM_SCRIPTS="$T/scripts" CVM_MEASURE="$T/measure" CVM_MODPROBE="$T/modprobe" \
                CVM_CPUINFO="$T/td/proc/cpuinfo" sh "$PLUGIN/initramfs-tools/scripts/local-bottom/cvm-measure"
        [ "$status" -eq 0 ]
        grep -q '^measure ' "$T/calls"
        # Not a TD: only the measurer.
        rm "$T/calls"
        printf 'flags\t\t: fpu lm\n' >"$T/plain-cpuinfo"
        run env rootmnt="$T/root" CVM_SCRIPTS="$T/scripts" CVM_MEASURE="$T/measure" CVM_MODPROBE="$T/modprobe" \
                CVM_CPUINFO="$T/plain-cpuinfo" sh "$PLUGIN/initramfs-tools/scripts/local-bottom/cvm-measure"
        [ "$status" -eq 0 ]
        [ "$(cut -d' ' -f1 "$T/calls")" = measure ]
}

@test "dracut: the module installs the TDX modules and its pre-pivot hook loads them on a TD before measuring" {
        # module-setup.sh's installkernel, with dracut's instmods recorded.
        run bash -c 'instmods() { echo "instmods $*"; }; . "$1"; installkernel' sh "$PLUGIN/dracut/90cvm-measure/module-setup.sh"
        [ "$status" -eq 0 ]
        [ "$output" = "instmods tdx_guest tsm_report tsm configfs" ]
        hook="$PLUGIN/dracut/90cvm-measure/cvm-measure-hook.sh"
        probe=$(grep -n 'modprobe -q -a tdx_guest' "$hook" | cut -d: -f1)
        measure=$(grep -n '^/usr/sbin/cvm-measure' "$hook" | cut -d: -f1)
        [ -n "$probe" ] && [ "$probe" -lt "$measure" ]
        grep -q 'grep -qw tdx_guest /proc/cpuinfo' "$hook"
}
