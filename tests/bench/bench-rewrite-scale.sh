#!/usr/bin/env bash
# Whether a rewrite costs what it changes or what the image weighs: the
# reference recipe (tests/bench/rewrite-reference.yaml) on the small test
# guest and on the same guest grown to an 8 GiB disk with 2 GiB of unrelated
# data (tests/rewriter/make-guest.sh GUEST_SIZE, GUEST_FILLER_MB), each against
# a bare appliance launch + shutdown on the same image, with cvm-rewrite's own
# stage times (prepare, launch, steps, reference values, output).  Goals: on
# the small guest cvm-rewrite <= 1.3x its bare launch; the grown guest's cost
# beyond its bare launch no more than 10% over the small guest's.
#
# The images live on a file system that can reflink where this machine lets
# us make one (root, mkfs.btrfs, a loop device): there the output is the
# input's reflink with the changed clusters committed (CVM_REWRITE_OUTPUT=auto).
# The grown guest is also rewritten with CVM_REWRITE_OUTPUT=convert, so the
# two ways of writing the output are measured side by side.  Without such a
# file system the script says so and every rewrite converts.
set -eu
BUILD=${BUILD:-build}
cd "$(dirname "$0")/../.."
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
top=$(mktemp -d)
dir=$top
loop=
cleanup() {
        if mountpoint -q "$top/fs" 2>/dev/null; then umount "$top/fs"; fi
        if [ -n "$loop" ]; then losetup -d "$loop"; fi
        rm -rf "$top"
}
trap cleanup EXIT
now() { date +%s%N; }
# shellcheck source=tests/bench/figure.sh
. tests/bench/figure.sh

fs=$(stat -f -c %T "$top")
# Direct I/O: the loop device reads its backing file as a disk would, not
# through a second page cache (without it a cold 2 GiB read took 7 s, not 2.6).
if [ "$(id -u)" = 0 ] && command -v mkfs.btrfs >/dev/null && truncate -s 24G "$top/fs.img" &&
        mkfs.btrfs -q "$top/fs.img" >/dev/null 2>&1 && loop=$(losetup --direct-io=on -f --show "$top/fs.img" 2>/dev/null) &&
        mkdir "$top/fs" && mount "$loop" "$top/fs" 2>/dev/null; then
        dir=$top/fs
        fs="btrfs on a loop device (direct I/O)"
else
        echo "bench: no file system with reflink here (needs root, mkfs.btrfs, a loop device): the outputs are converted on $fs" >&2
fi

echo "bench: building the small and the grown test guest on $fs ..." >&2
CVM_BIN=$BUILD/bin tests/rewriter/make-guest.sh "$dir/small.qcow2"
GUEST_SIZE=8G GUEST_FILLER_MB=2048 CVM_BIN=$BUILD/bin tests/rewriter/make-guest.sh "$dir/grown.qcow2"

# measure NAME GUEST HOW RUNS: "NAME BARE_NS REWRITE_NS IMAGE_BYTES", cvm-rewrite's five stage times and its output
# method, for $dir/GUEST.qcow2 with CVM_REWRITE_OUTPUT=HOW.  RUNS bare launches and rewrites, interleaved: a TCG
# launch here varies by 4 s from one to the next, so the line holds the median bare launch and the rewrite of median
# total (its stage times with it).
measure() {
        local i t0 bare=() ours=() mid=$((($4 + 1) / 2)) k
        for i in $(seq "$4"); do
                t0=$(now); guestfish --ro -a "$dir/$2.qcow2" run; bare+=($(( $(now) - t0 )))
                t0=$(now)
                CVM_REWRITE_OUTPUT=$3 "$BUILD/bin/cvm-rewrite" --recipe tests/bench/rewrite-reference.yaml \
                        --plugins tests/bench/rewrite-plugins --input "$dir/$2.qcow2" --output "$dir/$1-out.qcow2" --json \
                        >"$dir/$1.$i.json" 2>"$dir/$1.$i.err" || { cat "$dir/$1.$i.err" >&2; exit 1; }
                ours+=($(( $(now) - t0 )))
                rm -f "$dir/$1-out.qcow2"
        done
        k=$(for i in "${!ours[@]}"; do echo "${ours[$i]} $((i + 1))"; done | sort -n | sed -n "${mid}p" | cut -d' ' -f2)
        echo "$1 $(printf '%s\n' "${bare[@]}" | sort -n | sed -n "${mid}p") ${ours[$((k - 1))]} $(stat -c %s "$dir/$2.qcow2") $(jq -r '.stages | [.prepare, .launch, .steps, ."reference values", .output] | @tsv' "$dir/$1.$k.json") $(jq -r .output_method "$dir/$1.$k.json") $(grep -oE 'its sha256 \([0-9]+ MiB\) in [0-9.]+' "$dir/$1.$k.err" | awk '{ print $NF }')"
}
runs=${BENCH_REWRITE_RUNS:-3}
{ measure small small auto "$runs"; measure grown grown auto "$runs"; measure grown-convert grown convert 1; } >"$dir/figures"

awk -v fs="$fs" '
{ name[NR] = $1; bare[NR] = $2 / 1e9; ours[NR] = $3 / 1e9; size[NR] = $4; launch[NR] = $6; out[NR] = $9; how[NR] = $10; sha[NR] = $11
  st[NR] = sprintf("prepare %.1f s, launch %.1f s, steps %.1f s, reference values %.1f s, output %.1f s (%s; its sha256 %.1f s)",
                   $5, $6, $7, $8, $9, $10, $11) }
END {
        printf "rewrite cost against image size (same recipe, 6 plugins; images on %s)\n", fs
        for (i = 1; i <= NR; i++)
                printf "  %-13s (%5.0f MiB image): bare launch %5.1f s, cvm-rewrite %5.1f s = %.2fx, beyond the launch %5.1f s\n" \
                        "         stages: %s\n", name[i], size[i] / 1048576, bare[i], ours[i], ours[i] / bare[i],
                        ours[i] - bare[i], st[i]
        printf "  small guest: cvm-rewrite / bare launch %.2fx (goal <= 1.3x)\n", ours[1] / bare[1]
        printf "  grown / small, cost beyond the bare launch: %.2fx (goal <= 1.10x)\n", (ours[2] - bare[2]) / (ours[1] - bare[1])
        # The same without the launch-to-launch noise of a loaded machine: each run less its own launch stage.
        printf "  grown / small, cost beyond cvm-rewrite'"'"'s own launch stage: %.2fx (goal <= 1.10x)\n", (ours[2] - launch[2]) / (ours[1] - launch[1])
        printf "  the same less the output sha256 (the one part that reads the whole output): %.2fx\n", \
                (ours[2] - launch[2] - sha[2]) / (ours[1] - launch[1] - sha[1])
        printf "  grown guest output stage: %s %.1f s, convert %.1f s\n", how[2], out[2], out[3]
}' "$dir/figures"
# The issue's goals as figure lines (seconds): the small guest against its
# bare launch; the grown guest's cost beyond its own launch stage against the
# small guest's; the grown guest's output stage, committed against converted.
read -r _ sb so _ _ sl _ <"$dir/figures"
read -r _ _ go _ _ gl _ _ gout _ < <(sed -n 2p "$dir/figures")
read -r _ _ _ _ _ _ _ _ cout _ < <(sed -n 3p "$dir/figures")
figure "cvm-rewrite, small guest, 6 plugins" cvm-rewrite "$(awk -v o="$so" 'BEGIN { print o / 1e9 }')" \
        "bare launch" "$(awk -v b="$sb" 'BEGIN { print b / 1e9 }')" s "<=1.3"
figure "cvm-rewrite beyond its launch, grown guest (8 GiB, 2 GiB more data) vs small" grown \
        "$(awk -v o="$go" -v l="$gl" 'BEGIN { print o / 1e9 - l }')" small "$(awk -v o="$so" -v l="$sl" 'BEGIN { print o / 1e9 - l }')" s "<=1.10"
figure "output stage, grown guest, $(sed -n 2p "$dir/figures" | awk '{ print $10 }') vs convert ($fs)" ours "$gout" convert "$cout" s ">=1"
