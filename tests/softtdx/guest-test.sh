#!/bin/sh
# In-guest unit tests of the soft TDX device (POSIX sh: runs under busybox in
# the test initramfs of run-guest-test.sh).  The module is loaded already.
# MODE is sysfs (soft_tdx_guest.ko) or ioctl (soft_tdx_guest_legacy.ko).
# Prints "T NAME ok|FAIL detail" lines, and blobs the host checks
# (run-guest-test.sh: extend arithmetic against OpenSSL, layouts through
# cvm-evidence parse-quote) as "B NAME" + base64 + "E NAME".
MODE=$1
M=/sys/class/misc/tdx_guest/measurements
R=/sys/kernel/config/tsm/report
ND=/tmp/nd

t() { if [ "$2" = 0 ]; then echo "T $1 ok"; else echo "T $1 FAIL $3"; fi; }
blob() { echo "B $1"; base64 "$2"; echo "E $1"; }
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# 48 bytes 0x00..0x2f: the extend data the host hashes with OpenSSL.
i=0; : >/tmp/d48
# shellcheck disable=SC2059  # the octal escape is the format on purpose
while [ $i -lt 48 ]; do printf "\\$(printf %03o $i)" >>/tmp/d48; i=$((i + 1)); done

if [ "$MODE" = sysfs ]; then
        for f in mrtd rtmr0 rtmr1 rtmr2 rtmr3; do
                [ "$(wc -c <"$M/$f:sha384")" = 48 ]; t "read-48-$f" $? "$(wc -c <"$M/$f:sha384") bytes"
        done
        cp "$M/mrtd:sha384" /tmp/mrtd; blob mrtd /tmp/mrtd
        cp "$M/rtmr0:sha384" /tmp/rtmr0; blob rtmr0 /tmp/rtmr0
        cp "$M/rtmr2:sha384" /tmp/rtmr2-before
        dd if=/tmp/d48 of="$M/rtmr2:sha384" bs=48 count=1 2>/dev/null; t extend-48 $?
        cp "$M/rtmr2:sha384" /tmp/rtmr2; blob rtmr2-after /tmp/rtmr2
        head -c 47 /tmp/d48 >/tmp/d47
        ! dd if=/tmp/d47 of="$M/rtmr3:sha384" bs=47 count=1 2>/tmp/err47; t refuse-47 $? "a 47-byte write was accepted"
        grep -q 'Invalid argument' /tmp/err47; t refuse-47-einval $? "$(cat /tmp/err47)"
        [ "$(hex "$M/rtmr3:sha384")" = "$(printf '0%.0s' $(seq 96))" ]; t refuse-47-unchanged $?
        ! dd if=/tmp/d48 of="$M/mrtd:sha384" bs=48 count=1 2>/dev/null; t refuse-mrtd $? "MRTD was written"
        cmp -s /tmp/mrtd "$M/mrtd:sha384"; t mrtd-unchanged $?
fi

# configfs-tsm generation semantics.
mkdir "$R/t"; t tsm-mkdir $?
[ "$(cat "$R/t/provider")" = tdx_guest ]; t tsm-provider $? "$(cat "$R/t/provider")"
[ "$(cat "$R/t/generation")" = 0 ]; t tsm-generation-0 $? "$(cat "$R/t/generation")"
# shellcheck disable=SC2012  # configfs names are fixed words
ls "$R/t" | sort | tr '\n' ' ' >/tmp/ls
[ "$(cat /tmp/ls)" = "generation inblob outblob provider " ]; t tsm-attributes $? "$(cat /tmp/ls)"
printf 'cvmkit-softtdx-nonce-0123456789abcdef0123456789abcdef0123456789a' >"$ND"
[ "$(wc -c <"$ND")" = 64 ]; t nonce-64 $?
cat "$ND" >"$R/t/inblob"; t tsm-inblob $?
[ "$(cat "$R/t/generation")" = 1 ]; t tsm-generation-1 $? "$(cat "$R/t/generation")"
cat "$R/t/outblob" >/tmp/q1; t tsm-outblob $?
cat "$R/t/outblob" >/tmp/q2
cmp -s /tmp/q1 /tmp/q2 && [ "$(cat "$R/t/generation")" = 1 ]; t tsm-outblob-stable $?
blob quote /tmp/q1
cat "$ND" >"$R/t/inblob"
[ "$(cat "$R/t/generation")" = 2 ]; t tsm-generation-2 $? "$(cat "$R/t/generation")"
head -c 63 "$ND" >"$R/t/inblob"
! cat "$R/t/outblob" >/dev/null 2>/tmp/err63; t tsm-refuse-63 $? "a quote over 63 bytes"
grep -q 'Invalid argument' /tmp/err63; t tsm-refuse-63-einval $? "$(cat /tmp/err63)"
head -c 65 /dev/zero >/tmp/z65
! cat /tmp/z65 >"$R/t/inblob" 2>/dev/null; t tsm-refuse-65 $? "65 bytes of inblob accepted"
rmdir "$R/t"; t tsm-rmdir $?

# TDREPORT through TDX_CMD_GET_REPORT0.
/bin/softtdx-tdreport "$(hex "$ND")" >/tmp/tdreport; t get-report0 $?
blob tdreport /tmp/tdreport

# cvmkit itself on the device: backend, extend interface, extend, quote.
export LD_LIBRARY_PATH=/lib/cvm
cvm-evidence info --json >/tmp/info 2>&1; t cvm-info $? "$(cat /tmp/info)"
blob info /tmp/info
cvm-evidence extend --index 4 --data softtdx --log /tmp/rt.log >/tmp/ext 2>&1; t cvm-extend-rtmr3 $? "$(cat /tmp/ext)"
cvm-evidence extend --index 2 --data x --log /tmp/rt2.log >/tmp/ext1 2>&1
rc=$?
if [ "$MODE" = ioctl ]; then
        [ $rc != 0 ] && grep -q 'refuses RTMR1' /tmp/ext1; t cvm-extend-rtmr1-eperm $? "$(cat /tmp/ext1)"
else
        t cvm-extend-rtmr1 $rc "$(cat /tmp/ext1)"
fi
cvm-evidence measurements --json >/tmp/meas 2>&1; t cvm-measurements $? "$(cat /tmp/meas)"
blob measurements /tmp/meas
blob runtime-log /tmp/rt.log
cvm-evidence quote --nonce 00112233 --json >/tmp/quote.json 2>&1; t cvm-quote $? "$(cat /tmp/quote.json)"
blob cvm-quote /tmp/quote.json
echo "SOFTTDX-TEST-DONE"
