#!/usr/bin/env bash
# The soft TDX device's unit tests, in a booted guest, before the closed loop
# relies on it: boot the e2e guest kernel (Debian's cloud kernel, the .deb of
# tests/e2e/fetch-kernel.sh) under QEMU/TCG with a busybox initramfs holding
# both module variants, cvm-evidence and tests/softtdx/guest-test.sh; run the
# tests with soft_tdx_guest.ko, then again with soft_tdx_guest_legacy.ko;
# check on the host what the guest printed: every test line ok, the extend
# arithmetic against OpenSSL, the TDREPORT and the quote through cvm-evidence
# parse-quote (layout, registers, report data, signature by the test key).
#
# Usage: run-guest-test.sh KERNEL_DEB MODULE_DIR
#   MODULE_DIR holds soft_tdx_guest.ko and soft_tdx_guest_legacy.ko built for
#   that kernel (make softtdx).  Environment: BUILD (default build),
#   BOOT_TIMEOUT (s, default 300), KEEP=1 keeps the work folder.
set -euo pipefail

DEB=${1:?usage: run-guest-test.sh KERNEL_DEB MODULE_DIR}
MODS=${2:?usage: run-guest-test.sh KERNEL_DEB MODULE_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$ROOT" && realpath -m "${BUILD:-build}")
E=$BUILD/bin/cvm-evidence
W=$(mktemp -d "${TMPDIR:-/tmp}/softtdx-test.XXXXXX")
trap '[ "${KEEP:-0}" = 1 ] || rm -rf "$W"' EXIT
fail() { echo "softtdx-test: FAILED: $*" >&2; exit 1; }
T0=$(date +%s)

# Firmware-like initial values (module parameters): the host knows them.
MRTD=$(printf 'softtdx-mrtd' | sha384sum | cut -c1-96)
RTMR0=$(printf 'softtdx-rtmr0' | sha384sum | cut -c1-96)
RTMR1=$(printf 'softtdx-rtmr1' | sha384sum | cut -c1-96)

dpkg-deb -x "$DEB" "$W/k"
KVER=$(ls "$W/k/lib/modules")
KM=$W/k/lib/modules/$KVER/kernel
I=$W/initrd
mkdir -p "$I/bin" "$I/lib/cvm" "$I/lib64" "$I/mod" "$I/proc" "$I/sys" "$I/dev" "$I/tmp"
cp /bin/busybox "$I/bin/"
for a in sh mount mkdir cat cp dd head od tr wc grep cmp ls sort seq base64 insmod rmmod printf sleep poweroff rmdir sync; do
        ln -s busybox "$I/bin/$a"
done
for m in crypto/ecc fs/configfs/configfs crypto/sha512_generic; do cp "$KM/$m.ko" "$I/mod/"; done
cp "$MODS/soft_tdx_guest.ko" "$MODS/soft_tdx_guest_legacy.ko" "$I/mod/"
cp "$E" "$I/bin/cvm-evidence"
ldd "$E" | awk '$3 ~ /^\// { print $3 }' | xargs -I{} cp {} "$I/lib/cvm/"
cp /lib64/ld-linux-x86-64.so.2 "$I/lib64/"
gcc -static -O2 -Wall -Wextra -Werror -o "$I/bin/softtdx-tdreport" "$ROOT/tests/softtdx/tdreport.c"
cp "$ROOT/tests/softtdx/guest-test.sh" "$I/bin/guest-test.sh"
cat >"$I/init" <<EOF
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
insmod /mod/ecc.ko; insmod /mod/sha512_generic.ko; insmod /mod/configfs.ko
mount -t configfs configfs /sys/kernel/config
modinfo_line() { echo "modinfo: \$(cat /sys/module/\$1/description 2>/dev/null)"; }
echo "== sysfs"
insmod /mod/soft_tdx_guest.ko mrtd=$MRTD rtmr0=$RTMR0 rtmr1=$RTMR1 && echo "T insmod-sysfs ok" || echo "T insmod-sysfs FAIL"
sh /bin/guest-test.sh sysfs 2>&1 | sed 's/^/sysfs: /'
rmmod soft_tdx_guest
echo "== ioctl"
insmod /mod/soft_tdx_guest_legacy.ko mrtd=$MRTD rtmr0=$RTMR0 rtmr1=$RTMR1 && echo "T insmod-ioctl ok" || echo "T insmod-ioctl FAIL"
sh /bin/guest-test.sh ioctl 2>&1 | sed 's/^/ioctl: /'
echo SOFTTDX-ALL-DONE
sync; poweroff -f
EOF
chmod 0755 "$I/init"
(cd "$I" && find . | cpio -o -H newc --quiet | gzip -1) >"$W/initrd.gz"

timeout "${BOOT_TIMEOUT:-300}" qemu-system-x86_64 -machine q35,accel=tcg -m 512 -smp 1 -nodefaults -no-reboot -display none \
        -kernel "$W/k/boot/vmlinuz-$KVER" -initrd "$W/initrd.gz" -append "console=ttyS0 quiet panic=-1" \
        -serial "file:$W/serial.log" || fail "QEMU exited $? (serial log: $W/serial.log)"
tr -d '\r' <"$W/serial.log" >"$W/log"
grep -q '^SOFTTDX-ALL-DONE' "$W/log" || { tail -40 "$W/log" >&2; fail "the guest did not finish"; }
BOOT_S=$(( $(date +%s) - T0 ))

n=0; bad=0
while read -r line; do
        n=$((n + 1))
        case $line in *" ok") ;; *) echo "$line" >&2; bad=$((bad + 1)) ;; esac
done < <(grep -E '^(sysfs: |ioctl: )?T ' "$W/log")
# Blocks "MODE: B NAME", base64, "MODE: E NAME" into W/MODE-NAME.
awk -v d="$W" '
        /^(sysfs|ioctl): B / { sub(":", "", $1); f = d "/" $1 "-" $3 ".b64"; printf "" > f; on = 1; next }
        /^(sysfs|ioctl): E / { on = 0; next }
        on { sub(/^[a-z]+: /, ""); print >> f }' "$W/log"
for b in "$W"/*.b64; do base64 -d <"$b" >"${b%.b64}" || fail "block $b is not base64"; done

check() { # NAME CONDITION-EXIT-CODE DETAIL
        n=$((n + 1))
        if [ "$2" = 0 ]; then echo "T host-$1 ok"; else echo "T host-$1 FAIL $3" >&2; bad=$((bad + 1)); fi
}
ND_HEX=$(printf 'cvmkit-softtdx-nonce-0123456789abcdef0123456789abcdef0123456789a' | xxd -p -c 64)
D48=$(for i in $(seq 0 47); do printf '%02x' "$i"; done)
want_rtmr2=$(printf '%096d%s' 0 "$D48" | xxd -r -p | openssl dgst -sha384 -binary | xxd -p -c 48)
[ "$(xxd -p -c 48 "$W/sysfs-rtmr2-after")" = "$want_rtmr2" ]; check extend-vs-openssl $? "RTMR2 $(xxd -p -c 48 "$W/sysfs-rtmr2-after"), OpenSSL $want_rtmr2"
[ "$(xxd -p -c 48 "$W/sysfs-mrtd")" = "$MRTD" ] && [ "$(xxd -p -c 48 "$W/sysfs-rtmr0")" = "$RTMR0" ]; check params $?
for mode in sysfs ioctl; do
        "$E" parse-quote --json "$W/$mode-tdreport" >"$W/$mode-tdreport.json"; check "$mode-tdreport-parses" $?
        jq -e --arg m "$MRTD" --arg r0 "$RTMR0" --arg r1 "$RTMR1" --arg nd "$ND_HEX" \
                '.type == "tdreport" and .mrtd == $m and .rtmr[0] == $r0 and .rtmr[1] == $r1 and .report_data == $nd' \
                "$W/$mode-tdreport.json" >/dev/null; check "$mode-tdreport-fields" $? "$(cat "$W/$mode-tdreport.json")"
        "$E" parse-quote --json --verify-key "$ROOT/tests/softtdx/test-key.pub.pem" "$W/$mode-quote" >"$W/$mode-quote.json"
        check "$mode-quote-verifies" $? "parse-quote --verify-key"
        jq -e --arg m "$MRTD" --arg r0 "$RTMR0" --arg nd "$ND_HEX" \
                '.type == "tdx-quote" and .version == 4 and .mrtd == $m and .rtmr[0] == $r0 and .report_data == $nd' \
                "$W/$mode-quote.json" >/dev/null; check "$mode-quote-fields" $? "$(cat "$W/$mode-quote.json")"
        jq -e --arg v "$(printf cvmkit-simulated | xxd -p)" '.qe_vendor_id == $v and (.certification_data_type == 32343)' "$W/$mode-quote.json" >/dev/null
        check "$mode-quote-marked-simulated" $? "$(jq -c '{qe_vendor_id, certification_data_type}' "$W/$mode-quote.json")"
        cp "$W/$mode-quote" "$W/$mode-quote.tampered"
        printf '\x01' | dd of="$W/$mode-quote.tampered" bs=1 seek=$((48 + 328 + 96)) conv=notrunc status=none
        rc=0; "$E" parse-quote --verify-key "$ROOT/tests/softtdx/test-key.pub.pem" "$W/$mode-quote.tampered" >/dev/null 2>&1 || rc=$?
        [ "$rc" = 3 ]; check "$mode-quote-tampered-rtmr2-refused" $? "exit $rc, expected 3"
        jq -e --arg nd "$(printf 00112233 | xxd -r -p | sha512sum | cut -c1-128)" '.parsed.report_data == $nd' "$W/$mode-cvm-quote" >/dev/null
        check "$mode-cvm-evidence-quote-nonce" $? "$(jq -c .parsed.report_data "$W/$mode-cvm-quote")"
        jq -e '.backend == "tdx" and .simulated == true' "$W/$mode-info" >/dev/null; check "$mode-info-tdx" $? "$(cat "$W/$mode-info")"
        jq -e --arg m "$mode" '.extend == $m' "$W/$mode-info" >/dev/null; check "$mode-info-extend" $? "$(cat "$W/$mode-info")"
done
echo "softtdx-test: $((n - bad))/$n passed; boot and tests $BOOT_S s" >&2
[ "$bad" = 0 ] || { KEEP=1; echo "work folder: $W" >&2; exit 1; }
