#!/usr/bin/env bats
# The rewrite's output committed onto a reflink of the input (issue 21), on a
# file system that shares extents: btrfs on a loop device, where this machine
# lets the test make one (root, mkfs.btrfs, loop devices, mount); elsewhere
# the case is skipped, saying what is missing.  test_output_image (the unit
# suite) then runs on it: every commit must be a reflink, and the default
# (auto) must choose it.

bats_require_minimum_version 1.5.0

setup() {
        T="$BATS_TEST_TMPDIR"
        UNIT="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/../tests/test_output_image"
        LOOP=
}

teardown() {
        if mountpoint -q "$T/fs" 2>/dev/null; then umount "$T/fs"; fi
        if [ -n "$LOOP" ]; then losetup -d "$LOOP"; fi
}

@test "output_image on btrfs: the input reflinked, the changed clusters committed, the same disk as convert" {
        [ -x "$UNIT" ] || skip "$UNIT is not built"
        [ "$(id -u)" = 0 ] || skip "making a btrfs file system needs root"
        command -v mkfs.btrfs >/dev/null || skip "mkfs.btrfs is missing (btrfs-progs)"
        truncate -s 1G "$T/fs.img"
        timeout 60 mkfs.btrfs -q "$T/fs.img" >/dev/null 2>&1
        LOOP=$(timeout 30 losetup -f --show "$T/fs.img" 2>/dev/null) || skip "no loop device here"
        mkdir "$T/fs"
        timeout 30 mount "$LOOP" "$T/fs" 2>/dev/null || skip "this machine does not let the test mount a file system"
        run --separate-stderr env TMPDIR="$T/fs" timeout 120 "$UNIT"
        [ "$status" -eq 0 ] || { echo "$output"; echo "$stderr"; false; }
        # qcow2, raw and the default: each a reflink, none a copy.
        [ "$(grep -c "output: the changed clusters committed onto a reflink of the input" <<<"$stderr")" -eq 3 ]
        [[ "$stderr" != *"onto a copy"* ]]
}
