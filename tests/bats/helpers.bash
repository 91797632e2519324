# Shared by the bats suites: the binaries under test, the fixtures, and byte builders.

setup() {
        E="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/cvm-evidence"
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
