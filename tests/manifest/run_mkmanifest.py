#!/usr/bin/env python3
"""Drives tools/mkmanifest (and optionally the CUE export before it) for one
CTest case, with fake binaries in a private temporary directory.

Rejection cases (--expect-error LINE): mkmanifest must exit 1, print exactly
`mkmanifest: error: LINE` as its only stderr line, and leave no output file
and no temporary file behind (an existing output stays byte-identical).

Success cases (--expect-ok): mkmanifest must exit 0; with --decode the output
is decoded by the official `capnp decode` and must contain every
--expect-decoded string.
"""
import argparse
import os
import subprocess
import sys
import tempfile

MAX_BINARY_BYTES = 16 << 20  # lib/manifest/limits.h kMaxBinaryBytes


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mkmanifest", required=True)
    p.add_argument("--json", help="configuration JSON (else --cue)")
    p.add_argument("--cue", nargs="+", help="CUE files exported with --cue-export")
    p.add_argument("--overlay", help="CUE overlay passed as --overlay")
    p.add_argument("--cue-export", help="path of tools/mkmanifest/cue-export.js")
    p.add_argument("--node", default="node")
    p.add_argument("--bins", default="", help="comma-separated binaries to create (copies of --elf)")
    p.add_argument("--elf", help="a valid static ELF copied for every --bins entry (mkmanifest "
                                 "validates programs); without it they hold fake bytes")
    p.add_argument("--bad-elf", default="", help="binary created with fake (non-ELF) bytes")
    p.add_argument("--big", default="", help="fake binary made one byte over the limit")
    p.add_argument("--existing-output", action="store_true",
                   help="pre-create the output file; it must survive a rejection unchanged")
    p.add_argument("--expect-error")
    p.add_argument("--expect-error-file", help="file whose first line is --expect-error")
    p.add_argument("--expect-cue-error", help="substring expected from the CUE export")
    p.add_argument("--expect-ok", action="store_true")
    p.add_argument("--decode", help="schema dir: decode the output with capnp decode")
    p.add_argument("--expect-decoded", action="append", default=[])
    a = p.parse_args()
    if a.expect_error_file:
        with open(a.expect_error_file, encoding="utf-8") as f:
            a.expect_error = f.readline().rstrip("\n")

    with tempfile.TemporaryDirectory(prefix="mkmanifest-test-") as tmp:
        bin_dir = os.path.join(tmp, "bin")
        out_dir = os.path.join(tmp, "out")
        os.mkdir(bin_dir)
        os.mkdir(out_dir)
        elf = b""
        if a.elf:
            with open(a.elf, "rb") as f:
                elf = f.read()
        for name in filter(None, a.bins.split(",")):
            with open(os.path.join(bin_dir, name), "wb") as f:
                f.write(elf if elf else b"\x7fELF fake " + name.encode())
        if a.bad_elf:
            with open(os.path.join(bin_dir, a.bad_elf), "wb") as f:
                f.write(b"\x7fELF fake " + a.bad_elf.encode())
        if a.big:
            with open(os.path.join(bin_dir, a.big), "wb") as f:
                f.truncate(MAX_BINARY_BYTES + 1)  # sparse: cheap to create
        output = os.path.join(out_dir, "manifest.bin")
        old = b"previous manifest"
        if a.existing_output:
            with open(output, "wb") as f:
                f.write(old)

        config = a.json
        if a.cue:
            config = os.path.join(tmp, "system.json")
            cue_files = []
            for c in a.cue:  # e.g. system.local.cue.example: CUE wants *.cue
                if not c.endswith(".cue"):
                    copy = os.path.join(tmp, os.path.basename(c) + ".cue")
                    with open(c, "rb") as src, open(copy, "wb") as dst:
                        dst.write(src.read())
                    c = copy
                cue_files.append(c)
            cmd = [a.node, a.cue_export, "-o", config]
            if a.overlay:
                cmd += ["--overlay", a.overlay]
            r = subprocess.run(cmd + cue_files, capture_output=True, text=True)
            if a.expect_cue_error is not None:
                if r.returncode == 0:
                    fail("CUE export succeeded; expected an error")
                if a.expect_cue_error not in r.stderr:
                    fail(f"CUE error {r.stderr!r} lacks {a.expect_cue_error!r}")
                if os.path.exists(config):
                    fail("CUE export left an output file behind")
                print("PASS")
                return
            if r.returncode != 0:
                fail(f"CUE export failed ({r.returncode}): {r.stderr.strip()}")

        # Relative paths from the temp dir keep messages exact ("bin/hello").
        r = subprocess.run([os.path.abspath(a.mkmanifest), "--bin-dir", "bin",
                            "-o", os.path.join("out", "manifest.bin"), os.path.abspath(config)],
                           capture_output=True, text=True, cwd=tmp)
        leftovers = [f for f in os.listdir(out_dir) if f != "manifest.bin"]
        if leftovers:
            fail(f"temporary files left behind: {leftovers}")

        if a.expect_error is not None:
            want = f"mkmanifest: error: {a.expect_error}\n"
            if r.returncode != 1:
                fail(f"exit status {r.returncode}, expected 1; stderr: {r.stderr!r}")
            if r.stderr != want:
                fail(f"stderr\n  got:  {r.stderr!r}\n  want: {want!r}")
            if a.existing_output:
                with open(output, "rb") as f:
                    if f.read() != old:
                        fail("the existing output was modified")
            elif os.path.exists(output):
                fail("an output file was left behind")
            print("PASS")
            return

        if r.returncode != 0:
            fail(f"exit status {r.returncode}: {r.stderr.strip()}")
        if not os.path.getsize(output):
            fail("empty output")
        if a.decode:
            with open(output, "rb") as f:
                d = subprocess.run(["capnp", "decode", "-I", a.decode,
                                    os.path.join(a.decode, "manifest.capnp"), "SystemManifest"],
                                   stdin=f, capture_output=True, text=True)
            if d.returncode != 0:
                fail(f"capnp decode failed: {d.stderr.strip()}")
            for s in a.expect_decoded:
                if s not in d.stdout:
                    fail(f"decoded manifest lacks {s!r}:\n{d.stdout[:4000]}")
        print("PASS")


if __name__ == "__main__":
    main()
