#!/usr/bin/env bats
# The soft TDX device's quote and TDREPORT (tests/softtdx/sample-*.bin, made
# by soft_tdx_guest.ko in a booted guest) on the host: parse-quote decodes
# them, --verify-key accepts the quote only with the test key and untouched.

bats_require_minimum_version 1.5.0

load helpers

S="$BATS_TEST_DIRNAME/../softtdx"

@test "softtdx quote: v4, marked simulated, its signature verifies with the test key" {
        run --separate-stderr timeout 30 "$E" parse-quote --json --verify-key "$S/test-key.pub.pem" "$S/sample-quote.bin"
        [ "$status" -eq 0 ]
        [ "$(jq -r .version <<<"$output")" = 4 ]
        [ "$(jq -r .qe_vendor_id <<<"$output")" = "$(printf cvmkit-simulated | xxd -p)" ]
        [ "$(jq -r .certification_data_type <<<"$output")" = 32343 ]
        run --separate-stderr timeout 30 "$E" parse-quote --verify-signature "$S/sample-quote.bin"
        [ "$status" -eq 0 ]
}

@test "softtdx quote: one changed byte of the body, or another key, is a mismatch (exit 3)" {
        cp "$S/sample-quote.bin" "$T/q"
        printf '\x01' | dd of="$T/q" bs=1 seek=$((48 + 328 + 96)) conv=notrunc status=none
        run --separate-stderr timeout 30 "$E" parse-quote --verify-key "$S/test-key.pub.pem" "$T/q"
        [ "$status" -eq 3 ]
        [[ "$stderr" == *"does not verify with its attestation key"* ]]
        openssl ecparam -name prime256v1 -genkey -noout -out "$T/other.pem"
        openssl ec -in "$T/other.pem" -pubout -out "$T/other.pub.pem" 2>/dev/null
        run --separate-stderr timeout 30 "$E" parse-quote --verify-key "$T/other.pub.pem" "$S/sample-quote.bin"
        [ "$status" -eq 3 ]
        [[ "$stderr" == *"is not the key in $T/other.pub.pem"* ]]
}

@test "softtdx: a TDREPORT has no signature to check (exit 2); a missing key file is bad input (exit 2)" {
        run --separate-stderr timeout 30 "$E" parse-quote --json "$S/sample-tdreport.bin"
        [ "$status" -eq 0 ]
        [ "$(jq -r .type <<<"$output")" = tdreport ]
        run --separate-stderr timeout 30 "$E" parse-quote --verify-signature "$S/sample-tdreport.bin"
        [ "$status" -eq 2 ]
        run --separate-stderr timeout 30 "$E" parse-quote --verify-key "$T/none.pem" "$S/sample-quote.bin"
        [ "$status" -eq 2 ]
}
