# shellcheck shell=bash
# shellcheck disable=SC2034,SC2153,SC2015  # STEP is read, MANIFEST and ROOT set, by the scripts that source this; "A && B || fail" is meant
# The closed loop's boot and checks, shared by tests/e2e/run-loop.sh,
# softtdx-loop.sh and ci/build-foundation-image.sh and tdx-host-check.sh.  The
# caller sets E (cvm-evidence), W (a private work folder), MANIFEST (the
# image's manifest), BOOT_TIMEOUT, and on_exit NAME as its EXIT trap; STEP
# names the step that failed.
PIDS=()
STEP="setup"

kill_pids() {
        for p in "${PIDS[@]}"; do
                kill "$p" 2>/dev/null && { sleep 0.2; kill -9 "$p" 2>/dev/null; }
        done
        return 0
}

# on_exit NAME: the EXIT trap of the script called NAME: kill what it started;
# keep the work folder W when it failed (naming the step) or KEEP=1, else remove it.
on_exit() {
        local rc=$?
        kill_pids
        if [ "$rc" -ne 0 ]; then
                echo "$1: FAILED in step '$STEP' (exit $rc); work folder: $W" >&2
        elif [ "${KEEP:-0}" != 1 ]; then
                rm -rf "$W"
        fi
}

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

# How boot starts the guest: the launch helper's flavour options. The TPM flavour under TCG is the
# closed loop's (OVMF + a new swtpm whose state stays in OUT/tpm); CVM_ACCEL=kvm where /dev/kvm opens
# (the CI workflow); ci/tdx-host-check.sh sets --tdx.
VM_ARGS=(--tpm --accel "${CVM_ACCEL:-tcg}" --memory 1024 --cpus 2)
# The launcher, with ci/cvm-vm's run options; tests/e2e/softtdx-loop.sh sets tests/e2e/softtdx-vm (no TPM).
VM_LAUNCHER=${VM_LAUNCHER:-$ROOT/ci/cvm-vm}

# How boot treats the image: discard the guest's writes; a cloud instance's boots (run-loop.sh) keep them.
BOOT_OPTS=(--snapshot)

# boot IMAGE NONCE OUT: boot with the launch helper (ci/cvm-vm, VM_ARGS, BOOT_OPTS), serial to OUT/serial.log,
# the nonce and the manifest through fw_cfg; blocks to OUT/.
boot() {
        local image=$1 nonce=$2 out=$3 vpid rc=0
        mkdir -p "$out"
        "$VM_LAUNCHER" run "${VM_ARGS[@]}" "${BOOT_OPTS[@]}" --state "$out" \
                --serial "$out/serial.log" --fw-cfg-string "opt/cvm/nonce=$nonce" --fw-cfg "opt/cvm/manifest=$MANIFEST" \
                --timeout "$BOOT_TIMEOUT" "$image" 2>"$out/cvm-vm.log" &
        vpid=$!
        PIDS+=("$vpid")
        wait "$vpid" || rc=$?
        if [ "$rc" -ne 0 ]; then
                cat "$out/cvm-vm.log" >&2
                echo "--- last serial output ($out/serial.log):" >&2
                tail -c 4000 "$out/serial.log" 2>/dev/null | tr -d '\r' >&2
                fail "the guest did not boot and power off (cvm-vm exited $rc)"
        fi
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
        local out=$1 nonce=$2 manifest=$MANIFEST
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
        grep -aq '"value":"image=' "$out/runtime-log" || fail "the runtime log has no identity event"
        ok "the runtime log names the kernel, systemd, /etc/passwd, os-release, the policy, the measurer, the identity"
}


# check_boot_tdx OUT NONCE: a trust domain's evidence (ci/tdx-host-check.sh). The guest ran the TDX
# backend; the host's replay of the CCEL log and the runtime log equals the live RTMRs and the RTMRs
# of the quote, whose report data is SHA-512(the host's nonce); verify matches in the guest and on the host.
check_boot_tdx() {
        local out=$1 nonce=$2 i live replayed quoted rd
        for b in info measurements firmware-log runtime-log replay-check quote verify; do expect_rc "$out" "$b" 0; done
        [ "$(jq -r .backend "$out/info")" = tdx ] || fail "the guest's backend is $(jq -r .backend "$out/info"), not tdx"
        [ "$(jq -r .simulated "$out/info")" = false ] || fail "the guest's TDX backend is simulated"
        ok "in the guest: the TDX backend; info, measurements, CCEL and runtime logs, replay --check, quote and verify (exit 0)"
        "$E" replay --json --bank sha384 "$out/firmware-log" "$out/runtime-log" >"$out/host-replay.json" \
                || fail "the host cannot replay the guest's CCEL and runtime logs"
        for i in 1 2 3 4; do
                live=$(jq -r --argjson i "$i" '.registers[] | select(.index == $i) | .digest' "$out/measurements")
                replayed=$(jq -r --argjson i "$i" '.registers[] | select(.index == $i) | .digest' "$out/host-replay.json")
                quoted=$(jq -r --argjson i "$((i - 1))" '.parsed.rtmr[$i]' "$out/quote")
                [ -n "$live" ] && [ "$live" = "$replayed" ] && [ "$live" = "$quoted" ] \
                        || fail "RTMR$((i - 1)): live $live, the host's replay $replayed, the quote $quoted"
        done
        ok "RTMR0-3: live == the host's replay of CCEL + runtime log == the quote's"
        rd=$(printf '%s' "$nonce" | xxd -r -p | sha512sum | cut -d' ' -f1)
        [ "$(jq -r .parsed.report_data "$out/quote")" = "$rd" ] || fail "the quote's report data is not SHA-512(the host's nonce)"
        ok "the quote's report data is SHA-512(the host's nonce)"
        "$E" verify --manifest "$MANIFEST" --log "$out/runtime-log" >/dev/null || fail "the host's verify of the runtime log failed"
        [ "$(jq -r .match "$out/verify")" = true ] || fail "verify in the guest did not match"
        ok "cvm-evidence verify --manifest: match in the guest (live RTMRs) and on the host (saved log)"
}

# check_service OUT [python]: the evidence service (cvm-evidenced, socket-activated by plugin 51) answered in
# the guest, and its registers through cvm-evidence --backend service, the Python module and raw varlink
# messages equal the CLI's; with "python" the guest must have run the last two (it has python3).
# PCR10 is left out: IMA extends it as the report runs programs.
check_service() {
        local out=$1 alg regs
        expect_rc "$out" service-measurements 0
        regs='[.registers[] | select(.index != 10) | {index, alg, digest}] | sort_by(.index, .alg)'
        [ "$(jq -c "$regs" "$out/service-measurements")" = "$(jq -c "$regs" "$out/measurements")" ] \
                || fail "the service's registers (cvm-evidence --backend service) differ from the CLI's"
        ok "cvm-evidenced in the guest: cvm-evidence --backend service reads the same registers as the CLI"
        if [ ! -e "$out/service-python.rc" ]; then
                [ "${2:-}" != python ] || fail "the guest has python3 (cloud-init), yet the report did not query the service with it"
                ok "no python3 in the guest: the Python module and the raw varlink call were not run"
                return
        fi
        expect_rc "$out" service-python 0
        expect_rc "$out" service-raw 0
        alg=$(jq -r .alg "$out/service-python")
        same_as_cli "$out" service-python "$alg" \
                || fail "the Python module's get_cc_measurement differs from the CLI's: $(cat "$out/service-python")"
        same_as_cli "$out" service-raw "$(jq -r .alg "$out/service-raw")" \
                || fail "the raw varlink GetMeasurement answers differ from the CLI's: $(cat "$out/service-raw")"
        ok "the Python module (get_cc_measurement) and raw varlink GetMeasurement messages, $(jq '.registers | length' "$out/service-raw") registers each, equal the CLI's"
}

# same_as_cli OUT NAME ALG: every register OUT/NAME lists ({registers: [{index, digest}]}, PCR10 aside, more
# than one) has the CLI's digest in ALG (OUT/measurements).
same_as_cli() {
        jq -e --slurpfile cli "$1/measurements" --arg a "$3" '
                [.registers[] | select(.index != 10)] as $x | ($x | length) > 1 and
                all($x[]; . as $r | [$cli[0].registers[] | select(.index == $r.index and .alg == $a) | .digest] == [$r.digest])' \
                "$1/$2" >/dev/null
}

# read_back_both CMDS IMG1 OUT1 IMG2 OUT2: one guestfish launch over two images; CMDS DEV OUT prints
# the guestfish commands that read the root file system on DEV, mounted at /, into OUT.
read_back_both() {
        local cmds=$1
        mkdir -p "$3" "$5"
        { echo run; echo "mount-ro /dev/sda1 /"; "$cmds" /dev/sda1 "$3"; echo "umount /"
          echo "mount-ro /dev/sdb1 /"; "$cmds" /dev/sdb1 "$5"; } |
                guestfish --ro --format=qcow2 -a "$2" -a "$4" >"$3/fish.log" 2>&1 || { cat "$3/fish.log" >&2; fail "reading back $2 and $4"; }
}

# report_image IN OUT: IN plus the test-only report unit (tests/e2e/plugins/90-e2e-report) as OUT.
# The unit lives in /usr/lib/systemd/system, which the policy does not measure, so IN's manifest still holds.
report_image() {
        "$BUILD/bin/cvm-rewrite" --recipe "$ROOT/tests/e2e/recipes/report.yaml" --plugins "$ROOT/tests/e2e/plugins" \
                --input "$1" --output "$2" 2>"$W/report-rewrite.log" \
                || { cat "$W/report-rewrite.log" >&2; fail "adding the report unit failed"; }
}

# check_boot_chain OUT MANIFEST [PCR...]: the manifest's boot chain prediction (PCR4, 5, 8, 9, from the
# image alone, and the further PCRs given: 7 when the rewrite had --firmware-vars) equals the booted
# guest's live registers in every predicted bank, and its firmware log event by event (when the guest
# has one: Debian's plain "linux" command skips the EFI stub that hands the log over).
check_boot_chain() {
        local out=$1 manifest=$2 i alg want live status regs
        shift 2
        regs=$(printf '%s\n' 4 5 8 9 "$@" | sort -n | tr '\n' ' ')
        for i in $regs; do
                status=$(jq -r --argjson i "$i" '.boot_chain.registers[] | select(.index == $i) | .status' "$manifest")
                [ "$status" = predicted ] || fail "PCR$i was not predicted: $(jq -r --argjson i "$i" \
                        '.boot_chain.registers[] | select(.index == $i) | .reason' "$manifest")"
                for alg in sha1 sha256 sha384; do
                        want=$(jq -r --argjson i "$i" --arg a "$alg" '.boot_chain.registers[] | select(.index == $i) | .values[$a]' "$manifest")
                        live=$(jq -r --argjson i "$i" --arg a "$alg" '.registers[] | select(.index == $i and .alg == $a) | .digest' "$out/measurements")
                        [ "$want" = "$live" ] || fail "PCR$i ($alg): predicted $want, the guest's live value $live"
                done
        done
        ok "boot chain: PCR ${regs% } predicted from the image == the live registers (sha1, sha256, sha384)"
        if [ -s "$out/firmware-log" ]; then
                timeout 60 "$E" boot-chain "$manifest" "$out/firmware-log" >"$out/boot-chain.txt" \
                        || { cat "$out/boot-chain.txt" >&2; fail "cvm-evidence boot-chain: the firmware log differs from the prediction"; }
                ok "boot chain: the firmware log's PCR ${regs% } events == the prediction, event by event ($(tr '\n' ' ' <"$out/boot-chain.txt"))"
        else
                ok "boot chain: no firmware log in this guest (no EFI stub: plain 'linux'), live values compared only"
        fi
}

# ---- a cloud instance's first and second boot (issue 17 item 3) -------------------------------------

# cloud_seed OUT: a NoCloud seed as a cloud gives one, a FAT volume labelled CIDATA built with mtools
# (no mount): meta-data (instance-id, local-hostname) and user-data that creates a user, writes an
# sshd_config.d drop-in, sets the host name and /etc/hosts: files of the policy's instance class.
cloud_seed() {
        local d
        d=$(mktemp -d "$W/seed.XXXXXX")
        printf 'instance-id: iid-cvm-e2e-1\nlocal-hostname: cvm-instance\n' >"$d/meta-data"
        cat >"$d/user-data" <<'USERDATA'
#cloud-config
hostname: cvm-instance
manage_etc_hosts: true
users:
  - name: cvmuser
    gecos: cvmkit e2e instance user
    shell: /bin/bash
    lock_passwd: true
    ssh_authorized_keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk4bQ8cZbqz3Yw9Cq1qXnT0Yb2bV7m8f4p3s2r1a0Zx cvmuser@e2e
write_files:
  - path: /etc/ssh/sshd_config.d/60-cvm-e2e.conf
    permissions: '0644'
    content: |
      PasswordAuthentication no
USERDATA
        rm -f "$1"
        mkfs.vfat -C -n CIDATA "$1" 1024 >/dev/null || fail "mkfs.vfat could not make the seed"
        mcopy -i "$1" "$d/meta-data" "$d/user-data" ::/ || fail "mcopy could not fill the seed"
}

# check_instance_boot OUT: the second boot of an instance cloud-init configured verifies (exit 0, in the
# guest and offline on the host), reporting exactly cloud-init's files as instance state, each with its
# digest but /etc/shadow, whose digests are withheld.
check_instance_boot() {
        local out=$1 v=$1/verify want got
        expect_rc "$out" verify 0
        [ "$(jq -r .match "$v")" = true ] || fail "the second boot's verify did not match: $(jq -c .findings "$v")"
        [ "$(jq -c '[.findings[] | select(.finding != "instance")]' "$v")" = '[]' ] \
                || fail "the second boot's verify reports more than instance state: $(jq -c .findings "$v")"
        # The image has no /etc/hosts and no sshd_config.d ("missing" events); cloud-init wrote both.
        want='["/etc/group","/etc/hostname","/etc/hosts","/etc/machine-id","/etc/passwd","/etc/shadow","/etc/ssh/sshd_config.d","/etc/ssh/sshd_config.d/60-cvm-e2e.conf"]'
        got=$(jq -c '[.findings[].subject] | sort' "$v")
        [ "$got" = "$want" ] || fail "instance state should be $want, verify said $got"
        [ "$(jq -c '[.findings[] | select(.subject == "/etc/shadow") | .secret, .expected, .got]' "$v")" = '[true,null,null]' ] \
                || fail "verify printed /etc/shadow's digests, or did not mark it secret"
        jq -e '[.findings[] | select(.subject != "/etc/shadow" and .got_kind == "file") | .got | test("^[0-9a-f]{64}$")] | length == 6 and all' \
                "$v" >/dev/null \
                || fail "an instance file's digest is missing: $(jq -c .findings "$v")"
        [ "$(cat "$out/hostname")" = cvm-instance ] || fail "cloud-init did not set the host name: $(cat "$out/hostname")"
        "$E" verify --manifest "$MANIFEST" --log "$out/runtime-log" >"$out/host-verify.txt" \
                || fail "the host's offline verify of the second boot's runtime log failed: $(cat "$out/host-verify.txt")"
}
