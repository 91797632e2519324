#!/usr/bin/env bats
# The boot chain prediction's verifier side: Authenticode digests (cvm-evidence pe-digest) against an
# independent implementation, and cvm-evidence boot-chain comparing a real firmware log with a
# prediction event by event.

bats_require_minimum_version 1.5.0

load helpers

LOG=tcg2-goeventlog-ubuntu-2104-no-secure-boot.bin

# A manifest whose boot_chain predicts register $1 with the log's own events, minus those of type $2 (optional).
manifest_from_log() {
        timeout 60 "$E" eventlog --json "$F/$LOG" | jq --argjson i "$1" --arg drop "${2:-}" '{boot_chain: {registers: [
                {index: $i, status: "predicted", events: [.[] | select(.index == $i and .type_name != $drop and .type_name != "EV_NO_ACTION")
                        | {type: .type_name, digests: (.digests | map({(.alg): .digest}) | add), source: "firmware"}]},
                {index: 8, status: "unpredicted", reason: "a grub.cfg on the ESP (not evaluated) runs before /boot/grub/grub.cfg"}]}}'
}

@test "pe-digest: a Debian-signed kernel's Authenticode digest equals osslsigncode's calculated digest" {
        command -v osslsigncode >/dev/null || skip "no osslsigncode"
        k=$(ls /boot/vmlinuz-* 2>/dev/null | head -1)
        [ -n "$k" ] || skip "no kernel in /boot"
        want=$(timeout 60 osslsigncode verify -in "$k" 2>/dev/null | sed -n 's/^Calculated message digest *: *\([0-9A-F]*\).*/\1/p' | tr A-F a-f)
        [ -n "$want" ] || skip "$k is not signed"
        run -0 timeout 60 "$E" pe-digest "$k"
        [ "$output" = "$want  $k" ]
        run -0 timeout 60 "$E" pe-digest --json --alg sha384 "$k"
        [ "$(jq -r '.[0].alg' <<<"$output")" = sha384 ]
        [ "$(jq -r '.[0].digest | length' <<<"$output")" = 96 ]
}

@test "pe-digest: a file that is not a PE image is refused with the offset, and nothing is printed" {
        printf 'MZ' >"$T/short.efi"
        run -2 --separate-stderr timeout 60 "$E" pe-digest "$F/$LOG" "$T/short.efi"
        [ -z "$output" ]
        [[ "$stderr" == *"$F/$LOG: PE image: offset 0: no MZ header"* ]]
        run -1 timeout 60 "$E" pe-digest
}

@test "boot-chain: a register predicted with the real log's own events matches, event by event" {
        manifest_from_log 4 >"$T/m.json"
        [ "$(jq '.boot_chain.registers[0].events | length' "$T/m.json")" -ge 4 ]
        run -0 timeout 60 "$E" boot-chain "$T/m.json" "$F/$LOG"
        [[ "$output" == *"PCR4: match ("*" events)"* ]]
        [[ "$output" == *"PCR8: unpredicted (a grub.cfg on the ESP"* ]]
        run -0 timeout 60 "$E" boot-chain --json "$T/m.json" "$F/$LOG"
        [ "$(jq -r .match <<<"$output")" = true ]
        [ "$(jq -r '.registers[0].predicted == .registers[0].actual' <<<"$output")" = true ]
}

@test "boot-chain: a prediction without the GPT event is a mismatch that names the first differing event" {
        manifest_from_log 5 EV_EFI_GPT_EVENT >"$T/m.json"
        run -3 timeout 60 "$E" boot-chain "$T/m.json" "$F/$LOG"
        [[ "$output" == *"PCR5: mismatch at event 1"* ]]
        [[ "$output" == *"predicted: EV_EFI_ACTION sha256 d8043d6b7b85ad358eb3b6ae6a873ab7ef23a26352c5dc4faa5aeedacf5eb41b"* ]]
        [[ "$output" == *"log has: EV_EFI_GPT_EVENT sha256 f10eae3bb737eb4f543f7971f7e921058fbd14c3cc54b08efec7ca2ae7a66861"* ]]
        run -3 timeout 60 "$E" boot-chain --json "$T/m.json" "$F/$LOG"
        [ "$(jq -r '.registers[0] | "\(.status) \(.first) \(.got.type)"' <<<"$output")" = "mismatch 1 EV_EFI_GPT_EVENT" ]
}

@test "boot-chain: a manifest without a boot chain, or with a bad digest, is bad input" {
        echo '{"tool": "cvm-rewrite"}' >"$T/old.json"
        run -2 --separate-stderr timeout 60 "$E" boot-chain "$T/old.json" "$F/$LOG"
        [[ "$stderr" == *'no "boot_chain"'* ]]
        manifest_from_log 4 | jq '.boot_chain.registers[0].events[0].digests.sha256 = "abc"' >"$T/bad.json"
        run -2 --separate-stderr timeout 60 "$E" boot-chain "$T/bad.json" "$F/$LOG"
        [[ "$stderr" == *"PCR4: bad sha256 digest"* ]]
        run -1 timeout 60 "$E" boot-chain "$T/old.json"
}

@test "cvm-rewrite: --grub-device and --platform-values documented; a --platform-values that is no TPM log is a usage error before any work" {
        run -0 timeout 60 "${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/cvm-rewrite" --help
        [[ "$output" == *"--grub-device DEV"* ]]
        [[ "$output" == *"--platform-values LOG"* ]]
        run -1 --separate-stderr timeout 60 "${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/cvm-rewrite" --recipe "$BATS_TEST_DIRNAME/../../recipes/debian-12-tpm.yaml" \
                --input "$T/in.qcow2" --output "$T/out.qcow2" --platform-values "$F/tdxquote-v4-gotdxguest-SPR_E4.bin"
        [[ "$stderr" == *"--platform-values $F/tdxquote-v4-gotdxguest-SPR_E4.bin"* ]]
        [ ! -e "$T/out.qcow2" ]
        run -1 --separate-stderr timeout 60 "${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/cvm-rewrite" --recipe "$BATS_TEST_DIRNAME/../../recipes/debian-12-tpm.yaml" \
                --input "$T/in.qcow2" --output "$T/out.qcow2" --platform-values "$F/ccel-trustee-CCEL_data_ovmf.bin"
        [[ "$stderr" == *"not a TPM (PCR) firmware event log"* ]]
}
