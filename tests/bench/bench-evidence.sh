#!/usr/bin/env bash
# Parse + replay throughput: cvm-evidence replay vs tpm2_eventlog (the peer) on
# the same logs, in the same run, on this machine.  Prints wall times and the
# ratio peer/ours (higher = cvm-evidence faster).  Target: >= 20x.
set -eu
BUILD=${BUILD:-build}
FIXTURES=${FIXTURES:?}
E="$BUILD/bin/cvm-evidence"
RUNS=${RUNS:-100}
cd "$(dirname "$0")/../.."
. tests/bench/figure.sh

command -v tpm2_eventlog >/dev/null || { echo "bench: tpm2_eventlog (tpm2-tools) is needed as the peer" >&2; exit 1; }
now() { date +%s%N; }

# time_runs N CMD...: total nanoseconds of N runs (output discarded; both tools must succeed).
time_runs() {
        local n=$1 t0
        shift
        t0=$(now)
        for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 || { echo "bench: '$*' failed" >&2; exit 1; }; done
        echo $(( $(now) - t0 ))
}

report() {
        local what=$1 n=$2 ours=$3 peer=$4
        awk -v w="$what" -v n="$n" -v o="$ours" -v p="$peer" 'BEGIN {
                printf "%-48s %5d runs  cvm-evidence %8.2f ms/run  tpm2_eventlog %8.2f ms/run  ratio %6.1fx\n",
                       w, n, o / n / 1e6, p / n / 1e6, p / o }'
}

echo "bench: cvm-evidence replay vs tpm2_eventlog (parse + replay), $(nproc) cores"
total_o=0
total_p=0
for log in "$FIXTURES"/tcg2-*.bin; do
        o=$(time_runs "$RUNS" "$E" replay --json "$log")
        p=$(time_runs "$RUNS" tpm2_eventlog "$log")
        report "$(basename "$log")" "$RUNS" "$o" "$p"
        total_o=$((total_o + o))
        total_p=$((total_p + p))
done

big=$BUILD/bench/big-20000.bin
[ -f "$big" ] || "$BUILD/bench/mklog" 20000 "$big"
o=$(time_runs 3 "$E" replay --json "$big")
p=$(time_runs 3 tpm2_eventlog "$big")
report "generated, 20000 events x 3 banks ($(( $(stat -c %s "$big") / 1024 )) KiB)" 3 "$o" "$p"
awk -v o="$total_o" -v p="$total_p" 'BEGIN { printf "fixtures overall: ratio %.1fx\n", p / o }'
# On small logs both tools mostly pay for fork+exec; this floor bounds any ratio there.
t=$(time_runs "$RUNS" /bin/true)
awk -v t="$t" -v n="$RUNS" -v p="$total_p" 'BEGIN { printf "process start floor (/bin/true): %.2f ms/run, so no tool can exceed %.1fx on the fixtures here\n", t / n / 1e6, p / 3 / t }'

# Dumping every event of the large log, each output form against tpm2_eventlog's
# (its YAML dump is its only one), goal >= 3x (issue 21).
ms() { awk -v t="$1" -v n="$2" 'BEGIN { printf "%.3f", t / n / 1e6 }'; }
p=$(time_runs 5 tpm2_eventlog "$big")
for form in text --json --cel; do
        case $form in text) o=$(time_runs 5 "$E" eventlog "$big") ;; *) o=$(time_runs 5 "$E" eventlog "$form" "$big") ;; esac
        figure "eventlog dump, ${form#--}, 20000 events" cvm-evidence "$(ms "$o" 5)" tpm2_eventlog "$(ms "$p" 5)" ms ">=3"
done

# Start-up: a command that needs no TPM against the process-start floor, goal <= 1.5x (issue 21).
real=$FIXTURES/tcg2-goeventlog-ubuntu-2104-no-secure-boot.bin
n=200
t=$(time_runs "$n" /bin/true)
v=$(time_runs "$n" "$E" --version)
r=$(time_runs "$n" "$E" replay "$real")
figure "start-up, cvm-evidence --version" cvm-evidence "$(ms "$v" "$n")" /bin/true "$(ms "$t" "$n")" ms "<=1.5"
figure "start-up, replay of a real $(( $(stat -c %s "$real") / 1024 )) KiB log" cvm-evidence "$(ms "$r" "$n")" /bin/true "$(ms "$t" "$n")" ms "<=1.5"
