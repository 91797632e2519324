#!/usr/bin/env bats
# cvm-evidence against the shared fixtures: values, JSON shapes, exit codes, hostile input.

bats_require_minimum_version 1.5.0

load helpers

@test "--help lists the commands and the exit codes; --version prints the version" {
        run "$E" --help
        [ "$status" -eq 0 ]
        [[ "$output" == *"eventlog"* && "$output" == *"replay"* && "$output" == *"parse-quote"* ]]
        [[ "$output" == *"3 mismatch"* ]]
        run "$E" --version
        [ "$status" -eq 0 ]
        [[ "$output" == "cvm-evidence 0.1.0"* ]]
        for c in eventlog replay parse-quote; do
                run "$E" "$c" --help
                [ "$status" -eq 0 ]
                [[ "$output" == *"Exit codes"* ]]
        done
}

@test "--version, replay and eventlog never map OpenSSL; a quote's signature check loads it and verifies" {
        # libcvm hashes memory with nettle and dlopen()s libcrypto for files and signatures (issue 21: start-up).
        log=$F/tcg2-goeventlog-ubuntu-2104-no-secure-boot.bin
        for args in "--version" "replay $log" "replay --json $log" "eventlog --json $log" "eventlog --cel $log"; do
                # shellcheck disable=SC2086
                LD_DEBUG=files timeout 30 "$E" $args 2>"$BATS_TEST_TMPDIR/ld" >/dev/null
                grep -q 'file=libnettle\.so' "$BATS_TEST_TMPDIR/ld"
                run -1 grep 'file=libcrypto\.so' "$BATS_TEST_TMPDIR/ld"
        done
        LD_DEBUG=files timeout 30 "$E" parse-quote --verify-signature "$F/tdxquote-v4-gotdxguest-SPR_E4.bin" \
                2>"$BATS_TEST_TMPDIR/ld" >/dev/null
        grep -q 'file=libcrypto\.so\.3 .*dynamically loaded' "$BATS_TEST_TMPDIR/ld"
}

@test "usage errors exit 1 with a message on stderr" {
        run "$E"
        [ "$status" -eq 1 ]
        run "$E" frobnicate
        [ "$status" -eq 1 ]
        [[ "$output" == *"unknown command 'frobnicate'"* ]]
        run "$E" eventlog --format bogus "$F/ccel-trustee-CCEL_data_ovmf.bin"
        [ "$status" -eq 1 ]
        [[ "$output" == *"unknown format 'bogus'"* ]]
        run "$E" eventlog --start abc "$F/ccel-trustee-CCEL_data_ovmf.bin"
        [ "$status" -eq 1 ]
        run "$E" replay
        [ "$status" -eq 1 ]
        run "$E" replay --bank md5 "$F/ccel-trustee-CCEL_data_ovmf.bin"
        [ "$status" -eq 1 ]
}

@test "replay of each TCG2 fixture equals tpm2_eventlog's pcrs on every bank" {
        for log in "$F"/tcg2-*.bin; do
                want=$(yaml_pcrs "$log.tpm2_eventlog.yaml")
                [ -n "$want" ]
                got=$("$E" replay --json "$log" | json_pcrs)
                if [ "$got" != "$want" ]; then
                        diff <(echo "$want") <(echo "$got") || true
                        false
                fi
        done
}

@test "replay --json is one object with format, events and named registers" {
        run "$E" replay --json "$F/tcg2-goeventlog-ubuntu-2104-no-secure-boot.bin"
        [ "$status" -eq 0 ]
        [ "$(jq -r .format <<<"$output")" = tcg2 ]
        [ "$(jq -r .events <<<"$output")" -gt 50 ]
        [ "$(jq -r '.registers[0] | keys | join(",")' <<<"$output")" = "alg,digest,index,name" ]
        [ "$(jq -r '.registers[] | select(.index == 7 and .alg == "sha384") | .name' <<<"$output")" = PCR7 ]
}

@test "CCEL replays to the RTMRs trustee states, named by RTMR with CC MR indices" {
        run --separate-stderr "$E" replay --json "$F/ccel-trustee-CCEL_data_ovmf.bin"
        [ "$status" -eq 0 ]
        [ "$(jq -r .format <<<"$output")" = ccel ]
        [ "$(jq -r '.registers[] | select(.name == "RTMR0") | .digest' <<<"$output")" = 8566f998798db09443b244c62de9a3041fb02e2e6936c4396d784bba2e90177329ec5aba3bb484404f2ab9cc90abe193 ]
        [ "$(jq -r '.registers[] | select(.name == "RTMR1") | .index' <<<"$output")" = 2 ]
        [ "$(jq -r '.registers[] | select(.name == "RTMR1") | .digest' <<<"$output")" = 775b9f6bfe99f8a31396f0d0218e67ffa796d3b96ccf961cbb0deba48c79c00f082cda1a5567c1c16305f1fc210c13c6 ]
        [ "$(jq -r '.registers[] | select(.name == "RTMR2") | .digest' <<<"$output")" = 94eaf7a7bf398ed8d888c91057ae0261802e4f3df084213a76ca7f0b5055ac9d2241de43cd58d9e8b49c503bbf25f34a ]
        [ "$(jq -r '[.registers[] | select(.name == "RTMR3")] | length' <<<"$output")" = 0 ]
}

@test "replay --against: a TDREPORT of the same boot matches (exit 0), one changed byte is named (exit 3)" {
        regs=$("$E" replay --json "$F/ccel-trustee-CCEL_data_ovmf.bin")
        r() { jq -r ".registers[] | select(.name == \"$1\") | .digest" <<<"$regs"; }
        tdreport "$(r RTMR0)" "$(r RTMR1)" "$(r RTMR2)" "$(zeros 48)" >"$T/same.tdreport"
        run "$E" replay --against "$T/same.tdreport" "$F/ccel-trustee-CCEL_data_ovmf.bin"
        [ "$status" -eq 0 ]
        [[ "$output" == *"RTMR3 matches the quote"* ]]

        bad=$(r RTMR1 | sed 's/^../00/')
        tdreport "$(r RTMR0)" "$bad" "$(r RTMR2)" "$(zeros 48)" >"$T/other.tdreport"
        run "$E" replay --against "$T/other.tdreport" "$F/ccel-trustee-CCEL_data_ovmf.bin"
        [ "$status" -eq 3 ]
        [[ "$output" == *"mismatch: RTMR1 replayed $(r RTMR1), quote has $bad"* ]]
        [[ "$output" == *"last event extending it: #20 EV_EFI_ACTION"* ]]
        [[ "$output" != *"mismatch: RTMR0"* ]]

        run "$E" replay --json --against "$T/other.tdreport" "$F/ccel-trustee-CCEL_data_ovmf.bin"
        [ "$status" -eq 3 ]
        [ "$(jq -r '.match' <<<"${lines[-1]:+$(sed -n '/^{/,$p' <<<"$output")}")" = false ]
}

@test "replay --against the real quote: a different boot is a mismatch; a TPM log has no RTMRs" {
        run "$E" replay --against "$F/tdxquote-v4-gotdxguest-SPR_E4.bin" "$F/ccel-trustee-CCEL_data_ovmf.bin"
        [ "$status" -eq 3 ]
        [[ "$output" == *"mismatch: RTMR0"* ]]
        run "$E" replay --against "$F/ima-keylime-ima-log-sha1.txt" "$F/ccel-trustee-CCEL_data_ovmf.bin"
        [ "$status" -eq 2 ]
}

@test "parse-quote reads the v4 quote's MRTD, RTMRs and REPORTDATA" {
        run "$E" parse-quote --json "$F/tdxquote-v4-gotdxguest-SPR_E4.bin"
        [ "$status" -eq 0 ]
        json=$(sed -n '/^{/,$p' <<<"$output")
        [ "$(jq -r .type <<<"$json")" = tdx-quote ]
        [ "$(jq -r .version <<<"$json")" = 4 ]
        [ "$(jq -r .mrtd <<<"$json")" = 6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb ]
        [ "$(jq -r '.rtmr[0]' <<<"$json")" = 2927da70461cd63266f43230cc1849c03ef25ebe490062a801d8fcc80af42976823adf08f833c1e50b51779c6593f32a ]
        [ "$(jq -r '.rtmr[1]' <<<"$json")" = 2c700b8ba9b85783f8be9fb9443647bdc0bb3c50747f06297cc6538c25a5f589c4b56d035c59107c6bc5800db2cacb61 ]
        [ "$(jq -r '.rtmr[2]' <<<"$json")" = 8652f0caaba7e215ea442dc36a4499d8fec3362f3a0b2ca151cbe4b3e6466fe59c7368b3c2287fc7c3bf5c924eb4424e ]
        [ "$(jq -r '.rtmr[3]' <<<"$json")" = "$(zeros 48)" ]
        [ "$(jq -r .report_data <<<"$json")" = 6c62dec1b8191749a31dab490be532a35944dea47caef1f980863993d9899545eb7406a38d1eed313b987a467dacead6f0c87a6d766c66f6f29f8acb281f1113 ]
        [[ "$(jq -r .pck_cert_chain <<<"$json")" == "-----BEGIN CERTIFICATE-----"* ]]
        [[ "$output" == *"warning: 39 bytes after the quote's signature data"* ]]
        run "$E" parse-quote "$F/tdxquote-v4-gotdxguest-SPR_E4.bin"
        [ "$status" -eq 0 ]
        [[ "$output" == *"mrtd: 6363b804"* ]]
}

@test "eventlog --json gives index, name, type, digests, base64 data and decoded details" {
        run --separate-stderr "$E" eventlog --json "$F/tcg2-tpm2tools-event-sd-boot-fedora37.bin"
        [ "$status" -eq 0 ]
        [ "$(jq length <<<"$output")" = 28 ]
        [ "$(jq -r '.[0].details.signature' <<<"$output")" = "Spec ID Event03" ]
        ev=$(jq -c '.[] | select(.details.unicode_name == "SecureBoot")' <<<"$output")
        [ "$(jq -r .name <<<"$ev")" = PCR7 ]
        [ "$(jq -r .type_name <<<"$ev")" = EV_EFI_VARIABLE_DRIVER_CONFIG ]
        [ "$(jq -r .type <<<"$ev")" = 2147483649 ]
        [ "$(jq -r '.digests[0].alg' <<<"$ev")" = sha256 ]
        [ "$(jq -r .digest_matches_data <<<"$ev")" = true ]
        [ "$(jq -r .details.variable_guid <<<"$ev")" = 8be4df61-93ca-11d2-aa0d-00e098032b8c ]
        [ "$(jq -r .data <<<"$ev" | base64 -d | wc -c)" = "$(jq -r .data_size <<<"$ev")" ]
}

@test "eventlog --start/--count select events; --cel writes CEL-JSON with recnum" {
        run "$E" eventlog --json --start 3 --count 2 "$F/ccel-trustee-CCEL_data_ovmf.bin"
        [ "$(jq -c '[.[].recnum]' <<<"$(sed -n '/^\[/,$p' <<<"$output")")" = "[3,4]" ]
        run --separate-stderr "$E" eventlog --cel "$F/tcg2-tpm2tools-event-sd-boot-fedora37.bin"
        [ "$status" -eq 0 ]
        [ "$(jq -r '.[1].recnum' <<<"$output")" = 1 ]
        [ "$(jq -r '.[1].content_type' <<<"$output")" = pcclient_std ]
        [ "$(jq -r '.[1].digests[0].hashAlg' <<<"$output")" = sha256 ]
        run --separate-stderr "$E" eventlog --cel "$F/cel-whooo-tlv_ima_template.tlv.bin"
        [ "$(jq -r '.[0].content.template_name' <<<"$output")" = eat ]
}

@test "eventlog text output names the register and the decoded event" {
        run --separate-stderr "$E" eventlog "$F/ccel-trustee-CCEL_data_ovmf.bin"
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "format: ccel, 21 events" ]]
        [[ "$output" == *"RTMR0 (index 1) EV_EFI_VARIABLE_DRIVER_CONFIG"* ]]
        [[ "$output" == *"unicode_name: SecureBoot"* ]]
        [[ "$stderr" == *"warning: event 16 (offset 1662): second EV_SEPARATOR on RTMR0"* ]]
}

@test "IMA ascii lists replay to the stated PCR10; --bank sha256 is computed from the templates" {
        run --separate-stderr "$E" replay --json "$F/ima-keylime-ima-log-sha1.txt"
        [ "$(jq -r .format <<<"$output")" = ima-ascii ]
        [ "$(jq -r '.registers[0].digest' <<<"$output")" = 62e5bdf4783228f7deec959f0a89a4739af79ac5 ]
        run --separate-stderr "$E" replay --json "$F/ima-keylime-ima-log-sha256.txt"
        [ "$(jq -r '.registers[0].digest' <<<"$output")" = 8adcb4304b78ee782bbba3733b191591e75dc83d ]
        run --separate-stderr "$E" replay --json --bank sha1 --bank sha256 "$F/ima-keylime-ima-log-sha256.txt"
        [ "$(jq -r '[.registers[].alg] | join(",")' <<<"$output")" = sha1,sha256 ]
}

# Debian's tpm2_eventlog 5.4 predates its StartupLocality fix and starts PCR0
# at zero; the PC Client PFP (10.4.5.3) says 00..03 for locality 3: the spec wins.
@test "StartupLocality 3 starts PCR0 at 00..03 (PFP 10.4.5.3), whatever tpm2_eventlog 5.4 says" {
        spec=$(hexof "Spec ID Event03"; printf '00'; le32 0; printf '00020002'; le32 1; le16 11; le16 32; printf '00')
        loc=$(hexof StartupLocality; printf '0003')
        crtm=$(hexof crtm)
        dcrtm=$(printf '%s' "$crtm" | sha256hex)
        { le32 0; le32 3; zeros 20; le32 33; printf '%s' "$spec"
          le32 0; le32 3; le32 1; le16 11; zeros 32; le32 17; printf '%s' "$loc"
          le32 0; le32 8; le32 1; le16 11; printf '%s' "$dcrtm"; le32 4; printf '%s' "$crtm"; } | xxd -r -p >"$T/loc.bin"
        want=$({ zeros 31; printf '03%s' "$dcrtm"; } | sha256hex)
        run --separate-stderr "$E" replay --json "$T/loc.bin"
        [ "$status" -eq 0 ]
        [ "$(jq -r '.registers[0].digest' <<<"$output")" = "$want" ]
        # The peer, for the record (it disagrees on PCR0 where it lacks the fix).
        if command -v tpm2_eventlog >/dev/null; then
                peer=$(tpm2_eventlog "$T/loc.bin" 2>/dev/null | awk '/^  sha256:/ { on = 1; next } on && /^ +0 +:/ { sub("0x", "", $3); print $3; exit }')
                echo "# tpm2_eventlog PCR0: ${peer:-?}; spec: $want" >&3
        fi
}

@test "hostile input: empty, garbage, truncated, missing - exit 2 with the file and offset" {
        : >"$T/empty"
        run "$E" replay "$T/empty"
        [ "$status" -eq 2 ]
        [[ "$output" == *"$T/empty: offset 0: empty input"* ]]
        head -c 4096 /dev/urandom >"$T/garbage"
        run "$E" eventlog "$T/garbage"
        [ "$status" -eq 2 ]
        [[ "$output" == *"not a recognised event log"* ]]
        head -c 1000 "$F/tcg2-tpm2tools-event-sd-boot-fedora37.bin" >"$T/cut.bin"
        run --separate-stderr "$E" eventlog --json "$T/cut.bin"
        [ "$status" -eq 2 ]
        [[ "$stderr" == *"cut.bin: warning: offset 907: event 11 declares 208 bytes of event data, only 89 remain"* ]]
        [ "$(jq length <<<"$output")" = 11 ]
        run "$E" replay "$T/nonexistent"
        [ "$status" -eq 2 ]
        [[ "$output" == *"nonexistent: cannot open"* ]]
        run "$E" parse-quote "$T/garbage"
        [ "$status" -eq 2 ]
        head -c 2000 "$F/tdxquote-v4-gotdxguest-SPR_E4.bin" >"$T/cut.quote"
        run "$E" parse-quote "$T/cut.quote"
        [ "$status" -eq 2 ]
        [[ "$output" == *"offset 632: signature data length"* ]]
}

@test "--format overrides detection: a TCG2 log read as CCEL names CC MRs" {
        run --separate-stderr "$E" replay --json --format ccel "$F/tcg2-tpm2tools-event-sd-boot-fedora37.bin"
        [ "$status" -eq 0 ]
        [ "$(jq -r .format <<<"$output")" = ccel ]
        [ "$(jq -r '.registers[] | select(.index == 1) | .name' <<<"$output")" = RTMR0 ]
}
