#!/usr/bin/env python3
"""capOS vs Linux benchmark harness (`make bench`, issue 8, docs/benchmarks.md).

Builds the Linux-side bench programs (bench/CMakeLists.txt), fetches Debian's
linux-image-amd64 kernel into build/bench/linux/ (cached), packs a busybox
initramfs, boots the Linux guest and the capOS kernel under the same QEMU
flags, parses the `BENCH ...` lines both print on serial and writes
bench/results/latest.md (plus latest.json and raw serial logs).

Python 3 standard library only.
"""

import argparse
import datetime
import fcntl
import glob
import gzip
import io
import json
import os
import platform
import re
import selectors
import shutil
import stat
import statistics
import subprocess
import sys
import tarfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# ---------------------------------------------------------------------------
# The pairing table: the one place that says which capOS row is compared with
# which Linux row. (capOS row, Linux row, description). A capOS row may appear
# more than once. Rows absent from a guest's output show as `n/a — <reason>`.
PAIRS = [
    ("boot_to_init", "boot_to_init",
     "Boot to first user instruction (guest TSC since vCPU reset)"),
    ("boot_to_init_wall", "boot_to_init_wall",
     "Boot to first user instruction (host wall clock from QEMU spawn)"),
    ("kcall_trivial", "getppid",
     "Trivial kernel call (capOS: CALL to a trivial kernel cap)"),
    ("ring_nop_b1", "io_uring_nop_b1",
     "Ring NOP, batch 1: submit + enter + reap"),
    ("ring_nop_b32", "io_uring_nop_b32",
     "Ring NOP, batch 32, per op"),
    ("ring_nop_b16", "io_uring_nop_b32",
     "Ring NOP, full-SQ batch, per op (capOS SQ holds 16; Linux batch 32)"),
    ("endpoint_rtt", "pipe_rtt",
     "IPC round trip, 2 processes (capOS endpoint CALL→RECV→RETURN)"),
    ("endpoint_rtt", "unix_rtt",
     "IPC round trip, 2 processes, vs AF_UNIX stream"),
    ("endpoint_rtt_cap", "unix_rtt_scm",
     "IPC round trip transferring a cap (Linux: an fd via SCM_RIGHTS)"),
    ("park_rtt", "futex_rtt",
     "Thread wake/wait round trip, 2 threads (capOS row name provisional)"),
    ("spawn_wait", "posix_spawn_wait",
     "Spawn + wait of a tiny static binary"),
    ("tsc_overhead", "tsc_overhead",
     "Timer overhead: empty lfence;rdtsc;lfence pair (not subtracted)"),
]

NA_NOT_IMPLEMENTED = "n/a — not implemented yet"
BOOT_MARK = b"BENCH mark=init_start"
KVM_GET_API_VERSION = 0xAE00


def log(msg):
    print(f"bench: {msg}", flush=True)


def run(cmd, **kw):
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd, check=True, **kw)


# --------------------------------------------------------------------- build

def ensure_built(build):
    if not os.path.exists(os.path.join(build, "build.ninja")):
        run(["cmake", "-S", ROOT, "-B", build, "-G", "Ninja",
             "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
             "-DCMAKE_C_COMPILER=clang", "-DCMAKE_CXX_COMPILER=clang++"])
    run(["cmake", "--build", build, "--target", "bench_linux_all"])
    bins = {n: os.path.join(build, "bench", n) for n in ("bench_linux", "bench_true", "bench_init")}
    for n, p in bins.items():
        if not os.path.exists(p):
            sys.exit(f"bench: {p} was not built (is liburing-dev installed? run `make deps`)")
    return bins


def try_build_capos(build, kernel):
    """Builds capos.elf if the build graph has a rule for it. Never fatal."""
    rel = os.path.relpath(kernel, build)
    q = subprocess.run(["ninja", "-C", build, "-t", "query", rel],
                       capture_output=True, text=True)
    if q.returncode != 0:
        return "no build rule for " + rel
    r = subprocess.run(["ninja", "-C", build, rel, "bench.bin"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stdout.write(r.stdout[-3000:])
        return "capOS kernel build failed"
    return None


# -------------------------------------------------------------- Linux kernel

def resolve_kernel_package():
    out = subprocess.run(["apt-cache", "depends", "linux-image-amd64"],
                         capture_output=True, text=True).stdout
    m = re.search(r"Depends:\s*(linux-image-6\.\d+\.\d+-\d+-amd64)\b", out)
    if m:
        return m.group(1)
    out = subprocess.run(["apt-cache", "search", "--names-only", r"^linux-image-[0-9.]+-[0-9]+-amd64$"],
                         capture_output=True, text=True).stdout
    names = sorted({l.split()[0] for l in out.splitlines() if l.strip()},
                   key=lambda n: [int(x) if x.isdigit() else x for x in re.split(r"[.-]", n)])
    if not names:
        sys.exit("bench: cannot resolve linux-image-amd64 (run `apt-get update`)")
    return names[-1]


def has_pvh_note(elf):
    """True if `elf` is an ELF64 image with a Xen PHYS32_ENTRY (PVH) note."""
    import struct
    if elf[:5] != b"\x7fELF\x02":
        return False
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        ptype, = struct.unpack_from("<I", elf, phoff + i * phentsize)
        if ptype != 4:  # PT_NOTE
            continue
        off, = struct.unpack_from("<Q", elf, phoff + i * phentsize + 8)
        size, = struct.unpack_from("<Q", elf, phoff + i * phentsize + 32)
        pos, end = off, off + size
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12:pos + 12 + namesz]
            if name == b"Xen\0" and ntype == 18:  # XEN_ELFNOTE_PHYS32_ENTRY
                return True
            pos += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return False


def extract_vmlinux(vmlinuz):
    """The uncompressed ELF inside a bzImage (like scripts/extract-vmlinux).

    QEMU boots an ELF `-kernel` through its PVH entry note, the same way it
    boots capOS, so both guests skip real-mode setup and the decompressor.
    Returns the cached path, or None if no supported payload is found."""
    out = vmlinuz.replace("vmlinuz-", "vmlinux-")
    if os.path.exists(out):
        return out
    data = open(vmlinuz, "rb").read()
    import lzma
    candidates = [(b"\xfd7zXZ\x00", lambda b: lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(b)),
                  (b"\x1f\x8b\x08", lambda b: gzip.GzipFile(fileobj=io.BytesIO(b)).read())]
    for magic, dec in candidates:
        off = data.find(magic)
        while off >= 0:
            try:
                elf = dec(data[off:])
            except Exception:
                elf = b""
            if has_pvh_note(elf):
                with open(out + ".tmp", "wb") as f:
                    f.write(elf)
                os.replace(out + ".tmp", out)
                return out
            off = data.find(magic, off + 1)
    return None


def fetch_kernel(cache):
    """Returns (path to vmlinuz, package description). Cached in `cache`."""
    os.makedirs(cache, exist_ok=True)
    have = sorted(glob.glob(os.path.join(cache, "vmlinuz-*")))
    if have:
        desc_path = os.path.join(cache, "PACKAGE")
        desc = open(desc_path).read().strip() if os.path.exists(desc_path) else os.path.basename(have[-1])
        return have[-1], desc
    pkg = resolve_kernel_package()
    run(["apt-get", "download", pkg], cwd=cache)
    debs = sorted(glob.glob(os.path.join(cache, pkg + "_*.deb")))
    if not debs:
        sys.exit(f"bench: apt-get download {pkg} produced no .deb")
    deb = debs[-1]
    # Extract only boot/vmlinuz-* from the package (dpkg-deb, not installed;
    # the host's /boot and its initramfs/grub hooks are never touched).
    tar_bytes = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True,
                               capture_output=True).stdout
    target = None
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tf:
        for m in tf.getmembers():
            name = os.path.basename(m.name)
            if m.isfile() and name.startswith("vmlinuz-") and "/boot/" in "/" + m.name.lstrip("./"):
                target = os.path.join(cache, name)
                with tf.extractfile(m) as src, open(target + ".tmp", "wb") as dst:
                    shutil.copyfileobj(src, dst)
                os.replace(target + ".tmp", target)
    if not target:
        sys.exit(f"bench: no boot/vmlinuz-* in {deb}")
    ver = os.path.basename(deb)[len(pkg) + 1:].split("_")[0]
    desc = f"{pkg} {ver} (Debian)"
    with open(os.path.join(cache, "PACKAGE"), "w") as f:
        f.write(desc + "\n")
    os.remove(deb)
    return target, desc


# ----------------------------------------------------------------- initramfs

class Cpio:
    """Minimal cpio "newc" writer: lets us create /dev nodes without root."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = 1

    @staticmethod
    def _pad(n):
        return b"\0" * ((4 - n % 4) % 4)

    def add(self, name, mode, data=b"", rmajor=0, rminor=0):
        name_b = name.encode() + b"\0"
        nlink = 2 if stat.S_ISDIR(mode) else 1
        fields = [self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rmajor, rminor, len(name_b), 0]
        hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.buf.write(hdr + name_b + self._pad(len(hdr) + len(name_b)))
        self.buf.write(data + self._pad(len(data)))
        self.ino += 1

    def dir(self, name):
        self.add(name, stat.S_IFDIR | 0o755)

    def file(self, name, data, perm=0o755):
        self.add(name, stat.S_IFREG | perm, data)

    def symlink(self, name, target):
        self.add(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor):
        self.add(name, stat.S_IFCHR | 0o600, b"", major, minor)

    def finish(self):
        self.add("TRAILER!!!", 0)
        return self.buf.getvalue()


def build_initramfs(bins, out_path):
    busybox = shutil.which("busybox") or "/bin/busybox"
    if not os.path.exists(busybox):
        sys.exit("bench: busybox not found (apt-get install busybox-static)")
    # A dynamically linked busybox would not run in the initramfs.
    if b"ld-linux" in open(busybox, "rb").read(1 << 16):
        sys.exit(f"bench: {busybox} is not static (apt-get install busybox-static)")
    c = Cpio()
    for d in ("bin", "dev", "proc", "sys", "run", "tmp"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/ttyS0", 4, 64)
    c.chardev("dev/null", 1, 3)
    c.file("bin/busybox", open(busybox, "rb").read())
    for applet in ("sh", "mount", "cat", "uname", "poweroff", "echo"):
        c.symlink("bin/" + applet, "busybox")
    c.file("init", open(bins["bench_init"], "rb").read())
    c.file("init.sh", open(os.path.join(ROOT, "bench", "linux", "init.sh"), "rb").read())
    c.file("bin/bench_linux", open(bins["bench_linux"], "rb").read())
    c.file("bin/bench_true", open(bins["bench_true"], "rb").read())
    with open(out_path, "wb") as f:
        f.write(gzip.compress(c.finish(), compresslevel=6, mtime=0))
    return out_path


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


# ------------------------------------------------------------------- report

def fmt_ns(v):
    v = float(v)
    if v >= 1e6:
        return "%.2f ms" % (v / 1e6)
    if v >= 1e4:
        return "%.2f µs" % (v / 1e3)
    return "%.0f ns" % v


def cell(rows, name, na_reason):
    r = rows.get(name)
    if r is None:
        return na_reason
    if r.get("status") == "na":
        return "n/a — " + r.get("reason", "unavailable").replace("_", " ")
    return "%s (p99 %s)" % (fmt_ns(r["median_ns"]), fmt_ns(r["p99_ns"]))


def ratio(crow, lrow):
    try:
        return "%.2f×" % (float(crow["median_ns"]) / float(lrow["median_ns"]))
    except (TypeError, KeyError, ValueError, ZeroDivisionError):
        return "n/a"


def machine_info(qemu):
    cpu = "unknown"
    hyper = False
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and cpu == "unknown":
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags") and " hypervisor" in line:
                hyper = True
    qv = subprocess.run([qemu, "--version"], capture_output=True, text=True).stdout.splitlines()
    return {
        "cpu": cpu,
        "host_cpus": os.cpu_count(),
        "host_kernel": platform.release(),
        "host_is_vm": hyper,
        "qemu": qv[0] if qv else "unknown",
    }


def write_report(path, info, linux_rows, capos_rows, capos_na, accel_note, capos_kvm_rows=None):
    tcg = info["accel"] != "kvm"
    tag = " [TCG — not comparable to hardware]" if tcg else ""
    out = []
    out.append("# capOS vs Linux benchmarks — latest run\n")
    out.append("Generated by `make bench` (`tools/bench/run_bench.py`); method and anchors in "
               "[docs/benchmarks.md](../../docs/benchmarks.md).\n")
    if tcg:
        out.append("> **TCG — not comparable to hardware.** KVM not used: %s. Every figure "
                   "below is emulated.\n" % (accel_note or "unknown reason"))
    out.append("| | |\n|---|---|")
    out.append("| Date (UTC) | %s |" % info["date"])
    out.append("| Machine | %s, %d host CPUs, host kernel %s%s |" % (
        info["cpu"], info["host_cpus"], info["host_kernel"],
        " (the host is itself a VM: nested virtualization)" if info["host_is_vm"] else ""))
    out.append("| QEMU | %s |" % info["qemu"])
    out.append("| Accelerator | %s |" % ("KVM (`-accel kvm -cpu host`)" if not tcg
                                        else "TCG (`-accel tcg -cpu max`) — not comparable to hardware"))
    out.append("| QEMU flags (both guests) | `%s` |" % " ".join(info["qemu_flags"][1:]))
    out.append("| Linux guest | %s; initramfs: busybox-static + bench_linux; cmdline `%s` |" % (
        info["linux_kernel"], info["linux_cmdline"]))
    out.append("| capOS guest | %s |" % info["capos_status"])
    out.append("| TSC (Linux guest calibration) | %s |" % info.get("linux_tsc", "n/a"))
    out.append("| Iterations | %s per row (posix_spawn_wait: %s); boot rows: median (p99 column = max) of %d boots |\n"
               % (info["iters"], info["spawn_iters"], info["boots"]))
    out.append("Cells: median (p99). Ratio = capOS median / Linux median; below 1.00× means capOS is faster.\n")
    out.append("| Row (capOS ↔ Linux) | capOS | Linux | capOS/Linux |")
    out.append("|---|---|---|---|")
    for c, l, desc in PAIRS:
        cr = capos_rows.get(c)
        lr = linux_rows.get(l)
        ok_c = cr is not None and cr.get("status") != "na"
        ok_l = lr is not None and lr.get("status") != "na"
        out.append("| %s: `%s` ↔ `%s` | %s | %s | %s |" % (
            desc, c, l,
            cell(capos_rows, c, capos_na) + (tag if ok_c else ""),
            cell(linux_rows, l, "n/a — row missing from guest output") + (tag if ok_l else ""),
            ratio(cr, lr) if ok_c and ok_l else "n/a"))
    if capos_kvm_rows:
        out.append("\n## capOS under KVM (unpaired)\n")
        out.append("The Linux guest could not run under KVM on this host, so the table above is TCG "
                   "for both. capOS did boot under KVM; its rows are listed here for reference only "
                   "(no Linux counterpart, no ratio).\n")
        out.append("| capOS row | median (p99) |")
        out.append("|---|---|")
        for name in capos_kvm_rows:
            out.append("| `%s` | %s |" % (name, cell(capos_kvm_rows, name, "")))
    out.append("\n## Raw rows\n")
    out.append("| Guest | Row | iters | median cycles | p99 cycles | median ns | p99 ns | wall mean ns | extra |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    std = {"iters", "median_cycles", "p99_cycles", "min_cycles", "median_ns", "p99_ns", "wall_mean_ns"}
    for guest, rows in (("capOS", capos_rows), ("Linux", linux_rows)):
        for name, r in rows.items():
            if r.get("status") == "na":
                out.append("| %s | %s | n/a — %s | | | | | | |" % (guest, name, r.get("reason", "")))
                continue
            extra = " ".join("%s=%s" % kv for kv in r.items() if kv[0] not in std)
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                guest, name, r.get("iters", ""), r.get("median_cycles", ""), r.get("p99_cycles", ""),
                r.get("median_ns", ""), r.get("p99_ns", ""), r.get("wall_mean_ns", ""), extra))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


# ---------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--accel", choices=("auto", "kvm", "tcg"), default="auto")
    ap.add_argument("--iters", type=int, default=10000, help="iterations per row (default 10000)")
    ap.add_argument("--spawn-iters", type=int, default=2000, help="iterations of posix_spawn_wait")
    ap.add_argument("--boots", type=int, default=5, help="boots measured for boot_to_init (default 5)")
    ap.add_argument("--mem", default="512M")
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=240, help="per-boot timeout, seconds")
    ap.add_argument("--kvm-probe-timeout", type=int, default=60,
                    help="seconds a KVM boot-only Linux run may take before falling back to TCG")
    ap.add_argument("--capos-kernel", default=None, help="default: <build>/kernel/capos.elf")
    ap.add_argument("--capos-timeout", type=int, default=60)
    ap.add_argument("--no-capos", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "latest.md"))
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    started = time.monotonic()

    if not shutil.which(a.qemu):
        sys.exit(f"bench: {a.qemu} not found (apt-get install qemu-system-x86)")
    bins = ensure_built(a.build)
    cache = os.path.join(a.build, "bench", "linux")
    vmlinuz, kdesc = fetch_kernel(cache)
    linux_image = extract_vmlinux(vmlinuz)
    if linux_image:
        kdesc += ", uncompressed vmlinux booted through its PVH entry (as capOS is)"
    else:
        linux_image = vmlinuz
        kdesc += ", bzImage (no PVH ELF payload found)"
    initrd = build_initramfs(bins, os.path.join(cache, "initramfs.cpio.gz"))
    log(f"kernel {linux_image} ({kdesc}), initramfs {initrd} ({os.path.getsize(initrd)} bytes)")

    results_dir = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(results_dir, exist_ok=True)
    linux_log = os.path.join(results_dir, "linux-serial.log")
    capos_log = os.path.join(results_dir, "capos-serial.log")
    for p in (linux_log, capos_log):
        if os.path.exists(p):
            os.remove(p)

    def linux_cmd(acc, cpu, mode):
        cmdline = (f"console=ttyS0 quiet panic=-1 bench.iters={a.iters} "
                   f"bench.spawn_iters={a.spawn_iters} bench.mode={mode}")
        return qemu_base(a.qemu, acc, cpu, a.mem, a.smp) + [
            "-kernel", linux_image, "-initrd", initrd, "-append", cmdline], cmdline

    # Pick the accelerator once, for both guests: KVM if /dev/kvm works and a
    # boot-only Linux run reaches /init within --kvm-probe-timeout, else TCG.
    first_boot = None  # a boot-only run that already counts as a boot sample
    kvm_cpu = None     # -cpu that KVM accepted, even if Linux then failed
    accel, cpu, accel_note = "tcg", "max", ""
    if a.accel in ("auto", "kvm"):
        ok, why = kvm_usable()
        if not ok:
            accel_note = why
        else:
            # Some hosts (nested KVM) refuse IA32_ARCH_CAPABILITIES for -cpu host.
            for try_cpu in ("host", "host,-arch-capabilities"):
                cmd, _ = linux_cmd("kvm", try_cpu, "boot")
                log(f"probing KVM: Linux boot-only run, -cpu {try_cpu}, timeout {a.kvm_probe_timeout}s")
                pb = boot(cmd, a.kvm_probe_timeout, log_path=linux_log)
                if b"failed to set MSR" in pb.raw:
                    accel_note = "QEMU: failed to set MSR with -cpu " + try_cpu
                    continue
                kvm_cpu = try_cpu
                if pb.mark_wall_ns is not None and b"BENCH done" in pb.raw:
                    accel, cpu, first_boot = "kvm", try_cpu, pb
                    break
                m = re.search(rb"KVM internal error[^\n]*|emulation failure", pb.raw)
                accel_note = ("Linux guest under KVM: %s" % m.group(0).decode(errors="replace").strip()
                              if m else "Linux guest did not reach /init under KVM within %ds"
                              % a.kvm_probe_timeout)
                break
        if accel != "kvm":
            if a.accel == "kvm":
                sys.exit("bench: --accel kvm requested but unusable: " + accel_note)
            log(f"KVM unusable ({accel_note}); using TCG for both guests")
    if a.accel == "tcg":
        accel_note = "TCG requested with --accel tcg"

    # Full Linux run (all rows + one boot sample).
    cmd, cmdline = linux_cmd(accel, cpu, "full")
    log(f"booting Linux guest ({accel}, -cpu {cpu}), {a.iters} iterations per row")
    lb = boot(cmd, a.timeout, log_path=linux_log)
    lrows, lmeta = parse_bench(lb.lines)
    if "done" not in lmeta:
        tail = "\n".join(lb.lines[-30:])
        sys.exit(f"bench: Linux guest did not finish (rc={lb.rc}, timed out={lb.timed_out}):\n{tail}")
    log(f"Linux full run: {lb.seconds:.1f}s, {len(lrows)} rows")

    # Boot-only runs for the boot rows.
    tsc_hz = float(lmeta.get("tsc_hz", "0") or 0)
    boot_tsc_ns, boot_cycles, wall_ns = [], [], []

    def take_boot(b, rows):
        r = rows.get("boot_to_init")
        if r and r.get("status") != "na":
            boot_cycles.append(float(r["median_cycles"]))
            # Convert with the full run's calibration (longer window).
            boot_tsc_ns.append(float(r["median_cycles"]) * 1e9 / tsc_hz if tsc_hz else float(r["median_ns"]))
        if b.mark_wall_ns is not None:
            wall_ns.append(float(b.mark_wall_ns))

    take_boot(lb, lrows)
    if first_boot:
        take_boot(first_boot, parse_bench(first_boot.lines)[0])
    for i in range(max(0, a.boots - len(boot_tsc_ns))):
        bcmd, _ = linux_cmd(accel, cpu, "boot")
        bb = boot(bcmd, a.timeout, log_path=linux_log)
        brows, _ = parse_bench(bb.lines)
        take_boot(bb, brows)
    agg = aggregate_boot(boot_tsc_ns, boot_cycles)
    if agg:
        bt = [float(v) for v in re.findall(r"boottime_ns=(\d+)", "\n".join(open(linux_log, errors="replace")))]
        if bt:
            agg["kernel_boottime_ns_median"] = "%.0f" % statistics.median(bt)
        lrows["boot_to_init"] = agg
    w = aggregate_boot(wall_ns)
    lrows["boot_to_init_wall"] = w if w else {"status": "na", "reason": "no_boot_marker"}

    # capOS.
    capos_rows, capos_na, capos_kvm_rows = {}, NA_NOT_IMPLEMENTED, {}
    kernel = a.capos_kernel or os.path.join(a.build, "kernel", "capos.elf")
    capos_status = "not run"
    if a.no_capos:
        capos_status = "skipped (--no-capos)"
    else:
        err = None if a.capos_kernel else try_build_capos(a.build, kernel)
        if not os.path.exists(kernel):
            capos_status = f"{os.path.relpath(kernel, ROOT)} not present" + (f" ({err})" if err else "")
        else:
            ccmd = qemu_base(a.qemu, accel, cpu, a.mem, a.smp) + ["-kernel", kernel, "-append", "capos.bench=1"]
            # The benchmark boot package (bench_capos + exit_zero for spawn_wait),
            # else the bare benchmark program.
            for module in (os.path.join(a.build, "bench.bin"), os.path.join(a.build, "user", "bench_capos.elf")):
                if os.path.exists(module):
                    ccmd += ["-initrd", module]
                    break
            log("booting capOS " + kernel)
            cb = boot(ccmd, a.capos_timeout, first_bench_timeout=min(30, a.capos_timeout), log_path=capos_log)
            capos_rows, cmeta = parse_bench(cb.lines)
            if cb.mark_wall_ns is not None:
                capos_rows["boot_to_init_wall"] = aggregate_boot([float(cb.mark_wall_ns)])
            capos_status = "%s booted with `-append capos.bench=1`: %d BENCH rows%s (exit %s, %.1fs)" % (
                os.path.relpath(kernel, ROOT), len(capos_rows),
                "" if "done" in cmeta else ", no `BENCH done`", cb.rc, cb.seconds)
            if not capos_rows:
                capos_na = "n/a — not implemented yet (capOS printed no BENCH rows)"
            elif accel == "tcg" and kvm_cpu:
                # Linux could not use KVM here but capOS may: record capOS under
                # KVM as well, unpaired, so its figures are not TCG-only.
                kcmd = qemu_base(a.qemu, "kvm", kvm_cpu, a.mem, a.smp) + ccmd[len(qemu_base(a.qemu, accel, cpu, a.mem, a.smp)):]
                log("booting capOS under KVM as well (unpaired)")
                kb = boot(kcmd, a.capos_timeout, first_bench_timeout=min(30, a.capos_timeout), log_path=capos_log)
                capos_kvm_rows, _ = parse_bench(kb.lines)
                if kb.mark_wall_ns is not None:
                    capos_kvm_rows["boot_to_init_wall"] = aggregate_boot([float(kb.mark_wall_ns)])

    info = machine_info(a.qemu)
    info.update({
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "accel": accel,
        "qemu_flags": qemu_base(a.qemu, accel, cpu, a.mem, a.smp),
        "accel_note": accel_note,
        "linux_kernel": kdesc,
        "linux_cmdline": cmdline,
        "capos_status": capos_status,
        "iters": a.iters,
        "spawn_iters": lrows.get("posix_spawn_wait", {}).get("iters", "n/a"),
        "boots": a.boots,
    })
    if tsc_hz:
        info["linux_tsc"] = "%.1f MHz, invariant=%s (calibrated against CLOCK_MONOTONIC_RAW)" % (
            tsc_hz / 1e6, lmeta.get("tsc_invariant", "?"))
    write_report(a.out, info, lrows, capos_rows, capos_na, accel_note, capos_kvm_rows)
    with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
        json.dump({"info": info, "pairs": PAIRS, "linux": lrows, "capos": capos_rows,
                   "capos_kvm_unpaired": capos_kvm_rows}, f, indent=1)
    log(f"wrote {os.path.relpath(a.out, ROOT)} in {time.monotonic() - started:.0f}s")
    print(open(a.out).read())


if __name__ == "__main__":
    main()
