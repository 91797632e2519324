#!/usr/bin/env python3
# A stand-in for systemd's socket activation in the evidenced tests: hold the
# listening socket PATH and start cvm-evidenced on it (LISTEN_FDS=1, fd 3)
# RUNS times, each for UP seconds, then SIGTERM; GAP seconds between runs,
# when clients queue on the held socket with no daemon.  Prints "restarted".
# usage: socket-activate.py DAEMON PATH STATE_DIR RUNS UP GAP
import os, socket, subprocess, sys, time

daemon, path, state = sys.argv[1:4]
runs, up, gap = int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
ls = socket.socket(socket.AF_UNIX)
ls.bind(path)
os.chmod(path, 0o666)
ls.listen(128)


def child():
    os.dup2(ls.fileno(), 3)
    os.environ["LISTEN_FDS"] = "1"
    os.environ["LISTEN_PID"] = str(os.getpid())


for i in range(runs):
    if i:
        time.sleep(gap)
    p = subprocess.Popen([daemon, "--backend", "sim", "--sim-state", state + "/regs", "--sysroot", state + "/root",
                          "--log", state + "/runtime.log"], preexec_fn=child, pass_fds=(ls.fileno(),))
    time.sleep(up)
    p.terminate()
    p.wait()
print("restarted")
