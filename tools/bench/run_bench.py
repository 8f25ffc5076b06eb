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
import json
import os
import re
import shutil
import statistics
import sys
import time

from capos_guest import capos_command, find_module, parse_profiles, run_capos, run_capos_qboot
from common import NA_NOT_IMPLEMENTED, PAIRS, ROOT, log
from guest_boot import ICOUNT_FLAGS, aggregate_boot, boot, kvm_usable, parse_bench, qemu_base, with_qboot
from linux_guest import build_initramfs, ensure_built, extract_vmlinux, fetch_kernel, fetch_modules, try_build_capos
import fs_bench
import io_bench
import net_bench
from report import machine_info, write_report

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
    ap.add_argument("--capos-kernel", default=None, help="default: <build>/kernel/capos-test.elf (the bench is a boot self test)")
    ap.add_argument("--capos-timeout", type=int, default=60)
    ap.add_argument("--no-capos", action="store_true")
    ap.add_argument("--icount", choices=("auto", "on", "off"), default="auto",
                    help="also run both guests under -icount shift=0,sleep=off and report exact "
                         "instruction counts (auto: whenever the accelerator is TCG)")
    ap.add_argument("--no-profile", action="store_true",
                    help="skip the per-segment profile (build/kernel/capos-measure.elf under icount)")
    ap.add_argument("--no-io", action="store_true",
                    help="skip the block I/O rows (tools/bench/io_bench.py: virtio-blk and NVMe, both guests)")
    ap.add_argument("--no-net", action="store_true",
                    help="skip the network rows (tools/bench/net_bench.py: TCP over virtio-net, both guests)")
    ap.add_argument("--io-tcg-runs", type=int, default=3, help="TCG boots per I/O row (best is reported)")
    ap.add_argument("--io-icount-runs", type=int, default=3, help="icount boots per I/O row (median run)")
    ap.add_argument("--no-fs", action="store_true",
                    help="skip the filesystem rows (tools/bench/fs_bench.py: capOS fsd vs Linux ext4)")
    ap.add_argument("--fs-tcg-runs", type=int, default=1, help="TCG boots per filesystem guest (best is reported)")
    ap.add_argument("--fs-icount-runs", type=int, default=3, help="icount boots per filesystem guest (median)")
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
    kernel = a.capos_kernel or os.path.join(a.build, "kernel", "capos-test.elf")
    module = find_module(a.build)
    capos_status = "not run"
    if a.no_capos:
        capos_status = "skipped (--no-capos)"
    else:
        err = None if a.capos_kernel else try_build_capos(a.build, kernel)
        if not os.path.exists(kernel):
            capos_status = f"{os.path.relpath(kernel, ROOT)} not present" + (f" ({err})" if err else "")
        else:
            ccmd = capos_command(qemu_base(a.qemu, accel, cpu, a.mem, a.smp), kernel, module)
            log("booting capOS " + kernel)
            capos_rows, cmeta, cb = run_capos(ccmd, a.capos_timeout, capos_log)
            capos_status = "%s booted with `-append capos.bench=1`: %d BENCH rows%s (exit %s, %.1fs)" % (
                os.path.relpath(kernel, ROOT), len(capos_rows),
                "" if "done" in cmeta else ", no `BENCH done`", cb.rc, cb.seconds)
            if not capos_rows:
                capos_na = "n/a — not implemented yet (capOS printed no BENCH rows)"
            elif accel == "tcg" and kvm_cpu:
                # Linux could not use KVM here but capOS may: record capOS under
                # KVM as well, unpaired, so its figures are not TCG-only.
                kcmd = capos_command(qemu_base(a.qemu, "kvm", kvm_cpu, a.mem, a.smp), kernel, module)
                log("booting capOS under KVM as well (unpaired)")
                capos_kvm_rows, _, _ = run_capos(kcmd, a.capos_timeout, capos_log)

    # Instruction counts: both guests once more, same flags plus -icount.
    # Deterministic, so one boot each is the whole sample (boot rows too).
    icount = a.icount == "on" or (a.icount == "auto" and accel == "tcg")
    lrows_i, crows_i, profiles, icount_note = {}, {}, {}, "not run (--icount off, or KVM in use)"
    if icount:
        cmd_i = linux_cmd(accel, cpu, "full")[0]
        cmd_i[1:1] = ICOUNT_FLAGS
        log("booting Linux guest under icount")
        lb_i = boot(cmd_i, a.timeout, log_path=linux_log)
        lrows_i, lmeta_i = parse_bench(lb_i.lines)
        icount_note = "Linux: %s" % ("%d rows, %.1fs" % (len(lrows_i), lb_i.seconds) if "done" in lmeta_i
                                     else "did not finish (rc=%s)" % lb_i.rc)
        # The boot row once more through qboot (no SeaBIOS POST), both guests.
        lq = with_qboot(linux_cmd(accel, cpu, "boot")[0])
        if lq is None:
            lrows_i["boot_to_init_qboot"] = {"status": "na", "reason": "no_qboot_rom"}
        else:
            lq[1:1] = ICOUNT_FLAGS
            log("booting Linux through qboot under icount (boot row)")
            lrows_i["boot_to_init_qboot"] = parse_bench(boot(lq, a.timeout, log_path=linux_log).lines)[0].get(
                "boot_to_init") or {"status": "na", "reason": "no_boot_marker"}
        if not a.no_capos and os.path.exists(kernel):
            log("booting capOS under icount")
            crows_i, cmeta_i, cb_i = run_capos(
                capos_command(qemu_base(a.qemu, accel, cpu, a.mem, a.smp), kernel, module, icount=True),
                a.capos_timeout, capos_log)
            icount_note += "; capOS: %d rows, %.1fs" % (len(crows_i), cb_i.seconds)
            # The boot row once more through qboot (no SeaBIOS POST); Linux above.
            crows_i["boot_to_init_qboot"] = run_capos_qboot(
                capos_command(qemu_base(a.qemu, accel, cpu, a.mem, a.smp), kernel, module, icount=True),
                a.capos_timeout, capos_log)
            measure = os.path.join(os.path.dirname(kernel), "capos-measure.elf")
            if not a.no_profile and not a.capos_kernel:
                merr = try_build_capos(a.build, measure)
                if merr:
                    log("no profile: " + merr)
            if not a.no_profile and os.path.exists(measure):
                log("booting the capOS measurement kernel under icount (profile)")
                _, _, mb = run_capos(
                    capos_command(qemu_base(a.qemu, accel, cpu, a.mem, a.smp), measure, module, icount=True),
                    a.capos_timeout, capos_log)
                profiles = parse_profiles(mb.lines)
                icount_note += "; profile: %d rows" % len(profiles)

    # The qboot boot row is counted under icount only; the timed table says so.
    for rows in (lrows, capos_rows) if capos_rows else (lrows,):
        rows.setdefault("boot_to_init_qboot", {"status": "na", "reason": "icount_only"})
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
    info["icount"] = icount_note if icount else None
    write_report(a.out, info, lrows, capos_rows, capos_na, accel_note, capos_kvm_rows,
                 icount=(lrows_i, crows_i) if icount else None, profiles=profiles)
    # One initramfs for the block and network rows (its modules include the
    # block and network drivers), built once.
    io_initrd = None
    if not a.no_io or not a.no_net:
        io_initrd = build_initramfs(bins, os.path.join(cache, "initramfs-io.cpio.gz"),
                                    os.path.join(cache, "modules"), fetch_modules(cache))
    # Block I/O rows: both guests on the same virtio-blk / NVMe device, under
    # TCG (icount needs it) whatever the accelerator above.
    io_rows = {}
    if not a.no_io:
        io_bench.build_capos_side(a.build)
        io_rows = io_bench.run(a.qemu, "tcg", "max", a.mem, a.smp, linux_image, io_initrd,
                               os.path.join(a.build, "kernel", "capos.elf"),
                               os.path.join(a.build, "tests", "qemu", "packages"), a.timeout, results_dir,
                               a.io_tcg_runs, a.io_icount_runs)
        with open(a.out, "a") as f:
            f.write("\n" + io_bench.markdown(io_rows))
    # Network rows: the same initramfs, TCG.
    net_rows = {}
    if not a.no_net:
        net_bench.build_capos_side(a.build)
        net_rows = net_bench.run(a.qemu, "tcg", "max", a.mem, a.smp, linux_image, io_initrd,
                                 os.path.join(a.build, "kernel", "capos.elf"),
                                 os.path.join(a.build, "tests", "qemu", "packages"), a.timeout, results_dir,
                                 a.io_tcg_runs, a.io_icount_runs)
        with open(a.out, "a") as f:
            f.write("\n" + net_bench.markdown(net_rows))
    # Filesystem rows: fsd over vblk vs ext4 over virtio_blk, same disk type.
    fs_rows = {}
    if not a.no_fs:
        fs_image, fs_initrd = fs_bench.prepare_linux(a.build, cache)
        fs_bench.build_capos_side(a.build)
        fs_rows = fs_bench.run(a.qemu, a.mem, fs_image, fs_initrd, os.path.join(a.build, "kernel", "capos.elf"),
                               os.path.join(a.build, "tests", "qemu", "packages"),
                               os.path.join(a.build, "tools", "mkfs-capos", "mkfs-capos"),
                               os.path.join(a.build, "bench"), max(a.timeout, 600), results_dir, a.fs_tcg_runs,
                               a.fs_icount_runs)
        with open(a.out, "a") as f:
            f.write("\n" + fs_bench.markdown(fs_rows))
    with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
        json.dump({"info": info, "pairs": PAIRS, "linux": lrows, "capos": capos_rows,
                   "capos_kvm_unpaired": capos_kvm_rows, "linux_icount": lrows_i,
                   "capos_icount": crows_i, "capos_profile": profiles, "io": io_rows, "net": net_rows,
                   "fs": fs_rows}, f, indent=1)
    log(f"wrote {os.path.relpath(a.out, ROOT)} in {time.monotonic() - started:.0f}s")
    print(open(a.out).read())


if __name__ == "__main__":
    main()
