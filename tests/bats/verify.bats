#!/usr/bin/env bats
# cvm-evidence verify: a runtime log against a manifest's reference values
# (what cvm-rewrite predicts with cvm-measure's dry run), offline with --log:
# a match, a changed file named with its register, a missing and an extra
# event, a changed identity string, and bad manifests.  The live form runs in
# the closed loop (tests/e2e), against a booted guest's PCRs.

bats_require_minimum_version 1.5.0

load helpers

make_tree() {
        mkdir -p "$1/boot" "$1/etc/app" "$1/usr/bin" "$1/proc"
        printf 'kernel\n' >"$1/boot/vmlinuz-6.1"
        printf 'a=1\n' >"$1/etc/app/app.conf"
        printf 'b=2\n' >"$1/etc/app/other.conf"
        head -c 100000 /dev/urandom >"$1/usr/bin/agent"
        printf 'root=/dev/vda1 quiet\n' >"$1/proc/cmdline"
        cat >"$1/policy.yaml" <<'YAML'
version: 1
groups:
  - name: os
    class: os
    on_missing: event
    items:
      - cmdline: true
      - glob: /boot/vmlinuz-*
      - tree: /etc/app
      - file: /usr/bin/agent
  - name: identity
    class: cloud-native
    items:
      - string: cluster=prod
YAML
}

# manifest SPACE: a manifest whose reference values are the dry run of the tree (as cvm-rewrite writes them).
manifest() {
        local args=(--dry-run --root "$T/r" --proc "$T/r/proc" --policy "$T/r/policy.yaml" --json)
        [ "$1" = tpm ] && args+=(--backend tpm2 --bank sha256 --bank sha384)
        "$M" "${args[@]}" 2>/dev/null | jq --arg s "$1" '{reference_values: {measurer: true, ($s): {events: [.events[] | {index, kind, item, data, (.alg): .digest}], registers}}}'
}

# measure SPACE LOG: measure the tree with the sim backend into a fresh register file, runtime log LOG.
measure() {
        rm -f "$T/regs.$1"
        "$M" --backend sim --sim-state "$T/regs.$1" --sim-space "$([ "$1" = tpm ] && echo pcr || echo cc-mr)" \
                --root "$T/r" --proc "$T/r/proc" --policy "$T/r/policy.yaml" --log "$2" >/dev/null 2>&1
}

@test "verify --log: the boot's runtime log matches the manifest, on TDX (RTMR, sha384) and TPM (PCR, sha256)" {
        make_tree "$T/r"
        for s in tdx tpm; do
                manifest "$s" >"$T/m.$s.json"
                measure "$s" "$T/rt.$s.log"
                run --separate-stderr "$E" verify --manifest "$T/m.$s.json" --log "$T/rt.$s.log" --json
                [ "$status" -eq 0 ]
                [ "$(jq -r .match <<<"$output")" = true ]
                [ "$(jq -r .space <<<"$output")" = "$s" ]
                [ "$(jq -r .events.matched <<<"$output")" = "$(jq --arg s "$s" '.reference_values[$s].events | length' "$T/m.$s.json")" ]
                [ "$(jq -r .registers_checked <<<"$output")" -ge 2 ]
        done
        [ "$(jq -r .alg <<<"$output")" = sha256 ]
}

@test "verify --log: another writer's extend in a measurer register is a register finding (basis log-all), as the live register would show" {
        make_tree "$T/r"
        manifest tdx >"$T/m.json"
        measure tdx "$T/rt.log"
        timeout 30 "$E" extend --index 4 --data workload-event --backend sim --sim-state "$T/regs.tdx" --log "$T/rt.log" 2>/dev/null
        run --separate-stderr timeout 30 "$E" verify --manifest "$T/m.json" --log "$T/rt.log" --json
        [ "$status" -eq 3 ]
        [ "$(jq -r .events.other_writers <<<"$output")" = 1 ]
        [ "$(jq -c '[.findings[] | {finding, register, basis}]' <<<"$output")" = '[{"finding":"register","register":"RTMR3","basis":"log-all"}]' ]
        # The register it names holds the log's full replay.
        [ "$(jq -r '.findings[0].got' <<<"$output")" = "$(timeout 30 "$E" replay --json "$T/rt.log" | jq -r '.registers[] | select(.index == 4 and .alg == "sha384") | .digest')" ]
}

@test "verify --log: a changed file is named with its register, both digests and exit 3; nothing else is reported" {
        make_tree "$T/r"
        manifest tdx >"$T/m.json"
        printf 'a=2\n' >"$T/r/etc/app/app.conf"
        measure tdx "$T/rt.log"
        run --separate-stderr "$E" verify --manifest "$T/m.json" --log "$T/rt.log" --json
        [ "$status" -eq 3 ]
        [ "$(jq -c '[.findings[] | select(.finding != "register") | {finding, subject, register}]' <<<"$output")" = \
          '[{"finding":"changed","subject":"/etc/app/app.conf","register":"RTMR2"}]' ]
        [ "$(jq -r '.findings[] | select(.finding == "changed") | .got' <<<"$output")" = "$(sha384sum <"$T/r/etc/app/app.conf" | cut -d' ' -f1)" ]
        [ "$(jq -c '[.findings[] | select(.finding == "register") | {register, basis}]' <<<"$output")" = '[{"register":"RTMR2","basis":"log"}]' ]
        run "$E" verify --manifest "$T/m.json" --log "$T/rt.log"
        [ "$status" -eq 3 ]
        [[ "$output" == *"changed: /etc/app/app.conf (RTMR2, sha384): expected file "* ]]
        [[ "$output" == *"MISMATCH: "* ]]
}

@test "verify --log: a removed file, an added file and a changed identity string" {
        make_tree "$T/r"
        manifest tpm >"$T/m.json"
        rm "$T/r/etc/app/other.conf"
        printf 'new\n' >"$T/r/etc/app/new.conf"
        sed -i 's/cluster=prod/cluster=evil/' "$T/r/policy.yaml"
        measure tpm "$T/rt.log"
        run --separate-stderr "$E" verify --manifest "$T/m.json" --log "$T/rt.log" --json
        [ "$status" -eq 3 ]
        # The policy changed too (its identity string), so its event differs.
        [ "$(jq -c '[.findings[] | select(.finding != "register") | {finding, subject}]' <<<"$output")" = \
          '[{"finding":"changed","subject":"policy"},{"finding":"missing","subject":"/etc/app/other.conf"},{"finding":"missing","subject":"cluster=prod"},{"finding":"extra","subject":"/etc/app/new.conf"},{"finding":"extra","subject":"cluster=evil"}]' ]
        jq -e '[.findings[] | select(.finding == "register") | .register] | (index("PCR23") != null and index("PCR16") != null)' <<<"$output"
}

@test "verify: bad manifests and logs are errors (exit 2) that say what was expected" {
        make_tree "$T/r"
        measure tdx "$T/rt.log"
        printf '{"reference_values": ' >"$T/bad.json"
        run "$E" verify --manifest "$T/bad.json" --log "$T/rt.log"
        [ "$status" -eq 2 ]
        [[ "$output" == *"bad.json: not JSON"* ]]
        echo '{"name": "x"}' >"$T/none.json"
        run "$E" verify --manifest "$T/none.json" --log "$T/rt.log"
        [ "$status" -eq 2 ]
        [[ "$output" == *"no reference_values: not a cvm-rewrite manifest"* ]]
        echo '{"reference_values": {"measurer": false}}' >"$T/nomeasurer.json"
        run "$E" verify --manifest "$T/nomeasurer.json" --log "$T/rt.log"
        [ "$status" -eq 2 ]
        [[ "$output" == *"no measurer policy"* ]]
        manifest tdx | jq '.reference_values.tdx.events[1].sha384 = "abcd"' >"$T/short.json"
        run "$E" verify --manifest "$T/short.json" --log "$T/rt.log"
        [ "$status" -eq 2 ]
        [[ "$output" == *"reference_values.tdx.events[1].sha384: expected a sha384 digest (96 hex digits), got \"abcd\""* ]]
        manifest tpm >"$T/tpm.json"
        run "$E" verify --manifest "$T/tpm.json" --log "$T/rt.log"
        [ "$status" -eq 2 ]
        [[ "$output" == *"reference_values.tdx: expected an object with events and registers arrays, got nothing (missing)"* ]]
        head -c 40 "$T/rt.log" >"$T/trunc.log"
        run "$E" verify --manifest "$T/tpm.json" --log "$T/trunc.log"
        [ "$status" -eq 2 ]
        run "$E" verify --log "$T/rt.log"
        [ "$status" -eq 1 ]
}

# A cloud image's tree: the OS, and the per-instance files cloud-init writes at first boot (class instance).
make_cloud_tree() {
        make_tree "$1"
        mkdir -p "$1/etc/ssh/sshd_config.d"
        printf 'image\n' >"$1/etc/hostname"
        printf 'root:*:19000:0:99999:7:::\n' >"$1/etc/shadow"
        printf 'PermitRootLogin no\n' >"$1/etc/pinned.conf"
        cat >>"$1/policy.yaml" <<'YAML'
  - name: instance
    class: instance
    on_missing: event
    items:
      - file: /etc/hostname
      - tree: /etc/ssh/sshd_config.d
  - name: instance-secrets
    class: instance
    secret: true
    items:
      - file: /etc/shadow
  - name: pinned
    class: instance
    must_not_change: true
    items:
      - file: /etc/pinned.conf
YAML
}

@test "verify --log: instance-class files a first boot wrote are instance state with their digests (exit 0); a secret's digests are never printed" {
        make_cloud_tree "$T/r"
        for s in tdx tpm; do
                manifest "$s" >"$T/m.$s.json"
                old=$(sha384sum <"$T/r/etc/hostname" | cut -d' ' -f1)
                printf 'cvm-instance\n' >"$T/r/etc/hostname"
                printf 'PasswordAuthentication no\n' >"$T/r/etc/ssh/sshd_config.d/50-cloud-init.conf"
                printf 'root:$6$salt$hash:19000:0:99999:7:::\n' >"$T/r/etc/shadow"
                measure "$s" "$T/rt.$s.log"
                run --separate-stderr "$E" verify --manifest "$T/m.$s.json" --log "$T/rt.$s.log" --json
                [ "$status" -eq 0 ]
                [ "$(jq -r .match <<<"$output")" = true ]
                [ "$(jq -r .instance_state <<<"$output")" = 3 ]
                [ "$(jq -c '[.findings[] | {finding, subject}]' <<<"$output")" = \
                  '[{"finding":"instance","subject":"/etc/hostname"},{"finding":"instance","subject":"/etc/shadow"},{"finding":"instance","subject":"/etc/ssh/sshd_config.d/50-cloud-init.conf"}]' ]
                if [ "$s" = tdx ]; then
                        [ "$(jq -r '.findings[] | select(.subject == "/etc/hostname") | .expected' <<<"$output")" = "$old" ]
                        [ "$(jq -r '.findings[] | select(.subject == "/etc/hostname") | .got' <<<"$output")" = "$(sha384sum <"$T/r/etc/hostname" | cut -d' ' -f1)" ]
                        [ "$(jq -r '.findings[] | select(.subject == "/etc/ssh/sshd_config.d/50-cloud-init.conf") | "\(.expected) \(.got_kind) \(.got | length)"' <<<"$output")" = "null file 96" ]
                fi
                [ "$(jq -c '.findings[] | select(.subject == "/etc/shadow") | [.secret, .expected, .got]' <<<"$output")" = '[true,null,null]' ]
                # The shadow's digests appear nowhere in the output, text or JSON.
                shadow=$( ([ "$s" = tdx ] && sha384sum || sha256sum) <"$T/r/etc/shadow" | cut -d' ' -f1)
                [[ "$output" != *"$shadow"* ]]
                run "$E" verify --manifest "$T/m.$s.json" --log "$T/rt.$s.log"
                [ "$status" -eq 0 ]
                [[ "$output" != *"$shadow"* ]]
                [[ "$output" == *"instance: /etc/hostname ("*"): the image's file $([ "$s" = tdx ] && echo "$old" || echo "")"* ]]
                [[ "$output" == *"instance: /etc/shadow ("*"(digest withheld: secret)"* ]]
                [[ "$output" == *"match: "*" 0 findings (and 3 files of instance state)"* ]]
                rm -rf "$T/r"
                make_cloud_tree "$T/r"
        done
}

@test "verify --log: a must_not_change instance file, and an OS file, that changed are mismatches (exit 3) beside instance state" {
        make_cloud_tree "$T/r"
        manifest tpm >"$T/m.json"
        printf 'cvm-instance\n' >"$T/r/etc/hostname"
        printf 'PermitRootLogin yes\n' >"$T/r/etc/pinned.conf"
        printf 'a=evil\n' >"$T/r/etc/app/app.conf"
        measure tpm "$T/rt.log"
        run --separate-stderr "$E" verify --manifest "$T/m.json" --log "$T/rt.log" --json
        [ "$status" -eq 3 ]
        [ "$(jq -r .match <<<"$output")" = false ]
        [ "$(jq -c '[.findings[] | select(.finding != "register") | {finding, subject}]' <<<"$output")" = \
          '[{"finding":"changed","subject":"/etc/app/app.conf"},{"finding":"instance","subject":"/etc/hostname"},{"finding":"changed","subject":"/etc/pinned.conf"}]' ]
        [ "$(jq -c '[.findings[] | select(.finding == "register") | {register, basis}]' <<<"$output")" = '[{"register":"PCR23","basis":"log"}]' ]
}
