"""QEMU's TCG translation counters at points of a guest's run.

`boot_with_jit(cmd, markers, timeout)` runs QEMU with a monitor socket and,
each time a serial line contains one of `markers`, asks the monitor
`info jit` for the translation-buffer figures. Under `-icount` the guest
does the same work in every run, so these say how much code QEMU had to
translate (again) for it, whatever the host load: the cost that guest
instruction counts do not show (e.g. a program copied into fresh frames
per spawn is translated per spawn; shared read-only pages are not;
docs/smp.md "What limits process_scale").

Figures per snapshot: tbs (translated blocks alive), code (bytes of host
code generated since the last flush), invalidated (blocks thrown away
because their guest page was written), flushes. QEMU keeps running while
the monitor answers, so a snapshot lands a few blocks after its marker."""

import os
import re
import socket
import subprocess
import tempfile
import time

FIELDS = (("tbs", r"(?m)^TB count\s+(\d+)"), ("code", r"gen code size\s+(\d+)/"),
          ("invalidated", r"TB invalidate count\s+(\d+)"), ("flushes", r"TB flush count\s+(\d+)"))


def _ask(sock):
    sock.sendall(b"info jit\n")
    data, deadline = b"", time.monotonic() + 5
    while time.monotonic() < deadline and b"TB flush count" not in data:
        try:
            data += sock.recv(65536)
        except socket.timeout:
            break
    time.sleep(0.05)  # the rest of the answer, then the prompt
    try:
        sock.settimeout(0.05)
        data += sock.recv(65536)
    except socket.timeout:
        pass
    finally:
        sock.settimeout(5)
    text = data.decode("utf-8", "replace")
    out = {}
    for key, rx in FIELDS:
        m = re.findall(rx, text)
        if m:
            out[key] = int(m[-1])
    return out


def boot_with_jit(cmd, markers, timeout):
    """Returns (serial lines, {marker: snapshot}) for the first line holding each marker."""
    path = os.path.join(tempfile.mkdtemp(prefix="capos-jit-"), "monitor.sock")
    p = subprocess.Popen(list(cmd) + ["-monitor", f"unix:{path},server,nowait"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    sock = socket.socket(socket.AF_UNIX)
    for _ in range(100):
        try:
            sock.connect(path)
            break
        except OSError:
            time.sleep(0.05)
    sock.settimeout(5)
    _ask(sock)  # also reads the banner
    lines, snaps, t0 = [], {}, time.monotonic()
    try:
        for raw in p.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            for m in markers:
                if m in line and m not in snaps:
                    try:
                        snaps[m] = _ask(sock)
                    except OSError:  # QEMU exited meanwhile: no snapshot for this marker
                        pass
            if "BENCH done" in line or time.monotonic() - t0 > timeout:
                break
    finally:
        p.kill()
        p.wait()
        sock.close()
        os.unlink(path)
        os.rmdir(os.path.dirname(path))
    return lines, snaps
