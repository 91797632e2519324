#!/usr/bin/env python3
# Synthetic IMA list of ima-cgpath / ima-dep-cgn events (template fields: dep|cg-path|d-ng|n-ng, dep|cgn|d-ng|n-ng):
# writes DIR/binary, DIR/ascii and DIR/expect (container id, count, sha256 replay from zero).
import hashlib, struct, sys, os
d = sys.argv[1]
A = "a" * 56 + "0123abcd"; B = "b" * 56 + "4567cdef"; POD = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
cgA = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod%s.slice/cri-containerd-%s.scope" % (POD.replace("-", "_"), A)
cgB = "/kubepods/burstable/pod%s/crio-%s.scope" % (POD, B)
dep = "/usr/bin/containerd-shim-runc-v2:/usr/lib/systemd/systemd:swapper/0"
events = [("ima-cgpath", "/system.slice/ssh.service", "/usr/sbin/sshd", None),
          ("ima-cgpath", cgA, "/bin/sh", A), ("ima-cgpath", cgB, "/usr/bin/python3", B),
          ("ima-cgpath", cgA, "/usr/bin/app", A), ("ima-dep-cgn", "cri-containerd-%s.scope" % A, "/usr/lib/libc.so.6", A),
          ("ima-cgpath", cgB, "/etc/passwd", B), ("ima-cgpath", cgA, "/etc/app.conf", A), ("ima-cgpath", "-", "/init", None)]
def sfield(s):
    b = s.encode() + b"\0"
    return struct.pack("<I", len(b)) + b
binl, asc, reg = b"", "", {A: bytes(32), B: bytes(32)}
count = {A: 0, B: 0}
for tmpl, cg, path, cid in events:
    fd = hashlib.sha256(path.encode()).digest()
    dng = b"sha256:\0" + fd
    data = sfield(dep) + sfield(cg) + struct.pack("<I", len(dng)) + dng + sfield(path)
    th = hashlib.sha1(data).digest()
    binl += struct.pack("<I", 10) + th + struct.pack("<I", len(tmpl)) + tmpl.encode() + struct.pack("<I", len(data)) + data
    asc += "10 %s %s %s %s sha256:%s %s\n" % (th.hex(), tmpl, dep, cg, fd.hex(), path)
    if cid:
        reg[cid] = hashlib.sha256(reg[cid] + hashlib.sha256(data).digest()).digest()
        count[cid] += 1
open(os.path.join(d, "binary"), "wb").write(binl)
open(os.path.join(d, "ascii"), "w").write(asc)
open(os.path.join(d, "expect"), "w").write("%s %d %s\n%s %d %s\n" % (A, count[A], reg[A].hex(), B, count[B], reg[B].hex()))
