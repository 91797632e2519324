#!/usr/bin/env bats
# cvm-rewrite's session on bad files and options (issue 14: 1, 12a, 14): each
# refused before any appliance starts, with the exit code and a message naming
# the file and what was wrong, the inputs unchanged and nothing left behind.

load hostile

# bad's `output=$(cmd)` fails under bats' errexit when cmd exits non-zero (as
# every case here does); called from a || list, bad runs to its own checks.
refused() {
        bad "$@" || false
}

setup() {
        hostile_setup
        ROOT="$BATS_TEST_DIRNAME/../.."
        RECIPE=(--recipe "$ROOT/recipes/minimal.yaml" --plugins "$ROOT/plugins")
        # An image-sized file: these cases are refused before its content is read.
        head -c 1048576 /dev/zero >"$IN/g.qcow2"
}

teardown() {
        if mountpoint -q "$OUT/ro" 2>/dev/null; then umount "$OUT/ro"; fi
}

@test "--output is the --input (same name): exit 1, the input kept" {
        refused 1 "*--output $IN/g.qcow2: $IN/g.qcow2 is the input $IN/g.qcow2 (the same file)*" \
                "$RW" "${RECIPE[@]}" --input "$IN/g.qcow2" --output "$IN/g.qcow2"
}

@test "--output is the --input by another spelling (./, ..): exit 1" {
        cd "$IN"
        refused 1 "*--output ./g.qcow2: ./g.qcow2 is the input g.qcow2 (the same file)*" \
                "$RW" "${RECIPE[@]}" --input g.qcow2 --output ./g.qcow2
        refused 1 "*../in/g.qcow2 is the input g.qcow2 (the same file)*" \
                "$RW" "${RECIPE[@]}" --input g.qcow2 --output ../in/g.qcow2
}

@test "--output is a symlink to the --input: exit 1" {
        ln -s g.qcow2 "$IN/link.qcow2"
        refused 1 "*$IN/link.qcow2 is the input $IN/g.qcow2 (the same file)*" \
                "$RW" "${RECIPE[@]}" --input "$IN/g.qcow2" --output "$IN/link.qcow2"
}

@test "--output is a hard link of the --input: exit 1" {
        ln "$IN/g.qcow2" "$IN/hard.qcow2"
        refused 1 "*$IN/hard.qcow2 is the input $IN/g.qcow2 (the same file)*" \
                "$RW" "${RECIPE[@]}" --input "$IN/g.qcow2" --output "$IN/hard.qcow2"
}

@test "--output through a symlinked directory onto the --input: exit 1" {
        ln -s "$IN" "$OUT/dir"
        refused 1 "*$OUT/dir/g.qcow2 is the input $IN/g.qcow2 (the same file)*" \
                "$RW" "${RECIPE[@]}" --input "$IN/g.qcow2" --output "$OUT/dir/g.qcow2"
}

@test "--output whose manifest (OUT.manifest.json) would replace the --input: exit 1" {
        cp "$IN/g.qcow2" "$IN/o.manifest.json"
        refused 1 "*--output $IN/o: $IN/o.manifest.json is the input $IN/o.manifest.json (the same file)*" \
                "$RW" "${RECIPE[@]}" --input "$IN/o.manifest.json" --output "$IN/o"
}

@test "--output in a missing directory: exit 1, naming it" {
        refused 1 "*--output $OUT/none/o.qcow2: its directory $OUT/none: No such file or directory*" \
                "$RW" "${RECIPE[@]}" --input "$IN/g.qcow2" --output "$OUT/none/o.qcow2"
}

@test "--output in a read-only directory: exit 1, naming it" {
        mkdir "$OUT/ro"
        if [ "$(id -u)" -eq 0 ]; then mount -t tmpfs -o ro,size=1M tmpfs "$OUT/ro"; else chmod 0555 "$OUT/ro"; fi
        refused 1 "*--output $OUT/ro/o.qcow2: cannot write in $OUT/ro: *" \
                "$RW" "${RECIPE[@]}" --input "$IN/g.qcow2" --output "$OUT/ro/o.qcow2"
}

@test "--output is a directory: exit 1" {
        mkdir "$OUT/o.qcow2"
        refused 1 "*--output $OUT/o.qcow2: $OUT/o.qcow2 is a directory: the output replaces a regular file or nothing*" \
                "$RW" "${RECIPE[@]}" --input "$IN/g.qcow2" --output "$OUT/o.qcow2"
}

@test "--output is a FIFO: exit 1, never opened" {
        mkfifo "$OUT/o.qcow2"
        refused 1 "*--output $OUT/o.qcow2: $OUT/o.qcow2 is a FIFO: the output replaces a regular file or nothing*" \
                "$RW" "${RECIPE[@]}" --input "$IN/g.qcow2" --output "$OUT/o.qcow2"
}

@test "--input is a FIFO: exit 5 at once, naming the type" {
        mkfifo "$IN/fifo"
        refused 5 "*--input $IN/fifo is a FIFO, not a disk image file*" \
                "$RW" "${RECIPE[@]}" --input "$IN/fifo" --output "$OUT/o.qcow2"
}

@test "--input is a character device (/dev/zero): exit 5 at once, naming the type" {
        refused 5 "*--input /dev/zero is a character device, not a disk image file*" \
                "$RW" "${RECIPE[@]}" --input /dev/zero --output "$OUT/o.qcow2"
}

@test "--input is a directory: exit 5" {
        mkdir "$IN/dir"
        refused 5 "*--input $IN/dir is a directory, not a disk image file*" \
                "$RW" "${RECIPE[@]}" --input "$IN/dir" --output "$OUT/o.qcow2"
}

@test "--input is empty: exit 5" {
        : >"$IN/empty.qcow2"
        refused 5 "*--input $IN/empty.qcow2 is empty (0 bytes), not a disk image*" \
                "$RW" "${RECIPE[@]}" --input "$IN/empty.qcow2" --output "$OUT/o.qcow2"
}

@test "--input is missing: exit 5" {
        refused 5 "*--input $IN/none.qcow2: No such file or directory*" \
                "$RW" "${RECIPE[@]}" --input "$IN/none.qcow2" --output "$OUT/o.qcow2"
}

@test "--input is a text file (not a disk image): exit 5 before any launch" {
        printf 'this is not a disk image\n' >"$IN/notes.txt"
        refused 5 "*--input $IN/notes.txt: not a disk image: raw data of 25 bytes, not whole 512-byte sectors*" \
                "$RW" "${RECIPE[@]}" --input "$IN/notes.txt" --output "$OUT/o.qcow2"
        [[ "$stderr" != *"launching the appliance"* ]]
}

# An input that names other files of the build host (or URLs) would bring
# their bytes into the guest disk the appliance sees, and so into the output.
@test "--input is a qcow2 whose backing file is a host file: exit 5 before any launch, nothing of it in an output" {
        printf 'host secret\n' >"$T/secret"
        truncate -s 1M "$T/secret"
        timeout 60 qemu-img create -q -f qcow2 -b "$T/secret" -F raw "$IN/linked.qcow2"
        refused 5 "*--input $IN/linked.qcow2: a qcow2 image with a backing file: its data would come from another file of this host; flatten it first, qemu-img convert -O qcow2*" \
                "$RW" "${RECIPE[@]}" --input "$IN/linked.qcow2" --output "$OUT/o.qcow2"
        [[ "$stderr" != *"launching the appliance"* ]]
}

@test "--input is a qcow2 with an external data file: exit 5" {
        truncate -s 1M "$T/secret"
        timeout 60 qemu-img create -q -f qcow2 -o data_file="$T/secret",data_file_raw=on "$IN/df.qcow2" 1M
        refused 5 "*--input $IN/df.qcow2: a qcow2 image with an external data file: its data would come from another file*" \
                "$RW" "${RECIPE[@]}" --input "$IN/df.qcow2" --output "$OUT/o.qcow2"
}

@test "--input is a VMDK descriptor naming a host file as its extent: exit 5, only raw and qcow2 are read" {
        truncate -s 1M "$T/secret"
        printf '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\n\nRW 2048 FLAT "%s" 0\n' \
                "$T/secret" >"$IN/evil.vmdk"
        refused 5 "*--input $IN/evil.vmdk: a vmdk image; cvm-rewrite reads raw and qcow2 only (other formats can name more files of this host)*" \
                "$RW" "${RECIPE[@]}" --input "$IN/evil.vmdk" --output "$OUT/o.qcow2"
        [[ "$stderr" != *"launching the appliance"* ]]
}

@test "--input named like a stale temporary of the output stays (never removed as left by a dead run)" {
        printf 'not an image\n' >"$IN/.o.qcow2.cvm-rewrite.999999999.part"
        refused 5 "*not a disk image: raw data of 13 bytes*" \
                "$RW" "${RECIPE[@]}" --input "$IN/.o.qcow2.cvm-rewrite.999999999.part" --output "$IN/o.qcow2"
        [[ "$stderr" != *"removing"* ]]
}

@test "--recipe missing: exit 2, naming it, before the image is read" {
        refused 2 "*$IN/none.yaml*No such file or directory*" \
                "$RW" --recipe "$IN/none.yaml" --input "$IN/g.qcow2" --output "$OUT/o.qcow2"
}

@test "--launch-timeout 0: exit 1" {
        refused 1 "*--launch-timeout '0': expected whole seconds from 1 to 86400*" \
                "$RW" "${RECIPE[@]}" --input "$IN/g.qcow2" --output "$OUT/o.qcow2" --launch-timeout 0
}

@test "--launch-timeout not a number, negative, with a blank, too large: exit 1" {
        for v in abc -5 ' 5' 5s 1e3 86401 18446744073709551617; do
                refused 1 "*--launch-timeout '$v': expected whole seconds from 1 to 86400*" \
                        "$RW" "${RECIPE[@]}" --input "$IN/g.qcow2" --output "$OUT/o.qcow2" --launch-timeout "$v"
        done
}

@test "CVM_LAUNCH_TIMEOUT not a number: exit 1, naming the variable" {
        CVM_LAUNCH_TIMEOUT=soon refused 1 "*CVM_LAUNCH_TIMEOUT 'soon': expected whole seconds from 1 to 86400*" \
                "$RW" "${RECIPE[@]}" --input "$IN/g.qcow2" --output "$OUT/o.qcow2"
}
