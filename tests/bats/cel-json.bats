#!/usr/bin/env bats
# CEL-JSON: written as the TCG CEL spec and tpm2-tss FAPI do, read back, replayed to the same registers.

bats_require_minimum_version 1.5.0

load helpers

# Every fixture that parses as an event log (the quote does not).
logs() {
        local f
        for f in "$F"/*; do
                case "$f" in *.json|*.yaml|*.md) continue ;; esac
                timeout 60 "$E" eventlog --json "$f" >/dev/null 2>&1 && echo "$f"
        done
}

@test "round trip: every fixture log, dumped to CEL-JSON and read back, replays to the same registers" {
        n=0
        while read -r f; do
                timeout 60 "$E" eventlog --cel "$f" >"$T/cel.json"
                timeout 60 "$E" replay --json "$f" | jq -S .registers >"$T/a.json"
                timeout 60 "$E" replay --json --format cel-json "$T/cel.json" | jq -S .registers >"$T/b.json"
                [ -s "$T/a.json" ] && [ "$(jq length "$T/a.json")" -gt 0 ]
                diff -u "$T/a.json" "$T/b.json"
                # and the events themselves: the same count, digests and data
                [ "$(timeout 60 "$E" eventlog --cel --format cel-json "$T/cel.json" | jq -S .)" = "$(jq -S . "$T/cel.json")" ]
                n=$((n + 1))
        done < <(logs)
        [ "$n" -ge 8 ]
}

@test "CEL-JSON fields follow FAPI: event_type by name, event_data and digests in hex" {
        run --separate-stderr timeout 60 "$E" eventlog --cel "$F/tcg2-tpm2tools-event-sd-boot-fedora37.bin"
        [ "$status" -eq 0 ]
        [ "$(jq -r '.[1] | keys | join(",")' <<<"$output")" = "content,content_type,digests,pcr,recnum" ]
        [ "$(jq -r '.[0].content.event_type' <<<"$output")" = EV_NO_ACTION ]
        # recnum counts each register's records from 0, as FAPI's recnum_tab[pcr]
        [ "$(jq -r '[group_by(.pcr)[] | [.[].recnum] == [range(length)]] | all' <<<"$output")" = true ]
        [ "$(jq -r '[.[] | select(.pcr == 7)] | length > 1' <<<"$output")" = true ]
        [ "$(jq -r '[.[].content.event_data | test("^([0-9a-f]{2})*$")] | all' <<<"$output")" = true ]
        [ "$(jq -r '[.[].digests[] | .hashAlg as $a | .digest | length == ({"sha1":40,"sha256":64,"sha384":96,"sha512":128}[$a])] | all' <<<"$output")" = true ]
        run --separate-stderr timeout 60 "$E" eventlog --cel "$F/ima-keylime-ima-log-sha1.txt"
        [ "$(jq -r '.[0].content_type' <<<"$output")" = ima_template ]
        [ "$(jq -r '.[0].content.template_name' <<<"$output")" = ima-ng ]
}

@test "a CC log carries cc_mr_index, never pcr, and reads back as RTMRs" {
        run --separate-stderr timeout 60 "$E" eventlog --cel "$F/ccel-trustee-CCEL_data_ovmf.bin"
        [ "$status" -eq 0 ]
        [ "$(jq -r '[.[] | has("pcr")] | any' <<<"$output")" = false ]
        [ "$(jq -r '.[1].cc_mr_index' <<<"$output")" = 1 ]
        echo "$output" >"$T/cel.json"
        run --separate-stderr timeout 60 "$E" replay --json "$T/cel.json"
        [ "$status" -eq 0 ]
        [ "$(jq -r .format <<<"$output")" = cel-json ]
        # the Spec ID record's SHA-1 digest does not make a SHA-1 bank no event extends
        [[ "$stderr" != *"no sha1 digest"* ]]
        [ "$(jq -r '.registers[] | select(.name == "RTMR0") | .digest' <<<"$output")" = 8566f998798db09443b244c62de9a3041fb02e2e6936c4396d784bba2e90177329ec5aba3bb484404f2ab9cc90abe193 ]
}

@test "bad CEL-JSON is an error (exit 2) naming the JSON path" {
        timeout 60 "$E" eventlog --cel "$F/tcg2-tpm2tools-event-sd-boot-fedora37.bin" >"$T/good.json"
        jq '.[3].digests[0].digest = "abcd"' "$T/good.json" >"$T/short.json"
        run timeout 60 "$E" replay --format cel-json "$T/short.json"
        [ "$status" -eq 2 ]
        [[ "$output" == *"[3].digests[0].digest: 4 hex digits, expected 64"* ]]
        jq '.[2].content.event_type = "EV_BOGUS"' "$T/good.json" >"$T/type.json"
        run timeout 60 "$E" replay --format cel-json "$T/type.json"
        [ "$status" -eq 2 ]
        [[ "$output" == *"[2].content.event_type: unknown event type \"EV_BOGUS\""* ]]
        jq '.[1].pcr = 24' "$T/good.json" >"$T/pcr.json"
        run timeout 60 "$E" replay --format cel-json "$T/pcr.json"
        [ "$status" -eq 2 ]
        [[ "$output" == *"[1].pcr: 24 is out of range 0..23"* ]]
        jq 'del(.[0].content_type)' "$T/good.json" >"$T/ct.json"
        run timeout 60 "$E" replay --format cel-json "$T/ct.json"
        [ "$status" -eq 2 ]
        [[ "$output" == *"[0].content_type: missing or not a string"* ]]
        head -c 200 "$T/good.json" >"$T/cut.json"
        run timeout 60 "$E" replay --format cel-json "$T/cut.json"
        [ "$status" -eq 2 ]
        [[ "$output" == *"not JSON"* ]]
        printf '[[[[[[[[[[[[1]]]]]]]]]]]]' >"$T/deep.json"
        run timeout 60 "$E" replay --format cel-json "$T/deep.json"
        [ "$status" -eq 2 ]
}
