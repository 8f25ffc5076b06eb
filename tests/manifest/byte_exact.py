#!/usr/bin/env python3
"""Property test: configuration strings arrive byte-exact.

Each round writes a CUE overlay whose kernelParams.motd is a random string
(printable ASCII with quotes and backslashes, line breaks and tabs,
non-ASCII UTF-8 from every encoding length, C1 controls, U+2028), spelled
in the CUE file with a random mix of raw characters and \\u / \\U escapes.
The string goes CUE -> JSON (cue-export.js) -> mkmanifest -> manifest.bin
and must come back identical from the official libcapnp decoder
(`capnp convert binary:json`) and appear verbatim (UTF-8 + NUL) in the
message bytes. A last round puts a control byte in the motd: mkmanifest
must reject it naming the exact byte offset.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

PIECES = (
    [chr(c) for c in range(0x20, 0x7f)]  # printable ASCII, incl. " \ < > &
    + ["\n", "\t", "\u00e9", "\u00fc", "\u0080", "\u009b", "\u07ff", "\u0800", "\u65e5", "\u2028",
       "\u2029", "\ufeff", "\uffff", "\U00010000", "\U0001f600", "\U0010ffff"]
)


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def cue_literal(s, rng):
    """`s` as a CUE string literal, each character raw or escaped at random."""
    out = []
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t" if rng.random() < 0.5 else "\\u0009")
        elif c < 0x20 or 0x7f <= c < 0xa0 or c == 0xfeff or rng.random() < 0.3:  # CUE refuses a raw BOM
            out.append(f"\\u{c:04x}" if c < 0x10000 else f"\\U{c:08X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mkmanifest", required=True)
    p.add_argument("--cue-export", required=True)
    p.add_argument("--node", default="node")
    p.add_argument("--system", required=True, help="system.cue")
    p.add_argument("--schema", required=True, help="schema directory")
    p.add_argument("--elf", required=True, help="valid ELF copied for every program")
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--seed", type=int, default=20261201)
    a = p.parse_args()
    rng = random.Random(a.seed)
    bins = ["init", "logd", "sysinfo", "manual", "launcher", "netd", "vnetd", "terminal", "credstore", "auditd", "lifecycle", "broker", "sessions",
            "shell", "demo", "demo_crash", "session_probe", "threads_demo", "lua", "manual.pages"]

    with tempfile.TemporaryDirectory(prefix="byte-exact-") as tmp:
        os.mkdir(os.path.join(tmp, "bin"))
        for b in bins:
            shutil.copy(a.elf, os.path.join(tmp, "bin", b))

        def build(literal):
            overlay = os.path.join(tmp, "motd.cue")
            with open(overlay, "w", encoding="utf-8") as f:
                f.write("package capos\nkernelParams: motd: " + literal + "\n")
            cfg = os.path.join(tmp, "system.json")
            r = subprocess.run([a.node, a.cue_export, "-o", cfg, a.system, overlay],
                               capture_output=True, text=True)
            if r.returncode != 0:
                fail(f"CUE export of {literal!r} failed: {r.stderr.strip()}")
            out = os.path.join(tmp, "manifest.bin")
            if os.path.exists(out):
                os.unlink(out)
            return subprocess.run([a.mkmanifest, "--bin-dir", os.path.join(tmp, "bin"), "-o", out, cfg],
                                  capture_output=True, text=True), out

        for round_ in range(a.rounds):
            s = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 120)))
            literal = cue_literal(s, rng)
            r, out = build(literal)
            if r.returncode != 0:
                fail(f"round {round_}: mkmanifest rejected {s!r}: {r.stderr.strip()}")
            with open(out, "rb") as f:
                data = f.read()
            if s.encode("utf-8") + b"\0" not in data:
                fail(f"round {round_}: the bytes of {s!r} are not in manifest.bin")
            with open(out, "rb") as f:
                d = subprocess.run(["capnp", "convert", "binary:json", "-I", a.schema,
                                    os.path.join(a.schema, "manifest.capnp"), "SystemManifest"],
                                   stdin=f, capture_output=True)
            if d.returncode != 0:
                fail(f"capnp convert failed: {d.stderr.decode(errors='replace').strip()}")
            got = json.loads(d.stdout.decode("utf-8"))["kernelParams"]["motd"]
            if got != s:
                fail(f"round {round_}: sent {s!r}, libcapnp decoded {got!r}")

        # A control byte: rejected, and the offset counts UTF-8 bytes exactly.
        prefix = "\u65e5<&"
        r, out = build(cue_literal(prefix + "\x1b[2J", rng))
        want = (f"mkmanifest: error: kernelParams.motd has control byte 0x1b at offset "
                f"{len(prefix.encode('utf-8'))} (only line breaks and tabs are allowed)\n")
        if r.returncode != 1 or r.stderr != want:
            fail(f"control byte: got {r.returncode} {r.stderr!r}, want {want!r}")
        if os.path.exists(out):
            fail("control byte: an output file was written")
    print(f"PASS ({a.rounds} random strings byte-exact)")


if __name__ == "__main__":
    main()
