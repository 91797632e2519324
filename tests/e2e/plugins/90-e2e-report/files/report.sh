#!/bin/sh
# Test only: the evidence of this boot, each block base64 between markers the
# host's harness (tests/e2e/run-loop.sh) parses, and each command's exit code.
fwcfg=/sys/firmware/qemu_fw_cfg/by_name/opt/cvm
modprobe qemu_fw_cfg 2>/dev/null

block() { # NAME COMMAND...: the command's stdout as a base64 block, and its exit code
        name=$1
        shift
        "$@" >/run/cvm-e2e.out 2>/run/cvm-e2e.err
        rc=$?
        echo "CVM-E2E-BEGIN $name rc=$rc"
        base64 -w 76 /run/cvm-e2e.out
        echo "CVM-E2E-END $name"
        if [ -s /run/cvm-e2e.err ]; then
                echo "CVM-E2E-BEGIN $name.stderr rc=0"
                base64 -w 76 /run/cvm-e2e.err
                echo "CVM-E2E-END $name.stderr"
        fi
}

nonce=$(cat "$fwcfg/nonce/raw" 2>/dev/null)
echo "CVM-E2E-START"
block uname uname -r
block hostname uname -n
block cmdline cat /proc/cmdline
# libcvm (51-cvm-evidence) on the guest's own libraries: every symbol resolved, every version there.
block libcvm ldd -r /usr/local/lib/libcvm.so.0
block info cvm-evidence info --json
block measurements cvm-evidence measurements --json
block kernel-log dmesg
# A TPM's firmware log, or on a trust domain (no TPM) the CCEL log area.
if [ -e /sys/kernel/security/tpm0/binary_bios_measurements ]; then
        bank=sha256
        block firmware-log cat /sys/kernel/security/tpm0/binary_bios_measurements
else
        bank=sha384
        block firmware-log cat /sys/firmware/acpi/tables/data/CCEL
fi
block runtime-log cat /run/cvm/runtime.log
block ima-log cat /sys/kernel/security/ima/binary_runtime_measurements
# TPM: sha256, the bank the quote covers.  The kernel extends an IMA bank whose hash it could not
# allocate at boot (sha384/sha512 here, see "ima: Can not allocate") with a zero-padded SHA-1.
# TDX: RTMRs are SHA-384 only.
block replay-check cvm-evidence replay --check --bank "$bank" --json
block quote cvm-evidence quote --nonce "$nonce" --json --out /run/cvm-e2e.quote
block verify cvm-evidence verify --manifest "$fwcfg/manifest/raw" --json
# The evidence service (plugin 51, cvm-evidence.socket): the registers again through the C client,
# the Python module and a raw varlink message; the host compares them with the CLI's (check_service).
block service-measurements cvm-evidence measurements --json --backend service
if command -v python3 >/dev/null; then
        # As root and without -B: the __pycache__ the import writes is outside every measured tree
        # (the second boot's verify would name it otherwise).
        block service-python python3 -c 'import json
import cvm_evidence as c
alg = c.get_default_algorithm()
print(json.dumps({"alg": alg, "registers": [{"index": i, "digest": c.get_cc_measurement(i, alg).hex()}
                                           for i in range(c.get_measurement_count())]}))'
        # Raw varlink: one NUL-terminated JSON message per call on one connection, no client library.
        block service-raw python3 -B -c 'import json, socket
s = socket.socket(socket.AF_UNIX); s.connect("/run/cvm/evidence.sock")
def call(method, **parameters):
    s.sendall(json.dumps({"method": "io.cvmkit.Evidence." + method, "parameters": parameters}).encode() + b"\0")
    b = b""
    while not b.endswith(b"\0"):
        r = s.recv(65536)
        if not r:
            raise SystemExit("the service closed the connection")
        b += r
    return json.loads(b[:-1])["parameters"]
regs = [call("GetMeasurement", index=i) for i in range(call("GetMeasurementCount")["count"])]
print(json.dumps({"alg": regs[0]["algorithm"], "registers": [{"index": i, "digest": r["digest"]} for i, r in enumerate(regs)]}))'
fi
echo "CVM-E2E-DONE"
