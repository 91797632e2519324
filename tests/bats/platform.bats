#!/usr/bin/env bats
# The platform's logs of one boot (firmware, runtime, IMA) merged in order,
# numbered across logs, and replayed against the live registers (--check).

bats_require_minimum_version 1.5.0

load helpers

setup_file() {
        start_swtpm
}

teardown_file() {
        stop_swtpm
}

CCEL=ccel-trustee-CCEL_data_ovmf.bin
# RTMR0-2 of the boot that wrote the CCEL fixture (trustee test_rtmr_integrity).
RTMR0=8566f998798db09443b244c62de9a3041fb02e2e6936c4396d784bba2e90177329ec5aba3bb484404f2ab9cc90abe193
RTMR1=775b9f6bfe99f8a31396f0d0218e67ffa796d3b96ccf961cbb0deba48c79c00f082cda1a5567c1c16305f1fc210c13c6
RTMR2=94eaf7a7bf398ed8d888c91057ae0261802e4f3df084213a76ca7f0b5055ac9d2241de43cd58d9e8b49c503bbf25f34a

# A TD of the CCEL fixture's boot: its CCEL under ACPI data tables, its RTMRs in the TSM sysfs files.
make_ccel_td() {
        local m="$1/sys/class/misc/tdx_guest/measurements"
        make_tdx_root "$1"
        mkdir -p "$1/sys/firmware/acpi/tables/data"
        cp "$F/$CCEL" "$1/sys/firmware/acpi/tables/data/CCEL"
        printf '%s' "$RTMR0" | xxd -r -p >"$m/rtmr0:sha384"
        printf '%s' "$RTMR1" | xxd -r -p >"$m/rtmr1:sha384"
        printf '%s' "$RTMR2" | xxd -r -p >"$m/rtmr2:sha384"
        zeros 48 | xxd -r -p >"$m/rtmr3:sha384"
}

@test "tdx: CCEL + runtime log merge in boot order, numbered across logs, and replay to the live RTMRs" {
        R="$T/td"
        make_ccel_td "$R"
        nccel=$("$E" eventlog --json "$F/$CCEL" | jq length)
        run --separate-stderr "$E" replay --check --sysroot "$R" --log "$T/rt.log"
        [ "$status" -eq 0 ]
        [[ "$stderr" == *"warning: no runtime log at $T/rt.log"* ]]
        [[ "$output" == *"RTMR0  sha384  match"* ]]
        [[ "$output" == *"OK: 4 of 4 registers match the logs"* ]]
        # A workload event, extended the way the kernel would (the fake file only keeps what was written).
        "$E" extend --sysroot "$R" --index 4 --data workload=nginx --log "$T/rt.log"
        { zeros 48; printf workload=nginx | sha384sum | cut -c1-96; } | xxd -r -p | sha384sum | cut -c1-96 | xxd -r -p \
                >"$R/sys/class/misc/tdx_guest/measurements/rtmr3:sha384"
        run --separate-stderr "$E" replay --check --json --sysroot "$R" --log "$T/rt.log"
        [ "$status" -eq 0 ]
        [ "$(jq -r .match <<<"$output")" = true ]
        [ "$(jq -r '.check[] | select(.name == "RTMR3") | .extends' <<<"$output")" = 1 ]
        [ "$(jq -r '.check | map(.name) | join(",")' <<<"$output")" = RTMR0,RTMR1,RTMR2,RTMR3 ]
        # CC Trusted API numbering: the runtime log's event (after its header) follows the CCEL's.
        run --separate-stderr "$E" eventlog --json --sysroot "$R" --log "$T/rt.log" --start $((nccel + 1)) --count 1
        [ "$(jq -r '.[0].number' <<<"$output")" = $((nccel + 1)) ]
        [ "$(jq -r '.[0].name' <<<"$output")" = RTMR3 ]
        [ "$(jq -r '.[0].log' <<<"$output")" = "$T/rt.log" ]
        [ "$(jq -r '.[0].data' <<<"$output" | base64 -d)" = workload=nginx ]
        run --separate-stderr "$E" eventlog --json --sysroot "$R" --log "$T/rt.log"
        [ "$(jq length <<<"$output")" = $((nccel + 2)) ]
        [ "$(jq -r '.[0].log' <<<"$output")" = "$R/sys/firmware/acpi/tables/data/CCEL" ]
        run --separate-stderr "$E" eventlog --sysroot "$R" --log "$T/rt.log"
        [[ "$output" == *"log: $T/rt.log (ccel, 2 events)"* ]]
}

@test "tdx: a register that disagrees with the logs: exit 3, the register, both values and the events that touched it" {
        R="$T/td"
        make_ccel_td "$R"
        printf '%s' "$RTMR0" | xxd -r -p >"$R/sys/class/misc/tdx_guest/measurements/rtmr1:sha384"
        run --separate-stderr "$E" replay --check --sysroot "$R" --log "$T/none.log"
        [ "$status" -eq 3 ]
        [[ "$output" == *"RTMR1  sha384  MISMATCH"* ]]
        [[ "$stderr" == *"mismatch: RTMR1 sha384 is $RTMR0 live, the logs replay to $RTMR1"* ]]
        [[ "$stderr" == *"tables/data/CCEL event #"*"EV_EFI_BOOT_SERVICES_APPLICATION"* ]]
        run --separate-stderr "$E" replay --check --json --sysroot "$R" --log "$T/none.log"
        [ "$(jq -r .first_mismatch.name <<<"$output")" = RTMR1 ]
        [ "$(jq -r '.first_mismatch.events | length' <<<"$output")" -gt 0 ]
}

@test "tdx: the CCEL fixture and the quote fixture are different boots, and --against says so" {
        run --separate-stderr "$E" replay --against "$F/tdxquote-v4-gotdxguest-SPR_E4.bin" "$F/$CCEL"
        [ "$status" -eq 3 ]
        [[ "$stderr" == *"RTMR0"* ]]
}

@test "runtime log: dirty or truncated, it is refused by eventlog and replay --check, never trusted" {
        R="$T/td"
        make_ccel_td "$R"
        "$E" extend --sysroot "$R" --index 4 --data a --log "$T/rt.log"
        "$E" extend --sysroot "$R" --index 4 --data b --log "$T/rt.log"
        cp "$T/rt.log" "$T/full.log"
        head -c $(($(stat -c %s "$T/full.log") - 7)) "$T/full.log" >"$T/rt.log"
        run "$E" replay --check --sysroot "$R" --log "$T/rt.log"
        [ "$status" -eq 2 ]
        [[ "$output" == *"rt.log: the runtime log is truncated, so it cannot match the registers"* ]]
        cp "$T/full.log" "$T/rt.log"
        echo "index 4 type 0x0000000d sha384 00" >"$T/rt.log.dirty"
        run "$E" eventlog --sysroot "$R" --log "$T/rt.log"
        [ "$status" -eq 2 ]
        [[ "$output" == *"rt.log.dirty exists: a writer died between extending a register and appending its event"* ]]
        run "$E" replay --check --sysroot "$R" --log "$T/rt.log"
        [ "$status" -eq 2 ]
}

@test "tpm2: the firmware log, then IMA, numbered across both; start/count cross the boundary" {
        R="$T/tpmroot"
        fw=tcg2-keylime-binary_bios_measurements-secureboot.bin
        mkdir -p "$R/sys/kernel/security/tpm0" "$R/sys/kernel/security/ima"
        cp "$F/$fw" "$R/sys/kernel/security/tpm0/binary_bios_measurements"
        cp "$F/ima-keylime-ima-log-sha256.txt" "$R/sys/kernel/security/ima/binary_runtime_measurements"
        nfw=$("$E" eventlog --json "$F/$fw" | jq length)
        run --separate-stderr "$E" eventlog --json --tcti "$TCTI" --sysroot "$R" --log "$T/none.log" --start $((nfw - 1)) --count 2
        [ "$status" -eq 0 ]
        [ "$(jq -r '.[0].log' <<<"$output")" = "$R/sys/kernel/security/tpm0/binary_bios_measurements" ]
        [ "$(jq -r '.[1].log' <<<"$output")" = "$R/sys/kernel/security/ima/binary_runtime_measurements" ]
        [ "$(jq -r '.[1].number' <<<"$output")" = "$nfw" ]
        [ "$(jq -r '.[1].index' <<<"$output")" = 10 ]
        [[ "$stderr" == *"no runtime log at $T/none.log"* ]]
}

@test "tpm2: extends through the runtime log keep replay --check at 0; an extend outside it is named, exit 3" {
        R="$T/empty"
        mkdir -p "$R"
        for d in os=debian12 cluster=prod; do "$E" extend --tcti "$TCTI" --index 12 --data "$d" --log "$T/tpm.log"; done
        run --separate-stderr "$E" replay --check --tcti "$TCTI" --sysroot "$R" --log "$T/tpm.log"
        [ "$status" -eq 0 ]
        [[ "$output" == *"PCR12  sha384  match (2 events)"* ]]
        [[ "$output" == *"OK: 96 of 96 registers match"* ]]
        TPM2TOOLS_TCTI="$TCTI" tpm2_pcrextend "12:sha256=$(printf rogue | sha256sum | cut -c1-64)"
        run --separate-stderr "$E" replay --check --tcti "$TCTI" --sysroot "$R" --log "$T/tpm.log"
        [ "$status" -eq 3 ]
        [[ "$stderr" == *"mismatch: PCR12 sha256 is "*" live"* ]]
        [[ "$stderr" == *"tpm.log event #2 EV_EVENT_TAG $(printf cluster=prod | sha256sum | cut -c1-64)"* ]]
        [[ "$output" == *"PCR12  sha1    match"* ]]
}
