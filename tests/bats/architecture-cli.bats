#!/usr/bin/env bats
# The command-line tools' shape (issue 18): one option core parses every
# command (no getopt loop of their own), no function of the tools is longer
# than 60 lines, a short letter means one thing in every tool, -V and -o are
# where they belong, and --help's exit codes are the man page's.

bats_require_minimum_version 1.5.0

ROOT="$BATS_TEST_DIRNAME/../.."

setup() {
        BIN="${CVM_BIN:-$ROOT/build/bin}"
        MAN="$BIN/../man"
}

TOOL_SOURCES="measurer/cli measurer/measure measurer/evidenced initrd/cli"

# "LINES FILE:LINE NAME" of every function definition (systemd style: the
# signature starts in column 0, the body ends at a "}" in column 0).
function_lengths() {
        awk '/^[a-zA-Z].*\(/ && !/;$/ && !infn { start = FNR; name = $0; pending = 1 }
             pending && /\{$/ { infn = 1; pending = 0 }
             infn && /^}/ { print FNR - start + 1, FILENAME ":" start, name; infn = 0 }' "$@"
}

# TOOL [COMMAND]: "LETTER LONGNAME" for each "-x, --name" line of its --help.
letters() {
        timeout 10 "$@" --help | sed -n 's/^  -\([a-zA-Z]\), --\([a-z0-9-]*\).*/\1 \2/p'
}

# Every tool and command, one "TOOL [COMMAND]" a line.
commands() {
        echo cvm-measure
        echo cvm-evidenced
        for t in cvm-evidence cvm-initrd; do
                echo "$t"
                timeout 10 "$BIN/$t" --help | awk -v t="$t" '/^  [a-z][a-z-]* +[a-zA-Z]/ { print t, $1 }'
        done
}

@test "no function of the tools or of the option core is longer than 60 lines" {
        cd "$ROOT"
        run function_lengths $(for d in $TOOL_SOURCES; do echo "$d"/*.c; done) base/options.c
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -gt 40 ]
        long=$(printf '%s\n' "${lines[@]}" | awk '$1 > 60')
        [ -z "$long" ] || { echo "over 60 lines: $long" >&2; return 1; }
        # The measure itself sees a long function.
        printf 'int f(void) {\n%s\n}\n' "$(printf '        x();\n%.0s' $(seq 70))" >"$BATS_TEST_TMPDIR/long.c"
        [ "$(function_lengths "$BATS_TEST_TMPDIR/long.c" | cut -d' ' -f1)" -eq 72 ]
}

@test "no tool has a getopt loop of its own: base/options.c is the only caller of getopt_long" {
        cd "$ROOT"
        run grep -rln 'getopt_long\|getopt(' $TOOL_SOURCES
        [ "$status" -eq 1 ]
        grep -q 'getopt_long(' base/options.c
}

@test "a short option letter means one long option in every tool and command" {
        while read -r t c; do
                letters "$BIN/$t" $c
        done < <(commands) | sort -u >"$BATS_TEST_TMPDIR/letters"
        [ "$(wc -l <"$BATS_TEST_TMPDIR/letters")" -gt 15 ]
        dup=$(cut -d' ' -f1 "$BATS_TEST_TMPDIR/letters" | uniq -d)
        [ -z "$dup" ] || { grep -E "^($(echo $dup | tr ' ' '|')) " "$BATS_TEST_TMPDIR/letters" >&2; return 1; }
}

@test "every tool and command takes -h and -V; every command that writes a file takes -o/--output" {
        while read -r t c; do
                run timeout 10 "$BIN/$t" $c -V
                [ "$status" -eq 0 ] && [[ "$output" == "$t "[0-9]* ]] || { echo "$t $c -V: $output" >&2; return 1; }
                run timeout 10 "$BIN/$t" $c -h
                [ "$status" -eq 0 ] && [[ "$output" == Usage:* ]]
        done < <(commands; echo cvm-evidenced)
        for tc in "cvm-evidence quote" "cvm-initrd append" "cvm-initrd rebuild" "cvm-initrd create" "cvm-initrd bundle" cvm-measure; do
                letters "$BIN/${tc%% *}" $([ "$tc" = cvm-measure ] || echo "${tc#* }") | grep -qx 'o output' ||
                        { echo "$tc: no -o, --output" >&2; return 1; }
        done
}

@test "the exit codes --help lists are those of the man page's EXIT STATUS" {
        for tp in cvm-evidence:cvm-evidence.1 cvm-measure:cvm-measure.8 cvm-initrd:cvm-initrd.1 cvm-evidenced:cvm-evidenced.8; do
                t=${tp%%:*} p=${tp#*:}
                help=$(timeout 10 "$BIN/$t" --help | sed -n '/^Exit codes:/,$p' | awk '/^  [0-9]/ { print $1 }')
                page=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH [A-DF-Z]/p' "$MAN/$p" | sed -n 's/^\\fB\([0-9]*\)\\fR$/\1/p')
                [ -n "$help" ] && [ "$help" = "$page" ] || { echo "$t: --help has $help, $p has $page" >&2; return 1; }
        done
}

@test "a usage error exits 1 in every tool; -V after a bad option is still a usage error" {
        for t in cvm-evidence cvm-initrd; do
                run timeout 10 "$BIN/$t" list-nothing
                [ "$status" -eq 1 ]
        done
        for t in cvm-measure cvm-evidenced; do
                run timeout 10 "$BIN/$t" --no-such-option
                [ "$status" -eq 1 ]
        done
        run timeout 10 "$BIN/cvm-evidence" info --no-such-option -V
        [ "$status" -eq 1 ]
}
