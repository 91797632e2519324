#!/usr/bin/env bats
# Boot integration: the initramfs-tools hook and local-bottom script, the
# dracut module, the systemd units.  shellcheck on every script; the
# local-bottom script run against a fake ${rootmnt} with stub initramfs
# functions (panic prints and exits), on the sim backend.

bats_require_minimum_version 1.5.0

load helpers

SCRIPTS="$BATS_TEST_DIRNAME/../../plugins/50-cvm-measurer/files"

@test "every boot script passes shellcheck" {
        shellcheck -s sh "$SCRIPTS/initramfs-tools/hooks/cvm-measure" \
                "$SCRIPTS/initramfs-tools/scripts/local-bottom/cvm-measure" \
                "$SCRIPTS/dracut/90cvm-measure/cvm-measure-hook.sh"
        shellcheck -s bash "$SCRIPTS/dracut/90cvm-measure/module-setup.sh"
}

@test "the closed loop's, CI's and the plugins' scripts pass shellcheck" {
        R="$BATS_TEST_DIRNAME/../.."
        (cd "$R" && shellcheck -x tests/e2e/run-loop.sh tests/e2e/lib.sh tests/e2e/make-base.sh tests/e2e/fetch-kernel.sh ci/build-foundation-image.sh)
        shellcheck -s sh "$R/tests/e2e/plugins/90-e2e-report/files/report.sh" "$R/plugins/03-network/files/network.sh" \
                "$R/plugins/60-initrd/files/cvm-initrd-files"
}

# Stub /scripts/functions of initramfs-tools: panic stops the script like the real one stops the boot.
stub_functions() {
        mkdir -p "$1"
        cat >"$1/functions" <<'SH'
panic() { echo "PANIC: $*"; exit 99; }
log_begin_msg() { echo "Begin: $*"; }
log_end_msg() { echo "Done."; }
SH
}

@test "local-bottom: measures \${rootmnt} into the runtime log; the log replays to the registers" {
        mkdir -p "$T/root/etc" "$T/root/boot"
        printf 'k\n' >"$T/root/boot/vmlinuz-6.1"
        printf 'ID=debian\n' >"$T/root/etc/os-release"
        cat >"$T/policy.yaml" <<'YAML'
version: 1
groups:
  - name: boot
    class: os
    on_error: halt
    items:
      - glob: /boot/vmlinuz-*
      - file: /etc/os-release
YAML
        stub_functions "$T/scripts"
        run env rootmnt="$T/root" CVM_SCRIPTS="$T/scripts" CVM_MEASURE="$M" CVM_POLICY="$T/policy.yaml" \
                CVM_MEASURE_ARGS="--backend sim --sim-state $T/regs --sim-space cc-mr --log $T/runtime.log" \
                sh "$SCRIPTS/initramfs-tools/scripts/local-bottom/cvm-measure"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Begin: Measuring the OS and cloud-native TCB"* ]]
        [ "$("$E" eventlog --json "$T/runtime.log" | jq -r '[.[1:][].data | @base64d | fromjson | .kind] | join(" ")')" = "policy file file separator" ]
        [ "$("$E" replay --json "$T/runtime.log" | jq -r '.registers[] | select(.name == "RTMR2") | .digest')" = \
          "$("$E" measurements --json --backend sim --sim-state "$T/regs" --index 3 | jq -r '.registers[0].digest')" ]
        [ "$(sh "$SCRIPTS/initramfs-tools/scripts/local-bottom/cvm-measure" prereqs)" = "" ]
}

@test "local-bottom: a failed halt group, a missing binary and a required device each stop the boot with an explanation" {
        mkdir -p "$T/root"
        cat >"$T/halt.yaml" <<'YAML'
version: 1
require_device: true
groups:
  - name: boot
    class: os
    on_error: halt
    on_missing: error
    items:
      - file: /boot/vmlinuz
YAML
        stub_functions "$T/scripts"
        run env rootmnt="$T/root" CVM_SCRIPTS="$T/scripts" CVM_MEASURE="$M" CVM_POLICY="$T/halt.yaml" \
                CVM_MEASURE_ARGS="--backend sim --sim-state $T/regs --sim-space cc-mr --log $T/h.log" \
                sh "$SCRIPTS/initramfs-tools/scripts/local-bottom/cvm-measure"
        [ "$status" -eq 99 ]
        [[ "$output" == *"HALT: group 'boot' (on_error: halt): /boot/vmlinuz: missing"* ]]
        [[ "$output" == *"PANIC: cvm-measure: an item of a policy group marked 'on_error: halt' could not be measured"* ]]
        run env rootmnt="$T/root" CVM_SCRIPTS="$T/scripts" CVM_MEASURE="$T/nope" sh "$SCRIPTS/initramfs-tools/scripts/local-bottom/cvm-measure"
        [ "$status" -eq 99 ]
        [[ "$output" == *"PANIC: cvm-measure: $T/nope is missing from this initramfs"* ]]
        [ -e /dev/tpmrm0 ] && skip "this machine has a TPM"
        run env -u CVM_TCTI -u TPM2TOOLS_TCTI rootmnt="$T/root" CVM_SCRIPTS="$T/scripts" CVM_MEASURE="$M" CVM_POLICY="$T/halt.yaml" \
                CVM_MEASURE_ARGS="--sysroot $T/root" sh "$SCRIPTS/initramfs-tools/scripts/local-bottom/cvm-measure"
        [ "$status" -eq 99 ]
        [[ "$output" == *"PANIC: cvm-measure: no TDX or TPM device, and the policy requires one"* ]]
}

@test "systemd units: the initrd unit runs before switch-root, the late unit only without a runtime log and says it ran late" {
        grep -q '^Before=initrd-switch-root.target' "$SCRIPTS/systemd/cvm-measure-initrd.service"
        grep -q '^ExecStart=/usr/sbin/cvm-measure --root /sysroot' "$SCRIPTS/systemd/cvm-measure-initrd.service"
        grep -q '^ExecStartPre=-/sbin/modprobe -q tdx_guest$' "$SCRIPTS/systemd/cvm-measure-initrd.service"
        grep -q '^ConditionPathExists=!/run/cvm/runtime.log' "$SCRIPTS/systemd/cvm-measure-late.service"
        grep -q -- '--late$' "$SCRIPTS/systemd/cvm-measure-late.service"
        if command -v systemd-analyze >/dev/null; then
                for u in "$SCRIPTS"/systemd/*.service; do
                        run systemd-analyze verify --man=no "$u"
                        [[ "$output" != *"Unknown key"* && "$output" != *"Unknown section"* ]]
                done
        fi
        mkdir -p "$T/r/etc"
        printf 'x\n' >"$T/r/etc/x"
        printf 'version: 1\ngroups:\n  - name: g\n    class: os\n    items:\n      - file: /etc/x\n' >"$T/p.yaml"
        run --separate-stderr "$M" --dry-run --late --root "$T/r" --policy "$T/p.yaml" --json
        [ "$(jq -r '.events[1].kind' <<<"$output")" = late ]
}
