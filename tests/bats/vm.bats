#!/usr/bin/env bats
# ci/cvm-vm, the launch helper. The TPM flavour boots in the closed loop
# (tests/e2e/lib.sh's boot). No machine here has TDX, so the TDX flavour's
# QEMU command line is checked against upstream QEMU 10.1's syntax
# (docs/system/i386/tdx.rst and the tdx-guest object's QAPI properties) and its
# domain XML against libvirt's TDX launch security (libvirt 11.x), with the
# rest of that XML validated by this machine's libvirt schema (9.0).

bats_require_minimum_version 1.5.0

setup() {
        V="$BATS_TEST_DIRNAME/../../ci/cvm-vm"
        T="$BATS_TEST_TMPDIR"
        qemu-img create -q -f qcow2 "$T/disk.qcow2" 64M
}

# The argument after OPT in the command line $output (one word per line in $T/args).
arg_after() {
        awk -v o="$1" 'prev == o { print; exit } { prev = $0 }' "$T/args"
}

# The QEMU command line as one word per line (the shell reads back what cvm-vm quoted).
words() {
        eval "set -- $1"
        printf '%s\n' "$@" >"$T/args"
}

@test "--help, --version, and usage errors exit 1 naming the option" {
        run timeout 10 "$V" --help
        [ "$status" -eq 0 ]
        [[ "$output" == *"run|qemu|xml --tdx|--tpm"* && "$output" == *"Exit codes"* ]]
        run timeout 10 "$V" -V
        [ "$output" = "cvm-vm 0.1.0" ]
        run timeout 10 "$V" run "$T/disk.qcow2"
        [ "$status" -eq 1 ] && [[ "$output" == *"say --tdx or --tpm"* ]]
        run timeout 10 "$V" qemu --tdx --tpm "$T/disk.qcow2"
        [ "$status" -eq 1 ] && [[ "$output" == *"exclude each other"* ]]
        run timeout 10 "$V" qemu --tdx --memory ' -1' "$T/disk.qcow2"
        [ "$status" -eq 1 ] && [[ "$output" == *"--memory: ' -1'"* ]]
        run timeout 10 "$V" qemu --tdx --cpus 4294967297 "$T/disk.qcow2"
        [ "$status" -eq 1 ] && [[ "$output" == *"--cpus"* ]]
        run timeout 10 "$V" qemu --tdx --qgs tcp:1.2.3.4:5 "$T/disk.qcow2"
        [ "$status" -eq 1 ] && [[ "$output" == *"--qgs: 'tcp:1.2.3.4:5'"* ]]
        run timeout 10 "$V" qemu --tdx --accel tcg "$T/disk.qcow2"
        [ "$status" -eq 1 ] && [[ "$output" == *"only under KVM"* ]]
        run timeout 10 "$V" qemu --tdx --vars /dev/null "$T/disk.qcow2"
        [ "$status" -eq 1 ] && [[ "$output" == *"--vars is for --tpm"* ]]
        run timeout 10 "$V" qemu --tpm --append quiet "$T/disk.qcow2"
        [ "$status" -eq 1 ] && [[ "$output" == *"go with --kernel"* ]]
        run timeout 10 "$V" qemu --tpm "$T/missing.qcow2"
        [ "$status" -eq 1 ] && [[ "$output" == *"missing.qcow2: not a regular file"* ]]
        run timeout 10 "$V" qemu --tpm --fw-cfg etc/x="$T/disk.qcow2" "$T/disk.qcow2"
        [ "$status" -eq 1 ] && [[ "$output" == *"NAME under opt/"* ]]
        run timeout 10 "$V" boot --tpm "$T/disk.qcow2"
        [ "$status" -eq 1 ] && [[ "$output" == *"unknown command 'boot'"* ]]
}

@test "TDX: the QEMU command line has what QEMU 10.1 needs for a trust domain" {
        run timeout 10 "$V" qemu --tdx --memory 4096 --cpus 4 --serial "$T/serial,log" "$T/disk.qcow2"
        [ "$status" -eq 0 ]
        words "$output"
        [ "$(head -n1 "$T/args")" = qemu-system-x86_64 ]
        [ "$(arg_after -accel)" = kvm ]
        [ "$(arg_after -cpu)" = host ]
        # The tdx-guest object in the JSON form, whose quote-generation-socket is a SocketAddress.
        obj=$(grep '"qom-type":"tdx-guest"' "$T/args")
        [ "$(jq -c . <<<"$obj")" = '{"qom-type":"tdx-guest","id":"tdx0","quote-generation-socket":{"type":"vsock","cid":"2","port":"4050"}}' ]
        grep -qx 'memory-backend-ram,id=mem0,size=4096M' "$T/args"
        [ "$(arg_after -machine)" = q35,kernel-irqchip=split,confidential-guest-support=tdx0,memory-backend=mem0 ]
        # TDVF is loaded as ROM by -bios; a TD has no pflash, no SMM, no TPM.
        [ "$(arg_after -bios)" = /usr/share/ovmf/OVMF.fd ]
        ! grep -q 'pflash\|tpmdev\|tpm-tis' "$T/args"
        [ "$(arg_after -m)" = 4096 ] && [ "$(arg_after -smp)" = 4 ]
        # A comma in a path is doubled inside QEMU's option lists.
        [ "$(arg_after -serial)" = "file:$T/serial,log" ]
        grep -qx "file=$T/disk.qcow2,if=none,id=disk0,format=qcow2" "$T/args"

        run timeout 10 "$V" qemu --tdx --qgs unix:/var/run/tdx-qgs/qgs.socket --kernel "$T/disk.qcow2" --append 'console=ttyS0 x=1' "$T/disk.qcow2"
        [ "$status" -eq 0 ]
        words "$output"
        [ "$(jq -c '."quote-generation-socket"' <<<"$(grep tdx-guest "$T/args")")" = '{"type":"unix","path":"/var/run/tdx-qgs/qgs.socket"}' ]
        [ "$(arg_after -append)" = 'console=ttyS0 x=1' ]
        run timeout 10 "$V" qemu --tdx --qgs none "$T/disk.qcow2"
        words "$output"
        [ "$(grep tdx-guest "$T/args")" = '{"qom-type":"tdx-guest","id":"tdx0"}' ]
}

@test "TPM: the QEMU command line is the closed loop's (OVMF in pflash, swtpm's socket, TPM TIS, fw_cfg)" {
        run timeout 10 "$V" qemu --tpm --accel tcg --state "$T/st" --snapshot --fw-cfg-string opt/cvm/nonce=abcd \
                --fw-cfg opt/cvm/manifest="$T/disk.qcow2" "$T/disk.qcow2"
        [ "$status" -eq 0 ]
        words "$output"
        [ "$(arg_after -accel)" = tcg ]
        [ "$(arg_after -machine)" = q35 ]
        grep -qx 'if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE_4M.fd,readonly=on' "$T/args"
        grep -qx "if=pflash,format=raw,unit=1,file=$T/st/vars.fd" "$T/args"
        grep -qx "socket,id=chrtpm,path=$T/st/tpm/ctrl" "$T/args"
        grep -qx 'tpm-tis,tpmdev=tpm0' "$T/args"
        grep -qx -- -snapshot "$T/args"
        grep -qx 'name=opt/cvm/nonce,string=abcd' "$T/args"
        grep -qx "name=opt/cvm/manifest,file=$T/disk.qcow2" "$T/args"
        ! grep -q tdx "$T/args"
}

@test "TPM: the libvirt domain XML validates against this machine's libvirt schema" {
        command -v virt-xml-validate >/dev/null || skip "virt-xml-validate (libvirt-clients) is not installed"
        run timeout 10 "$V" xml --tpm --accel tcg --serial "$T/serial.log" --fw-cfg-string opt/cvm/nonce=ab "$T/disk.qcow2"
        [ "$status" -eq 0 ]
        echo "$output" >"$T/tpm.xml"
        timeout 30 virt-xml-validate "$T/tpm.xml" domain
        [ "$(xmllint --xpath 'string(/domain/devices/tpm/backend/@version)' "$T/tpm.xml")" = 2.0 ]
        [ "$(xmllint --xpath 'string(/domain/os/loader/@type)' "$T/tpm.xml")" = pflash ]
        [ "$(xmllint --xpath 'string(/domain/sysinfo/entry[@name="opt/cvm/nonce"])' "$T/tpm.xml")" = ab ]
}

@test "TDX: the libvirt domain XML carries libvirt's TDX launch security; the rest validates against this machine's schema" {
        command -v virt-xml-validate >/dev/null || skip "virt-xml-validate (libvirt-clients) is not installed"
        run timeout 10 "$V" xml --tdx --qgs unix:/var/run/tdx-qgs/qgs.socket --kernel "$T/disk.qcow2" \
                --append 'console=ttyS0 a<b&c' "$T/disk.qcow2"
        [ "$status" -eq 0 ]
        echo "$output" >"$T/tdx.xml"
        x() { xmllint --xpath "string($1)" "$T/tdx.xml"; }
        # libvirt's form: type='tdx', a 64-bit hex policy (bit 28: sept-ve-disable), QGS by its unix socket path.
        [ "$(x /domain/launchSecurity/@type)" = tdx ]
        [ "$(x /domain/launchSecurity/policy)" = 0x10000000 ]
        [ "$(x /domain/launchSecurity/quoteGenerationService/@path)" = /var/run/tdx-qgs/qgs.socket ]
        [ "$(x /domain/@type)" = kvm ]
        [ "$(x /domain/os/loader/@type)" = rom ]
        [ "$(x /domain/memoryBacking/access/@mode)" = private ]
        [ "$(x /domain/features/ioapic/@driver)" = qemu ]
        [ "$(x /domain/features/smm/@state)" = off ]
        [ "$(x /domain/os/cmdline)" = 'console=ttyS0 a<b&c' ]
        [ -z "$(x /domain/devices/tpm)" ]
        # libvirt 9.0 predates TDX: everything but launchSecurity must validate against it.
        python3 - "$T/tdx.xml" "$T/tdx-rest.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
tree = ET.parse(sys.argv[1])
root = tree.getroot()
root.remove(root.find("launchSecurity"))
tree.write(sys.argv[2])
PY
        timeout 30 virt-xml-validate "$T/tdx-rest.xml" domain
}

@test "TDX: 'run' on a host without TDX exits 2 naming what is missing, and starts nothing" {
        if [ "$(cat /sys/module/kvm_intel/parameters/tdx 2>/dev/null)" = Y ]; then
                skip "this host has TDX"
        fi
        run timeout 30 "$V" run --tdx --timeout 5 "$T/disk.qcow2"
        [ "$status" -eq 2 ]
        [[ "$output" == *"this host cannot run a TDX guest"* ]]
        [[ "$output" == *"TDX"*"kvm_intel.tdx=1"* || "$output" == *"no /dev/kvm"* ]]
        if ! qemu-system-x86_64 -object help | grep -qx '  *tdx-guest'; then
                [[ "$output" == *"has no tdx-guest object (TDX needs QEMU 10.1 or later)"* ]]
        fi
        ! pgrep -f "$T/disk.qcow2"
}

@test "ci/tdx-host-check.sh: usage errors exit 1; on a host without TDX it exits 2 naming what is missing, leaving nothing" {
        H="$BATS_TEST_DIRNAME/../../ci/tdx-host-check.sh"
        run timeout 10 "$H" "$T/disk.qcow2"
        [ "$status" -eq 1 ] && [[ "$output" == *"usage:"* ]]
        run timeout 10 "$H" "$T/disk.qcow2" "$T/missing.json"
        [ "$status" -eq 1 ] && [[ "$output" == *"missing.json: not a regular file"* ]]
        if [ "$(cat /sys/module/kvm_intel/parameters/tdx 2>/dev/null)" = Y ]; then
                skip "this host has TDX"
        fi
        echo '{}' >"$T/m.json"
        mkdir "$T/tmp"
        run env TMPDIR="$T/tmp" timeout 60 "$H" "$T/disk.qcow2" "$T/m.json"
        [ "$status" -eq 2 ]
        [[ "$output" == *"this host cannot run a TDX guest"* ]]
        [ -z "$(ls -A "$T/tmp")" ]
        ! pgrep -f "$T/disk.qcow2"
}
