#!/usr/bin/env bash
# readme-table.sh BENCH_LOG [README]: rewrite the README's performance table
# (between the bench-table markers) from the "figure:" lines a `make bench`
# run printed (tests/bench/figure.sh), so the table holds one run's numbers.
# Exit 1 if the log has no figure or the README has no markers.
set -eu
log=${1:?usage: readme-table.sh BENCH_LOG [README]}
readme=${2:-$(dirname "$0")/../../README.md}
begin='<!-- bench-table: begin (tests/bench/readme-table.sh writes this table) -->'
end='<!-- bench-table: end -->'

grep -q '^figure: ' "$log" || { echo "readme-table: no 'figure:' lines in $log" >&2; exit 1; }
if ! grep -qxF "$begin" "$readme" || ! grep -qxF "$end" "$readme"; then
        echo "readme-table: $readme lacks the bench-table markers" >&2
        exit 1
fi

table=$(mktemp)
trap 'rm -f "$table"' EXIT
{
        echo '| figure | ours | peer or floor | ratio | goal | |'
        echo '| --- | --- | --- | --- | --- | --- |'
        sed -n 's/^figure: //p' "$log" | awk -F' [|] ' '{
                printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, substr($4, 7), substr($5, 6), $6 }'
} >"$table"

awk -v b="$begin" -v e="$end" -v t="$table" '
        $0 == b { print; while ((getline l < t) > 0) print l; skip = 1; next }
        $0 == e { skip = 0 }
        !skip' "$readme" >"$readme.tmp"
mv "$readme.tmp" "$readme"
