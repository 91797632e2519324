#!/usr/bin/env bash
# cvm-measure --dry-run hash throughput on a large real tree (/usr/lib by
# default, BENCH_TREE to change) against `openssl dgst -sha384` and
# `sha384sum` over the same files in the same run (page cache warmed first),
# with 1 and 2 threads; then events per second over many small files.
set -eu
BUILD=${BUILD:-build}
M="$BUILD/bin/cvm-measure"
TREE=${BENCH_TREE:-/usr/lib}
cd "$(dirname "$0")/../.."
. tests/bench/figure.sh
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

printf 'version: 1\ngroups:\n  - name: bench\n    class: os\n    on_error: continue\n    items:\n      - tree: %s\n' "$TREE" >"$dir/p.yaml"
find "$TREE" -type f -readable -print0 >"$dir/files"
nfiles=$(tr -cd '\0' <"$dir/files" | wc -c)
bytes=$(xargs -0 -a "$dir/files" cat 2>/dev/null | wc -c)
now() { date +%s%N; }
t() { local t0; t0=$(now); "$@" >/dev/null 2>&1; echo $(( $(now) - t0 )); }

echo "bench: hashing $TREE ($nfiles files, $((bytes / 1048576)) MiB, page cache warm), SHA-384, $(nproc) cores"
t "$M" --dry-run --root / --policy "$dir/p.yaml" --threads 1 >/dev/null
m1=$(t "$M" --dry-run --root / --policy "$dir/p.yaml" --threads 1)
m2=$(t "$M" --dry-run --root / --policy "$dir/p.yaml" --threads 2)
os=$(t xargs -0 -a "$dir/files" openssl dgst -sha384)
ss=$(t xargs -0 -a "$dir/files" sha384sum)
awk -v m1="$m1" -v m2="$m2" -v o="$os" -v s="$ss" -v b="$bytes" 'BEGIN {
        mb = b / 1048576
        printf "cvm-measure 1 thread   %8.0f ms  %7.1f MiB/s\n", m1 / 1e6, mb / (m1 / 1e9)
        printf "cvm-measure 2 threads  %8.0f ms  %7.1f MiB/s\n", m2 / 1e6, mb / (m2 / 1e9)
        printf "openssl dgst -sha384   %8.0f ms  %7.1f MiB/s\n", o / 1e6, mb / (o / 1e9)
        printf "sha384sum              %8.0f ms  %7.1f MiB/s\n", s / 1e6, mb / (s / 1e9)
        printf "ratio vs openssl (1 thread): %.2fx (target >= 0.95x); vs sha384sum: %.2fx; 2 threads over 1: %.2fx (target >= 1.8x)\n",
               o / m1, s / m1, m1 / m2 }'
ms() { awk -v t="$1" 'BEGIN { printf "%.1f", t / 1e6 }'; }
figure "hashing $TREE, SHA-384, 1 thread" cvm-measure "$(ms "$m1")" "openssl dgst" "$(ms "$os")" ms ">=0.95"
figure "hashing $TREE, SHA-384, 2 threads over 1" "2 threads" "$(ms "$m2")" "1 thread" "$(ms "$m1")" ms ">=1.8"

mkdir -p "$dir/small/etc"
for i in $(seq 1 20000); do printf '%d\n' "$i" >"$dir/small/etc/f$i"; done
printf 'version: 1\ngroups:\n  - name: small\n    class: os\n    items:\n      - tree: /etc\n' >"$dir/s.yaml"
ms=$(t "$M" --dry-run --root "$dir/small" --policy "$dir/s.yaml")
awk -v t="$ms" 'BEGIN { printf "20000 small files: %.0f ms, %.0f events/s\n", t / 1e6, 20002 / (t / 1e9) }'
