#!/usr/bin/env bash
# What a CI job on a TDX host runs after building a TDX foundation image:
#   ci/tdx-host-check.sh IMAGE MANIFEST
# 1. checks that this host can run a trust domain (ci/cvm-vm check --tdx:
#    KVM with TDX on, QEMU 10.1+ with the tdx-guest object, TDVF), and
#    otherwise exits 2 naming what is missing, having started nothing;
# 2. makes a test copy of IMAGE with the closed loop's report unit (outside
#    what the policy measures, so MANIFEST still holds);
# 3. boots it as a trust domain (ci/cvm-vm run --tdx) with a nonce and the
#    manifest through fw_cfg, and reads the evidence the guest prints on its
#    serial console: the CCEL log, the runtime log, live RTMRs, a configfs-tsm
#    quote over the nonce, replay --check and verify --manifest;
# 4. checks on the host that the replay of the CCEL and runtime logs equals the
#    live RTMRs and the quote's, that the quote's report data is SHA-512(the
#    nonce), and that verify matches in the guest and on the host.
# The quote's signature chain (PCK certificates, Intel's root) is for the
# verifier (e.g. Trustee with its PCCS); this check does not contact one.
# Environment: BUILD (default ROOT/build), QGS (cvm-vm's --qgs, default
# vsock:2:4050), TDVF (cvm-vm's --firmware), BOOT_TIMEOUT (s, default 600).
# Exit 0 when every check passed, 1 usage or a failed check (named), 2 this
# host cannot run a trust domain.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 IMAGE MANIFEST" >&2; exit 1; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$1" ] || { echo "$0: $1: not a regular file" >&2; exit 1; }
[ -f "$2" ] || { echo "$0: $2: not a regular file" >&2; exit 1; }
IMAGE=$(realpath "$1")
MANIFEST=$(realpath "$2")
BUILD=${BUILD:-$ROOT/build}
E="$BUILD/bin/cvm-evidence"
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}
VM_FLAVOUR_ARGS=(--tdx --qgs "${QGS:-vsock:2:4050}")
[ -z "${TDVF:-}" ] || VM_FLAVOUR_ARGS+=(--firmware "$TDVF")

# Before anything is built or started: a host without TDX fails here, cleanly.
"$ROOT/ci/cvm-vm" check "${VM_FLAVOUR_ARGS[@]}" || exit 2
if [ ! -x "$E" ] || [ ! -x "$BUILD/bin/cvm-rewrite" ]; then echo "$0: build cvmkit first (make)" >&2; exit 1; fi

export LIBGUESTFS_BACKEND=direct
W=$(mktemp -d "${TMPDIR:-/tmp}/cvm-tdx-check.XXXXXX")
# shellcheck source=tests/e2e/lib.sh
. "$ROOT/tests/e2e/lib.sh"
VM_ARGS=("${VM_FLAVOUR_ARGS[@]}" --memory 2048 --cpus 2)
trap 'on_exit "tdx-host-check"' EXIT
trap 'exit 130' INT TERM

step "test copy of $(basename "$IMAGE") with the report unit"
report_image "$IMAGE" "$W/checked.qcow2"
done_step

step "boot as a trust domain"
NONCE=$(head -c 32 /dev/urandom | xxd -p -c 64)
boot "$W/checked.qcow2" "$NONCE" "$W/boot"
done_step

step "check the TD's evidence on the host"
check_boot_tdx "$W/boot" "$NONCE"
done_step
echo "tdx-host-check: all checks passed" >&2
