"""QEMU boots for `make bench` and `perf.budgets`: the flags both guests
share, a serial-timestamping runner, and the `BENCH ...` line parser."""

import fcntl
import os
import selectors
import statistics
import subprocess
import time

BOOT_MARK = b"BENCH mark=init_start"
KVM_GET_API_VERSION = 0xAE00
# Instruction-count mode (both guests): the guest TSC advances exactly one
# tick per retired instruction, so every BENCH row is an exact, repeatable
# instruction count. sleep=off: an idle guest's virtual clock jumps to the
# next timer instead of waiting (no measured row idles).
ICOUNT_FLAGS = ["-icount", "shift=0,sleep=off"]

# qboot, the minimal firmware QEMU ships (Debian's qemu-system-data; the
# default firmware of `-machine microvm`). It loads a PVH or Linux kernel
# from fw_cfg without SeaBIOS's POST, so a boot row run with it counts the
# guest's own work: SeaBIOS is ~16M instructions before either kernel's
# first one (docs/benchmarks.md, "Boot rows"). It leaves PCI BARs
# unassigned, which neither bench guest needs (Linux assigns them itself).
QBOOT_ROM = "/usr/share/qemu/qboot.rom"


def with_qboot(cmd):
    """`cmd` booted through qboot instead of SeaBIOS, or None when QEMU's
    qboot image is not installed."""
    if not os.path.exists(QBOOT_ROM):
        return None
    return cmd[:1] + ["-bios", QBOOT_ROM] + cmd[1:]

# ---------------------------------------------------------------------- QEMU

def kvm_usable():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return False, f"/dev/kvm: {e.strerror}"
    try:
        return fcntl.ioctl(fd, KVM_GET_API_VERSION) == 12, "KVM_GET_API_VERSION"
    except OSError as e:
        return False, f"KVM_GET_API_VERSION: {e.strerror}"
    finally:
        os.close(fd)


def qemu_base(qemu, accel, cpu, mem, smp):
    """Flags shared verbatim by the capOS and Linux guests."""
    return [qemu, "-machine", "q35", "-accel", accel, "-cpu", cpu,
            "-m", mem, "-smp", str(smp), "-nographic", "-no-reboot", "-nic", "none",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]


class Boot:
    def __init__(self):
        self.lines = []          # decoded serial lines
        self.raw = b""
        self.mark_wall_ns = None  # host ns from QEMU spawn to BOOT_MARK
        self.rc = None
        self.timed_out = False
        self.seconds = 0.0


def boot(cmd, timeout, first_bench_timeout=None, log_path=None):
    """Runs QEMU, timestamping serial output. Stops at exit, timeout, or a few
    seconds after `BENCH done`."""
    b = Boot()
    t0 = time.monotonic_ns()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    done_at = None
    eof = False
    while not eof:
        now = time.monotonic_ns()
        elapsed = (now - t0) / 1e9
        if elapsed > timeout or (done_at and now - done_at > 5e9) or (
                first_bench_timeout and elapsed > first_bench_timeout and b"BENCH" not in b.raw):
            b.timed_out = done_at is None
            p.kill()
            break
        for key, _ in sel.select(timeout=0.2):
            chunk = os.read(key.fd, 65536)
            if not chunk:
                eof = True
                break
            b.raw += chunk
            if b.mark_wall_ns is None and BOOT_MARK in b.raw:
                b.mark_wall_ns = time.monotonic_ns() - t0
            if done_at is None and b"BENCH done" in b.raw:
                done_at = time.monotonic_ns()
    try:
        b.rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        b.rc = p.wait()
    b.seconds = (time.monotonic_ns() - t0) / 1e9
    b.lines = b.raw.decode("utf-8", "replace").replace("\r", "").split("\n")
    if log_path:
        with open(log_path, "ab") as f:
            f.write(b"### " + " ".join(cmd).encode() + b"\n" + b.raw + b"\n")
    return b


def parse_bench(lines):
    """`BENCH row=<name> k=v ...` lines -> {name: {k: v}}, plus a meta dict."""
    rows, meta = {}, {}
    for line in lines:
        i = line.find("BENCH ")
        if i < 0:
            continue
        kv = dict(t.split("=", 1) for t in line[i + 6:].split() if "=" in t)
        if "row" in kv:
            rows[kv.pop("row")] = kv
        else:
            meta.update(kv)
        if line[i:].strip() == "BENCH done":
            meta["done"] = "1"
    return rows, meta


def aggregate_boot(samples_ns, cycles=None):
    """Median / max of several boots, in the row format."""
    if not samples_ns:
        return None
    r = {"iters": str(len(samples_ns)),
         "median_ns": "%.1f" % statistics.median(samples_ns),
         "p99_ns": "%.1f" % max(samples_ns)}
    if cycles:
        r["median_cycles"] = "%d" % statistics.median(cycles)
        r["p99_cycles"] = "%d" % max(cycles)
    return r


