# Shared by the bats suites: the binaries under test, the fixtures, and byte builders.

setup() {
        E="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/cvm-evidence"
        M="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/cvm-measure"
        F="${FIXTURES:?FIXTURES must point to shared/fixtures}"
        T="$BATS_TEST_TMPDIR"
}

# Little-endian hex of a u32 / u16.
le32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
le16() { printf '%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)); }
zeros() { head -c "$1" /dev/zero | xxd -p | tr -d '\n'; }
hexof() { printf '%s' "$1" | xxd -p | tr -d '\n'; }
sha256hex() { xxd -r -p | sha256sum | cut -d' ' -f1; }

# "bank index hex" lines of a tpm2_eventlog YAML's final pcrs: section, sorted.
yaml_pcrs() {
        awk '/^pcrs:/ { on = 1; next }
             on && /^  [a-z0-9_]+:/ { bank = $1; sub(":", "", bank); next }
             on && /^    [0-9]+/ { sub("0x", "", $3); print bank, $1, $3 }' "$1" | sort
}

# The same lines from `cvm-evidence replay --json`.
json_pcrs() {
        jq -r '.registers[] | "\(.alg) \(.index) \(.digest)"' | sort
}

# A 1024-byte TDREPORT whose RTMR0..3 are the four hex arguments.
tdreport() {
        { printf '81'; zeros 719; printf '%s%s%s%s' "$1" "$2" "$3" "$4"; zeros 112; } | xxd -r -p
}

# Start a real TPM 2.0 (swtpm) on a free loopback port for this file; sets $TCTI.
# swtpm -d changes to /: every path it gets is absolute.
start_swtpm() {
        export SWTPM_DIR="$BATS_FILE_TMPDIR/swtpm"
        mkdir -p "$SWTPM_DIR"
        for _ in 1 2 3 4 5 6 7 8; do
                port=$((20000 + RANDOM % 20000))
                if swtpm socket --tpm2 --tpmstate dir="$SWTPM_DIR" --server type=tcp,port=$port,bindaddr=127.0.0.1 \
                        --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear \
                        -d --pid file="$SWTPM_DIR/pid" 2>/dev/null; then
                        export TCTI="swtpm:host=127.0.0.1,port=$port"
                        sleep 0.3
                        return 0
                fi
        done
        echo "could not start swtpm" >&2
        return 1
}

stop_swtpm() {
        [ -f "$SWTPM_DIR/pid" ] && kill "$(cat "$SWTPM_DIR/pid")" 2>/dev/null || true
}

# A fake TSM measurement tree under $1, holding the real quote's MRTD and RTMRs.
make_tdx_root() {
        local q m
        q=$("$E" parse-quote --json "$F/tdxquote-v4-gotdxguest-SPR_E4.bin" 2>/dev/null)
        m="$1/sys/class/misc/tdx_guest/measurements"
        mkdir -p "$m"
        jq -r .mrtd <<<"$q" | xxd -r -p >"$m/mrtd:sha384"
        for i in 0 1 2 3; do jq -r ".rtmr[$i]" <<<"$q" | xxd -r -p >"$m/rtmr$i:sha384"; done
}

# A configfs-tsm report entry $2 under root $1 whose outblob is the real quote.
make_tsm_entry() {
        local e="$1/sys/kernel/config/tsm/report/$2"
        mkdir -p "$e"
        echo tdx_guest >"$e/provider"
        echo 7 >"$e/generation"
        : >"$e/inblob"
        cp "$F/tdxquote-v4-gotdxguest-SPR_E4.bin" "$e/outblob"
}

# Run as an unprivileged user (root ignores file modes); 1 if that is impossible here.
as_nobody() {
        if [ "$(id -u)" -ne 0 ]; then "$@"; return; fi
        setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
