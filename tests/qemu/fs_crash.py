#!/usr/bin/env python3
"""Power cuts during a write workload (qemu.fs_power_cut).

Formats a disk image with mkfs-capos, then boots fschurn on it several
times, killing QEMU (SIGKILL: no flush, no shutdown) at a moment chosen by
a seeded random generator: after a random number of completed syncs plus
a random extra delay. Every boot first checks the disk (fschurn prints
"consistent: files f<lo>..f<hi>" or fails); the harness requires hi to be
at least the last "synced f<i>" seen before the previous kill (synced
means durable) and at most one more (the sync under way may have landed).
A final boot only checks, and mkfs-capos checks the image on the host.
"""
import argparse
import os
import random
import re
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_qemu  # noqa: E402


def boot(args, kill_after_syncs, extra_delay, log):
    """One boot; returns (checked range or None, last synced index or -1)."""
    qa = argparse.Namespace(qemu="qemu-system-x86_64", machine="q35", mem="256M", accel=None, smp=1,
                            no_debug_exit=False, uefi=None, kernel=args.kernel, append="",
                            module=[args.package], iso=None, icount=None,
                            extra=["-drive", f"file={args.image},format=raw,if=none,id=d0",
                                   "-device", "virtio-blk-pci,drive=d0,disable-legacy=on,addr=3"])
    cmd, _ = run_qemu.build_command(qa)
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = b""
    checked, synced, kill_at = None, -1, None
    deadline = time.time() + args.timeout
    try:
        while time.time() < deadline:
            r, _, _ = select.select([p.stdout], [], [], 0.05)
            if r:
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    break
                out += chunk
                text = out.decode(errors="replace")
                if "fschurn: FAILED" in text or "KERNEL PANIC" in text:
                    break
                m = re.search(r"fschurn: consistent: (?:no files|files f(\d+)\.\.f(\d+))\r?\n", text)
                if m and checked is None:
                    checked = (int(m.group(1)), int(m.group(2))) if m.group(1) else (0, -1)
                syncs = re.findall(r"fschurn: synced f(\d+)\r?\n", text)
                if syncs:
                    synced = int(syncs[-1])
                if kill_after_syncs is not None and len(syncs) >= kill_after_syncs and kill_at is None:
                    kill_at = time.time() + extra_delay
                if kill_after_syncs is None and checked is not None:
                    break
            if kill_at is not None and time.time() >= kill_at:
                break
    finally:
        p.kill()
        p.wait()
        # Anything still buffered was printed before the kill.
        rest = p.stdout.read()
        if rest:
            out += rest
            syncs = re.findall(r"fschurn: synced f(\d+)\r?\n", out.decode(errors="replace"))
            if syncs:
                synced = int(syncs[-1])
    log.write(out.decode(errors="replace") + "\n==== QEMU killed ====\n")
    return checked, synced, out.decode(errors="replace")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--package", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--mkfs", required=True)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--timeout", type=float, default=40.0)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    subprocess.run([args.mkfs, "format", args.image, "4M"], check=True, stdout=subprocess.DEVNULL)
    rng = random.Random(args.seed)
    last_synced = -1
    with open(args.log, "w") as log:
        for rnd in range(args.rounds + 1):
            final = rnd == args.rounds
            n = None if final else rng.randint(1, 12)
            delay = 0 if final else rng.uniform(0.0, 0.3)
            checked, synced, text = boot(args, n, delay, log)
            if checked is None:
                print(text)
                sys.exit(f"fs_crash: round {rnd}: no consistency report")
            lo, hi = checked
            held = f"f{lo}..f{hi}" if hi >= lo else "no files"
            cut = f"f{last_synced}" if last_synced >= 0 else "none"
            print(f"fs_crash: round {rnd}: disk holds {held}; last synced before the cut: {cut}")
            if hi < last_synced or hi > last_synced + 1:
                print(text)
                sys.exit(f"fs_crash: round {rnd}: synced data lost or unsynced data beyond one sync")
            if not final:
                if synced < 0:
                    print(text)
                    sys.exit(f"fs_crash: round {rnd}: the workload made no progress")
                print(f"fs_crash: round {rnd}: killed after {n}+ syncs and {delay:.3f} s (last synced f{synced})")
                last_synced = synced
    res = subprocess.run([args.mkfs, "check", args.image], capture_output=True, text=True)
    print(res.stdout.strip())
    if res.returncode != 0:
        sys.exit("fs_crash: the image does not check out: " + res.stderr.strip())
    print("fs_crash: PASS")


if __name__ == "__main__":
    main()
