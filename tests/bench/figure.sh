# shellcheck shell=bash
# Sourced by the bench scripts: one line per figure of issue 21, the ratio
# against its peer or floor measured in the same run, the goal beside it.
# tests/bench/readme-table.sh turns these lines into the README's table.
#
#   figure WHAT OURS_NAME OURS PEER_NAME PEER UNIT GOAL
#
# GOAL ">=N": a speed-up, ratio = PEER / OURS (the peer is slower by that
# much); "<=N": a cost over a floor, ratio = OURS / PEER.  OURS and PEER are
# in UNIT (ms, MB...).  The line reads
#   figure: WHAT | OURS_NAME OURS UNIT | PEER_NAME PEER UNIT | ratio Rx | goal GOALx | met
# and is also appended to $BENCH_FIGURES when set (make bench prints them together at the end).
figure() {
        local line
        line=$(awk -v what="$1" -v on="$2" -v o="$3" -v pn="$4" -v p="$5" -v u="$6" -v g="$7" 'BEGIN {
                want = substr(g, 3) + 0
                if (substr(g, 1, 2) == ">=") { r = p / o; ok = r >= want } else { r = o / p; ok = r <= want }
                printf "figure: %s | %s %.2f %s | %s %.2f %s | ratio %.2fx | goal %sx | %s\n",
                       what, on, o, u, pn, p, u, r, g, ok ? "met" : "NOT met" }')
        echo "$line"
        if [ -n "${BENCH_FIGURES:-}" ]; then echo "$line" >>"$BENCH_FIGURES"; fi
}
