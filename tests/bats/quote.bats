#!/usr/bin/env bats
# Quotes: TPM2_Quote on a real TPM 2.0 (swtpm), verified by tpm2_checkquote;
# TDX quotes through a fake configfs-tsm tree holding a real quote.

bats_require_minimum_version 1.5.0

load helpers

setup_file() {
        start_swtpm
}

teardown_file() {
        stop_swtpm
}

QUOTE_RD=6c62dec1b8191749a31dab490be532a35944dea47caef1f980863993d9899545eb7406a38d1eed313b987a467dacead6f0c87a6d766c66f6f29f8acb281f1113

@test "tpm2: a quote bound to SHA-512(nonce || user data) verifies with tpm2_checkquote, PCRs included" {
        "$E" extend --tcti "$TCTI" --index 9 --data quoted --log "$T/q.log"
        run --separate-stderr "$E" quote --tcti "$TCTI" --nonce 0011223344 --user-data cafe --out "$T/q" --json
        [ "$status" -eq 0 ]
        want=$(printf '0011223344cafe' | xxd -r -p | sha512sum | cut -c1-128)
        [ "$(jq -r .report_data <<<"$output")" = "$want" ]
        [ "$(jq -r .type <<<"$output")" = tpm2-quote ]
        [[ "$(jq -r .source <<<"$output")" == *"endorsement-hierarchy primary"* ]]
        [ "$(jq -r .parsed.extra_data <<<"$output")" = "$want" ]
        [ "$(jq '.pcrs | length' <<<"$output")" = 24 ]
        # An independent verifier: signature, qualifying data and the PCR digest against tpm2_pcrread.
        TPM2TOOLS_TCTI="$TCTI" tpm2_pcrread -F serialized -o "$T/pcrs.bin" sha256:all >/dev/null
        tpm2_checkquote -u "$T/q.pub" -m "$T/q" -s "$T/q.sig" -q "$want" -g sha256 -f "$T/pcrs.bin" -F serialized >/dev/null
        tpm2_checkquote -u "$T/q.pem" -m "$T/q" -s "$T/q.sig" -q "$want" -g sha256 >/dev/null
        # A wrong nonce must fail the same verifier.
        run tpm2_checkquote -u "$T/q.pub" -m "$T/q" -s "$T/q.sig" -q "00$want" -g sha256
        [ "$status" -ne 0 ]
        [ "$("$E" parse-quote --json "$T/q" | jq -r .extra_data)" = "$want" ]
}

@test "tpm2: a multi-bank selection carries tpm2_pcrread's values and hashes to the quote's pcrDigest" {
        run --separate-stderr "$E" quote --tcti "$TCTI" --report-data abcd --pcrs sha1:0,9+sha384:9-10 --json
        [ "$status" -eq 0 ]
        [ "$(jq -r '[.pcrs[] | "\(.alg):\(.index)"] | join(" ")' <<<"$output")" = "sha1:0 sha1:9 sha384:9 sha384:10" ]
        for sel in sha1:9 sha384:9 sha384:10; do
                peer=$(TPM2TOOLS_TCTI="$TCTI" tpm2_pcrread "$sel" | awk '/0x/ { print tolower($NF) }' | sed 's/^0x//')
                ours=$(jq -r ".pcrs[] | select(\"\(.alg):\(.index)\" == \"$sel\") | .digest" <<<"$output")
                [ "$ours" = "$peer" ]
        done
        digest=$(jq -r '[.pcrs[].digest] | join("")' <<<"$output" | sha256hex)
        [ "$(jq -r .parsed.pcr_digest <<<"$output")" = "$digest" ]
        [ "$(jq -r .report_data <<<"$output")" = abcd ]
}

@test "tpm2: the endorsement-hierarchy AK is the same key on every call; a named persistent AK is used as asked" {
        a=$("$E" quote --tcti "$TCTI" --json | jq -r .ak_public)
        b=$("$E" quote --tcti "$TCTI" --json | jq -r .ak_public)
        [ -n "$a" ] && [ "$a" = "$b" ]
        export TPM2TOOLS_TCTI="$TCTI"
        tpm2_createprimary -Q -C e -G rsa2048:rsassa-sha256:null -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign' -c "$T/ak.ctx"
        tpm2_evictcontrol -Q -C o -c "$T/ak.ctx" 0x81010002
        run --separate-stderr "$E" quote --tcti "$TCTI" --ak-handle 0x81010002 --nonce 01 --out "$T/rsa"
        [ "$status" -eq 0 ]
        [[ "$output" == *"AK: persistent key 0x81010002"* ]]
        tpm2_checkquote -u "$T/rsa.pem" -m "$T/rsa" -s "$T/rsa.sig" -q "$(printf 01 | xxd -r -p | sha512sum | cut -c1-128)" -g sha256 >/dev/null
        tpm2_evictcontrol -Q -C o -c 0x81010002
        run "$E" quote --tcti "$TCTI" --ak-handle 0x81010002
        [ "$status" -eq 2 ]
        [[ "$output" == *"no AK at persistent handle 0x81010002"* ]]
        run "$E" quote --tcti "$TCTI" --ak-handle 0x01000001
        [ "$status" -eq 1 ]
        [[ "$output" == *"is not a persistent handle"* ]]
}

@test "quote: bad requests are usage errors; sim refuses to quote" {
        run "$E" quote --tcti "$TCTI" --report-data "$(zeros 65)"
        [ "$status" -eq 1 ]
        [[ "$output" == *"report data of 65 bytes: expected 1 to 64"* ]]
        run "$E" quote --tcti "$TCTI" --report-data 01 --nonce 02
        [ "$status" -eq 1 ]
        run "$E" quote --tcti "$TCTI" --pcrs sha256:24
        [ "$status" -eq 1 ]
        [[ "$output" == *"--pcrs: expected BANK:LIST"* ]]
        run "$E" quote --tcti "$TCTI" --nonce xyz
        [ "$status" -eq 1 ]
        run "$E" quote --backend sim --sim-state "$T/s" --nonce 01
        [ "$status" -eq 2 ]
        [[ "$output" == *"a simulated quote would prove nothing"* ]]
}

@test "tdx: configfs-tsm: inblob gets the report data, the real quote comes back checked and decoded" {
        R="$T/td"
        make_tdx_root "$R"
        make_tsm_entry "$R" cvm
        run --separate-stderr "$E" quote --sysroot "$R" --tsm-name cvm --report-data "$QUOTE_RD" --json --out "$T/td.quote"
        [ "$status" -eq 0 ]
        [ "$(xxd -p "$R/sys/kernel/config/tsm/report/cvm/inblob" | tr -d '\n')" = "$QUOTE_RD" ]
        [ "$(jq -r .type <<<"$output")" = tdx-quote ]
        [[ "$(jq -r .source <<<"$output")" == *"configfs-tsm entry cvm, provider tdx_guest, generation 7"* ]]
        [ "$(jq -r .parsed.mrtd <<<"$output")" = 6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb ]
        cmp "$T/td.quote" "$F/tdxquote-v4-gotdxguest-SPR_E4.bin"
        # The entry was the caller's: it stays.
        [ -d "$R/sys/kernel/config/tsm/report/cvm" ]
}

@test "tdx: a quote that does not carry the asked report data is refused as stale" {
        R="$T/td"
        make_tdx_root "$R"
        make_tsm_entry "$R" cvm
        run "$E" quote --sysroot "$R" --tsm-name cvm --nonce 00
        [ "$status" -eq 2 ]
        [[ "$output" == *"the quote's REPORTDATA $QUOTE_RD is not the"*"asked for"* ]]
}

@test "tdx: another writer bumping the generation during the quote is detected" {
        command -v strace >/dev/null || skip "strace is needed to hold the quote between its two generation reads"
        R="$T/td"
        make_tdx_root "$R"
        make_tsm_entry "$R" cvm
        e="$R/sys/kernel/config/tsm/report/cvm"
        echo 8 >"$e/generation"
        # The quote is held 3 s in its open of outblob (after it read generation 8, before it reads it again);
        # another writer bumps the generation meanwhile.  (outblob is a regular file, as in configfs: a FIFO is
        # refused like any input that is not a regular file.)  The timeout turns a regression into a failure.
        # LeakSanitizer cannot run under ptrace: an ASan build skips its leak check here only.
        ASAN_OPTIONS=detect_leaks=0 timeout 30 strace -f -qq -o /dev/null -P "$e/outblob" -e trace=openat -e inject=openat:delay_exit=3000000 \
                "$E" quote --sysroot "$R" --tsm-name cvm --report-data "$QUOTE_RD" >"$T/out" 2>&1 &
        quote=$!
        sleep 1
        echo 9 >"$e/generation"
        status=0
        wait "$quote" || status=$?
        [ "$status" -eq 2 ]
        [[ "$(cat "$T/out")" == *"another writer used this report entry while the quote was made (generation 8 became 9); retry"* ]]
}

@test "tdx: wrong provider, a missing entry, an entry made and removed, no quote interface at all" {
        R="$T/td"
        make_tdx_root "$R"
        make_tsm_entry "$R" cvm
        echo sev_guest >"$R/sys/kernel/config/tsm/report/cvm/provider"
        run "$E" quote --sysroot "$R" --tsm-name cvm
        [ "$status" -eq 2 ]
        [[ "$output" == *"provider 'sev_guest', not tdx_guest"* ]]
        # Without --tsm-name a private entry is made; this fake configfs gives it no attributes.
        run "$E" quote --sysroot "$R"
        [ "$status" -eq 2 ]
        [[ "$output" == *"/provider: cannot open: No such file or directory"* ]]
        [ "$(ls "$R/sys/kernel/config/tsm/report")" = cvm ]
        # No configfs-tsm: the legacy ioctl on /dev/tdx_guest, which a plain file does not have.
        rm -r "$R/sys/kernel/config"
        mkdir -p "$R/dev" && : >"$R/dev/tdx_guest"
        run "$E" quote --sysroot "$R"
        [ "$status" -eq 2 ]
        [[ "$output" == *"TDX_CMD_GET_REPORT0 failed"* ]]
        run "$E" quote --sysroot "$R" --tsm-name cvm
        [ "$status" -eq 2 ]
        [[ "$output" == *"no configfs-tsm on this kernel"* ]]
}

@test "permission denied: an unreadable RTMR and a report entry a user may not create are clear errors" {
        R=$(mktemp -d /tmp/cvm-perm.XXXXXX)
        chmod 755 "$R"
        make_tdx_root "$R"
        make_tsm_entry "$R" cvm
        chmod 600 "$R/sys/class/misc/tdx_guest/measurements/rtmr2:sha384"
        chmod 755 "$R/sys/kernel/config/tsm/report"
        as_nobody "$E" --version >/dev/null || skip "cannot run the binary as an unprivileged user here"
        run as_nobody "$E" measurements --sysroot "$R" --index 3
        [ "$status" -eq 2 ]
        [[ "$output" == *"rtmr2:sha384: cannot open: Permission denied"* ]]
        run as_nobody "$E" quote --sysroot "$R" --nonce 01
        [ "$status" -eq 2 ]
        [[ "$output" == *"cannot create the report entry: Permission denied (quotes need root or CAP_SYS_ADMIN)"* ]]
        rm -rf "$R"
}
