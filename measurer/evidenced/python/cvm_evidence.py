# SPDX-License-Identifier: Apache-2.0
"""Client of cvm-evidenced (varlink interface io.cvmkit.Evidence), standard library only.

The module-level functions carry the CC Trusted API's names and meaning:

  CC Trusted API                      here                      cvm-evidenced method
  get_default_algorithm()             get_default_algorithm()   GetInfo.defaultAlgorithm
  get_measurement_count()             get_measurement_count()   GetMeasurementCount
  get_cc_measurement([index, alg])    get_cc_measurement(...)   GetMeasurement(index, algorithm)
  get_cc_eventlog(start, count)       get_cc_eventlog(...)      GetEventLog(start, count)
  get_cc_report(nonce, data)          get_cc_report(...)        GetQuote(nonce, userData)
  replay_cc_eventlog(event_logs)      replay_cc_eventlog(...)   (computed here, as the API does)

Index convention (CC Trusted API and libcvm alike): on TDX, 0 = MRTD and
1-4 = RTMR0-3; on a TPM, the PCR number.  Algorithms are TCG names ("sha256",
"sha384").  Digests, nonces and user data travel as hex.

The socket is $CVM_EVIDENCE_SOCKET, else /run/cvm/evidence.sock.
"""

import hashlib
import json
import os
import socket

DEFAULT_SOCKET = "/run/cvm/evidence.sock"
INTERFACE = "io.cvmkit.Evidence"

_HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


class VarlinkError(Exception):
    """A varlink error reply: name (e.g. io.cvmkit.Evidence.NoSuchIndex) and its parameters."""

    def __init__(self, name, parameters):
        super().__init__("%s: %s" % (name, parameters.get("message", parameters)))
        self.name = name
        self.parameters = parameters


class Client:
    """One connection to the service; calls are answered in order."""

    def __init__(self, path=None, timeout=30.0):
        self.path = path or os.environ.get("CVM_EVIDENCE_SOCKET", DEFAULT_SOCKET)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(self.path)
        self.buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def call(self, method, **parameters):
        """Call method (a bare name means io.cvmkit.Evidence.<name>); the reply's parameters, or VarlinkError."""
        if "." not in method:
            method = INTERFACE + "." + method
        msg = {"method": method, "parameters": {k: v for k, v in parameters.items() if v is not None}}
        self.sock.sendall(json.dumps(msg).encode() + b"\0")
        while b"\0" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("%s: the service closed the connection" % self.path)
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        reply = json.loads(raw)
        if "error" in reply:
            raise VarlinkError(reply["error"], reply.get("parameters", {}))
        return reply.get("parameters", {})


def _call(method, **parameters):
    with Client() as c:
        return c.call(method, **parameters)


def get_default_algorithm():
    """The default bank's TCG name: sha384 on TDX, sha256 on a TPM."""
    return _call("GetInfo")["defaultAlgorithm"]


def get_measurement_count():
    """Number of registers: 5 on TDX (MRTD, RTMR0-3), 24 PCRs on a TPM."""
    return _call("GetMeasurementCount")["count"]


def get_cc_measurement(index, algo_id=None):
    """Register index in bank algo_id (default: the default algorithm), as bytes."""
    return bytes.fromhex(_call("GetMeasurement", index=index, algorithm=algo_id)["digest"])


def get_cc_eventlog(start=None, count=None):
    """Events start..start+count-1 of this boot's merged logs (firmware, runtime, IMA), as dicts."""
    return _call("GetEventLog", start=start, count=count)["events"]


def get_cc_report(nonce=None, data=None, extraArgs=None):
    """A quote whose report data is SHA-512(nonce || data); the reply as a dict (quote in hex)."""
    del extraArgs
    return _call("GetQuote", nonce=nonce.hex() if nonce else None, userData=data.hex() if data else None)


def get_container_eventlog(container_id=None, algo_id=None):
    """The IMA events of the caller's container (root: of container_id) and the register they replay to from zero.

    Needs a kernel whose IMA records cgroups (templates ima-cgpath, ima-dep-cgn); not in the CC Trusted API.
    """
    return _call("GetContainerEventLog", containerId=container_id, algorithm=algo_id)


def replay_cc_eventlog(event_logs):
    """Replay events (from get_cc_eventlog) into {index: {algorithm: bytes}}, as the registers should hold."""
    regs = {}
    for ev in event_logs:
        if ev.get("type") == 3 and "template" not in ev:  # EV_NO_ACTION: logged, never extended
            continue
        for d in ev.get("digests", []):
            alg = d.get("alg")
            h = _HASHES.get(alg)
            if h is None:
                continue
            bank = regs.setdefault(ev["index"], {})
            old = bank.get(alg, bytes(h().digest_size))
            bank[alg] = h(old + bytes.fromhex(d["digest"])).digest()
    return regs
