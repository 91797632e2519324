#!/usr/bin/env bats
# The standing bad-input suite for cvm-evidence, cvm-measure and the manifest
# (verify --manifest): FIFOs, devices, directories, symlinks to them, empty,
# oversized and truncated files, wrong types, out-of-range numbers, unknown
# options.  Each case asserts the exit code, a message naming the input and
# what was wrong, inputs unchanged and nothing left under $OUT (hostile.bash).

bats_require_minimum_version 1.5.0

load hostile

setup() {
        hostile_setup
        SIM=(--backend sim --sim-state "$T/sim" --sim-space cc-mr)
}

# A tree, its policy and manifest (reference values of a dry run), and a
# runtime log measured into the sim registers at $T/sim; all outside $IN.
measured() {
        mkdir -p "$T/r/etc"
        printf 'a=1\n' >"$T/r/etc/a.conf"
        printf 'version: 1\ngroups:\n  - name: os\n    class: os\n    items:\n      - file: /etc/a.conf\n' >"$T/r/p.yaml"
        "$M" --dry-run --root "$T/r" --policy "$T/r/p.yaml" --json 2>/dev/null |
                jq '{reference_values: {measurer: true, tdx: {events: [.events[] | {index, data, (.alg): .digest}], registers}}}' >"$T/m.json"
        "$M" "${SIM[@]}" --root "$T/r" --policy "$T/r/p.yaml" --log "$T/rt.log" >/dev/null 2>&1
}

# manifest JQ: the manifest edited by a jq filter, as $IN/m.json.
manifest() {
        measured
        cp "$T/rt.log" "$IN/rt.log"
        jq "$1" "$T/m.json" >"$IN/m.json"
}

# ---- cvm-evidence eventlog ----

@test "eventlog: a FIFO is refused at once, not waited on" {
        mkfifo "$IN/fifo"
        bad 2 "*in/fifo: a FIFO, expected a regular file*" "$E" eventlog "$IN/fifo"
}

@test "eventlog: /dev/zero (through a symlink) is refused at once, not read to the cap" {
        ln -s /dev/zero "$IN/zero"
        bad 2 "*in/zero: a character device, expected a regular file*" "$E" eventlog "$IN/zero"
}

@test "eventlog: a directory is refused" {
        mkdir "$IN/dir"
        bad 2 "*in/dir: a directory, expected a regular file*" "$E" eventlog "$IN/dir"
}

@test "eventlog: a symlink to a FIFO is refused" {
        mkfifo "$IN/fifo"
        ln -s fifo "$IN/link"
        bad 2 "*in/link: a FIFO, expected a regular file*" "$E" eventlog "$IN/link"
}

@test "eventlog: an empty file is refused at offset 0" {
        : >"$IN/empty"
        bad 2 "*in/empty: offset 0: empty input, expected an event log*" "$E" eventlog "$IN/empty"
}

@test "eventlog: a file larger than the 512 MiB cap is refused by its size, unread" {
        truncate -s 513M "$IN/huge"
        bad 2 "*in/huge: 537919488 bytes, larger than the 512 MiB limit*" "$E" eventlog "$IN/huge"
}

@test "eventlog: a truncated TCG2 log is exit 2 naming the offset of the cut record" {
        head -c 1000 "$F/tcg2-keylime-binary_bios_measurements-secureboot.bin" >"$IN/cut.bin"
        bad 2 "*in/cut.bin: warning: offset 436: event 5 declares 1012 bytes of event data, only 560 remain*" \
                "$E" eventlog "$IN/cut.bin"
}

@test "eventlog: an IMA ascii list whose last line has no newline ends at its last byte (no over-read)" {
        printf '10' >"$IN/ima.txt"
        bad 2 "*in/ima.txt: line 1: expected a hex template hash*" "$E" eventlog --format ima-ascii "$IN/ima.txt"
}

@test "eventlog: --start ' -1' is not 2^64-1" {
        cp "$F/ccel-trustee-CCEL_data_ovmf.bin" "$IN/ccel.bin"
        bad 1 "*--start: expected a non-negative decimal integer (digits only), got ' -1'*" \
                "$E" eventlog --start ' -1' "$IN/ccel.bin"
}

@test "eventlog: --count with a sign or letters is refused" {
        cp "$F/ccel-trustee-CCEL_data_ovmf.bin" "$IN/ccel.bin"
        bad 1 "*--count: expected a non-negative decimal integer (digits only), got '+3'*" \
                "$E" eventlog --count +3 "$IN/ccel.bin"
}

@test "eventlog: an unknown option is a usage error" {
        bad 1 "*unrecognized option '--bogus'*" "$E" eventlog --bogus "$IN/x"
}

@test "eventlog: a missing file is named" {
        bad 2 "*in/absent: cannot open: No such file or directory*" "$E" eventlog "$IN/absent"
}

# ---- cvm-evidence parse-quote ----

@test "parse-quote: a FIFO is refused at once" {
        mkfifo "$IN/q"
        bad 2 "*in/q: a FIFO, expected a regular file*" "$E" parse-quote "$IN/q"
}

@test "parse-quote: /dev/zero is refused at once" {
        bad 2 "*/dev/zero: a character device, expected a regular file*" "$E" parse-quote /dev/zero
}

@test "parse-quote: a file over the 1 MiB quote cap is refused by its size" {
        truncate -s 2M "$IN/q.bin"
        bad 2 "*in/q.bin: 2097152 bytes, larger than the 1 MiB limit*" "$E" parse-quote "$IN/q.bin"
}

@test "parse-quote: a truncated TDX quote names the offset" {
        head -c 100 "$F/tdxquote-v4-gotdxguest-SPR_E4.bin" >"$IN/q.bin"
        bad 2 "*in/q.bin: offset 48: quote ends inside the 584-byte TD report body*" "$E" parse-quote "$IN/q.bin"
}

@test "parse-quote: an empty file is refused" {
        : >"$IN/q.bin"
        bad 2 "*in/q.bin: offset 0: empty input, expected a quote or report*" "$E" parse-quote "$IN/q.bin"
}

# ---- cvm-evidence replay ----

@test "replay --check --log FIFO is refused at once" {
        "$E" measurements "${SIM[@]}" >/dev/null 2>&1
        mkfifo "$IN/rt.log"
        bad 2 "*in/rt.log: a FIFO, expected a regular file*" "$E" replay --check --log "$IN/rt.log" "${SIM[@]}"
}

@test "replay --against /dev/zero is refused at once" {
        cp "$F/ccel-trustee-CCEL_data_ovmf.bin" "$IN/ccel.bin"
        bad 2 "*/dev/zero: a character device, expected a regular file*" "$E" replay --against /dev/zero "$IN/ccel.bin"
}

@test "replay: a directory as a log is refused" {
        mkdir "$IN/logs"
        bad 2 "*in/logs: a directory, expected a regular file*" "$E" replay "$IN/logs"
}

# ---- cvm-evidence extend ----

@test "extend --log FIFO: refused before the register moves, and no marker" {
        "$E" measurements "${SIM[@]}" >/dev/null 2>&1
        cp "$T/sim" "$T/sim.before"
        mkfifo "$IN/rt.log"
        bad 2 "*in/rt.log: a FIFO, expected a regular file as the runtime log*" \
                "$E" extend "${SIM[@]}" --index 2 --data x --log "$IN/rt.log"
        cmp "$T/sim" "$T/sim.before"
}

@test "extend --log /dev/null: refused before the register moves, no /dev/null.dirty" {
        "$E" measurements "${SIM[@]}" >/dev/null 2>&1
        cp "$T/sim" "$T/sim.before"
        bad 2 "*/dev/null: a character device, expected a regular file as the runtime log*" \
                "$E" extend "${SIM[@]}" --index 2 --data x --log /dev/null
        cmp "$T/sim" "$T/sim.before"
        [ ! -e /dev/null.dirty ]
}

@test "extend --log DIR: refused, register unchanged" {
        "$E" measurements "${SIM[@]}" >/dev/null 2>&1
        cp "$T/sim" "$T/sim.before"
        mkdir "$IN/d"
        bad 2 "*in/d: a directory, expected a regular file as the runtime log*" \
                "$E" extend "${SIM[@]}" --index 2 --data x --log "$IN/d"
        cmp "$T/sim" "$T/sim.before"
}

@test "extend --log SYMLINK: the runtime log is never reached through a link" {
        "$E" measurements "${SIM[@]}" >/dev/null 2>&1
        cp "$T/sim" "$T/sim.before"
        ln -s /dev/null "$IN/rt.log"
        bad 2 "*in/rt.log: cannot open the runtime log: it is a symbolic link*" \
                "$E" extend "${SIM[@]}" --index 2 --data x --log "$IN/rt.log"
        cmp "$T/sim" "$T/sim.before"
}

@test "extend --index 99: a usage error that creates no log (not even a header)" {
        bad 1 "*register index 99 (CCMR99) is out of range: this backend has 5 registers*" \
                "$E" extend "${SIM[@]}" --index 99 --data x --log "$OUT/rt.log"
}

@test "extend --index 0: MRTD is refused before a log is created" {
        bad 2 "*MRTD is measured by the TDX module at build time and cannot be extended*" \
                "$E" extend "${SIM[@]}" --index 0 --data x --log "$OUT/rt.log"
}

@test "extend --digest of an inactive bank is refused before a log is created" {
        bad 2 "*bank sha1 is not active on this sim backend*" \
                "$E" extend "${SIM[@]}" --index 2 --alg sha1 --digest "$(printf '%040d' 0)" --log "$OUT/rt.log"
}

@test "extend --index ' -1' and --event-type ' 5' are refused" {
        bad 1 "*--index: expected a non-negative decimal integer (digits only), got ' -1'*" \
                "$E" extend "${SIM[@]}" --index ' -1' --data x --log "$OUT/rt.log"
        bad 1 "*--event-type: expected a number, got ' 5'*" \
                "$E" extend "${SIM[@]}" --index 2 --event-type ' 5' --data x --log "$OUT/rt.log"
}

@test "extend on a dirty log: refused, register unchanged, the marker names recover" {
        measured
        cp "$T/rt.log" "$IN/rt.log"
        echo "index 3 type 0x0000000d sha384 00" >"$IN/rt.log.dirty"
        cp "$T/sim" "$T/sim.before"
        bad 2 "*in/rt.log.dirty exists: a writer died*(index 3 type 0x0000000d sha384 00)*cvm-evidence recover*" \
                "$E" extend "${SIM[@]}" --index 2 --data x --log "$IN/rt.log"
        cmp "$T/sim" "$T/sim.before"
}

@test "extend --sim-state FIFO: refused at once" {
        mkfifo "$IN/sim"
        bad 2 "*in/sim: a FIFO, expected a regular file of simulated registers*" \
                "$E" extend --backend sim --sim-state "$IN/sim" --index 2 --data x --log "$OUT/rt.log"
}

# ---- cvm-evidence recover ----

@test "recover: registers that disagree with the logs keep the marker and name the register" {
        measured
        cp "$T/rt.log" "$IN/rt.log"
        echo "index 3 type 0x0000000d sha384 00" >"$IN/rt.log.dirty"
        # The dead writer's extend went through: RTMR2 moved, the log never got the event.
        "$E" extend "${SIM[@]}" --index 3 --data lost --log "$T/elsewhere.log" >/dev/null 2>&1
        bad 3 "*in/rt.log: RTMR2 sha384 is * live, but this boot's logs replay to *: the log does not match the registers, so *in/rt.log.dirty stays (pending event: index 3*" \
                "$E" recover "${SIM[@]}" --log "$IN/rt.log"
}

@test "recover: a dirty log that is truncated is refused and keeps its marker" {
        measured
        head -c 200 "$T/rt.log" >"$IN/rt.log"
        echo "index 3 type 0x0000000d sha384 00" >"$IN/rt.log.dirty"
        bad 2 "*in/rt.log: the runtime log is truncated, so it cannot match the registers*" \
                "$E" recover "${SIM[@]}" --log "$IN/rt.log"
}

@test "recover --log FIFO is refused at once" {
        "$E" measurements "${SIM[@]}" >/dev/null 2>&1
        mkfifo "$IN/rt.log"
        bad 2 "*in/rt.log: a FIFO, expected a regular file*" "$E" recover "${SIM[@]}" --log "$IN/rt.log"
}

# ---- cvm-evidence verify --manifest ----

@test "verify: \"alg\": null is a schema error naming its JSON path (it crashed)" {
        manifest '.reference_values.tdx.registers[0].alg = null'
        bad 2 "*in/m.json: reference_values.tdx.registers\[0\].alg: expected an algorithm name (sha256, sha384, ...), got null*" \
                "$E" verify --manifest "$IN/m.json" --log "$IN/rt.log"
}

@test "verify: \"alg\": 5 is refused, not a register silently skipped" {
        manifest '.reference_values.tdx.registers[0].alg = 5'
        bad 2 "*in/m.json: reference_values.tdx.registers\[0\].alg: expected an algorithm name (sha256, sha384, ...), got int*" \
                "$E" verify --manifest "$IN/m.json" --log "$IN/rt.log"
}

@test "verify: an unknown algorithm name is refused" {
        manifest '.reference_values.tdx.registers[0].alg = "md5"'
        bad 2 "*in/m.json: reference_values.tdx.registers\[0\].alg: expected an algorithm name (sha256, sha384, ...), got \"md5\"*" \
                "$E" verify --manifest "$IN/m.json" --log "$IN/rt.log"
}

@test "verify: \"index\": \"three\" is refused, not CCMR4294967295" {
        manifest '.reference_values.tdx.registers[0].index = "three"'
        bad 2 "*in/m.json: reference_values.tdx.registers\[0\].index: expected an integer from 0 to 4, got string*" \
                "$E" verify --manifest "$IN/m.json" --log "$IN/rt.log"
}

@test "verify: \"index\": -1 is out of range" {
        manifest '.reference_values.tdx.events[0].index = -1'
        bad 2 "*in/m.json: reference_values.tdx.events\[0\].index: expected an integer from 0 to 4, got -1*" \
                "$E" verify --manifest "$IN/m.json" --log "$IN/rt.log"
}

@test "verify: \"index\": 1e300 is a double, not an index" {
        manifest '.reference_values.tdx.events[0].index = 1e300'
        bad 2 "*in/m.json: reference_values.tdx.events\[0\].index: expected an integer from 0 to 4, got double*" \
                "$E" verify --manifest "$IN/m.json" --log "$IN/rt.log"
}

@test "verify: \"index\": 5 is past RTMR3" {
        manifest '.reference_values.tdx.registers[0].index = 5'
        bad 2 "*in/m.json: reference_values.tdx.registers\[0\].index: expected an integer from 0 to 4, got 5*" \
                "$E" verify --manifest "$IN/m.json" --log "$IN/rt.log"
}

@test "verify: a digest of the wrong length is refused with its path" {
        manifest '.reference_values.tdx.registers[0].digest = "abcd"'
        bad 2 "*in/m.json: reference_values.tdx.registers\[0\].digest: expected a sha384 digest (96 hex digits), got \"abcd\"*" \
                "$E" verify --manifest "$IN/m.json" --log "$IN/rt.log"
}

@test "verify: a digest that is not hex is refused" {
        manifest '.reference_values.tdx.events[1].sha384 |= ("zz" + .[2:])'
        bad 2 "*in/m.json: reference_values.tdx.events\[1\].sha384: expected a sha384 digest (96 hex digits), got \"zz*" \
                "$E" verify --manifest "$IN/m.json" --log "$IN/rt.log"
}

@test "verify: events that are not an array are refused" {
        manifest '.reference_values.tdx.events = {}'
        bad 2 "*in/m.json: reference_values.tdx.events: expected an array, got object*" \
                "$E" verify --manifest "$IN/m.json" --log "$IN/rt.log"
}

@test "verify: an event that is not an object is refused" {
        manifest '.reference_values.tdx.events[0] = "x"'
        bad 2 "*in/m.json: reference_values.tdx.events\[0\]: expected an object, got string*" \
                "$E" verify --manifest "$IN/m.json" --log "$IN/rt.log"
}

@test "verify: \"measurer\": \"yes\" is not coerced to true" {
        manifest '.reference_values.measurer = "yes"'
        bad 2 "*in/m.json: reference_values.measurer: expected true or false, got string*" \
                "$E" verify --manifest "$IN/m.json" --log "$IN/rt.log"
}

@test "verify: event data that is not a string is refused" {
        manifest '.reference_values.tdx.events[0].data = 7'
        bad 2 "*in/m.json: reference_values.tdx.events\[0\].data: expected a string, got int*" \
                "$E" verify --manifest "$IN/m.json" --log "$IN/rt.log"
}

@test "verify: a truncated manifest is not JSON, with the offset" {
        manifest '.'
        head -c 50 "$IN/m.json" >"$IN/cut.json"
        bad 2 "*in/cut.json: not JSON (offset 50:*" "$E" verify --manifest "$IN/cut.json" --log "$IN/rt.log"
}

@test "verify: an empty manifest is not JSON" {
        manifest '.'
        : >"$IN/empty.json"
        bad 2 "*in/empty.json: not JSON (offset 0:*" "$E" verify --manifest "$IN/empty.json" --log "$IN/rt.log"
}

@test "verify: a FIFO as manifest is refused at once" {
        manifest '.'
        mkfifo "$IN/fifo.json"
        bad 2 "*in/fifo.json: a FIFO, expected a regular file*" "$E" verify --manifest "$IN/fifo.json" --log "$IN/rt.log"
}

@test "verify: /dev/zero as manifest is refused at once" {
        manifest '.'
        bad 2 "*/dev/zero: a character device, expected a regular file*" "$E" verify --manifest /dev/zero --log "$IN/rt.log"
}

@test "verify --log: a log cut inside a record is exit 2, wherever the cut falls" {
        manifest '.'
        for n in 200 300 400; do
                head -c "$n" "$T/rt.log" >"$IN/cut$n.log"
                bad 2 "*in/cut$n.log: the log is truncated (offset *), so it cannot be verified*" \
                        "$E" verify --manifest "$IN/m.json" --log "$IN/cut$n.log"
        done
}

@test "verify --log FIFO is refused at once" {
        manifest '.'
        mkfifo "$IN/fifo.log"
        bad 2 "*in/fifo.log: a FIFO, expected a regular file*" "$E" verify --manifest "$IN/m.json" --log "$IN/fifo.log"
}

# ---- cvm-measure ----

@test "cvm-measure --policy FIFO is refused at once" {
        mkfifo "$IN/p.yaml"
        bad 2 "*in/p.yaml: a FIFO, expected a regular file*" "$M" --dry-run --root "$IN" --policy "$IN/p.yaml"
}

@test "cvm-measure --policy /dev/zero is refused at once" {
        bad 2 "*/dev/zero: a character device, expected a regular file*" "$M" --dry-run --root "$IN" --policy /dev/zero
}

@test "cvm-measure --policy DIR is refused" {
        mkdir "$IN/p"
        bad 2 "*in/p: a directory, expected a regular file*" "$M" --dry-run --root "$IN" --policy "$IN/p"
}

@test "cvm-measure: an empty policy is refused" {
        : >"$IN/p.yaml"
        bad 2 "*in/p.yaml: empty policy*" "$M" --dry-run --root "$IN" --policy "$IN/p.yaml"
}

@test "cvm-measure --threads 4294967297 does not wrap to 1" {
        bad 1 "*--threads: expected 1 to 64, got '4294967297'*" "$M" --dry-run --threads 4294967297
}

@test "cvm-measure --threads ' 4' and 0 are refused" {
        bad 1 "*--threads: expected 1 to 64, got ' 4'*" "$M" --dry-run --threads ' 4'
        bad 1 "*--threads: expected 1 to 64, got '0'*" "$M" --dry-run --threads 0
}

@test "cvm-measure --dry-run --log EXISTING: refused up front, nothing printed, file unchanged" {
        measured
        cp "$T/rt.log" "$IN/pred.log"
        bad 1 "*in/pred.log: exists; --dry-run --log writes a new file and never replaces one*" \
                "$M" --dry-run --root "$T/r" --policy "$T/r/p.yaml" --log "$IN/pred.log" --json
        [ -z "$output" ]
}

@test "cvm-measure --dry-run --log in a missing directory: exit 2 before anything is printed" {
        # A string item only: no file is opened with openat2, which valgrind (CVM_WRAP) does not know.
        printf 'version: 1\ngroups:\n  - name: id\n    class: cloud-native\n    items:\n      - string: cluster=prod\n' >"$IN/p.yaml"
        bad 2 "*out/no/pred.log: cannot write the predicted log: No such file or directory*" \
                "$M" --dry-run --root "$IN" --policy "$IN/p.yaml" --log "$OUT/no/pred.log" --json
        [ -z "$output" ]
}

@test "cvm-measure: an unknown option is a usage error" {
        bad 1 "*unrecognized option '--bogus'*" "$M" --bogus
}

@test "cvm-measure: a policy register with a sign is refused with file:line:column (one strict number parser)" {
        printf 'version: 1\ngroups:\n  - name: os\n    class: os\n    rtmr: +2\n    items:\n      - string: x\n' >"$IN/p.yaml"
        bad 2 "*in/p.yaml:5:11: rtmr: expected an integer from 0 to 3, got '+2'*" "$M" --dry-run --root "$IN" --policy "$IN/p.yaml"
}

@test "cvm-measure: a policy version of 1e0 is not 1" {
        printf 'version: 1e0\ngroups:\n  - name: os\n    class: os\n    items:\n      - string: x\n' >"$IN/p.yaml"
        bad 2 "*in/p.yaml:1:10: version: expected an integer from 1 to 1, got '1e0'*" "$M" --dry-run --root "$IN" --policy "$IN/p.yaml"
}
