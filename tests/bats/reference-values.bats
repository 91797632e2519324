#!/usr/bin/env bats
# cvm-evidence reference-values: a manifest's reference values as Trustee RVPS, Keylime and in-toto read them,
# each checked against the structure its upstream defines (sources named at each check).

bats_require_minimum_version 1.5.0

load helpers

H256=f3157cae24be813123f4098e2a5147c9ba3cb379ba4b313887fc801283345cc1
H256B=7d8cc69b96ab7a7d0d27cce94a84dbe3e6859c0555a8d390b5598ed9f56ea808
H384=b02d038ace04a82c451266f892cdfd9d21768cdf179da0a8881f9ba110a5dac9417be24939a11dd99bbb6b65fb007f77
H384B=09048fe190f58d09f5382d97ea401b1ceef40e443b1f80bde4f1122f90e238ffe5e377f9943339b3721cbc6352e9ebe0
K256=d8808aa4ca188560da1e6d749dcb930c87a5fd8b11ebff1f3fa6d728af35203d
I256=3c1031b81d40d143419b23f1d7b8f019f03a0c992e4d4f54ed9a928cddf27cbe

# A manifest as cvm-rewrite writes it (the fields verify checks, and boot, cmdline, recipe, build.output).
manifest() {
        local ev='{\"cvm\":1,\"kind\":\"policy\",\"path\":\"/etc/cvm/policy.yaml\",\"size\":10}'
        cat <<JSON
{"tool": "cvm-rewrite", "version": "0.1.0",
 "recipe": {"name": "debian-12-tpm", "sha256": "$K256"},
 "boot": [{"path": "/boot/vmlinuz-6.1", "kind": "kernel", "sha256": "$K256", "sha384": "$H384"},
          {"path": "/boot/initrd.img-6.1", "kind": "initramfs", "sha256": "$I256", "sha384": "$H384"}],
 "cmdline": "BOOT_IMAGE=/boot/vmlinuz-6.1 root=LABEL=cloudimg-rootfs ro quiet",
 "build": {"output": {"path": "/tmp/out/foundation.qcow2", "format": "qcow2", "sha256": "$I256"}},
 "reference_values": {"measurer": true,
  "tdx": {"events": [{"index": 3, "kind": "policy", "sha384": "$H384B", "data": "$ev"}],
          "registers": [{"index": 3, "alg": "sha384", "digest": "$H384B"}, {"index": 4, "alg": "sha384", "digest": "$H384"}]},
  "tpm": {"events": [{"index": 23, "kind": "policy", "sha256": "$H256B", "data": "$ev"}],
          "registers": [{"index": 16, "alg": "sha256", "digest": "$H256"}, {"index": 23, "alg": "sha256", "digest": "$H256B"},
                        {"index": 23, "alg": "sha384", "digest": "$H384B"}]}}}
JSON
}

@test "the manifest goes through verify's checks: an event verify refuses is refused here, named by its path" {
        manifest >"$T/m.json"
        jq '.reference_values.tdx.events[0].data = "x"' "$T/m.json" >"$T/ev.json"
        run timeout 60 "$E" reference-values --format rvps "$T/ev.json"
        [ "$status" -eq 2 ]
        [[ "$output" == *"reference_values.tdx.events[0].data: expected a measurer event"* ]]
        jq 'del(.reference_values.measurer)' "$T/m.json" >"$T/nom.json"
        run timeout 60 "$E" reference-values --format keylime "$T/nom.json"
        [ "$status" -eq 2 ]
        [[ "$output" == *"measurer"* ]]
}

@test "rvps: a Trustee RVPS sample message with the names Trustee's policies query" {
        manifest >"$T/m.json"
        run --separate-stderr timeout 60 "$E" reference-values --format rvps "$T/m.json"
        [ "$status" -eq 0 ]
        # rvps/src/extractors/extractor_modules/sample/mod.rs: {version, type: "sample", payload: base64(STANDARD) of
        # a JSON object name -> value}; the message fields as rvps/src/lib.rs Message
        [ "$(jq -r 'keys | join(",")' <<<"$output")" = "payload,type,version" ]
        [ "$(jq -r .type <<<"$output")" = sample ]
        [ "$(jq -r .version <<<"$output")" = 0.1.0 ]
        p=$(jq -r .payload <<<"$output" | base64 -d)
        [ "$(jq -r '[to_entries[] | (.value | type == "array") and all(.value[]; test("^[0-9a-f]+$"))] | all' <<<"$p")" = true ]
        [ "$(jq -r '.rtmr_3[0]' <<<"$p")" = "$H384" ]
        [ "$(jq -r '.tpm_pcr16[0]' <<<"$p")" = "$H256" ]
        [ "$(jq -r '.tpm_pcr23[0]' <<<"$p")" = "$H256B" ]
        # names in Trustee's ear_default_policy_cpu.rego the manifest cannot give are absent and named on stderr
        [ "$(jq -r 'has("mr_td") or has("rtmr_1") or has("rtmr_2") or has("tpm_pcr11")' <<<"$p")" = false ]
        [[ "$stderr" == *"mr_td: from the platform (no TDVF firmware given to cvm-rewrite --firmware)"* ]]
        [[ "$stderr" == *"rtmr_1: not predicted"* && "$stderr" == *"rtmr_2: not predicted"* ]]
        [[ "$stderr" == *"rtmr_0, xfam, tdvfkernel, tdvfkernelparams: from the platform"* ]]
        [[ "$stderr" == *"tpm_pcr4: not predicted"* && "$stderr" == *"tpm_pcr0-3, tpm_pcr6, tpm_pcr11, trusted_aks: from the platform"* ]]
}

# chain M: manifest M with a predicted boot chain as cvm-rewrite --firmware --firmware-vars writes it
# (boot_chain: PCR4 with GRUB's Authenticode digest, PCR7, PCR8; boot_chain_tdx: MRTD, RTMR1, RTMR2).
chain() {
        jq --arg h "$H256" --arg k "$K256" --arg i "$I256" --arg x "$H384" --arg y "$H384B" '. + {
          boot_chain: {registers: [
            {index: 4, name: "PCR4", status: "predicted", values: {sha256: $h},
             events: [{type: "EV_EFI_ACTION", source: "firmware", digests: {sha256: $i}},
                      {type: "EV_EFI_BOOT_SERVICES_APPLICATION", source: "/boot/efi/EFI/BOOT/BOOTX64.EFI", digests: {sha256: $k}}]},
            {index: 7, name: "PCR7", status: "predicted", values: {sha256: $i}, events: []},
            {index: 8, name: "PCR8", status: "predicted", values: {sha256: $k}, events: []},
            {index: 9, name: "PCR9", status: "unpredicted", reason: "grub.cfg runs a command the evaluator does not know"}],
            platform: [{index: 0, status: "from the platform"}]},
          boot_chain_tdx: {mrtd: {status: "predicted", value: $x},
            registers: [{index: 1, name: "RTMR0", status: "from the platform"},
                        {index: 2, name: "RTMR1", status: "predicted", alg: "sha384", value: $y},
                        {index: 3, name: "RTMR2", status: "predicted", alg: "sha384", value: $x}]}}' "$1"
}

@test "rvps and keylime: the predicted boot chain (cvm-rewrite's boot_chain, boot_chain_tdx) under Trustee's and Keylime's names" {
        manifest >"$T/m0.json"
        chain "$T/m0.json" >"$T/m.json"
        run --separate-stderr timeout 60 "$E" reference-values --format rvps "$T/m.json"
        [ "$status" -eq 0 ]
        p=$(jq -r .payload <<<"$output" | base64 -d)
        [ "$(jq -r '[.mr_td[0], .rtmr_1[0], .rtmr_2[0], .rtmr_3[0]] | join(" ")' <<<"$p")" = "$H384 $H384B $H384 $H384" ]
        [ "$(jq -r '[.tpm_pcr4[0], .tpm_pcr7[0], .tpm_pcr8[0]] | join(" ")' <<<"$p")" = "$H256 $I256 $K256" ]
        # An unpredicted register is absent, and said so; so are the platform's.
        [ "$(jq -r 'has("tpm_pcr9") or has("tpm_pcr5") or has("rtmr_0")' <<<"$p")" = false ]
        [[ "$stderr" == *"tpm_pcr9: not predicted"* && "$stderr" != *"mr_td: from the platform"* ]]
        run --separate-stderr timeout 60 "$E" reference-values --format keylime "$T/m.json"
        [ "$status" -eq 0 ]
        # create_mb_policy.py get_kernel(): the boot loader's Authenticode digest as "0x" + hex.
        [ "$(jq -r '.mb_refstate.kernels[0].grub_authcode_sha256' <<<"$output")" = "0x$K256" ]
        [ "$(jq -r '.mb_refstate.kernels[0] | has("shim_authcode_sha256") or has("kernel_authcode_sha256")' <<<"$output")" = false ]
        [[ "$stderr" != *"grub_authcode_sha256"* ]]
        # The boot chain's registers stay out of tpm_policy: Keylime checks PCR0-9 through the measured-boot policy.
        [ "$(jq -r '.tpm_policy.mask' <<<"$output")" = 0x810000 ]
}

@test "rvps and keylime: a malformed boot chain is refused naming its JSON path (exit 2), nothing printed" {
        manifest >"$T/m0.json"
        chain "$T/m0.json" >"$T/m.json"
        for edit in '.boot_chain.registers[0].values.sha256 = "abc"|boot_chain.registers[0]: a predicted register needs values.sha256' \
                    '.boot_chain.registers[0].events[1].digests = 7|boot_chain.registers[0].events[1]: expected {type, source, digests' \
                    '.boot_chain.registers[1].index = 99|boot_chain.registers[1]: expected {index: 0-23, status}' \
                    '.boot_chain_tdx.mrtd.value = "zz"|boot_chain_tdx.mrtd.value: expected 96 hex digits' \
                    '.boot_chain_tdx.registers = {}|boot_chain_tdx.registers: expected array' \
                    '.boot_chain = []|boot_chain: expected object'; do
                jq "${edit%%|*}" "$T/m.json" >"$T/bad.json"
                for f in rvps keylime; do
                        run --separate-stderr timeout 60 "$E" reference-values --format "$f" "$T/bad.json"
                        [ "$status" -eq 2 ] && [ -z "$output" ] || { echo "$edit ($f): $status $output" >&2; return 1; }
                        [[ "$stderr" == *"bad.json: ${edit#*|}"* ]] || { echo "$edit ($f): $stderr" >&2; return 1; }
                done
        done
}

@test "keylime: mb_refstate as create_mb_policy.py writes it, and a tpm_policy for PCR16/23" {
        manifest >"$T/m.json"
        run --separate-stderr timeout 60 "$E" reference-values --format keylime "$T/m.json"
        [ "$status" -eq 0 ]
        mb=$(jq .mb_refstate <<<"$output")
        # keylime/policy/create_mb_policy.py create_mb_refstate(): these top-level keys and types
        [ "$(jq -r 'keys | join(",")' <<<"$mb")" = "db,dbx,has_secureboot,kek,kernels,mokdig,mokxdig,pk,scrtm_and_bios" ]
        [ "$(jq -r '.has_secureboot | type' <<<"$mb")" = boolean ]
        [ "$(jq -r '[.scrtm_and_bios, .pk, .kek, .db, .dbx, .mokdig, .mokxdig, .kernels | type == "array"] | all' <<<"$mb")" = true ]
        # get_kernel(): kernels[] keys among these, digests "0x" + hex, kernel_cmdline re.escape'd
        [ "$(jq -r '[.kernels[0] | keys[] | IN("shim_authcode_sha256","grub_authcode_sha256","kernel_authcode_sha256","initrd_plain_sha256","vmlinuz_plain_sha256","kernel_cmdline")] | all' <<<"$mb")" = true ]
        [ "$(jq -r .kernels[0].vmlinuz_plain_sha256 <<<"$mb")" = "0x$K256" ]
        [ "$(jq -r .kernels[0].initrd_plain_sha256 <<<"$mb")" = "0x$I256" ]
        [ "$(jq -r .kernels[0].kernel_cmdline <<<"$mb")" = '/boot/vmlinuz\-6\.1\ root=LABEL=cloudimg\-rootfs\ ro\ quiet' ]
        # keylime tenant --tpm_policy: {"PCR": [hex...], "mask": "0x..."}
        [ "$(jq -c .tpm_policy <<<"$output")" = "{\"16\":[\"$H256\"],\"23\":[\"$H256B\"],\"mask\":\"0x810000\"}" ]
        [[ "$stderr" == *"shim_authcode_sha256, grub_authcode_sha256, kernel_authcode_sha256: the manifest has no predicted PCR4"* ]]
}

@test "in-toto: a Statement v1 whose subject is the output image and whose predicate holds the values and the recipe" {
        manifest >"$T/m.json"
        run --separate-stderr timeout 60 "$E" reference-values --format in-toto "$T/m.json"
        [ "$status" -eq 0 ]
        # in-toto/attestation spec/v1/statement.md: _type, subject[] {name, digest {alg: hex}}, predicateType (URI), predicate (object)
        [ "$(jq -r 'keys | join(",")' <<<"$output")" = "_type,predicate,predicateType,subject" ]
        [ "$(jq -r ._type <<<"$output")" = https://in-toto.io/Statement/v1 ]
        [ "$(jq -r '.predicateType | test("^https://")' <<<"$output")" = true ]
        [ "$(jq -r '.subject | length > 0 and all(.[]; (.name | type == "string") and (.digest | type == "object"))' <<<"$output")" = true ]
        [ "$(jq -c '.subject[0]' <<<"$output")" = "{\"name\":\"foundation.qcow2\",\"digest\":{\"sha256\":\"$I256\"}}" ]
        [ "$(jq -r '.predicate.reference_values.tpm.registers[0].digest' <<<"$output")" = "$H256" ]
        [ "$(jq -r '.predicate.recipe.name' <<<"$output")" = debian-12-tpm ]
        # without build.output, --subject hashes the image
        jq 'del(.build)' "$T/m.json" >"$T/nob.json"
        run timeout 60 "$E" reference-values --format in-toto "$T/nob.json"
        [ "$status" -eq 2 ]
        [[ "$output" == *"give --subject FILE"* ]]
        printf 'image' >"$T/img.raw"
        run --separate-stderr timeout 60 "$E" reference-values --format in-toto --subject "$T/img.raw" "$T/nob.json"
        [ "$status" -eq 0 ]
        [ "$(jq -r '.subject[0].digest.sha256' <<<"$output")" = "$(sha256sum "$T/img.raw" | cut -d' ' -f1)" ]
        [ "$(jq -r '.subject[0].name' <<<"$output")" = img.raw ]
}

@test "bad manifests and usage: verify's checks name the field (exit 2); no format or a bad one is a usage error (exit 1)" {
        manifest >"$T/m.json"
        run timeout 60 "$E" reference-values "$T/m.json"
        [ "$status" -eq 1 ]
        run timeout 60 "$E" reference-values --format spdx "$T/m.json"
        [ "$status" -eq 1 ]
        [[ "$output" == *"unknown format 'spdx'"* ]]
        jq '.reference_values.tpm.registers[0].digest = "abcd"' "$T/m.json" >"$T/short.json"
        run --separate-stderr timeout 60 "$E" reference-values --format rvps "$T/short.json"
        [ "$status" -eq 2 ]
        [ -z "$output" ]
        [[ "$stderr" == *"reference_values.tpm.registers[0]"* ]]
        jq '.boot[1].sha256 = 7' "$T/m.json" >"$T/boot.json"
        run timeout 60 "$E" reference-values --format keylime "$T/boot.json"
        [ "$status" -eq 2 ]
        [[ "$output" == *"boot[1]: expected {path, kind, sha256"* ]]
        printf '{"reference' >"$T/cut.json"
        run timeout 60 "$E" reference-values --format rvps "$T/cut.json"
        [ "$status" -eq 2 ]
        [[ "$output" == *"not JSON"* ]]
        cp "$T/m.json" "$T/copy.json"
        timeout 60 "$E" reference-values --format in-toto "$T/m.json" >/dev/null
        cmp "$T/m.json" "$T/copy.json"
}
