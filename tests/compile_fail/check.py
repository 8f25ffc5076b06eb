#!/usr/bin/env python3
"""Compile-fail check: the probe compiles as its control (-DCAPOS_PROBE_CONTROL:
e.g. holding the lock, or a client of the right interface) and is rejected
with the expected diagnostic without it (the misuse).

usage: check.py <compiler> <source> <expected diagnostic> -- <flags...>"""
import subprocess
import sys


def compile(cc, src, flags, extra):
    r = subprocess.run([cc, *flags, *extra, "-fsyntax-only", src], capture_output=True, text=True)
    return r.returncode, r.stderr


def main():
    cc, src, expected = sys.argv[1:4]
    flags = sys.argv[sys.argv.index("--") + 1:]
    rc, err = compile(cc, src, flags, ["-DCAPOS_PROBE_CONTROL"])
    if rc != 0:
        sys.exit("compile_fail: the control does not compile, so the check proves nothing:\n" + err)
    rc, err = compile(cc, src, flags, [])
    if rc == 0:
        sys.exit("compile_fail: the misuse compiled")
    if expected not in err:
        sys.exit("compile_fail: rejected, but not for the expected reason (%r):\n%s" % (expected, err))
    print("compile_fail: control compiles; misuse rejected: %s" % expected)


main()
