"""capOS guest for `make bench` and the `perf.budgets` CTest: the boot
command, the instruction-count (icount) flags, and the BENCH/profile parsing.

Under `-icount shift=0,sleep=off` QEMU advances the guest TSC by exactly one
tick per retired guest instruction, so a `BENCH` row's cycles are an exact
instruction count: identical on every run with the same QEMU and compiler.
(With sleep=off an idle guest's halt also advances the clock; no measured
row idles.)"""

import os

from guest_boot import ICOUNT_FLAGS, aggregate_boot, boot, parse_bench, with_qboot

# Segments a measurement kernel (build/kernel/capos-measure.elf, built with
# CAPOS_MEASURE=1) reports per row; order and labels for the report.
# Names match kernel/debug/measure.h.
SEGMENTS = [
    ("user", "user mode + syscall entry/exit stubs"),
    ("enter", "cap_enter entry and loop"),
    ("fetch", "SQE fetch/validate"),
    ("lookup", "cap lookup"),
    ("copyin", "params copy-in"),
    ("decode", "capnp decode"),
    ("body", "method body"),
    ("encode", "result encode"),
    ("copyout", "result copy-out"),
    ("ipc", "endpoint state (call/recv/return records)"),
    ("ipccopy", "endpoint user-to-user copy"),
    ("header", "endpoint message header (scoped-ref hash)"),
    ("xfer", "cap transfer"),
    ("post", "CQE post"),
    ("wake", "wake"),
    ("switch", "block/switch"),
    ("exit", "exit_to_user"),
    ("teardown", "process exit and reaping"),
    ("walk", "user address translation (page walks)"),
]


def find_module(build):
    """The benchmark boot package (bench_capos + exit_zero for spawn_wait),
    else the bare benchmark program."""
    for module in (os.path.join(build, "bench.bin"), os.path.join(build, "user", "bench_capos.elf")):
        if os.path.exists(module):
            return module
    return None


def capos_command(base, kernel, module, icount=False):
    cmd = list(base) + (ICOUNT_FLAGS if icount else []) + ["-kernel", kernel, "-append", "capos.bench=1"]
    if module:
        cmd += ["-initrd", module]
    return cmd


def run_capos(cmd, timeout, log_path=None):
    """Boots capOS's bench; returns (rows, meta, Boot). Adds boot_to_init
    (guest TSC at the driver's first instruction) and boot_to_init_wall."""
    b = boot(cmd, timeout, first_bench_timeout=min(30, timeout), log_path=log_path)
    rows, meta = parse_bench(b.lines)
    if "tsc" in meta:
        hz = float(meta.get("tsc_hz", "0") or 0)
        cyc = float(meta["tsc"])
        rows["boot_to_init"] = aggregate_boot([cyc * 1e9 / hz if hz else cyc], [cyc])
    if b.mark_wall_ns is not None:
        rows["boot_to_init_wall"] = aggregate_boot([float(b.mark_wall_ns)])
    return rows, meta, b


def parse_profiles(lines):
    """`BENCH profile ...` lines of a measurement kernel -> {row: profile}.

    The kernel prints one before every Console write, covering everything
    since the previous one. bench_capos brackets each row's loop with
    `BENCH loop=begin name=<row>` and `BENCH loop=end name=<row> loops=<n>
    per_op=<b>`, so the profile printed just before the end marker is
    exactly that loop (warm-up iterations included, hence `loops`). A
    profile is {"total", "probe" (cost of one probe), "loops", "per_op",
    seg: (instructions, probes)}."""
    profiles, last = {}, None
    for line in lines:
        i = line.find("BENCH ")
        if i < 0:
            continue
        toks = line[i + 6:].split()
        kv = dict(t.split("=", 1) for t in toks if "=" in t)
        if toks and toks[0] == "profile":
            last = {"total": int(kv.pop("total", "0")), "probe": int(kv.pop("probe", "0"))}
            for k, v in kv.items():
                n, _, c = v.partition(":")
                last[k] = (int(n), int(c or 0))
            continue
        if kv.get("loop") == "end" and last is not None and "name" in kv:
            last["loops"] = int(kv.get("loops", "1"))
            last["per_op"] = int(kv.get("per_op", "1"))
            profiles[kv["name"]] = last
        last = None
    return profiles


def profile_per_iteration(p):
    """{seg: instructions per iteration (per op for batched rows)}, probe
    cost removed: every probe's own instructions land in the segment it
    opens, so each segment loses probes x probe cost."""
    div = max(1, p["loops"]) * max(1, p["per_op"])
    out = {}
    for seg, _ in SEGMENTS:
        n, c = p.get(seg, (0, 0))
        out[seg] = max(0, n - c * p["probe"]) / div
    return out


def run_capos_qboot(cmd, timeout, log_path=None):
    """capOS booted by `cmd` through qboot (guest_boot.with_qboot): its
    boot_to_init as the row boot_to_init_qboot, or an n/a row saying why."""
    qcmd = with_qboot(cmd)
    if qcmd is None:
        return {"status": "na", "reason": "no_qboot_rom"}
    rows, _, _ = run_capos(qcmd, timeout, log_path)
    return rows.get("boot_to_init") or {"status": "na", "reason": "no_boot_marker"}
