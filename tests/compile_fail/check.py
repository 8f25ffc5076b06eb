#!/usr/bin/env python3
"""Compile-fail check: the probe compiles when it holds the lock and is
rejected with a thread-safety error when it does not.

usage: check.py <compiler> <source> <expected diagnostic> -- <flags...>"""
import subprocess
import sys


def compile(cc, src, flags, extra):
    r = subprocess.run([cc, *flags, *extra, "-fsyntax-only", src], capture_output=True, text=True)
    return r.returncode, r.stderr


def main():
    cc, src, expected = sys.argv[1:4]
    flags = sys.argv[sys.argv.index("--") + 1:]
    rc, err = compile(cc, src, flags, ["-DCAPOS_PROBE_LOCKED"])
    if rc != 0:
        sys.exit("compile_fail: the locked probe does not compile, so the check proves nothing:\n" + err)
    rc, err = compile(cc, src, flags, [])
    if rc == 0:
        sys.exit("compile_fail: an unguarded access to guarded data compiled")
    if expected not in err:
        sys.exit("compile_fail: rejected, but not for the expected reason (%r):\n%s" % (expected, err))
    print("compile_fail: locked probe compiles; unguarded access rejected: %s" % expected)


main()
