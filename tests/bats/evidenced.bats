#!/usr/bin/env bats
# cvm-evidenced on the sim backend: every method, the Python client, rights by
# SO_PEERCRED, and hostile clients (malformed JSON, over-size, slow, many,
# vanishing), with the daemon's fds and memory checked after the load.

load helpers

PY="$BATS_TEST_DIRNAME/../../measurer/evidenced/python"

setup() {
        E="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/cvm-evidence"
        D="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/cvm-evidenced"
        T="$BATS_TEST_TMPDIR"
        # The socket's folder must be reachable by the unprivileged test users.
        S=$(mktemp -d /tmp/evd-test.XXXXXX)
        chmod 0755 "$S"
        SOCK="$S/evidence.sock"
        export CVM_EVIDENCE_SOCKET="$SOCK"
        mkdir -p "$T/root"
        "$E" extend --backend sim --sim-state "$T/regs" --sim-space cc-mr --index 2 --data boot --log "$T/runtime.log" 2>/dev/null
        cat >"$T/vl.py" <<'PYEOF'
# Raw varlink: send argv[1] (with \0 escapes decoded) and print each NUL-terminated reply on its own line.
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(float(os.environ.get("VL_TIMEOUT", "10")))
s.connect(os.environ["CVM_EVIDENCE_SOCKET"])
s.sendall(sys.argv[1].encode().decode("unicode_escape").encode("latin-1"))
want = int(sys.argv[2]) if len(sys.argv) > 2 else 1
buf = b""
while buf.count(b"\0") < want:
    c = s.recv(65536)
    if not c:
        break
    buf += c
for m in buf.split(b"\0")[:want]:
    print(m.decode())
if os.environ.get("VL_EOF"):
    print("open" if buf.split(b"\0", want)[-1] or s.recv(1) else "closed")
PYEOF
}

teardown() {
        stop_daemon
        [ -z "${SWTPM_DIR:-}" ] || stop_swtpm
        rm -rf "$S"
}

# --foreground: a plain timeout passes our SIGTERM to its whole process group, which
# under ASan includes LeakSanitizer's exit-time tracer, and killing that hangs the daemon.
start_daemon() {
        timeout --foreground 300 "$D" --listen "$SOCK" --backend sim --sim-state "$T/regs" --sysroot "$T/root" --log "$T/runtime.log" \
                "$@" 2>"$T/daemon.err" &
        DPID=$!
        for _ in $(seq 100); do [ -S "$SOCK" ] && return 0; sleep 0.05; done
        cat "$T/daemon.err" >&2
        return 1
}

stop_daemon() {
        [ -n "${DPID:-}" ] || return 0
        kill "$DPID" 2>/dev/null || true
        wait "$DPID" 2>/dev/null || true
        DPID=
}

py() {
        PYTHONPATH="$PY" timeout 60 python3 -c "import cvm_evidence as c, json; $1"
}

vl() {
        timeout 30 python3 "$T/vl.py" "$@"
}

@test "evidenced: --help names every option; -V prints the version; bad options exit 1" {
        run "$D" --help
        [ "$status" -eq 0 ]
        [[ "$output" == *"--listen"* && "$output" == *"--extend-group"* && "$output" == *"--idle-timeout"* ]]
        run "$D" -V
        [ "$status" -eq 0 ]
        [[ "$output" == "cvm-evidenced "* ]]
        run "$D" --max-message nope --listen "$SOCK"
        [ "$status" -eq 1 ]
        [[ "$output" == *"--max-message: expected a number"* ]]
        run env -u LISTEN_FDS "$D" --backend sim --sim-state "$T/regs"
        [ "$status" -eq 2 ]
        [[ "$output" == *"give --listen PATH"* ]]
}

@test "evidenced: the reading methods equal the CLI's answers, labelled simulated" {
        start_daemon
        run py 'print(c.get_default_algorithm(), c.get_measurement_count(), c.get_cc_measurement(2).hex())'
        [ "$status" -eq 0 ]
        want=$("$E" measurements --json --backend sim --sim-state "$T/regs" --index 2 2>/dev/null | jq -r '.. | objects | select(has("digest")) | .digest' | head -1)
        [ -n "$want" ]
        [ "$output" = "sha384 5 $want" ]
        run py 'i = c.Client().call("GetInfo"); print(i["backend"], i["simulated"], i["registerSpace"], i["caller"]["uid"])'
        [ "$output" = "sim True cc-mr 0" ]
        run py 'ev = c.get_cc_eventlog(); print(len(ev), ev[-1]["index"], ev[-1]["number"])'
        [ "$output" = "2 2 1" ]
        run py 'ev = c.get_cc_eventlog(1, 1); print(len(ev), ev[0]["number"])'
        [ "$output" = "1 1" ]
}

@test "evidenced: replay_cc_eventlog of the log equals get_cc_measurement; Check agrees" {
        start_daemon
        run py 'r = c.replay_cc_eventlog(c.get_cc_eventlog()); print(r[2]["sha384"] == c.get_cc_measurement(2, "sha384"))'
        [ "$output" = "True" ]
        run py 'k = c.Client().call("Check"); print(k["match"], k["mismatches"], k["simulated"], len(k["registers"]))'
        [ "$output" = "True 0 True 4" ]
}

@test "evidenced: Extend moves the register, appends to the log, and is logged with the caller" {
        start_daemon
        before=$(py 'print(c.get_cc_measurement(3).hex())')
        run py 'print(c.Client().call("Extend", index=3, data="workload")["index"])'
        [ "$output" = "3" ]
        after=$(py 'print(c.get_cc_measurement(3).hex())')
        [ "$before" != "$after" ]
        [ "$after" = "$("$E" measurements --json --backend sim --sim-state "$T/regs" --index 3 2>/dev/null | jq -r '.. | objects | select(has("digest")) | .digest' | head -1)" ]
        run py 'print(len(c.get_cc_eventlog()), c.Client().call("Check")["match"])'
        [ "$output" = "3 True" ]
        grep -q "Extend requested by pid=[0-9]* uid=0 gid=0 cgroup=" "$T/daemon.err"
        run py 'print(c.Client().call("Extend", index=3, digest="00" * 48, algorithm="sha384", data="by digest")["simulated"])'
        [ "$output" = "True" ]
}

@test "evidenced: errors are varlink errors named per cause" {
        start_daemon
        run vl '{"method":"io.cvmkit.Evidence.GetMeasurement","parameters":{"index":9}}\0'
        [ "$(jq -r .error <<<"$output")" = io.cvmkit.Evidence.NoSuchIndex ]
        [ "$(jq -r .parameters.count <<<"$output")" = 5 ]
        run vl '{"method":"io.cvmkit.Evidence.GetMeasurement","parameters":{"index":1,"algorithm":"sha1"}}\0'
        [ "$(jq -r .error <<<"$output")" = io.cvmkit.Evidence.NoSuchAlgorithm ]
        run vl '{"method":"io.cvmkit.Evidence.GetMeasurement","parameters":{"index":"one"}}\0'
        [ "$(jq -r .error <<<"$output")" = org.varlink.service.InvalidParameter ]
        [ "$(jq -r .parameters.parameter <<<"$output")" = index ]
        run vl '{"method":"io.cvmkit.Evidence.Nope"}\0'
        [ "$(jq -r .error <<<"$output")" = org.varlink.service.MethodNotFound ]
        run vl '{"method":"com.example.Other.Call"}\0'
        [ "$(jq -r .error <<<"$output")" = org.varlink.service.InterfaceNotFound ]
        run vl '{"method":"io.cvmkit.Evidence.GetQuote","parameters":{"nonce":"00"}}\0'
        [ "$(jq -r .error <<<"$output")" = io.cvmkit.Evidence.NotSupported ]
        [[ "$(jq -r .parameters.message <<<"$output")" == SIMULATED* ]]
        run vl '{"method":"io.cvmkit.Evidence.Verify","parameters":{"manifest":"not: [a manifest"}}\0'
        [ "$(jq -r .error <<<"$output")" = io.cvmkit.Evidence.ManifestError ]
        run vl '{"method":"io.cvmkit.Evidence.Extend","parameters":{"index":0,"data":"x"}}\0'
        [ "$(jq -r .error <<<"$output")" = io.cvmkit.Evidence.DeviceError ]
        run vl '{"method":"io.cvmkit.Evidence.GetEventLog","parameters":{"start":99}}\0'
        [ "$(jq -r .error <<<"$output")" = io.cvmkit.Evidence.NoSuchIndex ]
}

@test "evidenced: org.varlink.service describes the interface; oneway calls get no reply" {
        start_daemon
        run vl '{"method":"org.varlink.service.GetInfo"}\0'
        [ "$(jq -r '.parameters.interfaces | join(",")' <<<"$output")" = "org.varlink.service,io.cvmkit.Evidence" ]
        run vl '{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"io.cvmkit.Evidence"}}\0'
        desc=$(jq -r .parameters.description <<<"$output")
        [[ "$desc" == *"interface io.cvmkit.Evidence"* ]]
        for m in GetInfo GetMeasurementCount GetMeasurement GetEventLog GetQuote Check Verify Extend; do
                grep -q "^method $m(" <<<"$desc"
        done
        # A oneway call, then a normal one: the only reply is the second's.
        run vl '{"method":"io.cvmkit.Evidence.GetInfo","oneway":true}\0{"method":"io.cvmkit.Evidence.GetMeasurementCount"}\0'
        [ "$(jq -r .parameters.count <<<"$output")" = 5 ]
}

@test "evidenced: malformed JSON gets InvalidParameter and the connection goes on" {
        start_daemon
        run vl '{"method":\0[1,2]\0{"method":"io.cvmkit.Evidence.GetMeasurementCount"} x\0{"method":"io.cvmkit.Evidence.GetMeasurementCount"}\0' 4
        [ "$status" -eq 0 ]
        [ "$(sed -n 1p <<<"$output" | jq -r .error)" = org.varlink.service.InvalidParameter ]
        [ "$(sed -n 2p <<<"$output" | jq -r .error)" = org.varlink.service.InvalidParameter ]
        [ "$(sed -n 3p <<<"$output" | jq -r .error)" = org.varlink.service.InvalidParameter ]
        [ "$(sed -n 4p <<<"$output" | jq -r .parameters.count)" = 5 ]
}

@test "evidenced: a message over the size limit gets MessageTooLarge and the connection is closed" {
        start_daemon --max-message 1024
        big=$(head -c 4000 /dev/zero | tr '\0' a)
        run env VL_EOF=1 timeout 30 python3 "$T/vl.py" "{\"method\":\"io.cvmkit.Evidence.GetInfo\",\"parameters\":{\"x\":\"$big\"}}\\0"
        [ "$(sed -n 1p <<<"$output" | jq -r .error)" = io.cvmkit.Evidence.MessageTooLarge ]
        [ "$(sed -n 1p <<<"$output" | jq -r .parameters.limit)" = 1024 ]
        [ "$(sed -n 2p <<<"$output")" = closed ]
        run py 'print(c.get_measurement_count())'
        [ "$output" = 5 ]
}

@test "evidenced: a client sending one byte a second is closed at the idle timeout, others are served meanwhile" {
        start_daemon --idle-timeout 2
        ( PYTHONPATH="$PY" timeout 20 python3 -c '
import socket, time, os
s = socket.socket(socket.AF_UNIX); s.connect(os.environ["CVM_EVIDENCE_SOCKET"])
try:
    for b in b"{\"method\":\"io.cvmkit.Evidence.GetInfo\"}":
        s.send(bytes([b])); time.sleep(1)
    print("finished")
except OSError as e:
    print("dropped", e.errno)
' >"$T/slow.out" 3>&- ) &
        slow=$!
        for _ in 1 2 3; do
                run py 'print(c.get_measurement_count())'
                [ "$output" = 5 ]
                sleep 0.5
        done
        wait "$slow"
        [[ "$(cat "$T/slow.out")" == dropped* ]]
        grep -q "closed a connection idle for 2s" "$T/daemon.err"
}

# The daemon itself: the child of its timeout wrapper ($DPID).
daemon_pid() { awk '{ print $1 }' /proc/"$DPID"/task/"$DPID"/children; }
daemon_fds() { find /proc/"$(daemon_pid)"/fd -mindepth 1 | wc -l; }
daemon_rss() { awk '/^VmRSS/ { print $2 }' /proc/"$(daemon_pid)"/status; }

@test "evidenced: 10,000 connections opened and dropped; fds and memory back where they started" {
        start_daemon
        py 'c.get_cc_eventlog()' >/dev/null
        fds0=$(daemon_fds)
        rss0=$(daemon_rss)
        [ "$(cat /proc/"$(daemon_pid)"/comm)" = cvm-evidenced ]
        [ "$fds0" -ge 5 ]
        run timeout 120 python3 -c '
import socket, os
p = os.environ["CVM_EVIDENCE_SOCKET"]
for i in range(10000):
    s = socket.socket(socket.AF_UNIX); s.connect(p)
    if i % 3 == 0:
        s.send(b"{\"method\":\"io.cvmkit.Evidence.GetMeas")
    s.close()
print("ok")'
        [ "$output" = ok ]
        run py 'print(c.get_measurement_count())'
        [ "$output" = 5 ]
        sleep 0.5
        [ "$(daemon_fds)" -eq "$fds0" ]
        rss1=$(daemon_rss)
        echo "rss before $rss0 kB, after $rss1 kB"
        # ASan's allocator holds freed memory (quarantine, caches): there LeakSanitizer, at the daemon's exit, is the check.
        grep -qa __asan_init "$D" || [ "$rss1" -le $((rss0 + 2048)) ]
}

@test "evidenced: a backlog of clients that hung up while the daemon stalled counts against no limit (CI refused the next live client)" {
        start_daemon
        kill -STOP "$(daemon_pid)"
        timeout 120 python3 -c '
import socket, os
p = os.environ["CVM_EVIDENCE_SOCKET"]
for i in range(6000):
    s = socket.socket(socket.AF_UNIX); s.connect(p); s.close()
' &
        client=$!
        sleep 2
        kill -CONT "$(daemon_pid)"
        wait "$client"
        run py 'print(c.get_measurement_count())'
        [ "$output" = 5 ]
        run grep -c "refused a connection" "$T/daemon.err"
        [ "$output" = 0 ]
}

@test "evidenced: a hard fd limit below --max-connections lowers it with a warning; the next client gets TooManyConnections, not a spinning accept" {
        ulimit -n 300
        start_daemon
        run timeout 60 python3 -c '
import socket, os
p = os.environ["CVM_EVIDENCE_SOCKET"]
held = []
for i in range(240):
    s = socket.socket(socket.AF_UNIX); s.connect(p); held.append(s)
held[0].sendall(b"{\"method\":\"io.cvmkit.Evidence.GetMeasurementCount\"}\0")
print(held[0].recv(4096).rstrip(b"\0").decode())
held[-1].settimeout(10)
print(held[-1].recv(4096).rstrip(b"\0").decode())
'
        [[ "${lines[0]}" == *'"count":5'* ]]
        [[ "${lines[1]}" == *'"error":"io.cvmkit.Evidence.TooManyConnections"'*'"limit":236'* ]]
        grep -q "the fd limit is 300: serving at most 236 connections" "$T/daemon.err"
        run grep -c "accept:" "$T/daemon.err"
        [ "$output" = 0 ]
        run py 'print(c.get_measurement_count())'
        [ "$output" = 5 ]
}

@test "evidenced: a client that disconnects mid-reply does not disturb the daemon" {
        for i in $(seq 300); do "$E" extend --backend sim --sim-state "$T/regs" --index 4 --data "e$i" --log "$T/runtime.log" 2>/dev/null; done
        start_daemon
        fds0=$(daemon_fds)
        run timeout 60 python3 -c '
import socket, os
p = os.environ["CVM_EVIDENCE_SOCKET"]
for i in range(50):
    s = socket.socket(socket.AF_UNIX); s.connect(p)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.send(b"{\"method\":\"io.cvmkit.Evidence.GetEventLog\"}\0" * 4)
    s.recv(100)
    s.close()
print("ok")'
        [ "$output" = ok ]
        run py 'print(len(c.get_cc_eventlog()))'
        [ "$output" = 302 ]
        sleep 0.5
        [ "$(daemon_fds)" -eq "$fds0" ]
}

@test "evidenced: reads need the group, Extend needs root or --extend-group; refusals are PermissionDenied" {
        [ "$(id -u)" -eq 0 ] || skip "needs root to run clients as other users"
        start_daemon --group 4242 --extend-group 4245
        as() { setpriv --reuid="$1" --regid="$2" --clear-groups env PYTHONPATH="$PY" CVM_EVIDENCE_SOCKET="$SOCK" timeout 30 python3 -c "import cvm_evidence as c
try: print(c.Client().call('$3', **$4))
except c.VarlinkError as e: print(e.name, e.parameters.get('uid'))"; }
        run as 4243 4242 GetMeasurementCount '{}'
        [[ "$output" == *"'count': 5"* ]]
        run as 4244 4244 GetMeasurementCount '{}'
        [ "$output" = "io.cvmkit.Evidence.PermissionDenied 4244" ]
        run as 4243 4242 Extend '{"index": 3, "data": "x"}'
        [ "$output" = "io.cvmkit.Evidence.PermissionDenied 4243" ]
        grep -q "Extend refused by pid=[0-9]* uid=4243 gid=4242" "$T/daemon.err"
        run as 4246 4245 Extend '{"index": 3, "data": "x"}'
        [[ "$output" == *"'index': 3"* ]]
        # Introspection is open to anyone connected.
        run as 4244 4244 org.varlink.service.GetInfo '{}'
        [[ "$output" == *"io.cvmkit.Evidence"* ]]
}

@test "evidenced: restarted under load, every request is answered or fails with an error at its client" {
        start_daemon
        PYTHONPATH="$PY" timeout 60 python3 -c '
import cvm_evidence as c, time, socket
ok = err = lost = 0
end = time.time() + 4
while time.time() < end:
    try:
        with c.Client(timeout=5) as cl:
            for _ in range(20):
                cl.call("GetMeasurement", index=2); ok += 1
    except socket.timeout:
        lost += 1
    except (OSError, ConnectionError):
        err += 1; time.sleep(0.01)
print(ok, err, lost)' >"$T/load.out" 3>&- &
        load=$!
        sleep 1
        stop_daemon
        start_daemon
        wait "$load"
        read -r ok err lost <"$T/load.out"
        echo "answered $ok, errors $err, unanswered $lost"
        [ "$ok" -gt 100 ]
        [ "$lost" -eq 0 ]
        run py 'print(c.get_measurement_count())'
        [ "$output" = 5 ]
}

@test "evidenced: cvm-evidence --backend service reads the daemon's registers, labelled simulated, and refuses to extend" {
        start_daemon
        run "$E" measurements --json --backend service --socket "$SOCK"
        [ "$status" -eq 0 ]
        [ "$(jq -r .simulated <<<"$output")" = true ]
        [ "$(jq -r '.registers[] | select(.index == 2) | .digest' <<<"$output")" = "$(py 'print(c.get_cc_measurement(2).hex())')" ]
        run "$E" info --backend service --socket "$SOCK"
        [[ "$output" == *"backend: SIMULATED service"* ]]
        run "$E" replay --check --backend service --socket "$SOCK" --sysroot "$T/root" --log "$T/runtime.log"
        [ "$status" -eq 0 ]
        run "$E" extend --backend service --socket "$SOCK" --index 2 --data x --log "$T/other.log"
        [ "$status" -eq 2 ]
        [[ "$output" == *"reads only: extend through the service's Extend method"* ]]
        [ ! -e "$T/other.log" ]
        # A quote goes to GetQuote: on the sim backend that is NotSupported, said as simulated.
        run timeout 30 "$E" quote --backend service --socket "$SOCK" --nonce 0011
        [ "$status" -eq 2 ]
        [[ "$output" == *"io.cvmkit.Evidence.NotSupported: SIMULATED device: the sim backend cannot quote"* ]]
        run timeout 30 "$E" quote --backend service --socket "$SOCK" --report-data 00
        [ "$status" -eq 2 ]
        [[ "$output" == *"GetQuote takes a nonce and user data only"* ]]
        run "$E" measurements --backend service --socket "$S/nothing.sock"
        [ "$status" -eq 4 ]
        [[ "$output" == *"cannot reach the evidence service"* ]]
}

@test "evidenced: socket activation (LISTEN_FDS): a restart keeps the socket and no client is refused" {
        # A stand-in for systemd: hold the listening socket, start the daemon on it twice, a second apart.
        PYTHONPATH="$PY" timeout 60 python3 "$BATS_TEST_DIRNAME/socket-activate.py" "$D" "$SOCK" "$T" 2 3 1 \
                >"$T/act.out" 2>"$T/act.err" 3>&- &
        act=$!
        sleep 0.5
        run env PYTHONPATH="$PY" timeout 30 python3 -c '
import cvm_evidence as c, time
ok = err = 0
end = time.time() + 5
while time.time() < end:
    try:
        ok += c.get_measurement_count() == 5
    except ConnectionError:
        err += 1
print(ok, err)'
        wait "$act"
        [ "$(cat "$T/act.out")" = restarted ]
        echo "calls across two restarts: answered, failed with an error: $output"
        [ "$status" -eq 0 ]
        read -r ok err <<<"$output"
        [ "$ok" -gt 50 ]
        [ "$err" -le 2 ]
}

@test "evidenced: plugin 51 installs this Python module, the service's page and units" {
        P="$BATS_TEST_DIRNAME/../../plugins/51-cvm-evidence"
        cmp "$PY/cvm_evidence.py" "$P/files/cvm_evidence.py" || { echo "refresh: cp $PY/cvm_evidence.py $P/files/" >&2; return 1; }
        M="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/../man/cvm-evidenced.8"
        if [ -e "$M" ]; then cmp "$M" "$P/files/cvm-evidenced.8"; fi
        grep -q '^ListenStream=/run/cvm/evidence.sock$' "$P/files/cvm-evidence.socket"
        grep -q '^ExecStart=/usr/sbin/cvm-evidenced --group ${CVM_EVIDENCE_GROUP}$' "$P/files/cvm-evidenced.service"
        grep -q 'enable-service: {name: cvm-evidence.socket}' "$P/plugin.yaml"
}

@test "evidenced: Verify(manifest) matches a measured boot, and finds the register an Extend moved" {
        M="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/cvm-measure"
        mkdir -p "$T/r/etc/app" "$T/r/proc"
        printf 'a=1\n' >"$T/r/etc/app/app.conf"
        printf 'root=/dev/vda1\n' >"$T/r/proc/cmdline"
        printf 'version: 1\ngroups:\n  - name: os\n    class: os\n    items:\n      - cmdline: true\n      - tree: /etc/app\n' >"$T/r/policy.yaml"
        "$M" --dry-run --root "$T/r" --proc "$T/r/proc" --policy "$T/r/policy.yaml" --json 2>/dev/null |
                jq '{reference_values: {measurer: true, tdx: {events: [.events[] | {index, kind, item, data, (.alg): .digest}], registers}}}' >"$T/m.json"
        rm -f "$T/regs" "$T/runtime.log"
        "$M" --backend sim --sim-state "$T/regs" --sim-space cc-mr --root "$T/r" --proc "$T/r/proc" \
                --policy "$T/r/policy.yaml" --log "$T/runtime.log" >/dev/null 2>&1
        start_daemon
        run env PYTHONPATH="$PY" timeout 30 python3 -c 'import cvm_evidence as c, sys
v = c.Client().call("Verify", manifest=open(sys.argv[1]).read())
print(v["match"], v["matchedEvents"] == v["expectedEvents"] > 0, v["simulated"], len(v["findings"]))' "$T/m.json"
        [ "$output" = "True True True 0" ]
        want=$("$E" verify --manifest "$T/m.json" --backend sim --sim-state "$T/regs" --log "$T/runtime.log" --json 2>/dev/null | jq -r .match)
        [ "$want" = true ]
        run timeout 60 "$E" verify --manifest "$T/m.json" --backend service --socket "$SOCK" --log "$T/runtime.log" --json
        [ "$status" -eq 0 ]
        [ "$(jq -r .match <<<"$output")" = true ]
        py 'c.Client().call("Extend", index=3, data="unexpected")' >/dev/null
        # The saved log's check finds what the service's live check finds: the foreign event moved RTMR2 (basis log-all).
        run timeout 60 "$E" verify --manifest "$T/m.json" --backend sim --sim-state "$T/regs" --log "$T/runtime.log" --json
        [ "$status" -eq 3 ]
        want=$output
        [ "$(jq -c '[.match, [.findings[] | {finding, register, basis}]]' <<<"$want")" = '[false,[{"finding":"register","register":"RTMR2","basis":"log-all"}]]' ]
        run timeout 60 "$E" verify --manifest "$T/m.json" --backend service --socket "$SOCK" --log "$T/runtime.log" --json
        [ "$status" -eq 3 ]
        got=$output
        [ "$(jq -c 'del(.backend, .source, .reason)' <<<"$want")" = "$(jq -c 'del(.backend, .source, .reason)' <<<"$got")" ]
        run env PYTHONPATH="$PY" timeout 30 python3 -c 'import cvm_evidence as c, sys
v = c.Client().call("Verify", manifest=open(sys.argv[1]).read())
print(v["match"], sorted({f["finding"] for f in v["findings"]}))' "$T/m.json"
        # The runtime log still replays to the register, but the register no longer equals the manifest's.
        [ "$output" = "False ['register']" ]
}

@test "evidenced: on a real TPM (swtpm): GetMeasurement equals the CLI's, GetQuote binds SHA-512(nonce || userData)" {
        command -v swtpm >/dev/null || skip "swtpm is not installed"
        start_swtpm
        timeout --foreground 300 "$D" --listen "$SOCK" --backend tpm2 --tcti "$TCTI" --sysroot "$T/root" --log "$T/runtime.log" \
                2>"$T/daemon.err" &
        DPID=$!
        for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
        want=$("$E" measurements --json --backend tpm2 --tcti "$TCTI" 2>/dev/null | jq -r '.registers[] | select(.index == 0 and .alg == "sha256") | .digest')
        run py 'print(c.get_default_algorithm(), c.get_cc_measurement(0, "sha256").hex())'
        [ "$output" = "sha256 $want" ]
        rd=$(printf '0011%s' "$(hexof user)" | xxd -r -p | sha512sum | cut -d' ' -f1)
        run py 'q = c.get_cc_report(bytes.fromhex("0011"), b"user"); print(q["quoteType"], q["reportData"])'
        [ "$output" = "tpm2 $rd" ]
        # cvm-evidence quote through the service: the same report data, the TPM's signature, AK and PCRs carried over,
        # and a quote that parses and replays like one taken on the device.
        timeout 120 "$E" quote --backend service --socket "$SOCK" --nonce 0011 --user-data "$(hexof user)" --json -o "$T/q" \
                >"$T/q.json" 2>"$T/q.err" || { cat "$T/q.err"; return 1; }
        [ "$(jq -r .report_data "$T/q.json")" = "$rd" ]
        [ "$(jq -r '.pcrs | length' "$T/q.json")" -eq 24 ]
        [[ "$(jq -r .source "$T/q.json")" == "cvm-evidenced on $SOCK: TPM2_Quote"* ]]
        [ -s "$T/q.sig" ] && [ -s "$T/q.pem" ]
        run timeout 60 "$E" parse-quote --json "$T/q"
        [ "$status" -eq 0 ]
        run timeout 120 "$E" quote --backend service --socket "$SOCK" --pcrs sha256:0
        [ "$status" -eq 2 ]
        [[ "$output" == *"the service picks the PCRs"* ]]
        run timeout 60 "$E" measurements --backend service --socket "$SOCK" --json
        [ "$(jq -r '.registers[] | select(.index == 0 and .alg == "sha256") | .digest' <<<"$output")" = "$want" ]
        # Another process extends a PCR on the TPM: the next read through the service sees it.
        before=$(py 'print(c.get_cc_measurement(16, "sha256").hex())')
        timeout 60 "$E" extend --backend tpm2 --tcti "$TCTI" --index 16 --data other --log "$T/other.log" 2>/dev/null
        after=$(timeout 60 "$E" measurements --json --backend tpm2 --tcti "$TCTI" 2>/dev/null |
                jq -r '.registers[] | select(.index == 16 and .alg == "sha256") | .digest')
        [ "$after" != "$before" ]
        [ "$(py 'print(c.get_cc_measurement(16, "sha256").hex())')" = "$after" ]
}

@test "evidenced: the interface description parses as varlink IDL (varlink-go's parser, where installed)" {
        command -v varlink-go-interface-generator >/dev/null || skip "varlink-go is not installed"
        start_daemon
        mkdir "$T/idl"
        # That generator takes lower-case interface names only (it derives a Go package name) and no
        # final newline; the varlink grammar and systemd allow both (io.systemd.Resolve).
        vl '{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"io.cvmkit.Evidence"}}\0' |
                jq -j .parameters.description | sed 's/^interface io.cvmkit.Evidence$/interface io.cvmkit.evidence/' |
                python3 -c 'import sys; sys.stdout.write(sys.stdin.read().rstrip("\n"))' >"$T/idl/io.cvmkit.evidence.varlink"
        grep -q '^method Extend(' "$T/idl/io.cvmkit.evidence.varlink"
        (cd "$T/idl" && timeout 30 varlink-go-interface-generator io.cvmkit.evidence.varlink)
        grep -q 'func.*GetMeasurement' "$T/idl/iocvmkitevidence.go"
}

@test "evidenced: systemd accepts the socket and service units plugin 51 installs (the socket starts cvm-evidenced.service)" {
        command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
        P="$BATS_TEST_DIRNAME/../../plugins/51-cvm-evidence/files"
        mkdir "$T/units"
        cp "$P/cvm-evidence.socket" "$T/units/"
        # The daemon's installed path, here the build's.
        sed "s|^ExecStart=/usr/sbin/cvm-evidenced|ExecStart=$(cd "$(dirname "$E")" && pwd)/cvm-evidenced|" \
                "$P/cvm-evidenced.service" >"$T/units/cvm-evidenced.service"
        run timeout 60 systemd-analyze verify --man=no "$T/units/cvm-evidence.socket" "$T/units/cvm-evidenced.service"
        echo "$output"
        [ "$status" -eq 0 ]
        grep -qx 'Service=cvm-evidenced.service' "$P/cvm-evidence.socket"
}

# ---- per-container IMA view (ima-cgpath, ima-dep-cgn)

# A synthetic IMA list built from the templates' field layout (mkima-cgpath.py):
# host events, containerd container A (ima-cgpath and ima-dep-cgn), CRI-O container B.
make_ima_list() {
        mkdir -p "$T/ima" "$T/root/sys/kernel/security/ima"
        timeout 30 python3 "$BATS_TEST_DIRNAME/mkima-cgpath.py" "$T/ima"
        cp "$T/ima/binary" "$T/root/sys/kernel/security/ima/binary_runtime_measurements"
        read -r A NA RA <<<"$(sed -n 1p "$T/ima/expect")"
        read -r B NB RB <<<"$(sed -n 2p "$T/ima/expect")"
}

@test "evidenced: libcvm reads ima-cgpath and ima-dep-cgn lists, ascii as binary (every template hash rebuilt)" {
        make_ima_list
        run timeout 30 "$E" eventlog "$T/ima/ascii"
        [ "$status" -eq 0 ]
        [ "$(grep -c 'digest_matches_data: yes' <<<"$output")" -eq 8 ]
        [[ "$output" == *"template: ima-dep-cgn"* ]]
        for alg in sha1 sha256 sha384; do
                a=$(timeout 30 "$E" replay --json --alg "$alg" "$T/ima/ascii" | jq -c .registers)
                b=$(timeout 30 "$E" replay --json --alg "$alg" "$T/ima/binary" | jq -c .registers)
                [ -n "$a" ] && [ "$a" != null ] && [ "$a" = "$b" ]
        done
        # A cgroup field cut short is an error with its line, not a guess.
        head -1 "$T/ima/ascii" | cut -d' ' -f1-4 >"$T/short"
        run timeout 30 "$E" eventlog "$T/short"
        [ "$status" -eq 2 ]
        [[ "$output" == *"line 1: expected the cg-path field"* ]]
}

@test "evidenced: GetContainerEventLog: a container's IMA events and the register they replay to; root may name any container" {
        [ "$(id -u)" -eq 0 ] || skip "needs root to run clients as other users"
        make_ima_list
        start_daemon --group 4242
        run py "r = c.Client().call('GetContainerEventLog', containerId='$A', algorithm='sha256')
print(r['count'], r['replayed'], ','.join(e['template'] for e in r['events']), r['events'][0]['cgroup'].endswith('$A.scope'))"
        [ "$output" = "$NA $RA ima-cgpath,ima-cgpath,ima-dep-cgn,ima-cgpath True" ]
        run py "r = c.get_container_eventlog('$B', 'sha256'); print(r['count'], r['replayed'])"
        [ "$output" = "$NB $RB" ]
        run py "r = c.Client().call('GetContainerEventLog', containerId='$B'); print(r['count'], r['algorithm'], len(r['replayed']))"
        [ "$output" = "$NB sha384 96" ]
        run py "r = c.Client().call('GetContainerEventLog', containerId='$(printf 'c%.0s' $(seq 64))', algorithm='sha256'); print(r['count'], r['replayed'])"
        [ "$output" = "0 $(printf '0%.0s' $(seq 64))" ]
        as() { setpriv --reuid=4243 --regid=4242 --clear-groups env PYTHONPATH="$PY" CVM_EVIDENCE_SOCKET="$SOCK" timeout 30 python3 -c "import cvm_evidence as c
try: print(c.Client().call('GetContainerEventLog', **$1))
except c.VarlinkError as e: print(e.name)"; }
        run as '{}'
        [ "$output" = io.cvmkit.Evidence.NotInContainer ]
        run as "{'containerId': '$A'}"
        [ "$output" = io.cvmkit.Evidence.PermissionDenied ]
        run py "c.Client().call('GetContainerEventLog', containerId='abc')"
        [[ "$output" == *"InvalidParameter"* ]]
}

@test "evidenced: GetContainerEventLog: a caller in a container's cgroup gets its own container's events" {
        [ "$(id -u)" -eq 0 ] || skip "needs root to make a cgroup"
        U=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
        [ -n "$U" ] && [ -w "$U" ] || skip "no writable cgroup2 hierarchy"
        make_ima_list
        start_daemon
        CG="$U/cvmkit-evidenced-test.$$/cri-containerd-$A.scope"
        mkdir -p "$CG" || skip "cannot make a cgroup under $U"
        run sh -c "echo \$\$ >'$CG/cgroup.procs' && exec env PYTHONPATH='$PY' timeout 30 python3 -c 'import cvm_evidence as c
r = c.Client().call(\"GetContainerEventLog\", algorithm=\"sha256\"); print(r[\"containerId\"], r[\"count\"], r[\"replayed\"], r[\"caller\"][\"containerRuntime\"])'"
        rmdir "$CG" "$(dirname "$CG")"
        [ "$output" = "$A $NA $RA containerd" ]
}

# ---- plugin 51's group parameter

@test "evidenced: plugin 51's group reaches the socket's SocketGroup and the daemon's --group; systemd accepts the drop-ins" {
        RW="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/cvm-rewrite"
        R="$BATS_TEST_DIRNAME/../../recipes/minimal.yaml"
        run timeout 60 "$RW" --recipe "$R" --plan --json --set cvm-evidence.group=attest
        [ "$status" -eq 0 ]
        steps=$(jq -c '[.plugins[] | select(.name == "cvm-evidence") | .steps[] | select(.kind == "write")]' <<<"$output")
        sock=$(jq -r '.[] | select(.args.path == "/etc/systemd/system/cvm-evidence.socket.d/group.conf") | .args.content' <<<"$steps")
        svc=$(jq -r '.[] | select(.args.path == "/etc/systemd/system/cvm-evidenced.service.d/group.conf") | .args.content' <<<"$steps")
        [ "$sock" = $'[Socket]\nSocketGroup=attest\nSocketMode=0660' ]
        [ "$svc" = $'[Service]\nEnvironment=CVM_EVIDENCE_GROUP=attest' ]
        run timeout 60 "$RW" --recipe "$R" --plan --json
        [[ "$output" == *'SocketGroup=cvm-evidence'* ]]
        # A name systemd or a unit file could misread is refused before any image is touched.
        run timeout 60 "$RW" --recipe "$R" --plan --set 'cvm-evidence.group=a b'
        [ "$status" -ne 0 ]
        [[ "$output" == *"parameter 'group' must match"* ]]
        # The units with these drop-ins: systemd accepts them, and ExecStart, expanded as systemd does, passes the group.
        command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
        P="$BATS_TEST_DIRNAME/../../plugins/51-cvm-evidence/files"
        mkdir -p "$T/units/cvm-evidence.socket.d" "$T/units/cvm-evidenced.service.d"
        cp "$P/cvm-evidence.socket" "$T/units/"
        sed "s|^ExecStart=/usr/sbin/cvm-evidenced|ExecStart=$(cd "$(dirname "$D")" && pwd)/cvm-evidenced|" \
                "$P/cvm-evidenced.service" >"$T/units/cvm-evidenced.service"
        printf '%s\n' "$sock" >"$T/units/cvm-evidence.socket.d/group.conf"
        printf '%s\n' "$svc" >"$T/units/cvm-evidenced.service.d/group.conf"
        run timeout 60 systemd-analyze verify --man=no "$T/units/cvm-evidence.socket" "$T/units/cvm-evidenced.service"
        echo "$output"
        [ "$status" -eq 0 ]
        # The daemon takes the expanded value as its read group.
        start_daemon --group "$(sed -n 's/^Environment=CVM_EVIDENCE_GROUP=//p' <<<"$svc")"
        grep -q "reads: root and group attest\|--group attest: no such group" "$T/daemon.err"
}

# ---- load: fds and memory, and restarts under socket activation

@test "evidenced: after an open-loop load (64 connections, 5000 calls/s) and large replies, fds and memory are back where they started" {
        B="${CVM_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/../bench/evdbench"
        [ -x "$B" ] || skip "no evdbench (make build/bench/evdbench)"
        start_daemon
        py 'c.get_cc_eventlog(); c.get_cc_measurement(1)' >/dev/null
        fds0=$(daemon_fds)
        rss0=$(daemon_rss)
        run timeout 120 "$B" --rate 5000 "$SOCK" 64 2
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"10000 answered"*", 0 lost, 0 errors"* ]]
        [[ "$output" == *"CCNP published: 26-76 ms"* ]]
        sleep 0.5
        [ "$(daemon_fds)" -eq "$fds0" ]
        rss1=$(daemon_rss)
        echo "rss before $rss0 kB, after $rss1 kB"
        grep -qa __asan_init "$D" || [ "$rss1" -le $((rss0 + 2048)) ]
}

@test "evidenced: restarted twice under load from 8 pipelining clients (socket activation): every call answered or failed at its client, none silent" {
        PYTHONPATH="$PY" timeout 60 python3 "$BATS_TEST_DIRNAME/socket-activate.py" "$D" "$SOCK" "$T" 3 2 0 \
                >"$T/act.out" 2>"$T/act.err" 3>&- &
        act=$!
        sleep 0.3
        run timeout 40 python3 - "$SOCK" <<'PYEOF'
import socket, sys, threading, time
path = sys.argv[1]
msg = b'{"method":"io.cvmkit.Evidence.GetMeasurement","parameters":{"index":2}}\0'
tot = {"ok": 0, "failed": 0, "silent": 0}
lock = threading.Lock()
def client():
    end = time.time() + 5.5
    while time.time() < end:
        s = socket.socket(socket.AF_UNIX); s.settimeout(5)
        sent = got = 0
        try:
            s.connect(path)
            s.sendall(msg * 4); sent = 4
            buf = b""
            while buf.count(b"\0") < sent:
                c = s.recv(65536)
                if not c:
                    break
                buf += c
            got = buf.count(b"\0")
            ok = sum(1 for m in buf.split(b"\0")[:got] if m.startswith(b'{"parameters"'))
            with lock:
                tot["ok"] += ok; tot["failed"] += sent - ok
        except socket.timeout:
            with lock:
                tot["silent"] += sent - got
        except OSError:
            with lock:
                tot["failed"] += max(sent - got, 1)
            time.sleep(0.01)
        finally:
            s.close()
ts = [threading.Thread(target=client) for _ in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print(tot["ok"], tot["failed"], tot["silent"])
PYEOF
        wait "$act"
        echo "answered, failed with an error, unanswered: $output"
        [ "$(cat "$T/act.out")" = restarted ]
        read -r ok failed silent <<<"$output"
        [ "$ok" -gt 200 ]
        [ "$silent" -eq 0 ]
}

@test "evidenced: systemd-socket-activate starts the daemon on the first call and it serves on the passed socket" {
        command -v systemd-socket-activate >/dev/null || skip "no systemd-socket-activate"
        timeout --foreground 60 systemd-socket-activate -l "$SOCK" "$D" --backend sim --sim-state "$T/regs" --sysroot "$T/root" \
                --log "$T/runtime.log" 2>"$T/daemon.err" &
        DPID=$!
        for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
        run py 'print(c.get_measurement_count(), c.get_cc_measurement(2).hex() != "00" * 48)'
        [ "$output" = "5 True" ]
        grep -q "serving io.cvmkit.Evidence on systemd's socket" "$T/daemon.err"
}

@test "evidenced: a register read after an Extend, by the daemon or by another process, sees the new value (the read cache stays exact)" {
        start_daemon
        for i in $(seq 20); do
                before=$(py 'print(c.get_cc_measurement(2).hex())')
                timeout 30 "$E" extend --backend sim --sim-state "$T/regs" --index 2 --data "x$i" --log "$T/runtime.log" 2>/dev/null
                want=$(timeout 30 "$E" measurements --backend sim --sim-state "$T/regs" --json 2>/dev/null | jq -r '.registers[] | select(.index == 2) | .digest')
                got=$(py 'print(c.get_cc_measurement(2).hex())')
                [ "$want" != "$before" ]
                [ "$got" = "$want" ] || { echo "after extend $i: service $got, device $want" >&2; return 1; }
        done
        # The daemon's own Extend, then a read on another connection and on the same one.
        run py 'cl = c.Client(); a = cl.call("GetMeasurement", index=3)["digest"]; cl.call("Extend", index=3, data="y")
b = cl.call("GetMeasurement", index=3)["digest"]; print(a != b, b == c.get_cc_measurement(3).hex())'
        [ "$output" = "True True" ]
        # A state file replaced under the daemon (a new inode) is watched again.
        cp "$T/regs" "$T/regs.new"
        timeout 30 "$E" extend --backend sim --sim-state "$T/regs.new" --index 2 --data z --log "$T/other.log" 2>/dev/null
        mv "$T/regs.new" "$T/regs"
        want=$(timeout 30 "$E" measurements --backend sim --sim-state "$T/regs" --json 2>/dev/null | jq -r '.registers[] | select(.index == 2) | .digest')
        [ "$(py 'print(c.get_cc_measurement(2).hex())')" = "$want" ]
        timeout 30 "$E" extend --backend sim --sim-state "$T/regs" --index 2 --data w --log "$T/other.log" 2>/dev/null
        want=$(timeout 30 "$E" measurements --backend sim --sim-state "$T/regs" --json 2>/dev/null | jq -r '.registers[] | select(.index == 2) | .digest')
        [ "$(py 'print(c.get_cc_measurement(2).hex())')" = "$want" ]
}
