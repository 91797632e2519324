#!/usr/bin/env bash
# cvm-evidenced under load (sim backend, labelled simulated): 64 clients
# calling GetMeasurement for a few seconds (calls/s, p50/p99), then
# GetEventLog of a 10,000-event runtime log; beside CCNP's published 26-76 ms.
set -eu
BUILD=${BUILD:-build}
CLIENTS=${CLIENTS:-64}
SECONDS_LOAD=${SECONDS_LOAD:-5}
cd "$(dirname "$0")/../.."

dir=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
"$BUILD/bench/mklog" 10000 "$dir/runtime.log"
mkdir "$dir/root"
timeout 600 "$BUILD/bin/cvm-evidenced" --listen "$dir/sock" --backend sim --sim-state "$dir/regs" --sim-space pcr \
        --sysroot "$dir/root" --log "$dir/runtime.log" --max-connections 1024 2>"$dir/daemon.err" &
pid=$!
for _ in $(seq 100); do [ -S "$dir/sock" ] && break; sleep 0.05; done
echo "bench: cvm-evidenced, SIMULATED registers (sim backend), $(nproc) cores, $CLIENTS clients, ${SECONDS_LOAD}s"
timeout 300 "$BUILD/bench/evdbench" "$dir/sock" "$CLIENTS" "$SECONDS_LOAD" | sed 's/^/SIMULATED /'
