#!/usr/bin/env bash
# cvm-evidenced under load, beside CCNP's published 26-76 ms per query:
#  - sim backend (labelled simulated): 64 clients calling GetMeasurement in a
#    closed loop (calls/s, p50/p99), then GetEventLog of a 10,000-event runtime log;
#  - sim backend and swtpm (a real TPM 2.0 over TCP): an open loop of RATE
#    GetMeasurement calls a second over 64 connections, latency from each call's
#    scheduled send (coordinated omission counted).
# The machine is shared: the figures move with its load (printed with them).
set -eu
BUILD=${BUILD:-build}
CLIENTS=${CLIENTS:-64}
SECONDS_LOAD=${SECONDS_LOAD:-5}
RATE=${RATE:-20000}
cd "$(dirname "$0")/../.."

dir=$(mktemp -d)
pid=
swtpm_pid=
cleanup() {
        [ -n "$pid" ] && kill "$pid" 2>/dev/null
        [ -n "$swtpm_pid" ] && kill "$swtpm_pid" 2>/dev/null
        wait 2>/dev/null
        rm -rf "$dir"
}
trap cleanup EXIT

# start_daemon SOCKET ARGS...: cvm-evidenced on SOCKET, waited for.
start_daemon() {
        local sock=$1
        shift
        timeout 600 "$BUILD/bin/cvm-evidenced" --listen "$sock" --sysroot "$dir/root" --log "$dir/runtime.log" \
                --max-connections 1024 "$@" 2>"$dir/daemon.err" &
        pid=$!
        for _ in $(seq 100); do [ -S "$sock" ] && return 0; sleep 0.05; done
        cat "$dir/daemon.err" >&2
        return 1
}

stop_daemon() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

# The daemon's CPU time in clock ticks (utime + stime): its cost per call does not move with the machine's load.
daemon_ticks() { awk '{ print $14 + $15 }' /proc/"$(cat /proc/"$pid"/task/"$pid"/children | cut -d' ' -f1)"/stat; }

# open_loop SOCKET [LABEL]: the open-loop run, then the daemon's CPU per call and its share of one core.
open_loop() {
        local t0 t1
        t0=$(daemon_ticks)
        timeout 300 "$BUILD/bench/evdbench" --no-eventlog --rate "$RATE" "$1" "$CLIENTS" "$SECONDS_LOAD" | sed "s/^/${2:-}/"
        t1=$(daemon_ticks)
        awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v r="$RATE" -v s="$SECONDS_LOAD" -v l="${2:-}" 'BEGIN {
                cpu = d / hz; printf "%sdaemon CPU: %.1f us per GetMeasurement, %.0f%% of one core at %d calls/s\n", l, cpu * 1e6 / (r * s), cpu / s * 100, r }'
}

"$BUILD/bench/mklog" 10000 "$dir/runtime.log"
mkdir "$dir/root"
start_daemon "$dir/sock" --backend sim --sim-state "$dir/regs" --sim-space pcr
echo "bench: cvm-evidenced, SIMULATED registers (sim backend), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
timeout 300 "$BUILD/bench/evdbench" "$dir/sock" "$CLIENTS" "$SECONDS_LOAD" | sed 's/^/SIMULATED /'
open_loop "$dir/sock" "SIMULATED "
stop_daemon

command -v swtpm >/dev/null || { echo "bench: no swtpm, the TPM figures are skipped"; exit 0; }
mkdir "$dir/tpm"
for port in $(shuf -i 20000-60000 -n 20); do
        swtpm socket --tpm2 --tpmstate dir="$dir/tpm" --server type=tcp,port="$port",bindaddr=127.0.0.1 \
                --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear 2>/dev/null &
        swtpm_pid=$!
        sleep 0.3
        kill -0 "$swtpm_pid" 2>/dev/null && break
        swtpm_pid=
done
[ -n "$swtpm_pid" ] || { echo "bench: swtpm did not start" >&2; exit 1; }
start_daemon "$dir/tpm.sock" --backend tpm2 --tcti "swtpm:host=127.0.0.1,port=$port"
echo "bench: cvm-evidenced on swtpm (TPM 2.0 over TCP), load average $(cut -d' ' -f1-3 /proc/loadavg)"
open_loop "$dir/tpm.sock"
