#!/usr/bin/env bash
# The closed loop (make e2e; make demo adds --demo): build a Debian 12 guest,
# rewrite it with the measurer and evidence components, boot it under QEMU
# (q35, TCG) + OVMF + swtpm with real firmware measured boot, read the
# evidence it prints on its serial console, and check it on the host against
# the live PCRs, the quote, the swtpm's own key and the build manifest.  Then
# change one measured file after the rewrite, boot again, and check that
# verification names exactly that file and the register.
#
# Environment: BUILD (default build), CVM_CACHE (base images; default
# ~/.cache/cvmkit), BOOT_TIMEOUT (s, default 600), KEEP=1 keeps the work folder.
# Exit 0 when every check passed; otherwise the failed step is named.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$ROOT" && realpath -m "${BUILD:-build}")
CACHE=${CVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cvmkit}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}
DEMO=false
[ "${1:-}" = --demo ] && DEMO=true
E="$BUILD/bin/cvm-evidence"
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
export LIBGUESTFS_BACKEND=direct
# /dev/kvm may exist yet abort QEMU; the loop is specified for TCG anyway.
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

W=$(mktemp -d "${TMPDIR:-/tmp}/cvm-e2e.XXXXXX")
PIDS=()
STEP="setup"
T0=$(date +%s)

cleanup() {
        local rc=$?
        for p in "${PIDS[@]}"; do
                kill "$p" 2>/dev/null && { sleep 0.2; kill -9 "$p" 2>/dev/null; }
        done
        if [ "$rc" -ne 0 ]; then
                echo "e2e: FAILED in step '$STEP' (exit $rc); work folder: $W" >&2
        elif [ "${KEEP:-0}" != 1 ]; then
                rm -rf "$W"
        fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() {
        STEP=$1
        STEP_T0=$(date +%s)
        echo "== $1" >&2
}
done_step() {
        echo "   $STEP: $(( $(date +%s) - STEP_T0 )) s" >&2
}
fail() {
        echo "e2e: check failed: $*" >&2
        exit 1
}
ok() {
        echo "   ok: $*" >&2
}

# A TCP port nothing listens on, for the host's second swtpm.
free_port() {
        local p
        for _ in $(seq 50); do
                p=$(shuf -i 20000-60000 -n 1)
                ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && echo "$p" && return 0
        done
        return 1
}

# boot IMAGE NONCE OUT: boot under OVMF + a new swtpm (state in OUT/tpm), serial to OUT/serial.log, blocks to OUT/.
boot() {
        local image=$1 nonce=$2 out=$3 qpid spid deadline
        mkdir -p "$out/tpm"
        cp "$OVMF_VARS" "$out/vars.fd"
        swtpm socket --tpm2 --tpmstate dir="$out/tpm" --ctrl type=unixio,path="$out/tpm/ctrl" \
                --log file="$out/swtpm.log" --terminate &
        spid=$!
        PIDS+=("$spid")
        for _ in $(seq 50); do [ -S "$out/tpm/ctrl" ] && break; sleep 0.1; done
        [ -S "$out/tpm/ctrl" ] || fail "swtpm did not start (see $out/swtpm.log)"
        qemu-system-x86_64 -machine q35 -accel tcg -m 1024 -smp 2 -nographic -no-reboot \
                -drive if=pflash,format=raw,unit=0,file="$OVMF_CODE",readonly=on \
                -drive if=pflash,format=raw,unit=1,file="$out/vars.fd" \
                -chardev socket,id=chrtpm,path="$out/tpm/ctrl" -tpmdev emulator,id=tpm0,chardev=chrtpm \
                -device tpm-tis,tpmdev=tpm0 \
                -drive file="$image",if=virtio,format=qcow2 -snapshot -nic none \
                -fw_cfg name=opt/cvm/nonce,string="$nonce" -fw_cfg name=opt/cvm/manifest,file="$W/foundation.qcow2.manifest.json" \
                -serial file:"$out/serial.log" -monitor none -display none >"$out/qemu.log" 2>&1 &
        qpid=$!
        PIDS+=("$qpid")
        deadline=$(( $(date +%s) + BOOT_TIMEOUT ))
        while kill -0 "$qpid" 2>/dev/null; do
                if [ "$(date +%s)" -ge "$deadline" ]; then
                        kill "$qpid"
                        echo "--- last serial output ($out/serial.log):" >&2
                        tail -c 4000 "$out/serial.log" | tr -d '\r' >&2
                        fail "the guest did not power off within ${BOOT_TIMEOUT} s"
                fi
                sleep 1
        done
        wait "$qpid" || { cat "$out/qemu.log" >&2; fail "qemu exited with an error"; }
        wait "$spid" 2>/dev/null || true
        grep -q '^CVM-E2E-DONE' "$out/serial.log" || {
                tail -c 4000 "$out/serial.log" | tr -d '\r' >&2
                fail "the guest's report is incomplete (no CVM-E2E-DONE marker)"
        }
        # Each block: "CVM-E2E-BEGIN NAME rc=N", base64 lines, "CVM-E2E-END NAME".
        tr -d '\r' <"$out/serial.log" | awk -v dir="$out" '
                /^CVM-E2E-BEGIN / { name = $2; split($3, a, "="); print a[2] > (dir "/" name ".rc"); f = dir "/" name ".b64"; printf "" > f; next }
                /^CVM-E2E-END / { name = ""; next }
                name != "" { print >> f }'
        for b in "$out"/*.b64; do
                base64 -d <"$b" >"${b%.b64}" || fail "block ${b##*/} is not base64"
        done
}

# rc OUT NAME WANT: the guest command's exit code, with its stderr when it is not WANT.
expect_rc() {
        local got
        got=$(cat "$1/$2.rc" 2>/dev/null || echo none)
        if [ "$got" != "$3" ]; then
                [ -s "$1/$2.stderr" ] && cat "$1/$2.stderr" >&2
                fail "in the guest, '$2' exited $got, expected $3"
        fi
}

reg() { # JSON INDEX: the sha256 digest of PCR INDEX in a {registers: [...]} document
        jq -r --argjson i "$2" '.registers[] | select(.index == $i and .alg == "sha256") | .digest' "$1"
}

check_boot() {
        local out=$1 nonce=$2 manifest="$W/foundation.qcow2.manifest.json"
        for b in info measurements firmware-log runtime-log ima-log replay-check quote; do expect_rc "$out" "$b" 0; done
        ok "in the guest: info, measurements, logs, replay --check (exit 0) and quote"

        # 1. The logs the guest printed replay, on the host, to the live PCRs it read.
        "$E" replay --json --bank sha256 "$out/firmware-log" "$out/runtime-log" "$out/ima-log" >"$out/host-replay.json" \
                || fail "the host cannot replay the guest's logs"
        local n=0 i live replayed
        for i in $(seq 0 23); do
                live=$(reg "$out/measurements" "$i")
                replayed=$(reg "$out/host-replay.json" "$i")
                if [ -z "$replayed" ]; then
                        case $i in 17|18|19|20|21|22) replayed=$(printf 'f%.0s' $(seq 64)) ;; *) replayed=$(printf '0%.0s' $(seq 64)) ;; esac
                else
                        n=$((n + 1))
                fi
                [ "$live" = "$replayed" ] || fail "PCR$i: live $live, the host's replay of the guest's logs $replayed"
        done
        [ "$n" -ge 10 ] || fail "only $n PCRs were extended by the logs; firmware measured boot did not happen"
        ok "host replay of firmware + runtime + IMA logs == live PCR0-23 (sha256; $n extended)"

        # 2. The measurer's registers equal the manifest's prediction.
        for i in 23 16; do
                [ "$(reg "$out/measurements" "$i")" = "$(jq -r --argjson i "$i" \
                        '.reference_values.tpm.registers[] | select(.index == $i and .alg == "sha256") | .digest' "$manifest")" ] \
                        || fail "PCR$i differs from the manifest's reference value"
        done
        ok "PCR23 (OS TCB) and PCR16 (cloud-native TCB) == the manifest's predicted values"

        # 3. The quote: signed by an AK of this swtpm, over the host's nonce, over the replayed PCRs.
        jq -r .quote "$out/quote" | xxd -r -p >"$out/quote.attest"
        jq -r .signature "$out/quote" | xxd -r -p >"$out/quote.sig"
        jq -r .ak_pem "$out/quote" >"$out/ak.pem"
        local rd
        rd=$(printf '%s' "$nonce" | xxd -r -p | sha512sum | cut -d' ' -f1)
        [ "$(jq -r .report_data "$out/quote")" = "$rd" ] || fail "the quote's report data is not SHA-512(the host's nonce)"
        tpm2_checkquote -u "$out/ak.pem" -m "$out/quote.attest" -s "$out/quote.sig" -q "$rd" -g sha256 >/dev/null 2>&1 \
                || fail "tpm2_checkquote rejects the quote"
        local pcrs=""
        for i in $(seq 0 23); do pcrs+=$(reg "$out/measurements" "$i"); done
        [ "$(printf '%s' "$pcrs" | xxd -r -p | sha256sum | cut -d' ' -f1)" = "$(jq -r .parsed.pcr_digest "$out/quote")" ] \
                || fail "the quote's PCR digest is not the digest of the replayed PCR0-23"
        # The AK is the endorsement hierarchy's primary: the same swtpm derives the same key for the host.
        local port
        port=$(free_port) || fail "no free TCP port for the host's swtpm"
        swtpm socket --tpm2 --tpmstate dir="$out/tpm" --server type=tcp,port="$port" --ctrl type=tcp,port=$((port + 1)) \
                --flags not-need-init,startup-clear --log file="$out/swtpm-host.log" &
        PIDS+=("$!")
        sleep 0.5
        "$E" quote --tcti "swtpm:host=127.0.0.1,port=$port" --nonce 00 --json >"$out/host-quote.json" \
                || fail "the host cannot quote with the guest's swtpm"
        kill "${PIDS[-1]}"
        [ "$(jq -r .ak_pem "$out/host-quote.json")" = "$(jq -r .ak_pem "$out/quote")" ] \
                || fail "the quote's AK is not this swtpm's endorsement-hierarchy key"
        ok "quote: tpm2_checkquote passes with the host's nonce; PCR digest == replayed PCRs; AK == the swtpm's own"

        # 4. The events name what the policy lists.
        for f in /usr/lib/systemd/systemd /etc/passwd /usr/lib/os-release /etc/cvm/policy.yaml /usr/lib/cvm/bundle/libexec/cvm-measure; do
                grep -aq "\"path\":\"$f\"" "$out/runtime-log" || fail "the runtime log has no event for $f"
        done
        grep -aq '"path":"/boot/vmlinuz-' "$out/runtime-log" || fail "the runtime log has no event for the kernel"
        grep -aq '"value":"image=cvmkit-e2e"' "$out/runtime-log" || fail "the runtime log has no identity event"
        ok "the runtime log names the kernel, systemd, /etc/passwd, os-release, the policy, the measurer, the identity"
}

mkdir -p "$CACHE"
for t in qemu-system-x86_64 swtpm tpm2_checkquote jq xxd debootstrap; do
        command -v "$t" >/dev/null || fail "$t is not installed (make deps)"
done

step "base image (debootstrap Debian 12; cached in $CACHE)"
BASE=$("$ROOT/tests/e2e/make-base.sh" "$CACHE")
done_step

step "rewrite (cvm-rewrite, recipe tests/e2e/recipes/e2e-tpm.yaml)"
"$BUILD/bin/cvm-rewrite" --recipe "$ROOT/tests/e2e/recipes/e2e-tpm.yaml" --plugins "$ROOT/plugins" \
        --plugins "$ROOT/tests/e2e/plugins" --input "$BASE" --output "$W/foundation.qcow2" 2>"$W/rewrite.log" \
        || { cat "$W/rewrite.log" >&2; fail "cvm-rewrite failed"; }
grep -E 'done:|guest:' "$W/rewrite.log" >&2
done_step

step "boot the foundation image (q35, TCG, OVMF, swtpm)"
NONCE=$(head -c 32 /dev/urandom | xxd -p -c 64)
boot "$W/foundation.qcow2" "$NONCE" "$W/boot"
done_step

step "check the evidence on the host"
check_boot "$W/boot" "$NONCE"
expect_rc "$W/boot" verify 0
[ "$(jq -r .match "$W/boot/verify")" = true ] || fail "verify in the guest did not match"
"$E" verify --manifest "$W/foundation.qcow2.manifest.json" --log "$W/boot/runtime-log" >/dev/null \
        || fail "the host's offline verify of the guest's runtime log failed"
ok "cvm-evidence verify --manifest: match in the guest (live PCRs) and on the host (saved log)"
done_step

step "tamper: change /usr/lib/os-release in the image after the rewrite"
qemu-img create -q -f qcow2 -b "$W/foundation.qcow2" -F qcow2 "$W/tampered.qcow2"
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

TOTAL=$(( $(date +%s) - T0 ))
if $DEMO; then
        cat <<EOF

cvmkit demo: the closed loop, for real, in $TOTAL s
  built     Debian 12 (debootstrap) -> $(basename "$BASE")
  rewrote   + cvm-measure in the initramfs, cvm-evidence, policy; manifest predicts PCR23/PCR16
  booted    QEMU q35 + OVMF + swtpm: firmware measured boot, cvm-measure before switch_root
  verified  replay of the firmware, runtime and IMA logs == live PCRs; quote signed by the swtpm's AK
            over the host's nonce; PCR23 and PCR16 == the manifest; every predicted file matched
  tampered  one byte range appended to /usr/lib/os-release after the rewrite:
$(jq -r '.findings[] | "            " + .finding + ": " + (.subject // .register) + (if .basis == "log" then " (the runtime log replayed)" elif .basis == "live" then " (the live register)" elif .basis then " (" + .basis + ")" else "" end)' "$W/tampered/verify")
EOF
fi
echo "e2e: all checks passed in $TOTAL s" >&2
