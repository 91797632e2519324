#!/usr/bin/env bats
# Live evidence: a real TPM 2.0 (swtpm on loopback), a fake TDX sysfs tree, the
# simulated backend, the runtime log's lock and dirty marker.

bats_require_minimum_version 1.5.0

load helpers

setup_file() {
        start_swtpm
}

teardown_file() {
        stop_swtpm
}

@test "tpm2: info names the TCTI and the four banks a fresh swtpm has" {
        run --separate-stderr "$E" info --json --tcti "$TCTI"
        [ "$status" -eq 0 ]
        [ "$(jq -r .backend <<<"$output")" = tpm2 ]
        [ "$(jq -r .simulated <<<"$output")" = false ]
        [ "$(jq -r '.banks | join(",")' <<<"$output")" = sha1,sha256,sha384,sha512 ]
        [ "$(jq -r .default_alg <<<"$output")" = sha256 ]
        [[ "$(jq -r .reason <<<"$output")" == *"from --tcti"* ]]
}

@test "tpm2: extends through libcvm equal tpm2_pcrread, and the runtime log replays to the PCRs" {
        for d in kernel-cmdline /usr/bin/containerd cluster=prod; do
                run "$E" extend --tcti "$TCTI" --index 16 --data "$d" --log "$T/runtime.log"
                [ "$status" -eq 0 ]
        done
        live=$("$E" measurements --json --tcti "$TCTI" --index 16)
        for bank in sha1 sha256 sha384 sha512; do
                peer=$(TPM2TOOLS_TCTI="$TCTI" tpm2_pcrread "$bank:16" | awk '/ 16:/ { print tolower($2) }' | sed 's/^0x//')
                ours=$(jq -r ".registers[] | select(.alg == \"$bank\") | .digest" <<<"$live")
                [ "$ours" = "$peer" ]
                replayed=$("$E" replay --json "$T/runtime.log" | jq -r ".registers[] | select(.index == 16 and .alg == \"$bank\") | .digest")
                [ "$replayed" = "$ours" ]
        done
        [ "$("$E" eventlog --json "$T/runtime.log" | jq -r '.[3].data' | base64 -d)" = cluster=prod ]
}

@test "tpm2: tpm2_pcrextend is read back through libcvm with the extend arithmetic" {
        d=$(printf 'peer' | sha256sum | cut -c1-64)
        TPM2TOOLS_TCTI="$TCTI" tpm2_pcrextend "23:sha256=$d"
        want=$({ zeros 32; printf '%s' "$d"; } | sha256hex)
        run "$E" measurements --tcti "$TCTI" --index 23 --alg sha256
        [ "$status" -eq 0 ]
        [[ "$output" == *"PCR23  sha256  $want"* ]]
}

@test "tpm2: --digest extends one bank only; the log records one digest and replay warns for the others" {
        d=$(printf 'one' | sha384sum | cut -c1-96)
        run "$E" extend --tcti "$TCTI" --index 15 --digest "$d" --alg sha384 --log "$T/one.log"
        [ "$status" -eq 0 ]
        want=$({ zeros 48; printf '%s' "$d"; } | xxd -r -p | sha384sum | cut -c1-96)
        [ "$("$E" measurements --json --tcti "$TCTI" --index 15 --alg sha384 | jq -r '.registers[0].digest')" = "$want" ]
        run --separate-stderr "$E" replay --json "$T/one.log"
        [ "$(jq -r '.registers[] | select(.alg == "sha384") | .digest' <<<"$output")" = "$want" ]
        [[ "$stderr" == *"has no sha1 digest"* ]]
}

@test "no device: auto-detection never picks sim; a clear message and exit 4" {
        run env -u CVM_TCTI -u TPM2TOOLS_TCTI "$E" info --sysroot "$T/empty-root"
        if [ -e /dev/tpmrm0 ]; then skip "this machine has a TPM"; fi
        [ "$status" -eq 4 ]
        [[ "$output" == *"no confidential-computing device"* ]]
        run "$E" measurements --tcti "swtpm:host=127.0.0.1,port=1"
        [ "$status" -eq 4 ]
}

@test "sim: every output says simulated; the runtime log replays to the registers" {
        S="$T/sim-regs"
        run "$E" info --backend sim --sim-state "$S" --sim-space cc-mr
        [[ "$output" == *"backend: SIMULATED sim"* ]]
        for d in a b; do "$E" extend --backend sim --sim-state "$S" --index 4 --data "$d" --log "$T/sim.log"; done
        run --separate-stderr "$E" measurements --json --backend sim --sim-state "$S" --index 4
        [ "$(jq -r .simulated <<<"$output")" = true ]
        live=$(jq -r '.registers[0].digest' <<<"$output")
        [ "$(jq -r '.registers[0].name' <<<"$output")" = RTMR3 ]
        [ "$("$E" replay --json "$T/sim.log" | jq -r '.registers[] | select(.name == "RTMR3") | .digest')" = "$live" ]
        run "$E" measurements --backend sim --sim-state "$S" --index 4
        [[ "$output" == "SIMULATED RTMR3"* ]]
        run "$E" extend --backend sim --sim-state "$S" --index 0 --data x --log "$T/sim.log"
        [ "$status" -eq 2 ]
        [[ "$output" == *"SIMULATED MRTD is measured by the TDX module"* ]]
}

@test "sim: processes that create the state file at the same time all read it whole (created and filled, then linked)" {
        # Deterministic: the creator is held for 1 s at its first flock (where the old code had created the file
        # empty and not yet locked it); a second process opening the state file then must read it whole.
        if command -v strace >/dev/null; then
                # LeakSanitizer cannot run under ptrace: an ASan build skips its leak check here only.
                ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o /dev/null -e trace=flock -e inject=flock:delay_enter=1000000:when=1 \
                        "$E" measurements --backend sim --sim-state "$T/held" --sim-space cc-mr >/dev/null 2>&1 &
                held=$!
                sleep 0.5
                run "$E" measurements --backend sim --sim-state "$T/held" --sim-space cc-mr
                wait "$held"
                [ "$status" -eq 0 ]
        fi
        for round in $(seq 1 15); do
                rm -f "$T/race"
                pids=()
                for i in 1 2 3 4 5 6; do
                        "$E" measurements --backend sim --sim-state "$T/race" --sim-space cc-mr >/dev/null 2>"$T/race.err.$i" &
                        pids+=($!)
                done
                for p in "${pids[@]}"; do
                        wait "$p" || { cat "$T"/race.err.*; return 1; }
                done
                [ "$(find "$T" -maxdepth 1 -name 'race.??????' | wc -l)" -eq 0 ]
        done
}

@test "runtime log: a dirty marker (a writer died between extend and append) is reported, not hidden" {
        S="$T/sim-regs2"
        "$E" extend --backend sim --sim-state "$S" --sim-space pcr --index 9 --data first --log "$T/d.log"
        before=$("$E" measurements --backend sim --sim-state "$S" --index 9)
        echo "index 9 type 0x00000006 sha256 00" >"$T/d.log.dirty"
        run "$E" extend --backend sim --sim-state "$S" --index 9 --data second --log "$T/d.log"
        [ "$status" -eq 2 ]
        [[ "$output" == *"d.log.dirty exists: a writer died between extending a register and appending its event (index 9"* ]]
        [ "$("$E" measurements --backend sim --sim-state "$S" --index 9)" = "$before" ]
}

@test "recover: a writer killed after its marker, before its extend: the log matches, so the marker goes and extends resume" {
        S="$T/sim-rec"
        "$E" extend --backend sim --sim-state "$S" --sim-space cc-mr --index 3 --data first --log "$T/r.log"
        echo "index 3 type 0x0000000d sha384 00" >"$T/r.log.dirty"
        run "$E" replay --check --backend sim --sim-state "$S" --log "$T/r.log"
        [ "$status" -eq 2 ]
        [[ "$output" == *"r.log.dirty exists"*"cvm-evidence recover"* ]]
        run "$E" recover --backend sim --sim-state "$S" --log "$T/r.log"
        [ "$status" -eq 0 ]
        [[ "$output" == *"SIMULATED $T/r.log: every register matches this boot's logs; the dirty marker was removed"* ]]
        [ ! -e "$T/r.log.dirty" ]
        run "$E" recover --backend sim --sim-state "$S" --log "$T/r.log"
        [ "$status" -eq 0 ]
        [[ "$output" == *"not dirty, nothing to do"* ]]
        "$E" extend --backend sim --sim-state "$S" --index 3 --data second --log "$T/r.log"
        run "$E" replay --check --backend sim --sim-state "$S" --log "$T/r.log"
        [ "$status" -eq 0 ]
}

@test "recover: a writer killed after its extend, before its append: the register differs, the marker stays" {
        S="$T/sim-rec2"
        "$E" extend --backend sim --sim-state "$S" --sim-space cc-mr --index 3 --data first --log "$T/r.log"
        echo "index 3 type 0x0000000d sha384 00" >"$T/r.log.dirty"
        "$E" extend --backend sim --sim-state "$S" --index 3 --data lost --log "$T/other.log"
        run "$E" recover --backend sim --sim-state "$S" --log "$T/r.log"
        [ "$status" -eq 3 ]
        [[ "$output" == *"RTMR2 sha384 is "*" live, but this boot's logs replay to "*"r.log.dirty stays"* ]]
        [ -e "$T/r.log.dirty" ]
}

@test "tdx: a fake TSM sysfs tree: detection, MRTD/RTMRs as the quote has them, extend writes the 48-byte digest" {
        R="$T/tdroot"
        make_tdx_root "$R"
        run --separate-stderr "$E" info --json --sysroot "$R"
        [ "$(jq -r .backend <<<"$output")" = tdx ]
        [ "$(jq -r .space <<<"$output")" = cc-mr ]
        run --separate-stderr "$E" measurements --json --sysroot "$R"
        [ "$(jq -r '.registers[] | select(.name == "MRTD") | .digest' <<<"$output")" = 6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb ]
        [ "$(jq -r '.registers[] | select(.name == "RTMR1") | .index' <<<"$output")" = 2 ]
        [ "$(jq -r '.registers[] | select(.name == "RTMR1") | .digest' <<<"$output")" = 2c700b8ba9b85783f8be9fb9443647bdc0bb3c50747f06297cc6538c25a5f589c4b56d035c59107c6bc5800db2cacb61 ]
        run "$E" extend --sysroot "$R" --index 4 --data workload --log "$T/tdx.log"
        [ "$status" -eq 0 ]
        # The kernel receives exactly SHA-384(data); the fake file just keeps it.
        [ "$(xxd -p "$R/sys/class/misc/tdx_guest/measurements/rtmr3:sha384" | tr -d '\n')" = "$(printf workload | sha384sum | cut -c1-96)" ]
        [ "$("$E" eventlog --json "$T/tdx.log" 2>/dev/null | jq -r '.[1].name')" = RTMR3 ]
        run "$E" extend --sysroot "$R" --index 0 --data x --log "$T/tdx.log"
        [ "$status" -eq 2 ]
        [[ "$output" == *"MRTD is measured by the TDX module"* ]]
}

@test "tdx: a short read from an RTMR file is a clear error" {
        R="$T/tdroot2"
        make_tdx_root "$R"
        head -c 10 /dev/zero >"$R/sys/class/misc/tdx_guest/measurements/rtmr1:sha384"
        run "$E" measurements --sysroot "$R" --index 2
        [ "$status" -eq 2 ]
        [[ "$output" == *"rtmr1:sha384: short read: 10 bytes, expected 48"* ]]
}
