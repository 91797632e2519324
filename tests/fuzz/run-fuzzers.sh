#!/usr/bin/env bash
# Run each libFuzzer harness for FUZZ_SECONDS, seeded from the shared fixtures
# (copied into the build tree: the fixtures are never written).  A crash, leak
# or sanitizer report fails the run and leaves the reproducer in BUILD/fuzz/.
set -u
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FIXTURES=${FIXTURES:?}
cd "$(dirname "$0")/../.."

seeds() {
        case "$1" in
        tcg2) ls "$FIXTURES"/tcg2-*.bin ;;
        ccel) ls "$FIXTURES"/ccel-*.bin ;;
        ima) ls "$FIXTURES"/ima-* ;;
        cel) ls "$FIXTURES"/cel-* ;;
        quote) ls "$FIXTURES"/tdxquote-* ;;
        policy) ls plugins/50-cvm-measurer/files/policy.yaml ;;
        grub_cfg|grub_hints) ls "$BUILD"/fuzz/seeds/grub/* ;;
        kernel_pkg) ls "$BUILD"/fuzz/seeds/kernel/* ;;
        kernel_config) ls "$BUILD"/fuzz/seeds/kconfig/* ;;
        guest_id) ls "$BUILD"/fuzz/seeds/guest/* ;;
        qemu_img_info) ls "$BUILD"/fuzz/seeds/qemu-img/* 2>/dev/null ;;
        initrd) ls "$BUILD"/fuzz/seeds/initrd/* ;;
        elf) echo /etc/ld.so.cache "$BUILD"/fuzz/seeds/elf/* ;;
        recipe) ls "$BUILD"/fuzz/seeds/recipe/* ;;
        manifest) ls "$BUILD"/fuzz/seeds/manifest/* 2>/dev/null ;;
        accounts) ls "$BUILD"/fuzz/seeds/accounts/* ;;
        tcg12|ccel_table|qgs) ;;
        auto) ls "$FIXTURES"/*.bin "$FIXTURES"/*.txt ;;
        esac
}

# Seeds that are made, not kept: small initramfs images in every compression,
# early segment first; and small ELF objects (truncated to the fuzzer's max_len).
make_seeds() {
        local d="$BUILD/fuzz/seeds" t
        rm -rf "$d" && mkdir -p "$d/initrd" "$d/elf" && t=$(mktemp -d) || return
        mkdir -p "$t/kernel/x86/microcode" "$t/etc"
        echo ucode >"$t/kernel/x86/microcode/GenuineIntel.bin"
        echo cvm >"$t/etc/hostname" && ln -s hostname "$t/etc/link"
        (cd "$t" && find kernel | cpio --quiet -o -H newc) >"$d/initrd/early.cpio"
        (cd "$t" && find etc | cpio --quiet -o -H newc) >"$t/main.cpio"
        for c in gzip zstd xz bzip2 "lz4 -l"; do
                $c -c <"$t/main.cpio" >"$t/main.z" 2>/dev/null || continue
                cat "$d/initrd/early.cpio" "$t/main.z" >"$d/initrd/early-${c%% *}.img"
        done
        xz --format=lzma -c <"$t/main.cpio" >"$t/main.z" && cat "$d/initrd/early.cpio" "$t/main.z" >"$d/initrd/early-lzma.img"
        # Two compressed segments: the end of the first is found while its entries are read.
        xz -c <"$t/main.cpio" | cat "$d/initrd/early-gzip.img" - >"$d/initrd/early-gzip-xz.img"
        cp "$t/main.cpio" "$d/initrd/"
        rm -rf "$t"
        # guest_id: this host's os-release and fstab, the closed loop's Ubuntu layout, an ELF header.
        mkdir -p "$d/guest"
        for f in /etc/os-release /etc/debian_version /etc/fstab tests/e2e/ubuntu-layout/os-release; do
                [ -f "$f" ] && cp "$f" "$d/guest/${f//\//_}"
        done
        head -c 64 /bin/sh >"$d/guest/elf"
        # qemu_img_info: what qemu-img info prints of a plain qcow2, one with a backing file, a snapshot, a data file.
        mkdir -p "$d/qemu-img"
        t=$(mktemp -d)
        if command -v qemu-img >/dev/null && qemu-img create -q -f raw "$t/b.raw" 1M &&
                qemu-img create -q -f qcow2 "$t/plain.qcow2" 1M && qemu-img create -q -f qcow2 -b "$t/b.raw" -F raw "$t/linked.qcow2" &&
                qemu-img create -q -f qcow2 -o data_file="$t/b.raw" "$t/df.qcow2" 1M && cp "$t/plain.qcow2" "$t/snap.qcow2" &&
                qemu-img snapshot -c s1 "$t/snap.qcow2"; then
                for f in plain linked df snap; do qemu-img info --output=json "$t/$f.qcow2" >"$d/qemu-img/$f.json"; done
        fi
        rm -rf "$t"
        # recipe: the first byte picks plugin.yaml (odd) or recipe (even).
        mkdir -p "$d/recipe"
        for f in plugins/*/plugin.yaml tests/rewriter/plugins/*/plugin.yaml; do
                { printf '\001'; cat "$f"; } >"$d/recipe/plugin-${f//\//_}"
        done
        for f in recipes/*.yaml tests/rewriter/recipes/*.yaml; do
                { printf '\002'; cat "$f"; } >"$d/recipe/recipe-${f//\//_}"
        done
        # accounts: OP NAME \0 HASH \0 TEXT (OP % 3: 0 shadow edit, 1 passwd, 2 group), the test guest's files.
        mkdir -p "$d/accounts"
        printf '\000debian\000$6$salt$hash\000root:*:19000:0:99999:7:::\ndebian:*:19000:0:99999:7:::\n' >"$d/accounts/shadow"
        printf '\001debian\000\000root:x:0:0:root:/root:/bin/sh\ndebian:x:1000:1000:Debian:/home/debian:/bin/sh\n' >"$d/accounts/passwd"
        printf '\002debian\000\000root:x:0:\ndebian:x:1000:\n' >"$d/accounts/group"
        # recipe with a fuzzed plugin tree (RECIPE \0 PLUGIN_YAML \0 NAME \0 CONTENT ...): every-step and its files.
        t=tests/rewriter/plugins/10-every-step
        { printf '\002name: t\nplugins:\n  - name: fuzzed\n    params: {key: k, password: p}\n\0'
          sed 's/^name: every-step$/name: fuzzed/' "$t/plugin.yaml"
          (cd "$t/files" && find . -type f | sed 's|^\./||' | while read -r f; do printf '\0%s\0' "$f"; cat "$f"; done)
          printf '\0@link\0app.conf'; } >"$d/recipe/tree-every-step"
        # manifest: the first byte picks the space (odd: TDX); a dry run's reference values, both spaces.
        mkdir -p "$d/manifest"
        if [ -x "$BUILD/bin/cvm-measure" ] && t=$(mktemp -d); then
                mkdir -p "$t/m/etc" && echo x >"$t/m/etc/hostname" && echo ro >"$t/m/cmdline"
                printf 'version: 1\ngroups:\n  - name: g\n    class: os\n    items:\n      - cmdline: true\n      - file: /etc/hostname\n      - string: a=b\n' >"$t/m/p.yaml"
                for s in tdx tpm; do
                        { [ "$s" = tdx ] && printf '\001' || printf '\002'; \
                          "$BUILD/bin/cvm-measure" --dry-run --root "$t/m" --proc "$t/m" --policy "$t/m/p.yaml" --json \
                                $([ "$s" = tpm ] && echo --backend tpm2 --bank sha256) 2>/dev/null |
                          jq -c --arg s "$s" '{reference_values: {measurer: true, ($s): {events: [.events[] | {index, kind, item, data, (.alg): .digest}], registers}}}'; \
                        } >"$d/manifest/$s.json"
                done
                rm -rf "$t"
        fi
        # grub_cfg: the first byte picks a saved_entry; the configurations the unit tests read.
        mkdir -p "$d/grub" "$d/kernel"
        { printf '\000'; cat tests/rewriter/make-guest.sh; } >"$d/grub/make-guest"
        sed -n '/^static const char generated/,/^$/p;/^static const char handwritten/,/^$/p' tests/unit/test_kernel.c |
                grep -o '"[^"]*\\n"' | sed 's/^"//;s/\\n"$//;s/\\t/\t/g;s/\\"/"/g' | { printf '\001'; cat; } >"$d/grub/unit"
        # kernel_config: the first byte picks tdx_extend and target; this host's kernel config, and the unit tests' kernels.
        mkdir -p "$d/kconfig"
        for f in /boot/config-*; do [ -f "$f" ] && { printf '\033'; cat "$f"; } >"$d/kconfig/${f##*/}"; done
        sed -n '/^static const char k[0-9a-z]*\[\]/,/;$/p' tests/unit/test_kernel_caps.c | grep -o '"[^"]*"' |
                sed 's/^"//;s/"$//' | sed 's/\\n/\n/g' | { printf '\001'; cat; } >"$d/kconfig/unit"
        # kernel_pkg: a small kernel .deb (xz, as dpkg-deb writes it).
        if t=$(mktemp -d); then
                mkdir -p "$t/p/DEBIAN" "$t/p/boot" && echo MZ >"$t/p/boot/vmlinuz-6.1.0-1-amd64"
                printf 'Package: linux-image-test\nVersion: 1\nArchitecture: amd64\nMaintainer: t <t@t>\nDescription: t\n' >"$t/p/DEBIAN/control"
                dpkg-deb -Zxz --build "$t/p" "$d/kernel/linux-image.deb" >/dev/null 2>&1
                rm -rf "$t"
        fi
        for f in /bin/true /lib/x86_64-linux-gnu/libz.so.1 "$BUILD"/libexec/cvm-launch; do
                [ -f "$f" ] && head -c 131072 "$f" >"$d/elf/${f##*/}"
        done
}

# run_one NAME: one harness for FUZZ_SECONDS; its line of result in BUILD/fuzz/NAME.result, exit 1 on a finding.
run_one() {
        local name=$1 bin="$BUILD/fuzz/fuzz_$1" corpus="$BUILD/fuzz/corpus/$1" start runs
        mkdir -p "$corpus"
        for s in $(seeds "$name"); do cp -f "$s" "$corpus/"; done
        start=$(date +%s)
        if "$bin" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -max_len=131072 -timeout=10 \
                -artifact_prefix="$BUILD/fuzz/$name-" -print_final_stats=1 "$corpus" >"$BUILD/fuzz/$name.log" 2>&1; then
                runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$BUILD/fuzz/$name.log" | grep -o '[0-9]*$')
                echo "fuzz $name: ok, ${runs:-?} inputs in $(( $(date +%s) - start )) s, corpus $(ls "$corpus" | wc -l)" >"$BUILD/fuzz/$name.result"
                return 0
        fi
        { echo "fuzz $name: FAILED (see $BUILD/fuzz/$name.log)"
          grep -E 'ERROR|SUMMARY|artifact' "$BUILD/fuzz/$name.log" | head -5; } >"$BUILD/fuzz/$name.result"
        return 1
}

make_seeds
# FUZZ_JOBS harnesses at a time (each is single-threaded): one per core by default.
jobs_max=${FUZZ_JOBS:-$(nproc)}
names=()
for bin in "$BUILD"/fuzz/fuzz_*; do
        [ -x "$bin" ] || continue
        names+=("${bin##*/fuzz_}")
done
for name in "${names[@]}"; do
        while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
        rm -f "$BUILD/fuzz/$name.result"
        run_one "$name" &
done
wait
failed=0
for name in "${names[@]}"; do
        cat "$BUILD/fuzz/$name.result" 2>/dev/null || echo "fuzz $name: FAILED (no result)"
        grep -q ': ok,' "$BUILD/fuzz/$name.result" 2>/dev/null || failed=$((failed + 1))
done
[ "$failed" -eq 0 ]
