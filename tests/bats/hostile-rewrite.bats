#!/usr/bin/env bats
# cvm-rewrite on hostile recipes and plugins: every case is refused before an
# appliance is launched (the recipe and its plugins are loaded and checked
# first), so each runs in well under a second, also under valgrind.  A plugin
# is untrusted: it must not read the build host outside its files/, hand the
# appliance a path that reads as an option, or leak a secret parameter.

bats_require_minimum_version 1.5.0

load hostile

setup() {
        hostile_setup
        # A launch by mistake must not hang on KVM.
        export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
        echo 'not an image' >"$IN/guest.img"
        mkdir -p "$IN/p/30-evil/files/d"
        echo inside >"$IN/p/30-evil/files/f"
        echo inside >"$IN/p/30-evil/files/d/g"
        printf 'name: hostile\nplugins:\n  - name: evil\n' >"$IN/r.yaml"
        PY="$IN/p/30-evil/plugin.yaml"
}

# evil STEP-LINES...: the plugin "evil" with these steps (and PARAMS, if set, as its params block).
evil() {
        {
                printf 'name: evil\ndescription: a hostile plugin\n'
                [ -z "${PARAMS:-}" ] || printf 'params:\n%s\n' "$PARAMS"
                printf 'steps:\n'
                printf '  - %s\n' "$@"
        } >"$IN/p/30-evil/plugin.yaml"
}

# rewrite ARGS...: the run that would write $OUT/o.qcow2 (a bad recipe stops it before any launch).
rewrite() {
        echo "$RW" --recipe "$IN/r.yaml" --plugins "$IN/p" --input "$IN/guest.img" --output "$OUT/o.qcow2" "$@"
}

plan() {
        echo "$RW" --recipe "$IN/r.yaml" --plugins "$IN/p" --plan "$@"
}

# --- host sources: one rule for every step kind that reads the build host

@test "initrd-append add: a source climbing out with .. is refused at --plan and before the run" {
        evil 'initrd-append: {add: ["../../../../etc/shadow:/etc/leaked"]}'
        bad 2 "*30-evil/plugin.yaml:4:*initrd-append*host source '../../../../etc/shadow' must be a path relative to the plugin's files/*" $(plan)
        bad 2 "*30-evil/plugin.yaml:4:*host source '../../../../etc/shadow'*" $(rewrite)
}

@test "initrd-append add: an absolute host source is refused" {
        evil 'initrd-append: {add: ["/etc/passwd:/etc/leaked"]}'
        bad 2 "*30-evil/plugin.yaml:4:*host source '/etc/passwd' must be a path relative*" $(rewrite)
}

@test "initrd-append tree: an absolute host folder is refused" {
        evil 'initrd-append: {tree: ["/etc/ssh:/etc/s"]}'
        bad 2 "*30-evil/plugin.yaml:4:*host source '/etc/ssh' must be a path relative*" $(rewrite)
}

@test "initrd-append tree: a file where a folder is expected is refused" {
        evil 'initrd-append: {tree: ["f:/etc/s"]}'
        bad 2 "*30-evil/plugin.yaml:4:*host source 'f' is a regular file, expected a directory*" $(plan)
}

@test "initrd-append add: a symlink in files/ to the plugin's own folder (out of files/) is refused" {
        ln -s ../plugin.yaml "$IN/p/30-evil/files/up"
        evil 'initrd-append: {add: ["up:/etc/leaked"]}'
        bad 2 "*30-evil/plugin.yaml:4:*host source 'up': a symlink leads out of the plugin's files/*" $(rewrite)
}

@test "a symlink that climbs out of the plugin and back in is refused when the plugin is read" {
        ln -s ../../30-evil/files/f "$IN/p/30-evil/files/round"
        evil 'copy: {src: round, dest: /etc/x}'
        bad 2 "*30-evil/files/round: a symlink out of the plugin folder*" $(plan)
}

@test "copy: src with .. or absolute is refused" {
        evil 'copy: {src: ../plugin.yaml, dest: /etc/x}'
        bad 2 "*30-evil/plugin.yaml:4:*step copy: host source '../plugin.yaml' must be a path relative*" $(rewrite)
        evil 'copy: {src: /etc/hostname, dest: /etc/x}'
        bad 2 "*30-evil/plugin.yaml:4:*step copy: host source '/etc/hostname'*" $(rewrite)
}

@test "copy: a source missing from files/ is refused at --plan, not after a launch" {
        evil 'copy: {src: nothere, dest: /etc/x}'
        bad 2 "*30-evil/plugin.yaml:4:*host source 'nothere': No such file or directory*" $(rewrite)
}

@test "install: an absolute package path is refused" {
        evil 'install: {files: [/var/cache/apt/archives/evil.deb]}'
        bad 2 "*30-evil/plugin.yaml:4:*step install: host source '/var/cache/apt/archives/evil.deb'*" $(rewrite)
}

@test "kernel: a package that is not a file the user gave a host-files parameter is refused" {
        evil 'kernel: {packages: [/etc/shadow]}'
        bad 2 "*30-evil/plugin.yaml:4:*package '/etc/shadow' is not a file given to one of the plugin's host-files parameters*" $(rewrite)
}

# --- guest paths handed to a command in the appliance

@test "ima-label: a path that reads as an option (-delete) is refused at --plan" {
        evil 'ima-label: {paths: ["-delete"]}'
        bad 2 "*30-evil/plugin.yaml:4:*step ima-label: '-delete' must be an absolute guest path*" $(plan)
}

@test "ima-label: '..' in a path, and a hash the appliance has no tool for, are refused at --plan" {
        evil 'ima-label: {paths: ["/usr/../../etc"]}'
        bad 2 "*step ima-label: '/usr/../../etc' must be an absolute guest path*" $(plan)
        evil 'ima-label: {paths: ["/usr"], hash: md5}'
        bad 2 "*step ima-label: hash 'md5': expected sha1, sha256, sha384 or sha512*" $(plan)
}

@test "every guest path argument must be absolute: a '-' first is refused (mkdir, delete, move, chmod)" {
        local s
        for s in 'mkdir: {path: -rf}' 'delete: {path: "-x"}' 'move: {src: -a, dest: /b}' 'chmod: {path: --help, mode: "0644"}'; do
                evil "$s"
                bad 2 "*30-evil/plugin.yaml:4:*guest path '-*' must be absolute*" $(plan)
        done
}

@test "initrd-append guest and bundle prefix: relative or '-' paths are refused" {
        evil 'initrd-append: {guest: ["-delete"]}'
        bad 2 "*guest path '-delete' must be absolute*" $(plan)
        evil 'bundle: {programs: [cvm-measure], prefix: "-x"}'
        bad 2 "*prefix '-x' must be an absolute guest folder*" $(plan)
}

# --- argument values

@test "a mode that is not octal up to 7777 is refused" {
        evil 'mkdir: {path: /x, mode: "0999"}'
        bad 2 "*30-evil/plugin.yaml:4:*mode '0999' is not octal up to 7777*" $(plan)
        evil 'chmod: {path: /x, mode: "77777"}'
        bad 2 "*mode '77777' is not octal up to 7777*" $(plan)
}

@test "password: a hash that could forge a shadow line is refused, and not shown" {
        evil 'password: {user: root, hash: "$6$salt$forged:0:0\nroot::"}'
        bad 2 "*30-evil/plugin.yaml:4:*step password: hash must be a crypt*" $(plan)
        [[ "$stderr" != *forged* ]]
}

# --- parameters and --set

@test "--set of a key no parameter has is refused, naming the nearest" {
        bad 2 "*--set os_pcrr: no parameter 'os_pcrr' in the recipe*(did you mean 'os_pcr'?)*" \
                "$RW" --recipe "$BATS_TEST_DIRNAME/../../recipes/minimal.yaml" --plugins "$BATS_TEST_DIRNAME/../../plugins" \
                --plan --set os_pcrr=23
}

@test "an int parameter out of its declared range is refused at --plan, from --set and from the recipe's line" {
        local plugins="$BATS_TEST_DIRNAME/../../plugins"
        bad 2 "*--set os_pcr: parameter 'os_pcr' is an int from 0 to 23, got '99'*" \
                "$RW" --recipe "$BATS_TEST_DIRNAME/../../recipes/minimal.yaml" --plugins "$plugins" --plan --set os_pcr=99
        printf 'name: m\nplugins:\n  - name: cvm-measurer\n    params: {os_rtmr: 4}\n' >"$IN/m.yaml"
        bad 2 "*$IN/m.yaml:4:*parameter 'os_rtmr' is an int from 0 to 3, got '4'*" "$RW" --recipe "$IN/m.yaml" --plugins "$plugins" --plan
}

@test "a string parameter outside its declared values is refused" {
        printf 'name: m\nplugins:\n  - name: cvm-measurer\n    params: {on_error: maybe}\n' >"$IN/m.yaml"
        bad 2 "*$IN/m.yaml:4:*parameter 'on_error' is one of halt, continue, got 'maybe'*" \
                "$RW" --recipe "$IN/m.yaml" --plugins "$BATS_TEST_DIRNAME/../../plugins" --plan
}

@test "user.user that reads as an option (-x) or holds a shell quote is refused at --plan by its pattern" {
        local plugins="$BATS_TEST_DIRNAME/../../plugins"
        printf 'name: m\nplugins:\n  - name: user\n    params: {ssh_key: k}\n' >"$IN/m.yaml"
        # (The pattern is in the message: matched here with ? for its bracket characters.)
        bad 2 "*--set user.user: parameter 'user' must match ^?a-z_??a-z0-9_-?{0,31}\$, got '-x'*" \
                "$RW" --recipe "$IN/m.yaml" --plugins "$plugins" --plan --set user.user=-x
        bad 2 "*--set user.user: parameter 'user' must match *, got 'a'b'*" \
                "$RW" --recipe "$IN/m.yaml" --plugins "$plugins" --plan --set "user.user=a'b"
        printf 'name: m\nplugins:\n  - name: user\n    params: {ssh_key: k, user: Root}\n' >"$IN/m.yaml"
        bad 2 "*$IN/m.yaml:4:*parameter 'user' must match*got 'Root'*" "$RW" --recipe "$IN/m.yaml" --plugins "$plugins" --plan
}

@test "plugin.yaml: a pattern that is not anchored, does not compile, or is on an int is refused" {
        PARAMS='  s: {type: string, pattern: "[a-z]+", default: a, description: d}' evil 'mkdir: {path: /x}'
        bad 2 "*30-evil/plugin.yaml:4:*parameter 's': pattern must be an anchored POSIX extended regular expression*" $(plan)
        PARAMS='  s: {type: string, pattern: "^[a-$", default: a, description: d}' evil 'mkdir: {path: /x}'
        bad 2 "*parameter 's': pattern '^[a-\$'*" $(plan)
        PARAMS='  s: {type: int, pattern: "^[0-9]$", default: "1", description: d}' evil 'mkdir: {path: /x}'
        bad 2 "*parameter 's': pattern is for a string parameter*" $(plan)
        PARAMS='  s: {type: string, pattern: "^[a-z]$", default: "ab", description: d}' evil 'mkdir: {path: /x}'
        bad 2 "*parameter 's' must match ^?a-z?\$, got 'ab'*" $(plan)
}

@test "recipe target and tdx_extend: an unknown value is refused with the accepted ones" {
        printf 'name: m\ntarget: sgx\nplugins:\n  - name: motd\n' >"$IN/m.yaml"
        bad 2 "*$IN/m.yaml:2:*target: expected none, tpm, tdx or both*" "$RW" --recipe "$IN/m.yaml" --plugins "$BATS_TEST_DIRNAME/../../plugins" --plan
        printf 'name: m\ntarget: tdx\ntdx_extend: [ioctl]\nplugins:\n  - name: motd\n' >"$IN/m.yaml"
        bad 2 "*$IN/m.yaml:3:*tdx_extend: expected auto, sysfs or ioctl*" "$RW" --recipe "$IN/m.yaml" --plugins "$BATS_TEST_DIRNAME/../../plugins" --plan
}

@test "plugin.yaml: min without max, or min above max, is refused" {
        PARAMS='  n: {type: int, min: 5, max: 1, default: "3", description: d}' evil 'mkdir: {path: /x}'
        bad 2 "*30-evil/plugin.yaml:4:*parameter 'n': min and max go together, on an int, min <= max*" $(plan)
        PARAMS='  n: {type: string, min: 1, description: d}' evil 'mkdir: {path: /x}'
        bad 2 "*parameter 'n': min and max go together*" $(plan)
}

# --- secrets

@test "a secret parameter's value is in no --plan output, text or JSON, wherever it was substituted" {
        PARAMS='  password_hash: {type: string, description: d}' \
                evil 'run: {command: "usermod -p '"'"'${password_hash}'"'"' root"}' 'write: {path: /etc/h, content: "${password_hash}"}'
        run timeout 60 "$RW" --recipe "$IN/r.yaml" --plugins "$IN/p" --plan --set evil.password_hash='$6$SeCrEt$HaSh'
        [ "$status" -eq 0 ]
        [[ "$output" == *'run command=(hidden)'* ]]
        [[ "$output" != *SeCrEt* ]]
        run timeout 60 "$RW" --recipe "$IN/r.yaml" --plugins "$IN/p" --plan --json --set evil.password_hash='$6$SeCrEt$HaSh'
        [ "$status" -eq 0 ]
        [ "$(jq -r '.plugins[0].steps[0].args.command' <<<"$output")" = "(not recorded)" ]
        [[ "$output" != *SeCrEt* ]]
}

@test "a secret parameter's value is in no error message" {
        PARAMS='  secret_dir: {type: string, description: d}' evil 'mkdir: {path: "/srv/${secret_dir}/.."}'
        bad 2 "*30-evil/plugin.yaml:6:*guest path '/srv/(hidden)/..' must be absolute*" $(rewrite --set evil.secret_dir=SeCrEt)
        [[ "$stderr$output" != *SeCrEt* ]]
        PARAMS='  n_secret: {type: int, description: d}' evil 'mkdir: {path: /x}'
        bad 2 "*parameter 'n_secret' is an int, got '(hidden)'*" $(plan --set evil.n_secret=SeCrEt)
        [[ "$stderr$output" != *SeCrEt* ]]
}

# --- the recipe file itself

@test "broken YAML is refused with file:line:column, in the recipe and in a plugin.yaml" {
        printf 'name: x\nplugins: [\n  - name: evil\n' >"$IN/r.yaml"
        bad 2 "*$IN/r.yaml:*:*: YAML error*" $(plan)
        printf 'name: hostile\nplugins:\n  - name: evil\n' >"$IN/r.yaml"
        printf 'name: evil\ndescription: d\nsteps:\n  - mkdir: {path: /x\n' >"$PY"
        bad 2 "*30-evil/plugin.yaml:5:1: YAML error*" $(plan)
}

@test "a recipe that is a FIFO, a directory or larger than 1 MiB is refused without reading it" {
        mkfifo "$IN/fifo.yaml"
        bad 2 "*$IN/fifo.yaml: a FIFO, expected a regular file*" "$RW" --recipe "$IN/fifo.yaml" --plugins "$IN/p" --plan
        bad 2 "*$IN/p: a directory, expected a regular file*" "$RW" --recipe "$IN/p" --plugins "$IN/p" --plan
        head -c 2000000 /dev/zero | tr '\0' '#' >"$IN/huge.yaml"
        bad 2 "*$IN/huge.yaml: 2000000 bytes, larger than the 1 MiB limit*" "$RW" --recipe "$IN/huge.yaml" --plugins "$IN/p" --plan
}

@test "a plugin.yaml that is a FIFO is refused, not waited on" {
        evil 'mkdir: {path: /x}'
        rm "$PY" && mkfifo "$PY"
        bad 2 "*30-evil/plugin.yaml: a FIFO, expected a regular file*" $(plan)
}
