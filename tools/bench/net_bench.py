"""Network rows of `make bench` (issue 19): capOS's TCP path (netbench →
netd's TcpSocket → netd's stack → frame rings → the vnetd driver process)
next to Linux's
(net_bench → sockets → in-kernel TCP and virtio_net), on the same QEMU
NIC (`virtio-net-pci,disable-legacy=on`) and netdev (SLIRP user
networking).

Both guests connect to 10.0.2.100:5001, which SLIRP's guestfwd sends to
the bench server this script runs on the host loopback, and run the same
protocol on one connection: 2 MiB host→guest, 2 MiB guest→host, 200
request/response round trips of 64 bytes. Every pair is booted under
`-icount shift=0,sleep=off` for instructions per round trip (median; the
median run of --icount-runs boots) and under plain TCG for MiB/s and
requests/s (emulated, not hardware figures; best of --tcg-runs boots).

Usable alone (`python3 tools/bench/net_bench.py`, writes
bench/results/net.md), called by run_bench.py for the network section
of latest.md, and with `--serve` by the CTest `qemu.netbench_smoke`
(the server around one run_qemu.py boot)."""

import os
import socket
import subprocess
import sys
import threading

from common import ROOT, log, ratio, row_value, standalone_main
from guest_boot import ICOUNT_FLAGS, boot, parse_bench, qemu_base

PACKAGE = "netbench_split.bin"  # netd with vnetd, as in the default system
GUEST_ADDR, GUEST_PORT = "10.0.2.100", 5001
# Goal from issue 19: throughput and request rate >= 0.9x Linux.
GOAL = 0.9
# Busy instructions per round trip: the TSC over the loop minus the CPUs'
# idle time (capOS: SystemStatus busyCycles; Linux: bench/linux/idle.h).
BUSY = "busy_cycles_per_op"
# A round-trip median above this many times the busy figure is idle jumps.
IDLE_FACTOR = 2
ROWS = [  # (row, key, label)
    ("net_tcp_rx", "kib_per_s", "TCP bulk host→guest, KiB/s"),
    ("net_tcp_tx", "kib_per_s", "TCP bulk guest→host, KiB/s"),
    ("net_tcp_rr", "req_per_s", "request/response (64 B) on one connection, requests/s"),
]


def _recv_exact(conn, n, keep):
    out = bytearray()
    while n > 0:
        b = conn.recv(min(n, 65536))
        if not b:
            raise EOFError
        if keep:
            out += b
        n -= len(b)
    return bytes(out)


class BenchServer:
    """The host end: serves the D/U/R protocol (see user/tests/netbench.cpp)
    on every connection, one at a time. SLIRP's guestfwd connects its
    chardev when QEMU starts, so this listens before QEMU does."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.commands = []
        threading.Thread(target=self._loop, daemon=True).start()

    def netdev(self):
        return ["-netdev", f"user,id=n0,guestfwd=tcp:{GUEST_ADDR}:{GUEST_PORT}-tcp:127.0.0.1:{self.port}",
                "-device", "virtio-net-pci,netdev=n0,disable-legacy=on,addr=4"]

    def _loop(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                try:
                    self._serve(conn)
                except (EOFError, OSError):
                    pass

    def _serve(self, conn):
        block = bytes(range(256)) * 256
        while True:
            hdr = _recv_exact(conn, 5, True)
            op, n = chr(hdr[0]), int.from_bytes(hdr[1:], "big")
            self.commands.append(op)
            if op == "D":
                while n > 0:
                    k = min(n, len(block))
                    conn.sendall(block[:k])
                    n -= k
            elif op == "U":
                _recv_exact(conn, n, False)
                conn.sendall(b"K")
            elif op == "R":
                for _ in range(n):
                    conn.sendall(_recv_exact(conn, 64, True))
            else:
                return

    def close(self):
        self.listener.close()


def build_capos_side(build):
    r = subprocess.run(["ninja", "-C", build, "kernel/capos.elf", "tests/qemu/packages/" + PACKAGE],
                       capture_output=True, text=True)
    if r.returncode != 0:
        log("net: capOS side did not build: " + r.stdout[-1000:])


def _merge(runs, mode):
    """Several boots -> one row set. TCG: per figure the best run (the one
    the loaded host disturbed least), the spread kept as `<key>_all`.
    icount: the run whose round-trip median is the median of all runs'."""
    if mode == "tcg":
        merged = {}
        for row, key, _ in ROWS:
            vals = [float(r[row][key]) for r in runs if key in r.get(row, {})]
            if vals:
                merged[row] = {key: "%.0f" % max(vals), key + "_all": "/".join("%.0f" % v for v in vals)}
        return merged
    good = [r for r in runs if "median_cycles" in r.get("net_tcp_rr", {})]
    if not good:
        return runs[-1] if runs else {}
    # The median run by busy instructions where both guests report them
    # (a boot's round-trip median can be all idle jumps), else by median.
    key = BUSY if all(BUSY in r["net_tcp_rr"] for r in good) else "median_cycles"
    good.sort(key=lambda r: float(r["net_tcp_rr"][key]))
    pick = dict(good[(len(good) - 1) // 2])
    row = dict(pick["net_tcp_rr"])
    row["median_cycles_all"] = "/".join(r["net_tcp_rr"]["median_cycles"] for r in good)
    if key == BUSY:
        row[BUSY + "_all"] = "/".join(r["net_tcp_rr"][BUSY] for r in good)
    pick["net_tcp_rr"] = row
    return pick


def run(qemu, accel, cpu, mem, smp, linux_image, initrd, capos_kernel, pkg_dir, timeout, log_dir, tcg_runs=3,
        icount_runs=3):
    """Returns {"capos": {"icount": rows, "tcg": rows}, "linux": {...}, "_notes": [...]}."""
    out, notes, guests = {"capos": {}, "linux": {}}, [], []
    module = os.path.join(pkg_dir, PACKAGE)
    if os.path.exists(capos_kernel) and os.path.exists(module):
        guests.append(("capos", ["-kernel", capos_kernel, "-initrd", module], "capos-net-serial.log"))
    else:
        notes.append(f"capOS: {os.path.relpath(module, ROOT)} not built")
    guests.append(("linux", ["-kernel", linux_image, "-initrd", initrd, "-append",
                             "console=ttyS0 quiet panic=-1 bench.mode=net"], "linux-net-serial.log"))
    for who, boot_args, log_name in guests:
        for mode, extra, count in (("icount", ICOUNT_FLAGS, icount_runs), ("tcg", [], tcg_runs)):
            runs = []
            for i in range(count):
                log(f"net: {who} ({mode} {i + 1}/{count})")
                server = BenchServer()
                # -nic none in qemu_base is overridden by the explicit -netdev/-device pair.
                cmd = qemu_base(qemu, accel, cpu, mem, smp) + extra + server.netdev() + boot_args
                b = boot(cmd, timeout, log_path=os.path.join(log_dir, log_name))
                server.close()
                rows, meta = parse_bench(b.lines)
                if "done" not in meta:
                    notes.append(f"{who} ({mode}) did not finish (rc={b.rc}; host saw {''.join(server.commands)})")
                notes += [f"{who}: insmod {v} failed" for k, v in meta.items() if k == "insmod_failed"]
                runs.append(rows)
            out[who][mode] = _merge(runs, mode)
    out["_notes"] = notes
    return out


def _fmt(v):
    return "n/a" if v is None else f"{v:,.0f}"


def markdown(res):
    """The network section of the report."""
    c, l = res.get("capos", {}), res.get("linux", {})
    lines = ["## Network (issue 19): capOS netd vs Linux in-kernel TCP", "",
             "Same QEMU flags for both guests plus `-netdev user` (SLIRP) with `guestfwd` to a server on the host "
             "loopback and `virtio-net-pci,disable-legacy=on`. capOS: `netbench` → the socket's shared buffers "
             "(byte rings in memory shared with `netd`, a TcpSocket.sync call only to wait or wake) → netd's "
             "stack → frame rings shared with the `vnetd` driver process. "
             "Linux: `net_bench`, blocking sockets with TCP_NODELAY. One connection: 2 MiB host→guest, 2 MiB "
             "guest→host, 200 round trips of 64 bytes. Throughput: plain TCG, emulated — not hardware figures; "
             "best of several boots (all shown). Instructions: busy instructions per round trip under "
             "`-icount shift=0,sleep=off` — the TSC over the 200 round trips minus the CPUs' idle time, over 200 "
             "(guest side only: client, stack, driver and kernel; capOS: SystemStatus busyCycles, Linux: NOHZ "
             "idle + iowait); the per-round-trip median is shown only where idle jumps (a guest idle while "
             "the host answers has its clock skipped ahead) do not dominate it. Ratios = capOS / Linux; goal from the issue: throughput "
             "and request rate ≥ 0.9× Linux.", "",
             "| row | capOS | Linux | capOS/Linux (goal) |", "|---|---:|---:|---|"]
    spread = lambda rows, row, key: rows.get("tcg", {}).get(row, {}).get(key + "_all", "n/a")
    for row, key, label in ROWS:
        cv, lv = row_value(c, "tcg", row, key), row_value(l, "tcg", row, key)
        r = ratio(cv, lv)
        verdict = "n/a" if r is None else f"{r:.2f}× ({'meets' if r >= GOAL else 'misses'} ≥{GOAL:.1f}×)"
        lines.append(f"| {label} (TCG, best of {spread(c, row, key)} ↔ {spread(l, row, key)}) | {_fmt(cv)} | "
                     f"{_fmt(lv)} | {verdict} |")
    runs = lambda rows, key: rows.get("icount", {}).get("net_tcp_rr", {}).get(key + "_all", "n/a")
    cb, lb = row_value(c, "icount", "net_tcp_rr", BUSY), row_value(l, "icount", "net_tcp_rr", BUSY)
    r = ratio(cb, lb)
    lines.append(f"| busy instructions per round trip (icount; runs {runs(c, BUSY)} ↔ {runs(l, BUSY)}) | "
                 f"{_fmt(cb)} | {_fmt(lb)} | {'n/a' if r is None else '%.2f×' % r} |")
    ci, li = row_value(c, "icount", "net_tcp_rr", "median_cycles"), row_value(l, "icount", "net_tcp_rr", "median_cycles")
    # A median far above the busy figure is idle time skipped while the
    # host answered, not work (see the note below the table).
    idle = lambda m, b: m is not None and b is not None and m > IDLE_FACTOR * b
    cell = lambda m, b: f"idle-dominated (median {_fmt(m)})" if idle(m, b) else _fmt(m)
    r = None if idle(ci, cb) or idle(li, lb) else ratio(ci, li)
    lines.append(f"| instructions per round trip, median of 200 (icount; runs {runs(c, 'median_cycles')} ↔ "
                 f"{runs(l, 'median_cycles')}) | {cell(ci, cb)} | {cell(li, lb)} | {'n/a' if r is None else '%.2f×' % r} |")
    for n in res.get("_notes", []):
        lines.append(f"- {n}")
    return "\n".join(lines) + "\n"


def serve_around(argv):
    """`--serve RUN_QEMU ARGS...`: runs one run_qemu.py boot with the bench
    server and the NIC flags appended (the CTest smoke)."""
    run_qemu, args = argv[0], list(argv[1:])
    server = BenchServer()
    if "--" not in args:
        args.append("--")
    rc = subprocess.call([sys.executable, run_qemu] + args + server.netdev())
    server.close()
    seen = "".join(server.commands)
    if seen != "DUR":
        print(f"FAIL: the bench server saw commands {seen!r}, expected 'DUR'")
        return 1
    return rc


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        return serve_around(sys.argv[2:])
    return standalone_main(__doc__, "Network bench", "net_bench.py", "net.md", "guest", run, markdown, build_capos_side)


if __name__ == "__main__":
    sys.exit(main())
