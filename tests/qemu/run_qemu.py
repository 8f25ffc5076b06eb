#!/usr/bin/env python3
"""Boot capOS in QEMU and judge the run.

Pass criteria: every --expect marker appears in the serial output, in
order; no --forbid marker appears; QEMU exits with --exit-code (the
isa-debug-exit status: 33 = capOS success, 35 = capOS panic; 0 when the
guest powers off or resets by ACPI without that device) before
--timeout. On failure the whole serial log is printed.
"""
import argparse
import os
import select
import shutil
import subprocess
import sys
import time

SUCCESS_STATUS = 33


# Debian's ovmf package: read-only code plus a template for the variable
# store, which firmware writes (boot entries), so each run gets a fresh copy.
OVMF_PAIRS = [("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
              ("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd")]


def uefi_firmware(vars_copy):
    for code, template in OVMF_PAIRS:
        if os.path.exists(code) and os.path.exists(template):
            shutil.copyfile(template, vars_copy)
            return ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
                    "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}"]
    sys.exit("run_qemu: --uefi needs OVMF (Debian package ovmf; run tools/setup-deps.sh)")


def build_command(args):
    accel = args.accel or os.environ.get("CAPOS_ACCEL", "tcg")
    # $CAPOS_QEMU_SMP runs a test written for one CPU on several (the
    # qemu_smp2.* twins of every test), with vCPUs on host threads. QEMU
    # 7.2 stalls a round-robin guest with -icount on more than one vCPU
    # (docs/smp.md), so the twin of a deterministic-time test runs on host
    # time instead.
    smp_env = int(os.environ.get("CAPOS_QEMU_SMP", "0") or 0)
    if smp_env > 1 and args.smp == 1:
        args.smp = smp_env
        if accel == "tcg":
            accel = "tcg,thread=multi"
            args.icount = None
    if accel == "kvm" and not os.access("/dev/kvm", os.R_OK | os.W_OK):
        print("run_qemu: CAPOS_ACCEL=kvm but /dev/kvm is not usable; using tcg", file=sys.stderr)
        accel = "tcg"
    cmd = [args.qemu, "-machine", args.machine, "-m", args.mem, "-accel", accel,
           "-cpu", "host" if accel.startswith("kvm") else "max", "-smp", str(args.smp),
           "-no-reboot", "-display", "none", "-monitor", "none", "-serial", "stdio"]
    if not args.no_debug_exit:
        cmd += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if args.uefi:
        cmd += uefi_firmware(args.uefi)
    if args.kernel:
        cmd += ["-kernel", args.kernel]
        if args.append:
            cmd += ["-append", args.append]
        for m in args.module:
            cmd += ["-initrd", m]
    if args.iso:
        cmd += ["-cdrom", args.iso, "-boot", "d"]
    if args.icount is not None and accel.startswith("tcg"):
        # Guest time counts retired instructions (2^shift ns each), so
        # timing checks inside the guest do not depend on host load.
        cmd += ["-icount", "shift=%d,sleep=off" % args.icount]
    cmd += args.extra
    return cmd, accel


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--qemu", default="qemu-system-x86_64")
    p.add_argument("--kernel")
    p.add_argument("--iso")
    p.add_argument("--append", default="")
    p.add_argument("--module", action="append", default=[], help="boot module (-initrd)")
    p.add_argument("--machine", default="q35")
    p.add_argument("--mem", default="256M")
    p.add_argument("--uefi", metavar="VARS_COPY",
                   help="boot OVMF (UEFI) with a fresh copy of its variable store at VARS_COPY")
    p.add_argument("--no-debug-exit", action="store_true",
                   help="no isa-debug-exit device: the guest must power off (status 0) by ACPI")
    p.add_argument("--halts-after", metavar="MARKER",
                   help="the guest must still be running 2 s after MARKER (it halted, it did not "
                        "exit or reset); QEMU is then stopped and its exit status not judged")
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--icount", type=int, default=None, metavar="SHIFT",
                   help="deterministic guest time: -icount shift=SHIFT,sleep=off (TCG only)")
    p.add_argument("--accel", default=None, help="tcg or kvm (default: $CAPOS_ACCEL or tcg)")
    p.add_argument("--expect", action="append", default=[], help="ordered serial marker")
    p.add_argument("--expect-anywhere", action="append", default=[],
                   help="marker that must appear, in any order (output of two processes that race)")
    p.add_argument("--forbid", action="append", default=[], help="marker that fails the run")
    p.add_argument("--forbid-line-start", action="append", default=[],
                   help="fails the run if a serial line starts with this text (forged log lines)")
    p.add_argument("--allow-panic", action="store_true", help="do not forbid 'KERNEL PANIC'")
    p.add_argument("--input", action="append", default=[],
                   help="WAIT=>TEXT: once WAIT has appeared, type TEXT (\\n escapes allowed)")
    p.add_argument("--exit-code", type=int, default=SUCCESS_STATUS)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--log", help="also write the serial log here")
    p.add_argument("extra", nargs="*", help="extra QEMU arguments (after --)")
    args = p.parse_args()
    if bool(args.kernel) == bool(args.iso):
        p.error("give exactly one of --kernel or --iso")
    forbid = list(args.forbid)
    if not args.allow_panic:
        forbid.append("KERNEL PANIC")

    cmd, accel = build_command(args)
    inputs = []
    for spec in args.input:
        wait, _, text = spec.partition("=>")
        inputs.append((wait, text.encode().decode("unicode_escape").encode()))

    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = bytearray()
    timed_out = False
    halted = False     # --halts-after: still running after the grace period
    halt_seen = None   # when the --halts-after marker appeared
    input_pos = 0  # search offset for the next input's WAIT marker
    while True:
        now = time.monotonic()
        if args.halts_after and halt_seen is None and args.halts_after.encode() in out:
            halt_seen = now
        if halt_seen is not None and now - halt_seen >= 2.0 and proc.poll() is None:
            halted = True
            proc.kill()
            break
        remaining = args.timeout - (now - start)
        if remaining <= 0:
            timed_out = True
            proc.kill()
            break
        ready, _, _ = select.select([proc.stdout], [], [], min(remaining, 0.2))
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
        while inputs:
            wait, text = inputs[0]
            idx = out.find(wait.encode(), input_pos)
            if idx < 0:
                break
            input_pos = idx + len(wait)
            try:
                proc.stdin.write(text)
                proc.stdin.flush()
            except BrokenPipeError:
                pass
            inputs.pop(0)
        if proc.poll() is not None and not ready:
            break
    status = proc.wait()
    rest = proc.stdout.read()
    if rest:
        out += rest
    elapsed = time.monotonic() - start
    text = out.decode("utf-8", errors="replace")
    if args.log:
        with open(args.log, "w") as f:
            f.write(text)

    failures = []
    if timed_out:
        failures.append(f"timed out after {args.timeout:.0f}s")
    if args.halts_after and not halted and not timed_out:
        failures.append(f"QEMU exited (status {status}) instead of halting after {args.halts_after!r}")
    if args.halts_after:
        status = args.exit_code  # stopped by us (or it failed above): the status is not judged
    pos = 0
    for marker in args.expect:
        idx = text.find(marker, pos)
        if idx < 0:
            failures.append(f"missing marker (in order): {marker!r}")
        else:
            pos = idx + len(marker)
    for marker in args.expect_anywhere:
        if marker not in text:
            failures.append(f"missing marker: {marker!r}")
    for marker in forbid:
        if marker in text:
            failures.append(f"forbidden marker present: {marker!r}")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for prefix in args.forbid_line_start:
        if any(line.startswith(prefix) for line in lines):
            failures.append(f"a line starts with forbidden text: {prefix!r}")
    if not timed_out and status != args.exit_code:
        failures.append(f"QEMU exit status {status}, expected {args.exit_code}")
    if inputs:
        failures.append(f"input never sent: waited for {inputs[0][0]!r}")

    if failures:
        print("---- serial log ----")
        print(text)
        print("---- end of serial log ----")
        print("command:", " ".join(cmd))
        for f in failures:
            print("FAIL:", f)
        return 1
    print(f"PASS ({accel}, {elapsed:.2f}s, exit status {status}, {len(args.expect)} markers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
