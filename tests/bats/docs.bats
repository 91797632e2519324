#!/usr/bin/env bats
# The manual pages (PART/doc/*.scd, built into BUILD/man/) and the bash
# completions (PART/doc/*.bash) against the tools' own --help: every long
# option of every tool and command is in its page and offered by its
# completion, the pages render without warnings and have the required
# sections, and the completions complete commands, options, backends,
# recipes and plugins.

bats_require_minimum_version 1.5.0

ROOT="$BATS_TEST_DIRNAME/../.."

setup() {
        BIN="${CVM_BIN:-$ROOT/build/bin}"
        MAN="$BIN/../man"
        VM="$ROOT/ci/cvm-vm"
        T="$BATS_TEST_TMPDIR"
}

PAGES="cvm-evidence.1 cvm-measure.8 cvm-initrd.1 cvm-rewrite.1 cvm-vm.1 cvm-policy.5 cvm-recipe.5 libcvm.3"

# TOOL PAGE: the executable of a tool, and its page.
tool_path() { if [ "$1" = cvm-vm ]; then echo "$VM"; else echo "$BIN/$1"; fi; }

# The commands a tool's --help lists ("  name   what it does" lines).
commands_of() { "$(tool_path "$1")" --help | awk '/^  [a-z][a-z0-9-]* +[a-zA-Z]/ { print $1 }'; }

# The long options of TOOL [COMMAND] --help.
longopts() { "$@" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }

# The completions of the last complete_words run, one a line.
reply() { [ "${#lines[@]}" -eq 0 ] || printf '%s\n' "${lines[@]}"; }

# A built page's words without roff's font escapes and scdoc's \& after periods.
words_of() { sed -e 's/\\f[BIR]//g' -e 's/\\&//g' "$MAN/$1"; }

# Run a completion: complete_words FILE FUNCTION WORD...; the last word is the
# one being completed; prints COMPREPLY one a line.
complete_words() {
        local file=$1 fn=$2
        shift 2
        bash -c 'source "$1"; fn=$2; shift 2; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"
                 COMP_POINT=${#COMP_LINE}; "$fn"; [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' _ "$file" "$fn" "$@"
}

@test "every page is built, with NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXIT STATUS, FILES, EXAMPLES and SEE ALSO" {
        for p in $PAGES; do
                [ -s "$MAN/$p" ] || { echo "$MAN/$p: not built" >&2; return 1; }
                for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" FILES EXAMPLES "SEE ALSO"; do
                        grep -qx "\.SH $s" "$MAN/$p" || { echo "$p: no section $s" >&2; return 1; }
                done
                # NAME is "name - what", as whatis(1) and apropos(1) read it.
                sed -n '/^\.SH NAME/,/^\.SH/p' "$MAN/$p" | grep -q "^${p%.*} - ." || { echo "$p: bad NAME line" >&2; return 1; }
        done
}

@test "every page renders without a warning (groff -ww, man -l)" {
        for p in $PAGES; do
                run --separate-stderr groff -t -man -Tutf8 -ww -z "$MAN/$p"
                [ "$status" -eq 0 ] && [ -z "$stderr" ] || { echo "$p: $stderr" >&2; return 1; }
                if command -v man >/dev/null; then
                        run --separate-stderr env MANWIDTH=80 man --warnings -l "$MAN/$p"
                        [ "$status" -eq 0 ] && [ -z "$stderr" ] && [ -n "$output" ] || { echo "$p: $stderr" >&2; return 1; }
                fi
                # scdoc puts .PP after .SH and between items, which mandoc notes and skips:
                # every other warning counts.
                if command -v mandoc >/dev/null; then
                        run mandoc -T lint -W warning "$MAN/$p"
                        ! grep -v 'skipping paragraph macro' <<<"$output" | grep . >&2 || return 1
                fi
        done
}

# Every long option of TOOL [COMMAND] --help appears in PAGE as a whole word.
options_in_page() {
        local page=$1 missing=
        shift
        for o in $(longopts "$@"); do
                words_of "$page" | grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|\$)" || missing="$missing $o"
        done
        [ -z "$missing" ] || { echo "$page lacks$missing (from $* --help)" >&2; return 1; }
}

@test "cvm-evidence(1) has every long option of cvm-evidence and of each of its commands" {
        run commands_of cvm-evidence
        [ "${#lines[@]}" -ge 9 ]
        options_in_page cvm-evidence.1 "$BIN/cvm-evidence"
        for c in "${lines[@]}"; do
                grep -q "^\\\\fB$c\\\\fR" "$MAN/cvm-evidence.1" || { echo "cvm-evidence.1: command $c not described" >&2; return 1; }
                options_in_page cvm-evidence.1 "$BIN/cvm-evidence" "$c"
        done
}

@test "cvm-initrd(1) has every long option of cvm-initrd and of each of its commands" {
        run commands_of cvm-initrd
        [ "${#lines[@]}" -ge 6 ]
        options_in_page cvm-initrd.1 "$BIN/cvm-initrd"
        for c in "${lines[@]}"; do
                grep -q "^\\\\fB$c\\\\fR" "$MAN/cvm-initrd.1" || { echo "cvm-initrd.1: command $c not described" >&2; return 1; }
                options_in_page cvm-initrd.1 "$BIN/cvm-initrd" "$c"
        done
}

@test "cvm-measure(8), cvm-rewrite(1) and cvm-vm(1) have every long option of their tool" {
        options_in_page cvm-measure.8 "$BIN/cvm-measure"
        options_in_page cvm-rewrite.1 "$BIN/cvm-rewrite"
        options_in_page cvm-vm.1 "$VM"
        run commands_of cvm-vm
        [ "${#lines[@]}" -eq 4 ]
        for c in "${lines[@]}"; do grep -q "^\\\\fB$c\\\\fR" "$MAN/cvm-vm.1"; done
}

@test "cvm-evidenced(8) has every long option of cvm-evidenced" {
        options_in_page cvm-evidenced.8 "$BIN/cvm-evidenced"
}

@test "cvm-policy(5) names every policy key the parser accepts" {
        for k in $(grep -oE 'strcmp\(key, "[a-z_]+"\)' "$ROOT/measurer/lib/policy.c" | cut -d'"' -f2 | sort -u) \
                cmdline file tree glob string; do
                words_of cvm-policy.5 | grep -qE "(^|[^a-z_])$k([^a-z_]|\$)" || { echo "cvm-policy.5 lacks $k" >&2; return 1; }
        done
}

@test "cvm-recipe(5) names every step kind and every recipe and plugin key the rewriter accepts" {
        # Each kind is declared once, in its own file: const struct step_kind kind_X = { "NAME", ...
        local kinds
        kinds=$(sed -n 's/^const struct step_kind kind_[a-z_]* = { "\([a-z-]*\)".*/\1/p' "$ROOT"/rewriter/*.c)
        [ "$(echo "$kinds" | wc -l)" -ge 27 ]
        for k in $kinds \
                $(grep -ohE 'strcmp\(key, "[a-z_]+"\)' "$ROOT/rewriter/recipe.c" "$ROOT/rewriter/plugin.c" | cut -d'"' -f2 | sort -u); do
                words_of cvm-recipe.5 | grep -qE "(^|[^a-z_-])$k([^a-z_-]|\$)" || { echo "cvm-recipe.5 lacks $k" >&2; return 1; }
        done
}

@test "libcvm(3) maps each CC Trusted API call to libcvm, with both index conventions" {
        for c in get_default_algorithm get_measurement_count get_cc_measurement get_cc_eventlog get_cc_report \
                replay_cc_eventlog cvm_rtmr_to_ccmr cvm_ccmr_to_rtmr "RTMR2 is CC MR 3"; do
                words_of libcvm.3 | grep -q "$c" || { echo "libcvm.3 lacks $c" >&2; return 1; }
        done
        # Every cvm_cc_* call of cvm/cc.h is in the table.
        for f in $(grep -oE 'cvm_cc_[a-z_]+\(' "$ROOT/measurer/include/cvm/cc.h" | tr -d '(' | sort -u); do
                words_of libcvm.3 | grep -q "$f" || { echo "libcvm.3 lacks $f" >&2; return 1; }
        done
        # Every header libcvm installs is listed.
        for h in "$ROOT"/measurer/include/cvm/*.h; do
                words_of libcvm.3 | grep -qF "cvm/${h##*/}" || { echo "libcvm.3 lacks ${h##*/}" >&2; return 1; }
        done
}

@test "the page plugin 51 installs into images is the built cvm-evidence(1)" {
        # The plugin copies only from its files/; the build date line may differ.
        diff <(grep -v '^\.TH\|Generated by' "$MAN/cvm-evidence.1") \
                <(grep -v '^\.TH\|Generated by' "$ROOT/plugins/51-cvm-evidence/files/cvm-evidence.1") || {
                echo "refresh it: cp $MAN/cvm-evidence.1 plugins/51-cvm-evidence/files/" >&2
                return 1
        }
}

# --- bash completion -------------------------------------------------------

@test "completion: every completion file loads in bash and registers its tool" {
        for t in cvm-evidence:measurer cvm-measure:measurer cvm-initrd:initrd cvm-rewrite:rewriter cvm-vm:ci; do
                run bash -c 'source "$1" && complete -p "$2"' _ "$ROOT/${t#*:}/doc/${t%%:*}.bash" "${t%%:*}"
                [ "$status" -eq 0 ]
                [[ $output == *" ${t%%:*}" ]]
        done
}

@test "completion: cvm-evidence commands, options of each command, backends, formats" {
        local f="$ROOT/measurer/doc/cvm-evidence.bash"
        run complete_words "$f" _cvm_evidence "$BIN/cvm-evidence" ""
        diff <(reply | grep -v '^--' | sort) <(commands_of cvm-evidence | sort)
        run complete_words "$f" _cvm_evidence "$BIN/cvm-evidence" repl
        [ "$output" = replay ]
        run complete_words "$f" _cvm_evidence "$BIN/cvm-evidence" replay --ch
        [ "$output" = --check ]
        for c in $(commands_of cvm-evidence); do
                run complete_words "$f" _cvm_evidence "$BIN/cvm-evidence" "$c" --
                diff <(reply | sort) <(longopts "$BIN/cvm-evidence" "$c")
        done
        run complete_words "$f" _cvm_evidence "$BIN/cvm-evidence" info --backend ""
        [ "${lines[*]}" = "tpm2 tdx sim service" ]
        "$BIN/cvm-evidence" info --help | grep -q -- '--backend B  *tpm2, tdx or sim'
        run complete_words "$f" _cvm_evidence "$BIN/cvm-evidence" eventlog --format ima-
        [ "${lines[*]}" = "ima-ascii ima-binary" ]
        "$BIN/cvm-evidence" eventlog --help | grep -q 'auto (default), tcg2, tcg12, ccel, ima, ima-ascii, ima-binary, cel'
        run complete_words "$f" _cvm_evidence "$BIN/cvm-evidence" measurements --alg sha3
        [ "$output" = sha384 ]
}

@test "completion: cvm-measure options and backends" {
        local f="$ROOT/measurer/doc/cvm-measure.bash"
        run complete_words "$f" _cvm_measure "$BIN/cvm-measure" --dry
        [ "$output" = --dry-run ]
        run complete_words "$f" _cvm_measure "$BIN/cvm-measure" --
        diff <(reply | sort) <(longopts "$BIN/cvm-measure")
        run complete_words "$f" _cvm_measure "$BIN/cvm-measure" --root / --backend t
        [ "${lines[*]}" = "tdx tpm2" ]
        "$BIN/cvm-measure" --help | grep -q -- '--backend B  *tpm2, tdx or sim'
}

@test "completion: cvm-initrd commands, options and compressions" {
        local f="$ROOT/initrd/doc/cvm-initrd.bash"
        run complete_words "$f" _cvm_initrd "$BIN/cvm-initrd" ""
        diff <(reply | grep -v '^--' | sort) <(commands_of cvm-initrd | sort)
        for c in $(commands_of cvm-initrd); do
                run complete_words "$f" _cvm_initrd "$BIN/cvm-initrd" "$c" --
                diff <(reply | sort) <(longopts "$BIN/cvm-initrd" "$c")
        done
        run complete_words "$f" _cvm_initrd "$BIN/cvm-initrd" append x --out y --compress ""
        [ "${lines[*]}" = "none gzip zstd xz lzma bzip2" ]
        "$BIN/cvm-initrd" append --help | grep -q 'C is none, gzip, zstd, xz, lzma or bzip2'
}

@test "completion: cvm-vm commands, options, accelerators" {
        local f="$ROOT/ci/doc/cvm-vm.bash"
        run complete_words "$f" _cvm_vm "$VM" ""
        diff <(reply | grep -v '^--' | sort) <(commands_of cvm-vm | sort)
        run complete_words "$f" _cvm_vm "$VM" run --tdx --
        diff <(reply | sort) <(longopts "$VM")
        run complete_words "$f" _cvm_vm "$VM" run --accel ""
        [ "${lines[*]}" = "kvm tcg" ]
        "$VM" --help | grep -q -- '--accel kvm|tcg'
        run complete_words "$f" _cvm_vm "$VM" run --net ""
        [ "${lines[*]}" = "user none" ]
}

@test "completion: cvm-rewrite options, installed recipe names, plugin names and their parameters" {
        local f="$ROOT/rewriter/doc/cvm-rewrite.bash" p="$T/prefix" r
        # An installed layout: PREFIX/bin/cvm-rewrite finds PREFIX/share/cvm/plugins, recipes beside it.
        mkdir -p "$p/bin" "$p/share/cvm/recipes" "$p/share/cvm/plugins"
        cp "$BIN/cvm-rewrite" "$p/bin/cvm-rewrite"
        cp "$ROOT"/recipes/*.yaml "$p/share/cvm/recipes/"
        cp -R "$ROOT"/plugins/[0-9]* "$p/share/cvm/plugins/"
        p=$(cd "$p" && pwd -P)
        cd "$T"

        run complete_words "$f" _cvm_rewrite "$p/bin/cvm-rewrite" --pl
        [ "${lines[*]}" = "--plan --platform-values --plugins" ]
        run complete_words "$f" _cvm_rewrite "$p/bin/cvm-rewrite" --
        diff <(reply | sort -u) <({ longopts "$BIN/cvm-rewrite"; echo --version; } | sort -u)
        run complete_words "$f" _cvm_rewrite "$p/bin/cvm-rewrite" --recipe debian-12-t
        [ "${lines[*]}" = "$p/share/cvm/recipes/debian-12-tdx.yaml $p/share/cvm/recipes/debian-12-tpm.yaml" ]
        # From a build: the checkout's recipes.
        run complete_words "$f" _cvm_rewrite "$BIN/cvm-rewrite" --recipe mini
        r=$(cd "$ROOT" && pwd -P)
        [ "${lines[*]}" = "$r/recipes/minimal.yaml" ]
        run complete_words "$f" _cvm_rewrite "$p/bin/cvm-rewrite" --recipe x --set cvm-ev
        [ "$output" = cvm-evidence. ]
        # From a build: the checkout's recipes.
        run complete_words "$f" _cvm_rewrite "$BIN/cvm-rewrite" --recipe mini
        r=$(cd "$ROOT" && pwd -P)
        [ "${lines[*]}" = "$r/recipes/minimal.yaml" ]
        run complete_words "$f" _cvm_rewrite "$p/bin/cvm-rewrite" --recipe x --set cvm-evidence.
        [ "${lines[*]}" = "cvm-evidence.group= cvm-evidence.gid= cvm-evidence.libcvm=" ]
        # Every installed plugin is offered, and --plugins folders on the line too.
        mkdir -p "$T/mine/01-mine" && printf 'name: mine\ndescription: x\nsteps: []\n' > "$T/mine/01-mine/plugin.yaml"
        run complete_words "$f" _cvm_rewrite "$p/bin/cvm-rewrite" --plugins "$T/mine" --set ""
        diff <(reply | sort) \
                <({ echo mine.; sed -n 's/^name: *//p' "$ROOT"/plugins/*/plugin.yaml | sed 's/$/./'; } | sort)
}

@test "make install puts every page under share/man/manN and every completion under share/bash-completion" {
        command -v make >/dev/null || skip "no make"
        local b
        b=$(cd "$BIN/.." && pwd)
        # The checkout's make on the build under test, nothing inherited from a calling make (make check).
        own_make() {
                timeout 120 env -u CC -u CFLAGS -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
                        make -C "$ROOT" --no-print-directory BUILD="$b" DESTDIR="$T/d" PREFIX=/usr "$@"
        }
        # Only install what is built: this test never compiles.
        if own_make -n install |
                grep -qE -- ' -c -o |scdoc > | rcs | -o [^ ]*/(bin|lib)/'; then
                skip "the build in $b is not up to date"
        fi
        own_make install >/dev/null
        for p in $PAGES; do
                [ -f "$T/d/usr/share/man/man${p##*.}/$p" ]
                cmp "$MAN/$p" "$T/d/usr/share/man/man${p##*.}/$p"
        done
        for t in cvm-evidence cvm-measure cvm-initrd cvm-rewrite cvm-vm; do
                [ -f "$T/d/usr/share/bash-completion/completions/$t" ]
        done
        [ ! -e "$T/d/usr/share/bash-completion/completions/cvm-evidence.bash" ]
}

@test "README: exactly the two set-up commands, the C example is the file the tests compile, every page and link is there" {
        r="$ROOT/README.md"
        # The first sh block of "Set-up": make demo, make check, nothing else.
        [ "$(awk '/^## Set-up/ { f = 1 } f && /^```sh$/ { b = 1; next } b && /^```$/ { exit } b { print $1, $2 }' "$r")" = \
                "$(printf 'make demo\nmake check')" ]
        # Quick start (c)'s C block is measurer/doc/example-replay.c (package.bats compiles and runs that file).
        diff <(awk '/^### \(c\)/ { f = 1 } f && /^```c$/ { b = 1; next } b && /^```$/ { exit } b' "$r") \
                "$ROOT/measurer/doc/example-replay.c"
        for p in $PAGES; do
                grep -qE "\]\([a-z]+/doc/$p\.scd\)" "$r" || { echo "README does not link $p" >&2; return 1; }
        done
        # Every relative link leads to a file of the checkout.
        for l in $(grep -oE '\]\([^)#:]+\)' "$r" | sed 's/^](//; s/)$//'); do
                [ -e "$ROOT/$l" ] || { echo "README links $l, which does not exist" >&2; return 1; }
        done
}
