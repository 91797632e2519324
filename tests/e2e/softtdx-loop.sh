#!/usr/bin/env bash
# The closed loop's TDX run, on the soft TDX device (tests/softtdx: the
# kernel's TDX guest ABI, simulated, as swtpm is a TPM): build the module for
# the guest's kernel; unit-test it in a booted guest (run-guest-test.sh); rewrite
# the Debian base (with Debian's cloud kernel installed once and cached) with a
# TDX recipe (tests/e2e/recipes/tdx-soft.yaml: the measurer, evidence, and the test-only plugin 92-soft-tdx,
# whose declaration is what lets target tdx pass the capability check; the
# manifest says so); boot it under QEMU/TCG + OVMF with no TPM, the device on
# its sysfs extend, and check its evidence on the host (TDX backend, RTMR2/3
# extended through sysfs, replay == live == the quote's RTMRs, the quote over
# the host's nonce signed by the test key, verify --manifest matches); then
# change one measured file and boot again with the legacy-ioctl variant:
# verify names that file and RTMR2, and the ioctl path extended the registers.
# Run by tests/e2e/run-loop.sh (make e2e), or alone.
#
# Environment: BUILD (default build), CVM_CACHE, BOOT_TIMEOUT (s, default 600), KEEP=1.
# shellcheck disable=SC2015  # "A && B || fail" is meant
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$ROOT" && realpath -m "${BUILD:-build}")
CACHE=${CVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cvmkit}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}
E="$BUILD/bin/cvm-evidence"
TESTKEY="$ROOT/tests/softtdx/test-key.pub.pem"
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
W=$(mktemp -d "${TMPDIR:-/tmp}/cvm-softtdx.XXXXXX")
MANIFEST="$W/tdx.qcow2.manifest.json"
T0=$(date +%s)
# shellcheck source=tests/e2e/lib.sh
. "$ROOT/tests/e2e/lib.sh"
VM_LAUNCHER="$ROOT/tests/e2e/softtdx-vm"

trap 'on_exit "softtdx e2e"' EXIT
trap 'exit 130' INT TERM

step "soft TDX device: build it for the guest's kernel (make softtdx)"
KDEB=$("$ROOT/tests/e2e/fetch-kernel.sh" "$CACHE")
KVER=$(dpkg-deb --fsys-tarfile "$KDEB" | tar -t | sed -n 's|^\./boot/vmlinuz-||p')
[ -n "$KVER" ] || fail "no kernel image in $KDEB"
make -C "$ROOT" --no-print-directory BUILD="$BUILD" CVM_CACHE="$CACHE" softtdx >"$W/softtdx-build.log" 2>&1 \
        || { cat "$W/softtdx-build.log" >&2; fail "the soft TDX module did not build"; }
MODS="$BUILD/softtdx"
for m in soft_tdx_guest soft_tdx_guest_legacy; do
        [ "$(modinfo -F vermagic "$MODS/$m.ko" | cut -d' ' -f1)" = "$KVER" ] || fail "$m.ko is not built for $KVER: $(modinfo -F vermagic "$MODS/$m.ko")"
done
modinfo -F description "$MODS/soft_tdx_guest.ko" | grep -qx 'software TDX device for tests (simulated)' || fail "modinfo description"
ok "soft_tdx_guest.ko and soft_tdx_guest_legacy.ko for $KVER, against its own headers ($(dpkg-deb -f "$KDEB" Version))"
done_step

step "soft TDX device: unit tests in a booted guest (tests/softtdx/run-guest-test.sh)"
BUILD="$BUILD" BOOT_TIMEOUT=300 "$ROOT/tests/softtdx/run-guest-test.sh" "$KDEB" "$MODS" >"$W/guest-test.log" 2>&1 \
        || { cat "$W/guest-test.log" >&2; fail "the soft TDX device's in-guest tests failed"; }
tail -n 1 "$W/guest-test.log" >&2
done_step

step "the Debian base with the cloud kernel $KVER (tests/e2e/recipes/cloud-kernel.yaml; cached in $CACHE)"
BASE=$("$ROOT/tests/e2e/make-base.sh" "$CACHE")
# Keyed by the base, the kernel package and the recipe and plugin that install it.
key=$( { basename "$BASE"; basename "$KDEB"; cat "$ROOT/tests/e2e/recipes/cloud-kernel.yaml" "$ROOT/plugins/06-guest-kernel/plugin.yaml"; } \
        | sha256sum | cut -c1-16)
KBASE="$CACHE/debian-12-$KVER-$key.qcow2"
if [ ! -s "$KBASE" ]; then
        "$BUILD/bin/cvm-rewrite" --recipe "$ROOT/tests/e2e/recipes/cloud-kernel.yaml" --plugins "$ROOT/plugins" \
                --set guest-kernel.packages="$KDEB" --input "$BASE" --output "$W/kbase.qcow2" 2>"$W/kbase.log" \
                || { cat "$W/kbase.log" >&2; fail "installing the cloud kernel into the base failed"; }
        mv "$W/kbase.qcow2" "$KBASE"
fi
ok "$(basename "$KBASE")"
done_step

step "rewrite it with target tdx (tests/e2e/recipes/tdx-soft.yaml, the soft device declared)"
mkdir -p "$W/plugins"
cp -r "$ROOT/tests/e2e/plugins/90-e2e-report" "$ROOT/tests/e2e/plugins/92-soft-tdx" "$W/plugins/"
cp "$MODS/soft_tdx_guest.ko" "$MODS/soft_tdx_guest_legacy.ko" "$W/plugins/92-soft-tdx/files/"
"$BUILD/bin/cvm-rewrite" --recipe "$ROOT/tests/e2e/recipes/tdx-soft.yaml" --plugins "$ROOT/plugins" --plugins "$W/plugins" \
        --set guest-kernel.packages="$KDEB" --set soft-tdx.kver="$KVER" --set cvm-measurer.image_id=cvmkit-softtdx \
        --input "$KBASE" --output "$W/tdx.qcow2" 2>"$W/rewrite.log" || { cat "$W/rewrite.log" >&2; fail "cvm-rewrite failed"; }
grep -q "boot kernel $KVER (.*): TDX read yes, extend yes, quote yes (the declared soft TDX device" "$W/rewrite.log" \
        || { grep 'boot kernel' "$W/rewrite.log" >&2; fail "the capability check did not accept the kernel for the declared soft device"; }
for c in tdx_read tdx_extend tdx_quote; do
        [ "$(jq -r ".boot_kernel.$c.basis" "$MANIFEST")" = soft-device ] || fail "the manifest's boot_kernel.$c is $(jq -c ".boot_kernel.$c" "$MANIFEST")"
done
ok "target tdx accepted on $KVER only as the declared soft device; the manifest's TDX capabilities say basis soft-device"
done_step

# check_soft_tdx OUT NONCE EXTEND: the evidence of a boot on the soft device, its extend interface EXTEND.
check_soft_tdx() {
        local out=$1 nonce=$2 how=$3 i live replayed quoted
        for b in info measurements runtime-log replay-check quote; do expect_rc "$out" "$b" 0; done
        jq -e --arg h "$how" '.backend == "tdx" and .extend == $h and .simulated == true' "$out/info" >/dev/null \
                || fail "cvm-evidence info in the guest: $(jq -c '{backend, read, extend, simulated}' "$out/info"), expected simulated tdx extending by $how"
        grep -q "soft_tdx_guest: SIMULATED TDX guest device" "$out/kernel-log" || fail "the kernel log does not show the soft device loading"
        ok "in the guest: backend tdx, extend $how; the soft device (simulated) loaded in the initramfs"
        jq -r .quote "$out/quote" | xxd -r -p >"$out/quote.bin"
        "$E" parse-quote --json --verify-key "$TESTKEY" "$out/quote.bin" >"$out/quote.json" \
                || fail "the quote does not parse or its signature does not verify against the test key"
        [ "$(jq -r .report_data "$out/quote.json")" = "$(printf '%s' "$nonce" | xxd -r -p | sha512sum | cut -d' ' -f1)" ] \
                || fail "the quote's report data is not SHA-512(the host's nonce)"
        ok "the quote (configfs-tsm) parses, its ECDSA signature verifies with the test key, its report data is SHA-512(nonce)"
        "$E" replay --json --bank sha384 "$out/runtime-log" >"$out/host-replay.json" || fail "the host cannot replay the runtime log"
        for i in 3 4; do
                live=$(jq -r --argjson i "$i" '.registers[] | select(.index == $i) | .digest' "$out/measurements")
                replayed=$(jq -r --argjson i "$i" '.registers[] | select(.index == $i) | .digest' "$out/host-replay.json")
                quoted=$(jq -r --argjson i "$((i - 1))" '.rtmr[$i]' "$out/quote.json")
                [ -n "$live" ] && [ "$live" = "$replayed" ] && [ "$live" = "$quoted" ] && [ "$live" != "$(printf '0%.0s' $(seq 96))" ] \
                        || fail "RTMR$((i - 1)): live $live, the host's replay $replayed, the quote $quoted"
        done
        ok "RTMR2 and RTMR3: extended; live == the host's replay of the runtime log == the quote's"
}

step "boot it: QEMU/TCG + OVMF, no TPM, soft_tdx_guest (sysfs extend)"
NONCE=$(head -c 32 /dev/urandom | xxd -p -c 64)
VM_ARGS=(--memory 1024 --cpus 2 --fw-cfg-string opt/cvm/softtdx=sysfs)
boot "$W/tdx.qcow2" "$NONCE" "$W/boot"
done_step

step "check the evidence on the host"
check_soft_tdx "$W/boot" "$NONCE" sysfs
expect_rc "$W/boot" verify 0
[ "$(jq -r .match "$W/boot/verify")" = true ] || fail "verify in the guest did not match"
"$E" verify --manifest "$MANIFEST" --log "$W/boot/runtime-log" >/dev/null || fail "the host's verify of the runtime log failed"
ok "cvm-evidence verify --manifest: match in the guest (live RTMRs) and on the host (saved log)"
done_step

step "tamper: change /usr/lib/os-release after the rewrite"
qemu-img create -q -f qcow2 -b "$W/tdx.qcow2" -F qcow2 "$W/tampered.qcow2"
guestfish --format=qcow2 -a "$W/tampered.qcow2" -m /dev/sda1 write-append /usr/lib/os-release "CVM_E2E_TAMPERED=1\n" \
        2>"$W/guestfish.log" || { cat "$W/guestfish.log" >&2; fail "guestfish could not change the image"; }
done_step

step "boot the tampered image with soft_tdx_guest_legacy (the TDX_CMD_EXTEND_RTMR ioctl)"
NONCE2=$(head -c 32 /dev/urandom | xxd -p -c 64)
VM_ARGS=(--memory 1024 --cpus 2 --fw-cfg-string opt/cvm/softtdx=ioctl)
boot "$W/tampered.qcow2" "$NONCE2" "$W/tampered"
done_step

step "check: the ioctl path measured, and verify names the file and RTMR2"
check_soft_tdx "$W/tampered" "$NONCE2" ioctl
expect_rc "$W/tampered" verify 3
v="$W/tampered/verify"
[ "$(jq -c '[.findings[] | select(.finding != "register") | {finding, subject}]' "$v")" = \
  '[{"finding":"changed","subject":"/usr/lib/os-release"}]' ] || fail "verify should name exactly /usr/lib/os-release, it said: $(jq -c .findings "$v")"
jq -e '[.findings[] | select(.finding == "register") | .register] | index("RTMR2") != null' "$v" >/dev/null \
        || fail "verify should name the register RTMR2: $(jq -c .findings "$v")"
ok "verify exits 3 naming only /usr/lib/os-release (changed) and RTMR2; replay --check still passes"
done_step

echo "softtdx e2e: all checks passed in $(( $(date +%s) - T0 )) s" >&2
