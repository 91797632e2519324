#!/usr/bin/env bash
# What a CI job runs to build a CC foundation image:
#   ci/build-foundation-image.sh BASE_IMAGE RECIPE OUT
# 1. installs the dependencies (make deps-build deps-run; apt-get as root) and builds cvmkit;
# 2. rewrites BASE_IMAGE with RECIPE into OUT and OUT.manifest.json;
# 3. boot-checks OUT, TPM flavour: a test copy with the report unit (outside
#    what the policy measures) boots under QEMU + OVMF + swtpm; its live PCRs
#    must equal the replay of its logs, its quote must verify with the host's
#    nonce and the swtpm's key, and `cvm-evidence verify --manifest` must match;
# 4. leaves OUT, OUT.manifest.json and OUT.evidence/ (the serial log and every
#    evidence block the guest printed) as the job's artifacts.
# A TDX boot check needs a TDX host: run the same rewrite there and
# `cvm-evidence verify --manifest` in the booted TD (README, "CI").
# Exit 0 when the image is built and checked; otherwise the failed step is named.
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 BASE_IMAGE RECIPE OUT" >&2; exit 1; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE_IMAGE=$(realpath "$1")
RECIPE=$(realpath "$2")
OUT=$(realpath -m "$3")
BUILD=${BUILD:-$ROOT/build}
E="$BUILD/bin/cvm-evidence"
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}
MANIFEST="$OUT.manifest.json"
# TCG unless the caller cleared LIBGUESTFS_BACKEND_SETTINGS (KVM; the CI workflow does where /dev/kvm opens).
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS-force_tcg}
W=$(mktemp -d "${TMPDIR:-/tmp}/cvm-ci.XXXXXX")
# shellcheck source=tests/e2e/lib.sh
. "$ROOT/tests/e2e/lib.sh"
trap 'on_exit "build-foundation-image"' EXIT
trap 'exit 130' INT TERM

step "dependencies and build"
make -C "$ROOT" deps-build deps-run >&2
make -C "$ROOT" -j"$(nproc)" BUILD="$BUILD" all >/dev/null
done_step

step "rewrite $(basename "$BASE_IMAGE") with $(basename "$RECIPE")"
"$BUILD/bin/cvm-rewrite" --recipe "$RECIPE" --plugins "$ROOT/plugins" --input "$BASE_IMAGE" --output "$OUT"
done_step

step "boot check (QEMU + OVMF + swtpm)"
report_image "$OUT" "$W/checked.qcow2"
NONCE=$(head -c 32 /dev/urandom | xxd -p -c 64)
boot "$W/checked.qcow2" "$NONCE" "$W/boot"
check_boot "$W/boot" "$NONCE"
expect_rc "$W/boot" verify 0
done_step

rm -rf "$OUT.evidence"
mkdir -p "$OUT.evidence"
cp "$W/boot/serial.log" "$W/boot/host-replay.json" "$OUT.evidence/"
for b in info measurements firmware-log runtime-log ima-log replay-check quote verify; do cp "$W/boot/$b" "$OUT.evidence/"; done
echo "build-foundation-image: $OUT, $MANIFEST and $OUT.evidence/ are ready" >&2
