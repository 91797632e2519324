#!/usr/bin/env bash
# Live registers: read and extend latency through libcvm on a real TPM 2.0
# (swtpm on loopback) and on the sim backend (labelled simulated), p50/p99;
# then `cvm-evidence measurements` against the peer `tpm2_pcrread` reading all
# 24 PCRs of every bank of the same swtpm, in the same run (ratio).
set -eu
BUILD=${BUILD:-build}
E="$BUILD/bin/cvm-evidence"
N=${N:-500}
RUNS=${RUNS:-30}
cd "$(dirname "$0")/../.."

command -v swtpm >/dev/null && command -v tpm2_pcrread >/dev/null ||
        { echo "bench: swtpm and tpm2_pcrread (tpm2-tools) are needed" >&2; exit 1; }
dir=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
for _ in 1 2 3 4 5 6 7 8; do
        port=$((20000 + RANDOM % 20000))
        if swtpm socket --tpm2 --tpmstate dir="$dir" --server type=tcp,port=$port,bindaddr=127.0.0.1 \
                --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear \
                -d --pid file="$dir/pid" 2>/dev/null; then
                sleep 0.3
                pid=$(cat "$dir/pid")
                break
        fi
done
[ -n "$pid" ] || { echo "bench: could not start swtpm" >&2; exit 1; }
tcti="swtpm:host=127.0.0.1,port=$port"

echo "bench: register latency through libcvm ($N ops each), $(nproc) cores"
"$BUILD/bench/imrbench" tpm2 "$N" "$tcti"
"$BUILD/bench/imrbench" sim "$N" "$dir/sim-registers" | sed 's/^/SIMULATED /'

now() { date +%s%N; }
time_runs() {
        local t0
        t0=$(now)
        for _ in $(seq "$RUNS"); do "$@" >/dev/null 2>&1 || { echo "bench: '$*' failed" >&2; exit 1; }; done
        echo $(( $(now) - t0 ))
}
o=$(time_runs "$E" measurements --json --tcti "$tcti")
p=$(time_runs env TPM2TOOLS_TCTI="$tcti" tpm2_pcrread sha1:all+sha256:all+sha384:all+sha512:all)
awk -v o="$o" -v p="$p" -v n="$RUNS" 'BEGIN {
        printf "all 96 PCRs (4 banks x 24), %d runs: cvm-evidence measurements %.2f ms/run, tpm2_pcrread %.2f ms/run, ratio %.2fx\n",
               n, o / n / 1e6, p / n / 1e6, p / o }'
