"""Filesystem rows of `make bench` (issue 18): capOS's fsd next to Linux's
ext4, on the same kind of disk and the same QEMU flags.

Each guest boots with a fresh 256 MiB raw image file behind virtio-blk
(modern, `disable-legacy=on`; `cache=unsafe`, so a guest's flush costs the
guest what it costs — the device round trip — without a host fsync whose
time would depend on the host's disk and load). capOS's image is made by
tools/mkfs-capos, Linux's by mkfs.ext4 (4 KiB blocks, inode tables and
journal initialised up front so no lazy init runs in the guest; default
journal mode, data=ordered). capOS runs `fsbench` (user/tests/fsbench.cpp)
through fsd and vblk (build/tests/qemu/packages/fsbench_virtio.bin); Linux
runs `fs_bench` (bench/linux/fs_bench.cpp) on ext4 through its in-kernel
virtio_blk, with virtio_blk and ext4 loaded as modules from the same Debian
kernel package as the guest kernel. Same operations, names and bytes
(lib/bench/fs_rows.h): 1,000 small files created+written+synced then read
back, a 64 MiB file written in 8 KiB writes + sync then read back.

Every pair is booted under `-icount shift=0,sleep=off` for busy
instructions per operation (idle excluded, see fsbench.cpp), and under
plain TCG for ops/s and KiB/s (emulated, not hardware figures; best of
--tcg-runs boots). --icount-runs boots (default 3) give the median per row.

Usable alone (`python3 tools/bench/fs_bench.py`, writes
bench/results/fs.md) and called by run_bench.py for the filesystem section
of latest.md."""

import argparse
import os
import shutil
import subprocess
import sys

from common import ROOT, log, ratio
from guest_boot import ICOUNT_FLAGS, boot, parse_bench, qemu_base

IMAGE_BYTES = 256 << 20
DEVICE = ["-device", "virtio-blk-pci,drive=d0,disable-legacy=on,addr=3"]
PACKAGE = "fsbench_virtio.bin"
SMALL_ROWS = ("fs_create_small", "fs_read_small")
SEQ_ROWS = ("fs_write_seq", "fs_read_seq")
BULK_ROWS = ("fs_write_bulk", "fs_read_bulk")
ROWS = SMALL_ROWS + SEQ_ROWS + BULK_ROWS
LABELS = {
    "fs_create_small": "create + write 1 KiB + sync + close, 1,000 files",
    "fs_read_small": "open + read 1 KiB + close, the 1,000 files",
    "fs_write_seq": "64 MiB sequential write (8 KiB writes) + sync",
    "fs_read_seq": "64 MiB sequential read (8 KiB reads)",
    "fs_write_bulk": "64 MiB sequential write (1 MiB writes; capOS File.writeBulk) + sync",
    "fs_read_bulk": "64 MiB sequential read (1 MiB reads; capOS File.readBulk)",
}
# Goals from issue 18: instructions per small-file create <= Linux's;
# sequential throughput >= 0.8x Linux.
CREATE_INSTR_GOAL, SEQ_THROUGHPUT_GOAL = 1.0, 0.8


def disk(image):
    return ["-drive", f"file={image},format=raw,if=none,id=d0,cache=unsafe"] + DEVICE


def make_capos_image(mkfs, image):
    if os.path.exists(image):
        os.remove(image)
    subprocess.run([mkfs, "format", image, str(IMAGE_BYTES >> 20) + "M"], check=True, capture_output=True)


def make_ext4_image(image):
    if os.path.exists(image):
        os.remove(image)
    with open(image, "wb") as f:
        f.truncate(IMAGE_BYTES)
    mkfs = shutil.which("mkfs.ext4") or "/usr/sbin/mkfs.ext4"
    subprocess.run([mkfs, "-q", "-F", "-b", "4096", "-E", "lazy_itable_init=0,lazy_journal_init=0", image],
                   check=True, capture_output=True)


def build_capos_side(build):
    """Builds the capOS kernel, the fsbench boot package and mkfs-capos
    (never fatal: a missing piece shows as a note in the report)."""
    targets = ["kernel/capos.elf", "tests/qemu/packages/" + PACKAGE, "mkfs-capos"]
    r = subprocess.run(["ninja", "-C", build] + targets, capture_output=True, text=True)
    if r.returncode != 0:
        log("fs: capOS side did not build: " + r.stdout[-1000:])


def _best_tcg(runs):
    """Several TCG runs -> per row the best rate, the spread as `<key>_all`."""
    merged = {}
    for row in ROWS:
        key = "ops_per_s" if row in SMALL_ROWS else "kib_per_s"
        vals = [float(r[row][key]) for r in runs if row in r and float(r[row].get(key, 0)) > 0]
        if vals:
            merged[row] = {key: "%.0f" % max(vals), key + "_all": "/".join("%.0f" % v for v in vals)}
    return merged


def _median_icount(runs):
    """Several icount runs -> per row the run whose busy instructions per
    operation are the median (Linux's vary between boots: when its flusher
    and journal threads run depends on when the host completes I/O), with
    every run's figure kept as `busy_cycles_per_op_all`."""
    merged = {}
    for row in ROWS:
        have = [r[row] for r in runs if "busy_cycles_per_op" in r.get(row, {})]
        if not have:
            continue
        have.sort(key=lambda x: float(x["busy_cycles_per_op"]))
        pick = dict(have[(len(have) - 1) // 2])
        pick["busy_cycles_per_op_all"] = "/".join(r[row]["busy_cycles_per_op"] for r in runs
                                                  if "busy_cycles_per_op" in r.get(row, {}))
        merged[row] = pick
    return merged


def run(qemu, mem, linux_image, initrd, capos_kernel, pkg_dir, mkfs_capos, work_dir, timeout, log_dir,
        tcg_runs=1, icount_runs=3):
    """Returns {"capos": {"icount": rows, "tcg": rows}, "linux": {...}, "_notes": [...]}."""
    out, notes = {"capos": {}, "linux": {}}, []
    os.makedirs(work_dir, exist_ok=True)
    image = os.path.join(work_dir, "fs_bench.img")
    guests = []
    module = os.path.join(pkg_dir, PACKAGE)
    if os.path.exists(capos_kernel) and os.path.exists(module) and os.path.exists(mkfs_capos):
        guests.append(("capos", ["-kernel", capos_kernel, "-initrd", module], lambda: make_capos_image(
            mkfs_capos, image), "capos-fs-serial.log"))
    else:
        notes.append(f"capOS: {os.path.relpath(module, ROOT)}, the kernel or mkfs-capos not built")
    cmdline = "console=ttyS0 quiet panic=-1 bench.mode=fs bench.dev=vda"
    guests.append(("linux", ["-kernel", linux_image, "-initrd", initrd, "-append", cmdline],
                   lambda: make_ext4_image(image), "linux-fs-serial.log"))
    for who, boot_args, mkimage, log_name in guests:
        for mode, extra, count in (("icount", ICOUNT_FLAGS, icount_runs), ("tcg", [], tcg_runs)):
            got = []
            for i in range(count):
                log(f"fs: {who} ({mode}{'' if count == 1 else ' %d/%d' % (i + 1, count)})")
                mkimage()
                b = boot(qemu_base(qemu, "tcg", "max", mem, 1) + extra + disk(image) + boot_args, timeout,
                         log_path=os.path.join(log_dir, log_name))
                rows, meta = parse_bench(b.lines)
                if "done" not in meta:
                    notes.append(f"{who} ({mode}) did not finish (rc={b.rc}, {b.seconds:.0f} s)")
                notes += [f"{who}: insmod {v} failed" for k, v in meta.items() if k == "insmod_failed"]
                notes += [f"{who}: mount of /dev/{v} failed" for k, v in meta.items() if k == "mount_failed"]
                got.append(rows)
            out[who][mode] = _best_tcg(got) if mode == "tcg" else _median_icount(got)
    if os.path.exists(image):
        os.remove(image)
    out["_notes"] = notes
    return out


def _num(res, who, mode, row, key):
    try:
        return float(res[who][mode][row][key])
    except (KeyError, ValueError, TypeError):
        return None


def _fmt(v):
    return "n/a" if v is None else f"{v:,.0f}"


def _verdict(r, goal, lower_is_better):
    if r is None:
        return "n/a"
    if goal is None:
        return f"{r:.2f}×"
    ok = r <= goal if lower_is_better else r >= goal
    return f"{r:.2f}× ({'meets' if ok else 'misses'} {'≤' if lower_is_better else '≥'}{goal:.1f}×)"


def markdown(res):
    """The filesystem section of the report."""
    lines = ["## Filesystem (issue 18): capOS fsd vs Linux ext4", "",
             f"Both guests: the same QEMU flags, one CPU, a fresh {IMAGE_BYTES >> 20} MiB raw image behind "
             "virtio-blk (`" + " ".join(disk("IMG")) + "`). capOS: `fsbench` → fsd (capos-fs v2, copy on "
             "write, made by mkfs-capos) → vblk. Linux: `fs_bench` on ext4 (mkfs.ext4 -b 4096, default "
             "journal, data=ordered), virtio_blk and ext4 as modules of the same Debian kernel. Same "
             "operations, names and bytes (lib/bench/fs_rows.h); Linux drops its page cache before each "
             "read row (fsd keeps no data cache), so both read from the device. Instructions: busy "
             "instructions per operation under `-icount shift=0,sleep=off` — TSC over the loop minus idle "
             "time (capOS: the scheduler's busyCycles; Linux: NOHZ idle and iowait time), so the figure is "
             "the work of client, filesystem, driver and kernel and not the virtual time QEMU skips while "
             "the CPU waits for the disk. Throughput: plain TCG, emulated — not hardware figures. Ratios "
             "= capOS / Linux; goals from the issue: instructions per small-file create ≤ 1.0× Linux, "
             "sequential throughput ≥ 0.8× Linux.", "",
             "| row | figure | capOS | Linux | capOS/Linux (goal) |", "|---|---|---:|---:|---|"]
    for row in ROWS:
        ci = _num(res, "capos", "icount", row, "busy_cycles_per_op")
        li = _num(res, "linux", "icount", row, "busy_cycles_per_op")
        goal = CREATE_INSTR_GOAL if row == "fs_create_small" else None
        per = "8 KiB" if row in SEQ_ROWS else "1 MiB" if row in BULK_ROWS else "file"
        runs = lambda who: res.get(who, {}).get("icount", {}).get(row, {}).get("busy_cycles_per_op_all", "n/a")
        lines.append(f"| {LABELS[row]} | instructions per {per} (icount, busy; median of {runs('capos')} ↔ "
                     f"{runs('linux')}) | {_fmt(ci)} | {_fmt(li)} | {_verdict(ratio(ci, li), goal, True)} |")
        key = "ops_per_s" if row in SMALL_ROWS else "kib_per_s"
        unit = "files/s" if row in SMALL_ROWS else "KiB/s"
        cr = _num(res, "capos", "tcg", row, key)
        lr = _num(res, "linux", "tcg", row, key)
        spread = lambda who: res.get(who, {}).get("tcg", {}).get(row, {}).get(key + "_all", "n/a")
        goal = SEQ_THROUGHPUT_GOAL if row in SEQ_ROWS + BULK_ROWS else None
        lines.append(f"| {LABELS[row]} | {unit} (TCG, best of {spread('capos')} ↔ {spread('linux')}) | "
                     f"{_fmt(cr)} | {_fmt(lr)} | {_verdict(ratio(cr, lr), goal, False)} |")
    for n in res.get("_notes", []):
        lines.append(f"- {n}")
    return "\n".join(lines) + "\n"


def prepare_linux(build, cache):
    """The Linux kernel image and an initramfs with fs_bench and the
    virtio_blk/ext4 modules."""
    from linux_guest import (FS_MODULES, FS_OPTIONAL_MODULES, build_initramfs, ensure_built, extract_vmlinux,
                             fetch_kernel, fetch_modules)
    bins = ensure_built(build)
    vmlinuz, _ = fetch_kernel(cache)
    image = extract_vmlinux(vmlinuz) or vmlinuz
    mods = fetch_modules(cache, FS_MODULES, "modules-fs", FS_OPTIONAL_MODULES)
    initrd = build_initramfs(bins, os.path.join(cache, "initramfs-fs.cpio.gz"), os.path.join(cache, "modules-fs"),
                             mods)
    return image, initrd


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--mem", default="512M")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--tcg-runs", type=int, default=1, help="TCG boots per guest (best is reported)")
    ap.add_argument("--icount-runs", type=int, default=3, help="icount boots per guest (median per row)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "fs.md"))
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    cache = os.path.join(build, "bench", "linux")
    image, initrd = prepare_linux(build, cache)
    build_capos_side(build)
    out_dir = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(out_dir, exist_ok=True)
    res = run(a.qemu, a.mem, image, initrd, os.path.join(build, "kernel", "capos.elf"),
              os.path.join(build, "tests", "qemu", "packages"), os.path.join(build, "tools", "mkfs-capos",
                                                                             "mkfs-capos"),
              os.path.join(build, "bench"), a.timeout, out_dir, a.tcg_runs, a.icount_runs)
    md = "# Filesystem bench — latest standalone run\n\nGenerated by `tools/bench/fs_bench.py`.\n\n" + markdown(res)
    with open(a.out, "w") as f:
        f.write(md)
    print(md)
    return 0 if not res["_notes"] else 1


if __name__ == "__main__":
    sys.exit(main())
