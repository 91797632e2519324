#!/usr/bin/env bats
# cvm-rewrite on a real guest image (tests/rewriter/make-guest.sh), through
# libguestfs.  Launches cost ~15 s each under TCG, so the suite shares them:
# one to build the guest, one rewrite with every step kind, one read-back;
# the failure tests launch only where the failure needs a running appliance.

bats_require_minimum_version 1.5.0

load helpers

setup_file() {
        export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}
        export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
        export W="$BATS_FILE_TMPDIR" ROOT="$BATS_TEST_DIRNAME/../.."
        export SOURCE_DATE_EPOCH=1700000000
        local bin="${CVM_BIN:-$ROOT/build/bin}"
        CVM_BIN="$bin" "$ROOT/tests/rewriter/make-guest.sh" "$W/guest.qcow2"
        sha256sum <"$W/guest.qcow2" >"$W/guest.sha"
        # The plugins, plus a .deb for the install step (built here, not committed).
        cp -r "$ROOT/tests/rewriter/plugins" "$W/plugins"
        mkdir -p "$W/pkg/DEBIAN" "$W/pkg/usr/share/cvm-test"
        printf 'Package: cvm-test\nVersion: 1.0\nArchitecture: all\nMaintainer: cvmkit <dev@cvmkit.invalid>\nDescription: test\n' >"$W/pkg/DEBIAN/control"
        echo installed >"$W/pkg/usr/share/cvm-test/marker"
        dpkg-deb -Zgzip --build "$W/pkg" "$W/plugins/10-every-step/files/cvm-test_1.0_all.deb" >/dev/null
        printf '  - install: {files: [cvm-test_1.0_all.deb]}\n' >>"$W/plugins/10-every-step/plugin.yaml"
        mkdir -p "$W/out"
        set +e
        timeout -k 10 1800 "$bin/cvm-rewrite" --recipe "$ROOT/tests/rewriter/recipes/every-step.yaml" --plugins "$W/plugins" \
                --plugins "$ROOT/plugins" --set every-step.key="ssh-ed25519 AAAAC3Nza test@host" --set password=s3cret \
                --input "$W/guest.qcow2" --output "$W/out/foundation.qcow2" --json >"$W/run.json" 2>"$W/run.err"
        echo $? >"$W/run.rc"
        set -e
        # Read the output back in one launch: copy-out keeps modes and owners (we run as root in CI).
        mkdir -p "$W/back"
        if [ -f "$W/out/foundation.qcow2" ]; then
                timeout -k 10 600 guestfish --ro --format=qcow2 -a "$W/out/foundation.qcow2" -m /dev/sda1 \
                        copy-out /etc /opt /boot /var /home "$W/back" : statvfs / : blockdev-getsize64 /dev/sda \
                        >"$W/back.txt" 2>"$W/back.err" || true
        fi
}

setup() {
        RW="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/cvm-rewrite"
        I="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/cvm-initrd"
        M="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/cvm-measure"
        T="$BATS_TEST_TMPDIR"
        R="$ROOT/tests/rewriter/recipes/every-step.yaml"
        P=(--plugins "$W/plugins" --plugins "$ROOT/plugins")
}

# cvm-rewrite under a time limit, so a hang (QEMU paused on ENOSPC once did it) fails its case, not the suite;
# the signal cases run "$RW" itself, since they signal and inspect its process tree.
rw() {
        timeout -k 10 "${REWRITE_TIMEOUT:-900}" "$RW" "$@"
}

# ---- The session (issue 14: 12a, 15, 17, 18): the launch bounded and ended on a signal, reproducible
# ---- reference values, the plugins found beside the executable, no libguestfs noise.

# Until the rewrite PID has started qemu (60 s at most); prints qemu's PID.
wait_for_qemu() {
        for _ in $(seq 1 120); do
                pgrep -P "$1" -f qemu-system && return 0
                sleep 0.5
        done
        return 1
}

# Whether process PID runs (a zombie waiting for its reaper does not).
alive() {
        [ -n "$(ps -o stat= -p "$1" | grep -v Z)" ]
}

# Whether a process whose command line names a temporary of the rewrite PID still runs (its qemu names the overlay).
left_running() {
        pgrep -af "\.cvm-rewrite\.$1\." >&2
}

@test "reproducible: a second rewrite of the same input and recipe, inspected by libguestfs instead of the lean inspection and committed onto a copy of the input instead of converted, predicts the same guest, events, registers and boot files; only build differs; the output holds the change" {
        [ "$(cat "$W/run.rc")" -eq 0 ]
        mkdir -p "$T/out2"
        CVM_REWRITE_INSPECT=libguestfs CVM_REWRITE_OUTPUT=commit run --separate-stderr rw --recipe "$R" "${P[@]}" --set every-step.key="ssh-ed25519 AAAAC3Nza test@host" \
                --set password=s3cret --input "$W/guest.qcow2" --output "$T/out2/foundation.qcow2"
        [ "$status" -eq 0 ] || { echo "$stderr"; false; }
        a="$W/out/foundation.qcow2.manifest.json" b="$T/out2/foundation.qcow2.manifest.json"
        for part in .reference_values .boot .cmdline 'del(.build)'; do
                [ "$(jq -S "$part" "$a")" = "$(jq -S "$part" "$b")" ] || { diff <(jq -S "$part" "$a") <(jq -S "$part" "$b"); false; }
        done
        # The command line is read where the measurer reads it at boot, not from the build host's temporary.
        [ "$(jq -r '.reference_values.tpm.events[] | select(.kind == "cmdline") | .data | fromjson | .path' "$a")" = /proc/cmdline ]
        [ "$(jq -r .build.output.path "$b")" = "$T/out2/foundation.qcow2" ]
        [ "$(jq -r '.build.step_seconds | length' "$b")" -eq 31 ]
        # No libguestfs error lines (the FUSE thread's expected lookups of paths the guest lacks), the phases said.
        ! grep -q "libguestfs: error" "$W/run.err"
        [[ "$stderr" != *"libguestfs: error"* ]]
        [[ "$stderr" =~ "cvm-rewrite: output: the changed clusters committed onto a "(copy|reflink)" of the input in " ]]
        [[ "$stderr" == *", output "*" bytes by "*"+commit"* ]]
        grep -q "cvm-rewrite: guest: linux debian 12\.[0-9]* x86_64, root /dev/sda1 (lean inspection, " "$W/run.err"
        [[ "$stderr" == *"cvm-rewrite: guest: linux debian 12."*" x86_64, root /dev/sda1 (libguestfs inspection, "* ]]
        # The commit grew the input's copy to the recipe's 320 MiB, and its boot files are the ones the manifest names.
        [ "$(timeout 60 qemu-img info --output=json "$T/out2/foundation.qcow2" | jq -r '."virtual-size", ."backing-filename"' | tr '\n' ' ')" = "$((320 << 20)) null " ]
        timeout -k 10 60 qemu-img check -q "$T/out2/foundation.qcow2"
        run timeout -k 10 600 guestfish --ro --format=qcow2 -a "$T/out2/foundation.qcow2" -m /dev/sda1 \
                checksum sha256 "$(jq -r '.boot[] | select(.kind == "initramfs") | .path' "$b")" : \
                cat /usr/share/cvm-test/marker
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "$(jq -r '.boot[] | select(.kind == "initramfs") | .sha256' "$b")" ]
        [ "${lines[1]}" = installed ]
        [ "$(sha256sum <"$W/guest.qcow2")" = "$(cat "$W/guest.sha")" ]
}

@test "launch timeout: exit 5 with the message, no qemu of its own and no temporary left" {
        CVM_LAUNCH_TIMEOUT=1 "$RW" --recipe "$ROOT/recipes/example.yaml" "${P[@]}" --input "$W/guest.qcow2" \
                --output "$T/l.qcow2" 2>"$T/l.err" &
        pid=$!
        rc=0
        wait "$pid" || rc=$?
        cat "$T/l.err"
        [ "$rc" -eq 5 ]
        grep -qF "cvm-rewrite: the appliance did not start in 1 s; set LIBGUESTFS_BACKEND_SETTINGS=force_tcg where KVM is not usable" "$T/l.err"
        ! left_running "$pid"
        [ "$(ls -A "$T" | grep -c cvm-rewrite)" -eq 0 ]
        [ ! -e "$T/l.qcow2" ]
}

@test "SIGTERM during the launch: the appliance ends at once, exit 143, no qemu of its own and no temporary left" {
        "$RW" --recipe "$ROOT/recipes/example.yaml" "${P[@]}" --input "$W/guest.qcow2" --output "$T/s.qcow2" 2>"$T/s.err" &
        pid=$!
        qemu=$(wait_for_qemu "$pid")
        kids=$(pgrep -P "$pid")
        kill -TERM "$pid"
        rc=0
        wait "$pid" || rc=$?
        cat "$T/s.err"
        [ -n "$qemu" ]
        [ "$rc" -eq 143 ]
        grep -q "interrupted by signal 15" "$T/s.err"
        # Ended during the launch, not after it: a launch that never ends (KVM present but unusable) ends the same way.
        ! grep -q "appliance up" "$T/s.err"
        for k in $kids; do ! alive "$k"; done
        ! left_running "$pid"
        [ "$(ls -A "$T" | grep -c cvm-rewrite)" -eq 0 ]
        [ ! -e "$T/s.qcow2" ]
}

@test "an input that holds no operating system (zeros, whole sectors): exit 5, an image error, not 4" {
        head -c $((4 << 20)) /dev/zero >"$T/zeros.img"
        run rw --recipe "$ROOT/recipes/example.yaml" "${P[@]}" --input "$T/zeros.img" --output "$T/z.qcow2"
        [ "$status" -eq 5 ]
        [[ "$output" == *"the image holds 0 operating systems; cvm-rewrite needs exactly one"* ]]
        [ ! -e "$T/z.qcow2" ]
        [ "$(ls -A "$T" | grep -c cvm-rewrite)" -eq 0 ]
}

@test "plugins: found beside the executable, in the checkout's plugins/ or an install's share/cvm/plugins, wherever it was moved" {
        unset CVM_PLUGINS_DIR
        run bash -c "cd '$T' && '$RW' --recipe '$ROOT/recipes/minimal.yaml' --plan"
        [ "$status" -eq 0 ]
        [[ "$output" == *"plugin cvm-measurer ($(realpath "$ROOT/plugins")/50-cvm-measurer)"* ]]
        # An install (PREFIX/bin, PREFIX/share/cvm/plugins) copied elsewhere.
        mkdir -p "$T/moved/usr/bin" "$T/moved/usr/share/cvm"
        cp "$RW" "$T/moved/usr/bin/"
        cp -R "$ROOT/plugins" "$T/moved/usr/share/cvm/plugins"
        run "$T/moved/usr/bin/cvm-rewrite" --recipe "$ROOT/recipes/minimal.yaml" --plan
        [ "$status" -eq 0 ]
        [[ "$output" == *"plugin cvm-measurer ($T/moved/usr/share/cvm/plugins/50-cvm-measurer)"* ]]
        # CVM_PLUGINS_DIR still decides.
        CVM_PLUGINS_DIR="$T/none" run "$T/moved/usr/bin/cvm-rewrite" --recipe "$ROOT/recipes/minimal.yaml" --plan
        [ "$status" -eq 2 ]
}

# ---- end of the session block

@test "--plan: the ordered, substituted steps; --set for one plugin or all; secrets never printed; no image needed" {
        run rw --recipe "$R" "${P[@]}" --plan --set every-step.key=K --set password=s3cret --set hostname=from-set
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "recipe every-step ($R), output qcow2, 2 plugins, 31 steps" ]]
        [[ "$output" == *'  2. write path=/etc/hello/greeting content="hi\n" mode=0644'* ]]
        [[ "$output" == *'  7. write path=/etc/greeting content="hello from the recipe\n"'* ]]
        [[ "$output" == *'  9. replace path=/etc/app.conf pattern=^level=([0-9]+)$ replacement=level=\13'* ]]
        [[ "$output" == *"  20. hostname name=from-set"* ]]
        [[ "$output" == *'  29. write path=/etc/built-by content="every-step 2023-11-14T22:13:20Z\n"'* ]]
        [[ "$output" != *s3cret* ]]
        run rw --recipe "$R" "${P[@]}" --plan --json --set every-step.key=K --set password=x --set every-step.level=7
        [ "$status" -eq 0 ]
        [ "$(jq -r '.plugins[1].steps[6].args.replacement' <<<"$output")" = 'level=\17' ]
        [ "$(jq -r '.plugins[1].params.hostname' <<<"$output")" = from-recipe ]
        [ "$(jq -r '.plugins[1].params.password' <<<"$output")" = "(not recorded)" ]
        [ "$(jq -r '.plugins[1].digest | length' <<<"$output")" -eq 64 ]
        [ "$(jq -r .sha256 <<<"$output")" = "$(sha256sum <"$R" | cut -d' ' -f1)" ]
}

# bad recipe or plugin: file:line:column, exit 2, before any image is touched
bad() { # expected-message recipe-text [plugin-yaml]
        mkdir -p "$T/p/30-bad/files"
        printf '%s\n' "$2" >"$T/r.yaml"
        [ -z "${3:-}" ] || printf '%s\n' "$3" >"$T/p/30-bad/plugin.yaml"
        run rw --recipe "$T/r.yaml" --plugins "$T/p" "${P[@]}" --input "$W/guest.qcow2" --output "$T/o.qcow2"
        [ "$status" -eq 2 ] || { echo "status $status: $output"; return 1; }
        [[ "$output" == *"$1"* ]] || { echo "want: $1"; echo "got: $output"; return 1; }
        [ ! -e "$T/o.qcow2" ]
}

@test "--plan: every shipped recipe resolves with the shipped plugins (required parameters named when missing)" {
        for r in "$ROOT"/recipes/*.yaml; do
                # --set of a parameter no plugin of the recipe has is refused: only where the user plugin is.
                local set=()
                ! grep -q 'name: user$' "$r" || set=(--set ssh_key="ssh-ed25519 AAAAtest t@t")
                run rw --recipe "$r" --plugins "$ROOT/plugins" --plan "${set[@]}"
                [ "$status" -eq 0 ] || { echo "$r: $output"; false; }
        done
        printf 'name: s\noutput: {format: qcow2}\nplugins:\n  - name: sample\n' >"$T/sample.yaml"
        run rw --recipe "$T/sample.yaml" --plugins "$ROOT/plugins" --plan
        [ "$status" -eq 0 ]
        [ "$(grep -cE '^  [0-9]+\. ' <<<"$output")" -eq 25 ]
        run rw --recipe "$ROOT/recipes/debian-12-tdx.yaml" --plugins "$ROOT/plugins" --plan
        [ "$status" -eq 2 ]
        [[ "$output" == *"plugin 'user': required parameter 'ssh_key' is not set"* ]]
        run rw --recipe "$ROOT/recipes/minimal.yaml" --plugins "$ROOT/plugins" --plan --json
        [ "$(jq -r '[.plugins[].name] | join(" ")' <<<"$output")" = "cvm-measurer cvm-evidence validate" ]
}

@test "host-files: the user's files, resolved from the recipe's folder or the working directory; never a plugin's own" {
        mkdir -p "$T/r/debs" "$T/p/k"
        echo deb >"$T/r/debs/k.deb"
        printf 'name: r\nplugins:\n  - name: guest-kernel\n    params: {packages: debs/k.deb}\n' >"$T/r/r.yaml"
        run rw --recipe "$T/r/r.yaml" --plugins "$ROOT/plugins" --plan --json
        [ "$status" -eq 0 ]
        [ "$(jq -r '.plugins[0].steps[0].args.packages[0]' <<<"$output")" = "$T/r/debs/k.deb" ]
        # --set: from the working directory.
        printf 'name: r\nplugins:\n  - name: guest-kernel\n' >"$T/r/s.yaml"
        run bash -c "cd '$T/r/debs' && timeout 120 '$(realpath "$RW")' --recipe ../s.yaml --plugins '$ROOT/plugins' --plan --set guest-kernel.packages=k.deb"
        [ "$status" -eq 0 ]
        [[ "$output" == *"packages=[$T/r/debs/k.deb]"* ]]
        run rw --recipe "$T/r/s.yaml" --plugins "$ROOT/plugins" --plan --set guest-kernel.packages="$T/r/none.deb"
        [ "$status" -eq 2 ]
        [[ "$output" == *"--set guest-kernel.packages: parameter 'packages': host file '$T/r/none.deb': No such file or directory"* ]]
        run rw --recipe "$T/r/s.yaml" --plugins "$ROOT/plugins" --plan --set guest-kernel.packages="$T/r"
        [ "$status" -eq 2 ]
        [[ "$output" == *"host file '$T/r' is not a regular file"* ]]
        # A plugin cannot choose host files: no default, and no literal path in the step.
        printf 'name: k\ndescription: d\nparams:\n  p: {type: host-files, default: /etc/shadow, description: d}\nsteps:\n  - kernel: {packages: ["${p}"]}\n' >"$T/p/k/plugin.yaml"
        printf 'name: r\nplugins:\n  - name: k\n' >"$T/r/k.yaml"
        run rw --recipe "$T/r/k.yaml" --plugins "$T/p" --plan
        [ "$status" -eq 2 ]
        [[ "$output" == *"plugin.yaml:4:6: parameter 'p': a host-files parameter has no default (the files are the user's)"* ]]
        printf 'name: k\ndescription: d\nparams:\n  p: {type: host-files, description: d}\nsteps:\n  - kernel: {packages: ["${p}", /etc/shadow]}\n' >"$T/p/k/plugin.yaml"
        run rw --recipe "$T/r/k.yaml" --plugins "$T/p" --plan --set k.p="$T/r/debs/k.deb"
        [ "$status" -eq 2 ]
        [[ "$output" == *"step kernel: package '/etc/shadow' is not a file given to one of the plugin's host-files parameters"* ]]
}

@test "bad recipes and plugins: each a clear error with file:line:column, exit 2, nothing written" {
        bad "r.yaml:3:11: plugin 'nosuch' is not in the search path" $'name: x\nplugins:\n  - name: nosuch'
        bad "r.yaml:2:1: unknown recipe key 'plugin'" $'name: x\nplugin: 1'
        bad "r.yaml:4:1: YAML error: did not find expected node content" $'name: x\nplugins: [\n'
        bad "30-bad/plugin.yaml:4:5: unknown step 'format-disk'" $'name: x\nplugins:\n  - name: bad' \
                $'name: bad\ndescription: d\nsteps:\n  - format-disk: {dev: /dev/sda}'
        bad "30-bad/plugin.yaml:4:5: step copy: host source '../../etc/shadow' must be a path relative to the plugin's files/, without '..'" \
                $'name: x\nplugins:\n  - name: bad' $'name: bad\ndescription: d\nsteps:\n  - copy: {src: ../../etc/shadow, dest: /x}'
        bad "unknown parameter '\${nope}'" $'name: x\nplugins:\n  - name: bad' \
                $'name: bad\ndescription: d\nsteps:\n  - write: {path: /x, content: "${nope}"}'
        bad "parameter 'n' is an int, got 'many'" $'name: x\nplugins:\n  - name: bad\n    params: {n: many}' \
                $'name: bad\ndescription: d\nparams:\n  n: {type: int, default: "1", description: d}\nsteps:\n  - touch: {path: /x}'
        bad "plugin 'bad': required parameter 'who' is not set" $'name: x\nplugins:\n  - name: bad' \
                $'name: bad\ndescription: d\nparams:\n  who: {type: string, description: d}\nsteps:\n  - touch: {path: /x}'
        bad "step write: guest path 'etc/x' must be absolute" $'name: x\nplugins:\n  - name: bad' \
                $'name: bad\ndescription: d\nsteps:\n  - write: {path: etc/x, content: y}'
        ln -s /etc/shadow "$T/p/30-bad/files/escape"
        bad "30-bad/files/escape: a symlink out of the plugin folder" $'name: x\nplugins:\n  - name: bad' \
                $'name: bad\ndescription: d\nsteps:\n  - touch: {path: /x}'
        run rw --recipe "$R" "${P[@]}" --plan --set every-step.level=abc --set every-step.key=k --set password=p
        [ "$status" -eq 2 ]
        [[ "$output" == *"--set every-step.level: parameter 'level' is an int, got 'abc'"* ]]
        run rw --recipe "$R" --input x
        [ "$status" -eq 1 ]
        [ "$(sha256sum <"$W/guest.qcow2")" = "$(cat "$W/guest.sha")" ]
}

@test "rewrite: one appliance launch, the output and its manifest, the input unchanged, no temporary left" {
        cat "$W/run.err"
        [ "$(cat "$W/run.rc")" -eq 0 ]
        grep -q "cvm-rewrite: done: 31 steps, 1 appliance launch, " "$W/run.err"
        grep -qF "cvm-rewrite:   [31/31] install " "$W/run.err"
        [ "$(jq -r .launches "$W/run.json")" -eq 1 ]
        # Where the time went: each stage named in the summary line and in --json, their sum the wall time.
        grep -qE "cvm-rewrite: done: 31 steps, 1 appliance launch, [0-9.]+ s \(prepare [0-9.]+, launch [0-9.]+, steps [0-9.]+, reference values [0-9.]+, output [0-9.]+\), output [0-9]+ bytes" "$W/run.err"
        [ "$(jq -r '.stages | keys_unsorted | join(",")' "$W/run.json")" = "prepare,launch,steps,reference values,output" ]
        jq -e '(.stages | add) <= .seconds + 0.05 and (.stages | add) >= .seconds - 1 and .stages.launch > 1' "$W/run.json" >/dev/null
        # How the output was written: committed where the file system reflinks (btrfs, XFS), converted elsewhere (ext4).
        case $(jq -r .output_method "$W/run.json") in
        convert) grep -qF "cvm-rewrite: output: converting the whole disk (qcow2; not committed: the file system cannot share the input's extents (no reflink)) ..." "$W/run.err" ;;
        reflink+commit) grep -qF "cvm-rewrite: output: the changed clusters committed onto a reflink of the input in " "$W/run.err" ;;
        *) false ;;
        esac
        grep -qE "cvm-rewrite: done: .*, output [0-9]+ bytes by (convert|reflink\+commit)$" "$W/run.err"
        grep -qE "cvm-rewrite: output: its sha256 \([0-9]+ MiB\) in [0-9.]+ s$" "$W/run.err"
        [ "$(sha256sum <"$W/guest.qcow2")" = "$(cat "$W/guest.sha")" ]
        [ "$(ls -A "$W/out" | sort | tr '\n' ' ')" = "foundation.qcow2 foundation.qcow2.manifest.json " ]
        [ "$(qemu-img info --output=json "$W/out/foundation.qcow2" | jq -r .format)" = qcow2 ]
        # resize: the disk has the recipe's 320M, the root file system grew with it (the guest had 192M).
        [ "$(qemu-img info --output=json "$W/out/foundation.qcow2" | jq -r '."virtual-size"')" -eq $((320 << 20)) ]
        [ "$(tail -n1 "$W/back.txt")" -eq $((320 << 20)) ]
        bsize=$(awk '/^bsize:/ { print $2 }' "$W/back.txt")
        blocks=$(awk '/^blocks:/ { print $2 }' "$W/back.txt")
        [ $((bsize * blocks)) -gt $((280 << 20)) ]
        m="$W/out/foundation.qcow2.manifest.json"
        [ "$(jq -r .tool "$m")" = cvm-rewrite ]
        [ "$(jq -r .build.output.sha256 "$m")" = "$(sha256sum <"$W/out/foundation.qcow2" | cut -d' ' -f1)" ]
        [ "$(jq -r .input.sha256 "$m")" = "$(cut -d' ' -f1 "$W/guest.sha")" ]
        [ "$(jq -r .recipe.sha256 "$m")" = "$(sha256sum <"$R" | cut -d' ' -f1)" ]
        [ "$(jq -r '.steps | length' "$m")" -eq 31 ]
        [ "$(jq -r '[.build.step_seconds[] | select(. >= 0)] | length' "$m")" -eq 31 ]
        [ "$(jq -r '.guest | "\(.type) \(.distro) \(.major) \(.arch) \(.root)"' "$m")" = "linux debian 12 x86_64 /dev/sda1" ]
        ! grep -q s3cret "$m"
        for kind in kernel initramfs; do
                f=$(jq -r ".boot[] | select(.kind == \"$kind\") | .path" "$m")
                [ "$(jq -r ".boot[] | select(.kind == \"$kind\") | .sha256" "$m")" = "$(sha256sum <"$W/back$f" | cut -d' ' -f1)" ]
                [ "$(jq -r ".boot[] | select(.kind == \"$kind\") | .sha384" "$m")" = "$(sha384sum <"$W/back$f" | cut -d' ' -f1)" ]
        done
        [ "$(jq -r .cmdline "$m")" = "BOOT_IMAGE=$(jq -r '.boot[0].path' "$m") root=LABEL=cloudimg-rootfs ro quiet console=ttyS0,115200" ]
}

@test "rewrite: every step's effect, read back from the output image" {
        B="$W/back"
        [ "$(cat "$B/etc/hello/greeting")" = hi ]
        [ "$(stat -c %a "$B/opt/cvm-test")" = 750 ] && [ "$(stat -c %u:%g "$B/opt/cvm-test")" = 1000:1000 ]
        [ "$(cat "$B/opt/cvm-test/tree/dir/file")" = "in a tree" ]
        [ "$(stat -c %a "$B/etc/app.conf")" = 640 ]
        [ "$(cat "$B/etc/app.conf")" = $'name=demo\nlevel=33' ]
        [ "$(cat "$B/etc/greeting")" = $'hello from the recipe\nsecond line' ]
        [ "$(stat -c %a "$B/etc/greeting")" = 644 ]
        [ ! -e "$B/etc/obsolete" ]
        [ "$(readlink "$B/etc/greeting.link")" = /etc/greeting ]
        [ -f "$B/var/lib/cvm-touched" ]
        [ ! -e "$B/etc/to-move" ] && [ "$(cat "$B/etc/moved")" = moved ]
        [ "$(cat "$B/var/lib/cvm-run")" = ran-in-guest ]
        grep -q 'echo first boot' "$B"/usr/local/lib/cvm-firstboot/*-every-step.sh 2>/dev/null ||
                timeout -k 10 600 guestfish --ro --format=qcow2 -a "$W/out/foundation.qcow2" -m /dev/sda1 cat /usr/local/lib/cvm-firstboot/00-every-step.sh | grep -q 'echo first boot'
        [ "$(readlink "$B/etc/systemd/system/multi-user.target.wants/cvm-firstboot.service")" = /etc/systemd/system/cvm-firstboot.service ]
        [ "$(cat "$B/home/debian/.ssh/authorized_keys")" = "ssh-ed25519 AAAAC3Nza test@host" ]
        [ "$(stat -c %a:%u "$B/home/debian/.ssh/authorized_keys")" = 600:1000 ]
        [ "$(stat -c %a "$B/home/debian/.ssh")" = 700 ]
        hash=$(grep '^debian:' "$B/etc/shadow" | cut -d: -f2)
        [[ "$hash" == '$6$'* ]]
        [ "$(python3 -c 'import crypt,sys; print(crypt.crypt("s3cret", sys.argv[1]) == sys.argv[1])' "$hash" 2>/dev/null)" = True ]
        [ "$(cat "$B/etc/hostname")" = from-recipe ]
        grep -q $'^127.0.1.1\tfrom-recipe$' "$B/etc/hosts"
        [ "$(readlink "$B/etc/localtime")" = /usr/share/zoneinfo/Europe/Paris ] && [ "$(cat "$B/etc/timezone")" = Europe/Paris ]
        [ "$(readlink "$B/etc/systemd/system/multi-user.target.wants/demo.service")" = /lib/systemd/system/demo.service ]
        grep -qx 'GRUB_CMDLINE_LINUX_DEFAULT="quiet console=ttyS0,115200"' "$B/etc/default/grub.d/50-cloudimg-settings.cfg"
        grep -qx 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"' "$B/etc/default/grub"
        grep -q "linux /boot/vmlinuz-.* root=LABEL=cloudimg-rootfs ro quiet console=ttyS0,115200$" "$B/boot/grub/grub.cfg"
        initrd=$(ls "$B"/boot/initrd.img-*)
        "$I" list "$initrd" | grep -q '^1 gzip  -0644 .* etc/app.conf$'
        [ "$(cat "$B/etc/built-by")" = "every-step 2023-11-14T22:13:20Z" ]
        [ "$(cat "$B/etc/cvm/cluster")" = test-cluster ]
        # library (install: auto): the busybox guest has no glibc, so libcvm is left out, said in the manifest.
        w=$(jq -r '.warnings[] | select(contains("libcvm was not installed"))' "$W/out/foundation.qcow2.manifest.json")
        [[ "$w" == "$W/plugins/10-every-step/plugin.yaml:"*": plugin every-step: libcvm was not installed, it would not load in this guest: not in its /etc/ld.so.cache: libnettle.so.8 libjson-c.so.5 libyaml-0.so.2 libc.so.6 libcrypto.so.3" ]]
        grep -qF "cvm-rewrite: warning: $w" "$W/run.err"
        # install: busybox's dpkg unpacked the package.
        timeout -k 10 600 guestfish --ro --format=qcow2 -a "$W/out/foundation.qcow2" -m /dev/sda1 cat /usr/share/cvm-test/marker | grep -qx installed
}

@test "reference values: the manifest's prediction equals cvm-measure --dry-run over the read-back tree" {
        m="$W/out/foundation.qcow2.manifest.json"
        [ "$(jq -r .reference_values.measurer "$m")" = true ]
        mkdir -p "$T/proc"
        jq -r .cmdline "$m" >"$T/proc/cmdline"
        run --separate-stderr "$M" --dry-run --root "$W/back" --policy "$W/back/etc/cvm/policy.yaml" --proc "$T/proc" --json
        [ "$status" -eq 0 ]
        [ "$(jq -c '.registers' <<<"$output")" = "$(jq -c '.reference_values.tdx.registers' "$m")" ]
        run --separate-stderr "$M" --dry-run --backend tpm2 --bank sha256 --bank sha384 --root "$W/back" \
                --policy "$W/back/etc/cvm/policy.yaml" --proc "$T/proc" --json
        [ "$(jq -c '.registers' <<<"$output")" = "$(jq -c '.reference_values.tpm.registers' "$m")" ]
        [ "$(jq -r '[.reference_values.tpm.events[].item] | join(" ")' "$m")" = \
          "policy cmdline $(jq -r '.boot[0].path' "$m") /etc/greeting /opt/cvm-test/tree/dir/file /etc/app.conf cluster=test-cluster separator separator" ]
}

# rewrite_with NAME PLUGIN_YAML: rewrite the test guest into $T/o.qcow2 with a recipe of that one plugin.
rewrite_with() {
        mkdir -p "$T/p/40-$1"
        printf '%s\n' "$2" >"$T/p/40-$1/plugin.yaml"
        printf 'name: x\nplugins:\n  - name: %s\n' "$1" >"$T/$1.yaml"
        run rw --recipe "$T/$1.yaml" --plugins "$T/p" --input "$W/guest.qcow2" --output "$T/o.qcow2"
}

@test "image errors: a missing input, a corrupt qcow2, a full output file system, libcvm without its libraries, a guest a plugin does not support" {
        run rw --recipe "$ROOT/recipes/example.yaml" "${P[@]}" --input "$T/none.qcow2" --output "$T/o.qcow2"
        [ "$status" -eq 5 ]
        [[ "$output" == *"--input $T/none.qcow2: No such file or directory"* ]]
        { printf 'QFI\xfb\0\0\0\3'; head -c 4096 /dev/urandom; } >"$T/corrupt.qcow2"
        sum=$(sha256sum <"$T/corrupt.qcow2")
        run rw --recipe "$ROOT/recipes/example.yaml" "${P[@]}" --input "$T/corrupt.qcow2" --output "$T/o.qcow2"
        [ "$status" -eq 5 ]
        [ ! -e "$T/o.qcow2" ] && [ "$(sha256sum <"$T/corrupt.qcow2")" = "$sum" ]
        [ "$(ls -A "$T" | grep -c cvm-rewrite)" -eq 0 ]

        # 2 MiB of tmpfs: the overlay outgrows it or the converted image does not fit.
        mkdir -p "$T/small"
        mount -t tmpfs -o size=2M tmpfs "$T/small"
        run rw --recipe "$ROOT/recipes/example.yaml" "${P[@]}" --input "$W/guest.qcow2" --output "$T/small/o.qcow2"
        left=$(ls -A "$T/small")
        umount "$T/small"
        [ "$status" -eq 5 ]
        [ -z "$left" ]
        [ "$(sha256sum <"$W/guest.qcow2")" = "$(cat "$W/guest.sha")" ]

        # library, install: yes: libcvm would not load on the guest's libraries, so the rewrite fails, naming them.
        rewrite_with lib $'name: lib\ndescription: d\nsteps:\n  - library: {}'
        [ "$status" -eq 5 ]
        [[ "$output" == *"40-lib/plugin.yaml:4:5: step library (plugin lib): libcvm would not load in this guest (install the guest's packages for these first, or use install: auto): not in its /etc/ld.so.cache: libnettle.so.8 libjson-c.so.5 "* ]]
        [ ! -e "$T/o.qcow2" ]

        rewrite_with fedora-only $'name: fedora-only\ndescription: d\nfamilies: [fedora]\nsteps:\n  - touch: {path: /x}'
        [ "$status" -eq 4 ]
        [[ "$output" == *"plugin fedora-only does not support this guest (linux debian 12.5)"* ]]
        [ ! -e "$T/o.qcow2" ]
}

# Until a rewrite writing its progress to $1 has its appliance up (60 s at most).
wait_for_launch() {
        for _ in $(seq 1 120); do
                grep -q "appliance up" "$1" && return 0
                sleep 0.5
        done
}

@test "SIGTERM in the middle: exit 143, the appliance shut down, no output, no temporary left" {
        "$RW" --recipe "$ROOT/recipes/example.yaml" "${P[@]}" --input "$W/guest.qcow2" --output "$T/t.qcow2" 2>"$T/t.err" &
        pid=$!
        wait_for_launch "$T/t.err"
        kill -TERM "$pid"
        rc=0
        wait "$pid" || rc=$?
        cat "$T/t.err"
        [ "$rc" -eq 143 ]
        grep -q "interrupted by signal 15" "$T/t.err"
        [ ! -e "$T/t.qcow2" ]
        [ "$(ls -A "$T" | grep -c cvm-rewrite)" -eq 0 ]
        [ "$(sha256sum <"$W/guest.qcow2")" = "$(cat "$W/guest.sha")" ]
}

@test "SIGKILL in the middle: the input unchanged, no output, named temporaries that the next run removes" {
        "$RW" --recipe "$ROOT/recipes/example.yaml" "${P[@]}" --input "$W/guest.qcow2" --output "$T/k.qcow2" 2>"$T/k.err" &
        pid=$!
        wait_for_launch "$T/k.err"
        kill -9 "$pid"
        wait "$pid" || true
        [ ! -e "$T/k.qcow2" ]
        [ "$(sha256sum <"$W/guest.qcow2")" = "$(cat "$W/guest.sha")" ]
        ls -A "$T" | grep -q "^\.k\.qcow2\.cvm-rewrite\.$pid\."
        sleep 2
        { printf 'QFI\xfb\0\0\0\3'; head -c 512 /dev/urandom; } >"$T/corrupt.qcow2"
        run rw --recipe "$ROOT/recipes/example.yaml" "${P[@]}" --input "$T/corrupt.qcow2" --output "$T/k.qcow2"
        [ "$status" -eq 5 ]
        [[ "$output" == *"left by an interrupted run (PID $pid)"* ]]
        [ "$(ls -A "$T" | grep -c cvm-rewrite)" -eq 0 ]
}

@test "an input written during the rewrite: exit 5 naming it, no output (its digest was taken while the appliance started)" {
        cp "$W/guest.qcow2" "$T/in.qcow2"
        "$RW" --recipe "$ROOT/recipes/example.yaml" "${P[@]}" --input "$T/in.qcow2" --output "$T/w.qcow2" 2>"$T/w.err" &
        pid=$!
        wait_for_launch "$T/w.err"
        # Past the image's end: qemu reads on, but the file is no longer the one hashed.
        printf x >>"$T/in.qcow2"
        rc=0
        wait "$pid" || rc=$?
        cat "$T/w.err"
        [ "$rc" -eq 5 ]
        grep -qF -- "--input $T/in.qcow2 changed during the rewrite" "$T/w.err"
        [ ! -e "$T/w.qcow2" ] && [ ! -e "$T/w.qcow2.manifest.json" ]
        [ "$(ls -A "$T" | grep -c cvm-rewrite)" -eq 0 ]
}

# ---------------------------------------------------------------------------
# Issue 14 (hostile input), the cases that need a running appliance; the
# checks before any launch are in hostile-rewrite.bats.  One rewrite each,
# several checks per rewrite (a launch costs ~20 s under TCG).

@test "hostile plugin, one launch: ima-label on /-delete labels that folder (find is not given -delete), host sources read by descriptor, a secret in no progress line, message or manifest" {
        mkdir -p "$T/p/40-hostile/files/d"
        echo from-files >"$T/p/40-hostile/files/f"
        echo in-tree >"$T/p/40-hostile/files/d/g"
        rewrite_with hostile "name: hostile
description: issue 14's appliance cases
params:
  secret_token: {type: string, description: a secret}
steps:
  - run: {command: \"mkdir -p '/opt/-delete/sub' && echo keep > /opt/-delete/sub/f && echo keep > /opt/keep\"}
  - ima-label: {paths: [/opt/-delete]}
  - run: {command: \"echo '\${secret_token}' > /opt/token\"}
  - copy: {src: f, dest: /opt/copied, mode: '0600'}
  - initrd-append: {add: ['f:/etc/hostile-f'], tree: ['d:/etc/hostile-d']}"
        # rewrite_with passes no --set: the secret comes from the recipe.
        printf 'name: x\nplugins:\n  - name: hostile\n    params: {secret_token: To-SeCrEt-42}\n' >"$T/hostile.yaml"
        run rw --recipe "$T/hostile.yaml" --plugins "$T/p" --input "$W/guest.qcow2" --output "$T/o.qcow2"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"[3/5] run (hidden)"* ]]
        [[ "$output" != *SeCrEt* ]]
        ! grep -q SeCrEt "$T/o.qcow2.manifest.json"
        [ "$(jq -r '.steps[2].args.command' "$T/o.qcow2.manifest.json")" = "(not recorded)" ]
        mkdir -p "$T/back"
        timeout -k 10 600 guestfish --ro --format=qcow2 -a "$T/o.qcow2" -m /dev/sda1 \
                cat /opt/keep : cat /opt/-delete/sub/f : cat /etc/os-release : lgetxattrs /opt/-delete/sub/f : \
                cat /opt/token : cat /opt/copied : stat /opt/copied : copy-out /boot "$T/back" >"$T/read.txt"
        grep -qx keep "$T/read.txt"
        grep -q '^ID=debian' "$T/read.txt"
        grep -q 'attrname: security.ima' "$T/read.txt"
        grep -qx To-SeCrEt-42 "$T/read.txt"
        grep -qx from-files "$T/read.txt"
        grep -qx 'mode: 33152' "$T/read.txt"
        initrd=$(ls "$T"/back/boot/initrd.img-*)
        "$I" list "$initrd" | grep -q ' etc/hostile-f$'
        "$I" list "$initrd" | grep -q ' etc/hostile-d/g$'
}

@test "password: a guest /etc/shadow listing the user twice is refused with its lines (it overflowed the heap), the password shown nowhere, no output" {
        rewrite_with dupshadow "name: dupshadow
description: a guest whose shadow lists debian twice
steps:
  - append-line: {path: /etc/shadow, line: 'debian:*:19001:0:99999:7:::'}
  - password: {user: debian, password: Pw-SeCrEt-7}"
        echo "$output"
        [ "$status" -eq 5 ]
        [[ "$output" == *"step password (plugin dupshadow): the guest's /etc/shadow: user 'debian' is listed twice (lines 2 and 3); refusing to guess which one the guest uses"* ]]
        [[ "$output" != *SeCrEt* ]]
        [ ! -e "$T/o.qcow2" ]
        [ "$(sha256sum <"$W/guest.qcow2")" = "$(cat "$W/guest.sha")" ]
}

# ---- The boot kernel's capabilities (issue 15): a TDX target refused on a kernel its TD could not measure with,
# ---- accepted (and recorded) on one that can; the tdx_guest module in the appended initramfs.

# The test guest's kernel version (make-guest.sh's: the host's newest that /boot has).
guest_kernel() {
        for k in $(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V); do if [ -f "/boot/vmlinuz-$k" ] && [ -f "/boot/config-$k" ]; then echo "$k"; fi; done | tail -n1
}

# The test guest as a TDX-capable kernel (a copy: cvm-rewrite refuses an input with a backing file; one guestfish launch): /boot/config-VERSION of a 6.16+
# kernel with the driver a module, and the module tree (any ELF object stands in for a .ko: only the layout counts).
tdx_guest_image() {
        local k d=kernel/drivers/virt/coco
        k=$(guest_kernel)
        printf 'CONFIG_INTEL_TDX_GUEST=y\nCONFIG_TSM_REPORTS=m\nCONFIG_TSM_MEASUREMENTS=y\nCONFIG_TDX_GUEST_DRIVER=m\n# CONFIG_TCG_TPM is not set\n' >"$T/config"
        printf '%s\n' "$d/tdx-guest/tdx-guest.ko: $d/guest/tsm_report.ko $d/guest/tsm.ko" "$d/guest/tsm_report.ko: $d/guest/tsm.ko" \
                "$d/guest/tsm.ko:" >"$T/modules.dep"
        cp "$W/guest.qcow2" "$1"
        timeout -k 10 600 guestfish -a "$1" -m /dev/sda1 <<GF
upload $T/config /boot/config-$k
mkdir-p /lib/modules/$k/$d/tdx-guest
mkdir-p /lib/modules/$k/$d/guest
upload /bin/true /lib/modules/$k/$d/tdx-guest/tdx-guest.ko
upload /bin/true /lib/modules/$k/$d/guest/tsm.ko
upload /bin/true /lib/modules/$k/$d/guest/tsm_report.ko
upload $T/modules.dep /lib/modules/$k/modules.dep
mkdir-p /usr/sbin
GF
        echo "$k"
}

@test "--plan: target and tdx_extend say what the rewrite will check of the boot kernel" {
        printf 'name: t\ntarget: tdx\nplugins:\n  - name: motd\n' >"$T/t.yaml"
        run rw --recipe "$T/t.yaml" --plugins "$ROOT/plugins" --plan
        [ "$status" -eq 0 ]
        [[ "$output" == *"target tdx: after inspection and again after the steps, the boot kernel must run as a TD with the tdx_guest driver (CONFIG_INTEL_TDX_GUEST=y, CONFIG_TDX_GUEST_DRIVER=y or =m with tdx-guest.ko* in /lib/modules/VERSION), extend RTMRs (CONFIG_TSM_MEASUREMENTS=y, Linux 6.16+) and produce quotes (CONFIG_TSM_REPORTS); else exit 5"* ]]
        printf 'name: t\ntarget: both\ntdx_extend: ioctl\nplugins:\n  - name: motd\n' >"$T/t.yaml"
        run rw --recipe "$T/t.yaml" --plugins "$ROOT/plugins" --plan
        [[ "$output" == *"target both: "*"have a TPM driver (CONFIG_TCG_TPM) and run as a TD"*"the recipe's assertion (tdx_extend: ioctl), not checked"* ]]
        run rw --recipe "$T/t.yaml" --plugins "$ROOT/plugins" --plan --json
        [ "$(jq -r '"\(.target) \(.tdx_extend)"' <<<"$output")" = "both ioctl" ]
        # No target: nothing checked, as every recipe before it.
        run rw --recipe "$ROOT/recipes/minimal.yaml" --plugins "$ROOT/plugins" --plan
        [[ "$output" == *"target none: the boot kernel's capabilities are recorded in the manifest, not checked"* ]]
        # The TDX recipes are targets; 24.04's installs its kernel, so the check after the steps decides.
        for r in ubuntu-24.04-tdx ubuntu-22.04-tdx debian-12-tdx; do
                run rw --recipe "$ROOT/recipes/$r.yaml" --plugins "$ROOT/plugins" --plan --json --set user.ssh_key=k
                [ "$(jq -r .target <<<"$output")" = tdx ]
        done
        run rw --recipe "$ROOT/recipes/ubuntu-24.04-tdx.yaml" --plugins "$ROOT/plugins" --plan --set user.ssh_key=k
        [[ "$output" == *"target tdx: after the steps (a plugin changes the boot kernel; after inspection the image's own is only reported)"* ]]
        [[ "$output" == *"apt-get install -q -y -o Dpkg::Options::=--force-confold 'linux-generic-hwe-24.04' && update-grub"* ]]
        run rw --recipe "$ROOT/recipes/debian-12-tdx.yaml" --plugins "$ROOT/plugins" --plan --set user.ssh_key=k
        [[ "$output" == *"target tdx: after inspection and again after the steps"* ]]
        # A kernel package name that is not one is refused (it reaches a run step).
        run rw --recipe "$ROOT/recipes/ubuntu-24.04-tdx.yaml" --plugins "$ROOT/plugins" --plan --set user.ssh_key=k \
                --set "distro-kernel.package=x';reboot'"
        [ "$status" -eq 2 ]
        [[ "$output" == *"parameter 'package' must match"* ]]
}

@test "target tdx on the test guest's kernel (Debian 12's 6.1, no TDX): exit 5 right after inspection, what it lacks and the fix, no output" {
        printf 'name: t\ntarget: tdx\nplugins:\n  - name: cvm-measurer\n' >"$T/t.yaml"
        run rw --recipe "$T/t.yaml" --plugins "$ROOT/plugins" --input "$W/guest.qcow2" --output "$T/o.qcow2"
        echo "$output"
        [ "$status" -eq 5 ]
        [[ "$output" == *"after inspection: target tdx: the boot kernel $(guest_kernel) cannot extend RTMRs or produce quotes on a TD: it lacks CONFIG_INTEL_TDX_GUEST=y"* ]]
        [[ "$output" == *"CONFIG_TSM_MEASUREMENTS=y (the RTMR extend sysfs, Linux 6.16+)"*"CONFIG_TSM_REPORTS"* ]]
        [[ "$output" == *"Fix: install a kernel that has them with the guest-kernel plugin (06-guest-kernel"*"a 6.16+ kernel, e.g. from trixie-backports"* ]]
        # Before any step ran, and nothing left.
        [[ "$output" != *"plugin cvm-measurer ("* ]]
        [ -z "$(ls -A "$T" | grep -v '^t.yaml$')" ]
        [ "$(sha256sum <"$W/guest.qcow2")" = "$(cat "$W/guest.sha")" ]
}

@test "target tdx on a kernel that can: accepted, the manifest records why, the initramfs carries tdx_guest and its dependencies" {
        local k
        k=$(tdx_guest_image "$T/tdx.qcow2")
        printf 'name: t\ntarget: tdx\nplugins:\n  - name: cvm-measurer\n' >"$T/t.yaml"
        run rw --recipe "$T/t.yaml" --plugins "$ROOT/plugins" --input "$T/tdx.qcow2" --output "$T/o.qcow2"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"boot kernel $k (after inspection): TDX read yes, extend yes, quote yes; TPM no"* ]]
        [[ "$output" == *"boot kernel $k (after the steps): TDX read yes, extend yes, quote yes; TPM no"* ]]
        m="$T/o.qcow2.manifest.json"
        [ "$(jq -r '.boot_kernel | "\(.version) \(.config.TDX_GUEST_DRIVER) \(.config.TSM_MEASUREMENTS) \(.config.TCG_TPM)"' "$m")" = "$k m y unset" ]
        [ "$(jq -r '.boot_kernel | "\(.tdx_read.basis) \(.tdx_extend.basis) \(.tdx_quote.basis) \(.tpm.yes)"' "$m")" = "config+module config config false" ]
        [ "$(jq -r .boot_kernel.tdx_module "$m")" = "/lib/modules/$k/kernel/drivers/virt/coco/tdx-guest/tdx-guest.ko" ]
        [ "$(jq -r '.recipe.target' "$m")" = tdx ]
        # The reproducible part, not build.
        [ "$(jq -r '.build.boot_kernel' "$m")" = null ]
        mkdir "$T/back"
        timeout -k 10 600 guestfish --ro -a "$T/o.qcow2" -m /dev/sda1 copy-out /boot "$T/back"
        "$I" list "$T/back/boot/initrd.img-$k" >"$T/list"
        grep -q "lib/modules/$k/kernel/drivers/virt/coco/tdx-guest/tdx-guest.ko$" "$T/list"
        grep -q "lib/modules/$k/kernel/drivers/virt/coco/guest/tsm.ko$" "$T/list"
        # cvm-measure dlopen()s libcrypto and (for a TPM) libtss2: the bundle carries them (and what they link) though ldd does not list them.
        for l in libcrypto.so.3 libtss2-esys.so.0 libtss2-mu.so.0 libtss2-rc.so.0 libtss2-tctildr.so.0 libtss2-sys.so.1 libtss2-tcti-device.so.0; do
                grep -q " usr/lib/cvm/bundle/lib/$l$" "$T/list" || { echo "no $l in the bundle"; false; }
        done
        "$I" extract "$T/back/boot/initrd.img-$k" "$T/x" "lib/modules/$k/cvm-modules" >/dev/null
        [ "$(cat "$T/x/lib/modules/$k/cvm-modules")" = "kernel/drivers/virt/coco/guest/tsm.ko
kernel/drivers/virt/coco/guest/tsm_report.ko
kernel/drivers/virt/coco/tdx-guest/tdx-guest.ko" ]
}

@test "target tdx: a step that takes the kernel's capability away is refused after the steps, no output" {
        local k
        k=$(tdx_guest_image "$T/tdx.qcow2")
        mkdir -p "$T/p/40-drop"
        printf 'name: drop\ndescription: d\nsteps:\n  - delete: {path: /boot/config-%s}\n' "$k" >"$T/p/40-drop/plugin.yaml"
        printf 'name: t\ntarget: tdx\nplugins:\n  - name: drop\n' >"$T/t.yaml"
        run rw --recipe "$T/t.yaml" --plugins "$T/p" --input "$T/tdx.qcow2" --output "$T/o.qcow2"
        echo "$output"
        [ "$status" -eq 5 ]
        [[ "$output" == *"after the steps: target tdx: the boot kernel $k cannot extend RTMRs or produce quotes on a TD: it lacks no /boot/config-$k"* ]]
        [ ! -e "$T/o.qcow2" ] && [ ! -e "$T/o.qcow2.manifest.json" ]
}

@test "local-bottom: on a TD the modules cvm-rewrite appended are loaded by path, dependencies first, after modprobe" {
        mkdir -p "$T/scripts" "$T/root" "$T/mods"
        printf 'panic() { echo "PANIC: $*"; exit 99; }\nlog_begin_msg() { :; }\nlog_end_msg() { :; }\n' >"$T/scripts/functions"
        printf '#!/bin/sh\necho "modprobe $*" >>"%s"; exit 1\n' "$T/calls" >"$T/modprobe"
        printf '#!/bin/sh\necho "insmod $*" >>"%s"\n' "$T/calls" >"$T/insmod"
        printf '#!/bin/sh\necho "measure" >>"%s"\n' "$T/calls" >"$T/measure"
        chmod +x "$T/modprobe" "$T/insmod" "$T/measure"
        printf 'a/tsm.ko\nb/tdx-guest.ko\n' >"$T/mods/cvm-modules"
        printf 'flags\t\t: fpu tdx_guest\n' >"$T/cpuinfo"
        run env rootmnt="$T/root" CVM_SCRIPTS="$T/scripts" CVM_MEASURE="$T/measure" CVM_MODPROBE="$T/modprobe" \
                CVM_INSMOD="$T/insmod" CVM_MODULES="$T/mods" CVM_CPUINFO="$T/cpuinfo" \
                sh "$ROOT/plugins/50-cvm-measurer/files/initramfs-tools/scripts/local-bottom/cvm-measure"
        [ "$status" -eq 0 ]
        [ "$(cat "$T/calls")" = "modprobe -q -a tdx_guest tsm_report tsm configfs
insmod $T/mods/a/tsm.ko
insmod $T/mods/b/tdx-guest.ko
measure" ]
}
