#!/usr/bin/env python3
"""perf.budgets (CTest): boots the capOS bench package under
`-icount shift=0,sleep=off` and fails if any row in bench/budgets costs more
guest instructions than its budget, or is missing.

Under icount a row's median cycles are an exact instruction count, the same
on every run with this QEMU and compiler, so a budget can gate without ever
asserting wall-clock time (docs/benchmarks.md, "Budgets")."""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capos_guest import capos_command, run_capos, run_capos_qboot  # noqa: E402
from guest_boot import qemu_base  # noqa: E402


def read_budgets(path):
    budgets = {}
    for n, line in enumerate(open(path), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            sys.exit(f"{path}:{n}: expected `<row> <instructions>`, got {line!r}")
        budgets[parts[0]] = int(parts[1])
    if not budgets:
        sys.exit(f"{path}: no budgets")
    return budgets


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--module", required=True, help="the bench boot package (build/bench.bin)")
    ap.add_argument("--budgets", required=True)
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--log")
    a = ap.parse_args()
    budgets = read_budgets(a.budgets)
    # The flags `make bench` gives both guests under TCG, plus icount.
    cmd = capos_command(qemu_base(a.qemu, "tcg", "max", "512M", 1), a.kernel, a.module, icount=True)
    if a.log and os.path.exists(a.log):
        os.remove(a.log)
    rows, meta, b = run_capos(cmd, a.timeout, a.log)
    if "done" not in meta:
        print("\n".join(b.lines[-40:]))
        sys.exit(f"perf.budgets: the bench did not finish (rc={b.rc}, timed out={b.timed_out})")
    if "boot_to_init_qboot" in budgets:
        # The same boot through qboot: the kernel's own share of boot_to_init.
        rows["boot_to_init_qboot"] = run_capos_qboot(cmd, a.timeout, a.log)
    failed = False
    print("%-18s %12s %12s %8s" % ("row", "instructions", "budget", "margin"))
    for row, budget in budgets.items():
        r = rows.get(row)
        if r is None or "median_cycles" not in r:
            print("%-18s %12s %12d  MISSING" % (row, "-", budget))
            failed = True
            continue
        n = int(float(r["median_cycles"]))
        over = n > budget
        failed |= over
        print("%-18s %12d %12d %7.1f%%%s" % (row, n, budget, 100.0 * (budget - n) / budget,
                                             "  OVER BUDGET" if over else ""))
    if failed:
        sys.exit("perf.budgets: a row exceeds its budget in bench/budgets (budgets only go down; "
                 "a change that must raise one says why in its commit)")
    print("perf.budgets: every row within budget (%.1fs)" % b.seconds)


if __name__ == "__main__":
    main()
