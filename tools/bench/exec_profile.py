#!/usr/bin/env python3
"""Function-level profile of one capOS bench row (docs/benchmarks.md,
"Function-level profile").

Boots the bench package under the perf.budgets icount flags with an HMP
monitor, waits for `BENCH loop=begin name=<row>`, switches QEMU's
`exec,nochain` log on for a fraction of a second of host time and off again,
then counts the executed translation blocks per start address. Each block is
weighted by its length in instructions, read from `objdump -d` of the kernel
and the user program (a block ends at the first control transfer or
serializing instruction). Prints instructions per function per iteration,
where an iteration is one execution of the entry of `--unit` (a function
that runs once per iteration of the row, e.g. `capos::ipc::call(`).

Approximate by construction: the window boundaries cut iterations. A string
instruction's repetitions are logged as separate blocks starting at the
`rep` instruction; each counts as one instruction, as icount counts them.
The segment profile (capos-measure.elf) is the exact one; this says which
function inside a segment costs.

Python 3 standard library, objdump and qemu-system-x86_64."""

import argparse
import bisect
import collections
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capos_guest import capos_command  # noqa: E402
from guest_boot import qemu_base  # noqa: E402

BLOCK_END = re.compile(r"^(j|call|ret|syscall|sysret|iret|hlt|int|ud2|lret|wrmsr|rdmsr|sti|cli|popf|lfence|rdtsc|"
                       r"mov\s+%\w+,%cr|xsave|xrstor|invlpg|out|in\b|pause|lgdt|lidt|ltr|swapgs)")


def disassemble(elf):
    """[(address, mnemonic text, function)] sorted by address."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-C", elf], capture_output=True, text=True,
                         check=True).stdout
    insns, func = [], None
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]+) <(.*)>:$", line)
        if m:
            func = m.group(2)
            continue
        m = re.match(r"^\s*([0-9a-f]+):\s+(.*)$", line)
        if m:
            insns.append((int(m.group(1), 16), m.group(2).strip(), func))
    return insns


def trace(cmd, row, delay, window, log):
    """Runs QEMU until the row's loop has been logged for `window` seconds."""
    mon = os.path.join(tempfile.mkdtemp(prefix="capos-exec-"), "mon.sock")
    p = subprocess.Popen(cmd + ["-monitor", f"unix:{mon},server,nowait", "-D", log], stdout=subprocess.PIPE)
    try:
        for _ in range(100):
            if os.path.exists(mon):
                break
            time.sleep(0.05)
        s = socket.socket(socket.AF_UNIX)
        s.connect(mon)
        for raw in p.stdout:
            if raw.decode(errors="replace").strip().endswith(f"loop=begin name={row}"):
                time.sleep(delay)
                s.sendall(b"log exec,nochain\n")
                time.sleep(window)
                s.sendall(b"log none\n")
                return True
        return False
    finally:
        p.kill()
        p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--row", required=True, help="bench row, e.g. endpoint_rtt")
    ap.add_argument("--unit", required=True, help="function (demangled prefix) entered once per iteration")
    ap.add_argument("--user-elf", default=None, help="default: <build>/user/bench_capos.elf")
    ap.add_argument("--delay", type=float, default=0.05, help="host seconds after the loop starts")
    ap.add_argument("--window", type=float, default=0.3, help="host seconds of logging")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--annotate", default=None,
                    help="also print each executed instruction of this function (demangled prefix) with its "
                         "executions per iteration")
    args = ap.parse_args()

    kernel = os.path.join(args.build, "kernel", "capos-test.elf")
    module = os.path.join(args.build, "bench.bin")
    user = args.user_elf or os.path.join(args.build, "user", "bench_capos.elf")
    cmd = capos_command(qemu_base(args.qemu, "tcg", "max", "512M", 1), kernel, module, icount=True)  # as perf.budgets
    with tempfile.TemporaryDirectory(prefix="capos-exec-") as tmp:
        log = os.path.join(tmp, "exec.log")
        if not trace(cmd, args.row, args.delay, args.window, log):
            sys.exit(f"no `BENCH loop=begin name={args.row}` on serial")
        counts = collections.Counter()
        with open(log, errors="replace") as f:
            for line in f:
                m = re.search(r"/([0-9a-f]{16})/", line)
                if m:
                    counts[int(m.group(1), 16)] += 1

    insns = sorted(disassemble(kernel) + disassemble(user))
    addrs = [a for a, _, _ in insns]

    def block(pc):
        i = bisect.bisect_left(addrs, pc)
        if i >= len(addrs) or addrs[i] != pc:
            return 1, f"?{pc:x}", False
        first = i == 0 or insns[i - 1][2] != insns[i][2]
        if insns[i][1].startswith("rep"):  # one logged block per repetition: count each as one
            return 1, insns[i][2] or "?", first
        n = 0
        while i < len(insns) and n < 512:
            n += 1
            if BLOCK_END.match(insns[i][1]):
                break
            i += 1
        return n, insns[bisect.bisect_left(addrs, pc)][2] or "?", first

    per, units, total = collections.Counter(), 0, 0
    per_insn = collections.Counter()
    for pc, c in counts.items():
        n, func, first = block(pc)
        if args.annotate and func.startswith(args.annotate):
            i = bisect.bisect_left(addrs, pc)
            for k in range(n):
                per_insn[i + k] += c
        per[func] += n * c
        total += n * c
        if first and func.startswith(args.unit):
            units += c
    if not units:
        sys.exit(f"`{args.unit}` never entered in the window")
    print(f"{args.row}: {units} iterations logged, ~{total / units:.0f} instructions each (block-weighted)")
    for func, n in per.most_common(args.top):
        print(f"{n / units:9.1f}  {func[:120]}")
    if args.annotate:
        # One line per executed instruction, in address order; a line's figure is
        # how often it ran per iteration (a hot path reads as a run of 1.0s).
        print(f"\n-- {args.annotate}: executions per iteration --")
        for i in sorted(per_insn):
            a, text, _ = insns[i]
            print(f"{per_insn[i] / units:6.2f}  {a:x}  {text[:100]}")


if __name__ == "__main__":
    main()
